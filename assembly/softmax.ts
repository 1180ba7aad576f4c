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

export function softmaxRows(x: usize, y: usize, rows: i32, n: i32): void {
  const body = n & ~3;
  for (let r = 0; r < rows; r++) {
    const px = x + ((<usize>r * <usize>n) << 2);
    const py = y + ((<usize>r * <usize>n) << 2);
    let mv = f32x4.splat(-Infinity);
    for (let j = 0; j < body; j += 4) mv = f32x4.max(mv, v128.load(px + (<usize>j << 2)));
    // f32x4.max propagates NaN, so a NaN anywhere in the body reaches every lane of the reduction.
    const m2 = f32x4.max(mv, v128.shuffle<f32>(mv, mv, 2, 3, 0, 1));
    let ms = f32x4.extract_lane(f32x4.max(m2, v128.shuffle<f32>(m2, m2, 1, 0, 3, 2)), 0);
    for (let j = body; j < n; j++) {
      const v = load<f32>(px + (<usize>j << 2));
      if (v > ms || v != v) ms = v;
    }
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
