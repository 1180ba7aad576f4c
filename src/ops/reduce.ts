/** @file Reductions: max (a primitive) and mean; sum and sumTo live with expand in broadcast.ts. */
import { defineOp } from './names';
import { kernels } from '../kernels';
import { allocate } from '../tensor/dtype';
import { fmt, normalizeAxes, reducedShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { cast, constant } from './operands';
import { Axes, expand, sum, unreduce } from './broadcast';
import { div, mul } from './elementwise';

export { sum, sumTo } from './broadcast';
export type { Axes } from './broadcast';

interface ReduceAttrs {
  axes: number[];
  keepDims: boolean;
}

const describeReduce = ({ axes, keepDims }: ReduceAttrs) => `axes=[${axes.join(',')}]${keepDims ? ' keepDims' : ''}`;

const maxP = defineOp<ReduceAttrs, Int32Array>('max', {
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

/** Max over `axis`; the gradient goes to the first maximal element (row-major). */
export function max(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return maxP.apply([x], { axes: normalizeAxes('max', axis, x.shape), keepDims });
}

/** The mean over `axis`; a bool tensor's is the fraction of trues (float32); int32 throws, as in PyTorch. */
export function mean(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  if (x.dtype === 'int32') {
    throw new Error(`mean: int32 tensors are not supported (x ${fmt(x.shape)} int32); cast to a float dtype first`);
  }
  if (x.dtype === 'bool') x = cast(x, 'float32');
  const axes = normalizeAxes('mean', axis, x.shape);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  return div(sum(x, axes, keepDims), count);
}

declare module '../tensor/tensor' {
  interface Tensor {
    max(axis?: Axes, keepDims?: boolean): Tensor;
    mean(axis?: Axes, keepDims?: boolean): Tensor;
  }
}
