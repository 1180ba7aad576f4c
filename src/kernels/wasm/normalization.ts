/**
 * @file The WebAssembly batch-norm, layer-norm and relu-backward kernels (float32 data): operands into
 * the arena, one pass, results out. Same arithmetic in the same order as the TypeScript ones, so the
 * same bits.
 */
import type { BatchNormStats, LayerNormStats } from '../types';
import { copyIn, copyOut } from './operands';
import type { Arena } from './runtime';

export function batchNormForwardWasm(
  rt: Arena,
  x: Float32Array,
  n: number,
  c: number,
  s: number,
  weight: Float32Array | null,
  bias: Float32Array | null,
  eps: number,
  y: Float32Array,
): BatchNormStats {
  rt.reset();
  const px = copyIn(rt, x);
  const pw = weight === null ? 0 : copyIn(rt, weight);
  const pb = bias === null ? 0 : copyIn(rt, bias);
  const py = rt.reserve(4 * y.length);
  const ps = rt.reserve(8 * 3 * c);
  rt.exports.batchNormForward(px, n, c, s, pw, pb, eps, py, ps);
  copyOut(rt, py, y);
  const stats = new Float64Array(rt.memory.buffer, ps, 3 * c).slice();
  return { mean: stats.subarray(0, c), invstd: stats.subarray(c, 2 * c), variance: stats.subarray(2 * c) };
}

export function batchNormBackwardWasm(
  rt: Arena,
  gy: Float32Array,
  x: Float32Array,
  n: number,
  c: number,
  s: number,
  stats: BatchNormStats,
  weight: Float32Array | null,
  gx: Float32Array | null,
  gweight: Float32Array | null,
  gbias: Float32Array | null,
): void {
  rt.reset();
  const pg = copyIn(rt, gy);
  const px = copyIn(rt, x);
  const ps = rt.reserve(8 * 2 * c);
  const view = new Float64Array(rt.memory.buffer, ps, 2 * c);
  view.set(stats.mean);
  view.set(stats.invstd, c);
  const pw = weight === null ? 0 : copyIn(rt, weight);
  const pgx = gx === null ? 0 : rt.reserve(4 * gx.length);
  const pgw = gweight === null ? 0 : rt.reserve(4 * c);
  const pgb = gbias === null ? 0 : rt.reserve(4 * c);
  rt.exports.batchNormBackward(pg, px, n, c, s, ps, pw, pgx, pgw, pgb);
  if (gx !== null) copyOut(rt, pgx, gx);
  if (gweight !== null) copyOut(rt, pgw, gweight);
  if (gbias !== null) copyOut(rt, pgb, gbias);
}

export function maskPositiveWasm(rt: Arena, g: Float32Array, x: Float32Array, out: Float32Array): Float32Array {
  rt.reset();
  const pg = copyIn(rt, g);
  const px = copyIn(rt, x);
  const py = rt.reserve(4 * out.length);
  rt.exports.maskPositive(pg, px, py, x.length);
  return copyOut(rt, py, out);
}

export function layerNormForwardWasm(
  rt: Arena,
  x: Float32Array,
  rows: number,
  cols: number,
  weight: Float32Array | null,
  bias: Float32Array | null,
  eps: number,
  y: Float32Array,
): LayerNormStats {
  rt.reset();
  const px = copyIn(rt, x);
  const pw = weight === null ? 0 : copyIn(rt, weight);
  const pb = bias === null ? 0 : copyIn(rt, bias);
  const py = rt.reserve(4 * y.length);
  const ps = rt.reserve(8 * 2 * rows);
  rt.exports.layerNormForward(px, rows, cols, pw, pb, eps, py, ps);
  copyOut(rt, py, y);
  const stats = new Float64Array(rt.memory.buffer, ps, 2 * rows).slice();
  return { mean: stats.subarray(0, rows), rstd: stats.subarray(rows) };
}

export function layerNormBackwardWasm(
  rt: Arena,
  gy: Float32Array,
  x: Float32Array,
  rows: number,
  cols: number,
  stats: LayerNormStats,
  weight: Float32Array | null,
  gx: Float32Array | null,
  gweight: Float32Array | null,
  gbias: Float32Array | null,
): void {
  rt.reset();
  const pg = copyIn(rt, gy);
  const px = copyIn(rt, x);
  const ps = rt.reserve(8 * 2 * rows);
  const pw = weight === null ? 0 : copyIn(rt, weight);
  const pgx = gx === null ? 0 : rt.reserve(4 * gx.length);
  // The per-column sums over the rows in float64, zeroed here, rounded to float32 as they are copied out.
  const pgw = gweight === null ? 0 : rt.reserve(8 * cols);
  const pgb = gbias === null ? 0 : rt.reserve(8 * cols);
  const scratch = rt.reserve(8 * 2 * cols);
  const view = new Float64Array(rt.memory.buffer, ps, 2 * rows);
  view.set(stats.mean);
  view.set(stats.rstd, rows);
  if (pgw !== 0) new Float64Array(rt.memory.buffer, pgw, cols).fill(0);
  if (pgb !== 0) new Float64Array(rt.memory.buffer, pgb, cols).fill(0);
  rt.exports.layerNormBackward(pg, px, rows, cols, ps, pw, pgx, pgw, pgb, scratch);
  if (gx !== null) copyOut(rt, pgx, gx);
  if (gweight !== null) gweight.set(new Float64Array(rt.memory.buffer, pgw, cols));
  if (gbias !== null) gbias.set(new Float64Array(rt.memory.buffer, pgb, cols));
}
