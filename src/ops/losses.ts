/**
 * @file The losses of SPEC §15 with PyTorch's semantics: crossEntropy (class indices with weights,
 * ignoreIndex and label smoothing, or class probabilities; [N,C], [N,C,d1,…] or unbatched [C]),
 * nllLoss, bceLoss, bceWithLogits, l1Loss, smoothL1Loss, huberLoss, klDiv, cosineSimilarity,
 * marginRankingLoss, cosineEmbeddingLoss and tripletMarginLoss — compositions of primitives.
 *
 * Note [class-index losses as one weighted sum]: with class targets, crossEntropy and nllLoss are
 * −Σ M ⊙ logp / D for a constant M built from the targets: M[i, c] = (1 − ε)·w[tᵢ]·[c = tᵢ] + (ε/C)·w[c]
 * (ε the label smoothing, w the class weights, rows whose target is ignoreIndex all zero), and D
 * for 'mean' is Σ w[tᵢ] over the rows not ignored — the denominator PyTorch uses for the weighted
 * mean of both the NLL term and the smoothing term. M is data (the targets are), so the gradient
 * flows into logp alone, as in PyTorch; the class weights are constants.
 */
import { composite } from '../autograd/scope';
import { broadcastShapes, fmt, normalizeAxis, sameShape, sizeOf } from '../tensor/shape';
import { expand } from './broadcast';
import { Tensor } from '../tensor/tensor';
import { allocate, DType } from '../tensor/dtype';
import { checkTensor } from './arguments';
import { abs, add, div, exp, log, maximum, minimum, mul, neg, pow, relu, sqrt, sub } from './elementwise';
import { constant, stopGradient } from './operands';
import { square } from './math';
import { max, mean, sum } from './reduce';
import { reshape } from './shape';
import { logSoftmax } from './softmax';
import { logSigmoid, step } from './activations';
import type { Reduction, Targets } from './loss';

/** 'mean' | 'sum' | 'none', and klDiv's 'batchmean'. */
function reduce(op: string, losses: Tensor, reduction: string | undefined, allowed: readonly string[] = ['mean', 'sum', 'none']): Tensor {
  const r = reduction ?? 'mean';
  if (!allowed.includes(r)) {
    throw new Error(
      `${op}: unknown reduction '${String(reduction)}' (use ${allowed
        .map((a) => `'${a}'`)
        .join(', ')
        .replace(/, ([^,]*)$/, ' or $1')})`,
    );
  }
  if (r === 'mean') return mean(losses);
  if (r === 'sum') return sum(losses);
  return losses;
}

export interface ClassLossOptions {
  /** A weight per class [C] (a constant: no gradient flows into it). */
  weight?: Tensor | null;
  /** Targets equal to this are skipped (no loss, not counted by 'mean'); default -100. */
  ignoreIndex?: number;
  reduction?: Reduction;
}

export interface CrossEntropyOptions extends ClassLossOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C; default 0. */
  labelSmoothing?: number;
}

/** Class indices as a flat list, read from number[], Int32Array or an (integer-valued) tensor. */
function targetValues(op: string, input: Tensor, target: Targets, expected: number[]): ArrayLike<number> {
  const arrayTarget = Array.isArray(target) || target instanceof Int32Array;
  if (arrayTarget) {
    const values = target as ArrayLike<number>;
    if (expected.length === 1 && values.length !== expected[0]) {
      throw new Error(`${op}: ${values.length} targets for ${expected[0]} rows (input ${fmt(input.shape)})`);
    }
    if (values.length !== sizeOf(expected)) {
      throw new Error(`${op}: ${values.length} targets for target shape ${fmt(expected)} (input ${fmt(input.shape)})`);
    }
    return values;
  }
  if (!(target instanceof Tensor)) {
    throw new Error(`${op}: targets must be number[], Int32Array or a Tensor of class indices (input ${fmt(input.shape)})`);
  }
  if (!sameShape(target.shape, expected)) {
    if (expected.length === 1 && target.ndim !== 1) {
      throw new Error(`${op}: targets must be 1-d [N], got ${fmt(target.shape)} (input ${fmt(input.shape)})`);
    }
    throw new Error(`${op}: target ${fmt(target.shape)} does not match input ${fmt(input.shape)} (expected target ${fmt(expected)})`);
  }
  return target.data as ArrayLike<number>;
}

/** The class axis (1, or 0 for an unbatched [C] input) and the target shape (input without it). */
function classLayout(op: string, input: Tensor): { axis: number; classes: number; targetShape: number[] } {
  if (input.ndim === 0) throw new Error(`${op}: expected input [N,C], [N,C,d1,...] or [C], got ${fmt(input.shape)}`);
  const axis = input.ndim === 1 ? 0 : 1;
  return { axis, classes: input.shape[axis], targetShape: input.shape.filter((_, d) => d !== axis) };
}

function checkWeight(op: string, weight: Tensor | null | undefined, classes: number, input: Tensor): Tensor | null {
  if (weight === null || weight === undefined) return null;
  checkTensor(op, 'weight', weight);
  if (weight.ndim !== 1 || weight.shape[0] !== classes) {
    throw new Error(`${op}: weight ${fmt(weight.shape)} must have one entry per class [${classes}] (input ${fmt(input.shape)})`);
  }
  return weight;
}

/** Note [class-index losses as one weighted sum]: −Σ M ⊙ logp, reduced. */
function classIndexLoss(op: string, logp: Tensor, target: Targets, opts: CrossEntropyOptions): Tensor {
  const { axis, classes, targetShape } = classLayout(op, logp);
  const values = targetValues(op, logp, target, targetShape);
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const eps = opts.labelSmoothing ?? 0;
  const weight = checkWeight(op, opts.weight, classes, logp);
  const w = (c: number) => (weight === null ? 1 : weight.data[c]);
  // logp viewed as [outer, C, inner]; the targets as [outer, inner].
  const outer = axis === 0 ? 1 : logp.shape[0];
  const inner = axis === 0 ? 1 : sizeOf(logp.shape.slice(2));
  const m = allocate(logp.dtype, logp.size);
  let denominator = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const k = o * inner + i;
      const t = Number(values[k]);
      if (t === ignoreIndex) continue;
      if (!Number.isInteger(t) || t < 0 || t >= classes) {
        const where = targetShape.length === 1 ? `of row ${k}` : `at position ${k}`;
        throw new Error(`${op}: target ${t} ${where} is not a class index in [0,${classes}) (input ${fmt(logp.shape)})`);
      }
      const base = o * classes * inner + i;
      m[base + t * inner] += (1 - eps) * w(t);
      if (eps !== 0) for (let c = 0; c < classes; c++) m[base + c * inner] += (eps / classes) * w(c);
      denominator += w(t);
    }
  }
  const perElement = neg(sum(mul(logp, constant(m, logp.shape)), axis));
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'mean') {
    // Every target ignored (or an empty batch): the mean is 0/0 = NaN, as PyTorch's, but no row sent
    // a gradient, so the input's gradient is zero, as PyTorch's (dividing would make it NaN).
    if (denominator === 0) return add(mul(sum(perElement), 0), NaN);
    return div(sum(perElement), denominator);
  }
  return reduce(op, perElement, reduction);
}

/** Class probabilities (a float target of the input's shape), optionally smoothed and weighted. */
function probabilityLoss(op: string, logp: Tensor, target: Tensor, opts: CrossEntropyOptions): Tensor {
  const { axis, classes } = classLayout(op, logp);
  const eps = opts.labelSmoothing ?? 0;
  const weight = checkWeight(op, opts.weight, classes, logp);
  let m = eps === 0 ? target : add(mul(target, 1 - eps), eps / classes);
  if (weight !== null)
    m = mul(
      m,
      reshape(
        weight,
        logp.shape.map((n, d) => (d === axis ? n : 1)),
      ),
    );
  const perElement = neg(sum(mul(logp, m), axis));
  const reduction = opts.reduction ?? 'mean';
  // 'mean' averages over the rows (N·d1·…), whatever the weights, as PyTorch does for probabilities.
  if (reduction === 'mean') return div(sum(perElement), logp.size / classes);
  return reduce(op, perElement, reduction);
}

/**
 * Softmax cross-entropy of logits [N,C], [N,C,d1,…] or [C] against class indices (number[],
 * Int32Array or an int32 tensor [N,d1,…]) or class probabilities (a float tensor of the logits'
 * shape), with PyTorch's weight, ignoreIndex, labelSmoothing and reduction.
 */
export function crossEntropy(logits: Tensor, target: Targets, opts: CrossEntropyOptions = {}): Tensor {
  checkTensor('crossEntropy', 'input', logits);
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new Error(`crossEntropy: labelSmoothing must be in [0,1], got ${String(eps)} (input ${fmt(logits.shape)})`);
  }
  const { axis } = classLayout('crossEntropy', logits);
  const probabilities = target instanceof Tensor && isFloat(target.dtype) && sameShape(target.shape, logits.shape) && logits.ndim > 0;
  const reduction = opts.reduction === undefined || opts.reduction === 'mean' ? '' : `reduction=${opts.reduction}`;
  // Drawn as one node, named as the user called it (Note [composite scopes] in src/autograd/scope.ts).
  return composite('crossEntropy', reduction, [logits, target instanceof Tensor ? target : null], () => {
    const logp = logSoftmax(logits, axis);
    // An [N,C] float tensor for an [N,C] input is read as probabilities only if it is not [C]-of-indices shaped.
    return probabilities ? probabilityLoss('crossEntropy', logp, target, opts) : classIndexLoss('crossEntropy', logp, target, opts);
  });
}

const isFloat = (d: DType) => d === 'float32' || d === 'float64';

/** The negative log-likelihood of log-probabilities [N,C], [N,C,d1,…] or [C] at class indices. */
export function nllLoss(logProbs: Tensor, target: Targets, opts: ClassLossOptions = {}): Tensor {
  checkTensor('nllLoss', 'input', logProbs);
  return classIndexLoss('nllLoss', logProbs, target, { ...opts, labelSmoothing: 0 });
}

export interface WeightedLossOptions {
  /** Multiplies each element's loss (broadcast against the input). */
  weight?: Tensor | null;
  reduction?: Reduction;
}

function checkPair(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, 'input', input);
  if (!(target instanceof Tensor)) throw new Error(`${op}: target must be a Tensor (input ${fmt(input.shape)})`);
  if (!sameShape(input.shape, target.shape)) {
    throw new Error(`${op}: input ${fmt(input.shape)} and target ${fmt(target.shape)} must have the same shape`);
  }
}

/** log(v) clamped below at −100 with a finite gradient where v = 0 (PyTorch's binary cross-entropy). */
function clampedLog(v: Tensor): Tensor {
  // The inner maximum keeps log's own gradient finite at 0 (its mask sends nothing there); the outer one clamps.
  const tiny = v.dtype === 'float64' ? 1e-300 : 1e-45;
  return maximum(log(maximum(v, tiny)), -100);
}

/** PyTorch's floor on p·(1 − p) in binary cross-entropy's gradient: 1e-12 rounded to float32, as PyTorch's constant. */
const BCE_EPSILON = Math.fround(1e-12);

/**
 * Binary cross-entropy of probabilities p in [0,1]: −w·(t·log p + (1 − t)·log(1 − p)), each log ≥ −100.
 *
 * Note [saturated bce gradient]: PyTorch's gradient with respect to p is w·(p − t) / max(p·(1 − p), 1e-12),
 * which is the derivative of the value wherever p·(1 − p) ≥ 1e-12, but at p = 0 or 1 (a sigmoid that
 * saturated) it is ±w·1e12 where the clamped logs alone would give 0: a prediction that is certain and
 * wrong would get no gradient. Where p·(1 − p) < 1e-12 (a zero-gradient `step` mask, Note [step masks])
 * the loss is the stopped value plus Q = d·(p − t)/ε + (d²/2)·K with d = p − stop(p), ε = 1e-12 and
 * (p − t) and K stopped: Q is exactly 0, its derivative is (p − t)/ε and its second derivative K, both
 * PyTorch's: its ε in the gradient is a float32 constant, also in float64, and its second derivative is
 * K = (p(1 − p) − (p − t)(1 − 2p)) / (p(1 − p) + 1e-12)², not the derivative of its gradient.
 */
export function bceLoss(p: Tensor, target: Tensor, opts: WeightedLossOptions = {}): Tensor {
  checkPair('bceLoss', p, target);
  for (let i = 0; i < p.size; i++) {
    const v = p.data[i];
    if (!(v >= 0 && v <= 1))
      throw new Error(`bceLoss: input value ${v} at position ${i} is not a probability in [0,1] (input ${fmt(p.shape)})`);
  }
  const elementwise = (q: Tensor) => neg(add(mul(target, clampedLog(q)), mul(sub(1, target), clampedLog(sub(1, q)))));
  let losses = elementwise(p);
  let saturated = false;
  for (let i = 0; i < p.size && !saturated; i++) saturated = p.data[i] * (1 - p.data[i]) < BCE_EPSILON;
  if (saturated) {
    // Note [saturated bce gradient]; the target's gradient stays that of the clamped logs.
    const s = step(sub(BCE_EPSILON, mul(p, sub(1, p))));
    const d = sub(p, stopGradient(p));
    const variance = mul(p, sub(1, p));
    const curvature = div(sub(variance, mul(sub(p, target), sub(1, mul(p, 2)))), square(add(variance, 1e-12)));
    const q = add(mul(div(mul(d, d), 2), stopGradient(curvature)), div(mul(d, stopGradient(sub(p, target))), BCE_EPSILON));
    losses = add(mul(losses, sub(1, s)), mul(add(elementwise(stopGradient(p)), q), s));
  }
  if (opts.weight) losses = mul(losses, opts.weight);
  return reduce('bceLoss', losses, opts.reduction);
}

export interface BceWithLogitsOptions extends WeightedLossOptions {
  /** The weight of positive examples, broadcast over the last (class) axis. */
  posWeight?: Tensor | null;
}

/** bceLoss of sigmoid(x), computed stably for any logit: (1 − t)·x − (1 + (posWeight − 1)·t)·log σ(x). */
export function bceWithLogits(logits: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  checkPair('bceWithLogits', logits, target);
  let logSig = logSigmoid(logits);
  if (opts.posWeight) {
    const pw = checkTensor('bceWithLogits', 'posWeight', opts.posWeight);
    const last = logits.ndim === 0 ? 1 : logits.shape[logits.ndim - 1];
    if (pw.ndim > 1 || (pw.size !== 1 && pw.size !== last)) {
      throw new Error(
        `bceWithLogits: posWeight ${fmt(pw.shape)} must have 1 or ${last} (the last axis) entries (input ${fmt(logits.shape)})`,
      );
    }
    logSig = mul(logSig, add(mul(sub(pw, 1), target), 1));
  }
  let losses = sub(mul(sub(1, target), logits), logSig);
  if (opts.weight) losses = mul(losses, opts.weight);
  return reduce('bceWithLogits', losses, opts.reduction);
}

export interface LossReductionOptions {
  reduction?: Reduction;
}

/** |p − t|, reduced. */
export function l1Loss(p: Tensor, target: Tensor, opts: LossReductionOptions = {}): Tensor {
  checkPair('l1Loss', p, target);
  return reduce('l1Loss', abs(sub(p, target)), opts.reduction);
}

export interface SmoothL1Options extends LossReductionOptions {
  beta?: number;
}

/** 0.5·d²/β where |d| < β, |d| − 0.5·β elsewhere (d = p − t); β = 0 is the L1 loss. */
export function smoothL1Loss(p: Tensor, target: Tensor, opts: SmoothL1Options = {}): Tensor {
  checkPair('smoothL1Loss', p, target);
  const beta = opts.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0))
    throw new Error(`smoothL1Loss: beta must be non-negative, got ${String(beta)} (input ${fmt(p.shape)})`);
  const d = sub(p, target);
  const ad = abs(d);
  if (beta === 0) return reduce('smoothL1Loss', ad, opts.reduction);
  const inside = step(sub(beta, ad));
  const losses = add(mul(inside, div(mul(d, d), 2 * beta)), mul(sub(1, inside), sub(ad, beta / 2)));
  return reduce('smoothL1Loss', losses, opts.reduction);
}

export interface HuberOptions extends LossReductionOptions {
  delta?: number;
}

/** 0.5·d² where |d| < δ, δ·(|d| − 0.5·δ) elsewhere. */
export function huberLoss(p: Tensor, target: Tensor, opts: HuberOptions = {}): Tensor {
  checkPair('huberLoss', p, target);
  const delta = opts.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0))
    throw new Error(`huberLoss: delta must be positive, got ${String(delta)} (input ${fmt(p.shape)})`);
  const d = sub(p, target);
  const ad = abs(d);
  const inside = step(sub(delta, ad));
  const losses = add(mul(inside, mul(mul(d, d), 0.5)), mul(sub(1, inside), mul(sub(ad, delta / 2), delta)));
  return reduce('huberLoss', losses, opts.reduction);
}

export interface KlDivOptions {
  /** The target is given as log-probabilities; default false. */
  logTarget?: boolean;
  reduction?: Reduction | 'batchmean';
}

/**
 * The KL divergence of the target from the input, the input given as log-probabilities:
 * target·(log target − input) (0 where target = 0), or e^target·(target − input) with logTarget.
 * 'batchmean' divides the sum by the batch size (axis 0), which is the true KL divergence.
 */
export function klDiv(input: Tensor, target: Tensor, opts: KlDivOptions = {}): Tensor {
  checkPair('klDiv', input, target);
  let losses: Tensor;
  if (opts.logTarget ?? false) {
    losses = mul(exp(target), sub(target, input));
  } else {
    // xlogy(t, t): log is taken of 1 where t = 0, so 0·log 0 counts as 0.
    const zeros = constant(
      allocate(target.dtype, target.size).map((_, i) => (target.data[i] === 0 ? 1 : 0)),
      target.shape,
    );
    losses = sub(mul(target, log(add(target, zeros))), mul(target, input));
  }
  if (opts.reduction === 'batchmean') {
    const n = input.ndim === 0 ? 1 : input.shape[0];
    return div(sum(losses), n);
  }
  return reduce('klDiv', losses, opts.reduction, ['mean', 'batchmean', 'sum', 'none']);
}

/**
 * Σ a·b / √(max(Σa², eps²)·max(Σb², eps²)) along `axis` (a and b broadcast): each norm is clamped on
 * its own, as PyTorch computes it (a clamp of the product of the norms gives another value once either
 * is below eps). As in torch 1.13, the clamp changes the value but not the derivative: the gradient
 * flows through a clamped squared norm as if it were unclamped (straight through), so a zero vector
 * gets the finite gradient b/(eps·‖b‖) and never a NaN.
 */
export function cosineSimilarity(a: Tensor, b: Tensor, axis = 1, eps = 1e-8): Tensor {
  checkTensor('cosineSimilarity', 'x1', a);
  checkTensor('cosineSimilarity', 'x2', b);
  const shape = broadcastShapes('cosineSimilarity', a.shape, b.shape);
  const ax = normalizeAxis('cosineSimilarity', axis, shape.length, shape);
  [a, b] = [expand(a, shape), expand(b, shape)];
  const w12 = sum(mul(a, b), ax);
  const w1 = sum(mul(a, a), ax);
  const w2 = sum(mul(b, b), ax);
  const clamp = (w: Tensor) => add(w, stopGradient(sub(maximum(w, eps * eps), w)));
  return div(w12, sqrt(mul(clamp(w1), clamp(w2))));
}

export interface MarginOptions extends LossReductionOptions {
  margin?: number;
}

function checkSigns(op: string, y: Tensor, shape: readonly number[]): void {
  checkTensor(op, 'target', y);
  for (let i = 0; i < y.size; i++) {
    if (y.data[i] !== 1 && y.data[i] !== -1)
      throw new Error(`${op}: target value ${y.data[i]} at position ${i} is not 1 or -1 (input ${fmt(shape)})`);
  }
}

/** max(0, −y·(x1 − x2) + margin), y = ±1. */
export function marginRankingLoss(x1: Tensor, x2: Tensor, y: Tensor, opts: MarginOptions = {}): Tensor {
  checkTensor('marginRankingLoss', 'x1', x1);
  checkTensor('marginRankingLoss', 'x2', x2);
  checkTensor('marginRankingLoss', 'target', y);
  const margin = opts.margin ?? 0;
  return reduce('marginRankingLoss', relu(add(mul(neg(y), sub(x1, x2)), margin)), opts.reduction);
}

/**
 * 1 − cos(x1, x2) where y = 1, max(0, cos − margin) where y = −1; cos along axis 1 of [N,D]
 * inputs (or axis 0 of [D]), with PyTorch's 1e-12 added to each squared norm.
 */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, y: Tensor, opts: MarginOptions = {}): Tensor {
  checkTensor('cosineEmbeddingLoss', 'x1', x1);
  checkTensor('cosineEmbeddingLoss', 'x2', x2);
  if (!sameShape(x1.shape, x2.shape) || (x1.ndim !== 1 && x1.ndim !== 2)) {
    throw new Error(`cosineEmbeddingLoss: x1 ${fmt(x1.shape)} and x2 ${fmt(x2.shape)} must be the same shape, [N,D] or [D]`);
  }
  const expected = x1.ndim === 2 ? [x1.shape[0]] : [];
  if (!(y instanceof Tensor) || !sameShape(y.shape, expected)) {
    throw new Error(
      `cosineEmbeddingLoss: target must be ${fmt(expected)} for inputs ${fmt(x1.shape)}, got ${y instanceof Tensor ? fmt(y.shape) : typeof y}`,
    );
  }
  checkSigns('cosineEmbeddingLoss', y, x1.shape);
  const axis = x1.ndim - 1;
  const cos = div(sum(mul(x1, x2), axis), sqrt(mul(add(sum(mul(x1, x1), axis), 1e-12), add(sum(mul(x2, x2), axis), 1e-12))));
  const positive = constant(
    allocate(cos.dtype, cos.size).map((_, i) => (y.data[i] === 1 ? 1 : 0)),
    cos.shape,
  );
  const margin = opts.margin ?? 0;
  const losses = add(mul(positive, sub(1, cos)), mul(sub(1, positive), relu(sub(cos, margin))));
  return reduce('cosineEmbeddingLoss', losses, opts.reduction);
}

export interface TripletMarginOptions extends LossReductionOptions {
  margin?: number;
  /** The norm's degree; default 2. */
  p?: number;
  eps?: number;
  /** Use the smaller of d(a, n) and d(p, n) as the negative distance; default false. */
  swap?: boolean;
}

/** ‖x1 − x2 + eps‖_p along the last axis (PyTorch's pairwise_distance). */
function pairwiseDistance(x1: Tensor, x2: Tensor, p: number, eps: number): Tensor {
  const d = add(sub(x1, x2), eps);
  const axis = Math.max(x1.ndim, x2.ndim) - 1;
  if (p === 2) return sqrt(sum(mul(d, d), axis));
  if (p === 1) return sum(abs(d), axis);
  if (p === Infinity) return max(abs(d), axis);
  return pow(sum(pow(abs(d), p), axis), 1 / p);
}

/** max(0, margin + d(a, p) − d(a, n)) with d the p-norm distance along the last axis. */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, opts: TripletMarginOptions = {}): Tensor {
  for (const [name, t] of [
    ['anchor', anchor],
    ['positive', positive],
    ['negative', negative],
  ] as const) {
    checkTensor('tripletMarginLoss', name, t);
  }
  if (!sameShape(anchor.shape, positive.shape) || !sameShape(anchor.shape, negative.shape) || anchor.ndim === 0 || anchor.ndim > 2) {
    throw new Error(
      `tripletMarginLoss: anchor ${fmt(anchor.shape)}, positive ${fmt(positive.shape)} and negative ${fmt(negative.shape)} must be the same shape, [N,D] or [D]`,
    );
  }
  const p = opts.p ?? 2;
  if (!(p > 0)) throw new Error(`tripletMarginLoss: p must be positive, got ${p}`);
  const eps = opts.eps ?? 1e-6;
  const margin = opts.margin ?? 1;
  const dPos = pairwiseDistance(anchor, positive, p, eps);
  let dNeg = pairwiseDistance(anchor, negative, p, eps);
  if (opts.swap) dNeg = minimum(dNeg, pairwiseDistance(positive, negative, p, eps));
  return reduce('tripletMarginLoss', relu(add(sub(dPos, dNeg), margin)), opts.reduction);
}

declare module '../tensor/tensor' {
  interface Tensor {
    nllLoss(target: Targets, opts?: ClassLossOptions): Tensor;
    bceLoss(target: Tensor, opts?: WeightedLossOptions): Tensor;
    bceWithLogits(target: Tensor, opts?: BceWithLogitsOptions): Tensor;
    l1Loss(target: Tensor, opts?: LossReductionOptions): Tensor;
    smoothL1Loss(target: Tensor, opts?: SmoothL1Options): Tensor;
    huberLoss(target: Tensor, opts?: HuberOptions): Tensor;
    klDiv(target: Tensor, opts?: KlDivOptions): Tensor;
    cosineSimilarity(other: Tensor, axis?: number, eps?: number): Tensor;
    marginRankingLoss(x2: Tensor, y: Tensor, opts?: MarginOptions): Tensor;
    cosineEmbeddingLoss(x2: Tensor, y: Tensor, opts?: MarginOptions): Tensor;
    tripletMarginLoss(positive: Tensor, negative: Tensor, opts?: TripletMarginOptions): Tensor;
  }
}
