/** @file Reductions: sum and max are primitives; mean and sumTo are compositions of them. */
import { definePrimitive } from '../autograd/primitive';
import { kernels } from '../kernels';
import { allocate } from '../tensor/dtype';
import { fmt, normalizeAxes, reducedShape, sameShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { installMethods } from './methods';
import { constant } from './operands';
import { expand, reshape } from './shape';
import { div, mul } from './elementwise';

interface ReduceAttrs {
  axes: number[];
  keepDims: boolean;
}

const describeReduce = ({ axes, keepDims }: ReduceAttrs) => `axes=[${axes.join(',')}]${keepDims ? ' keepDims' : ''}`;

/** gy of a reduction, reshaped so it broadcasts against the input again. */
function unreduce(gy: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return reshape(gy, reducedShape(x.shape, axes, true));
}

const sumP = definePrimitive<ReduceAttrs>('sum', {
  forward: ([x], { axes, keepDims }) => {
    const shape = reducedShape(x.shape, axes, keepDims);
    return new Tensor(kernels().sum(x.data, x.shape, axes, allocate(x.dtype, sizeOf(shape))), shape);
  },
  backward: (gy, [x], _y, { axes }) => [expand(unreduce(gy, x, axes), x.shape)],
  describe: describeReduce,
});

const maxP = definePrimitive<ReduceAttrs, Int32Array>('max', {
  forward: ([x], { axes, keepDims }) => {
    // As in NumPy: an empty group has no maximum, but an empty batch of non-empty groups is fine.
    for (const a of axes) {
      if (x.shape[a] === 0) throw new Error(`max: cannot reduce over axis ${a} of size 0 in shape ${fmt(x.shape)}`);
    }
    const shape = reducedShape(x.shape, axes, keepDims);
    const out = allocate(x.dtype, sizeOf(shape));
    const argmax = new Int32Array(out.length);
    kernels().max(x.data, x.shape, axes, out, argmax);
    return { y: new Tensor(out, shape), saved: argmax };
  },
  // The gradient goes to the first maximal element of each reduced group (row-major).
  backward: (gy, [x], _y, { axes }, argmax) => {
    const mask = allocate(x.dtype, x.size);
    for (let o = 0; o < argmax.length; o++) mask[argmax[o]] = 1;
    return [mul(expand(unreduce(gy, x, axes), x.shape), constant(mask, x.shape))];
  },
  describe: describeReduce,
});

export type Axes = number | readonly number[];

/** Sum over `axis` (all axes when undefined; negative axes count from the end). */
export function sum(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return sumP.apply([x], { axes: normalizeAxes('sum', axis, x.shape), keepDims });
}

/** Max over `axis`; the gradient goes to the first maximal element (row-major). */
export function max(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return maxP.apply([x], { axes: normalizeAxes('max', axis, x.shape), keepDims });
}

export function mean(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  const axes = normalizeAxes('mean', axis, x.shape);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  return div(sum(x, axes, keepDims), count);
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0 || shape.some((d, i) => d !== 1 && d !== g.shape[lead + i])) {
    throw new Error(`sumTo: shape ${fmt(g.shape)} does not broadcast from ${fmt(shape)}, so it cannot be summed back to it`);
  }
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes, true), shape);
}

installMethods({ sum, max, mean, sumTo });

declare module '../tensor/tensor' {
  interface Tensor {
    sum(axis?: Axes, keepDims?: boolean): Tensor;
    max(axis?: Axes, keepDims?: boolean): Tensor;
    mean(axis?: Axes, keepDims?: boolean): Tensor;
    sumTo(shape: readonly number[]): Tensor;
  }
}
