/**
 * @file A whole LSTM layer-direction's recurrence in one call, forward and backward (Note [LSTM
 * sequence primitive] in src/ops/recurrent-sequence.ts): per step the hidden-to-hidden GEMM and the
 * fused gate math of lstmCell (src/kernels/js/recurrent.ts), in the same order of operations as the
 * per-step path, so float64 results agree with it to rounding. Layouts: gatesX [T,B,4H] (PyTorch's
 * i,f,g,o blocks side by side), W_hh [4H,H], h0 and c0 [B,H], y [T+1,B,H] = every step's h then the
 * final c; `saved` [T·B·4H | T·B·H] = every step's activations σi, σf, tanh g, σo, then every step's c.
 */
import type { Storage } from '../../tensor/dtype';
import { UNARY } from './elementwise';
import { gemmJs } from './matmul';

const sigmoid = UNARY.sigmoid;
const tanh = UNARY.tanh;

/** A scratch array of the storage's own type. */
function like(x: Storage, n: number): Storage {
  return x instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
}

/**
 * The forward recurrence: gates_t = gatesX[t] + h_{t−1} W_hhᵀ, c_t = σf·c_{t−1} + σi·tanh g,
 * h_t = σo·tanh c_t; y[t] = h_t for t < T, y[T] = c_{T−1}.
 */
export function lstmSequenceForward(
  gatesX: Storage,
  whh: Storage,
  h0: Storage,
  c0: Storage,
  T: number,
  B: number,
  H: number,
  y: Storage,
  saved: Storage | null,
): void {
  const G = 4 * H;
  const mm = like(y, B * G);
  let c = c0;
  let cNext = like(y, B * H);
  let hPrev = h0;
  let hOff = 0;
  for (let t = 0; t < T; t++) {
    gemmJs(hPrev, hOff, whh, 0, mm, 0, B, H, G, false, false, true);
    const gx = t * B * G;
    const yo = t * B * H;
    for (let r = 0; r < B; r++) {
      const g0 = r * G;
      const c0r = r * H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(gatesX[gx + g0 + j] + mm[g0 + j]);
        const f = sigmoid(gatesX[gx + g0 + H + j] + mm[g0 + H + j]);
        const g = tanh(gatesX[gx + g0 + 2 * H + j] + mm[g0 + 2 * H + j]);
        const o = sigmoid(gatesX[gx + g0 + 3 * H + j] + mm[g0 + 3 * H + j]);
        const c2 = f * c[c0r + j] + i * g;
        cNext[c0r + j] = c2;
        y[yo + c0r + j] = o * tanh(c2);
        if (saved !== null) {
          saved[gx + g0 + j] = i;
          saved[gx + g0 + H + j] = f;
          saved[gx + g0 + 2 * H + j] = g;
          saved[gx + g0 + 3 * H + j] = o;
          saved[T * B * G + yo + c0r + j] = c2;
        }
      }
    }
    hPrev = y;
    hOff = yo;
    // The new c becomes the old; the buffer of the one before is free again (c0 is never written).
    const spare = c === c0 ? like(y, B * H) : c;
    c = cNext;
    cNext = spare;
  }
  for (let k = 0; k < B * H; k++) y[T * B * H + k] = c[k];
}

/**
 * The reverse recurrence from gy [T+1,B,H] (each step's ∂h, then ∂c of the final c) into gGates
 * [T,B,4H] (∂ of every step's pre-activations, which is gatesX's gradient), gh0 and gc0 [B,H]:
 *   ∂h_t = gy[t] + ∂gates_{t+1} W_hh,  ∂c_t = ∂c from t+1 (σf_{t+1}·∂c_{t+1}, or gy[T]) + ∂h_t·σo·(1 − tanh²c_t),
 *   ∂i = ∂c_t·tanh g·σ'(i), ∂f = ∂c_t·c_{t−1}·σ'(f), ∂g = ∂c_t·σi·(1 − tanh²g), ∂o = ∂h_t·tanh c_t·σ'(o).
 */
export function lstmSequenceBackward(
  gy: Storage,
  saved: Storage,
  whh: Storage,
  c0: Storage,
  T: number,
  B: number,
  H: number,
  gGates: Storage,
  gh0: Storage,
  gc0: Storage,
): void {
  const G = 4 * H;
  const cs = T * B * G;
  // gh0 and gc0 carry ∂h and ∂c from step t+1 into step t; they end as h0's and c0's gradients.
  gh0.fill(0);
  for (let k = 0; k < B * H; k++) gc0[k] = gy[T * B * H + k];
  for (let t = T - 1; t >= 0; t--) {
    const go = t * B * G;
    const ho = t * B * H;
    for (let r = 0; r < B; r++) {
      const g0 = r * G;
      const c0r = r * H;
      for (let j = 0; j < H; j++) {
        const i = saved[go + g0 + j];
        const f = saved[go + g0 + H + j];
        const g = saved[go + g0 + 2 * H + j];
        const o = saved[go + g0 + 3 * H + j];
        const tc = tanh(saved[cs + ho + c0r + j]);
        const cPrev = t > 0 ? saved[cs + ho - B * H + c0r + j] : c0[c0r + j];
        const gh = gy[ho + c0r + j] + gh0[c0r + j];
        const dc = gc0[c0r + j] + gh * o * (1 - tc * tc);
        gGates[go + g0 + j] = dc * g * i * (1 - i);
        gGates[go + g0 + H + j] = dc * cPrev * f * (1 - f);
        gGates[go + g0 + 2 * H + j] = dc * i * (1 - g * g);
        gGates[go + g0 + 3 * H + j] = gh * tc * o * (1 - o);
        gc0[c0r + j] = dc * f;
      }
    }
    gemmJs(gGates, go, whh, 0, gh0, 0, B, G, H, false, false, false);
  }
}

/**
 * The GRU's forward recurrence (PyTorch's r, z, n): gi [T,B,3H] is every step's x W_ihᵀ + b_ih; per
 * step gh = h_{t−1} W_hhᵀ + b_hh, r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n),
 * h_t = n + z·(h_{t−1} − n) into y [T,B,H]. `saved` [T,B,4H] (or null) receives r, z, n and gh_n.
 */
export function gruSequenceForward(
  gi: Storage,
  whh: Storage,
  bhh: Storage,
  h0: Storage,
  T: number,
  B: number,
  H: number,
  y: Storage,
  saved: Storage | null,
): void {
  const G = 3 * H;
  const mm = like(y, B * G);
  for (let t = 0; t < T; t++) {
    const hPrev = t === 0 ? h0 : y;
    const hOff = t === 0 ? 0 : (t - 1) * B * H;
    gemmJs(hPrev, hOff, whh, 0, mm, 0, B, H, G, false, false, true);
    for (let r = 0; r < B; r++) {
      const g0 = (t * B + r) * G;
      const m0 = r * G;
      const s0 = (t * B + r) * 4 * H;
      for (let j = 0; j < H; j++) {
        const ghr = mm[m0 + j] + bhh[j];
        const ghz = mm[m0 + H + j] + bhh[H + j];
        const ghn = mm[m0 + 2 * H + j] + bhh[2 * H + j];
        const rr = sigmoid(gi[g0 + j] + ghr);
        const z = sigmoid(gi[g0 + H + j] + ghz);
        const n = tanh(gi[g0 + 2 * H + j] + rr * ghn);
        y[(t * B + r) * H + j] = n + z * (hPrev[hOff + r * H + j] - n);
        if (saved !== null) {
          saved[s0 + j] = rr;
          saved[s0 + H + j] = z;
          saved[s0 + 2 * H + j] = n;
          saved[s0 + 3 * H + j] = ghn;
        }
      }
    }
  }
}

/**
 * The GRU's reverse recurrence from gy [T,B,H] (every step's ∂h) into ggi and ggh [T,B,3H] (the
 * gradients of every step's gi and gh = h W_hhᵀ + b_hh) and gh0 [B,H], which carries ∂h from step t+1
 * to step t: ∂h_t = gy[t] + carry, ∂a_n = ∂h·(1 − z)·(1 − n²), ∂a_r = ∂a_n·gh_n·σ'(r),
 * ∂a_z = ∂h·(h_{t−1} − n)·σ'(z); ggi = [∂a_r, ∂a_z, ∂a_n], ggh = [∂a_r, ∂a_z, ∂a_n·r];
 * carry = ∂h·z + ggh W_hh. y is the forward's output (the states h_{t−1}), h0 the first state.
 */
export function gruSequenceBackward(
  gy: Storage,
  saved: Storage,
  y: Storage,
  h0: Storage,
  whh: Storage,
  T: number,
  B: number,
  H: number,
  ggi: Storage,
  ggh: Storage,
  gh0: Storage,
): void {
  const G = 3 * H;
  gh0.fill(0);
  for (let t = T - 1; t >= 0; t--) {
    const hPrev = t === 0 ? h0 : y;
    const hOff = t === 0 ? 0 : (t - 1) * B * H;
    for (let r = 0; r < B; r++) {
      const g0 = (t * B + r) * G;
      const s0 = (t * B + r) * 4 * H;
      for (let j = 0; j < H; j++) {
        const rr = saved[s0 + j];
        const z = saved[s0 + H + j];
        const n = saved[s0 + 2 * H + j];
        const ghn = saved[s0 + 3 * H + j];
        const d = gy[(t * B + r) * H + j] + gh0[r * H + j];
        const an = d * (1 - z) * (1 - n * n);
        const ar = an * ghn * rr * (1 - rr);
        const az = d * (hPrev[hOff + r * H + j] - n) * z * (1 - z);
        ggi[g0 + j] = ar;
        ggi[g0 + H + j] = az;
        ggi[g0 + 2 * H + j] = an;
        ggh[g0 + j] = ar;
        ggh[g0 + H + j] = az;
        ggh[g0 + 2 * H + j] = an * rr;
        gh0[r * H + j] = d * z;
      }
    }
    gemmJs(ggh, t * B * G, whh, 0, gh0, 0, B, G, H, true, false, false);
  }
}
