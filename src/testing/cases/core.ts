/**
 * @file Gradient cases for the foundation ops (elementwise, reductions, movement, matmul, softmax):
 * every op and every option, on shapes with size-1 axes, 0-d tensors and broadcasting both ways.
 *
 * Inputs keep away from the places where a finite difference cannot agree with the analytic rule:
 * relu and abs see no value near 0, maximum/minimum/max never see near-ties, log/sqrt and a pow base
 * that requires grad stay positive, and divisors stay away from 0.
 *
 * A linear op checked alone has a constant gradient, so its order-2 check never runs the backward of
 * its backward; the `square` variants (op(x)², elementwise) make the gradient depend on x, so order 2
 * differentiates through the rule itself (e.g. pad's backward padAdjoint, and padAdjoint's backward pad).
 */
import * as tg from '../../index';
import type { Tensor } from '../../tensor/tensor';
import type { OpCase } from '../op-case';
import { builtin } from '../op-case';

const r = tg.rng('cases:core');

const fromValues = (values: Float64Array, shape: readonly number[]) => tg.tensor(values, { shape, dtype: 'float64', requiresGrad: true });

/** Standard normal values. */
const normal = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad: true });
/** A constant additive attention mask [3,5]: finite entries and one blocked key per row. */
const fusedMask = tg.tensor(
  [
    [0.3, -Infinity, 0, -0.5, 1],
    [0, 0.2, -Infinity, 0.1, 0],
    [-0.4, 0, 0, -Infinity, 0.6],
  ],
  { dtype: 'float64' },
);

/** Values in [0.5, 2): the domain of log, sqrt and a differentiated pow base. */
const positive = (shape: number[]) => {
  const v = new Float64Array(shape.reduce((n, d) => n * d, 1));
  for (let i = 0; i < v.length; i++) v[i] = 0.5 + 1.5 * r.next();
  return fromValues(v, shape);
};

/** Both signs, |v| ≥ 0.3: no kink of relu or abs, no divisor near 0. */
const awayFromZero = (shape: number[]) => {
  const v = new Float64Array(shape.reduce((n, d) => n * d, 1));
  for (let i = 0; i < v.length; i++) v[i] = (r.next() < 0.5 ? -1 : 1) * (0.3 + r.next());
  return fromValues(v, shape);
};

/**
 * Distinct values on a shuffled grid of step 0.5, shifted by `offset`: two tensors with offsets 0 and
 * 0.25 never come closer than 0.25, so max, maximum and minimum have no ties.
 */
const distinct = (shape: number[], offset = 0) => {
  const n = shape.reduce((k, d) => k * d, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 0.5 * (i - Math.floor(n / 2)) + offset;
  return fromValues(r.shuffle(v), shape);
};

/** Small values (|v| in [1e-3, 2e-3)): float32 resolves a 1e-6 step there, so a float32 detour can be checked. */
const small = (shape: number[]) => {
  const v = new Float64Array(shape.reduce((n, d) => n * d, 1));
  for (let i = 0; i < v.length; i++) v[i] = (r.next() < 0.5 ? -1 : 1) * (1e-3 + 1e-3 * r.next());
  return fromValues(v, shape);
};

const square = (y: Tensor) => tg.mul(y, y);

const elementwiseCases: OpCase[] = [
  { name: 'add [2,3]+[2,3]', inputs: () => [normal([2, 3]), normal([2, 3])], fn: (a, b) => tg.add(a, b) },
  { name: 'add broadcast both ways [2,1,3]+[4,1]', inputs: () => [normal([2, 1, 3]), normal([4, 1])], fn: (a, b) => tg.add(a, b) },
  { name: 'add 0-d + [2,3]', inputs: () => [normal([]), normal([2, 3])], fn: (a, b) => tg.add(a, b) },
  { name: 'add number + [2,3]', inputs: () => [normal([2, 3])], fn: (a) => tg.add(2, a) },
  { name: 'add broadcast, squared', inputs: () => [normal([2, 1, 3]), normal([4, 1])], fn: (a, b) => square(tg.add(a, b)) },
  { name: 'sub [3]-[2,3]', inputs: () => [normal([3]), normal([2, 3])], fn: (a, b) => tg.sub(a, b) },
  { name: 'sub 0-d - 0-d', inputs: () => [normal([]), normal([])], fn: (a, b) => tg.sub(a, b) },
  { name: 'sub [2,3] - number', inputs: () => [normal([2, 3])], fn: (a) => a.sub(1.5) },
  { name: 'mul broadcast both ways [2,1,3]*[4,1]', inputs: () => [normal([2, 1, 3]), normal([4, 1])], fn: (a, b) => tg.mul(a, b) },
  { name: 'mul 0-d * [2,3]', inputs: () => [normal([]), normal([2, 3])], fn: (a, b) => tg.mul(a, b) },
  { name: 'mul [2,3] * number', inputs: () => [normal([2, 3])], fn: (a) => a.mul(-3) },
  { name: 'div [2,3]/[3]', inputs: () => [normal([2, 3]), awayFromZero([3])], fn: (a, b) => tg.div(a, b) },
  { name: 'div [3,1]/[2,1,3]', inputs: () => [normal([3, 1]), awayFromZero([2, 1, 3])], fn: (a, b) => tg.div(a, b) },
  { name: 'div number/[2,3]', inputs: () => [awayFromZero([2, 3])], fn: (b) => tg.div(1, b) },
  { name: 'pow positive base [2,3] ^ [3]', inputs: () => [positive([2, 3]), normal([3])], fn: (a, b) => tg.pow(a, b) },
  { name: 'pow [2,1] ^ 0-d', inputs: () => [positive([2, 1]), normal([])], fn: (a, b) => tg.pow(a, b) },
  { name: 'pow any sign ^ 3', inputs: () => [normal([2, 3])], fn: (a) => a.pow(3) },
  { name: 'pow number ^ [2,3]', inputs: () => [normal([2, 3])], fn: (b) => tg.pow(2, b) },
  {
    name: 'maximum broadcast [2,1,3] vs [4,1]',
    inputs: () => [distinct([2, 1, 3]), distinct([4, 1], 0.25)],
    fn: (a, b) => tg.maximum(a, b),
  },
  { name: 'maximum with a number', inputs: () => [distinct([2, 3], 0.25)], fn: (a) => a.maximum(0) },
  { name: 'maximum, squared', inputs: () => [distinct([3]), distinct([2, 3], 0.25)], fn: (a, b) => square(tg.maximum(a, b)) },
  { name: 'minimum [3] vs [2,3]', inputs: () => [distinct([3]), distinct([2, 3], 0.25)], fn: (a, b) => tg.minimum(a, b) },
  { name: 'minimum 0-d vs [2,1]', inputs: () => [distinct([], 0.25), distinct([2, 1])], fn: (a, b) => square(tg.minimum(a, b)) },
  {
    name: 'mixed dtype: float32 * float64 promotes',
    // Both small: the gradient of a also passes through float32, and it is proportional to b.
    inputs: () => [small([2, 3]), small([3])],
    fn: (a, b) => tg.mul(tg.cast(a, 'float32'), b),
  },
  { name: 'clone, times the input', inputs: () => [small([2, 3])], fn: (a) => a.clone().mul(a) },
  { name: 'cast float32 and back, squared', inputs: () => [small([4])], fn: (a) => square(a.cast('float32')).cast('float64') },
  {
    name: "the engine's gradient sum and seed conversion",
    inputs: () => [small([4])],
    fn: (a) =>
      tg.mul(
        builtin('accumulate').apply([a, tg.mul(a, a)], undefined),
        builtin('convertGradient').apply([builtin('convertGradient').apply([a], { dtype: 'float32' })], { dtype: 'float64' }),
      ),
  },
  { name: 'neg', inputs: () => [normal([2, 3])], fn: (a) => tg.neg(a) },
  { name: 'exp', inputs: () => [normal([2, 1, 3])], fn: (a) => tg.exp(a) },
  { name: 'exp 0-d', inputs: () => [normal([])], fn: (a) => a.exp() },
  { name: 'log', inputs: () => [positive([2, 3])], fn: (a) => tg.log(a) },
  { name: 'sqrt', inputs: () => [positive([2, 3])], fn: (a) => tg.sqrt(a) },
  { name: 'abs', inputs: () => [awayFromZero([2, 3])], fn: (a) => tg.abs(a) },
  { name: 'abs, squared', inputs: () => [awayFromZero([2, 3])], fn: (a) => square(a.abs()) },
  { name: 'relu', inputs: () => [awayFromZero([2, 3])], fn: (a) => tg.relu(a) },
  { name: 'relu, squared', inputs: () => [awayFromZero([2, 3])], fn: (a) => square(a.relu()) },
  { name: 'tanh', inputs: () => [normal([2, 3])], fn: (a) => tg.tanh(a) },
  { name: 'tanh 0-d', inputs: () => [normal([])], fn: (a) => a.tanh() },
  { name: 'sigmoid', inputs: () => [normal([2, 1, 3])], fn: (a) => tg.sigmoid(a) },
  {
    name: 'sigmoid of large |x|',
    inputs: () => [tg.tensor([-8, -3, 3, 8], { dtype: 'float64', requiresGrad: true })],
    fn: (a) => a.sigmoid(),
  },
];

const reduceCases: OpCase[] = [
  { name: 'sum all -> 0-d', inputs: () => [normal([2, 3])], fn: (a) => tg.sum(a) },
  { name: 'sum all, squared', inputs: () => [normal([2, 3])], fn: (a) => square(tg.sum(a)) },
  { name: 'sum axis 1', inputs: () => [normal([2, 3, 2])], fn: (a) => square(tg.sum(a, 1)) },
  { name: 'sum axes [0,-1] keepDims', inputs: () => [normal([2, 3, 2])], fn: (a) => square(tg.sum(a, [0, -1], true)) },
  { name: 'sum axis -1', inputs: () => [normal([2, 3])], fn: (a) => a.sum(-1) },
  { name: 'sum over a size-1 axis', inputs: () => [normal([2, 1, 3])], fn: (a) => square(a.sum(1)) },
  { name: 'sum of 0-d', inputs: () => [normal([])], fn: (a) => square(a.sum()) },
  { name: 'sum keepDims all', inputs: () => [normal([2, 3])], fn: (a) => square(a.sum(undefined, true)) },
  { name: 'mean all', inputs: () => [normal([2, 3])], fn: (a) => square(tg.mean(a)) },
  { name: 'mean axis -1 keepDims', inputs: () => [normal([2, 1, 3])], fn: (a) => square(a.mean(-1, true)) },
  { name: 'mean axes [0,2]', inputs: () => [normal([2, 3, 2])], fn: (a) => a.mean([0, 2]) },
  { name: 'max all -> 0-d', inputs: () => [distinct([2, 3])], fn: (a) => tg.max(a) },
  { name: 'max all, squared', inputs: () => [distinct([2, 3])], fn: (a) => square(tg.max(a)) },
  { name: 'max axis 0', inputs: () => [distinct([3, 4])], fn: (a) => square(tg.max(a, 0)) },
  { name: 'max axes [0,2] keepDims', inputs: () => [distinct([2, 3, 2])], fn: (a) => square(a.max([0, 2], true)) },
  { name: 'max axis -1', inputs: () => [distinct([2, 3])], fn: (a) => a.max(-1) },
  { name: 'max over a size-1 axis', inputs: () => [distinct([2, 1, 3])], fn: (a) => square(a.max(1)) },
  { name: 'max of 0-d', inputs: () => [normal([])], fn: (a) => square(a.max()) },
];

const shapeCases: OpCase[] = [
  { name: 'reshape [2,3] -> [3,2]', inputs: () => [normal([2, 3])], fn: (a) => square(tg.reshape(a, [3, 2])) },
  { name: 'reshape with -1', inputs: () => [normal([2, 3, 1])], fn: (a) => a.reshape([-1, 2]) },
  { name: 'reshape [1,1] -> 0-d', inputs: () => [normal([1, 1])], fn: (a) => square(a.reshape([])) },
  { name: 'expand [3,1] -> [2,3,4]', inputs: () => [normal([3, 1])], fn: (a) => square(tg.expand(a, [2, 3, 4])) },
  { name: 'expand 0-d -> [2,2]', inputs: () => [normal([])], fn: (a) => a.expand([2, 2]) },
  { name: 'transpose default (reverse)', inputs: () => [normal([2, 3, 4])], fn: (a) => square(tg.transpose(a)) },
  { name: 'transpose perm [1,0,2]', inputs: () => [normal([2, 3, 2])], fn: (a) => a.transpose([1, 0, 2]) },
  { name: 'transpose negative perm [-1,0,1]', inputs: () => [normal([2, 3, 2])], fn: (a) => square(a.transpose([-1, 0, 1])) },
  { name: 'transposeLast2', inputs: () => [normal([2, 2, 3])], fn: (a) => square(tg.transposeLast2(a)) },
  { name: 'flatten startDim 1', inputs: () => [normal([2, 3, 2])], fn: (a) => square(tg.flatten(a)) },
  { name: 'flatten startDim 0', inputs: () => [normal([2, 3])], fn: (a) => a.flatten(0) },
  { name: 'squeeze / unsqueeze', inputs: () => [normal([2, 1, 3])], fn: (a) => square(tg.unsqueeze(tg.squeeze(a, 1), -1)) },
  { name: 'flip default (all axes)', inputs: () => [normal([2, 3])], fn: (a) => square(tg.flip(a)) },
  { name: 'flip axes [0,-1]', inputs: () => [normal([2, 3, 2])], fn: (a) => a.flip([0, -1]) },
  { name: 'flip axes [1]', inputs: () => [normal([2, 3, 2])], fn: (a) => square(a.flip([1])) },
  { name: 'pad [1,2] (number per leading axis)', inputs: () => [normal([2, 3, 2])], fn: (a) => tg.pad(a, [1, 2]) },
  { name: 'pad [1,2], squared', inputs: () => [normal([2, 3, 2])], fn: (a) => square(tg.pad(a, [1, 2])) },
  {
    name: 'pad [[0,2],[1,0]] value 3',
    inputs: () => [normal([2, 3])],
    fn: (a) =>
      square(
        a.pad(
          [
            [0, 2],
            [1, 0],
          ],
          3,
        ),
      ),
  },
  {
    name: 'pad constant mode {value: -1}',
    inputs: () => [normal([2, 3])],
    fn: (a) => square(a.pad([[1, 1]], { mode: 'constant', value: -1 })),
  },
  {
    name: 'pad replicate',
    inputs: () => [normal([2, 3])],
    fn: (a) =>
      square(
        a.pad(
          [
            [1, 2],
            [2, 1],
          ],
          { mode: 'replicate' },
        ),
      ),
  },
  {
    name: 'pad symmetric',
    inputs: () => [normal([2, 3])],
    fn: (a) =>
      square(
        a.pad(
          [
            [1, 2],
            [2, 1],
          ],
          { mode: 'symmetric' },
        ),
      ),
  },
  {
    name: 'pad circular',
    inputs: () => [normal([2, 3])],
    fn: (a) =>
      square(
        a.pad(
          [
            [1, 2],
            [2, 1],
          ],
          { mode: 'circular' },
        ),
      ),
  },
  {
    name: 'pad replicate wider than the axis',
    inputs: () => [normal([2, 3])],
    fn: (a) =>
      square(
        a.pad(
          [
            [3, 4],
            [5, 1],
          ],
          { mode: 'replicate' },
        ),
      ),
  },
  {
    name: 'pad symmetric wider than the axis',
    inputs: () => [normal([2, 3])],
    fn: (a) =>
      square(
        a.pad(
          [
            [3, 4],
            [5, 1],
          ],
          { mode: 'symmetric' },
        ),
      ),
  },
  {
    name: 'pad circular wider than the axis',
    inputs: () => [normal([2, 3])],
    fn: (a) =>
      square(
        a.pad(
          [
            [3, 4],
            [5, 1],
          ],
          { mode: 'circular' },
        ),
      ),
  },
  { name: 'slice positive', inputs: () => [normal([4, 3])], fn: (a) => square(tg.slice(a, [1, 0], [3, 2])) },
  { name: 'slice negative starts and ends', inputs: () => [normal([4, 3])], fn: (a) => square(a.slice([-3, -2], [-1, 3])) },
  { name: 'slice clamped ends, leading axis only', inputs: () => [normal([4, 3])], fn: (a) => a.slice([-10], [10]).slice([2], [100]) },
  { name: 'concat axis 0', inputs: () => [normal([2, 3]), normal([1, 3])], fn: (a, b) => square(tg.concat([a, b], 0)) },
  {
    name: 'concat axis -1 of three',
    inputs: () => [normal([2, 1]), normal([2, 3]), normal([2, 2])],
    fn: (a, b, c) => tg.concat([a, b, c], -1),
  },
  { name: 'stack axis 0', inputs: () => [normal([2, 3]), normal([2, 3])], fn: (a, b) => square(tg.stack([a, b])) },
  { name: 'stack axis -1', inputs: () => [normal([3]), normal([3]), normal([3])], fn: (a, b, c) => tg.stack([a, b, c], -1) },
  { name: 'stack 0-d tensors', inputs: () => [normal([]), normal([])], fn: (a, b) => square(tg.stack([a, b])) },
];

const matmulCases: OpCase[] = [
  { name: 'matmul [2,3]@[3,4]', inputs: () => [normal([2, 3]), normal([3, 4])], fn: (a, b) => tg.matmul(a, b) },
  { name: 'matmul [2,3]@[3,4], squared', inputs: () => [normal([2, 3]), normal([3, 4])], fn: (a, b) => square(a.matmul(b)) },
  {
    name: 'matmul batched [2,2,3]@[3,4] (b broadcast)',
    inputs: () => [normal([2, 2, 3]), normal([3, 4])],
    fn: (a, b) => square(tg.matmul(a, b)),
  },
  {
    name: 'matmul batch broadcast both ways [2,1,2,3]@[3,3,2]',
    inputs: () => [normal([2, 1, 2, 3]), normal([3, 3, 2])],
    fn: (a, b) => square(tg.matmul(a, b)),
  },
  { name: 'matmul 1-D @ 2-D', inputs: () => [normal([3]), normal([3, 2])], fn: (a, b) => square(tg.matmul(a, b)) },
  { name: 'matmul 2-D @ 1-D', inputs: () => [normal([2, 3]), normal([3])], fn: (a, b) => square(tg.matmul(a, b)) },
  { name: 'matmul 1-D @ 1-D -> 0-d', inputs: () => [normal([3]), normal([3])], fn: (a, b) => square(tg.matmul(a, b)) },
  { name: 'matmul 1-D @ batched [2,3,2]', inputs: () => [normal([3]), normal([2, 3, 2])], fn: (a, b) => square(tg.matmul(a, b)) },
  { name: 'matmul then tanh', inputs: () => [normal([2, 3]), normal([3, 2])], fn: (a, b) => tg.tanh(tg.matmul(a, b)) },
  // A batched a against a 2-D b is one product, forward and backward (Note [folded batches] in src/ops/matmul.ts).
  {
    name: 'linear on a sequence [2,3,4]·[5,4]ᵀ (folded batches)',
    inputs: () => [normal([2, 3, 4]), normal([5, 4])],
    fn: (x, w) => square(tg.linear(x, w)),
  },
  {
    name: 'matmul batched [2,2,2,3]@[3,4] (folded batches)',
    inputs: () => [normal([2, 2, 2, 3]), normal([3, 4])],
    fn: (a, b) => square(tg.matmul(a, b)),
  },
  // A bias or mask added inside the product, its gradient the add's (Note [product epilogue] in src/ops/matmul.ts).
  {
    name: 'linear on a sequence with bias [2,3,4]·[5,4]ᵀ + [5] (the bias in the product)',
    inputs: () => [normal([2, 3, 4]), normal([5, 4]), normal([5])],
    fn: (x, w, b) => square(tg.linear(x, w, b)),
  },
  {
    name: 'attention scores with a [1,3,4] mask that requires grad (a batched product plus its addend)',
    inputs: () => [normal([2, 3, 2]), normal([2, 4, 2]), normal([2, 4, 3]), normal([1, 3, 4])],
    fn: (q, k, v, mask) => square(tg.scaledDotProductAttention(q, k, v, { attnMask: mask })),
  },
  // Scores, softmax and weights·v in one primitive (Note [fused attention] in src/ops/attention.ts);
  // its backward recomputes the weights, its second derivative is the composition's.
  {
    name: 'attention fused, batched [2,2,3,4] with keys [2,2,5,4], values [2,2,5,3] and a constant [3,5] mask',
    inputs: () => [normal([2, 2, 3, 4]), normal([2, 2, 5, 4]), normal([2, 2, 5, 3])],
    fn: (q, k, v) => square(tg.scaledDotProductAttention(q, k, v, { attnMask: fusedMask })),
  },
  {
    name: 'attention fused, causal with more queries than keys [5,2]·[3,2]',
    inputs: () => [normal([5, 2]), normal([3, 2]), normal([3, 4])],
    fn: (q, k, v) => square(tg.scaledDotProductAttention(q, k, v, { isCausal: true, scale: 0.7 })),
  },
  {
    name: 'attention fused, causal with fewer queries than keys [2,3]·[5,3]',
    inputs: () => [normal([2, 3]), normal([5, 3]), normal([5, 2])],
    fn: (q, k, v) => square(tg.scaledDotProductAttention(q, k, v, { isCausal: true })),
  },
];

const softmaxCases: OpCase[] = [
  { name: 'softmax axis -1', inputs: () => [normal([2, 3])], fn: (a) => tg.softmax(a) },
  { name: 'softmax axis 0', inputs: () => [normal([3, 2])], fn: (a) => a.softmax(0) },
  { name: 'softmax over a size-1 axis', inputs: () => [normal([2, 1, 3])], fn: (a) => a.softmax(1) },
  { name: 'softmax axis 1 of [2,3,2], squared', inputs: () => [normal([2, 3, 2])], fn: (a) => square(a.softmax(1)) },
  { name: 'logSoftmax axis -1', inputs: () => [normal([2, 3])], fn: (a) => tg.logSoftmax(a) },
  { name: 'logSoftmax axis 1 of [2,3,2]', inputs: () => [normal([2, 3, 2])], fn: (a) => a.logSoftmax(1) },
  {
    name: 'logSoftmax of logits ±30',
    inputs: () => [
      tg.tensor(
        [
          [30, -30, 29],
          [-30, -29, 30],
        ],
        { dtype: 'float64', requiresGrad: true },
      ),
    ],
    fn: (a) => a.logSoftmax(),
  },
];

export const coreCases: OpCase[] = [...elementwiseCases, ...reduceCases, ...shapeCases, ...matmulCases, ...softmaxCases];
