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

const reductions = ['mean', 'sum', 'none'] as const;
/** Probabilities in (0.05, 0.95). */
const probs = (shape: number[]) =>
  tg.tensor(tg.sigmoid(tg.randn(shape, { rng: r, dtype: 'float64' }).mul(1.2)).data, { shape, dtype: 'float64', requiresGrad: true });
const fixed = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64' });
const classWeight = () => tg.tensor([0.5, 2, 1, 1.5], { dtype: 'float64' });

export const lossCases: OpCase[] = [
  ...reductions.map((reduction): OpCase => ({
    name: `crossEntropy weight ignoreIndex labelSmoothing reduction=${reduction}`,
    inputs: () => [leaf([5, 4])],
    fn: (x) => tg.crossEntropy(x, [3, 0, -100, 1, 3], { weight: classWeight(), labelSmoothing: 0.2, reduction }),
  })),
  {
    name: 'crossEntropy [N,C,d1,d2] ignoreIndex=2',
    inputs: () => [leaf([2, 3, 2, 2])],
    fn: (x) => tg.crossEntropy(x, tg.tensor([0, 1, 2, 1, 2, 2, 0, 1], { shape: [2, 2, 2] }), { ignoreIndex: 2 }),
  },
  { name: 'crossEntropy unbatched [C]', inputs: () => [leaf([4])], fn: (x) => tg.crossEntropy(x, [2]) },
  ...reductions.map((reduction): OpCase => ({
    name: `crossEntropy probabilities weight labelSmoothing reduction=${reduction}`,
    inputs: () => [leaf([3, 4]), tg.tensor(tg.softmax(fixed([3, 4]), 1).data, { shape: [3, 4], dtype: 'float64', requiresGrad: true })],
    fn: (x, t) => tg.crossEntropy(x, t, { weight: classWeight(), labelSmoothing: 0.1, reduction }),
  })),
  ...reductions.map((reduction): OpCase => ({
    name: `nllLoss weight reduction=${reduction}`,
    inputs: () => [leaf([4, 4])],
    fn: (x) => tg.mul(tg.nllLoss(x, [1, 0, 3, 3], { weight: classWeight(), reduction }), tg.sum(x)),
  })),
  ...reductions.map((reduction): OpCase => ({
    name: `bceLoss weight reduction=${reduction}`,
    inputs: () => [probs([3, 4]), probs([3, 4])],
    fn: (p, t) => tg.bceLoss(p, t, { weight: tg.tensor([1, 2, 0.5, 1], { dtype: 'float64' }), reduction }),
  })),
  ...reductions.map((reduction): OpCase => ({
    name: `bceWithLogits weight posWeight reduction=${reduction}`,
    inputs: () => [leaf([3, 4], 3), probs([3, 4]), leaf([4])],
    fn: (x, t, pw) => tg.bceWithLogits(x, t, { weight: tg.tensor([1, 2, 0.5, 1], { dtype: 'float64' }), posWeight: pw, reduction }),
  })),
  ...reductions.map((reduction): OpCase => ({
    name: `l1Loss reduction=${reduction}`,
    inputs: () => [leaf([3, 4]), leaf([3, 4])],
    fn: (p, t) => tg.mul(tg.l1Loss(p, t, { reduction }), tg.l1Loss(p, t, { reduction })),
  })),
  ...[0.5, 0].map((beta): OpCase => ({
    name: `smoothL1Loss beta=${beta}`,
    inputs: () => [leaf([3, 4], 2), leaf([3, 4])],
    fn: (p, t) => tg.mul(tg.smoothL1Loss(p, t, { beta, reduction: 'none' }), p),
  })),
  {
    name: 'huberLoss delta=0.7',
    inputs: () => [leaf([3, 4], 2), leaf([3, 4])],
    fn: (p, t) => tg.mul(tg.huberLoss(p, t, { delta: 0.7, reduction: 'none' }), p),
  },
  ...(['mean', 'batchmean', 'sum', 'none'] as const).map((reduction): OpCase => ({
    name: `klDiv reduction=${reduction}`,
    inputs: () => [leaf([3, 4]), probs([3, 4])],
    fn: (x, t) => tg.klDiv(x, t, { reduction }),
  })),
  {
    name: 'klDiv logTarget',
    inputs: () => [leaf([3, 4]), leaf([3, 4])],
    fn: (x, t) => tg.klDiv(x, t, { logTarget: true, reduction: 'sum' }),
  },
  {
    name: 'cosineSimilarity axis=1 with broadcast',
    inputs: () => [leaf([3, 4]), leaf([1, 4])],
    fn: (a, b) => tg.cosineSimilarity(a, b),
  },
  { name: 'cosineSimilarity axis=-1 [2,3,4]', inputs: () => [leaf([2, 3, 4]), leaf([2, 3, 4])], fn: (a, b) => a.cosineSimilarity(b, -1) },
  {
    name: 'marginRankingLoss margin=0.3',
    inputs: () => [leaf([6]), leaf([6])],
    fn: (a, b) =>
      tg.mul(tg.marginRankingLoss(a, b, tg.tensor([1, -1, 1, 1, -1, -1], { dtype: 'float64' }), { margin: 0.3, reduction: 'none' }), a),
  },
  ...reductions.map((reduction): OpCase => ({
    name: `cosineEmbeddingLoss margin=0.1 reduction=${reduction}`,
    inputs: () => [leaf([4, 3]), leaf([4, 3])],
    fn: (a, b) => tg.cosineEmbeddingLoss(a, b, tg.tensor([1, -1, -1, 1], { dtype: 'float64' }), { margin: -0.5, reduction }),
  })),
  ...[
    { p: 2, swap: false },
    { p: 1, swap: true },
    { p: 3, swap: false },
  ].map((o): OpCase => ({
    name: `tripletMarginLoss p=${o.p} swap=${o.swap}`,
    inputs: () => [leaf([4, 3]), leaf([4, 3]), leaf([4, 3])],
    fn: (a, p, n) => tg.tripletMarginLoss(a, p, n, { ...o, margin: 2, reduction: 'none' }),
  })),
];

const int32 = (values: number[], shape: number[]) => tg.tensor(values, { shape, dtype: 'int32' });

export const resampleCases: OpCase[] = [
  {
    name: 'embedding [2,3] repeated indices',
    inputs: () => [leaf([5, 3])],
    fn: (w) => tg.mul(tg.embedding(int32([0, 4, 0, 2, 2, 2], [2, 3]), w), tg.embedding(int32([1, 4, 0, 2, 3, 2], [2, 3]), w)),
  },
  {
    // The padding row takes no gradient, so the check masks the positions that read it: then the
    // finite differences see no dependence on it either (tests/resample.test.ts checks the zero).
    name: 'embedding paddingIdx=2, padding positions masked',
    inputs: () => [leaf([4, 2])],
    fn: (w) => {
      const y = tg.mul(int32([2, 1, 2, 3], [4]).embedding(w, { paddingIdx: 2 }), tg.tensor([[0], [1], [0], [1]], { dtype: 'float64' }));
      return tg.mul(y, y);
    },
  },
  {
    name: 'convTranspose1d stride=2 padding=1 outputPadding=1 dilation=2 groups=2 bias',
    inputs: () => [leaf([2, 4, 3]), leaf([4, 1, 3]), leaf([2])],
    fn: (x, w, b) => tg.convTranspose1d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, dilation: 2, groups: 2 }),
  },
  { name: 'convTranspose1d unbatched [C,L]', inputs: () => [leaf([2, 4]), leaf([2, 3, 2])], fn: (x, w) => x.convTranspose1d(w) },
  ...(
    [
      ['nearest size', [2, 2, 3], { size: 7 }],
      ['nearest scaleFactor 2x3', [1, 2, 3, 2], { scaleFactor: [2, 3] }],
      ['nearest downsample', [1, 1, 5, 4], { size: [2, 3] }],
      ['linear scaleFactor=2.5', [2, 2, 4], { mode: 'linear', scaleFactor: 2.5 }],
      ['linear alignCorners size=7', [1, 2, 4], { mode: 'linear', size: 7, alignCorners: true }],
      ['bilinear size [5,3]', [1, 2, 3, 4], { mode: 'bilinear', size: [5, 3] }],
      ['bilinear alignCorners scaleFactor=2', [2, 1, 3, 3], { mode: 'bilinear', scaleFactor: 2, alignCorners: true }],
    ] as const
  ).map(([label, shape, opts]): OpCase => ({
    name: `interpolate ${label}`,
    inputs: () => [leaf([...shape])],
    fn: (x) => tg.mul(tg.interpolate(x, opts), tg.interpolate(x, opts)),
  })),
  {
    name: 'adaptiveAvgPool1d 7 -> 3',
    inputs: () => [leaf([2, 2, 7])],
    fn: (x) => tg.mul(tg.adaptiveAvgPool1d(x, 3), tg.adaptiveAvgPool1d(x, 3)),
  },
  { name: 'adaptiveAvgPool2d [5,6] -> [3,4]', inputs: () => [leaf([1, 2, 5, 6])], fn: (x) => tg.adaptiveAvgPool2d(x, [3, 4]) },
  { name: 'adaptiveAvgPool2d [4,5] -> [null,2], unbatched', inputs: () => [leaf([2, 4, 5])], fn: (x) => x.adaptiveAvgPool2d([null, 2]) },
  {
    name: 'adaptiveMaxPool1d 7 -> 3',
    inputs: () => [leaf([2, 2, 7])],
    fn: (x) => tg.mul(tg.adaptiveMaxPool1d(x, 3), x.adaptiveMaxPool1d(3)),
  },
  {
    name: 'adaptiveMaxPool2d [5,6] -> [2,4]',
    inputs: () => [leaf([1, 2, 5, 6])],
    fn: (x) => tg.mul(tg.adaptiveMaxPool2d(x, [2, 4]), x.adaptiveMaxPool2d([2, 4])),
  },
  {
    name: 'dropout2d p=0.5 (seeded)',
    inputs: () => [leaf([3, 4, 2, 2])],
    fn: (x) => tg.dropout2d(x, 0.5, { rng: tg.rng('cases:dropout2d') }),
  },
  {
    name: 'alphaDropout p=0.3 (seeded)',
    inputs: () => [leaf([3, 5])],
    fn: (x) => tg.mul(tg.alphaDropout(x, 0.3, { rng: tg.rng('cases:alpha') }), x),
  },
  { name: 'pixelShuffle r=2', inputs: () => [leaf([2, 8, 2, 3])], fn: (x) => tg.mul(tg.pixelShuffle(x, 2), tg.pixelShuffle(x, 2)) },
  { name: 'pixelUnshuffle r=2 unbatched', inputs: () => [leaf([2, 4, 6])], fn: (x) => tg.mul(x.pixelUnshuffle(2), x.pixelUnshuffle(2)) },
];

export const layersExtCases: OpCase[] = [...activationCases, ...normCases, ...lossCases, ...resampleCases];
