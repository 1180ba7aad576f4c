/**
 * @file An LSTM layer-direction's whole recurrence in one call (Note [LSTM sequence primitive] in
 * src/ops/recurrent-sequence.ts), float32 with 128-bit SIMD: per step the hidden-to-hidden product on
 * gemm.ts's packing routines and micro-kernel, against W_hh packed ONCE per call, and the gate math
 * in the same pass. A call runs batch rows [r0, r1) through all T steps: rows are independent, so
 * threads take row ranges and never synchronise between steps (src/kernels/wasm/recurrent.ts).
 * Layouts as src/kernels/js/recurrent-sequence.ts: gates [T,B,4H], y [T+1,B,H], cs [T,B,H].
 *
 * Note [float32 exp without tables]: sigmoid and tanh come from exp4 below — Cephes' expf (range
 * reduction by ln 2 in two parts, a degree-6 minimax polynomial, 2^n built in the exponent bits),
 * four lanes at a time, with no lookup tables and nothing from the standard library, so the kernel
 * does not depend on the module's static data (which the serial arena's memory does not keep).
 * Measured against Math in float64 on 4,000 points of [−90, 90] (tests/recurrent-sequence-wasm.test.ts):
 * exp's relative error 7.7e-8 where exp(x) is a normal float32 (bound tested: 1.5e-7); sigmoid =
 * 1/(1 + exp(−x)) within 8.3e-8 absolute (bound 1.5e-7) and tanh = 1 − 2/(exp(2x) + 1) within 1.6e-7
 * absolute (bound 2.5e-7: near 0 tanh's relative error grows as 1e-7/|x|). A whole sequence, forward
 * and backward, stays within 6.4e-7 of a float64 reference relative to the largest value (bound 5e-6).
 */

import { micro, MR, NR, packA, packB } from './gemm';
import { madd } from './simd';

// @ts-ignore: decorator
@inline function exp4(x: v128): v128 {
  x = f32x4.max(f32x4.min(x, f32x4.splat(88.0)), f32x4.splat(-87.33654));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

// @ts-ignore: decorator
@inline function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline function tanh4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(exp4(f32x4.add(x, x)), one)));
}

/** exp, sigmoid (1) or tanh (2) of n floats at x into y: what tests check exp4 and its uses with. */
export function lstmActivation(op: i32, x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const v = f32x4.splat(load<f32>(x + (<usize>i << 2)));
    const a = op == 0 ? exp4(v) : op == 1 ? sigmoid4(v) : tanh4(v);
    store<f32>(y + (<usize>i << 2), f32x4.extract_lane(a, 0));
  }
}

/**
 * Packs W_hh [gates·H, H] (4 for the LSTM, 3 for the GRU) once per call for the micro-kernel:
 * `forward` ≠ 0 as W_hhᵀ (k = H, n = gates·H; the forward's h W_hhᵀ), else as W_hh (k = gates·H,
 * n = H; the backward's ∂gates W_hh).
 */
export function packRecurrentWeights(w: usize, h: i32, gates: i32, forward: i32, dst: usize): void {
  if (forward != 0) packB(w, 1, h, h, gates * h, dst);
  else packB(w, h, 1, gates * h, h, dst);
}

/** One row of the forward cell: g [4H] pre-activations in, activations out; c_t and h_t written. */
// @ts-ignore: decorator
@inline function cellRow(g: usize, cPrev: usize, h: usize, c: usize, H: i32): void {
  const gf = g + (<usize>H << 2);
  const gg = gf + (<usize>H << 2);
  const go = gg + (<usize>H << 2);
  let j = 0;
  for (; j < H; j += 4) {
    const o = <usize>j << 2;
    const full = j + 4 <= H;
    const vi = full ? v128.load(g + o) : lanes(g + o, H - j);
    const vf = full ? v128.load(gf + o) : lanes(gf + o, H - j);
    const vg = full ? v128.load(gg + o) : lanes(gg + o, H - j);
    const vo = full ? v128.load(go + o) : lanes(go + o, H - j);
    const vc = full ? v128.load(cPrev + o) : lanes(cPrev + o, H - j);
    const i = sigmoid4(vi);
    const f = sigmoid4(vf);
    const gt = tanh4(vg);
    const ot = sigmoid4(vo);
    const c2 = f32x4.add(f32x4.mul(f, vc), f32x4.mul(i, gt));
    const h2 = f32x4.mul(ot, tanh4(c2));
    if (full) {
      v128.store(g + o, i);
      v128.store(gf + o, f);
      v128.store(gg + o, gt);
      v128.store(go + o, ot);
      v128.store(c + o, c2);
      v128.store(h + o, h2);
    } else {
      const n = H - j;
      store4(g + o, i, n);
      store4(gf + o, f, n);
      store4(gg + o, gt, n);
      store4(go + o, ot, n);
      store4(c + o, c2, n);
      store4(h + o, h2, n);
    }
  }
}

/** The first n (< 4) floats at p in the low lanes, zeros above. */
// @ts-ignore: decorator
@inline function lanes(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores the low n (< 4) lanes of v at p. */
// @ts-ignore: decorator
@inline function store4(p: usize, v: v128, n: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** Bytes of scratch a call on `rows` rows needs: the packed rows of h (forward) or ∂gates (backward), one edge tile. */
export function lstmScratchBytes(rows: i32, h: i32, forward: i32): i32 {
  const k = forward != 0 ? h : 4 * h;
  return (((rows + MR - 1) / MR) * MR * k + MR * NR) << 2;
}

/**
 * Rows [r0, r1) through all T steps: gates [T,B,4H] holds gatesX (the input part) and leaves every
 * step's activations σi, σf, tanh g, σo; y [T+1,B,H] receives every h and the final c; cs [T,B,H]
 * every c. packedW is lstmPackWeights(W_hh, H, 1).
 */
export function lstmSequenceForward(r0: i32, r1: i32, T: i32, B: i32, H: i32, gates: usize, packedW: usize, h0: usize, c0: usize,
  y: usize, cs: usize, work: usize): void {
  const rows = r1 - r0;
  if (rows <= 0) return;
  const G = 4 * H;
  const packed = work;
  const tile = work + (<usize>(((rows + MR - 1) / MR) * MR * H) << 2);
  for (let t = 0; t < T; t++) {
    const hPrev = t == 0 ? h0 + (<usize>(r0 * H) << 2) : y + (<usize>(((t - 1) * B + r0) * H) << 2);
    const cPrev = t == 0 ? c0 + (<usize>(r0 * H) << 2) : cs + (<usize>(((t - 1) * B + r0) * H) << 2);
    const gt = gates + (<usize>((t * B + r0) * G) << 2);
    // gates_t += h_{t−1} W_hhᵀ for these rows.
    packA(hPrev, H, 1, rows, H, packed);
    for (let jr = 0; jr < G; jr += NR) {
      const bp = packedW + (<usize>(jr * H) << 2);
      const cols = min(NR, G - jr);
      for (let ir = 0; ir < rows; ir += MR) {
        micro(H, packed + (<usize>(ir * H) << 2), bp, gt + (<usize>(ir * G + jr) << 2), G, min(MR, rows - ir), cols, true, tile);
      }
    }
    const ht = y + (<usize>((t * B + r0) * H) << 2);
    const ct = cs + (<usize>((t * B + r0) * H) << 2);
    for (let r = 0; r < rows; r++) {
      cellRow(gt + (<usize>(r * G) << 2), cPrev + (<usize>(r * H) << 2), ht + (<usize>(r * H) << 2), ct + (<usize>(r * H) << 2), H);
    }
  }
  memory.copy(y + (<usize>((T * B + r0) * H) << 2), cs + (<usize>(((T - 1) * B + r0) * H) << 2), <usize>(rows * H) << 2);
}

/**
 * The reverse recurrence for rows [r0, r1): from gy [T+1,B,H] (every step's ∂h, then the final c's
 * ∂c), the activations `acts` [T,B,4H] and cs [T,B,H] the forward left and c0 [B,H], into gGates
 * [T,B,4H], gh and gc [B,H] (which carry ∂h and ∂c from step t+1 to step t and end as h0's and c0's
 * gradients). packedW is lstmPackWeights(W_hh, H, 0).
 */
export function lstmSequenceBackward(r0: i32, r1: i32, T: i32, B: i32, H: i32, acts: usize, cs: usize, c0: usize, packedW: usize,
  gy: usize, gGates: usize, gh: usize, gc: usize, work: usize): void {
  const rows = r1 - r0;
  if (rows <= 0) return;
  const G = 4 * H;
  const packed = work;
  const tile = work + (<usize>(((rows + MR - 1) / MR) * MR * G) << 2);
  const ghr = gh + (<usize>(r0 * H) << 2);
  const gcr = gc + (<usize>(r0 * H) << 2);
  memory.fill(ghr, 0, <usize>(rows * H) << 2);
  memory.copy(gcr, gy + (<usize>((T * B + r0) * H) << 2), <usize>(rows * H) << 2);
  const one = f32x4.splat(1);
  for (let t = T - 1; t >= 0; t--) {
    for (let r = 0; r < rows; r++) {
      const row = t * B + r0 + r;
      const a = acts + (<usize>(row * G) << 2);
      const d = gGates + (<usize>(row * G) << 2);
      const c = cs + (<usize>(row * H) << 2);
      const cp = t > 0 ? cs + (<usize>((row - B) * H) << 2) : c0 + (<usize>((r0 + r) * H) << 2);
      const dy = gy + (<usize>(row * H) << 2);
      const dh = ghr + (<usize>(r * H) << 2);
      const dcn = gcr + (<usize>(r * H) << 2);
      for (let j = 0; j < H; j += 4) {
        const o = <usize>j << 2;
        const full = j + 4 <= H;
        const n = H - j;
        const hO = <usize>H << 2;
        const i = full ? v128.load(a + o) : lanes(a + o, n);
        const f = full ? v128.load(a + hO + o) : lanes(a + hO + o, n);
        const g = full ? v128.load(a + 2 * hO + o) : lanes(a + 2 * hO + o, n);
        const og = full ? v128.load(a + 3 * hO + o) : lanes(a + 3 * hO + o, n);
        const tc = tanh4(full ? v128.load(c + o) : lanes(c + o, n));
        const cPrev = full ? v128.load(cp + o) : lanes(cp + o, n);
        const ghv = f32x4.add(full ? v128.load(dy + o) : lanes(dy + o, n), full ? v128.load(dh + o) : lanes(dh + o, n));
        const dcIn = full ? v128.load(dcn + o) : lanes(dcn + o, n);
        const dc = f32x4.add(dcIn, f32x4.mul(f32x4.mul(ghv, og), f32x4.sub(one, f32x4.mul(tc, tc))));
        const di = f32x4.mul(f32x4.mul(dc, g), f32x4.mul(i, f32x4.sub(one, i)));
        const df = f32x4.mul(f32x4.mul(dc, cPrev), f32x4.mul(f, f32x4.sub(one, f)));
        const dg = f32x4.mul(f32x4.mul(dc, i), f32x4.sub(one, f32x4.mul(g, g)));
        const do_ = f32x4.mul(f32x4.mul(ghv, tc), f32x4.mul(og, f32x4.sub(one, og)));
        const dcOut = f32x4.mul(dc, f);
        if (full) {
          v128.store(d + o, di);
          v128.store(d + hO + o, df);
          v128.store(d + 2 * hO + o, dg);
          v128.store(d + 3 * hO + o, do_);
          v128.store(dcn + o, dcOut);
        } else {
          store4(d + o, di, n);
          store4(d + hO + o, df, n);
          store4(d + 2 * hO + o, dg, n);
          store4(d + 3 * hO + o, do_, n);
          store4(dcn + o, dcOut, n);
        }
      }
    }
    // ∂h for step t−1: ∂gates_t W_hh for these rows.
    packA(gGates + (<usize>((t * B + r0) * G) << 2), G, 1, rows, G, packed);
    for (let jr = 0; jr < H; jr += NR) {
      const bp = packedW + (<usize>(jr * G) << 2);
      const cols = min(NR, H - jr);
      for (let ir = 0; ir < rows; ir += MR) {
        micro(G, packed + (<usize>(ir * G) << 2), bp, ghr + (<usize>(ir * H + jr) << 2), H, min(MR, rows - ir), cols, false, tile);
      }
    }
  }
}

// ---- the GRU ------------------------------------------------------------------------------------

/** Bytes of scratch a GRU call on `rows` rows needs: packed rows, the forward's gh rows, one edge tile. */
export function gruScratchBytes(rows: i32, h: i32, forward: i32): i32 {
  const up = ((rows + MR - 1) / MR) * MR;
  return forward != 0 ? (up * h + rows * 3 * h + MR * NR) << 2 : (up * 3 * h + MR * NR) << 2;
}

/**
 * GRU rows [r0, r1) through all T steps (src/kernels/js/recurrent-sequence.ts's gruSequenceForward):
 * gi [T,B,3H], b_hh [3H], h0 [B,H] → y [T,B,H] and saved [T,B,4H] (r, z, n, gh_n). packedW is
 * packRecurrentWeights(W_hh, H, 3, 1).
 */
export function gruSequenceForward(r0: i32, r1: i32, T: i32, B: i32, H: i32, gi: usize, packedW: usize, bhh: usize, h0: usize,
  y: usize, saved: usize, work: usize): void {
  const rows = r1 - r0;
  if (rows <= 0) return;
  const G = 3 * H;
  const packed = work;
  const gh = work + (<usize>(((rows + MR - 1) / MR) * MR * H) << 2);
  const tile = gh + (<usize>(rows * G) << 2);
  const hO = <usize>H << 2;
  for (let t = 0; t < T; t++) {
    const hPrev = t == 0 ? h0 + (<usize>(r0 * H) << 2) : y + (<usize>(((t - 1) * B + r0) * H) << 2);
    for (let r = 0; r < rows; r++) memory.copy(gh + (<usize>(r * G) << 2), bhh, <usize>G << 2);
    packA(hPrev, H, 1, rows, H, packed);
    for (let jr = 0; jr < G; jr += NR) {
      const bp = packedW + (<usize>(jr * H) << 2);
      const cols = min(NR, G - jr);
      for (let ir = 0; ir < rows; ir += MR) {
        micro(H, packed + (<usize>(ir * H) << 2), bp, gh + (<usize>(ir * G + jr) << 2), G, min(MR, rows - ir), cols, true, tile);
      }
    }
    for (let r = 0; r < rows; r++) {
      const row = t * B + r0 + r;
      const a = gi + (<usize>(row * G) << 2);
      const b = gh + (<usize>(r * G) << 2);
      const hp = hPrev + (<usize>(r * H) << 2);
      const out = y + (<usize>(row * H) << 2);
      const s = saved + (<usize>(row * 4 * H) << 2);
      for (let j = 0; j < H; j += 4) {
        const o = <usize>j << 2;
        const full = j + 4 <= H;
        const n = H - j;
        const ghn = full ? v128.load(b + 2 * hO + o) : lanes(b + 2 * hO + o, n);
        const rr = sigmoid4(f32x4.add(full ? v128.load(a + o) : lanes(a + o, n), full ? v128.load(b + o) : lanes(b + o, n)));
        const z = sigmoid4(f32x4.add(full ? v128.load(a + hO + o) : lanes(a + hO + o, n), full ? v128.load(b + hO + o) : lanes(b + hO + o, n)));
        const nn = tanh4(f32x4.add(full ? v128.load(a + 2 * hO + o) : lanes(a + 2 * hO + o, n), f32x4.mul(rr, ghn)));
        const h2 = f32x4.add(nn, f32x4.mul(z, f32x4.sub(full ? v128.load(hp + o) : lanes(hp + o, n), nn)));
        if (full) {
          v128.store(out + o, h2);
          v128.store(s + o, rr);
          v128.store(s + hO + o, z);
          v128.store(s + 2 * hO + o, nn);
          v128.store(s + 3 * hO + o, ghn);
        } else {
          store4(out + o, h2, n);
          store4(s + o, rr, n);
          store4(s + hO + o, z, n);
          store4(s + 2 * hO + o, nn, n);
          store4(s + 3 * hO + o, ghn, n);
        }
      }
    }
  }
}

/**
 * The GRU's reverse recurrence for rows [r0, r1) (gruSequenceBackward in the TypeScript kernels): gy
 * [T,B,H], saved [T,B,4H], y [T,B,H] and h0 [B,H] into ggi, ggh [T,B,3H] and gh [B,H], the carried
 * ∂h that ends as h0's gradient. packedW is packRecurrentWeights(W_hh, H, 3, 0).
 */
export function gruSequenceBackward(r0: i32, r1: i32, T: i32, B: i32, H: i32, saved: usize, y: usize, h0: usize, packedW: usize,
  gy: usize, ggi: usize, ggh: usize, gh: usize, work: usize): void {
  const rows = r1 - r0;
  if (rows <= 0) return;
  const G = 3 * H;
  const packed = work;
  const tile = work + (<usize>(((rows + MR - 1) / MR) * MR * G) << 2);
  const carry = gh + (<usize>(r0 * H) << 2);
  memory.fill(carry, 0, <usize>(rows * H) << 2);
  const one = f32x4.splat(1);
  const hO = <usize>H << 2;
  for (let t = T - 1; t >= 0; t--) {
    const hPrev = t == 0 ? h0 + (<usize>(r0 * H) << 2) : y + (<usize>(((t - 1) * B + r0) * H) << 2);
    for (let r = 0; r < rows; r++) {
      const row = t * B + r0 + r;
      const s = saved + (<usize>(row * 4 * H) << 2);
      const di = ggi + (<usize>(row * G) << 2);
      const dh = ggh + (<usize>(row * G) << 2);
      const dy = gy + (<usize>(row * H) << 2);
      const cr = carry + (<usize>(r * H) << 2);
      const hp = hPrev + (<usize>(r * H) << 2);
      for (let j = 0; j < H; j += 4) {
        const o = <usize>j << 2;
        const full = j + 4 <= H;
        const n = H - j;
        const rr = full ? v128.load(s + o) : lanes(s + o, n);
        const z = full ? v128.load(s + hO + o) : lanes(s + hO + o, n);
        const nn = full ? v128.load(s + 2 * hO + o) : lanes(s + 2 * hO + o, n);
        const ghn = full ? v128.load(s + 3 * hO + o) : lanes(s + 3 * hO + o, n);
        const d = f32x4.add(full ? v128.load(dy + o) : lanes(dy + o, n), full ? v128.load(cr + o) : lanes(cr + o, n));
        const an = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(nn, nn)));
        const ar = f32x4.mul(f32x4.mul(an, ghn), f32x4.mul(rr, f32x4.sub(one, rr)));
        const hpv = full ? v128.load(hp + o) : lanes(hp + o, n);
        const az = f32x4.mul(f32x4.mul(d, f32x4.sub(hpv, nn)), f32x4.mul(z, f32x4.sub(one, z)));
        const anr = f32x4.mul(an, rr);
        const dz = f32x4.mul(d, z);
        if (full) {
          v128.store(di + o, ar);
          v128.store(di + hO + o, az);
          v128.store(di + 2 * hO + o, an);
          v128.store(dh + o, ar);
          v128.store(dh + hO + o, az);
          v128.store(dh + 2 * hO + o, anr);
          v128.store(cr + o, dz);
        } else {
          store4(di + o, ar, n);
          store4(di + hO + o, az, n);
          store4(di + 2 * hO + o, an, n);
          store4(dh + o, ar, n);
          store4(dh + hO + o, az, n);
          store4(dh + 2 * hO + o, anr, n);
          store4(cr + o, dz, n);
        }
      }
    }
    // carry += ∂gh_t W_hh for these rows.
    packA(ggh + (<usize>((t * B + r0) * G) << 2), G, 1, rows, G, packed);
    for (let jr = 0; jr < H; jr += NR) {
      const bp = packedW + (<usize>(jr * G) << 2);
      const cols = min(NR, H - jr);
      for (let ir = 0; ir < rows; ir += MR) {
        micro(G, packed + (<usize>(ir * G) << 2), bp, carry + (<usize>(ir * H + jr) << 2), H, min(MR, rows - ir), cols, true, tile);
      }
    }
  }
}
