/**
 * @file Scaled dot-product attention (SPEC §15), a composition: softmax(q kᵀ · scale + mask) v, with
 * PyTorch's mask conventions (Note [attention masks]). MultiheadAttention (src/nn/attention.ts) runs
 * the same core with its own mask convention.
 *
 * Note [attention masks]: PyTorch has two conventions and tapegrad follows both exactly (SPEC §18). In
 * `scaledDotProductAttention` a bool mask is TRUE where attention is ALLOWED; in MultiheadAttention and
 * the Transformer layers a bool mask (attnMask, keyPaddingMask) is TRUE where attention is NOT allowed.
 * Float masks are added to the scores everywhere (so -Infinity blocks and 0 allows). A bool mask becomes
 * an additive constant of 0 and -Infinity. A query row whose every key is blocked has softmax 0/0: its
 * output (and weights) are NaN in MultiheadAttention and the Transformer layers, as the softmax formula
 * gives and as PyTorch 1.13's MultiheadAttention gives, and 2.13's when it returns the weights;
 * 2.13's MultiheadAttention without them (need_weights=False, so its Transformer layers too) runs its
 * scaled_dot_product_attention and gives such a row 0 — a difference between the two PyTorch versions
 * this follows 1.13 in, the reference CI installs.
 *
 * Note [blocked rows in scaledDotProductAttention]: the function exists only in PyTorch 2, whose math
 * backend since 2.5 gives such a row zeros and zero gradients (a "safe softmax": measured with torch
 * 2.13, a bool and a float mask alike). scaledDotProductAttention does the same when it is given an
 * attnMask: a row whose every key the mask blocks (−∞, or false) gets weights 0, output 0, and no
 * gradient into q or k.
 * isCausal never blocks a whole row (query i always sees key 0).
 */
import { composite } from '../autograd/scope';
import { kernels } from '../kernels';
import type { AttentionShape } from '../kernels/types';
import { defaultRng, Rng } from '../random/rng';
import { allocate, allocateUnfilled, Storage } from '../tensor/dtype';
import { fmt, tryBroadcastShapes } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { isGradEnabled, noGrad } from '../autograd/mode';
import { all, any, eq, where } from './compare';
import { add, mul, sub } from './elementwise';
import { dropout } from './layers';
import { matmul, product, productPlus } from './matmul';
import { constant } from './operands';
import { defineOp } from './names';
import { sum } from './reduce';
import { transposeLast2 } from './shape';
import { softmax } from './softmax';

export interface AttentionOptions {
  /** bool [.., L, S]: TRUE = may attend; float: added to the scores. Broadcasts against [..., L, S]. */
  attnMask?: Tensor | null;
  /** Dropout on the attention weights (always applied when > 0, as PyTorch's function). */
  dropoutP?: number;
  /** Query i attends to keys 0..i only (a lower-triangular mask, top-left aligned). */
  isCausal?: boolean;
  /** Multiplies q kᵀ; default 1/√E. */
  scale?: number;
  rng?: Rng;
}

/** True for a bool tensor (masks). */
export function isBoolTensor(t: Tensor): boolean {
  return t.dtype === 'bool';
}

/**
 * A mask is bool (which positions are blocked) or float (added to the scores); an int32 mask is
 * neither, and adding its 0/1 would silently mask nothing, so it throws, as PyTorch does.
 */
export function checkMaskDType(op: string, name: string, mask: Tensor, shapes: string): void {
  if (!(mask instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor ${shapes}`);
  if (mask.dtype !== 'bool' && mask.dtype !== 'float32' && mask.dtype !== 'float64') {
    throw new Error(`${op}: ${name} must be a bool or float tensor, got ${mask.dtype} ${fmt(mask.shape)} ${shapes}`);
  }
}

/**
 * An additive mask from a bool one: 0 where `blockWhen` is false, -Infinity where the mask equals
 * `blockWhen` (so sdpa passes false: its false entries block; MultiheadAttention passes true).
 */
export function additiveMask(mask: Tensor, blockWhen: boolean, dtype: Tensor['dtype']): Tensor {
  const out = allocate(dtype === 'float32' ? 'float32' : 'float64', mask.size);
  const block = blockWhen ? 1 : 0;
  for (let i = 0; i < out.length; i++) out[i] = (mask.data[i] ? 1 : 0) === block ? -Infinity : 0;
  return constant(out, mask.shape);
}

/** The causal mask [L, S]: 0 on and below the diagonal, -Infinity above it. */
export function causalMask(L: number, S: number, dtype: Tensor['dtype']): Tensor {
  const out = allocate(dtype === 'float32' ? 'float32' : 'float64', L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) out[i * S + j] = -Infinity;
  return constant(out, [L, S]);
}

/** How attend computes: the mask, the scale, dropout, and what the caller needs back. */
export interface AttendOptions {
  /** Added to the scores (already additive: bool masks converted by the caller), or null. */
  mask: Tensor | null;
  /** Query i sees keys 0..i only (top-left aligned), on top of `mask`. */
  causal: boolean;
  scale: number;
  /** Dropout on the weights. */
  p: number;
  rng?: Rng;
  /** Note [blocked rows in scaledDotProductAttention]. */
  zeroBlockedRows: boolean;
  /** Whether the caller reads the weights (MultiheadAttention's needWeights). */
  needWeights: boolean;
}

/**
 * The attention core shared with MultiheadAttention: softmax(q kᵀ · scale + mask) with dropout, then
 * the weights times v. Returns both (the weights are differentiable), the weights null when the
 * caller did not ask for them and the fused primitive computed the output (Note [fused attention]).
 */
export function attend(q: Tensor, k: Tensor, v: Tensor, o: AttendOptions): { y: Tensor; weights: Tensor | null } {
  if (fusable(q, k, v, o)) {
    const inputs = o.mask === null ? [q, k, v] : [q, k, v, o.mask];
    return { y: attentionP.apply(inputs, { scale: o.scale, causal: o.causal }), weights: null };
  }
  let weights = composedWeights(q, k, o);
  if (o.p > 0) weights = dropout(weights, o.p, { rng: o.rng ?? defaultRng() });
  return { y: matmul(weights, v), weights };
}

/**
 * The composition's weights, softmax(q kᵀ · scale + mask), the causal mask added when asked: attend's
 * and the fused primitive's recorded backward's (Note [fused attention]).
 */
function composedWeights(q: Tensor, k: Tensor, o: Pick<AttendOptions, 'mask' | 'causal' | 'scale' | 'zeroBlockedRows'>): Tensor {
  const L = q.shape[q.ndim - 2];
  const S = k.shape[k.ndim - 2];
  let mask = o.mask;
  if (o.causal) mask = mask === null ? causalMask(L, S, q.dtype) : add(causalMask(L, S, q.dtype), mask);
  const scale = o.scale;
  let scores: Tensor;
  let masked = false;
  if (q.dtype === k.dtype && (q.dtype === 'float32' || q.dtype === 'float64')) {
    // q scaled before the product, in the order of PyTorch's multi_head_attention_forward (the
    // scores have S/E times as many elements), k read transposed by the product instead of copied,
    // and the mask added inside the product (Note [product epilogue] in matmul.ts).
    const qs = scale === 1 ? q : mul(q, scale);
    const fused = mask === null ? null : productPlus(qs, k, false, true, mask);
    masked = fused !== null;
    scores = fused ?? product(qs, k, false, true);
  } else {
    // Mixed or integer operands: promoted by the product before anything is rounded.
    scores = mul(matmul(q, transposeLast2(k)), scale);
  }
  if (mask !== null && !masked) scores = add(scores, mask);
  // Read off the mask (often [L, S]), not the scores: a row is blocked when its every key is.
  const blocked = o.zeroBlockedRows && mask !== null ? noGrad(() => all(eq(mask, -Infinity), -1, true)) : null;
  let weights: Tensor;
  if (blocked !== null && blocked.data.some((b) => b !== 0)) {
    // A finite stand-in keeps the blocked rows' softmax (and so its backward) free of NaN; the
    // weights there are then 0, and so are the gradients that reach q and k through them.
    weights = where(blocked, 0, softmax(where(blocked, 0, scores), -1));
  } else {
    weights = softmax(scores, -1);
  }
  return weights;
}

/**
 * Note [fused attention]: when nobody reads the weights (scaledDotProductAttention always, a
 * Transformer layer's self-attention, MultiheadAttention with needWeights false), there is no dropout
 * on them, and the mask is absent, causal, or (instead) one [L, S] block for every batch entry that
 * needs no gradient, attention is one primitive: per (batch, head) entry the scores, their softmax and the
 * product with v in one kernel call, the weights never a tensor. The backward recomputes the weights
 * from q, k and each row's saved max and 1/Σ (no [L, S] tensor is kept between the passes, as in
 * FlashAttention) and forms dv = Pᵀ·gy, dP = gy·vᵀ, dS = P·(dP − Σ P·dP), dq = scale·dS·k,
 * dk = scale·dSᵀ·q. Causal attention skips the keys no query of a block of four sees: about half
 * the multiply-adds. It is the composition's mathematics in another order — float32 results agree
 * within rounding, not bit for bit (scale multiplies the sums, not q) — and while a backward is itself
 * being recorded (second derivatives) the backward is that composition written with ops. Otherwise
 * (weights wanted, dropout, a mask with batch axes or a gradient, causal and a mask together, a
 * fully blocked row that scaledDotProductAttention must zero, broadcast batch axes, mixed dtypes, more
 * than 2^20 scores an entry) attend composes product, softmax and product as before.
 */
interface FusedAttentionAttrs {
  scale: number;
  causal: boolean;
}

/** The largest L·S the fused primitive takes: its kernels hold an entry's scores (twice, backward) per thread. */
const FUSED_MAX_SCORES = 1 << 20;

function fusable(q: Tensor, k: Tensor, v: Tensor, o: AttendOptions): boolean {
  if (o.needWeights || o.p > 0) return false;
  if (q.dtype !== k.dtype || q.dtype !== v.dtype || (q.dtype !== 'float32' && q.dtype !== 'float64')) return false;
  if (q.ndim < 2 || k.ndim !== q.ndim || v.ndim !== q.ndim) return false;
  for (let d = 0; d < q.ndim - 2; d++) if (k.shape[d] !== q.shape[d] || v.shape[d] !== q.shape[d]) return false;
  const L = q.shape[q.ndim - 2];
  const S = k.shape[k.ndim - 2];
  if (q.size === 0 || k.size === 0 || v.size === 0 || L * S > FUSED_MAX_SCORES) return false;
  const m = o.mask;
  if (m === null) return true;
  if (m.requiresGrad || m.dtype !== q.dtype || m.ndim !== 2 || m.shape[0] !== L || m.shape[1] !== S) return false;
  // Causal and a mask together (no public caller passes both): a row's visible keys could all be
  // blocked without the mask's whole row being so, and its NaN would reach other keys than the
  // composition's; that rare case is left to the composition.
  if (o.causal) return false;
  // The kernels give a fully blocked row NaN, as the composition does without zeroBlockedRows.
  return !o.zeroBlockedRows || !noGrad(() => any(all(eq(m, -Infinity), -1))).item();
}

function attentionShape(q: Tensor, k: Tensor, v: Tensor, a: FusedAttentionAttrs): AttentionShape {
  const E = q.shape[q.ndim - 1];
  const L = q.shape[q.ndim - 2];
  return { count: q.size / (L * E), L, S: k.shape[k.ndim - 2], E, Ev: v.shape[v.ndim - 1], scale: a.scale, causal: a.causal };
}

/** Note [fused attention]: the backward as differentiable ops, the weights recomputed from q and k. */
function recordedGrads(gy: Tensor, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, a: FusedAttentionAttrs): Tensor[] {
  const weights = composedWeights(q, k, { mask, causal: a.causal, scale: a.scale, zeroBlockedRows: false });
  const gWeights = product(gy, v, false, true);
  const gScores = mul(weights, sub(gWeights, sum(mul(gWeights, weights), -1, true)));
  const scaled = (t: Tensor) => mul(t, a.scale);
  return [scaled(product(gScores, k, false, false)), scaled(product(gScores, q, true, false)), product(weights, gy, true, false)];
}

const attentionP = defineOp<FusedAttentionAttrs, Storage>('attention', {
  forward: ([q, k, v, mask], a) => {
    const sh = attentionShape(q, k, v, a);
    const out = allocateUnfilled(q.dtype, sh.count * sh.L * sh.Ev);
    const stats = allocateUnfilled(q.dtype, sh.count * sh.L * 2);
    kernels().attentionForward(q.data, k.data, v.data, mask === undefined ? null : mask.data, sh, out, stats);
    return { y: new Tensor(out, [...q.shape.slice(0, -1), sh.Ev]), saved: stats };
  },
  backward: (gy, [q, k, v, mask], _y, a, stats) => {
    const grads = isGradEnabled() ? recordedGrads(gy, q, k, v, mask ?? null, a) : fusedGrads(gy, q, k, v, mask ?? null, a, stats);
    // The mask is a constant of the fused path (fusable): no gradient.
    return mask === undefined ? grads : [...grads, null];
  },
  describe: ({ scale, causal }) => [causal ? 'causal' : '', `scale=${+scale.toPrecision(6)}`].filter((w) => w !== '').join(' '),
});

function fusedGrads(gy: Tensor, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, a: FusedAttentionAttrs, stats: Storage): Tensor[] {
  const sh = attentionShape(q, k, v, a);
  const gq = allocateUnfilled(q.dtype, q.size);
  const gk = allocateUnfilled(k.dtype, k.size);
  const gv = allocateUnfilled(v.dtype, v.size);
  kernels().attentionBackward(gy.data, q.data, k.data, v.data, mask === null ? null : mask.data, stats, sh, gq, gk, gv);
  return [constant(gq, q.shape), constant(gk, k.shape), constant(gv, v.shape)];
}

/**
 * softmax(q kᵀ · scale + mask) v for q [..., L, E], k [..., S, E], v [..., S, Ev] (leading axes
 * broadcast), as torch.nn.functional.scaled_dot_product_attention (Note [attention masks]).
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const shapes = `(q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}${opts.attnMask ? `, attnMask ${fmt(opts.attnMask.shape)}` : ''})`;
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) throw new Error(`${op}: q, k and v need at least 2 axes [..., L, E] ${shapes}`);
  const E = q.shape[q.ndim - 1];
  const L = q.shape[q.ndim - 2];
  const S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E) throw new Error(`${op}: q and k must have the same embedding size ${shapes}`);
  if (v.shape[v.ndim - 2] !== S) throw new Error(`${op}: k and v must have the same number of keys ${shapes}`);
  const batch = [q, k, v].map((t) => t.shape.slice(0, -2));
  if (tryBroadcastShapes(batch[0], batch[1]) === null || tryBroadcastShapes(batch[0], batch[2]) === null) {
    throw new Error(`${op}: the leading (batch) axes do not broadcast ${shapes}`);
  }
  const p = opts.dropoutP ?? 0;
  if (!(p >= 0 && p <= 1)) throw new Error(`${op}: dropoutP must be in [0,1], got ${p} ${shapes}`);
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  const dtype = q.dtype;
  let mask: Tensor | null = null;
  const m = opts.attnMask ?? null;
  if (m !== null) checkMaskDType(op, 'attnMask', m, shapes);
  if (opts.isCausal) {
    if (m !== null) throw new Error(`${op}: pass either attnMask or isCausal, not both ${shapes}`);
  } else if (m !== null) {
    const scoreShape = [...(tryBroadcastShapes(batch[0], batch[1]) ?? []), L, S];
    if (!sameBroadcast(m.shape, scoreShape)) {
      throw new Error(`${op}: attnMask ${fmt(m.shape)} does not broadcast to the scores ${fmt(scoreShape)} ${shapes}`);
    }
    mask = isBoolTensor(m) ? additiveMask(m, false, dtype) : m;
  }
  const words = [
    opts.isCausal ? 'causal' : m !== null ? 'masked' : '',
    opts.scale !== undefined ? `scale=${scale}` : '',
    p > 0 ? `dropout=${p}` : '',
  ]
    .filter((w) => w !== '')
    .join(' ');
  // Drawn as one node (Note [composite scopes] in src/autograd/scope.ts).
  return composite(
    'scaledDotProductAttention',
    words,
    [q, k, v, m],
    () =>
      attend(q, k, v, { mask, causal: opts.isCausal === true, scale, p, rng: opts.rng, zeroBlockedRows: m !== null, needWeights: false }).y,
  );
}

/** a broadcasts to b without growing b. */
function sameBroadcast(a: readonly number[], b: readonly number[]): boolean {
  const r = tryBroadcastShapes(a, b);
  return r !== null && r.length === b.length && r.every((n, i) => n === b[i]);
}

declare module '../tensor/tensor' {
  interface Tensor {
    scaledDotProductAttention(k: Tensor, v: Tensor, opts?: AttentionOptions): Tensor;
  }
}
