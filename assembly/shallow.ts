/**
 * @file Direct 2-D convolution for shallow inputs: few input channels per group (a network's first
 * layer reads 1 gray or 3 colour channels), column stride 1. There im2col + GEMM spends more time
 * building and packing a thin column matrix (cg·kH·kW rows) and finishing short tiles than it does
 * multiplying; here every tap is read straight from the image.
 *
 * Each image's group is first copied into zero-padded planes (conv.ts's padPlanes, Note [padded
 * planes]), wide enough that every vector read of a row block stays inside its plane: a tap is then just an
 * offset and no inner loop checks bounds. A tile of 2 output channels × 16 columns (eight f32x4
 * accumulators, started at the bias) then takes, per tap, four unaligned loads of x and two
 * broadcast weights.
 *
 * Only the forward: the same layout for the weight gradient (2 channels × 4 taps over the plane)
 * measured no faster than im2col + GEMM for the first layer and up to 2.8× slower elsewhere.
 *
 * Work splits by images, and each output element is summed in the same order whichever thread
 * takes its image, so the bits do not depend on the thread count.
 */
import { align64, paddedH, padPlanes } from './conv';
import { madd } from './simd';
import {
  GEO_DIL_H, GEO_DIL_W, GEO_GROUPS, GEO_IN_C, GEO_IN_H, GEO_IN_W, GEO_K_H, GEO_K_W, GEO_OUT_C, GEO_OUT_H, GEO_OUT_W,
  GEO_PAD_W, GEO_STRIDE_H,
} from '../src/kernels/abi';

/** Output columns a forward tile covers. */
// @ts-ignore: decorator
@inline const TILE_W: i32 = 16;

// @ts-ignore: decorator
@inline function roundUp(n: i32, m: i32): i32 {
  return (n + m - 1) / m * m;
}

/** Wide enough for a whole last tile at every tap. */
function paddedW(geo: usize): i32 {
  return max(load<i32>(geo, GEO_PAD_W) + load<i32>(geo, GEO_IN_W),
    roundUp(load<i32>(geo, GEO_OUT_W), TILE_W) + (load<i32>(geo, GEO_K_W) - 1) * load<i32>(geo, GEO_DIL_W));
}

function groupChannels(geo: usize): i32 {
  return load<i32>(geo, GEO_IN_C) / load<i32>(geo, GEO_GROUPS);
}

function planesBytes(geo: usize): usize {
  return align64(<usize>(groupChannels(geo) * paddedH(geo) * paddedW(geo)) << 2);
}

/**
 * Bytes of scratch one thread needs for shallowForward (f64: Note [scratch sizes in f64] in conv.ts):
 * the padded planes, the packed weights, and a last tile of 2 × 16 floats.
 */
export function shallowScratchBytes(geo: usize): f64 {
  const cg = <f64>groupChannels(geo);
  const kg = <f64>(load<i32>(geo, GEO_OUT_C) / load<i32>(geo, GEO_GROUPS));
  const taps = <f64>(load<i32>(geo, GEO_K_H) * load<i32>(geo, GEO_K_W));
  const planes = cg * <f64>paddedH(geo) * <f64>paddedW(geo) * 4;
  const weights = Math.ceil(kg / 2) * 2 * cg * taps * 4;
  return Math.ceil(planes / 64) * 64 + Math.ceil(weights / 64) * 64 + 128;
}

/**
 * Group gi's weights, w[k, c, i, j], as pairs of output channels: packed[((kp·cg + c)·taps + t)·2 + q]
 * = w[2kp + q, c, t], zero for a channel past the group's last.
 */
function packWeights(w: usize, geo: usize, gi: i32, packed: usize): void {
  const cg = groupChannels(geo);
  const kg = load<i32>(geo, GEO_OUT_C) / load<i32>(geo, GEO_GROUPS);
  const taps = load<i32>(geo, GEO_K_H) * load<i32>(geo, GEO_K_W);
  const per = cg * taps;
  let dst = packed;
  for (let k0 = 0; k0 < kg; k0 += 2) {
    const w0 = w + (<usize>((gi * kg + k0) * per) << 2);
    const has1 = k0 + 1 < kg;
    for (let e = 0; e < per; e++, dst += 8) {
      store<f32>(dst, load<f32>(w0 + (<usize>e << 2)));
      store<f32>(dst, has1 ? load<f32>(w0 + (<usize>(per + e) << 2)) : 0, 4);
    }
  }
}

/** y = conv2d(x, w) + bias for images [n0, n1). bias = 0: none. */
export function shallowForward(geo: usize, x: usize, w: usize, bias: usize, y: usize, n0: i32, n1: i32, work: usize): void {
  const inC = load<i32>(geo, GEO_IN_C);
  const inPlane = load<i32>(geo, GEO_IN_H) * load<i32>(geo, GEO_IN_W);
  const outC = load<i32>(geo, GEO_OUT_C);
  const outH = load<i32>(geo, GEO_OUT_H);
  const outW = load<i32>(geo, GEO_OUT_W);
  const kH = load<i32>(geo, GEO_K_H);
  const kW = load<i32>(geo, GEO_K_W);
  const strideH = load<i32>(geo, GEO_STRIDE_H);
  const dilH = load<i32>(geo, GEO_DIL_H);
  const dilW = load<i32>(geo, GEO_DIL_W);
  const groups = load<i32>(geo, GEO_GROUPS);
  const cg = inC / groups;
  const kg = outC / groups;
  const taps = kH * kW;
  const hp = paddedH(geo);
  const wp = paddedW(geo);
  const outPlane = outH * outW;
  const pad = work;
  const packed = pad + planesBytes(geo);
  const tile = work + <usize>(shallowScratchBytes(geo) - 128);
  const rowBytes = <usize>(dilH * wp) << 2;
  const tapBytes = <usize>dilW << 2;
  for (let gi = 0; gi < groups; gi++) {
    packWeights(w, geo, gi, packed);
    for (let n = n0; n < n1; n++) {
      padPlanes(x + (<usize>((n * inC + gi * cg) * inPlane) << 2), geo, pad, hp, wp);
      for (let k0 = 0; k0 < kg; k0 += 2) {
        const k = gi * kg + k0;
        const has1 = k0 + 1 < kg;
        const b0 = f32x4.splat(bias != 0 ? load<f32>(bias + (<usize>k << 2)) : 0);
        const b1 = f32x4.splat(bias != 0 && has1 ? load<f32>(bias + (<usize>(k + 1) << 2)) : 0);
        const wk = packed + (<usize>((k0 >> 1) * cg * taps) << 3);
        const y0 = y + (<usize>((n * outC + k) * outPlane) << 2);
        const y1 = y0 + (<usize>outPlane << 2);
        for (let oh = 0; oh < outH; oh++) {
          const xRow = pad + (<usize>(oh * strideH * wp) << 2);
          for (let ow = 0; ow < outW; ow += TILE_W) {
            let a0 = b0;
            let a1 = b0;
            let a2 = b0;
            let a3 = b0;
            let c0 = b1;
            let c1 = b1;
            let c2 = b1;
            let c3 = b1;
            let wp8 = wk;
            for (let c = 0; c < cg; c++) {
              let p = xRow + (<usize>(c * hp * wp + ow) << 2);
              for (let i = 0; i < kH; i++, p += rowBytes) {
                let q = p;
                for (let j = 0; j < kW; j++, q += tapBytes, wp8 += 8) {
                  const v0 = v128.load32_splat(wp8);
                  const v1 = v128.load32_splat(wp8, 4);
                  const x0 = v128.load(q);
                  const x1 = v128.load(q, 16);
                  const x2 = v128.load(q, 32);
                  const x3 = v128.load(q, 48);
                  a0 = madd(v0, x0, a0);
                  a1 = madd(v0, x1, a1);
                  a2 = madd(v0, x2, a2);
                  a3 = madd(v0, x3, a3);
                  c0 = madd(v1, x0, c0);
                  c1 = madd(v1, x1, c1);
                  c2 = madd(v1, x2, c2);
                  c3 = madd(v1, x3, c3);
                }
              }
            }
            const at = <usize>(oh * outW + ow) << 2;
            if (ow + TILE_W <= outW) {
              v128.store(y0 + at, a0);
              v128.store(y0 + at, a1, 16);
              v128.store(y0 + at, a2, 32);
              v128.store(y0 + at, a3, 48);
              if (has1) {
                v128.store(y1 + at, c0);
                v128.store(y1 + at, c1, 16);
                v128.store(y1 + at, c2, 32);
                v128.store(y1 + at, c3, 48);
              }
            } else {
              // The row's last, partial tile: through the scratch tile, only the columns that exist.
              v128.store(tile, a0);
              v128.store(tile, a1, 16);
              v128.store(tile, a2, 32);
              v128.store(tile, a3, 48);
              v128.store(tile, c0, 64);
              v128.store(tile, c1, 80);
              v128.store(tile, c2, 96);
              v128.store(tile, c3, 112);
              const cols = <usize>(outW - ow) << 2;
              memory.copy(y0 + at, tile, cols);
              if (has1) memory.copy(y1 + at, tile + 64, cols);
            }
          }
        }
      }
    }
  }
}
