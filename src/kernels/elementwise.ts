/** @file Elementwise loops on typed arrays: maps and NumPy-broadcast binary ops. */
import type { Storage } from '../tensor/dtype';
import { stridesOf } from '../tensor/shape';

export function map(x: Storage, out: Storage, f: (v: number) => number): Storage {
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

/** Strides of `shape` seen from a broadcast `outShape`: 0 along broadcast axes. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((d, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]));
}

/**
 * out[i] = f(a[ia], b[ib]) over the broadcast shape. Same shapes and a scalar side take flat loops;
 * otherwise an odometer walks the outer axes and the innermost axis runs as a strided loop.
 */
export function binary(a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[],
  outShape: readonly number[], out: Storage, f: (x: number, y: number) => number): Storage {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    return out;
  }
  if (b.length === 1 && a.length === n) {
    const bv = b[0];
    for (let i = 0; i < n; i++) out[i] = f(a[i], bv);
    return out;
  }
  if (a.length === 1 && b.length === n) {
    const av = a[0];
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]);
    return out;
  }
  if (n === 0) return out;
  const nd = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const inner = outShape[nd - 1];
  const ia = sa[nd - 1];
  const ib = sb[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let offA = 0;
  let offB = 0;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0, pa = offA, pb = offB; j < inner; j++, pa += ia, pb += ib) out[o + j] = f(a[pa], b[pb]);
    // Advance the odometer over the outer axes.
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      offA += sa[d];
      offB += sb[d];
      if (idx[d] < outShape[d]) break;
      offA -= sa[d] * outShape[d];
      offB -= sb[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}
