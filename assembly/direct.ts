/**
 * @file Direct convolution for the geometries src/kernels/js/conv.ts sends down its direct path (one
 * output channel per group: single-channel signals, depthwise layers), where im2col + GEMM would
 * be a matrix-vector product over a column matrix as big as the arithmetic. Column stride 1 only.
 *
 * Forward: 32 outputs of a row stay in eight f32x4 registers while every tap (channel, kernel row,
 * kernel column) adds w·x[ow + j·dW − pW …] with unaligned vector loads; columns where some tap
 * would read padding are done one by one with bounds checks. The same kernel with the kernel planes
 * flipped is the input gradient (a stride-1 transposed convolution is a correlation of gy with the
 * flipped kernel, padded by (k−1)·d − p). Weight gradient: eight taps at a time, each a dot product
 * of an output row of gy with a shifted input row, vectorised along the row.
 *
 * Work is split by output rows or column ranges (forward) and by blocks of taps (weight gradient),
 * so a single long signal still spreads over threads.
 */
import { madd } from './simd';
import {
  GEO_DIL_H, GEO_DIL_W, GEO_GROUPS, GEO_IN_C, GEO_IN_H, GEO_IN_W, GEO_K_H, GEO_K_W, GEO_OUT_C, GEO_OUT_H, GEO_OUT_W,
  GEO_PAD_H, GEO_PAD_W, GEO_STRIDE_H,
} from '../src/kernels/abi';

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * y = correlation of x with w (+ bias) for output rows [r0, r1) — r = (n·outC + k)·outH + oh — and
 * columns [ow0, ow1). Output channel k reads the cg input channels of its group. With `flip`, each
 * kernel plane is read rotated by 180°. bias = 0: none.
 */
export function directForward(geo: usize, x: usize, w: usize, bias: usize, y: usize, r0: i32, r1: i32,
  ow0: i32, ow1: i32, flip: i32, work: usize): void {
  const inC = load<i32>(geo, GEO_IN_C);
  const inH = load<i32>(geo, GEO_IN_H);
  const inW = load<i32>(geo, GEO_IN_W);
  const outC = load<i32>(geo, GEO_OUT_C);
  const outH = load<i32>(geo, GEO_OUT_H);
  const outW = load<i32>(geo, GEO_OUT_W);
  const kH = load<i32>(geo, GEO_K_H);
  const kW = load<i32>(geo, GEO_K_W);
  const strideH = load<i32>(geo, GEO_STRIDE_H);
  const padH = load<i32>(geo, GEO_PAD_H);
  const padW = load<i32>(geo, GEO_PAD_W);
  const dilH = load<i32>(geo, GEO_DIL_H);
  const dilW = load<i32>(geo, GEO_DIL_W);
  const groups = load<i32>(geo, GEO_GROUPS);
  const cg = inC / groups;
  const kg = outC / groups;
  const taps = kH * kW;
  // Note [column blocks]: the interior — columns where every tap reads inside the row — runs in
  // blocks of 32 on a grid anchored at the row's interior start, not at this call's first column,
  // so a column takes the vector path (fused multiply-add in the relaxed build) or the scalar path
  // (multiply, then add) whatever range of columns a thread was given: callers split on the same
  // grid (src/kernels/wasm/conv.ts), and the bits do not depend on the thread count.
  const gLo = min(outW, max(0, padW));
  const gHi = max(gLo, min(outW, inW + padW - (kW - 1) * dilW));
  const lo = ow0 <= gLo ? gLo : gLo + (ow0 - gLo + 31) / 32 * 32;
  const end = min(ow1, gHi);
  const blocks = lo + 32 <= end ? (end - lo) / 32 : 0;
  const vecEnd = lo + blocks * 32;
  for (let r = r0; r < r1; r++) {
    const oh = r % outH;
    const plane = r / outH;
    const k = plane % outC;
    const n = plane / outC;
    const c0 = k / kg * cg;
    const yRow = y + (<usize>(r * outW) << 2);
    const b: f32 = bias != 0 ? load<f32>(bias + (<usize>k << 2)) : 0;
    // Border columns (and the interior's tail), one at a time with bounds checks.
    for (let ow = ow0; ow < ow1; ow++) {
      if (ow == lo && blocks > 0) ow = vecEnd;
      if (ow >= ow1) break;
      let s = b;
      for (let c = 0; c < cg; c++) {
        const xPlane = x + (<usize>((n * inC + c0 + c) * inH * inW) << 2);
        const wPlane = w + (<usize>((k * cg + c) * taps) << 2);
        for (let i = 0; i < kH; i++) {
          const ih = oh * strideH - padH + i * dilH;
          if (ih < 0 || ih >= inH) continue;
          for (let j = 0; j < kW; j++) {
            const iw = ow - padW + j * dilW;
            if (iw < 0 || iw >= inW) continue;
            const wi = flip ? taps - 1 - (i * kW + j) : i * kW + j;
            s += load<f32>(wPlane + (<usize>wi << 2)) * load<f32>(xPlane + (<usize>(ih * inW + iw) << 2));
          }
        }
      }
      store<f32>(yRow + (<usize>ow << 2), s);
    }
    // The interior, 32 columns at a time.
    for (let ow = lo; ow < vecEnd; ow += 32) {
      let a0 = f32x4.splat(b);
      let a1 = a0;
      let a2 = a0;
      let a3 = a0;
      let a4 = a0;
      let a5 = a0;
      let a6 = a0;
      let a7 = a0;
      for (let c = 0; c < cg; c++) {
        const xPlane = x + (<usize>((n * inC + c0 + c) * inH * inW) << 2);
        const wPlane = w + (<usize>((k * cg + c) * taps) << 2);
        for (let i = 0; i < kH; i++) {
          const ih = oh * strideH - padH + i * dilH;
          if (ih < 0 || ih >= inH) continue;
          let p = xPlane + (<usize>(ih * inW + ow - padW) << 2);
          const step = <usize>dilW << 2;
          for (let j = 0; j < kW; j++, p += step) {
            const wi = flip ? taps - 1 - (i * kW + j) : i * kW + j;
            const wv = v128.load32_splat(wPlane + (<usize>wi << 2));
            a0 = madd(wv, v128.load(p), a0);
            a1 = madd(wv, v128.load(p, 16), a1);
            a2 = madd(wv, v128.load(p, 32), a2);
            a3 = madd(wv, v128.load(p, 48), a3);
            a4 = madd(wv, v128.load(p, 64), a4);
            a5 = madd(wv, v128.load(p, 80), a5);
            a6 = madd(wv, v128.load(p, 96), a6);
            a7 = madd(wv, v128.load(p, 112), a7);
          }
        }
      }
      const o = yRow + (<usize>ow << 2);
      v128.store(o, a0);
      v128.store(o, a1, 16);
      v128.store(o, a2, 32);
      v128.store(o, a3, 48);
      v128.store(o, a4, 64);
      v128.store(o, a5, 80);
      v128.store(o, a6, 96);
      v128.store(o, a7, 112);
    }
  }
}

/** The number of weight-gradient tasks: one per (k, c, kernel row, block of 8 kernel columns). */
export function directWeightGradTasks(geo: usize): i32 {
  const cg = load<i32>(geo, GEO_IN_C) / load<i32>(geo, GEO_GROUPS);
  return load<i32>(geo, GEO_OUT_C) * cg * load<i32>(geo, GEO_K_H) * ((load<i32>(geo, GEO_K_W) + 7) / 8);
}

/** gw for tasks [t0, t1) of directWeightGradTasks: each entry Σ over the batch and the output plane. */
export function directWeightGrad(geo: usize, x: usize, gy: usize, gw: usize, t0: i32, t1: i32, work: usize): void {
  const batch = load<i32>(geo, 0);
  const inC = load<i32>(geo, GEO_IN_C);
  const inH = load<i32>(geo, GEO_IN_H);
  const inW = load<i32>(geo, GEO_IN_W);
  const outC = load<i32>(geo, GEO_OUT_C);
  const outH = load<i32>(geo, GEO_OUT_H);
  const outW = load<i32>(geo, GEO_OUT_W);
  const kH = load<i32>(geo, GEO_K_H);
  const kW = load<i32>(geo, GEO_K_W);
  const strideH = load<i32>(geo, GEO_STRIDE_H);
  const padH = load<i32>(geo, GEO_PAD_H);
  const padW = load<i32>(geo, GEO_PAD_W);
  const dilH = load<i32>(geo, GEO_DIL_H);
  const dilW = load<i32>(geo, GEO_DIL_W);
  const groups = load<i32>(geo, GEO_GROUPS);
  const cg = inC / groups;
  const kg = outC / groups;
  const blocks = (kW + 7) / 8;
  for (let t = t0; t < t1; t++) {
    const jb = t % blocks;
    const row = t / blocks;
    const i = row % kH;
    const kc = row / kH;
    const c = kc % cg;
    const k = kc / cg;
    const c0 = k / kg * cg;
    const j0 = jb * 8;
    const nt = min(8, kW - j0);
    // Columns where all nt taps read inside the row, rounded down to whole vectors.
    const lo = min(outW, max(0, padW - j0 * dilW));
    const hi = max(lo, min(outW, inW + padW - (j0 + nt - 1) * dilW));
    const vecEnd = lo + ((hi - lo) & ~3);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let a4 = a0;
    let a5 = a0;
    let a6 = a0;
    let a7 = a0;
    const gwRow = gw + (<usize>(((k * cg + c) * kH + i) * kW + j0) << 2);
    for (let j = 0; j < nt; j++) store<f32>(gwRow + (<usize>j << 2), 0);
    const step = <usize>dilW << 2;
    for (let n = 0; n < batch; n++) {
      const xPlane = x + (<usize>((n * inC + c0 + c) * inH * inW) << 2);
      const gyPlane = gy + (<usize>((n * outC + k) * outH * outW) << 2);
      for (let oh = 0; oh < outH; oh++) {
        const ih = oh * strideH - padH + i * dilH;
        if (ih < 0 || ih >= inH) continue;
        const gyRow = gyPlane + (<usize>(oh * outW) << 2);
        // x column of tap j0 at output column 0.
        const xRow = xPlane + (<usize>(ih * inW) << 2) + (<usize>(j0 * dilW - padW) << 2);
        if (nt == 8) {
          for (let ow = lo; ow < vecEnd; ow += 4) {
            const g = v128.load(gyRow + (<usize>ow << 2));
            const p = xRow + (<usize>ow << 2);
            a0 = madd(g, v128.load(p), a0);
            a1 = madd(g, v128.load(p + step), a1);
            a2 = madd(g, v128.load(p + 2 * step), a2);
            a3 = madd(g, v128.load(p + 3 * step), a3);
            a4 = madd(g, v128.load(p + 4 * step), a4);
            a5 = madd(g, v128.load(p + 5 * step), a5);
            a6 = madd(g, v128.load(p + 6 * step), a6);
            a7 = madd(g, v128.load(p + 7 * step), a7);
          }
        } else {
          for (let j = 0; j < nt; j++) {
            let a = f32x4.splat(0);
            const pj = xRow + <usize>j * step;
            for (let ow = lo; ow < vecEnd; ow += 4) {
              a = madd(v128.load(gyRow + (<usize>ow << 2)), v128.load(pj + (<usize>ow << 2)), a);
            }
            const at = gwRow + (<usize>j << 2);
            store<f32>(at, load<f32>(at) + hsum(a));
          }
        }
        // Columns outside the shared vector range, tap by tap with its own bounds.
        for (let j = 0; j < nt; j++) {
          const jLo = min(outW, max(0, padW - (j0 + j) * dilW));
          const jHi = max(jLo, min(outW, inW + padW - (j0 + j) * dilW));
          const pj = xRow + <usize>j * step;
          let s: f32 = 0;
          for (let ow = jLo; ow < min(jHi, lo); ow++) s += load<f32>(gyRow + (<usize>ow << 2)) * load<f32>(pj + (<usize>ow << 2));
          for (let ow = max(jLo, vecEnd); ow < jHi; ow++) s += load<f32>(gyRow + (<usize>ow << 2)) * load<f32>(pj + (<usize>ow << 2));
          const at = gwRow + (<usize>j << 2);
          store<f32>(at, load<f32>(at) + s);
        }
      }
    }
    if (nt == 8) {
      store<f32>(gwRow, load<f32>(gwRow) + hsum(a0));
      store<f32>(gwRow, load<f32>(gwRow, 4) + hsum(a1), 4);
      store<f32>(gwRow, load<f32>(gwRow, 8) + hsum(a2), 8);
      store<f32>(gwRow, load<f32>(gwRow, 12) + hsum(a3), 12);
      store<f32>(gwRow, load<f32>(gwRow, 16) + hsum(a4), 16);
      store<f32>(gwRow, load<f32>(gwRow, 20) + hsum(a5), 20);
      store<f32>(gwRow, load<f32>(gwRow, 24) + hsum(a6), 24);
      store<f32>(gwRow, load<f32>(gwRow, 28) + hsum(a7), 28);
    }
  }
}
