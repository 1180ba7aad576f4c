/**
 * @file The pointwise part of one LSTM step and one GRU step as two primitives, `lstmCell` and
 * `gruCell`: what nn.LSTM, nn.GRU and their cells run at every time step once the GEMMs are done.
 *
 * Note [fused recurrent cells]: composed from primitives, an LSTM step's gate math is four column
 * slices, three sigmoids, two tanhs, three muls and an add — a dozen nodes, kernel calls and
 * allocations each way, per step — and a GRU step's about as many. Each is one primitive here whose
 * forward and backward are single fused kernels (src/kernels/js/recurrent.ts) over the gates. The
 * LSTM has two outputs, h' and c'; a primitive has one, so `lstmCell` gives [B, 2H] = [h' | c'] and
 * the caller slices its two column blocks (the batch stays axis 0, so an ONNX export keeps a
 * dynamic batch). As with Note [fused batch norm], the backward rule has two forms with one meaning:
 * while a backward is itself being recorded (createGraph) it is written with differentiable ops,
 * recomputing the activations from the inputs so they carry their own dependence on them; otherwise
 * the fused kernel computes the same gradients from the activations the forward saved (none are saved
 * when no gradient is being recorded). gradcheck covers the fused form, gradgradcheck the recorded one.
 */
import { isGradEnabled } from '../autograd/mode';
import { kernels } from '../kernels';
import { allocateUnfilled, FloatDType, promoteTypes, Storage } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add, mul, sigmoid, sub, tanh } from './elementwise';
import { defineOp } from './names';
import { constant, requireFloating } from './operands';
import { concat, slice } from './shape';

interface CellAttrs {
  /** Batch rows B and hidden size H. */
  b: number;
  h: number;
}

/** Columns [a, b) of a 2-D tensor. */
const cols = (x: Tensor, a: number, b: number): Tensor => slice(x, [0, a], [x.shape[0], b]);
/** σ'(a) written from s = σ(a): s·(1 − s). */
const dsigmoid = (s: Tensor): Tensor => mul(s, sub(1, s));
/** tanh'(a) written from t = tanh(a): 1 − t². */
const dtanh = (t: Tensor): Tensor => sub(1, mul(t, t));

function recording(xs: readonly Tensor[]): boolean {
  return isGradEnabled() && xs.some((x) => x.requiresGrad);
}

const wrap = (g: Storage | null, like: Tensor): Tensor | null => (g === null ? null : constant(g, like.shape));

/** Note [fused recurrent cells]: the LSTM backward as differentiable ops, the activations recomputed from the inputs. */
export function lstmRecordedGrads(gy: Tensor, gates: Tensor, c: Tensor, H: number): [Tensor, Tensor] {
  const i = sigmoid(cols(gates, 0, H));
  const f = sigmoid(cols(gates, H, 2 * H));
  const g = tanh(cols(gates, 2 * H, 3 * H));
  const o = sigmoid(cols(gates, 3 * H, 4 * H));
  const tc = tanh(add(mul(f, c), mul(i, g)));
  const gh = cols(gy, 0, H);
  const dc = add(cols(gy, H, 2 * H), mul(mul(gh, o), dtanh(tc)));
  const gGates = concat(
    [mul(mul(dc, g), dsigmoid(i)), mul(mul(dc, c), dsigmoid(f)), mul(mul(dc, i), dtanh(g)), mul(mul(gh, tc), dsigmoid(o))],
    1,
  );
  return [gGates, mul(dc, f)];
}

const lstmCellP = defineOp<CellAttrs, Storage | null>('lstmCell', {
  forward: (xs, { b, h }) => {
    const [gates, c] = xs;
    const y = allocateUnfilled(gates.dtype, 2 * b * h);
    const saved = recording(xs) ? allocateUnfilled(gates.dtype, 5 * b * h) : null;
    kernels().lstmCellForward(gates.data, c.data, b, h, y, saved);
    return { y: new Tensor(y, [b, 2 * h]), saved };
  },
  backward: (gy, [gates, c], _y, { h }, saved) => {
    if (isGradEnabled()) {
      const [gGates, gc] = lstmRecordedGrads(gy, gates, c, h);
      return [gates.requiresGrad ? gGates : null, c.requiresGrad ? gc : null];
    }
    const gGates = gates.requiresGrad ? allocateUnfilled(gates.dtype, gates.size) : null;
    const gc = c.requiresGrad ? allocateUnfilled(c.dtype, c.size) : null;
    kernels().lstmCellBackward(gy.data, saved!, c.data, gates.shape[0], h, gGates, gc);
    return [wrap(gGates, gates), wrap(gc, c)];
  },
  describe: ({ h }) => `lstm cell H=${h}`,
});

/** Note [fused recurrent cells]: the GRU backward as differentiable ops, the activations recomputed from the inputs. */
export function gruRecordedGrads(gy: Tensor, gi: Tensor, gh: Tensor, hp: Tensor, H: number): [Tensor, Tensor, Tensor] {
  const r = sigmoid(add(cols(gi, 0, H), cols(gh, 0, H)));
  const z = sigmoid(add(cols(gi, H, 2 * H), cols(gh, H, 2 * H)));
  const ghn = cols(gh, 2 * H, 3 * H);
  const n = tanh(add(cols(gi, 2 * H, 3 * H), mul(r, ghn)));
  const an = mul(mul(gy, sub(1, z)), dtanh(n));
  const ar = mul(mul(an, ghn), dsigmoid(r));
  const az = mul(mul(gy, sub(hp, n)), dsigmoid(z));
  return [concat([ar, az, an], 1), concat([ar, az, mul(an, r)], 1), mul(gy, z)];
}

const gruCellP = defineOp<CellAttrs, Storage | null>('gruCell', {
  forward: (xs, { b, h }) => {
    const [gi, gh, hp] = xs;
    const y = allocateUnfilled(gi.dtype, b * h);
    const saved = recording(xs) ? allocateUnfilled(gi.dtype, 3 * b * h) : null;
    kernels().gruCellForward(gi.data, gh.data, hp.data, b, h, y, saved);
    return { y: new Tensor(y, [b, h]), saved };
  },
  backward: (gy, [gi, gh, hp], _y, { h }, saved) => {
    if (isGradEnabled()) {
      const [ggi, ggh, ghp] = gruRecordedGrads(gy, gi, gh, hp, h);
      return [gi.requiresGrad ? ggi : null, gh.requiresGrad ? ggh : null, hp.requiresGrad ? ghp : null];
    }
    const ggi = gi.requiresGrad ? allocateUnfilled(gi.dtype, gi.size) : null;
    const ggh = gh.requiresGrad ? allocateUnfilled(gh.dtype, gh.size) : null;
    const ghp = hp.requiresGrad ? allocateUnfilled(hp.dtype, hp.size) : null;
    kernels().gruCellBackward(gy.data, saved!, gh.data, hp.data, gi.shape[0], h, ggi, ggh, ghp);
    return [wrap(ggi, gi), wrap(ggh, gh), wrap(ghp, hp)];
  },
  describe: ({ h }) => `gru cell H=${h}`,
});

/** The inputs in one floating dtype (the promoted one), checked to be [B, k·H] / [B, H] matrices. */
function operands(op: string, named: Record<string, Tensor>, widths: Record<string, number>): { xs: Tensor[]; b: number; h: number } {
  requireFloating(op, named);
  const names = Object.keys(named);
  const shapes = names.map((n) => `${n} ${fmt(named[n].shape)}`).join(', ');
  const first = named[names[0]];
  if (first.ndim !== 2 || first.shape[1] % widths[names[0]] !== 0) {
    throw new Error(`${op}: expected ${names[0]} of shape [B, ${widths[names[0]]}·H] (${shapes})`);
  }
  const [b, h] = [first.shape[0], first.shape[1] / widths[names[0]]];
  for (const n of names) {
    const t = named[n];
    if (t.ndim !== 2 || t.shape[0] !== b || t.shape[1] !== widths[n] * h) {
      const want = widths[n] === 1 ? 'H' : `${widths[n]}·H`;
      throw new Error(`${op}: expected ${n} of shape [${b}, ${widths[n] * h}] ([B, ${want}], H = ${h}) (${shapes})`);
    }
  }
  const dtype = names.map((n) => named[n].dtype).reduce(promoteTypes) as FloatDType;
  return { xs: names.map((n) => (named[n].dtype === dtype ? named[n] : named[n].cast(dtype))), b, h };
}

/**
 * One LSTM step's pointwise part (PyTorch's gate order i, f, g, o): gates [B, 4H] = x W_ihᵀ + b_ih +
 * h W_hhᵀ + b_hh and the cell state c [B, H] → [B, 2H] holding h' = σ(o)·tanh(c') in columns 0..H
 * and c' = σ(f)·c + σ(i)·tanh(g) in H..2H (Note [fused recurrent cells]).
 */
export function lstmCell(gates: Tensor, c: Tensor): Tensor {
  const { xs, b, h } = operands('lstmCell', { gates, c }, { gates: 4, c: 1 });
  return lstmCellP.apply(xs, { b, h });
}

/**
 * One GRU step's pointwise part (PyTorch's equations, gates r, z, n): gi [B, 3H] = x W_ihᵀ + b_ih,
 * gh [B, 3H] = h W_hhᵀ + b_hh and the state h [B, H] → h' = (1 − z)·n + z·h with r = σ(gi_r + gh_r),
 * z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n).
 */
export function gruCell(gi: Tensor, gh: Tensor, h: Tensor): Tensor {
  const { xs, b, h: H } = operands('gruCell', { gi, gh, h }, { gi: 3, gh: 3, h: 1 });
  return gruCellP.apply(xs, { b, h: H });
}
