/**
 * @file The WebAssembly batch-norm, layer-norm and relu-backward kernels (float32 data): operands into
 * the arena, one pass, results out. Same arithmetic in the same order as the TypeScript ones, so the
 * same bits.
 */
import type { BatchNormStats, LayerNormStats } from '../types';
import { copyIn, copyInFloat64, copyOut, copyOutFloat64 } from './operands';
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
  const pw = copyIn(rt, weight);
  const pb = copyIn(rt, bias);
  const py = rt.reserve(4 * y.length);
  const ps = rt.reserve(8 * 3 * c);
  rt.exports.batchNormForward(px, n, c, s, pw, pb, eps, py, ps);
  copyOut(rt, py, y);
  const stats = copyOutFloat64(rt, ps, 3 * c);
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
  const ps = copyInFloat64(rt, stats.mean, stats.invstd);
  const pw = copyIn(rt, weight);
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
  const pw = copyIn(rt, weight);
  const pb = copyIn(rt, bias);
  const py = rt.reserve(4 * y.length);
  const ps = rt.reserve(8 * 2 * rows);
  rt.exports.layerNormForward(px, rows, cols, pw, pb, eps, py, ps);
  copyOut(rt, py, y);
  const stats = copyOutFloat64(rt, ps, 2 * rows);
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
  const ps = copyInFloat64(rt, stats.mean, stats.rstd);
  const pw = copyIn(rt, weight);
  const pgx = gx === null ? 0 : rt.reserve(4 * gx.length);
  // The per-column sums over the rows in float64, zeroed here, rounded to float32 as they are copied out.
  const pgw = gweight === null ? 0 : rt.reserve(8 * cols);
  const pgb = gbias === null ? 0 : rt.reserve(8 * cols);
  const scratch = rt.reserve(8 * 2 * cols);
  if (pgw !== 0) new Float64Array(rt.memory.buffer, pgw, cols).fill(0);
  if (pgb !== 0) new Float64Array(rt.memory.buffer, pgb, cols).fill(0);
  rt.exports.layerNormBackward(pg, px, rows, cols, ps, pw, pgx, pgw, pgb, scratch);
  if (gx !== null) copyOut(rt, pgx, gx);
  if (gweight !== null) gweight.set(copyOutFloat64(rt, pgw, cols));
  if (gbias !== null) gbias.set(copyOutFloat64(rt, pgb, cols));
}
