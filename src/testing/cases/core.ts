/** @file Gradient cases for the foundation ops (elementwise, reductions, movement, matmul, softmax). */
import * as tg from '../../index';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:core');
/** A float64 leaf with seeded normal values that requires grad. */
const leaf = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad: true });

export const coreCases: OpCase[] = [
  { name: 'add broadcast [2,3]+[3]', covers: ['add'], inputs: () => [leaf([2, 3]), leaf([3])], fn: (a, b) => tg.add(a, b) },
  { name: 'mul broadcast [2,1]*[1,3]', covers: ['mul', 'expand', 'sum', 'reshape'], inputs: () => [leaf([2, 1]), leaf([1, 3])], fn: (a, b) => tg.mul(a, b) },
  { name: 'tanh', covers: ['tanh'], inputs: () => [leaf([4])], fn: (a) => tg.tanh(a) },
  { name: 'matmul [2,3]@[3,4]', covers: ['matmul', 'transpose'], inputs: () => [leaf([2, 3]), leaf([3, 4])], fn: (a, b) => tg.matmul(a, b) },
];
