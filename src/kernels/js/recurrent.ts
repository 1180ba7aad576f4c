/**
 * @file The pointwise part of one LSTM or GRU step as single loops, forward and backward (Note [fused
 * recurrent cells] in src/ops/recurrent-cells.ts): what the dozen sliced sigmoid/tanh/mul/add ops of
 * the composed cell compute, in one pass over the gates. sigmoid and tanh are the elementwise kernels'
 * own functions (UNARY in elementwise.ts), so float32 results match the composed path to float32
 * rounding. Rows are batch entries; within a row the gate blocks lie side by side (PyTorch's order).
 */
import type { Storage } from '../../tensor/dtype';
import { UNARY } from './elementwise';

const sigmoid = UNARY.sigmoid;
const tanh = UNARY.tanh;

/**
 * LSTM: gates [b, 4h] (the pre-activations of i, f, g, o) and c [b, h] → y [b, 2h] = [h' | c'] with
 * c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'). `saved` [b, 5h] (or null when no backward will run)
 * receives the activations σ(i), σ(f), tanh(g), σ(o) and tanh(c').
 */
export function lstmCellForward(gates: Storage, c: Storage, b: number, h: number, y: Storage, saved: Storage | null): void {
  for (let r = 0; r < b; r++) {
    const g0 = 4 * h * r;
    const c0 = h * r;
    const y0 = 2 * h * r;
    const s0 = 5 * h * r;
    for (let j = 0; j < h; j++) {
      const i = sigmoid(gates[g0 + j]);
      const f = sigmoid(gates[g0 + h + j]);
      const g = tanh(gates[g0 + 2 * h + j]);
      const o = sigmoid(gates[g0 + 3 * h + j]);
      const c2 = f * c[c0 + j] + i * g;
      const tc = tanh(c2);
      y[y0 + j] = o * tc;
      y[y0 + h + j] = c2;
      if (saved !== null) {
        saved[s0 + j] = i;
        saved[s0 + h + j] = f;
        saved[s0 + 2 * h + j] = g;
        saved[s0 + 3 * h + j] = o;
        saved[s0 + 4 * h + j] = tc;
      }
    }
  }
}

/**
 * The gradients of lstmCellForward from gy [b, 2h] = [∂h' | ∂c'] into those of gGates [b, 4h] and
 * gc [b, h] that are not null:
 *   ∂c' total = ∂c' + ∂h'·σ(o)·(1 − tanh²c'),  ∂i = ∂c'·tanh(g)·σ'(i),  ∂f = ∂c'·c·σ'(f),
 *   ∂g = ∂c'·σ(i)·(1 − tanh²g),  ∂o = ∂h'·tanh(c')·σ'(o),  ∂c = ∂c'·σ(f).
 */
export function lstmCellBackward(
  gy: Storage,
  saved: Storage,
  c: Storage,
  b: number,
  h: number,
  gGates: Storage | null,
  gc: Storage | null,
): void {
  for (let r = 0; r < b; r++) {
    const g0 = 4 * h * r;
    const c0 = h * r;
    const y0 = 2 * h * r;
    const s0 = 5 * h * r;
    for (let j = 0; j < h; j++) {
      const i = saved[s0 + j];
      const f = saved[s0 + h + j];
      const g = saved[s0 + 2 * h + j];
      const o = saved[s0 + 3 * h + j];
      const tc = saved[s0 + 4 * h + j];
      const gh = gy[y0 + j];
      const dc = gy[y0 + h + j] + gh * o * (1 - tc * tc);
      if (gGates !== null) {
        gGates[g0 + j] = dc * g * i * (1 - i);
        gGates[g0 + h + j] = dc * c[c0 + j] * f * (1 - f);
        gGates[g0 + 2 * h + j] = dc * i * (1 - g * g);
        gGates[g0 + 3 * h + j] = gh * tc * o * (1 - o);
      }
      if (gc !== null) gc[c0 + j] = dc * f;
    }
  }
}

/**
 * GRU: gi, gh [b, 3h] (the input and hidden parts of r, z, n, biases included) and the state
 * hp [b, h] → y [b, h] = n + z·(hp − n), with r = σ(gi_r + gh_r), z = σ(gi_z + gh_z),
 * n = tanh(gi_n + r·gh_n). `saved` [b, 3h] (or null) receives r, z, n.
 */
export function gruCellForward(gi: Storage, gh: Storage, hp: Storage, b: number, h: number, y: Storage, saved: Storage | null): void {
  for (let row = 0; row < b; row++) {
    const g0 = 3 * h * row;
    const h0 = h * row;
    for (let j = 0; j < h; j++) {
      const r = sigmoid(gi[g0 + j] + gh[g0 + j]);
      const z = sigmoid(gi[g0 + h + j] + gh[g0 + h + j]);
      const n = tanh(gi[g0 + 2 * h + j] + r * gh[g0 + 2 * h + j]);
      y[h0 + j] = n + z * (hp[h0 + j] - n);
      if (saved !== null) {
        saved[g0 + j] = r;
        saved[g0 + h + j] = z;
        saved[g0 + 2 * h + j] = n;
      }
    }
  }
}

/**
 * The gradients of gruCellForward from gy [b, h] into those of ggi, ggh [b, 3h] and ghp [b, h] that
 * are not null: ∂n = ∂y·(1 − z), ∂z = ∂y·(hp − n), ∂hp = ∂y·z; ∂a_n = ∂n·(1 − n²) is gi_n's and,
 * times r, gh_n's; ∂r = ∂a_n·gh_n; r's and z's pre-activation gradients are the same for gi and gh.
 */
export function gruCellBackward(
  gy: Storage,
  saved: Storage,
  gh: Storage,
  hp: Storage,
  b: number,
  h: number,
  ggi: Storage | null,
  ggh: Storage | null,
  ghp: Storage | null,
): void {
  for (let row = 0; row < b; row++) {
    const g0 = 3 * h * row;
    const h0 = h * row;
    for (let j = 0; j < h; j++) {
      const r = saved[g0 + j];
      const z = saved[g0 + h + j];
      const n = saved[g0 + 2 * h + j];
      const d = gy[h0 + j];
      const an = d * (1 - z) * (1 - n * n);
      const ar = an * gh[g0 + 2 * h + j] * r * (1 - r);
      const az = d * (hp[h0 + j] - n) * z * (1 - z);
      if (ggi !== null) {
        ggi[g0 + j] = ar;
        ggi[g0 + h + j] = az;
        ggi[g0 + 2 * h + j] = an;
      }
      if (ggh !== null) {
        ggh[g0 + j] = ar;
        ggh[g0 + h + j] = az;
        ggh[g0 + 2 * h + j] = an * r;
      }
      if (ghp !== null) ghp[h0 + j] = d * z;
    }
  }
}
