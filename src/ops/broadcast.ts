/**
 * @file Broadcasting and its adjoint: `expand` (broadcast to a shape) and `sum` are each other's
 * backward, and `sumTo` — the one place a broadcast gradient is reduced back to its input's shape
 * (Note [broadcast reduction] in elementwise.ts) — is a sum. They live together because their rules
 * are written with each other.
 */
import { defineOp } from './names';
import { kernels } from '../kernels';
import { allocate, allocateUnfilled } from '../tensor/dtype';
import { broadcastStrides, fmt, normalizeAxes, reducedShape, sameShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { cast } from './operands';
import { reshape } from './shape';

export type Axes = number | readonly number[];

export interface ReduceAttrs {
  axes: number[];
  keepDims: boolean;
}

export const describeReduce = ({ axes, keepDims }: ReduceAttrs) => `axes=[${axes.join(',')}]${keepDims ? ' keepDims' : ''}`;

/** gy of a reduction, reshaped so it broadcasts against the input again. */
export function unreduce(gy: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return reshape(gy, reducedShape(x.shape, axes, true));
}

const sumP = defineOp<ReduceAttrs>('sum', {
  forward: ([x], { axes, keepDims }) => {
    const shape = reducedShape(x.shape, axes, keepDims);
    return new Tensor(kernels().sum(x.data, x.shape, axes, allocateUnfilled(x.dtype, sizeOf(shape))), shape);
  },
  backward: (gy, [x], _y, { axes }) => [expand(unreduce(gy, x, axes), x.shape)],
  describe: describeReduce,
});

const expandP = defineOp<{ shape: number[] }>('expand', {
  forward: ([x], { shape }) =>
    new Tensor(kernels().stridedCopy(x.data, 0, broadcastStrides(x.shape, shape), shape, allocate(x.dtype, sizeOf(shape))), shape),
  backward: (gy, [x]) => [sumTo(gy, x.shape)],
  describe: ({ shape }) => fmt(shape),
});

/** Broadcasts x to `shape` (NumPy's broadcast_to), copying. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  const ok = lead >= 0 && x.shape.every((d, i) => d === shape[lead + i] || d === 1);
  if (!ok) throw new Error(`expand: shape ${fmt(x.shape)} cannot be broadcast to ${fmt(shape)}`);
  if (lead === 0 && x.shape.every((d, i) => d === shape[i])) return x;
  return expandP.apply([x], { shape: [...shape] });
}

/** Sum over `axis` (all axes when undefined; negative axes count from the end); a bool tensor's sum counts (int32). */
export function sum(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  const axes = normalizeAxes('sum', axis, x.shape);
  return sumP.apply([x.dtype === 'bool' ? cast(x, 'int32') : x], { axes, keepDims });
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

declare module '../tensor/tensor' {
  interface Tensor {
    sum(axis?: Axes, keepDims?: boolean): Tensor;
    sumTo(shape: readonly number[]): Tensor;
    expand(shape: readonly number[]): Tensor;
  }
}
