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

/** Running statistics made fresh for each call. */
const running = (c: number) => ({
  runningMean: tg.tensor(
    Array.from({ length: c }, (_, i) => 0.1 * i - 0.2),
    { dtype: 'float64' },
  ),
  runningVar: tg.tensor(
    Array.from({ length: c }, (_, i) => 0.5 + 0.25 * i),
    { dtype: 'float64' },
  ),
});

export const normCases: OpCase[] = [
  {
    name: 'layerNorm [3,4] weight bias',
    inputs: () => [leaf([3, 4]), leaf([4]), leaf([4])],
    fn: (x, w, b) => tg.layerNorm(x, [4], { weight: w, bias: b }),
  },
  {
    name: 'layerNorm [2,3,4] over [3,4] eps=0.1',
    inputs: () => [leaf([2, 3, 4]), leaf([3, 4]), leaf([3, 4])],
    fn: (x, w, b) => x.layerNorm([3, 4], { weight: w, bias: b, eps: 0.1 }),
  },
  { name: 'layerNorm no affine', inputs: () => [leaf([2, 5])], fn: (x) => tg.layerNorm(x, 5) },
  {
    name: 'groupNorm [2,4,3] 2 groups weight bias',
    inputs: () => [leaf([2, 4, 3]), leaf([4]), leaf([4])],
    fn: (x, w, b) => tg.groupNorm(x, 2, { weight: w, bias: b }),
  },
  {
    name: 'groupNorm [2,6,2,2] 3 groups no affine',
    inputs: () => [leaf([2, 6, 2, 2])],
    fn: (x) => x.groupNorm(3, { eps: 1e-3 }),
  },
  {
    name: 'instanceNorm [2,3,4] weight bias, running stats updated',
    inputs: () => [leaf([2, 3, 4]), leaf([3]), leaf([3])],
    fn: (x, w, b) => tg.instanceNorm(x, { weight: w, bias: b, ...running(3) }),
  },
  {
    name: 'instanceNorm [2,2,3,3] no affine',
    inputs: () => [leaf([2, 2, 3, 3])],
    fn: (x) => x.instanceNorm(),
  },
  {
    name: 'instanceNorm with running stats (useInputStats false)',
    inputs: () => [leaf([2, 3, 4]), leaf([3]), leaf([3])],
    fn: (x, w, b) => tg.mul(tg.instanceNorm(x, { weight: w, bias: b, ...running(3), useInputStats: false }), x),
  },
];

export const layersExtCases: OpCase[] = [...activationCases, ...normCases];
