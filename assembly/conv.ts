/**
 * @file 2-D convolution through im2col + GEMM, for a range of images, so threads can split a batch:
 * the forward, the input gradient (the transposed convolution) and the weight gradient. The
 * layouts are those of src/kernels/js/conv.ts (Note [im2col layout]): one image's group gives a
 * [cg·kH·kW, outH·outW] column matrix, and
 *   forward         y_g  = w_g [kg, rows] · col
 *   input gradient  col  = w_gᵀ · gy_g, then col2im (w read transposed in place: no copy)
 *   weight gradient gw_g += gy_g · colᵀ (row dot products, or the GEMM reading col transposed in place)
 * A 1×1, stride-1, unpadded kernel reads the image as its own column matrix.
 *
 * Geometry is passed as a pointer to 16 i32 (assembly/geometry.ts); tensors and scratch as byte pointers.
 */
import { gemm, gemmScratchBytes } from './gemm';
import { rowDots } from './row-dots';
import {
  GEO_DIL_H, GEO_DIL_W, GEO_GROUPS, GEO_IN_C, GEO_IN_H, GEO_IN_W, GEO_K_H, GEO_K_W, GEO_OUT_C, GEO_OUT_H, GEO_OUT_W,
  GEO_PAD_H, GEO_PAD_W, GEO_STRIDE_H, GEO_STRIDE_W,
} from '../src/kernels/abi';

// @ts-ignore: decorator
@inline export function align64(bytes: usize): usize {
  return (bytes + 63) & ~(<usize>63);
}

function isPointwise(geo: usize): bool {
  return load<i32>(geo, GEO_K_H) == 1 && load<i32>(geo, GEO_K_W) == 1 && load<i32>(geo, GEO_STRIDE_H) == 1 &&
    load<i32>(geo, GEO_STRIDE_W) == 1 && load<i32>(geo, GEO_PAD_H) == 0 && load<i32>(geo, GEO_PAD_W) == 0 &&
    load<i32>(geo, GEO_OUT_H) == load<i32>(geo, GEO_IN_H) && load<i32>(geo, GEO_OUT_W) == load<i32>(geo, GEO_IN_W);
}

function colRows(geo: usize): i32 {
  return load<i32>(geo, GEO_IN_C) / load<i32>(geo, GEO_GROUPS) * load<i32>(geo, GEO_K_H) * load<i32>(geo, GEO_K_W);
}

function outPlane(geo: usize): i32 {
  return load<i32>(geo, GEO_OUT_H) * load<i32>(geo, GEO_OUT_W);
}

/**
 * Note [padded planes]: im2col and col2im work on a copy of the image's group with the padding
 * written out as zeros (Hp × Wp per channel, big enough for every window), so their inner loops are
 * plain row copies with no bounds checks — which matters for small images, where a row of the
 * column matrix is only a few vectors long and per-row bookkeeping would dominate.
 */
export function paddedH(geo: usize): i32 {
  const outH = load<i32>(geo, GEO_OUT_H);
  return max(load<i32>(geo, GEO_PAD_H) + load<i32>(geo, GEO_IN_H),
    (outH - 1) * load<i32>(geo, GEO_STRIDE_H) + (load<i32>(geo, GEO_K_H) - 1) * load<i32>(geo, GEO_DIL_H) + 1);
}

function paddedW(geo: usize): i32 {
  const outW = load<i32>(geo, GEO_OUT_W);
  return max(load<i32>(geo, GEO_PAD_W) + load<i32>(geo, GEO_IN_W),
    (outW - 1) * load<i32>(geo, GEO_STRIDE_W) + (load<i32>(geo, GEO_K_W) - 1) * load<i32>(geo, GEO_DIL_W) + 1);
}

/** Bytes of one image group's padded planes (Note [padded planes]). */
function paddedBytes(geo: usize): usize {
  const cg = load<i32>(geo, GEO_IN_C) / load<i32>(geo, GEO_GROUPS);
  return align64(<usize>(cg * paddedH(geo) * paddedW(geo)) << 2);
}

/** dst[0..n) = src[0..n) (short runs inline: memory.copy is a call). */
// @ts-ignore: decorator
@inline export function copyRun(dst: usize, src: usize, n: i32): void {
  if (n >= 64) {
    memory.copy(dst, src, <usize>n << 2);
    return;
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/**
 * The image group's cg channels at x into zero-padded hp × wp planes at pad (Note [padded planes]):
 * row ih of channel c at row padH + ih, column padW.
 */
export function padPlanes(x: usize, geo: usize, pad: usize, hp: i32, wp: i32): void {
  const inH = load<i32>(geo, GEO_IN_H);
  const inW = load<i32>(geo, GEO_IN_W);
  const padH = load<i32>(geo, GEO_PAD_H);
  const padW = load<i32>(geo, GEO_PAD_W);
  const cg = load<i32>(geo, GEO_IN_C) / load<i32>(geo, GEO_GROUPS);
  memory.fill(pad, 0, <usize>(cg * hp * wp) << 2);
  for (let c = 0; c < cg; c++) {
    for (let ih = 0; ih < inH; ih++) {
      copyRun(pad + (<usize>((c * hp + padH + ih) * wp + padW) << 2), x + (<usize>((c * inH + ih) * inW) << 2), inW);
    }
  }
}

/**
 * Note [stride-2 rows]: a stride-2 convolution's column matrix takes every other element of a padded
 * row, and its adjoint adds into every other one. Both go four outputs a vector: two loads and a
 * shuffle of the even lanes; back, the four values interleaved with −0 — which added to any float
 * but a NaN leaves it as it was, −0 included, and a NaN (always quiet here: sums) keeps its bits on
 * V8, as in the scalar add — added into two vectors of the row, each element receiving its
 * one contribution in the order the scalar loop gives it, so the same bits. (In W9's 16 → 32-channel
 * stride-2 layer all but the GEMM — padding and im2col — was a third of the forward on one thread;
 * the vectors took a tenth off the forward and each gradient.) The gather reads the 2n elements
 * from a row's start, one past the padded row at most: the next row, or the thread's GEMM scratch
 * after the planes. The add stops its vectors short of the row's last output, so it writes only
 * inside the row.
 */
/** dst[ow] = src[2·ow] for ow < n (n ≥ 4): whole vectors, the last one overlapping the one before. */
function evenLanes(dst: usize, src: usize, n: i32): void {
  for (let ow = 0; ow < n; ow += 4) {
    if (ow + 4 > n) ow = n - 4;
    const s = src + (<usize>ow << 3);
    v128.store(dst + (<usize>ow << 2), v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
  }
}

/** dst[2·ow] += src[ow] for ow < n, the odd elements between them unchanged (Note [stride-2 rows]). */
function addToEvenLanes(dst: usize, src: usize, n: i32): void {
  const negZero = f32x4.splat(-0.0);
  let ow = 0;
  // Strictly before the last output: the second vector's last lane is the odd element after the
  // fourth output, inside the row only while a fifth output follows.
  for (; ow + 4 < n; ow += 4) {
    const v = v128.load(src + (<usize>ow << 2));
    const d = dst + (<usize>ow << 3);
    v128.store(d, f32x4.add(v128.load(d), v128.shuffle<f32>(v, negZero, 0, 4, 1, 5)));
    v128.store(d, f32x4.add(v128.load(d, 16), v128.shuffle<f32>(v, negZero, 2, 6, 3, 7)), 16);
  }
  for (; ow < n; ow++) {
    const d = dst + (<usize>ow << 3);
    store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
  }
}

/** One group's column matrix [rows, outH·outW] of the image whose group's first channel is at x. */
function im2col(x: usize, geo: usize, col: usize, pad: usize): void {
  const outH = load<i32>(geo, GEO_OUT_H);
  const outW = load<i32>(geo, GEO_OUT_W);
  const kH = load<i32>(geo, GEO_K_H);
  const kW = load<i32>(geo, GEO_K_W);
  const strideH = load<i32>(geo, GEO_STRIDE_H);
  const strideW = load<i32>(geo, GEO_STRIDE_W);
  const dilH = load<i32>(geo, GEO_DIL_H);
  const dilW = load<i32>(geo, GEO_DIL_W);
  const cg = load<i32>(geo, GEO_IN_C) / load<i32>(geo, GEO_GROUPS);
  const hp = paddedH(geo);
  const wp = paddedW(geo);
  padPlanes(x, geo, pad, hp, wp);
  let dst = col;
  for (let c = 0; c < cg; c++) {
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        let src = pad + (<usize>((c * hp + i * dilH) * wp + j * dilW) << 2);
        const rowStep = <usize>(strideH * wp) << 2;
        for (let oh = 0; oh < outH; oh++, src += rowStep, dst += <usize>outW << 2) {
          if (strideW == 1) {
            copyRun(dst, src, outW);
          } else if (strideW == 2 && outW >= 4) {
            evenLanes(dst, src, outW);
          } else {
            for (let ow = 0; ow < outW; ow++) store<f32>(dst + (<usize>ow << 2), load<f32>(src + (<usize>(ow * strideW) << 2)));
          }
        }
      }
    }
  }
}

/**
 * The adjoint of im2col: adds each column entry into the input element it was read from, writing
 * the image group at x (Note [padded planes]: summed in the padded planes, then the inside copied out).
 */
function col2im(col: usize, geo: usize, x: usize, pad: usize): void {
  const inH = load<i32>(geo, GEO_IN_H);
  const inW = load<i32>(geo, GEO_IN_W);
  const outH = load<i32>(geo, GEO_OUT_H);
  const outW = load<i32>(geo, GEO_OUT_W);
  const kH = load<i32>(geo, GEO_K_H);
  const kW = load<i32>(geo, GEO_K_W);
  const strideH = load<i32>(geo, GEO_STRIDE_H);
  const strideW = load<i32>(geo, GEO_STRIDE_W);
  const padH = load<i32>(geo, GEO_PAD_H);
  const padW = load<i32>(geo, GEO_PAD_W);
  const dilH = load<i32>(geo, GEO_DIL_H);
  const dilW = load<i32>(geo, GEO_DIL_W);
  const cg = load<i32>(geo, GEO_IN_C) / load<i32>(geo, GEO_GROUPS);
  const hp = paddedH(geo);
  const wp = paddedW(geo);
  memory.fill(pad, 0, <usize>(cg * hp * wp) << 2);
  let src = col;
  for (let c = 0; c < cg; c++) {
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        let dst = pad + (<usize>((c * hp + i * dilH) * wp + j * dilW) << 2);
        const rowStep = <usize>(strideH * wp) << 2;
        for (let oh = 0; oh < outH; oh++, dst += rowStep, src += <usize>outW << 2) {
          if (strideW == 1) {
            let ow = 0;
            for (; ow + 4 <= outW; ow += 4) {
              const d = dst + (<usize>ow << 2);
              v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>ow << 2))));
            }
            for (; ow < outW; ow++) {
              const d = dst + (<usize>ow << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
            }
          } else if (strideW == 2) {
            addToEvenLanes(dst, src, outW);
          } else {
            for (let ow = 0; ow < outW; ow++) {
              const d = dst + (<usize>(ow * strideW) << 2);
              store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>ow << 2)));
            }
          }
        }
      }
    }
  }
  for (let c = 0; c < cg; c++) {
    for (let ih = 0; ih < inH; ih++) {
      copyRun(x + (<usize>((c * inH + ih) * inW) << 2), pad + (<usize>((c * hp + padH + ih) * wp + padW) << 2), inW);
    }
  }
}

/** y[n, ch, :] += bias[ch] for images [n0, n1) of y laid out [batch, channels, plane]. */
function addBias(y: usize, bias: usize, n0: i32, n1: i32, channels: i32, plane: i32): void {
  for (let n = n0; n < n1; n++) {
    for (let ch = 0; ch < channels; ch++) {
      const b = f32x4.splat(load<f32>(bias + (<usize>ch << 2)));
      const p = y + (<usize>((n * channels + ch) * plane) << 2);
      let i = 0;
      for (; i + 4 <= plane; i += 4) v128.store(p + (<usize>i << 2), f32x4.add(v128.load(p + (<usize>i << 2)), b));
      for (; i < plane; i++) store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) + f32x4.extract_lane(b, 0));
    }
  }
}

/** Bytes of a column matrix and the padded planes it is built from (none for a pointwise kernel). */
function colBytes(geo: usize): usize {
  return isPointwise(geo) ? 0 : align64(<usize>(colRows(geo) * outPlane(geo)) << 2) + paddedBytes(geo);
}

/**
 * Note [scratch sizes in f64]: the scratch a call needs can pass 2^31 bytes for large images (a
 * 1024×1024 input with a 27×27 kernel needs 2.9 GiB of columns), where i32 products wrap around. The
 * exported sizes are therefore computed in f64, exactly (they stay far below 2^53), and the caller
 * refuses any size the 2 GiB memory cannot hold before a kernel runs; inside the kernels, offsets
 * are then known to fit in usize.
 */
function colBytesF64(geo: usize): f64 {
  if (isPointwise(geo)) return 0;
  const cg = <f64>(load<i32>(geo, GEO_IN_C) / load<i32>(geo, GEO_GROUPS));
  const rows = cg * <f64>load<i32>(geo, GEO_K_H) * <f64>load<i32>(geo, GEO_K_W);
  const plane = <f64>load<i32>(geo, GEO_OUT_H) * <f64>load<i32>(geo, GEO_OUT_W);
  return align64F64(rows * plane * 4) + align64F64(cg * <f64>paddedH(geo) * <f64>paddedW(geo) * 4);
}

// @ts-ignore: decorator
@inline function align64F64(bytes: f64): f64 {
  return Math.ceil(bytes / 64) * 64;
}

/** Scratch one thread needs for conv2dForward / conv2dInputGrad: a column matrix and the GEMM's (Note [scratch sizes in f64]). */
export function convScratchBytes(geo: usize): f64 {
  const rows = colRows(geo);
  const plane = outPlane(geo);
  const kg = load<i32>(geo, GEO_OUT_C) / load<i32>(geo, GEO_GROUPS);
  const gemmBytes = <f64>max(gemmScratchBytes(kg, plane, rows), gemmScratchBytes(rows, plane, kg));
  return colBytesF64(geo) + align64F64(gemmBytes);
}

/** Scratch one thread needs for conv2dWeightGrad: a column matrix and the GEMM's (Note [scratch sizes in f64]). */
export function weightGradScratchBytes(geo: usize): f64 {
  const rows = colRows(geo);
  const plane = outPlane(geo);
  const kg = load<i32>(geo, GEO_OUT_C) / load<i32>(geo, GEO_GROUPS);
  return colBytesF64(geo) + align64F64(<f64>gemmScratchBytes(kg, rows, plane));
}

/** y = conv2d(x, w) + bias for images [n0, n1). bias = 0: none. */
export function conv2dForward(geo: usize, x: usize, w: usize, bias: usize, y: usize, n0: i32, n1: i32, work: usize): void {
  const inC = load<i32>(geo, GEO_IN_C);
  const outC = load<i32>(geo, GEO_OUT_C);
  const groups = load<i32>(geo, GEO_GROUPS);
  const cg = inC / groups;
  const kg = outC / groups;
  const rows = colRows(geo);
  const plane = outPlane(geo);
  const inPlane = load<i32>(geo, GEO_IN_H) * load<i32>(geo, GEO_IN_W);
  const pointwise = isPointwise(geo);
  const col = work;
  const pad = col + align64(<usize>(rows * plane) << 2);
  const gemmWork = work + colBytes(geo);
  for (let n = n0; n < n1; n++) {
    for (let gi = 0; gi < groups; gi++) {
      const xg = x + (<usize>((n * inC + gi * cg) * inPlane) << 2);
      const yg = y + (<usize>((n * outC + gi * kg) * plane) << 2);
      const wg = w + (<usize>(gi * kg * rows) << 2);
      if (!pointwise) im2col(xg, geo, col, pad);
      gemm(kg, plane, rows, wg, rows, 1, pointwise ? xg : col, plane, 1, yg, plane, 0, gemmWork);
    }
  }
  if (bias != 0) addBias(y, bias, n0, n1, outC, plane);
}

/**
 * gx = the transposed convolution of gy (output space) with w, for images [n0, n1): the input
 * gradient of conv2d, and convTranspose2d's forward (then `bias` is per input-space channel).
 */
export function conv2dInputGrad(geo: usize, gy: usize, w: usize, bias: usize, gx: usize, n0: i32, n1: i32, work: usize): void {
  const inC = load<i32>(geo, GEO_IN_C);
  const outC = load<i32>(geo, GEO_OUT_C);
  const groups = load<i32>(geo, GEO_GROUPS);
  const cg = inC / groups;
  const kg = outC / groups;
  const rows = colRows(geo);
  const plane = outPlane(geo);
  const inPlane = load<i32>(geo, GEO_IN_H) * load<i32>(geo, GEO_IN_W);
  const pointwise = isPointwise(geo);
  const col = work;
  const pad = col + align64(<usize>(rows * plane) << 2);
  const gemmWork = work + colBytes(geo);
  // Every channel of every image is written once (by the GEMM directly, or by col2im): no zeroing.
  for (let n = n0; n < n1; n++) {
    for (let gi = 0; gi < groups; gi++) {
      const gyg = gy + (<usize>((n * outC + gi * kg) * plane) << 2);
      const gxg = gx + (<usize>((n * inC + gi * cg) * inPlane) << 2);
      const wg = w + (<usize>(gi * kg * rows) << 2);
      // w_g is [kg, rows]; its transpose is read with unit row stride and column stride `rows`.
      gemm(rows, plane, kg, wg, 1, rows, gyg, plane, 1, pointwise ? gxg : col, plane, 0, gemmWork);
      if (!pointwise) col2im(col, geo, gxg, pad);
    }
  }
  if (bias != 0) addBias(gx, bias, n0, n1, inC, inPlane);
}

/**
 * Adds images [n0, n1)'s share of the weight gradient Σ gy_g · colᵀ into `gw` ([outC, cg·kH·kW]).
 * The caller gives each range of images its own gw and sums them in a fixed order, so the result
 * does not depend on which thread ran which range.
 */
export function conv2dWeightGrad(geo: usize, x: usize, gy: usize, gw: usize, n0: i32, n1: i32, work: usize): void {
  const inC = load<i32>(geo, GEO_IN_C);
  const outC = load<i32>(geo, GEO_OUT_C);
  const groups = load<i32>(geo, GEO_GROUPS);
  const cg = inC / groups;
  const kg = outC / groups;
  const rows = colRows(geo);
  const plane = outPlane(geo);
  const inPlane = load<i32>(geo, GEO_IN_H) * load<i32>(geo, GEO_IN_W);
  const pointwise = isPointwise(geo);
  const col = work;
  const pad = col + align64(<usize>(rows * plane) << 2);
  const gemmWork = work + colBytes(geo);
  const dots = takesRowDots(rows, plane);
  for (let n = n0; n < n1; n++) {
    for (let gi = 0; gi < groups; gi++) {
      const xg = x + (<usize>((n * inC + gi * cg) * inPlane) << 2);
      const gyg = gy + (<usize>((n * outC + gi * kg) * plane) << 2);
      const gwg = gw + (<usize>(gi * kg * rows) << 2);
      if (!pointwise) im2col(xg, geo, col, pad);
      const b = pointwise ? xg : col;
      if (dots) {
        rowDots(kg, rows, plane, gyg, plane, b, plane, gwg, rows);
      } else {
        // colᵀ: element (position p, row r) of the [rows, plane] matrix, row stride 1, column stride plane.
        gemm(kg, rows, plane, gyg, plane, 1, b, 1, plane, gwg, rows, 1, gemmWork);
      }
    }
  }
}

/**
 * Whether an image group's gw_g += gy_g · colᵀ ([kg, plane] by [plane, rows]) runs as row dot
 * products (Note [row dots]) rather than the packed GEMM: when the column matrix has few rows (the
 * GEMM's 8-wide tiles of them run part empty, and it packs B column by column for every image) or the
 * plane is long enough for the dot products' one lane sum a tile to pay. Measured on one thread,
 * operands in cache (GFLOP/s, GEMM against dots): kg 6, rows 25, plane 784 (LeNet's first layer)
 * 12.9 against 35.0; 16, 150, 100 (its second) 34 against 39; 16, 9, 196 15 against 33; 32, 144,
 * 1024 38 against 40; but 32, 144, 49 36 against 26, 16, 144, 49 34 against 27 and 12, 288, 25 30
 * against 19 — short planes over many rows stay on the GEMM, however few the channels.
 */
function takesRowDots(rows: i32, plane: i32): bool {
  return rows < 32 || plane >= 96;
}

/**
 * partial[0][j] += partial[i][j] for i = 1 .. count-1 in order, over n floats, partials `stride`
 * bytes apart: the weight gradient's per-range partials summed as the TypeScript loop summed them
 * (float32 adds in the same order, so the same bits).
 */
export function addPartials(base: usize, stride: usize, count: i32, n: i32): void {
  for (let i = 1; i < count; i++) {
    const src = base + <usize>i * stride;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(base + o, f32x4.add(v128.load(base + o), v128.load(src + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(base + o, load<f32>(base + o) + load<f32>(src + o));
    }
  }
}
