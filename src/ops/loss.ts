/**
 * @file Losses (SPEC §5): softmax cross-entropy, the multiclass hinge (SVM) loss, mean squared error
 * and the Euclidean loss — compositions of primitives, with class targets picked by a constant
 * one-hot mask so that no loss needs a backward of its own.
 */
import { composite } from '../autograd/scope';
import { allocate, DType } from '../tensor/dtype';
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add, mul, neg, relu, sub } from './elementwise';
import { constant } from './operands';
import { mean, sum } from './reduce';
import { crossEntropy, type CrossEntropyOptions } from './losses';

export type Reduction = 'mean' | 'sum' | 'none';

export interface ReductionOptions {
  reduction?: Reduction;
}

export interface SvmLossOptions extends ReductionOptions {
  margin?: number;
}

/** Integer class indices, one per row. */
export type Targets = readonly number[] | Int32Array | Tensor;

/** The per-element (or per-row) losses reduced as asked: their mean, their sum, or untouched. */
function reduce(op: string, losses: Tensor, reduction: Reduction | undefined): Tensor {
  switch (reduction ?? 'mean') {
    case 'mean':
      return mean(losses);
    case 'sum':
      return sum(losses);
    case 'none':
      return losses;
    default:
      throw new Error(`${op}: unknown reduction '${String(reduction)}' (use 'mean', 'sum' or 'none')`);
  }
}

/** Checks scores [N,C] and targets (N class indices in [0,C)) and returns the targets as one-hot rows. */
function oneHotTargets(op: string, scores: Tensor, targets: Targets): Tensor {
  if (scores.ndim !== 2) throw new Error(`${op}: expected scores [N,C], got ${fmt(scores.shape)}`);
  const [n, classes] = scores.shape;
  let values: ArrayLike<number>;
  if (targets instanceof Tensor) {
    if (targets.ndim !== 1) throw new Error(`${op}: targets must be 1-d [N], got ${fmt(targets.shape)} (input ${fmt(scores.shape)})`);
    values = targets.data;
  } else if (Array.isArray(targets) || targets instanceof Int32Array) {
    values = targets;
  } else {
    throw new Error(`${op}: targets must be number[], Int32Array or a Tensor of class indices (input ${fmt(scores.shape)})`);
  }
  if (values.length !== n) throw new Error(`${op}: ${values.length} targets for ${n} rows (input ${fmt(scores.shape)})`);
  return oneHot(op, values, classes, scores.dtype, scores.shape);
}

function oneHot(op: string, indices: ArrayLike<number>, classes: number, dtype: DType, shape: readonly number[]): Tensor {
  const rows = allocate(dtype, indices.length * classes);
  for (let i = 0; i < indices.length; i++) {
    const t = indices[i];
    if (!Number.isInteger(t) || t < 0 || t >= classes) {
      throw new Error(`${op}: target ${t} of row ${i} is not a class index in [0,${classes}) (input ${fmt(shape)})`);
    }
    rows[i * classes + t] = 1;
  }
  return constant(rows, [indices.length, classes]);
}

function checkSameShape(op: string, pred: Tensor, target: Tensor): void {
  if (!(target instanceof Tensor)) throw new Error(`${op}: target must be a Tensor (pred ${fmt(pred.shape)})`);
  if (!sameShape(pred.shape, target.shape)) {
    throw new Error(`${op}: pred ${fmt(pred.shape)} and target ${fmt(target.shape)} must have the same shape`);
  }
}

// crossEntropy, with PyTorch's weights, ignoreIndex, label smoothing and probability targets, lives
// with the losses of SPEC §15 in losses.ts; it is re-exported here, where SPEC §5 put it.
export { crossEntropy } from './losses';

/** Multiclass hinge: per row sum over j != y of max(0, s_j - s_y + margin) (no division by C). */
export function svmLoss(scores: Tensor, targets: Targets, opts: SvmLossOptions = {}): Tensor {
  const y1 = oneHotTargets('svmLoss', scores, targets);
  const margin = opts.margin ?? 1;
  if (!Number.isFinite(margin)) throw new Error(`svmLoss: margin must be a finite number, got ${margin}`);
  const correct = sum(mul(scores, y1), 1, true);
  const others = sub(1, y1);
  const hinges = mul(relu(add(sub(scores, correct), margin)), others);
  return reduce('svmLoss', sum(hinges, 1), opts.reduction);
}

/** Squared error (pred - target)^2, reduced. */
export function mseLoss(pred: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  checkSameShape('mseLoss', pred, target);
  const reduction = opts.reduction === undefined || opts.reduction === 'mean' ? '' : `reduction=${opts.reduction}`;
  // Drawn as one node (Note [composite scopes] in src/autograd/scope.ts).
  return composite('mseLoss', reduction, [pred, target], () => {
    const diff = sub(pred, target);
    return reduce('mseLoss', mul(diff, diff), opts.reduction);
  });
}

/** Caffe's Euclidean loss: sum((pred - target)^2) / (2N), N the batch size (axis 0). */
export function euclideanLoss(pred: Tensor, target: Tensor): Tensor {
  checkSameShape('euclideanLoss', pred, target);
  if (pred.ndim === 0) throw new Error(`euclideanLoss: expected pred [N,...] with a batch axis, got ${fmt(pred.shape)}`);
  const diff = sub(pred, target);
  return mul(sum(mul(diff, diff)), 1 / (2 * pred.shape[0]));
}

declare module '../tensor/tensor' {
  interface Tensor {
    crossEntropy(targets: Targets, opts?: CrossEntropyOptions): Tensor;
    svmLoss(targets: Targets, opts?: SvmLossOptions): Tensor;
    mseLoss(target: Tensor, opts?: ReductionOptions): Tensor;
    euclideanLoss(target: Tensor): Tensor;
  }
}
