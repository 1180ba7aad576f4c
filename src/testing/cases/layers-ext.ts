/**
 * @file Gradient cases for the layers of SPEC §15: activations (every option), normalisation,
 * losses (every reduction and option), embedding, transposed 1-D convolution, interpolation,
 * adaptive pooling, channel dropout and pixel shuffling.
 *
 * Piecewise activations see values spread over all their pieces but none within 0.05 of a kink,
 * where a finite difference cannot agree with the one-sided rule PyTorch picks (tests/activations.test.ts
 * checks the kinks by hand). The square variants make a piecewise-linear op's gradient depend on x,
 * so order 2 differentiates through its rule.
 */
import * as tg from '../../index';
import type { Tensor } from '../../tensor/tensor';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:layers-ext');

/** A float64 leaf with seeded normal values, times `scale`. */
const leaf = (shape: number[], scale = 1) => {
  const t = tg.randn(shape, { rng: r, dtype: 'float64' });
  return tg.tensor(t.mul(scale).data, { shape, dtype: 'float64', requiresGrad: true });
};

/** Values spread over [-7, 7], none within 0.05 of the kinks at 0, ±0.5, ±1, ±3, 6 and 20. */
const spread = (shape = [2, 8]) =>
  tg.tensor([-7, -4.1, -2.9, -2.2, -1.3, -0.8, -0.4, -0.2, 0.1, 0.3, 0.8, 1.6, 2.7, 3.4, 5.2, 6.3], {
    shape,
    dtype: 'float64',
    requiresGrad: true,
  });

const squared = (f: (x: Tensor) => Tensor) => (x: Tensor) => tg.mul(f(x), f(x));

const activation = (name: string, f: (x: Tensor) => Tensor, inputs: () => Tensor[] = () => [spread()]): OpCase[] => [
  { name, inputs, fn: f },
  { name: `${name} squared`, inputs, fn: squared(f) },
];

export const activationCases: OpCase[] = [
  ...activation('leakyRelu', (x) => tg.leakyRelu(x)),
  ...activation('leakyRelu negativeSlope=0.2', (x) => x.leakyRelu(0.2)),
  ...activation('elu', (x) => tg.elu(x)),
  ...activation('elu alpha=0.5', (x) => x.elu(0.5)),
  ...activation('selu', (x) => tg.selu(x)),
  ...activation('celu alpha=2', (x) => tg.celu(x, 2)),
  ...activation('gelu', (x) => tg.gelu(x)),
  ...activation('gelu tanh', (x) => x.gelu({ approximate: 'tanh' })),
  ...activation('silu', (x) => tg.silu(x)),
  ...activation('mish', (x) => tg.mish(x)),
  ...activation('softplus', (x) => tg.softplus(x)),
  ...activation('softplus beta=2 threshold=3', (x) => x.softplus({ beta: 2, threshold: 3 })),
  ...activation('logSigmoid', (x) => tg.logSigmoid(x)),
  ...activation('hardtanh', (x) => tg.hardtanh(x)),
  ...activation('hardtanh min=-2 max=3', (x) => x.hardtanh(-2, 3)),
  ...activation('relu6', (x) => tg.relu6(x)),
  ...activation('hardsigmoid', (x) => tg.hardsigmoid(x)),
  ...activation('hardswish', (x) => tg.hardswish(x)),
  ...activation('softsign', (x) => tg.softsign(x)),
  ...activation('tanhshrink', (x) => tg.tanhshrink(x)),
  ...activation('softshrink', (x) => tg.softshrink(x)),
  ...activation('hardshrink lambd=1', (x) => tg.hardshrink(x, 1)),
  ...activation('threshold 0.5 -> 2', (x) => tg.threshold(x, 0.5, 2)),
  {
    name: 'prelu one weight',
    inputs: () => [spread(), leaf([1])],
    fn: (x, w) => tg.mul(tg.prelu(x, w), x),
  },
  {
    name: 'prelu per channel [2,8,1] weight [8]',
    inputs: () => [spread([2, 8, 1]), leaf([8])],
    fn: (x, w) => tg.mul(x.prelu(w), tg.prelu(x, w)),
  },
];

export const layersExtCases: OpCase[] = [...activationCases];
