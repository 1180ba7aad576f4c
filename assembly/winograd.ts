/**
 * @file Winograd F(2×2, 3×3) convolution (float32) for 3×3, stride-1, undilated, ungrouped kernels:
 * each 2×2 block of outputs is computed from a 4×4 tile of the input with 16 multiplications per
 * channel pair instead of 36 (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015):
 *
 *   Y = Aᵀ [ Σ_c (G g_kc Gᵀ) ⊙ (Bᵀ d_c B) ] A
 *
 *   Bᵀ = [1  0 −1  0]    G = [1    0    0  ]    Aᵀ = [1 1  1  0]
 *        [0  1  1  0]        [1/2  1/2  1/2]         [0 1 −1 −1]
 *        [0 −1  1  0]        [1/2 −1/2  1/2]
 *        [0  1  0 −1]        [0    0    1  ]
 *
 * The sum over channels is 16 independent GEMMs, one per position ξ of the 4×4 transformed tile:
 * M_ξ [K, tiles] = U_ξ [K, C] · V_ξ [C, tiles], run by the GEMM of assembly/gemm.ts. The weights
 * are transformed once per call (winogradWeights, on the main thread; in float64, rounded once); each
 * thread takes images (winogradForward), transforms a block of tile rows of the image into V, runs
 * the 16 GEMMs into M and transforms M back into the output. Error bound and when it is chosen:
 * Note [winograd] in src/kernels/wasm/conv.ts.
 *
 * Layouts (float32): U[ξ][c][k] (so the GEMM reads U_ξ transposed with unit row stride: its packing
 * fast path), V[ξ][c][t] and M[ξ][k][t] for the t tiles of a block, tile t = row · tilesW + column.
 */
import { gemm, gemmScratchBytes } from './gemm';
import { align64, padPlanes } from './conv';
import { GEO_IN_C, GEO_IN_H, GEO_IN_W, GEO_OUT_C, GEO_OUT_H, GEO_OUT_W } from '../src/kernels/abi';

/** Tiles a block of tile rows aims at: enough columns for the GEMM to amortise packing U_ξ. */
// @ts-ignore: decorator
@inline const BLOCK_TILES: i32 = 512;

/** Tiles per row and column of the output. */
// @ts-ignore: decorator
@inline function tilesH(geo: usize): i32 {
  return (load<i32>(geo, GEO_OUT_H) + 1) >> 1;
}
// @ts-ignore: decorator
@inline function tilesW(geo: usize): i32 {
  return (load<i32>(geo, GEO_OUT_W) + 1) >> 1;
}

/**
 * The padded plane each image's channel is copied into (Note [padded planes] in assembly/conv.ts):
 * 2·tilesH + 2 rows; 2·(tilesW rounded up to 4) + 2 columns, so the input transform reads its groups
 * of four tiles without bounds checks (columns past the image read zeros).
 */
function planeH(geo: usize): i32 {
  return 2 * tilesH(geo) + 2;
}
function planeW(geo: usize): i32 {
  return 2 * ((tilesW(geo) + 3) & ~3) + 2;
}

/**
 * Bytes from one ξ's matrix to the next in V and M: the matrix rounded up to 64 bytes plus 64. The
 * transforms write (read) 16 streams, one per ξ; a stride of a power of two (16 channels · 256 tiles
 * · 4 bytes = 16 KiB on W1) puts all 16 in the same cache set, more than L1 has ways. Measured on
 * one thread, 16 images of W1's input gradient (a 32 → 16 correlation): 12–14 ms with the plain
 * stride, of which 8–10 ms were everything but the GEMMs; 9.5 ms with this one.
 */
// @ts-ignore: decorator
@inline function xiBytes(rows: i32, nb: i32): usize {
  return align64(<usize>(rows * nb) << 2) + 64;
}

/** Tile rows per block. */
function blockRows(geo: usize): i32 {
  return max(1, min(tilesH(geo), BLOCK_TILES / tilesW(geo)));
}

/** Scratch one thread needs: the padded image, V and M of one block (xiBytes apart: the last has slack for a vector), the GEMM's. */
export function winogradScratchBytes(geo: usize): f64 {
  const c = <f64>load<i32>(geo, GEO_IN_C);
  const k = <f64>load<i32>(geo, GEO_OUT_C);
  const nb = <f64>(blockRows(geo) * tilesW(geo));
  const gemmBytes = <f64>gemmScratchBytes(load<i32>(geo, GEO_OUT_C), blockRows(geo) * tilesW(geo), load<i32>(geo, GEO_IN_C));
  return align64F64(c * <f64>planeH(geo) * <f64>planeW(geo) * 4) + 16 * (align64F64(c * nb * 4) + 64) + 16 * (align64F64(k * nb * 4) + 64) +
    align64F64(gemmBytes);
}

// @ts-ignore: decorator
@inline function align64F64(bytes: f64): f64 {
  return Math.ceil(bytes / 64) * 64;
}

/**
 * U[ξ][c][k] = (G g Gᵀ)_ξ for the weight w [outC, inC, 3, 3] (flip = 0), or for the correlation
 * that computes its transposed convolution (flip = 1: gy correlated with w rotated by 180°, input
 * and output channels swapped — then inC/outC are those of the flipped correlation). Computed in
 * float64 and rounded once.
 */
export function winogradWeights(w: usize, inC: i32, outC: i32, flip: i32, u: usize): void {
  const plane = <usize>(inC * outC) << 2;
  for (let k = 0; k < outC; k++) {
    for (let c = 0; c < inC; c++) {
      // flip: the flipped correlation's (k, c) is w[c][k] rotated by 180°.
      const src = w + (<usize>((flip ? c * outC + k : k * inC + c) * 9) << 2);
      const at = u + (<usize>(c * outC + k) << 2);
      // Columns j of t = G g (4 × 3), then rows i of U = t Gᵀ (4 × 4), one column of t at a time.
      let t00 = 0.0, t01 = 0.0, t02 = 0.0, t10 = 0.0, t11 = 0.0, t12 = 0.0;
      let t20 = 0.0, t21 = 0.0, t22 = 0.0, t30 = 0.0, t31 = 0.0, t32 = 0.0;
      for (let j = 0; j < 3; j++) {
        const g0 = tap(src, flip, j);
        const g1 = tap(src, flip, 3 + j);
        const g2 = tap(src, flip, 6 + j);
        const a = g0;
        const b = 0.5 * (g0 + g1 + g2);
        const d = 0.5 * (g0 - g1 + g2);
        const e = g2;
        if (j == 0) {
          t00 = a; t10 = b; t20 = d; t30 = e;
        } else if (j == 1) {
          t01 = a; t11 = b; t21 = d; t31 = e;
        } else {
          t02 = a; t12 = b; t22 = d; t32 = e;
        }
      }
      storeURow(at, plane, 0, t00, t01, t02);
      storeURow(at, plane, 1, t10, t11, t12);
      storeURow(at, plane, 2, t20, t21, t22);
      storeURow(at, plane, 3, t30, t31, t32);
    }
  }
}

/** Tap i of a 3×3 kernel at src, read rotated by 180° when flip is set. */
// @ts-ignore: decorator
@inline function tap(src: usize, flip: i32, i: i32): f64 {
  return <f64>load<f32>(src + (<usize>(flip ? 8 - i : i) << 2));
}

/** Row i of U = t Gᵀ from row i of t, at ξ = 4i .. 4i + 3. */
// @ts-ignore: decorator
@inline function storeURow(at: usize, plane: usize, i: i32, t0: f64, t1: f64, t2: f64): void {
  const row = at + <usize>(4 * i) * plane;
  store<f32>(row, <f32>t0);
  store<f32>(row + plane, <f32>(0.5 * (t0 + t1 + t2)));
  store<f32>(row + 2 * plane, <f32>(0.5 * (t0 - t1 + t2)));
  store<f32>(row + 3 * plane, <f32>t2);
}

/** The even lanes of (a, b): four tiles' column 0 (or 2); the odd lanes: column 1 (or 3). */
// @ts-ignore: decorator
@inline function evens(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 2, 4, 6);
}
// @ts-ignore: decorator
@inline function odds(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 1, 3, 5, 7);
}

/**
 * Stores the first `lanes` lanes of v at p (a group of four tiles cut by the end of the block).
 */
// @ts-ignore: decorator
@inline function storeLanes(p: usize, v: v128, lanes: i32): void {
  if (lanes >= 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (lanes > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (lanes > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * V[ξ][c][t] = (Bᵀ d B)_ξ for the tiles of tile rows [r0, r1) of every channel of the padded image at
 * pad, four tiles of a row at a time (one per lane).
 */
function inputTransform(pad: usize, channels: i32, hp: i32, wp: i32, tw: i32, r0: i32, r1: i32, v: usize): void {
  const nb = (r1 - r0) * tw;
  const xiStride = xiBytes(channels, nb);
  const rowBytes = <usize>wp << 2;
  for (let c = 0; c < channels; c++) {
    const plane = pad + (<usize>(c * hp * wp) << 2);
    const vc = v + (<usize>(c * nb) << 2);
    for (let r = r0; r < r1; r++) {
      for (let j = 0; j < tw; j += 4) {
        const lanes = min(4, tw - j);
        // Row i of the four tiles' 4×4 patches starts at plane row 2r + i, column 2j.
        let p = plane + <usize>(2 * r) * rowBytes + (<usize>(2 * j) << 2);
        // Bᵀ d: combine rows first (each a row of four column vectors), then columns (· B).
        const al = v128.load(p);
        const ah = v128.load(p, 16);
        const al2 = v128.load(p, 8);
        const ah2 = v128.load(p, 24);
        const a0 = evens(al, ah);
        const a1 = odds(al, ah);
        const a2 = evens(al2, ah2);
        const a3 = odds(al2, ah2);
        p += rowBytes;
        const bl = v128.load(p);
        const bh = v128.load(p, 16);
        const bl2 = v128.load(p, 8);
        const bh2 = v128.load(p, 24);
        const b0 = evens(bl, bh);
        const b1 = odds(bl, bh);
        const b2 = evens(bl2, bh2);
        const b3 = odds(bl2, bh2);
        p += rowBytes;
        const cl = v128.load(p);
        const ch = v128.load(p, 16);
        const cl2 = v128.load(p, 8);
        const ch2 = v128.load(p, 24);
        const c0 = evens(cl, ch);
        const c1 = odds(cl, ch);
        const c2 = evens(cl2, ch2);
        const c3 = odds(cl2, ch2);
        p += rowBytes;
        const dl = v128.load(p);
        const dh = v128.load(p, 16);
        const dl2 = v128.load(p, 8);
        const dh2 = v128.load(p, 24);
        const d0 = evens(dl, dh);
        const d1 = odds(dl, dh);
        const d2 = evens(dl2, dh2);
        const d3 = odds(dl2, dh2);
        // Row combinations (Bᵀ d), rows q = 0..3, column j = 0..3.
        const q00 = f32x4.sub(a0, c0);
        const q01 = f32x4.sub(a1, c1);
        const q02 = f32x4.sub(a2, c2);
        const q03 = f32x4.sub(a3, c3);
        const q10 = f32x4.add(b0, c0);
        const q11 = f32x4.add(b1, c1);
        const q12 = f32x4.add(b2, c2);
        const q13 = f32x4.add(b3, c3);
        const q20 = f32x4.sub(c0, b0);
        const q21 = f32x4.sub(c1, b1);
        const q22 = f32x4.sub(c2, b2);
        const q23 = f32x4.sub(c3, b3);
        const q30 = f32x4.sub(b0, d0);
        const q31 = f32x4.sub(b1, d1);
        const q32 = f32x4.sub(b2, d2);
        const q33 = f32x4.sub(b3, d3);
        const o = vc + (<usize>((r - r0) * tw + j) << 2);
        // Column combinations (· B), stored at ξ = 4q + column.
        storeLanes(o, f32x4.sub(q00, q02), lanes);
        storeLanes(o + xiStride, f32x4.add(q01, q02), lanes);
        storeLanes(o + 2 * xiStride, f32x4.sub(q02, q01), lanes);
        storeLanes(o + 3 * xiStride, f32x4.sub(q01, q03), lanes);
        storeLanes(o + 4 * xiStride, f32x4.sub(q10, q12), lanes);
        storeLanes(o + 5 * xiStride, f32x4.add(q11, q12), lanes);
        storeLanes(o + 6 * xiStride, f32x4.sub(q12, q11), lanes);
        storeLanes(o + 7 * xiStride, f32x4.sub(q11, q13), lanes);
        storeLanes(o + 8 * xiStride, f32x4.sub(q20, q22), lanes);
        storeLanes(o + 9 * xiStride, f32x4.add(q21, q22), lanes);
        storeLanes(o + 10 * xiStride, f32x4.sub(q22, q21), lanes);
        storeLanes(o + 11 * xiStride, f32x4.sub(q21, q23), lanes);
        storeLanes(o + 12 * xiStride, f32x4.sub(q30, q32), lanes);
        storeLanes(o + 13 * xiStride, f32x4.add(q31, q32), lanes);
        storeLanes(o + 14 * xiStride, f32x4.sub(q32, q31), lanes);
        storeLanes(o + 15 * xiStride, f32x4.sub(q31, q33), lanes);
      }
    }
  }
}

/** Stores output row values a (column 0 of four tiles) and b (column 1) at p: `cols` of the eight columns. */
// @ts-ignore: decorator
@inline function storeRow(p: usize, a: v128, b: v128, cols: i32): void {
  const lo = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
  const hi = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  if (cols >= 8) {
    v128.store(p, lo);
    v128.store(p, hi, 16);
    return;
  }
  if (cols >= 4) {
    v128.store(p, lo);
    if (cols > 4) store<f32>(p, f32x4.extract_lane(hi, 0), 16);
    if (cols > 5) store<f32>(p, f32x4.extract_lane(hi, 1), 20);
    if (cols > 6) store<f32>(p, f32x4.extract_lane(hi, 2), 24);
    return;
  }
  store<f32>(p, f32x4.extract_lane(lo, 0));
  if (cols > 1) store<f32>(p, f32x4.extract_lane(lo, 1), 4);
  if (cols > 2) store<f32>(p, f32x4.extract_lane(lo, 2), 8);
}

/**
 * y[k] rows 2·r0 .. of the image = Aᵀ M A (+ bias[k]) for the tiles of tile rows [r0, r1), four tiles
 * of a row at a time; the output's last row and column are cut where outH, outW are odd.
 */
function outputTransform(m: usize, outC: i32, tw: i32, r0: i32, r1: i32, bias: usize, y: usize, outH: i32, outW: i32): void {
  const nb = (r1 - r0) * tw;
  const xiStride = xiBytes(outC, nb);
  const rowBytes = <usize>outW << 2;
  for (let k = 0; k < outC; k++) {
    const b = f32x4.splat(bias != 0 ? load<f32>(bias + (<usize>k << 2)) : 0);
    const mk = m + (<usize>(k * nb) << 2);
    const yk = y + (<usize>(k * outH * outW) << 2);
    for (let r = r0; r < r1; r++) {
      for (let j = 0; j < tw; j += 4) {
        const p = mk + (<usize>((r - r0) * tw + j) << 2);
        // Aᵀ M: rows s0 = M0 + M1 + M2, s1 = M1 − M2 − M3 of the 4×4 tile, per column.
        const m00 = v128.load(p);
        const m01 = v128.load(p + xiStride);
        const m02 = v128.load(p + 2 * xiStride);
        const m03 = v128.load(p + 3 * xiStride);
        const m10 = v128.load(p + 4 * xiStride);
        const m11 = v128.load(p + 5 * xiStride);
        const m12 = v128.load(p + 6 * xiStride);
        const m13 = v128.load(p + 7 * xiStride);
        const m20 = v128.load(p + 8 * xiStride);
        const m21 = v128.load(p + 9 * xiStride);
        const m22 = v128.load(p + 10 * xiStride);
        const m23 = v128.load(p + 11 * xiStride);
        const m30 = v128.load(p + 12 * xiStride);
        const m31 = v128.load(p + 13 * xiStride);
        const m32 = v128.load(p + 14 * xiStride);
        const m33 = v128.load(p + 15 * xiStride);
        const s00 = f32x4.add(f32x4.add(m00, m10), m20);
        const s01 = f32x4.add(f32x4.add(m01, m11), m21);
        const s02 = f32x4.add(f32x4.add(m02, m12), m22);
        const s03 = f32x4.add(f32x4.add(m03, m13), m23);
        const s10 = f32x4.sub(f32x4.sub(m10, m20), m30);
        const s11 = f32x4.sub(f32x4.sub(m11, m21), m31);
        const s12 = f32x4.sub(f32x4.sub(m12, m22), m32);
        const s13 = f32x4.sub(f32x4.sub(m13, m23), m33);
        // · A: column 0 = s0 + s1 + s2, column 1 = s1 − s2 − s3.
        const y00 = f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), b);
        const y01 = f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), b);
        const y10 = f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), b);
        const y11 = f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), b);
        const cols = min(8, min(outW - 2 * j, 2 * (tw - j)));
        const row = yk + <usize>(2 * r) * rowBytes + (<usize>(2 * j) << 2);
        storeRow(row, y00, y01, cols);
        if (2 * r + 1 < outH) storeRow(row + rowBytes, y10, y11, cols);
      }
    }
  }
}

/**
 * y = conv2d(x, w) + bias for images [n0, n1) of a 3×3, stride-1, undilated, ungrouped geometry (any
 * padding), with u = winogradWeights(w). bias = 0: none. `work`: winogradScratchBytes(geo) bytes.
 */
export function winogradForward(geo: usize, x: usize, u: usize, bias: usize, y: usize, n0: i32, n1: i32, work: usize): void {
  const inC = load<i32>(geo, GEO_IN_C);
  const outC = load<i32>(geo, GEO_OUT_C);
  const outH = load<i32>(geo, GEO_OUT_H);
  const outW = load<i32>(geo, GEO_OUT_W);
  const inPlane = load<i32>(geo, GEO_IN_H) * load<i32>(geo, GEO_IN_W);
  const th = tilesH(geo);
  const tw = tilesW(geo);
  const hp = planeH(geo);
  const wp = planeW(geo);
  const rows = blockRows(geo);
  const nbMax = rows * tw;
  const pad = work;
  const v = pad + align64(<usize>(inC * hp * wp) << 2);
  const m = v + 16 * xiBytes(inC, nbMax);
  const gemmWork = m + 16 * xiBytes(outC, nbMax);
  for (let n = n0; n < n1; n++) {
    padPlanes(x + (<usize>(n * inC * inPlane) << 2), geo, pad, hp, wp);
    const yn = y + (<usize>(n * outC * outH * outW) << 2);
    for (let r0 = 0; r0 < th; r0 += rows) {
      const r1 = min(th, r0 + rows);
      const nb = (r1 - r0) * tw;
      inputTransform(pad, inC, hp, wp, tw, r0, r1, v);
      for (let xi = 0; xi < 16; xi++) {
        // M_ξ [outC, nb] = U_ξ [outC, inC] (stored [inC][outC]: row stride 1, column stride outC) · V_ξ [inC, nb].
        gemm(outC, nb, inC, u + (<usize>(xi * inC * outC) << 2), 1, outC, v + <usize>xi * xiBytes(inC, nb), nb, 1,
          m + <usize>xi * xiBytes(outC, nb), nb, 0, gemmWork);
      }
      outputTransform(m, outC, tw, r0, r1, bias, yn, outH, outW);
    }
  }
}
