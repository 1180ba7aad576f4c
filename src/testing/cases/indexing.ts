/**
 * @file Gradient cases for indexing and sorting (SPEC §14): gather, scatterAdd (in x and src, src
 * larger than the index), indexSelect with repeats, maskedSelect, index (integers, steps, tensors,
 * separated tensors, masks), indexPut (write and accumulate, repeats), sort, topk. The ops are linear
 * in their float inputs, so most cases square the result: order 2 then runs each backward's backward
 * (gather ↔ scatterAdd, indexSelect ↔ indexAdd, the flat gather ↔ scatter). Sort and topk inputs are
 * distinct values, so a finite difference never crosses a change of order.
 */
import * as tg from '../../index';
import type { Tensor } from '../../tensor/tensor';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:indexing');

const normal = (...shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad: true });
const ints = (values: number[], shape = [values.length]) => tg.tensor(values, { shape, dtype: 'int32' });
const square = (y: Tensor) => tg.mul(y, y);

/** Distinct values 0.5 apart, shuffled: no ties for sort and topk. */
const distinct = (...shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 0.5 * (i - n / 2);
  return tg.tensor(r.shuffle(v), { shape, dtype: 'float64', requiresGrad: true });
};

export const indexingCases: OpCase[] = [
  { name: 'gather axis 1, repeats', inputs: () => [normal(2, 4)], fn: (a) => square(tg.gather(a, 1, ints([3, 0, 0, 1, 1, 1], [2, 3]))) },
  { name: 'gather axis 0 (linear alone)', inputs: () => [normal(3, 2)], fn: (a) => a.gather(0, ints([2, 0, 1, 2], [2, 2])) },
  {
    name: 'scatterAdd in x and src, repeats',
    inputs: () => [normal(3, 2), normal(2, 2)],
    fn: (a, s) => square(tg.scatterAdd(a, 0, ints([0, 2, 0, 0], [2, 2]), s)),
  },
  {
    name: 'scatterAdd src larger than the index',
    inputs: () => [normal(2, 3), normal(2, 2)],
    fn: (a, s) => square(a.scatterAdd(-1, ints([2, 2], [2, 1]), s)),
  },
  { name: 'indexSelect repeats', inputs: () => [normal(2, 3)], fn: (a) => square(tg.indexSelect(a, 1, ints([2, 2, 0]))) },
  { name: 'indexSelect axis 0 (linear alone)', inputs: () => [normal(3, 2)], fn: (a) => a.indexSelect(0, ints([1, 1])) },
  {
    name: 'maskedSelect broadcast mask',
    inputs: () => [normal(2, 3)],
    fn: (a) => square(tg.maskedSelect(a, tg.tensor([true, false, true]))),
  },
  { name: 'index integers and a slice (box)', inputs: () => [normal(2, 3, 4)], fn: (a) => square(tg.index(a, 0, null, [1, 3])) },
  { name: 'index with steps', inputs: () => [normal(3, 5)], fn: (a) => square(tg.index(a, [null, null, 2], [-4, null, 2])) },
  { name: 'index tensor with repeats', inputs: () => [normal(3, 2)], fn: (a) => square(a.index(ints([2, 0, 2]))) },
  {
    name: 'index tensors separated by a slice',
    inputs: () => [normal(2, 3, 4)],
    fn: (a) => square(tg.index(a, ints([1, 0]), null, ints([3, 3]))),
  },
  {
    name: 'index bool mask',
    inputs: () => [normal(2, 3, 2)],
    fn: (a) => square(tg.index(a, tg.reshape(tg.tensor([true, false, true, true, false, false]), [2, 3]))),
  },
  {
    name: 'indexPut write, repeats (last wins)',
    inputs: () => [normal(3, 2), normal(3, 2)],
    fn: (a, v) => square(tg.indexPut(a, [ints([2, 0, 2])], v)),
  },
  {
    name: 'indexPut accumulate, repeats, broadcast values',
    inputs: () => [normal(3, 2), normal(2)],
    fn: (a, v) => square(a.indexPut([ints([1, 1])], v, { accumulate: true })),
  },
  { name: 'sort ascending', inputs: () => [distinct(2, 4)], fn: (a) => square(tg.sort(a).values) },
  { name: 'sort descending axis 0', inputs: () => [distinct(3, 2)], fn: (a) => square(a.sort(0, { descending: true }).values) },
  { name: 'topk largest', inputs: () => [distinct(2, 5)], fn: (a) => square(tg.topk(a, 2).values) },
  { name: 'topk smallest (linear alone)', inputs: () => [distinct(5)], fn: (a) => tg.topk(a, 3, 0, { largest: false }).values },
];
