/**
 * @file Fused scaled dot-product attention on float32 (Note [fused attention] in src/ops/attention.ts):
 * per entry (one batch-and-head pair) softmax(scale·q·kᵀ + mask)·v, with the scores, weights and
 * their gradients held in this thread's scratch, never in a tensor.
 *
 * Entry t's operands are contiguous: q [L,E], k [S,E], v [S,Ev], out [L,Ev], stats [L,2] (each row's
 * max and 1/Σ e^(s − max), so the backward recomputes the weights bit for bit), starting t entries
 * in. mask, when not 0, is one [L,S] block added to every entry's scores. causal: query i sees keys
 * 0..i only (top-left aligned); the products then stop at each block of rows' last visible key, so
 * causal attention does about half the multiply-adds.
 *
 * Scratch (attentionScratchBytes): kᵀ [E,S], vᵀ [Ev,S], the weights P [L,S] and their gradient
 * [L,S]. Every product is `rows` (below), a 4×8 register tile over rows of A read by strides and
 * contiguous rows of B — the small products of attention (E = 32, S = 64 in the transformer step)
 * are too short to pay for the GEMM's packing.
 */
import { exp4 } from './gelu';
import { madd } from './simd';

/** e^v per lane, NaN for NaN (a fully blocked row's −∞ − (−∞) stays NaN, as the softmax kernels keep it). */
// @ts-ignore: decorator
@inline function expNaN(v: v128): v128 {
  return v128.bitselect(v, exp4(v), f32x4.ne(v, v));
}

// @ts-ignore: decorator
@inline function exp1(v: f32): f32 {
  return f32x4.extract_lane(expNaN(f32x4.splat(v)), 0);
}

// @ts-ignore: decorator
@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

export function attentionScratchBytes(L: i32, S: i32, E: i32, Ev: i32): i32 {
  return ((E + Ev) * S + 2 * L * S) << 2;
}

/**
 * C[i·cs + j] = alpha·Σ_{p<kk} A[i·ars + p·acs]·B[p·bs + j] for i < rows (at most 4), j < n.
 * Four rows at a time in eight columns (eight accumulators), then four columns, then one.
 */
function rows(a: usize, ars: i32, acs: i32, b: usize, bs: i32, c: usize, cs: i32, nrows: i32, n: i32, kk: i32, alpha: f32): void {
  const al = f32x4.splat(alpha);
  if (nrows == 4) {
    const a0 = a;
    const a1 = at(a, ars);
    const a2 = at(a, 2 * ars);
    const a3 = at(a, 3 * ars);
    const astep = <usize>acs << 2;
    const bstep = <usize>bs << 2;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      let pb = at(b, j);
      let pa: usize = 0;
      for (let p = 0; p < kk; p++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const x0 = v128.load32_splat(a0 + pa);
        const x1 = v128.load32_splat(a1 + pa);
        c00 = madd(x0, b0, c00);
        c01 = madd(x0, b1, c01);
        c10 = madd(x1, b0, c10);
        c11 = madd(x1, b1, c11);
        const x2 = v128.load32_splat(a2 + pa);
        const x3 = v128.load32_splat(a3 + pa);
        c20 = madd(x2, b0, c20);
        c21 = madd(x2, b1, c21);
        c30 = madd(x3, b0, c30);
        c31 = madd(x3, b1, c31);
        pa += astep;
        pb += bstep;
      }
      const o = at(c, j);
      v128.store(o, f32x4.mul(c00, al));
      v128.store(o, f32x4.mul(c01, al), 16);
      v128.store(at(o, cs), f32x4.mul(c10, al));
      v128.store(at(o, cs), f32x4.mul(c11, al), 16);
      v128.store(at(o, 2 * cs), f32x4.mul(c20, al));
      v128.store(at(o, 2 * cs), f32x4.mul(c21, al), 16);
      v128.store(at(o, 3 * cs), f32x4.mul(c30, al));
      v128.store(at(o, 3 * cs), f32x4.mul(c31, al), 16);
    }
    for (; j + 4 <= n; j += 4) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      let pb = at(b, j);
      let pa: usize = 0;
      for (let p = 0; p < kk; p++) {
        const b0 = v128.load(pb);
        c0 = madd(v128.load32_splat(a0 + pa), b0, c0);
        c1 = madd(v128.load32_splat(a1 + pa), b0, c1);
        c2 = madd(v128.load32_splat(a2 + pa), b0, c2);
        c3 = madd(v128.load32_splat(a3 + pa), b0, c3);
        pa += astep;
        pb += bstep;
      }
      const o = at(c, j);
      v128.store(o, f32x4.mul(c0, al));
      v128.store(at(o, cs), f32x4.mul(c1, al));
      v128.store(at(o, 2 * cs), f32x4.mul(c2, al));
      v128.store(at(o, 3 * cs), f32x4.mul(c3, al));
    }
    if (j < n) tail(a, ars, acs, b, bs, c, cs, 4, j, n, kk, alpha);
    return;
  }
  tail(a, ars, acs, b, bs, c, cs, nrows, 0, n, kk, alpha);
}

/** rows' columns j0..n one at a time (the edges: fewer than four rows, or columns past a multiple of four). */
function tail(a: usize, ars: i32, acs: i32, b: usize, bs: i32, c: usize, cs: i32, nrows: i32, j0: i32, n: i32, kk: i32, alpha: f32): void {
  for (let r = 0; r < nrows; r++) {
    for (let j = j0; j < n; j++) {
      let s: f32 = 0;
      for (let p = 0; p < kk; p++) s += load<f32>(at(a, r * ars + p * acs)) * load<f32>(at(b, p * bs + j));
      store<f32>(at(c, r * cs + j), s * alpha);
    }
  }
}

/** dst [cols, n] = src [n, cols]ᵀ. */
function transposeInto(src: usize, n: i32, cols: i32, dst: usize): void {
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < cols; p++) store<f32>(at(dst, p * n + j), load<f32>(at(src, j * cols + p)));
  }
}

/** The keys row i of a causal entry sees (S for a non-causal one). */
// @ts-ignore: decorator
@inline function visible(causal: i32, i: i32, S: i32): i32 {
  return causal != 0 ? min(S, i + 1) : S;
}

/**
 * The columns of P and its gradient written for the block of rows from i0: the keys its last row
 * sees — counted for a whole block of four even when L ends inside it, because the backward reads
 * keys in blocks of four from the queries that see them, and a block of keys that straddles L reads
 * its columns past L in these rows (written as zeros, never left from an earlier call).
 */
// @ts-ignore: decorator
@inline function blockColumns(causal: i32, i0: i32, S: i32): i32 {
  return visible(causal, i0 + 3, S);
}

/**
 * The weights of rows i0..i0+nrows into P: the scores scale·q·kᵀ (+ mask) over the block's visible
 * keys, then per row its softmax over its own visible keys (zeros after them, up to the block's
 * last). forward = 1: each row's max and 1/Σ into stats; 0: read back from stats (the backward).
 */
function weights(
  q: usize,
  kT: usize,
  mask: usize,
  stats: usize,
  P: usize,
  i0: i32,
  nrows: i32,
  S: i32,
  E: i32,
  scale: f32,
  causal: i32,
  forward: i32,
): void {
  const lim = blockColumns(causal, i0, S);
  rows(at(q, i0 * E), E, 1, kT, S, at(P, i0 * S), S, nrows, lim, E, scale);
  for (let i = i0; i < i0 + nrows; i++) {
    const row = at(P, i * S);
    const n = visible(causal, i, S);
    const body = n & ~3;
    if (mask != 0) {
      const mrow = at(mask, i * S);
      for (let j = 0; j < body; j += 4) v128.store(at(row, j), f32x4.add(v128.load(at(row, j)), v128.load(at(mrow, j))));
      for (let j = body; j < n; j++) store<f32>(at(row, j), load<f32>(at(row, j)) + load<f32>(at(mrow, j)));
    }
    let ms: f32;
    let inv: f32;
    if (forward != 0) {
      let mv = f32x4.splat(-Infinity);
      for (let j = 0; j < body; j += 4) mv = f32x4.max(mv, v128.load(at(row, j)));
      const m2 = f32x4.max(mv, v128.shuffle<f32>(mv, mv, 2, 3, 0, 1));
      ms = f32x4.extract_lane(f32x4.max(m2, v128.shuffle<f32>(m2, m2, 1, 0, 3, 2)), 0);
      for (let j = body; j < n; j++) {
        const v = load<f32>(at(row, j));
        if (v > ms || v != v) ms = v;
      }
      const m = f32x4.splat(ms);
      let sv = f32x4.splat(0);
      for (let j = 0; j < body; j += 4) {
        const e = expNaN(f32x4.sub(v128.load(at(row, j)), m));
        v128.store(at(row, j), e);
        sv = f32x4.add(sv, e);
      }
      let total: f32 = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
      for (let j = body; j < n; j++) {
        const e = exp1(load<f32>(at(row, j)) - ms);
        store<f32>(at(row, j), e);
        total += e;
      }
      inv = 1 / total;
      store<f32>(at(stats, 2 * i), ms);
      store<f32>(at(stats, 2 * i + 1), inv);
    } else {
      ms = load<f32>(at(stats, 2 * i));
      inv = load<f32>(at(stats, 2 * i + 1));
      const m = f32x4.splat(ms);
      for (let j = 0; j < body; j += 4) v128.store(at(row, j), expNaN(f32x4.sub(v128.load(at(row, j)), m)));
      for (let j = body; j < n; j++) store<f32>(at(row, j), exp1(load<f32>(at(row, j)) - ms));
    }
    const s = f32x4.splat(inv);
    for (let j = 0; j < body; j += 4) v128.store(at(row, j), f32x4.mul(v128.load(at(row, j)), s));
    for (let j = body; j < n; j++) store<f32>(at(row, j), load<f32>(at(row, j)) * inv);
    for (let j = n; j < lim; j++) store<f32>(at(row, j), 0);
  }
}

/** out = softmax(scale·q·kᵀ + mask)·v for `count` entries (see the file's comment), stats saved. */
export function attentionForward(
  q: usize,
  k: usize,
  v: usize,
  mask: usize,
  out: usize,
  stats: usize,
  count: i32,
  L: i32,
  S: i32,
  E: i32,
  Ev: i32,
  scaleBits: i32,
  causal: i32,
  work: usize,
): void {
  // The workers pass every argument as an i32 (src/kernels/wasm/parallel.ts): the scale comes as its bits.
  const scale = reinterpret<f32>(scaleBits);
  const kT = work;
  const P = at(kT, (E + Ev) * S);
  for (let t = 0; t < count; t++) {
    const qt = at(q, t * L * E);
    const vt = at(v, t * S * Ev);
    const ot = at(out, t * L * Ev);
    const st = at(stats, t * 2 * L);
    transposeInto(at(k, t * S * E), S, E, kT);
    for (let i0 = 0; i0 < L; i0 += 4) {
      const nrows = min(4, L - i0);
      weights(qt, kT, mask, st, P, i0, nrows, S, E, scale, causal, 1);
      rows(at(P, i0 * S), S, 1, vt, Ev, at(ot, i0 * Ev), Ev, nrows, Ev, blockColumns(causal, i0, S), 1);
    }
  }
}

/**
 * The gradients of attentionForward for `count` entries: the weights P recomputed from the saved
 * stats, dP = gy·vᵀ, dS = P·(dP − Σ_j P·dP) per row, then gq = scale·dS·k, gk = scale·dSᵀ·q and
 * gv = Pᵀ·gy. Causal entries skip the keys no query of a block sees, and the queries before a key.
 */
export function attentionBackward(
  gy: usize,
  q: usize,
  k: usize,
  v: usize,
  mask: usize,
  stats: usize,
  gq: usize,
  gk: usize,
  gv: usize,
  count: i32,
  L: i32,
  S: i32,
  E: i32,
  Ev: i32,
  scaleBits: i32,
  causal: i32,
  work: usize,
): void {
  // The workers pass every argument as an i32 (src/kernels/wasm/parallel.ts): the scale comes as its bits.
  const scale = reinterpret<f32>(scaleBits);
  const kT = work;
  const vT = at(kT, E * S);
  const P = at(vT, Ev * S);
  const D = at(P, L * S);
  for (let t = 0; t < count; t++) {
    const qt = at(q, t * L * E);
    const kt = at(k, t * S * E);
    const gyt = at(gy, t * L * Ev);
    const st = at(stats, t * 2 * L);
    transposeInto(kt, S, E, kT);
    transposeInto(at(v, t * S * Ev), S, Ev, vT);
    for (let i0 = 0; i0 < L; i0 += 4) {
      const nrows = min(4, L - i0);
      const lim = blockColumns(causal, i0, S);
      weights(qt, kT, mask, st, P, i0, nrows, S, E, scale, causal, 0);
      rows(at(gyt, i0 * Ev), Ev, 1, vT, S, at(D, i0 * S), S, nrows, lim, Ev, 1);
      for (let i = i0; i < i0 + nrows; i++) {
        const pr = at(P, i * S);
        const dr = at(D, i * S);
        const body = lim & ~3;
        let dv = f32x4.splat(0);
        for (let j = 0; j < body; j += 4) dv = f32x4.add(dv, f32x4.mul(v128.load(at(pr, j)), v128.load(at(dr, j))));
        let dot: f32 = f32x4.extract_lane(dv, 0) + f32x4.extract_lane(dv, 1) + (f32x4.extract_lane(dv, 2) + f32x4.extract_lane(dv, 3));
        for (let j = body; j < lim; j++) dot += load<f32>(at(pr, j)) * load<f32>(at(dr, j));
        const dd = f32x4.splat(dot);
        for (let j = 0; j < body; j += 4) v128.store(at(dr, j), f32x4.mul(v128.load(at(pr, j)), f32x4.sub(v128.load(at(dr, j)), dd)));
        for (let j = body; j < lim; j++) store<f32>(at(dr, j), load<f32>(at(pr, j)) * (load<f32>(at(dr, j)) - dot));
      }
      rows(at(D, i0 * S), S, 1, kt, E, at(gq, (t * L + i0) * E), E, nrows, E, lim, scale);
    }
    for (let j0 = 0; j0 < S; j0 += 4) {
      const nrows = min(4, S - j0);
      // Query i sees key j only from i = j on: the rows before j0 hold zeros for this block.
      const start = causal != 0 ? j0 : 0;
      const kk = max(0, L - start);
      rows(at(D, start * S + j0), 1, S, at(qt, start * E), E, at(gk, (t * S + j0) * E), E, nrows, E, kk, scale);
      rows(at(P, start * S + j0), 1, S, at(gyt, start * Ev), Ev, at(gv, (t * S + j0) * Ev), Ev, nrows, Ev, kk, 1);
    }
  }
}
