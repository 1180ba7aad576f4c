/**
 * @file Comparison, logical and selection loops on typed arrays in TypeScript (the `Kernels.compare`,
 * `Kernels.where` and `Kernels.scan` contracts): NumPy-broadcast, one monomorphic inner loop per op
 * (Note [monomorphic loops] in elementwise.ts).
 */
import type { Storage } from '../../tensor/dtype';
import { broadcastStrides } from '../../tensor/shape';
import type { CompareOp, ScanOp } from '../kernels';
import { broadcastWalk, Inner as ElementwiseInner } from './elementwise';
import { forEachRun } from './strided';

/** out[o + j] = a[pa + j·ia] op b[pb + j·ib] ? 1 : 0 for j < n. */
type Inner = ElementwiseInner<Uint8Array>;

/** What each comparison computes: IEEE comparisons (NaN is unequal to everything); logical ops read x ≠ 0 as true. */
export const COMPARE: Readonly<Record<CompareOp, (x: number, y: number) => boolean>> = {
  eq: (x, y) => x === y,
  ne: (x, y) => x !== y,
  lt: (x, y) => x < y,
  le: (x, y) => x <= y,
  gt: (x, y) => x > y,
  ge: (x, y) => x >= y,
  and: (x, y) => x !== 0 && y !== 0,
  or: (x, y) => x !== 0 || y !== 0,
  xor: (x, y) => (x !== 0) !== (y !== 0),
};

const INNER: Readonly<Record<CompareOp, Inner>> = {
  eq: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] === b[pb] ? 1 : 0;
  },
  ne: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] !== b[pb] ? 1 : 0;
  },
  lt: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] < b[pb] ? 1 : 0;
  },
  le: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] <= b[pb] ? 1 : 0;
  },
  gt: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] > b[pb] ? 1 : 0;
  },
  ge: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] >= b[pb] ? 1 : 0;
  },
  and: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] !== 0 && b[pb] !== 0 ? 1 : 0;
  },
  or: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] !== 0 || b[pb] !== 0 ? 1 : 0;
  },
  xor: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = (a[pa] !== 0) !== (b[pb] !== 0) ? 1 : 0;
  },
};

/** out = a op b (1 or 0) over the broadcast shape `outShape`. */
export function compare(
  op: CompareOp,
  a: Storage,
  aShape: readonly number[],
  b: Storage,
  bShape: readonly number[],
  outShape: readonly number[],
  out: Uint8Array,
): Uint8Array {
  return broadcastWalk(a, aShape, b, bShape, outShape, out, INNER[op]);
}

/** out = cond ? a : b over the broadcast shape `outShape` (cond holds 0/1). */
export function where(
  cond: Uint8Array,
  condShape: readonly number[],
  a: Storage,
  aShape: readonly number[],
  b: Storage,
  bShape: readonly number[],
  outShape: readonly number[],
  out: Storage,
): Storage {
  const n = out.length;
  if (n === 0) return out;
  if (cond.length === n && a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
    return out;
  }
  const nd = outShape.length;
  const sc = broadcastStrides(condShape, outShape);
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const run = nd === 0 ? 1 : outShape[nd - 1];
  const ic = nd === 0 ? 0 : sc[nd - 1];
  const ia = nd === 0 ? 0 : sa[nd - 1];
  const ib = nd === 0 ? 0 : sb[nd - 1];
  forEachRun(outShape, [sc, sa, sb], [0, 0, 0], (o, at) => {
    let pc = at[0];
    let pa = at[1];
    let pb = at[2];
    for (let j = 0; j < run; j++, pc += ic, pa += ia, pb += ib) out[o + j] = cond[pc] !== 0 ? a[pa] : b[pb];
  });
  return out;
}

/**
 * Inclusive scan along `axis`: out[..., i, ...] = x[..., 0, ...] op … op x[..., i, ...], the running
 * value kept in a double (so a float32 cumsum is the float64 one rounded, element by element).
 */
export function scan(op: ScanOp, x: Storage, shape: readonly number[], axis: number, out: Storage): Storage {
  const n = shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const outer = n * inner === 0 ? 0 : x.length / (n * inner);
  const prod = op === 'prod';
  for (let t = 0; t < outer; t++) {
    const base = t * n * inner;
    for (let k = 0; k < inner; k++) {
      let acc = prod ? 1 : 0;
      for (let i = 0, p = base + k; i < n; i++, p += inner) {
        acc = prod ? acc * x[p] : acc + x[p];
        out[p] = acc;
      }
    }
  }
  return out;
}
