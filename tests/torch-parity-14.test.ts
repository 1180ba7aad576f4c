/**
 * PyTorch parity for SPEC §14's comparisons, selection, reductions and math: one sweep of every op
 * on random float64 inputs (and their edge cases: zeros in products, ties in amax, steps in floor),
 * values and gradients (for a random upstream gradient) against torch 1.13. Fails without torch
 * (Note [torch parity never skips] in tests/torch-harness.ts).
 */
import * as tg from '../src';
import { decodeTensor, encodeTensor, runTorch, TensorJson } from './torch-harness';

const r = tg.rng('torch-parity-14');

const f64 = (values: number[], shape: number[]) => tg.tensor(values, { shape, dtype: 'float64' });
const normal = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64' });
const uniform = (shape: number[], lo: number, hi: number) =>
  tg
    .rand(shape, { rng: r, dtype: 'float64' })
    .mul(hi - lo)
    .add(lo);
/** Random values with a few exact zeros. */
const withZeros = (shape: number[]) => normal(shape).mul(tg.bernoulli(tg.full(shape, 0.8, { dtype: 'float64' }), { rng: r }));
const ties = () => f64([1, 3, 3, -2, 0.5, 0.5, 0.5, -1, 2, 2, 0, 2], [3, 4]);
const mask = (shape: number[]) => tg.bernoulli(tg.full(shape, 0.5, { dtype: 'float64' }), { rng: r }).to('bool');

interface Case {
  name: string;
  inputs: tg.Tensor[];
  /** tapegrad's side. */
  ts: (...xs: tg.Tensor[]) => tg.Tensor;
  /** torch's side: a Python lambda over the same inputs (float64 tensors, bool masks). */
  py: string;
}

const unary: [string, (x: tg.Tensor) => tg.Tensor, () => tg.Tensor][] = [
  ['sin', tg.sin, () => normal([3, 4])],
  ['cos', tg.cos, () => normal([3, 4])],
  ['tan', tg.tan, () => uniform([3, 4], -1.3, 1.3)],
  ['asin', tg.asin, () => uniform([3, 4], -0.95, 0.95)],
  ['acos', tg.acos, () => uniform([3, 4], -0.95, 0.95)],
  ['atan', tg.atan, () => normal([3, 4]).mul(3)],
  ['sinh', tg.sinh, () => normal([3, 4]).mul(2)],
  ['cosh', tg.cosh, () => normal([3, 4]).mul(2)],
  ['erf', tg.erf, () => normal([3, 4]).mul(2)],
  ['erfc', tg.erfc, () => normal([3, 4]).mul(3)],
  ['log1p', tg.log1p, () => uniform([3, 4], -0.9, 5)],
  ['expm1', tg.expm1, () => normal([3, 4])],
  ['log2', tg.log2, () => uniform([3, 4], 0.01, 10)],
  ['log10', tg.log10, () => uniform([3, 4], 0.01, 10)],
  ['square', tg.square, () => normal([3, 4])],
  ['rsqrt', tg.rsqrt, () => uniform([3, 4], 0.1, 4)],
  ['reciprocal', tg.reciprocal, () => normal([3, 4])],
  ['sign', tg.sign, () => f64([-2, 0, 3, -0.5], [4])],
  ['floor', tg.floor, () => normal([3, 4]).mul(3)],
  ['ceil', tg.ceil, () => normal([3, 4]).mul(3)],
  ['round', tg.round, () => f64([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -3.7], [8])],
  ['trunc', tg.trunc, () => normal([3, 4]).mul(3)],
];

const cases: Case[] = [
  ...unary.map(([name, ts, input]) => ({ name, inputs: [input()], ts, py: `lambda x: torch.${name}(x)` })),
  { name: 'atan2', inputs: [normal([3, 4]), normal([4])], ts: tg.atan2, py: 'lambda a, b: torch.atan2(a, b)' },
  {
    name: 'fmod',
    inputs: [normal([3, 4]).mul(5), uniform([4], 0.5, 2).mul(f64([1, -1, 1, -1], [4]))],
    ts: tg.fmod,
    py: 'lambda a, b: torch.fmod(a, b)',
  },
  {
    name: 'remainder',
    inputs: [normal([3, 4]).mul(5), uniform([4], 0.5, 2).mul(f64([1, -1, 1, -1], [4]))],
    ts: tg.remainder,
    py: 'lambda a, b: torch.remainder(a, b)',
  },
  { name: 'clamp numbers', inputs: [normal([3, 4])], ts: (x) => tg.clamp(x, -0.5, 0.7), py: 'lambda x: torch.clamp(x, -0.5, 0.7)' },
  {
    name: 'clamp at the bounds (inclusive)',
    inputs: [f64([-1, -0.5, 0, 0.7, 1], [5])],
    ts: (x) => tg.clamp(x, -0.5, 0.7),
    py: 'lambda x: torch.clamp(x, -0.5, 0.7)',
  },
  {
    name: 'clamp tensors',
    inputs: [normal([3, 4]), normal([4]).mul(0.3).sub(0.5), normal([3, 1]).mul(0.3).add(0.5)],
    ts: (x, lo, hi) => tg.clamp(x, lo, hi),
    py: 'lambda x, lo, hi: torch.clamp(x, lo, hi)',
  },
  {
    name: 'lerp number',
    inputs: [normal([3, 4]), normal([4])],
    ts: (a, b) => tg.lerp(a, b, 0.3),
    py: 'lambda a, b: torch.lerp(a, b, 0.3)',
  },
  {
    name: 'lerp number ≥ 0.5',
    inputs: [normal([3, 4]), normal([4])],
    ts: (a, b) => tg.lerp(a, b, 0.8),
    py: 'lambda a, b: torch.lerp(a, b, 0.8)',
  },
  {
    name: 'lerp tensor',
    inputs: [normal([3, 4]), normal([3, 4]), uniform([4], -1, 2)],
    ts: (a, b, w) => tg.lerp(a, b, w),
    py: 'lambda a, b, w: torch.lerp(a, b, w)',
  },
  {
    name: 'where',
    inputs: [mask([3, 4]), normal([3, 4]), normal([4])],
    ts: (c, a, b) => tg.where(c, a, b),
    py: 'lambda c, a, b: torch.where(c, a, b)',
  },
  {
    name: 'maskedFill',
    inputs: [normal([3, 4]), mask([4])],
    ts: (x, m) => tg.maskedFill(x, m, -2.5),
    py: 'lambda x, m: x.masked_fill(m, -2.5)',
  },
  { name: 'prod all', inputs: [uniform([3, 4], 0.5, 1.5)], ts: (x) => tg.prod(x), py: 'lambda x: torch.prod(x)' },
  { name: 'prod axis 1 with zeros', inputs: [withZeros([4, 5])], ts: (x) => tg.prod(x, 1), py: 'lambda x: torch.prod(x, 1)' },
  {
    name: 'prod with two zeros in a row',
    inputs: [f64([0, 2, 0, 3, 1, 2, 0, 4], [2, 4])],
    ts: (x) => tg.prod(x, 1),
    py: 'lambda x: torch.prod(x, 1)',
  },
  { name: 'cumsum', inputs: [normal([3, 4])], ts: (x) => tg.cumsum(x, 1), py: 'lambda x: torch.cumsum(x, 1)' },
  { name: 'cumprod', inputs: [uniform([3, 4], 0.5, 1.5)], ts: (x) => tg.cumprod(x, 0), py: 'lambda x: torch.cumprod(x, 0)' },
  { name: 'cumprod with zeros', inputs: [withZeros([3, 6])], ts: (x) => tg.cumprod(x, 1), py: 'lambda x: torch.cumprod(x, 1)' },
  { name: 'var', inputs: [normal([3, 4])], ts: (x) => tg.var(x, 1), py: 'lambda x: torch.var(x, 1, unbiased=True)' },
  {
    name: 'var correction 0 keepDims',
    inputs: [normal([3, 4])],
    ts: (x) => tg.var(x, 0, { correction: 0, keepDims: true }),
    py: 'lambda x: torch.var(x, 0, unbiased=False, keepdim=True)',
  },
  { name: 'std all', inputs: [normal([3, 4])], ts: (x) => tg.std(x), py: 'lambda x: torch.std(x)' },
  { name: 'logsumexp', inputs: [normal([3, 4]).mul(30)], ts: (x) => tg.logsumexp(x, 1), py: 'lambda x: torch.logsumexp(x, 1)' },
  { name: 'norm 2', inputs: [normal([3, 4])], ts: (x) => tg.norm(x), py: 'lambda x: torch.linalg.vector_norm(x)' },
  { name: 'norm 2 axis 1', inputs: [normal([3, 4])], ts: (x) => tg.norm(x, 2, 1), py: 'lambda x: torch.linalg.vector_norm(x, 2, 1)' },
  { name: 'norm 1', inputs: [normal([3, 4])], ts: (x) => tg.norm(x, 1, 0), py: 'lambda x: torch.linalg.vector_norm(x, 1, 0)' },
  {
    name: 'norm inf',
    inputs: [normal([3, 4])],
    ts: (x) => tg.norm(x, Infinity, 1),
    py: "lambda x: torch.linalg.vector_norm(x, float('inf'), 1)",
  },
  {
    name: 'norm -inf',
    inputs: [normal([3, 4])],
    ts: (x) => tg.norm(x, -Infinity),
    py: "lambda x: torch.linalg.vector_norm(x, float('-inf'))",
  },
  { name: 'norm 3', inputs: [normal([3, 4])], ts: (x) => tg.norm(x, 3, 1), py: 'lambda x: torch.linalg.vector_norm(x, 3, 1)' },
  { name: 'norm 0.5', inputs: [normal([3, 4])], ts: (x) => tg.norm(x, 0.5), py: 'lambda x: torch.linalg.vector_norm(x, 0.5)' },
  {
    name: 'norm with a zero row',
    inputs: [f64([0, 0, 0, 3, 4, 0], [2, 3])],
    ts: (x) => tg.norm(x, 2, 1),
    py: 'lambda x: torch.linalg.vector_norm(x, 2, 1)',
  },
  { name: 'amax with ties', inputs: [ties()], ts: (x) => tg.amax(x, 1), py: 'lambda x: torch.amax(x, 1)' },
  { name: 'amin with ties keepDims', inputs: [ties()], ts: (x) => tg.amin(x, 0, true), py: 'lambda x: torch.amin(x, 0, True)' },
  { name: 'min', inputs: [normal([3, 4])], ts: (x) => tg.min(x, 1), py: 'lambda x: torch.min(x, 1).values' },
  { name: 'min all', inputs: [normal([3, 4])], ts: (x) => tg.min(x), py: 'lambda x: torch.min(x)' },
  {
    name: 'maxWithIndices values',
    inputs: [normal([3, 4])],
    ts: (x) => tg.maxWithIndices(x, 0).values,
    py: 'lambda x: torch.max(x, 0).values',
  },
  { name: 'argmax with ties', inputs: [ties()], ts: (x) => tg.argmax(x, 1), py: 'lambda x: torch.argmax(x, 1)' },
  { name: 'argmin flat', inputs: [ties()], ts: (x) => tg.argmin(x), py: 'lambda x: torch.argmin(x)' },
  {
    name: 'minWithIndices indices',
    inputs: [ties()],
    ts: (x) => tg.minWithIndices(x, 0, true).indices,
    py: 'lambda x: torch.min(x, 0, True).indices',
  },
  { name: 'lt broadcast', inputs: [normal([3, 4]), normal([4])], ts: (a, b) => tg.lt(a, b), py: 'lambda a, b: torch.lt(a, b)' },
  { name: 'ge with ties', inputs: [ties(), f64([2], [1])], ts: (a, b) => tg.ge(a, b), py: 'lambda a, b: torch.ge(a, b)' },
  { name: 'logicalXor', inputs: [mask([3, 4]), mask([4])], ts: (a, b) => tg.logicalXor(a, b), py: 'lambda a, b: torch.logical_xor(a, b)' },
  { name: 'all axis 1', inputs: [mask([3, 4])], ts: (x) => tg.all(x, 1), py: 'lambda x: torch.all(x, 1)' },
  { name: 'any', inputs: [mask([3, 4])], ts: (x) => tg.any(x), py: 'lambda x: torch.any(x)' },
];

const PY = `
out = []
for case in job['cases']:
    f = eval(case['py'])
    xs = [tensor_from(j, requires_grad=j['dtype'] == 'float64') for j in case['inputs']]
    y = f(*xs)
    wrt = [x for x in xs if x.requires_grad]
    grads = []
    if y.is_floating_point() and y.requires_grad:
        gs = torch.autograd.grad(y, wrt, tensor_from(case['gy']).reshape(y.shape), allow_unused=True)
        grads = [torch.zeros_like(x) if g is None else g for x, g in zip(wrt, gs)]
    out.append({'y': y, 'grads': grads})
emit(out)
`;

function expectNear(name: string, got: tg.Tensor, want: TensorJson) {
  const w = decodeTensor(want);
  expect(`${name}: ${JSON.stringify(got.shape)}`).toBe(`${name}: ${JSON.stringify(w.shape)}`);
  for (let i = 0; i < w.size; i++) {
    const a = Number(got.data[i]);
    const b = Number(w.data[i]);
    const ok = Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-12 + 1e-10 * Math.abs(b);
    if (!ok) throw new Error(`${name}: element ${i} is ${a}, torch gives ${b}`);
  }
}

test('values and gradients of the §14 ops match PyTorch on random float64 inputs', () => {
  const gys = cases.map((c) => {
    const y = c.ts(...c.inputs);
    return tg.randn([y.size], { rng: r, dtype: 'float64' });
  });
  const results = runTorch<{ y: TensorJson; grads: TensorJson[] }[]>(PY, {
    cases: cases.map((c, k) => ({ py: c.py, inputs: c.inputs.map(encodeTensor), gy: encodeTensor(gys[k]) })),
  });
  cases.forEach((c, k) => {
    const xs = c.inputs.map((x) =>
      x.dtype === 'float64' ? tg.tensor(x.data, { shape: x.shape, dtype: 'float64', requiresGrad: true }) : x,
    );
    const y = c.ts(...xs);
    const want = results[k];
    // torch's int64 and bool results against ours (int32, bool): compared by value.
    expectNear(`${c.name} value`, y, want.y);
    if (want.grads.length === 0) return;
    const wrt = xs.filter((x) => x.requiresGrad);
    const grads = tg.grad(y, wrt, { gradOutputs: [gys[k].reshape(y.shape)], allowUnused: true });
    wrt.forEach((x, i) => expectNear(`${c.name} gradient of input ${i}`, grads[i] ?? tg.zerosLike(x), want.grads[i]));
  });
  expect(results.length).toBe(cases.length);
});
