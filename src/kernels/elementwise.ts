/**
 * @file Elementwise loops on typed arrays in TypeScript: named maps and NumPy-broadcast binary ops
 * (the `Kernels.unary` / `Kernels.binary` contract), and the closure forms that masks use.
 */
import type { Storage } from '../tensor/dtype';
import { broadcastStrides } from '../tensor/shape';
import type { BinaryOp, UnaryOp } from './kernels';

/** 1 / (1 + e^-v) without overflow for large |v|. */
function stableSigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/**
 * What each unary op computes. relu propagates NaN and its mask passes the gradient there, as
 * PyTorch's relu and threshold_backward do: hiding a NaN is worse than showing it.
 */
export const UNARY: Readonly<Record<UnaryOp, (v: number) => number>> = {
  neg: (v) => -v,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: Math.sign,
  relu: (v) => (v > 0 || v !== v ? v : 0),
  positive: (v) => (v > 0 || v !== v ? 1 : 0),
  tanh: Math.tanh,
  sigmoid: stableSigmoid,
};

/** What each binary op computes; maximum and minimum propagate NaN, as NumPy and PyTorch do. */
export const BINARY: Readonly<Record<BinaryOp, (x: number, y: number) => number>> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  pow: Math.pow,
  maximum: (x, y) => (x > y || x !== x ? x : y),
  minimum: (x, y) => (x < y || x !== x ? x : y),
};

/** out[i] = f(x[i]). */
export function map(x: Storage, out: Storage, f: (v: number) => number): Storage {
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

/**
 * out[i] = f(a[ia], b[ib]) over the broadcast shape. Same shapes and a scalar side take flat loops;
 * otherwise an odometer walks the outer axes and the innermost axis runs as a strided loop.
 */
export function binaryWith(a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[],
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

export function unary(op: UnaryOp, x: Storage, out: Storage): Storage {
  return map(x, out, UNARY[op]);
}

export function binary(op: BinaryOp, a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[],
  outShape: readonly number[], out: Storage): Storage {
  return binaryWith(a, aShape, b, bShape, outShape, out, BINARY[op]);
}
