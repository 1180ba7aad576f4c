/**
 * @file C[m,n] += A·Bᵀ where A [m,k] and B [n,k] are both read along rows: every entry of C is the
 * dot product of a row of A with a row of B.
 *
 * Note [row dots]: a convolution's weight gradient is gy_g [kg, plane] · colᵀ, and both gy_g's rows and
 * the column matrix's rows run along the output plane. The packed GEMM (assembly/gemm.ts) takes that
 * as a product whose B is read transposed — packing it column by column, for every image — and its
 * 4×8 tiles run part empty when kg and cg·kH·kW are small: LeNet's first layer ([6,784]·[784,25] per
 * image, tiles 59% full) ran at 12 GFLOP/s on one thread, a third of what the same kernel does on
 * large products. Here nothing is packed: a 2×4 tile of C keeps eight vector accumulators while two
 * rows of A and four rows of B stream past, four elements of k at a time (six loads for eight
 * multiply-adds), and the tile's lanes are summed once at the end — transposed into one vector per
 * row of C, added into C four columns at a time. An edge tile repeats its last row of A or B and
 * drops the repeated results, so every tile runs the same loop. The sums are taken in a different
 * order from the packed GEMM's (four interleaved partial sums, then across them), within the float32
 * bounds the kernel tests allow.
 */
import { madd } from './simd';

/** The four lanes of x0..x3 summed, as one vector (lane j: x_j's lanes summed). */
// @ts-ignore: decorator
@inline function laneSums(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const u0 = f32x4.add(v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), v128.shuffle<f32>(x0, x1, 2, 6, 3, 7));
  const u1 = f32x4.add(v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), v128.shuffle<f32>(x2, x3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
}

/** Σ_{p in [from, k)} a[p]·b[p] in float32, in order (the tail of a row shorter than whole vectors). */
// @ts-ignore: decorator
@inline function tailDot(a: usize, b: usize, from: i32, k: i32): f32 {
  let s: f32 = 0;
  for (let p = from; p < k; p++) s += load<f32>(a + (<usize>p << 2)) * load<f32>(b + (<usize>p << 2));
  return s;
}

/**
 * C(i,j) += Σ_p A(i,p)·B(j,p) for i < m, j < n, p < k: A(i,p) at a + 4·(i·lda + p), B(j,p) at
 * b + 4·(j·ldb + p), C(i,j) at c + 4·(i·ldc + j).
 */
export function rowDots(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32): void {
  const kv = k & ~3;
  const rowA = <usize>lda << 2;
  const rowB = <usize>ldb << 2;
  for (let i = 0; i < m; i += 2) {
    const a0 = a + <usize>i * rowA;
    const a1 = i + 1 < m ? a0 + rowA : a0;
    for (let j = 0; j < n; j += 4) {
      const b0 = b + <usize>j * rowB;
      const b1 = j + 1 < n ? b0 + rowB : b0;
      const b2 = j + 2 < n ? b1 + rowB : b1;
      const b3 = j + 3 < n ? b2 + rowB : b2;
      let c00 = f32x4.splat(0);
      let c01 = c00;
      let c02 = c00;
      let c03 = c00;
      let c10 = c00;
      let c11 = c00;
      let c12 = c00;
      let c13 = c00;
      for (let p = 0; p < kv; p += 4) {
        const o = <usize>p << 2;
        const x0 = v128.load(a0 + o);
        const x1 = v128.load(a1 + o);
        let y = v128.load(b0 + o);
        c00 = madd(x0, y, c00);
        c10 = madd(x1, y, c10);
        y = v128.load(b1 + o);
        c01 = madd(x0, y, c01);
        c11 = madd(x1, y, c11);
        y = v128.load(b2 + o);
        c02 = madd(x0, y, c02);
        c12 = madd(x1, y, c12);
        y = v128.load(b3 + o);
        c03 = madd(x0, y, c03);
        c13 = madd(x1, y, c13);
      }
      let s0 = laneSums(c00, c01, c02, c03);
      let s1 = laneSums(c10, c11, c12, c13);
      if (kv < k) {
        s0 = f32x4.add(s0, f32x4(tailDot(a0, b0, kv, k), tailDot(a0, b1, kv, k), tailDot(a0, b2, kv, k), tailDot(a0, b3, kv, k)));
        s1 = f32x4.add(s1, f32x4(tailDot(a1, b0, kv, k), tailDot(a1, b1, kv, k), tailDot(a1, b2, kv, k), tailDot(a1, b3, kv, k)));
      }
      const r0 = c + (<usize>(i * ldc + j) << 2);
      const r1 = r0 + (<usize>ldc << 2);
      if (j + 4 <= n) {
        v128.store(r0, f32x4.add(v128.load(r0), s0));
        if (i + 1 < m) v128.store(r1, f32x4.add(v128.load(r1), s1));
        continue;
      }
      // An edge tile: only the columns that exist (lanes past n - j repeat the last row of B).
      const cols = n - j;
      store<f32>(r0, load<f32>(r0) + f32x4.extract_lane(s0, 0));
      if (cols > 1) store<f32>(r0, load<f32>(r0, 4) + f32x4.extract_lane(s0, 1), 4);
      if (cols > 2) store<f32>(r0, load<f32>(r0, 8) + f32x4.extract_lane(s0, 2), 8);
      if (i + 1 < m) {
        store<f32>(r1, load<f32>(r1) + f32x4.extract_lane(s1, 0));
        if (cols > 1) store<f32>(r1, load<f32>(r1, 4) + f32x4.extract_lane(s1, 1), 4);
        if (cols > 2) store<f32>(r1, load<f32>(r1, 8) + f32x4.extract_lane(s1, 2), 8);
      }
    }
  }
}
