/**
 * @file Extrema (SPEC §14): argmax/argmin (int32, ties to the first index), max/min with their
 * indices, `min` (as `max`: the gradient goes to the first minimum), and amax/amin, whose gradient
 * is split equally between tied elements, as PyTorch's. All compositions of `max` and `where`.
 *
 * Note [amax ties]: amax must give exactly the maximum m, and the gradient 1/k to each of the k
 * elements equal to it. It is written y = m + Σ where(x = m, x − m, 0) · (1/k) with m and the
 * weights 1/k constants: the sum is exactly 0 in value (x − m = 0 wherever it is taken), its
 * derivative is 1/k at each tie and 0 elsewhere, and a selection (not a 0/1 product) keeps x − m =
 * −inf where x = −inf from turning into NaN. m is replaced by 0 where it is not finite, so an
 * all-(−inf) group gives −inf, not −inf − (−inf) = NaN; NaN propagates, as in PyTorch.
 */
import { noGrad } from '../autograd/mode';
import { markSampleDependent } from '../autograd/sample-constants';
import { kernels } from '../kernels';
import { allocate, isFloating } from '../tensor/dtype';
import { fmt, normalizeAxes, normalizeAxis, reducedShape, sizeOf, stridesOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Axes, sum } from './broadcast';
import { eq, isFinite, where } from './compare';
import { div, neg, sub } from './elementwise';
import { cast } from './operands';
import { max } from './reduce';
import { reshape } from './shape';

/** The values of x with the order reversed (−x; 1 − x for bool), as float64, so that argmin is an argmax. */
function reversed(x: Tensor): Tensor {
  const out = new Float64Array(x.size);
  const bool = x.dtype === 'bool';
  for (let i = 0; i < out.length; i++) out[i] = bool ? 1 - x.data[i] : -x.data[i];
  return new Tensor(out, x.shape);
}

function extremeIndex(op: string, x: Tensor, axis: number | undefined, keepDims: boolean, smallest: boolean): Tensor {
  if (x.size === 0) throw new Error(`${op}: cannot take the ${smallest ? 'minimum' : 'maximum'} of an empty tensor ${fmt(x.shape)}`);
  const axes = axis === undefined ? normalizeAxes(op, undefined, x.shape) : [normalizeAxis(op, axis, x.ndim, x.shape)];
  for (const a of axes) {
    if (x.shape[a] === 0) throw new Error(`${op}: cannot reduce over axis ${a} of size 0 in shape ${fmt(x.shape)}`);
  }
  const source = smallest ? reversed(x) : x;
  const shape = axis === undefined ? (keepDims ? x.shape.map(() => 1) : []) : reducedShape(x.shape, axes, keepDims);
  const flat = new Int32Array(sizeOf(shape));
  kernels().max(source.data, x.shape, axes, allocate(source.dtype, flat.length), flat);
  if (axis !== undefined && x.ndim > 0) {
    // The flat input index of each group's first extreme, as its position along the axis.
    const stride = stridesOf(x.shape)[axes[0]];
    const size = x.shape[axes[0]];
    for (let o = 0; o < flat.length; o++) flat[o] = Math.floor(flat[o] / stride) % size;
  }
  return new Tensor(flat, shape);
}

/**
 * The index of the largest element along `axis` (int32; ties: the first; NaN counts as largest);
 * without an axis, the index into the flattened x.
 */
export function argmax(x: Tensor, axis?: number, keepDims = false): Tensor {
  return extremeIndex('argmax', x, axis, keepDims, false);
}

/** The index of the smallest element along `axis` (int32; ties: the first); without an axis, into the flattened x. */
export function argmin(x: Tensor, axis?: number, keepDims = false): Tensor {
  return extremeIndex('argmin', x, axis, keepDims, true);
}

/** Min over `axis` (all axes when undefined); the gradient goes to the first minimal element (row-major). */
export function min(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  for (const a of normalizeAxes('min', axis, x.shape)) {
    if (x.shape[a] === 0) throw new Error(`min: cannot reduce over axis ${a} of size 0 in shape ${fmt(x.shape)}`);
  }
  if (isFloating(x.dtype)) return neg(max(neg(x), axis, keepDims));
  // int32 and bool: negated exactly in float64 (−(−2³¹) does not fit int32), then back.
  return cast(neg(max(neg(cast(x, 'float64')), axis, keepDims)), x.dtype);
}

export interface ValuesAndIndices {
  values: Tensor;
  indices: Tensor;
}

/** torch.max(x, dim): the maxima along `axis` (differentiable, to the first maximum) and their int32 indices. */
export function maxWithIndices(x: Tensor, axis: number, keepDims = false): ValuesAndIndices {
  if (typeof axis !== 'number') throw new Error(`maxWithIndices: axis must be a number, got ${String(axis)} (x ${fmt(x.shape)})`);
  return { values: max(x, axis, keepDims), indices: argmax(x, axis, keepDims) };
}

/** torch.min(x, dim): the minima along `axis` (differentiable, to the first minimum) and their int32 indices. */
export function minWithIndices(x: Tensor, axis: number, keepDims = false): ValuesAndIndices {
  if (typeof axis !== 'number') throw new Error(`minWithIndices: axis must be a number, got ${String(axis)} (x ${fmt(x.shape)})`);
  return { values: min(x, axis, keepDims), indices: argmin(x, axis, keepDims) };
}

function extremeOf(op: string, x: Tensor, axes: number[], keepDims: boolean, smallest: boolean): Tensor {
  for (const a of axes) {
    if (x.shape[a] === 0) throw new Error(`${op}: cannot reduce over axis ${a} of size 0 in shape ${fmt(x.shape)}`);
  }
  if (!isFloating(x.dtype)) return smallest ? min(x, axes, keepDims) : max(x, axes, keepDims);
  // Note [amax ties]: m, the tie mask and the weights are constants.
  const { m, ties, weights, shift } = noGrad(() => {
    const m = smallest ? min(x, axes, true) : max(x, axes, true);
    const ties = eq(x, m);
    const hits = cast(ties, x.dtype);
    return { m, ties, weights: div(hits, sum(hits, axes, true)), shift: where(isFinite(m), m, 0) };
  });
  const what = `${op}'s maximum and tie mask`.replace("amin's maximum", "amin's minimum");
  for (const t of [m, ties, weights, shift]) markSampleDependent(t, what);
  const y = sum(where(ties, sub(x, shift), 0).mul(weights), axes, true).add(m);
  return keepDims ? y : reshape(y, reducedShape(x.shape, axes, false));
}

/** The maximum over `axes` (all when omitted); tied maxima share the gradient equally (Note [amax ties]). */
export function amax(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return extremeOf('amax', x, normalizeAxes('amax', axes, x.shape), keepDims, false);
}

/** The minimum over `axes` (all when omitted); tied minima share the gradient equally. */
export function amin(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return extremeOf('amin', x, normalizeAxes('amin', axes, x.shape), keepDims, true);
}

declare module '../tensor/tensor' {
  interface Tensor {
    argmax(axis?: number, keepDims?: boolean): Tensor;
    argmin(axis?: number, keepDims?: boolean): Tensor;
    min(axis?: Axes, keepDims?: boolean): Tensor;
    maxWithIndices(axis: number, keepDims?: boolean): ValuesAndIndices;
    minWithIndices(axis: number, keepDims?: boolean): ValuesAndIndices;
    amax(axes?: Axes, keepDims?: boolean): Tensor;
    amin(axes?: Axes, keepDims?: boolean): Tensor;
  }
}
