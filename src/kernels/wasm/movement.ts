/**
 * @file The WebAssembly strided copy (assembly/movement.ts) behind `Kernels.stridedCopy` and
 * `Kernels.transpose` for float32: the span of x the strides reach into the arena, one pass, the
 * result out. TypeScript moves about one element a nanosecond here; the SIMD runs four at a time.
 */
import { copyIn, copyOut } from './operands';
import type { Arena } from './runtime';

/** [lo, hi]: the lowest and highest elements of x that `strides` from `offset` reach over `shape`. */
export function stridedSpan(offset: number, strides: readonly number[], shape: readonly number[]): [number, number] {
  let lo = offset;
  let hi = offset;
  shape.forEach((size, d) => {
    if (strides[d] < 0) lo += strides[d] * (size - 1);
    else hi += strides[d] * (size - 1);
  });
  return [lo, hi];
}

/**
 * out (contiguous, `shape`) = x viewed at `offset` with `strides` (which may be negative or 0). Only
 * the span the strides reach goes into the arena; backend.ts sends a copy here only when that span
 * is not much longer than out (a narrow column slice of a wide matrix stays in TypeScript).
 */
export function stridedCopyWasm(
  rt: Arena,
  x: Float32Array,
  offset: number,
  strides: readonly number[],
  shape: readonly number[],
  out: Float32Array,
): Float32Array {
  if (out.length === 0) return out;
  const [lo, hi] = stridedSpan(offset, strides, shape);
  rt.reset();
  const px = copyIn(rt, x.subarray(lo, hi + 1));
  const py = rt.reserve(4 * out.length);
  const nd = shape.length;
  const dims = rt.reserve(4 * 2 * nd);
  const idx = rt.reserve(4 * nd);
  const i32 = rt.i32;
  for (let d = 0; d < nd; d++) {
    i32[(dims >> 2) + d] = shape[d];
    i32[(dims >> 2) + nd + d] = strides[d];
  }
  rt.exports.stridedCopy(px, offset - lo, py, out.length, nd, dims, idx);
  return copyOut(rt, py, out);
}
