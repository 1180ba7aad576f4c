/**
 * @file Flat-index gather and scatter: y[o] = x.flat[index[o]] and its adjoint, out.flat[index[o]] += g[o].
 * Each is the other's backward, so every op built on them has exact derivatives of any order. Max
 * pooling routes its gradient through them; diagonal, tril/triu and advanced indexing are built from them.
 */
import type { Primitive } from '../autograd/primitive';
import { defineOp } from './names';
import { kernels } from '../kernels';
import { allocate, allocateUnfilled } from '../tensor/dtype';
import { fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

interface IndexAttrs {
  index: Int32Array;
  /** The shape of the result. */
  shape: readonly number[];
}

const gatherFlatP: Primitive<IndexAttrs> = defineOp<IndexAttrs>('gatherFlat', {
  forward: ([x], { index, shape }) => new Tensor(kernels().gatherFlat(x.data, index, allocate(x.dtype, sizeOf(shape))), shape),
  backward: (gy, [x], _y, { index }) => [scatterAddFlatP.apply([gy], { index, shape: x.shape })],
  describe: ({ shape }) => fmt(shape),
});

const scatterAddFlatP: Primitive<IndexAttrs> = defineOp<IndexAttrs>('scatterAddFlat', {
  forward: ([g], { index, shape }) => new Tensor(kernels().scatterAddFlat(g.data, index, allocateUnfilled(g.dtype, sizeOf(shape))), shape),
  backward: (gg, [g], _y, { index }) => [gatherFlatP.apply([gg], { index, shape: g.shape })],
  describe: ({ shape }) => fmt(shape),
});

/** y (of `shape`, with index.length elements) with y.flat[o] = x.flat[index[o]]; indices must be in range. */
export function gatherFlat(x: Tensor, index: Int32Array, shape: readonly number[]): Tensor {
  return gatherFlatP.apply([x], { index, shape: [...shape] });
}

/** out (of `shape`) = zeros, then out.flat[index[o]] += g.flat[o]: repeated indices add up. */
export function scatterAddFlat(g: Tensor, index: Int32Array, shape: readonly number[]): Tensor {
  return scatterAddFlatP.apply([g], { index, shape: [...shape] });
}
