/**
 * @file The WebAssembly comparisons, `where` and index selection (assembly/select.ts): operands copied
 * into the arena, one pass, the result copied out. Which calls come here — float32 (or, for the bit
 * copies, int32) operands above the thresholds, in the layouts the kernels take — is decided in
 * backend.ts (Note [eligibility]).
 */
import { COMPARE_AND, COMPARE_EQ, COMPARE_GE, COMPARE_GT, COMPARE_LE, COMPARE_LT, COMPARE_NE, COMPARE_OR, COMPARE_XOR } from '../abi';
import type { CompareOp } from '../kernels';
import { copyIn, copyOut } from './operands';
import type { Arena } from './runtime';

/** Every CompareOp's code (src/kernels/abi.ts): all of them have a WebAssembly loop. */
export const COMPARE_OPS: Readonly<Record<CompareOp, number>> = {
  eq: COMPARE_EQ,
  ne: COMPARE_NE,
  lt: COMPARE_LT,
  le: COMPARE_LE,
  gt: COMPARE_GT,
  ge: COMPARE_GE,
  and: COMPARE_AND,
  or: COMPARE_OR,
  xor: COMPARE_XOR,
};

/** x [outer, n, inner] with its middle axis selected by an index of length m. */
export interface SelectLayout {
  outer: number;
  n: number;
  inner: number;
}

function copyBytesIn(rt: Arena, data: Uint8Array): number {
  const at = rt.reserve(data.length);
  new Uint8Array(rt.memory.buffer, at, data.length).set(data);
  return at;
}

/**
 * out[i] = a[i mod a.length] op b[i mod b.length] ? 1 : 0: each side the whole output, a scalar or a
 * block repeating along the leading axes (the caller checks the shapes say so).
 */
export function compareWasm(rt: Arena, op: CompareOp, a: Float32Array, b: Float32Array, out: Uint8Array): Uint8Array {
  rt.reset();
  const pa = copyIn(rt, a);
  const pb = copyIn(rt, b);
  const py = rt.reserve(out.length);
  rt.exports.compareOp(COMPARE_OPS[op], pa, a.length, pb, b.length, py, out.length);
  out.set(new Uint8Array(rt.memory.buffer, py, out.length));
  return out;
}

/** out[i] = cond[i mod cond.length] ≠ 0 ? a[i mod a.length] : b[i mod b.length], the same layouts as compareWasm. */
export function whereWasm<T extends Float32Array | Int32Array>(rt: Arena, cond: Uint8Array, a: T, b: T, out: T): T {
  rt.reset();
  const pc = copyBytesIn(rt, cond);
  const pa = copyIn(rt, a);
  const pb = copyIn(rt, b);
  const py = rt.reserve(4 * out.length);
  rt.exports.whereOp(pc, cond.length, pa, a.length, pb, b.length, py, out.length);
  return copyOut(rt, py, out);
}

/** out [outer, index.length, inner] = x [outer, n, inner] at rows index (torch.index_select). */
export function indexSelectWasm<T extends Float32Array | Int32Array>(rt: Arena, x: T, l: SelectLayout, index: Int32Array, out: T): T {
  rt.reset();
  const px = copyIn(rt, x);
  const pi = copyIn(rt, index);
  const py = rt.reserve(4 * out.length);
  // All output rows in one call: the kernel takes a row range, but a split over threads did not pay (Note [selection thresholds]).
  rt.exports.indexSelectRows(px, pi, py, l.n, index.length, l.inner, 0, l.outer * index.length, 0);
  return copyOut(rt, py, out);
}

/** The adjoint: out [outer, n, inner] = 0, then row index[j] += g's row j (repeats add up, in order). */
export function indexAddWasm(rt: Arena, g: Float32Array, l: SelectLayout, index: Int32Array, out: Float32Array): Float32Array {
  rt.reset();
  const pg = copyIn(rt, g);
  const pi = copyIn(rt, index);
  const py = rt.reserve(4 * out.length);
  rt.exports.indexAddRows(pg, pi, py, l.n, index.length, l.inner, 0, l.outer * l.n, 0);
  return copyOut(rt, py, out);
}
