/**
 * @file Single-precision GEMM with 128-bit SIMD: C[m,n] (+)= op(A)[m,k] · op(B)[k,n].
 *
 * Goto/BLIS structure. B is packed a KC×NC block at a time into NR-column micro-panels, A a MC×KC
 * block at a time into MR-row micro-panels; the MR×NR micro-kernel keeps its tile of C in eight
 * f32x4 registers for the whole KC loop, so each step loads two vectors of B and four broadcast
 * values of A for sixteen vector multiply-adds. A B micro-panel (KC·NR·4 = 8 KiB) stays in L1 while
 * the A block (MC·KC·4 = 128 KiB) streams from L2. (A 6×8 tile would use more of the sixteen
 * vector registers but V8 then spills inside the loop: measured 2× slower.)
 *
 * Operands are addressed by element strides (row stride, column stride), so a transposed operand is
 * just swapped strides: the packing routines absorb it and the micro-kernel never sees it. Every
 * pointer is a byte address in linear memory chosen by the caller (src/kernels/wasm); nothing here
 * allocates, so several instances can share one memory, one per thread.
 */

import { madd } from './simd';

// @ts-ignore: decorator
@inline export const MR: i32 = 4;
// @ts-ignore: decorator
@inline export const NR: i32 = 8;
// @ts-ignore: decorator
@inline export const KC: i32 = 256;
// @ts-ignore: decorator
@inline export const MC: i32 = 128;
// @ts-ignore: decorator
@inline export const NC: i32 = 2048;

/** Bytes of scratch one gemm call needs for these sizes (packed B, packed A, one edge tile). */
export function gemmScratchBytes(m: i32, n: i32, k: i32): i32 {
  const kc = min(KC, k);
  const nc = (min(NC, n) + NR - 1) / NR * NR;
  const mc = (min(MC, m) + MR - 1) / MR * MR;
  return (kc * nc + mc * kc + MR * NR) << 2;
}

/**
 * Packs op(A)[0:mc, 0:kc] (element (i,p) at a + 4·(i·rs + p·cs)) into MR-row panels: panel q holds
 * dst[(q·kc + p)·MR + r] = A(q·MR + r, p), rows past mc zero.
 */
export function packA(a: usize, rs: i32, cs: i32, mc: i32, kc: i32, dst: usize): void {
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    const src = a + (<usize>(i * rs) << 2);
    if (rows == MR && rs == 1) {
      // Transposed A: the MR values of one p are contiguous.
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src + (<usize>(p * cs) << 2)));
        dst += MR << 2;
      }
    } else if (rows == MR && cs == 1) {
      // Row-major A: transpose 4×4 blocks in registers.
      const r0 = src;
      const r1 = r0 + (<usize>rs << 2);
      const r2 = r1 + (<usize>rs << 2);
      const r3 = r2 + (<usize>rs << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        const x0 = v128.load(r0 + o);
        const x1 = v128.load(r1 + o);
        const x2 = v128.load(r2 + o);
        const x3 = v128.load(r3 + o);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
        const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(dst, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
        v128.store(dst, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
        v128.store(dst, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
        dst += 64;
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2;
        store<f32>(dst, load<f32>(r0 + o));
        store<f32>(dst, load<f32>(r1 + o), 4);
        store<f32>(dst, load<f32>(r2 + o), 8);
        store<f32>(dst, load<f32>(r3 + o), 12);
        dst += 16;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(src + (<usize>(r * rs + p * cs) << 2)) : 0);
        }
        dst += MR << 2;
      }
    }
  }
}

/**
 * Packs op(B)[0:kc, 0:nc] into NR-column panels: panel q holds dst[(q·kc + p)·NR + j] = B(p, q·NR + j),
 * columns past nc zero.
 */
export function packB(b: usize, rs: i32, cs: i32, kc: i32, nc: i32, dst: usize): void {
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const src = b + (<usize>(j * cs) << 2);
    if (cols == NR && cs == 1) {
      for (let p = 0; p < kc; p++) {
        const row = src + (<usize>(p * rs) << 2);
        v128.store(dst, v128.load(row));
        v128.store(dst, v128.load(row, 16), 16);
        dst += NR << 2;
      }
    } else if (cols == NR && rs == 1) {
      // Transposed B: each column of the panel is contiguous; transpose 4×4 blocks.
      for (let h = 0; h < NR; h += 4) {
        const c0 = src + (<usize>(h * cs) << 2);
        const c1 = c0 + (<usize>cs << 2);
        const c2 = c1 + (<usize>cs << 2);
        const c3 = c2 + (<usize>cs << 2);
        let out = dst + (<usize>h << 2);
        let p = 0;
        for (; p + 4 <= kc; p += 4) {
          const o = <usize>p << 2;
          const x0 = v128.load(c0 + o);
          const x1 = v128.load(c1 + o);
          const x2 = v128.load(c2 + o);
          const x3 = v128.load(c3 + o);
          const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
          const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
          const t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
          v128.store(out, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
          v128.store(out, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), NR << 2);
          v128.store(out, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), NR << 3);
          v128.store(out, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), (NR << 3) + (NR << 2));
          out += NR << 4;
        }
        for (; p < kc; p++) {
          const o = <usize>p << 2;
          store<f32>(out, load<f32>(c0 + o));
          store<f32>(out, load<f32>(c1 + o), 4);
          store<f32>(out, load<f32>(c2 + o), 8);
          store<f32>(out, load<f32>(c3 + o), 12);
          out += NR << 2;
        }
      }
      dst += <usize>(kc * NR) << 2;
    } else {
      for (let p = 0; p < kc; p++) {
        for (let c = 0; c < NR; c++) {
          store<f32>(dst + (<usize>c << 2), c < cols ? load<f32>(src + (<usize>(p * rs + c * cs) << 2)) : 0);
        }
        dst += NR << 2;
      }
    }
  }
}

/**
 * The MR×NR tile of C at c (row stride ldc elements) (+)= the product of one packed A panel and one
 * packed B panel over kc. Partial tiles (rows < MR or cols < NR) go through `tile`.
 */
export function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, rows: i32, cols: i32, beta: bool, tile: usize): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    ap += MR << 2;
    bp += NR << 2;
  }
  const ld = <usize>ldc << 2;
  if (rows == MR && cols == NR) {
    if (beta) {
      c00 = f32x4.add(c00, v128.load(c));
      c01 = f32x4.add(c01, v128.load(c, 16));
      c10 = f32x4.add(c10, v128.load(c + ld));
      c11 = f32x4.add(c11, v128.load(c + ld, 16));
      c20 = f32x4.add(c20, v128.load(c + 2 * ld));
      c21 = f32x4.add(c21, v128.load(c + 2 * ld, 16));
      c30 = f32x4.add(c30, v128.load(c + 3 * ld));
      c31 = f32x4.add(c31, v128.load(c + 3 * ld, 16));
    }
    v128.store(c, c00);
    v128.store(c, c01, 16);
    v128.store(c + ld, c10);
    v128.store(c + ld, c11, 16);
    v128.store(c + 2 * ld, c20);
    v128.store(c + 2 * ld, c21, 16);
    v128.store(c + 3 * ld, c30);
    v128.store(c + 3 * ld, c31, 16);
    return;
  }
  v128.store(tile, c00);
  v128.store(tile, c01, 16);
  v128.store(tile, c10, 32);
  v128.store(tile, c11, 48);
  v128.store(tile, c20, 64);
  v128.store(tile, c21, 80);
  v128.store(tile, c30, 96);
  v128.store(tile, c31, 112);
  for (let r = 0; r < rows; r++) {
    const row = c + <usize>r * ld;
    const t = tile + (<usize>(r * NR) << 2);
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, beta ? load<f32>(row + o) + load<f32>(t + o) : load<f32>(t + o));
    }
  }
}

/**
 * C[m,n] (+)= op(A)[m,k] · op(B)[k,n]. A(i,p) is at a + 4·(i·rsa + p·csa), B(p,j) at
 * b + 4·(p·rsb + j·csb), C(i,j) at c + 4·(i·ldc + j). `accumulate` = 0 overwrites C.
 * `work` points at gemmScratchBytes(m, n, k) bytes (16-byte aligned) that this call owns.
 */
export function gemm(m: i32, n: i32, k: i32, a: usize, rsa: i32, csa: i32, b: usize, rsb: i32, csb: i32,
  c: usize, ldc: i32, accumulate: i32, work: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + (<usize>(i * ldc) << 2), 0, <usize>n << 2);
    return;
  }
  const kcMax = min(KC, k);
  const ncMax = (min(NC, n) + NR - 1) / NR * NR;
  const packedB = work;
  const packedA = packedB + (<usize>(kcMax * ncMax) << 2);
  const tile = packedA + (<usize>(((min(MC, m) + MR - 1) / MR * MR) * kcMax) << 2);
  if (m <= MC) {
    // Note [few rows]: with one block of A, each packed B panel serves only m/MR micro-kernel
    // calls, so packing a whole KC×NC block of B first (up to 2 MiB) and reading it back later
    // gains nothing; packing each NR-column panel just before its calls reads it from L1. The
    // same tiles, summed in the same order: the same bits. Measured (one thread, old and new
    // builds alternating in one process): 1.00–1.07× on few-row products — a convolution's
    // per-image [16,150]·[150,100], attention's [64,32]·[32,64], a linear layer's [32,400]·[400,120].
    // A product with more rows keeps the block order, which reuses each packed block across them.
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const beta = accumulate != 0 || pc > 0;
      packA(a + (<usize>(pc * csa) << 2), rsa, csa, m, kc, packedA);
      for (let jr = 0; jr < n; jr += NR) {
        const cols = min(NR, n - jr);
        packB(b + (<usize>(pc * rsb + jr * csb) << 2), rsb, csb, kc, cols, packedB);
        for (let ir = 0; ir < m; ir += MR) {
          micro(kc, packedA + (<usize>(ir * kc) << 2), packedB, c + (<usize>(ir * ldc + jr) << 2), ldc, min(MR, m - ir), cols, beta, tile);
        }
      }
    }
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(b + (<usize>(pc * rsb + jc * csb) << 2), rsb, csb, kc, nc, packedB);
      const beta = accumulate != 0 || pc > 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(a + (<usize>(ic * rsa + pc * csa) << 2), rsa, csa, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const bp = packedB + (<usize>(jr * kc) << 2);
          const cols = min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            micro(kc, packedA + (<usize>(ir * kc) << 2), bp, c + (<usize>((ic + ir) * ldc + jc + jr) << 2), ldc,
              min(MR, mc - ir), cols, beta, tile);
          }
        }
      }
    }
  }
}
