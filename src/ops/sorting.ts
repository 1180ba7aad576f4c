/**
 * @file sort, argsort and topk (SPEC §14), all through one primitive, `topk`: the k first values of
 * each line along an axis in sorted order, and where they came from. The order is a stable argsort
 * (NaN greatest, as PyTorch places it: last ascending, first descending); the backward adds gy back
 * at those positions (a scatterAdd, whose own backward is a gather), so second order works. As one
 * primitive it exports to ONNX's TopK, which recomputes the order for every input; ONNX's TopK is
 * stable too (equal values: the lower index first).
 */
import type { Primitive } from '../autograd/primitive';
import { defineOp } from './names';
import { kernels } from '../kernels';
import { allocateUnfilled } from '../tensor/dtype';
import { fmt, normalizeAxis } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { int32Tensor, scatterAddIntoZeros } from './indexing';
import { reshape } from './shape';
import { cast } from './operands';

export interface SortOptions {
  /** Largest first (equal values still keep their order: the sort is stable both ways). */
  descending?: boolean;
}

export interface TopkOptions {
  /** The k largest (default) or the k smallest. */
  largest?: boolean;
  /** Accepted for PyTorch's signature: the result is always sorted. */
  sorted?: boolean;
}

/** Values and their positions along the axis (int32). */
export interface ValuesAndIndices {
  values: Tensor;
  indices: Tensor;
}

interface TopkAttrs {
  axis: number;
  k: number;
  largest: boolean;
}

const topkP: Primitive<TopkAttrs, Int32Array> = defineOp<TopkAttrs, Int32Array>('topk', {
  forward: ([x], { axis, k, largest }) => {
    const n = x.shape[axis];
    const order = new Int32Array(x.size);
    kernels().argsort(x.data, x.shape, axis, largest, order);
    const shape = x.shape.map((m, d) => (d === axis ? k : m));
    const first = Int32Array.from({ length: k }, (_, i) => i);
    const indices = new Int32Array((x.size / (n || 1)) * k);
    // The first k positions of each line: an index_select of the order along the axis.
    kernels().indexSelect(order, x.shape, axis, first, indices);
    const values = kernels().gatherAxis(x.data, x.shape, axis, indices, shape, allocateUnfilled(x.dtype, indices.length));
    return { y: new Tensor(values, shape), saved: indices };
  },
  backward: (gy, [x], _y, { axis }, indices) => [scatterAddIntoZeros(gy, axis, indices, x.shape)],
  describe: ({ axis, k, largest }) => `k=${k} axis=${axis}${largest ? '' : ' smallest'}`,
});

function run(op: string, x: Tensor, k: number | null, axis: number, largest: boolean): ValuesAndIndices {
  if (!(x instanceof Tensor)) throw new Error(`${op}: expected a tensor, got ${typeof x}`);
  if (x.dtype === 'bool') throw new Error(`${op}: cannot order a bool tensor (shape ${fmt(x.shape)})`);
  // A 0-d tensor sorts as its one element.
  const flat = x.ndim === 0 ? reshape(x, [1]) : x;
  const a = normalizeAxis(op, axis, flat.ndim, x.shape);
  const n = flat.shape[a];
  const kk = k ?? n;
  if (!Number.isInteger(kk) || kk < 0 || kk > n) {
    throw new Error(`${op}: k ${kk} is out of range for axis ${axis} of size ${n} (shape ${fmt(x.shape)})`);
  }
  const { y, saved } = topkP.applyWithSaved([flat], { axis: a, k: kk, largest });
  const shape = x.ndim === 0 ? [] : y.shape;
  return { values: x.ndim === 0 ? reshape(y, []) : y, indices: int32Tensor(saved!, shape) };
}

/** Sorted values along `axis` and where each came from; stable (equal values keep their order), NaN last (first descending); bool tensors too. */
export function sort(x: Tensor, axis = -1, opts: SortOptions = {}): ValuesAndIndices {
  if (x instanceof Tensor && x.dtype === 'bool') {
    // false < true, as PyTorch sorts bool tensors (topk of a bool tensor stays an error, as there).
    const { values, indices } = run('sort', cast(x, 'int32'), null, axis, opts.descending ?? false);
    return { values: cast(values, 'bool'), indices };
  }
  return run('sort', x, null, axis, opts.descending ?? false);
}

/** The positions that sort x along `axis` (int32): sort(...).indices. */
export function argsort(x: Tensor, axis = -1, opts: SortOptions = {}): Tensor {
  return run('argsort', x instanceof Tensor && x.dtype === 'bool' ? cast(x, 'int32') : x, null, axis, opts.descending ?? false).indices;
}

/** The k largest (or smallest) values along `axis`, sorted, and their positions (int32). */
export function topk(x: Tensor, k: number, axis = -1, opts: TopkOptions = {}): ValuesAndIndices {
  return run('topk', x, k, axis, opts.largest ?? true);
}

declare module '../tensor/tensor' {
  interface Tensor {
    sort(axis?: number, opts?: SortOptions): ValuesAndIndices;
    argsort(axis?: number, opts?: SortOptions): Tensor;
    topk(k: number, axis?: number, opts?: TopkOptions): ValuesAndIndices;
  }
}
