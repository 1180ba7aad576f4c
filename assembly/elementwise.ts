/**
 * @file Elementwise float32 loops, four lanes at a time, for the ops whose JavaScript versions are
 * slow on large tensors: relu (a data-dependent branch per element in JavaScript, a
 * compare-and-mask here) and the four arithmetic ops with the broadcasts layers use
 * (same shape, a scalar side, a side that repeats along the leading axes, such as a bias).
 */

import {
  BINARY_ADD as ADD,
  BINARY_DIV as DIV,
  BINARY_MAXIMUM as MAXIMUM,
  BINARY_MAXIMUM_SLOPE as MAXIMUM_SLOPE,
  BINARY_MINIMUM as MINIMUM,
  BINARY_MINIMUM_SLOPE as MINIMUM_SLOPE,
  BINARY_MUL as MUL,
  BINARY_SUB as SUB,
  UNARY_LOG as LOG,
  UNARY_NEG as NEG,
  UNARY_RELU as RELU,
  UNARY_SIGMOID as SIGMOID,
} from '../src/kernels/abi';
import { exp4, splat } from './gelu';

/*
 * Note [float32 log]: log x as fdlibm's logf (musl's), four lanes: x = 2^k·(1 + f) with 1 + f in
 * [√½, √2) read off the bits (subnormals scaled by 2^25 first), log(1 + f) = f − ½f² + s(½f² + R(s²))
 * with s = f/(2 + f) and R fdlibm's degree-4 minimax fit, k·ln 2 split in a high part exact in
 * float32 and a low part: within 1 ulp of log x (tests/kernels-wasm.test.ts measures it against
 * float64). 0 gives −∞, negatives NaN, +∞ itself, NaN itself — as Math.log. No library call:
 * AssemblyScript's logf reads tables from static data (Note [float32 gelu] in assembly/gelu.ts).
 */
const LN2_HI: f32 = 6.9313812256e-1;
const LN2_LO: f32 = 9.0580006145e-6;
const LG1: f32 = 0.66666662693;
const LG2: f32 = 0.40000972152;
const LG3: f32 = 0.28498786688;
const LG4: f32 = 0.24279078841;

// @ts-ignore: decorator
@inline function log4(x: v128): v128 {
  // Subnormal lanes: scaled into the normal range, their exponent corrected by 25.
  const tiny = v128.and(f32x4.lt(x, splat(1.17549435e-38)), f32x4.gt(x, splat(0)));
  const xs = v128.bitselect(f32x4.mul(x, splat(33554432)), x, tiny);
  const k0 = v128.and(tiny, splat(-25));
  let ix = i32x4.add(xs, i32x4.splat(0x3f800000 - 0x3f3504f3));
  const k = f32x4.add(f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_s(ix, 23), i32x4.splat(0x7f))), k0);
  ix = i32x4.add(v128.and(ix, i32x4.splat(0x007fffff)), i32x4.splat(0x3f3504f3));
  const f = f32x4.sub(ix, splat(1));
  const s = f32x4.div(f, f32x4.add(splat(2), f));
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, f32x4.add(splat(LG2), f32x4.mul(w, splat(LG4))));
  const t2 = f32x4.mul(z, f32x4.add(splat(LG1), f32x4.mul(w, splat(LG3))));
  const r = f32x4.add(t2, t1);
  const hfsq = f32x4.mul(f32x4.mul(splat(0.5), f), f);
  let y = f32x4.add(f32x4.mul(s, f32x4.add(hfsq, r)), f32x4.mul(k, splat(LN2_LO)));
  y = f32x4.add(f32x4.add(f32x4.sub(y, hfsq), f), f32x4.mul(k, splat(LN2_HI)));
  // x = 0: −∞; x < 0: NaN; +∞ and NaN: x itself.
  y = v128.bitselect(splat(-Infinity), y, f32x4.eq(x, splat(0)));
  y = v128.bitselect(splat(NaN), y, f32x4.lt(x, splat(0)));
  return v128.bitselect(x, y, v128.or(f32x4.ne(x, x), f32x4.eq(x, splat(Infinity))));
}

/**
 * σ(x) per lane as the TypeScript kernel's stableSigmoid: 1/(1 + e) for x ≥ 0, e/(1 + e) below, with
 * e = e^(−|x|) ≤ 1 (exp4, within 2 ulp: Note [float32 gelu]; squared from e^(−|x|/2) where the
 * result is subnormal); NaN stays NaN.
 */
// @ts-ignore: decorator
@inline function sigmoid4(x: v128): v128 {
  const v = f32x4.neg(f32x4.abs(x));
  // exp4 gives 0 below −87.3, where σ(x) = e^x is still a subnormal float32 (down to x ≈ −103.9):
  // there e^x = (e^(x/2))², both halves in exp4's range.
  const half = exp4(f32x4.mul(v, splat(0.5)));
  const e = v128.bitselect(f32x4.mul(half, half), exp4(v), f32x4.lt(v, splat(-80)));
  const r = f32x4.div(splat(1), f32x4.add(splat(1), e));
  const y = v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, splat(0)));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

// @ts-ignore: decorator
@inline function unary4(op: i32, v: v128): v128 {
  if (op == RELU) return v128.and(v, v128.or(f32x4.gt(v, splat(0)), f32x4.ne(v, v)));
  if (op == NEG) return f32x4.neg(v);
  if (op == LOG) return log4(v);
  return sigmoid4(v);
}

/**
 * y = op(x) over n elements: relu (NaN propagates, as in PyTorch: relu(NaN) = NaN; −0 gives 0), neg,
 * log (Note [float32 log]) and sigmoid. A tail shorter than a vector runs through a vector of its
 * own, so every element is computed by the same lanes' code.
 */
export function unaryOp(op: i32, x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, unary4(op, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(unary4(op, f32x4.splat(load<f32>(x + o))), 0));
  }
}

/**
 * The TypeScript kernels' expressions lane by lane (src/kernels/js/elementwise.ts), so both give the
 * same bits: maximum and minimum keep a NaN of either side and otherwise pick as `x > y || x ≠ x ?
 * x : y` does (so of 0 and −0 the second), not as f32x4.max; their slopes are 0 where x loses, ½ on a
 * tie, else 1 (with a NaN on either side too: PyTorch's derivative).
 */
// @ts-ignore: decorator
@inline function apply4(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == DIV) return f32x4.div(a, b);
  if (op == MAXIMUM) return v128.bitselect(a, b, v128.or(f32x4.gt(a, b), f32x4.ne(a, a)));
  if (op == MINIMUM) return v128.bitselect(a, b, v128.or(f32x4.lt(a, b), f32x4.ne(a, a)));
  // 0 where x loses, ½ on a tie, else 1 (NaN on either side too, as PyTorch's derivative).
  const loses = op == MAXIMUM_SLOPE ? f32x4.lt(a, b) : f32x4.gt(a, b);
  return v128.bitselect(f32x4.splat(0.5), v128.andnot(f32x4.splat(1), loses), f32x4.eq(a, b));
}

// @ts-ignore: decorator
@inline function apply1(op: i32, a: f32, b: f32): f32 {
  if (op == ADD) return a + b;
  if (op == SUB) return a - b;
  if (op == MUL) return a * b;
  if (op == DIV) return a / b;
  if (op == MAXIMUM) return a > b || a != a ? a : b;
  if (op == MINIMUM) return a < b || a != a ? a : b;
  if (op == MAXIMUM_SLOPE) return a < b ? 0 : a == b ? 0.5 : 1;
  return a > b ? 0 : a == b ? 0.5 : 1;
}

/** y[i] = a[i] op b[i] for i in [0, n), a and b contiguous. */
function sameShape(op: i32, a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, apply4(op, v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, apply1(op, load<f32>(a + o), load<f32>(b + o)));
  }
}

/**
 * y[i] = a[i mod na] op b[i mod nb] for i in [0, n): each side is the whole tensor (n), a scalar (1)
 * or a block that repeats along the leading axes (na or nb divides n).
 */
export function binaryOp(op: i32, a: usize, na: i32, b: usize, nb: i32, y: usize, n: i32): void {
  if (na == n && nb == n) {
    sameShape(op, a, b, y, n);
  } else if (nb == 1 || na == 1) {
    const s = nb == 1 ? load<f32>(b) : load<f32>(a);
    const sv = f32x4.splat(s);
    const v = nb == 1 ? a : b;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(v + o);
      v128.store(y + o, nb == 1 ? apply4(op, x, sv) : apply4(op, sv, x));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const x = load<f32>(v + o);
      store<f32>(y + o, nb == 1 ? apply1(op, x, s) : apply1(op, s, x));
    }
  } else {
    // One side repeats: walk the output in blocks of its length.
    const block = min(na, nb);
    for (let base = 0; base < n; base += block) {
      const o = <usize>base << 2;
      sameShape(op, na == n ? a + o : a, nb == n ? b + o : b, y + o, block);
    }
  }
}
