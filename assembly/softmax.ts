/**
 * @file softmax's forward and backward on float32 rows, four lanes at a time (Note [fused softmax] in
 * src/ops/softmax.ts): each row's max, e^(x − max) with exp4 (assembly/gelu.ts, Note [float32 gelu];
 * NaN lanes kept NaN here), their sum in four float32 lanes, then the scaling; the backward's
 * Σ gy·y likewise. Rows are contiguous (the axis is the last); a row's tail past a multiple of 4
 * runs one lane at a time.
 */
import { exp4 } from './gelu';

/** e^v per lane, NaN for NaN (exp4 itself leaves NaN to its callers). */
// @ts-ignore: decorator
@inline function expNaN(v: v128): v128 {
  return v128.bitselect(v, exp4(v), f32x4.ne(v, v));
}

/** The scalar e^v of one lane, through the same vector code so a row's tail rounds as its body. */
// @ts-ignore: decorator
@inline function exp1(v: f32): f32 {
  return f32x4.extract_lane(expNaN(f32x4.splat(v)), 0);
}

/** The max of the row of n float32 at px; NaN if the row holds one (f32x4.max propagates NaN to every lane). */
// @ts-ignore: decorator
@inline function rowMax(px: usize, n: i32): f32 {
  const body = n & ~3;
  let mv = f32x4.splat(-Infinity);
  for (let j = 0; j < body; j += 4) mv = f32x4.max(mv, v128.load(px + (<usize>j << 2)));
  const m2 = f32x4.max(mv, v128.shuffle<f32>(mv, mv, 2, 3, 0, 1));
  let ms = f32x4.extract_lane(f32x4.max(m2, v128.shuffle<f32>(m2, m2, 1, 0, 3, 2)), 0);
  for (let j = body; j < n; j++) {
    const v = load<f32>(px + (<usize>j << 2));
    if (v > ms || v != v) ms = v;
  }
  return ms;
}

/** Lanes 2 and 3 of four float32 as two float64 (f64x2.promote_low_f32x4 gives lanes 0 and 1). */
// @ts-ignore: decorator
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

export function softmaxRows(x: usize, y: usize, rows: i32, n: i32): void {
  const body = n & ~3;
  for (let r = 0; r < rows; r++) {
    const px = x + ((<usize>r * <usize>n) << 2);
    const py = y + ((<usize>r * <usize>n) << 2);
    const ms = rowMax(px, n);
    const m = f32x4.splat(ms);
    let sv = f32x4.splat(0);
    for (let j = 0; j < body; j += 4) {
      const e = expNaN(f32x4.sub(v128.load(px + (<usize>j << 2)), m));
      v128.store(py + (<usize>j << 2), e);
      sv = f32x4.add(sv, e);
    }
    let total: f32 = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
    for (let j = body; j < n; j++) {
      const e = exp1(load<f32>(px + (<usize>j << 2)) - ms);
      store<f32>(py + (<usize>j << 2), e);
      total += e;
    }
    const scale: f32 = 1 / total;
    const s = f32x4.splat(scale);
    for (let j = 0; j < body; j += 4) v128.store(py + (<usize>j << 2), f32x4.mul(v128.load(py + (<usize>j << 2)), s));
    for (let j = body; j < n; j++) store<f32>(py + (<usize>j << 2), load<f32>(py + (<usize>j << 2)) * scale);
  }
}

export function softmaxRowsBackward(gy: usize, y: usize, gx: usize, rows: i32, n: i32): void {
  const body = n & ~3;
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * <usize>n) << 2;
    let dv = f32x4.splat(0);
    for (let j = 0; j < body; j += 4) {
      const p = o + (<usize>j << 2);
      dv = f32x4.add(dv, f32x4.mul(v128.load(gy + p), v128.load(y + p)));
    }
    let dot: f32 = f32x4.extract_lane(dv, 0) + f32x4.extract_lane(dv, 1) + (f32x4.extract_lane(dv, 2) + f32x4.extract_lane(dv, 3));
    for (let j = body; j < n; j++) {
      const p = o + (<usize>j << 2);
      dot += load<f32>(gy + p) * load<f32>(y + p);
    }
    const d = f32x4.splat(dot);
    for (let j = 0; j < body; j += 4) {
      const p = o + (<usize>j << 2);
      const yv = v128.load(y + p);
      v128.store(gx + p, f32x4.mul(yv, f32x4.sub(v128.load(gy + p), d)));
    }
    for (let j = body; j < n; j++) {
      const p = o + (<usize>j << 2);
      store<f32>(gx + p, load<f32>(y + p) * (load<f32>(gy + p) - dot));
    }
  }
}

const LN2: f64 = 0.6931471805599453;
const SQRT2: f64 = 1.4142135623730951;

/**
 * ln s for a row's Σ e^(x − max), which lies in [1, n] (its max term is exp4(0) = 1 exactly, the
 * others are ≥ 0: never zero, never subnormal): table-free (Note [no static data in the kernels]),
 * s = 2^e·f with f in [√½, √2), ln f = 2·atanh z for z = (f − 1)/(f + 1), |z| ≤ 3 − 2√2 ≈ 0.172,
 * its series to z^15 (the first term left out is about 3.3e-14 of the sum).
 */
// @ts-ignore: decorator
@inline function logOfSum(s: f64): f64 {
  const bits = reinterpret<u64>(s);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let f = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (f > SQRT2) {
    f *= 0.5;
    e += 1;
  }
  const z = (f - 1) / (f + 1);
  const z2 = z * z;
  const series = 2.0 / 13.0 + z2 * (2.0 / 15.0);
  const p = 2.0 + z2 * (2.0 / 3.0 + z2 * (2.0 / 5.0 + z2 * (2.0 / 7.0 + z2 * (2.0 / 9.0 + z2 * (2.0 / 11.0 + z2 * series)))));
  return <f64>e * LN2 + z * p;
}

/**
 * Note [float32 log-softmax]: y = (x − max) − ln Σ e^(x − max) on float32 rows, four lanes at a
 * time: the max as softmaxRows', e^(x − max) with exp4 (its argument rounded to float32, within
 * 2 ulp), their sum in two float64 lanes, ln of it in float64 (logOfSum), and each y = (x − max) −
 * lse formed in float64 in that order — the TypeScript kernel's, so a large max cancels exactly and
 * a −0 max gives +0 — and rounded once. A row whose max is not finite — a NaN, an +∞, a row of −∞ —
 * is NaN throughout, as the float64 kernel's formula makes it. tests/softmax-fused.test.ts bounds
 * the error against a float64 reference.
 */
export function logSoftmaxRows(x: usize, y: usize, rows: i32, n: i32): void {
  const body = n & ~3;
  for (let r = 0; r < rows; r++) {
    const px = x + ((<usize>r * <usize>n) << 2);
    const py = y + ((<usize>r * <usize>n) << 2);
    const ms = rowMax(px, n);
    if (!isFinite(ms)) {
      for (let j = 0; j < n; j++) store<f32>(py + (<usize>j << 2), NaN);
      continue;
    }
    const m = f32x4.splat(ms);
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let j = 0; j < body; j += 4) {
      const e = exp4(f32x4.sub(v128.load(px + (<usize>j << 2)), m));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, promoteHigh(e));
    }
    const both = f64x2.add(lo, hi);
    let total = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
    for (let j = body; j < n; j++) {
      total += <f64>f32x4.extract_lane(exp4(f32x4.splat(load<f32>(px + (<usize>j << 2)) - ms)), 0);
    }
    const lse = logOfSum(total);
    const md = f64x2.splat(<f64>ms);
    const ld = f64x2.splat(lse);
    for (let j = 0; j < body; j += 4) {
      const v = v128.load(px + (<usize>j << 2));
      const a = f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v), md), ld);
      const b = f64x2.sub(f64x2.sub(promoteHigh(v), md), ld);
      v128.store(py + (<usize>j << 2), v128.shuffle<f32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5));
    }
    for (let j = body; j < n; j++) store<f32>(py + (<usize>j << 2), <f32>(<f64>load<f32>(px + (<usize>j << 2)) - <f64>ms - lse));
  }
}

/** gx = gy − e^y · Σ gy along rows of n: log-softmax's vector-Jacobian product (Σ gy in float64). */
export function logSoftmaxRowsBackward(gy: usize, y: usize, gx: usize, rows: i32, n: i32): void {
  const body = n & ~3;
  for (let r = 0; r < rows; r++) {
    const o = (<usize>r * <usize>n) << 2;
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    for (let j = 0; j < body; j += 4) {
      const g = v128.load(gy + o + (<usize>j << 2));
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(g));
      hi = f64x2.add(hi, promoteHigh(g));
    }
    const both = f64x2.add(lo, hi);
    let total = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
    for (let j = body; j < n; j++) total += <f64>load<f32>(gy + o + (<usize>j << 2));
    const t32 = <f32>total;
    const t = f32x4.splat(t32);
    for (let j = 0; j < body; j += 4) {
      const p = o + (<usize>j << 2);
      v128.store(gx + p, f32x4.sub(v128.load(gy + p), f32x4.mul(expNaN(v128.load(y + p)), t)));
    }
    for (let j = body; j < n; j++) {
      const p = o + (<usize>j << 2);
      store<f32>(gx + p, load<f32>(gy + p) - exp1(load<f32>(y + p)) * t32);
    }
  }
}
