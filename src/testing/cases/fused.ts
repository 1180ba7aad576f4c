/**
 * @file Gradient cases for the fused primitives of the transformer path (issue 29): layer norm
 * (Note [fused layer norm]) with and without its affine parameters and over several trailing axes.
 * gradcheck runs the fused backward kernel; gradgradcheck the backward written with ops.
 */
import * as tg from '../../index';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:fused');

/** A float64 leaf with seeded normal values. */
const leaf = (shape: number[]) =>
  tg.tensor(tg.randn(shape, { rng: r, dtype: 'float64' }).data, { shape, dtype: 'float64', requiresGrad: true });

export const fusedCases: OpCase[] = [
  {
    name: 'layerNorm [2,3,4] over [4], weight and bias (fused)',
    inputs: () => [leaf([2, 3, 4]), leaf([4]), leaf([4])],
    fn: (x, w, b) => tg.layerNorm(x, [4], { weight: w, bias: b }),
  },
  {
    name: 'layerNorm [2,3,4] over [3,4], weight only, squared (fused)',
    inputs: () => [leaf([2, 3, 4]), leaf([3, 4])],
    fn: (x, w) => tg.layerNorm(x, [3, 4], { weight: w, eps: 0.1 }).square(),
  },
  {
    name: 'layerNorm [3,5] bias only, squared (fused)',
    inputs: () => [leaf([3, 5]), leaf([5])],
    fn: (x, b) => tg.layerNorm(x, 5, { bias: b }).square(),
  },
];
