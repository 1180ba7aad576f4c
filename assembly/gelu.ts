/**
 * @file GELU's forward and backward on float32, four lanes at a time (Note [fused gelu] in
 * src/ops/activations.ts): the exact form x·Φ(x) and the tanh approximation, each as one pass.
 *
 * Note [float32 gelu]: no library Math function is called: AssemblyScript's expf reads lookup tables
 * from static data, which the serial arena (from byte 64) overwrites. Everything is built on exp4, a
 * Cody–Waite range reduction (x = n·ln 2 + r, |r| ≤ ½ ln 2, ln 2 split so n·LN2_HI is exact, n
 * rounded by adding 1.5·2²³) and e^r's Taylor polynomial to degree 7 (truncation below 6e-9
 * relative), scaled by 2ⁿ through the exponent bits: within 2 ulp. The polynomials' Horner steps
 * are `madd` (assembly/simd.ts): one fused multiply-add in the relaxed build — a quarter fewer
 * instructions for GELU's two exponentials and erfc fit, whose loop is bound by their count (exact
 * GELU 9.3 → 6.9 ns an element on one thread, measured old against new in one process) — and a
 * multiply then an add, as before, in the plain build. Either stays within the bounds the tests
 * state; each variant's serial build has the same code (Note [serial arena] in
 * src/kernels/wasm/runtime.ts), so a call gives the same bits on one thread or several.
 *
 * Φ(x) is ½·erfc(−x/√2), with erfc(z) for z ≥ 0 from the Chebyshev fit of Numerical Recipes (erfcc:
 * t·e^(−z² − 1.26551223 + P(t)), t = 1/(1 + z/2), fractional error below 1.2e-7 everywhere), so Φ
 * keeps its relative accuracy far into the negative tail, where 1 + erf would cancel. There e^(−z²)
 * = e^(−x²/2) is split as e^(−xh²/2)·e^((xh − x)(xh + x)/2) with xh the top 12 bits of x: xh² is
 * exact in float32, so neither the rounding of z = x/√2 nor that of x² (each z²·2⁻²⁴ relative in
 * the result, 8e-6 at z = 8) reaches it; the same e^(−x²/2) is the backward's density φ. The tanh
 * form uses ½(1 + tanh u) = σ(2u), which has no cancellation either. tests/gelu-wasm.test.ts bounds
 * the errors against a float64 reference.
 *
 * The last vector of a call may run past n: its extra lanes read and write the rest of the
 * operands' reservations, which the arena rounds up to 64 bytes (src/kernels/wasm/runtime.ts).
 */
import { madd } from './simd';

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
/** 1/√2, 1/√(2π), and the tanh form's √(2/π) and cubic coefficient (PyTorch's kBeta and kKappa). */
const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
const BETA: f32 = 0.7978845608028654;
const KAPPA: f32 = 0.044715;

// @ts-ignore: decorator
@inline export function splat(v: f32): v128 {
  return f32x4.splat(v);
}

/** 1.5·2²³: adding it rounds a float below 2²² to an integer, held in the low bits of its mantissa. */
const ROUND: f32 = 12582912.0;

/**
 * e^v per lane for v ≤ 1 (every caller's argument is at most 0 or within rounding of it): 0 below
 * −87.3. A NaN lane gives a number, not NaN: every caller multiplies the result by x, which carries it.
 */
// @ts-ignore: decorator
@inline export function exp4(v: v128): v128 {
  const c = f32x4.pmax(splat(-87.3), v);
  const k = f32x4.add(f32x4.mul(c, splat(LOG2E)), splat(ROUND));
  const n = f32x4.sub(k, splat(ROUND));
  const r = f32x4.sub(f32x4.sub(c, f32x4.mul(n, splat(LN2_HI))), f32x4.mul(n, splat(LN2_LO)));
  let p = madd(r, splat(1.0 / 5040.0), splat(1.0 / 720.0));
  p = madd(r, p, splat(1.0 / 120.0));
  p = madd(r, p, splat(1.0 / 24.0));
  p = madd(r, p, splat(1.0 / 6.0));
  p = madd(r, p, splat(0.5));
  p = madd(r, p, splat(1.0));
  p = madd(r, p, splat(1.0));
  // 2ⁿ from n's integer bits in k (n within [−126, 2]).
  const scale = i32x4.shl(i32x4.add(i32x4.sub(k, splat(ROUND)), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(v, splat(-87.3)));
}

/** e^d for |d| ≤ 0.1 (gauss's small factor): Taylor to d⁵, truncation below 2e-9 relative. */
// @ts-ignore: decorator
@inline function expSmall(d: v128): v128 {
  let p = madd(d, splat(1.0 / 120.0), splat(1.0 / 24.0));
  p = madd(d, p, splat(1.0 / 6.0));
  p = madd(d, p, splat(0.5));
  p = madd(d, p, splat(1.0));
  return madd(d, p, splat(1.0));
}

/**
 * e^(−x²/2) per lane, split as e^(−xh²/2)·e^((xh − x)(xh + x)/2) with xh the top 12 bits of x
 * (Note [float32 gelu]); |x| is capped at 10√2 (the result is below 1e-43 there), so that
 * |(xh − x)(xh + x)/2| ≤ x²·2⁻¹¹ < 0.1.
 */
// @ts-ignore: decorator
@inline function gauss(x: v128): v128 {
  const a = f32x4.pmin(f32x4.abs(x), splat(14.142135));
  const ah = v128.and(a, i32x4.splat(0xfffff000));
  const d = f32x4.mul(f32x4.mul(f32x4.sub(ah, a), f32x4.add(ah, a)), splat(0.5));
  return f32x4.mul(exp4(f32x4.mul(f32x4.mul(ah, ah), splat(-0.5))), expSmall(d));
}

/** Φ(x) = ½·erfc(−x/√2) per lane from erfc(z), z = |x|/√2 ≥ 0, so without cancellation for x < 0. */
// @ts-ignore: decorator
@inline function normalCdf(x: v128, density: v128): v128 {
  const z = f32x4.pmin(f32x4.mul(f32x4.abs(x), splat(SQRT1_2)), splat(10));
  const t = f32x4.div(splat(1), f32x4.add(splat(1), f32x4.mul(splat(0.5), z)));
  let p = madd(t, splat(0.17087277), splat(-0.82215223));
  p = madd(t, p, splat(1.48851587));
  p = madd(t, p, splat(-1.13520398));
  p = madd(t, p, splat(0.27886807));
  p = madd(t, p, splat(-0.18628806));
  p = madd(t, p, splat(0.09678418));
  p = madd(t, p, splat(0.37409196));
  p = madd(t, p, splat(1.00002368));
  p = madd(t, p, splat(-1.26551223));
  // erfc(z) = t·e^(−z²)·e^(P(t)), e^(−z²) = e^(−x²/2) the density the caller computed.
  const half = f32x4.mul(f32x4.mul(splat(0.5), t), f32x4.mul(density, exp4(p)));
  return v128.bitselect(f32x4.sub(splat(1), half), half, f32x4.ge(x, splat(0)));
}

/**
 * σ(2u) = ½(1 + tanh u) for the tanh form's u = √(2/π)(x + 0.044715x³), as 1/(1 + e) for u ≥ 0 and
 * e/(1 + e) for u < 0 with e = e^(−2|u|) ≤ 1: no overflow, and no underflow before σ's own.
 */
// @ts-ignore: decorator
@inline function tanhGate(x: v128): v128 {
  const u = f32x4.mul(splat(BETA), f32x4.add(x, f32x4.mul(splat(KAPPA), f32x4.mul(x, f32x4.mul(x, x)))));
  const e = exp4(f32x4.mul(splat(-2), f32x4.abs(u)));
  const r = f32x4.div(splat(1), f32x4.add(splat(1), e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(u, splat(0)));
}

/** gelu(v) per lane; approximate 1: the tanh form, 0: exact. */
// @ts-ignore: decorator
@inline function geluOf(approximate: i32, v: v128): v128 {
  return f32x4.mul(v, approximate == 1 ? tanhGate(v) : normalCdf(v, gauss(v)));
}

/**
 * gelu'(v) per lane: exact, Φ(x) + x·φ(x); tanh form, with s = σ(2u),
 * s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²).
 */
// @ts-ignore: decorator
@inline function geluSlope(approximate: i32, v: v128): v128 {
  if (approximate == 1) return tanhSlope(v, tanhGate(v));
  const density = gauss(v);
  return exactSlope(v, normalCdf(v, density), density);
}

/** The tanh form's gelu'(v) from s = σ(2u): s + 2v·s(1 − s)·√(2/π)(1 + 3·0.044715v²). */
// @ts-ignore: decorator
@inline function tanhSlope(v: v128, s: v128): v128 {
  const du = f32x4.mul(splat(BETA), f32x4.add(splat(1), f32x4.mul(splat(3 * KAPPA), f32x4.mul(v, v))));
  const ds = f32x4.mul(f32x4.mul(s, f32x4.sub(splat(1), s)), du);
  return f32x4.add(s, f32x4.mul(f32x4.add(v, v), ds));
}

/** The exact form's gelu'(v) = Φ(v) + v·φ(v) from Φ(v) and the density e^(−v²/2). */
// @ts-ignore: decorator
@inline function exactSlope(v: v128, cdf: v128, density: v128): v128 {
  return f32x4.add(cdf, f32x4.mul(v, f32x4.mul(splat(INV_SQRT_2PI), density)));
}

/*
 * Note [two vectors an iteration]: each lane's GELU is a long chain of dependent operations (two
 * exponentials' polynomials, erfc's ten-term fit, a division), so one vector an iteration leaves the
 * core waiting on latencies; the loops below take two independent vectors an iteration, which the
 * core runs side by side. Every lane is computed by the same operations as before: the same bits.
 */

/**
 * y = gelu(x) over n elements; approximate 1: the tanh form, 0: exact. With slope ≠ 0 also
 * slope = gelu'(x) (Note [saved gelu slope] in src/ops/activations.ts), from the same Φ(x) and
 * density — or σ(2u) — as y: the very operations geluSlope does, so the same bits as geluBackward's.
 */
export function geluForward(approximate: i32, x: usize, y: usize, slope: usize, n: i32): void {
  if (slope != 0) {
    geluForwardWithSlope(approximate, x, y, slope, n);
    return;
  }
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const y0 = geluOf(approximate, v128.load(x + o));
    const y1 = geluOf(approximate, v128.load(x + o, 16));
    v128.store(y + o, y0);
    v128.store(y + o, y1, 16);
  }
  for (; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, geluOf(approximate, v128.load(x + o)));
  }
}

/** gelu(v) into y and gelu'(v) into slope at o, sharing Φ(v) and the density (or σ(2u)). */
// @ts-ignore: decorator
@inline function valueAndSlope(approximate: i32, v: v128, y: usize, slope: usize, o: usize): void {
  if (approximate == 1) {
    const s = tanhGate(v);
    v128.store(y + o, f32x4.mul(v, s));
    v128.store(slope + o, tanhSlope(v, s));
    return;
  }
  const density = gauss(v);
  const cdf = normalCdf(v, density);
  v128.store(y + o, f32x4.mul(v, cdf));
  v128.store(slope + o, exactSlope(v, cdf, density));
}

function geluForwardWithSlope(approximate: i32, x: usize, y: usize, slope: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    valueAndSlope(approximate, v128.load(x + o), y, slope, o);
    valueAndSlope(approximate, v128.load(x + o + 16), y, slope, o + 16);
  }
  for (; i < n; i += 4) {
    const o = <usize>i << 2;
    valueAndSlope(approximate, v128.load(x + o), y, slope, o);
  }
}

/** gx = gy · gelu'(x) over n elements (geluSlope). */
export function geluBackward(approximate: i32, gy: usize, x: usize, gx: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const d0 = geluSlope(approximate, v128.load(x + o));
    const d1 = geluSlope(approximate, v128.load(x + o, 16));
    v128.store(gx + o, f32x4.mul(v128.load(gy + o), d0));
    v128.store(gx + o, f32x4.mul(v128.load(gy + o, 16), d1), 16);
  }
  for (; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(gx + o, f32x4.mul(v128.load(gy + o), geluSlope(approximate, v128.load(x + o))));
  }
}
