/**
 * @file A whole LSTM or GRU layer-direction — every time step's hidden-to-hidden product and gate
 * math — as one primitive, `lstmSequence` / `gruSequence`: what nn.LSTM and nn.GRU run once the input
 * projection is hoisted.
 *
 * Note [LSTM sequence primitive]: run step by step (Note [fused recurrent cells]), an LSTM over T
 * steps is T matmuls, adds, fused cells and column slices each way: graph nodes, allocations and,
 * in WebAssembly, T copies of W_hh into the arena and T of the gates out. One primitive for the whole
 * recurrence runs it as one kernel call (src/kernels/js/recurrent-sequence.ts; in WebAssembly W_hh is
 * copied and packed once per call and the batch rows split over the worker threads:
 * src/kernels/wasm/recurrent.ts). Its inputs are gatesX [T,B,4H] (x W_ihᵀ + b_ih + b_hh for every step,
 * Note [hoisted input projection]), W_hh [4H,H], h0 and c0 [B,H]; its one output is [T+1,B,H]: every
 * step's h, then the final c (a primitive has one output; lstmCell packs its two the same way). The
 * forward saves every step's gate activations and c. The backward's kernel runs the reverse recurrence
 * into dGates [T,B,4H] (which is gatesX's gradient), dh0 and dc0; W_hh's gradient Σ_t dGates_tᵀ h_{t−1}
 * is then ONE product over all steps, [4H, T·B] @ [T·B, H], written with tensor ops. As lstmCell does,
 * while a backward is itself being recorded (createGraph) the rule is written with differentiable ops
 * instead — the forward recomputed step by step through lstmCell and the reverse recurrence through
 * lstmRecordedGrads — so gradients of gradients are right; gradcheck covers the kernel form,
 * gradgradcheck the recorded one. The GRU's primitive is the same with inputs gi [T,B,3H] (x W_ihᵀ +
 * b_ih), W_hh [3H,H], b_hh [3H] (inside r ⊙ (h W_hnᵀ + b_hn), so it cannot be hoisted) and h0, and one
 * output, every step's h [T,B,H]; its backward kernel gives the gradients of gi and of gh = h W_hhᵀ +
 * b_hh per step, from which W_hh's gradient is again one product over all steps and b_hh's one sum.
 */
import { isGradEnabled } from '../autograd/mode';
import { kernels } from '../kernels';
import { allocateUnfilled, FloatDType, promoteTypes, Storage } from '../tensor/dtype';
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add } from './elementwise';
import { matmulTransposed, product } from './matmul';
import { defineOp } from './names';
import { constant, requireFloating } from './operands';
import { gruCell, gruRecordedGrads, lstmCell, lstmRecordedGrads } from './recurrent-cells';
import { sum } from './broadcast';
import { concat, reshape, slice, stack } from './shape';

interface SequenceAttrs {
  t: number;
  b: number;
  h: number;
}

/** Columns [a, b) of a 2-D tensor. */
const cols = (x: Tensor, a: number, b: number): Tensor => slice(x, [0, a], [x.shape[0], b]);
/** Step t of a [T, B, K] tensor, as [B, K]. */
const stepOf = (x: Tensor, t: number): Tensor => reshape(slice(x, [t], [t + 1]), x.shape.slice(1));

/**
 * Note [LSTM sequence primitive]: the backward as differentiable ops, for a backward that is itself
 * recorded. The forward is recomputed step by step from the inputs (so the activations carry their
 * dependence on them), then the reverse recurrence runs through lstmRecordedGrads.
 */
function recordedGrads(gy: Tensor, [gatesX, whh, h0, c0]: readonly Tensor[], T: number, H: number): Tensor[] {
  const gates: Tensor[] = [];
  const hs: Tensor[] = [h0];
  const cs: Tensor[] = [c0];
  for (let t = 0; t < T; t++) {
    gates.push(add(stepOf(gatesX, t), matmulTransposed(hs[t], whh)));
    const y = lstmCell(gates[t], cs[t]);
    hs.push(cols(y, 0, H));
    cs.push(cols(y, H, 2 * H));
  }
  const dGates: Tensor[] = new Array(T);
  let dh: Tensor | null = null;
  let dc = stepOf(gy, T);
  for (let t = T - 1; t >= 0; t--) {
    const gh = dh === null ? stepOf(gy, t) : add(stepOf(gy, t), dh);
    [dGates[t], dc] = lstmRecordedGrads(concat([gh, dc], 1), gates[t], cs[t], H);
    dh = product(dGates[t], whh, false, false);
  }
  const dG = stack(dGates, 0);
  const hPrev = reshape(stack(hs.slice(0, T), 0), [T * h0.shape[0], H]);
  const dW = product(reshape(dG, [T * h0.shape[0], 4 * H]), hPrev, true, false);
  return [dG, dW, dh!, dc];
}

const lstmSequenceP = defineOp<SequenceAttrs, Storage | null>('lstmSequence', {
  forward: (xs, { t, b, h }) => {
    const [gatesX, whh, h0, c0] = xs;
    const y = allocateUnfilled(gatesX.dtype, (t + 1) * b * h);
    const saved = isGradEnabled() && xs.some((x) => x.requiresGrad) ? allocateUnfilled(gatesX.dtype, 5 * t * b * h) : null;
    kernels().lstmSequenceForward(gatesX.data, whh.data, h0.data, c0.data, t, b, h, y, saved);
    return { y: new Tensor(y, [t + 1, b, h]), saved };
  },
  backward: (gy, xs, y, { t: T, b: B, h: H }, saved) => {
    const [gatesX, whh, h0, c0] = xs;
    if (isGradEnabled()) {
      const grads = recordedGrads(gy, xs, T, H);
      return xs.map((x, k) => (x.requiresGrad ? grads[k] : null));
    }
    const gGates = allocateUnfilled(gatesX.dtype, T * B * 4 * H);
    const gh0 = allocateUnfilled(gatesX.dtype, B * H);
    const gc0 = allocateUnfilled(gatesX.dtype, B * H);
    kernels().lstmSequenceBackward(gy.data, saved!, whh.data, c0.data, T, B, H, gGates, gh0, gc0);
    const dG = constant(gGates, [T * B, 4 * H]);
    let gW: Tensor | null = null;
    if (whh.requiresGrad) {
      // W_hh's gradient over all steps at once: Σ_t dGates_tᵀ h_{t−1} = dGᵀ [h0; h_0 … h_{T−2}].
      const hPrev = T === 1 ? h0 : concat([h0, reshape(slice(y, [0], [T - 1]), [(T - 1) * B, H])], 0);
      gW = product(dG, hPrev, true, false);
    }
    return [
      gatesX.requiresGrad ? reshape(dG, [T, B, 4 * H]) : null,
      gW,
      h0.requiresGrad ? constant(gh0, [B, H]) : null,
      c0.requiresGrad ? constant(gc0, [B, H]) : null,
    ];
  },
  describe: ({ t, h }) => `lstm T=${t} H=${h}`,
});

/**
 * An LSTM's recurrence over T steps (PyTorch's gate order i, f, g, o): gatesX [T, B, 4H] is every
 * step's input part x_t W_ihᵀ + b_ih + b_hh, W_hh [4H, H], h0 and c0 [B, H]. Per step
 * gates = gatesX[t] + h W_hhᵀ, c = σ(f)·c + σ(i)·tanh(g), h = σ(o)·tanh(c). Returns [T+1, B, H]:
 * rows 0..T−1 every step's h, row T the final c (Note [LSTM sequence primitive]).
 */
export function lstmSequence(gatesX: Tensor, whh: Tensor, h0: Tensor, c0: Tensor): Tensor {
  const op = 'lstmSequence';
  requireFloating(op, { gatesX, whh, h0, c0 });
  const shapes = `(gatesX ${fmt(gatesX.shape)}, W_hh ${fmt(whh.shape)}, h0 ${fmt(h0.shape)}, c0 ${fmt(c0.shape)})`;
  if (gatesX.ndim !== 3 || gatesX.shape[2] % 4 !== 0 || gatesX.shape[2] === 0 || gatesX.shape[0] === 0) {
    throw new Error(`${op}: expected gatesX of shape [T, B, 4·H] with T ≥ 1, H ≥ 1 ${shapes}`);
  }
  const [T, B, G] = gatesX.shape;
  const H = G / 4;
  if (!sameShape(whh.shape, [G, H])) throw new Error(`${op}: expected W_hh of shape [${G}, ${H}] ([4·H, H], H = ${H}) ${shapes}`);
  for (const [name, s] of [
    ['h0', h0],
    ['c0', c0],
  ] as const) {
    if (!sameShape(s.shape, [B, H])) throw new Error(`${op}: expected ${name} of shape [${B}, ${H}] ([B, H]) ${shapes}`);
  }
  const dtype = [gatesX, whh, h0, c0].map((x) => x.dtype).reduce(promoteTypes) as FloatDType;
  const xs = [gatesX, whh, h0, c0].map((x) => (x.dtype === dtype ? x : x.cast(dtype)));
  return lstmSequenceP.apply(xs, { t: T, b: B, h: H });
}

// ---- the GRU ------------------------------------------------------------------------------------

/**
 * Note [LSTM sequence primitive], for the GRU: the backward as differentiable ops, the forward
 * recomputed step by step through gruCell and the reverse recurrence through gruRecordedGrads.
 */
function gruRecorded(gy: Tensor, [gi, whh, bhh, h0]: readonly Tensor[], T: number, H: number): Tensor[] {
  const B = h0.shape[0];
  const hs: Tensor[] = [h0];
  const ghs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    ghs.push(add(matmulTransposed(hs[t], whh), bhh));
    hs.push(gruCell(stepOf(gi, t), ghs[t], hs[t]));
  }
  const ggi: Tensor[] = new Array(T);
  const ggh: Tensor[] = new Array(T);
  let carry: Tensor | null = null;
  for (let t = T - 1; t >= 0; t--) {
    const d = carry === null ? stepOf(gy, t) : add(stepOf(gy, t), carry);
    let ghp: Tensor;
    [ggi[t], ggh[t], ghp] = gruRecordedGrads(d, stepOf(gi, t), ghs[t], hs[t], H);
    carry = add(ghp, product(ggh[t], whh, false, false));
  }
  const dGh = reshape(stack(ggh, 0), [T * B, 3 * H]);
  const hPrev = reshape(stack(hs.slice(0, T), 0), [T * B, H]);
  return [stack(ggi, 0), product(dGh, hPrev, true, false), sum(dGh, 0), carry!];
}

const gruSequenceP = defineOp<SequenceAttrs, Storage | null>('gruSequence', {
  forward: (xs, { t, b, h }) => {
    const [gi, whh, bhh, h0] = xs;
    const y = allocateUnfilled(gi.dtype, t * b * h);
    const saved = isGradEnabled() && xs.some((x) => x.requiresGrad) ? allocateUnfilled(gi.dtype, 4 * t * b * h) : null;
    kernels().gruSequenceForward(gi.data, whh.data, bhh.data, h0.data, t, b, h, y, saved);
    return { y: new Tensor(y, [t, b, h]), saved };
  },
  backward: (gy, xs, y, { t: T, b: B, h: H }, saved) => {
    const [gi, whh, bhh, h0] = xs;
    if (isGradEnabled()) {
      const grads = gruRecorded(gy, xs, T, H);
      return xs.map((x, k) => (x.requiresGrad ? grads[k] : null));
    }
    const ggi = allocateUnfilled(gi.dtype, T * B * 3 * H);
    const ggh = allocateUnfilled(gi.dtype, T * B * 3 * H);
    const gh0 = allocateUnfilled(gi.dtype, B * H);
    kernels().gruSequenceBackward(gy.data, saved!, y.data, h0.data, whh.data, T, B, H, ggi, ggh, gh0);
    const dGh = constant(ggh, [T * B, 3 * H]);
    let gW: Tensor | null = null;
    if (whh.requiresGrad) {
      // Σ_t gghᵀ_t h_{t−1} as one product over all steps, as for the LSTM.
      const hPrev = T === 1 ? h0 : concat([h0, reshape(slice(y, [0], [T - 1]), [(T - 1) * B, H])], 0);
      gW = product(dGh, hPrev, true, false);
    }
    return [
      gi.requiresGrad ? constant(ggi, [T, B, 3 * H]) : null,
      gW,
      bhh.requiresGrad ? sum(dGh, 0) : null,
      h0.requiresGrad ? constant(gh0, [B, H]) : null,
    ];
  },
  describe: ({ t, h }) => `gru T=${t} H=${h}`,
});

/**
 * A GRU's recurrence over T steps (PyTorch's r, z, n): gi [T, B, 3H] is every step's x_t W_ihᵀ + b_ih,
 * W_hh [3H, H], b_hh [3H] (its n part sits inside r ⊙ (h W_hnᵀ + b_hn), so it stays with the
 * recurrence), h0 [B, H]. Returns every step's h, [T, B, H] (Note [LSTM sequence primitive]).
 */
export function gruSequence(gi: Tensor, whh: Tensor, bhh: Tensor, h0: Tensor): Tensor {
  const op = 'gruSequence';
  requireFloating(op, { gi, whh, bhh, h0 });
  const shapes = `(gi ${fmt(gi.shape)}, W_hh ${fmt(whh.shape)}, b_hh ${fmt(bhh.shape)}, h0 ${fmt(h0.shape)})`;
  if (gi.ndim !== 3 || gi.shape[2] % 3 !== 0 || gi.shape[2] === 0 || gi.shape[0] === 0) {
    throw new Error(`${op}: expected gi of shape [T, B, 3·H] with T ≥ 1, H ≥ 1 ${shapes}`);
  }
  const [T, B, G] = gi.shape;
  const H = G / 3;
  if (!sameShape(whh.shape, [G, H])) throw new Error(`${op}: expected W_hh of shape [${G}, ${H}] ([3·H, H], H = ${H}) ${shapes}`);
  if (!sameShape(bhh.shape, [G])) throw new Error(`${op}: expected b_hh of shape [${G}] ([3·H]) ${shapes}`);
  if (!sameShape(h0.shape, [B, H])) throw new Error(`${op}: expected h0 of shape [${B}, ${H}] ([B, H]) ${shapes}`);
  const dtype = [gi, whh, bhh, h0].map((x) => x.dtype).reduce(promoteTypes) as FloatDType;
  const xs = [gi, whh, bhh, h0].map((x) => (x.dtype === dtype ? x : x.cast(dtype)));
  return gruSequenceP.apply(xs, { t: T, b: B, h: H });
}
