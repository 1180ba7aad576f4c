/**
 * @file Elementwise loops on typed arrays in TypeScript: named maps and NumPy-broadcast binary ops
 * (the `Kernels.unary` / `Kernels.binary` contract), and the closure forms that masks use.
 */
import type { Storage } from '../../tensor/dtype';
import { broadcastStrides } from '../../tensor/shape';
import type { BinaryOp, UnaryOp } from '../kernels';
import { erf, erfc, roundHalfEven } from './special';
import { forEachRun } from './strided';

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
  tanh: Math.tanh,
  sigmoid: stableSigmoid,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  erf,
  erfc,
  log1p: Math.log1p,
  expm1: Math.expm1,
  log2: Math.log2,
  log10: Math.log10,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  trunc: Math.trunc,
};

/** C's fmod, the remainder with the dividend's sign; Python's %, with the divisor's sign (PyTorch's remainder). */
function remainder(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

/** What each binary op computes; maximum and minimum propagate NaN, as NumPy and PyTorch do. */
export const BINARY: Readonly<Record<BinaryOp, (x: number, y: number) => number>> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  pow: Math.pow,
  maximum: (x, y) => (x > y || x !== x ? x : y),
  minimum: (x, y) => (x < y || x !== x ? x : y),
  maximumSlope: (x, y) => (x < y ? 0 : x === y ? 0.5 : 1),
  minimumSlope: (x, y) => (x > y ? 0 : x === y ? 0.5 : 1),
  atan2: Math.atan2,
  fmod: (x, y) => x % y,
  remainder,
};

/** out[i] = f(x[i]). */
export function map(x: Storage, out: Storage, f: (v: number) => number): Storage {
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

/** out[i] = f(a[ia], b[ib]) over the broadcast shape (broadcastWalk below). */
export function binaryWith(
  a: Storage,
  aShape: readonly number[],
  b: Storage,
  bShape: readonly number[],
  outShape: readonly number[],
  out: Storage,
  f: (x: number, y: number) => number,
): Storage {
  return broadcastWalk(a, aShape, b, bShape, outShape, out, (o, o0, x, pa, ia, y, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) o[o0 + j] = f(x[pa], y[pb]);
  });
}

/**
 * Note [monomorphic loops]: a loop calling `f(x)` for a closure that differs from call to call
 * (one per op) is megamorphic in V8, a call per element. The hottest ops get loops of their own, so
 * each inner loop is one straight-line expression; the rest go through the closure forms above.
 */
export function unary(op: UnaryOp, x: Storage, out: Storage): Storage {
  const n = x.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return out;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
      return out;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
      return out;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
      return out;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      return out;
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        out[i] = v > 0 || v !== v ? v : 0;
      }
      return out;
    default:
      return map(x, out, UNARY[op]);
  }
}

/**
 * relu's backward in one pass: g[i] times relu's mask (1 where x[i] > 0 or is NaN),
 * as the product of g and the mask was. The mask is formed without a branch: x's signs are random,
 * and a mispredicted branch per element tripled the loop's time.
 */
export function maskPositive(g: Storage, x: Storage, out: Storage): Storage {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    // !(v <= 0): true for v > 0 and for NaN, in one comparison.
    out[i] = g[i] * Number(!(v <= 0));
  }
  return out;
}

/** out[o + j] = a[pa + j·ia] op b[pb + j·ib] for j < n: one monomorphic inner loop per arithmetic op. */
/** One run of a broadcast binary loop: n outputs from a (stride ia from pa) and b (stride ib from pb). */
export type Inner<O = Storage> = (
  out: O,
  o: number,
  a: Storage,
  pa: number,
  ia: number,
  b: Storage,
  pb: number,
  ib: number,
  n: number,
) => void;
const INNER: Partial<Record<BinaryOp, Inner>> = {
  add: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] + b[pb];
  },
  sub: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] - b[pb];
  },
  mul: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] * b[pb];
  },
  div: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) out[o + j] = a[pa] / b[pb];
  },
  // maximum and minimum clamp every binary cross-entropy's logarithms, and their slopes route its gradient.
  maximum: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) {
      const x = a[pa];
      const y = b[pb];
      out[o + j] = x > y || x !== x ? x : y;
    }
  },
  minimum: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) {
      const x = a[pa];
      const y = b[pb];
      out[o + j] = x < y || x !== x ? x : y;
    }
  },
  maximumSlope: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) {
      const x = a[pa];
      const y = b[pb];
      out[o + j] = x < y ? 0 : x === y ? 0.5 : 1;
    }
  },
  minimumSlope: (out, o, a, pa, ia, b, pb, ib, n) => {
    for (let j = 0; j < n; j++, pa += ia, pb += ib) {
      const x = a[pa];
      const y = b[pb];
      out[o + j] = x > y ? 0 : x === y ? 0.5 : 1;
    }
  },
};

export function binary(
  op: BinaryOp,
  a: Storage,
  aShape: readonly number[],
  b: Storage,
  bShape: readonly number[],
  outShape: readonly number[],
  out: Storage,
): Storage {
  const inner = INNER[op];
  if (inner === undefined) return binaryWith(a, aShape, b, bShape, outShape, out, BINARY[op]);
  return broadcastWalk(a, aShape, b, bShape, outShape, out, inner);
}

/**
 * Walks the broadcast output in runs along its last axis and hands each run to `inner`: the whole
 * output for same shapes or a scalar side, else an odometer over the outer axes with each side's
 * offset stepped by its broadcast strides (0 along broadcast axes).
 */
export function broadcastWalk<O extends Storage>(
  a: Storage,
  aShape: readonly number[],
  b: Storage,
  bShape: readonly number[],
  outShape: readonly number[],
  out: O,
  inner: Inner<O>,
): O {
  const n = out.length;
  if (n === 0) return out;
  if (a.length === n && b.length === n) {
    inner(out, 0, a, 0, 1, b, 0, 1, n);
    return out;
  }
  if (b.length === 1 && a.length === n) {
    inner(out, 0, a, 0, 1, b, 0, 0, n);
    return out;
  }
  if (a.length === 1 && b.length === n) {
    inner(out, 0, a, 0, 0, b, 0, 1, n);
    return out;
  }
  const nd = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const run = outShape[nd - 1];
  const ia = sa[nd - 1];
  const ib = sb[nd - 1];
  forEachRun(outShape, [sa, sb], [0, 0], (o, at) => inner(out, o, a, at[0], ia, b, at[1], ib, run));
  return out;
}
