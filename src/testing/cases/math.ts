/**
 * @file Gradient cases for SPEC §14's differentiable ops: where and maskedFill, the extrema (min,
 * amax/amin, maxWithIndices), the added reductions and scans, the unary and binary math.
 *
 * Inputs keep away from kinks and poles as in core.ts: floor-like ops and masks see values away from
 * their steps, divisors and logs stay away from 0, asin/acos stay inside (-1, 1), ties are built on
 * purpose only where the rule splits the gradient (amax), and never near-ties elsewhere.
 */
import * as tg from '../../index';
import type { Tensor } from '../../tensor/tensor';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:math');

const fromValues = (values: Float64Array, shape: readonly number[]) => tg.tensor(values, { shape, dtype: 'float64', requiresGrad: true });

const count = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** Standard normal values. */
const normal = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad: true });

/** Values drawn uniformly from [lo, hi). */
const uniform = (shape: number[], lo: number, hi: number) => {
  const v = new Float64Array(count(shape));
  for (let i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * r.next();
  return fromValues(v, shape);
};

/** Both signs, |v| in [0.3, 1.3). */
const awayFromZero = (shape: number[]) => {
  const v = new Float64Array(count(shape));
  for (let i = 0; i < v.length; i++) v[i] = (r.next() < 0.5 ? -1 : 1) * (0.3 + r.next());
  return fromValues(v, shape);
};

/** Distinct values on a shuffled grid of step 0.5, shifted by `offset`: no ties, no near-ties. */
const distinct = (shape: number[], offset = 0) => {
  const n = count(shape);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 0.5 * (i - Math.floor(n / 2)) + offset;
  return fromValues(r.shuffle(v), shape);
};

/** A fixed bool mask of the given shape (true where `pattern` says 1, cycling). */
const mask = (shape: number[], pattern: number[] = [1, 0, 0, 1, 1]) => {
  const v = new Uint8Array(count(shape));
  for (let i = 0; i < v.length; i++) v[i] = pattern[i % pattern.length];
  return tg.tensor(v, { shape });
};

const square = (y: Tensor) => tg.mul(y, y);

const selectionCases: OpCase[] = [
  { name: 'where [2,3]', inputs: () => [mask([2, 3]), normal([2, 3]), normal([2, 3])], fn: (c, a, b) => tg.where(c, a, b) },
  {
    name: 'where broadcast cond [3], a [2,1], b [2,3], squared',
    inputs: () => [mask([3]), normal([2, 1]), normal([2, 3])],
    fn: (c, a, b) => square(tg.where(c, a, b)),
  },
  { name: 'where with a number branch', inputs: () => [mask([2, 3]), normal([2, 3])], fn: (c, a) => square(tg.where(c, a, 0.5)) },
  { name: 'maskedFill', inputs: () => [normal([2, 3]), mask([3], [0, 1, 0])], fn: (x, m) => square(tg.maskedFill(x, m, -2)) },
  {
    name: 'maskedFill with a 0-d tensor value',
    inputs: () => [normal([2, 3]), mask([2, 3]), normal([])],
    fn: (x, m, v) => square(x.maskedFill(m, v)),
  },
];

const extremaCases: OpCase[] = [
  { name: 'min all', inputs: () => [distinct([2, 3])], fn: (x) => square(tg.min(x)) },
  { name: 'min axis 1 keepDims', inputs: () => [distinct([2, 3])], fn: (x) => square(x.min(1, true)) },
  { name: 'maxWithIndices values', inputs: () => [distinct([3, 4])], fn: (x) => square(tg.maxWithIndices(x, 0).values) },
  { name: 'minWithIndices values', inputs: () => [distinct([3, 4])], fn: (x) => square(tg.minWithIndices(x, -1).values) },
  // amax and amin are not differentiable at ties (their split gradient is a convention, checked by
  // hand in tests/reductions14.test.ts): the table checks them away from ties.
  { name: 'amax axis 1', inputs: () => [distinct([2, 6])], fn: (x) => square(tg.amax(x, 1)) },
  { name: 'amax all', inputs: () => [distinct([2, 3])], fn: (x) => x.amax() },
  { name: 'amin axes [0,1] keepDims', inputs: () => [distinct([3, 2])], fn: (x) => square(x.amin([0, 1], true)) },
];

/** Values with zeros at chosen places (prod and cumprod's special case), others in ±[0.5, 1.5). */
const withZeros = (shape: number[], zeros: number[]) => {
  const v = new Float64Array(count(shape));
  for (let i = 0; i < v.length; i++) v[i] = zeros.includes(i) ? 0 : (r.next() < 0.5 ? -1 : 1) * (0.5 + r.next());
  return fromValues(v, shape);
};

const scanCases: OpCase[] = [
  { name: 'cumsum axis 1', inputs: () => [normal([2, 3])], fn: (x) => square(tg.cumsum(x, 1)) },
  { name: 'cumsum axis 0 of [3,1,2]', inputs: () => [normal([3, 1, 2])], fn: (x) => x.cumsum(0) },
  { name: 'cumprod axis -1', inputs: () => [awayFromZero([2, 4])], fn: (x) => tg.cumprod(x, -1) },
  { name: 'cumprod with one zero per row', inputs: () => [withZeros([2, 4], [1, 6])], fn: (x) => tg.cumprod(x, 1) },
  { name: 'cumprod with two zeros in a row', inputs: () => [withZeros([5], [1, 3])], fn: (x) => square(x.cumprod(0)) },
  { name: 'prod all', inputs: () => [awayFromZero([2, 3])], fn: (x) => tg.prod(x) },
  { name: 'prod axes [0,2] keepDims', inputs: () => [awayFromZero([2, 2, 3])], fn: (x) => square(x.prod([0, 2], true)) },
  { name: 'prod with a zero', inputs: () => [withZeros([2, 3], [4])], fn: (x) => x.prod(1) },
  { name: 'prod with two zeros', inputs: () => [withZeros([4], [0, 2])], fn: (x) => x.prod() },
];

const statsCases: OpCase[] = [
  { name: 'var axis 1', inputs: () => [normal([2, 4])], fn: (x) => tg.var(x, 1) },
  { name: 'var all, correction 0', inputs: () => [normal([2, 3])], fn: (x) => x.var(undefined, { correction: 0 }) },
  { name: 'std axis 0 keepDims', inputs: () => [normal([3, 2])], fn: (x) => tg.std(x, 0, { keepDims: true }) },
  { name: 'logsumexp axis 1', inputs: () => [normal([2, 3])], fn: (x) => tg.logsumexp(x, 1) },
  { name: 'logsumexp all keepDims', inputs: () => [normal([2, 3])], fn: (x) => x.logsumexp(undefined, true) },
  { name: 'norm p=2 all', inputs: () => [normal([2, 3])], fn: (x) => tg.norm(x) },
  { name: 'norm p=2 axis 1 keepDims', inputs: () => [normal([2, 3])], fn: (x) => x.norm(2, 1, true) },
  { name: 'norm p=1', inputs: () => [awayFromZero([2, 3])], fn: (x) => x.norm(1, 0) },
  { name: 'norm p=3', inputs: () => [awayFromZero([2, 3])], fn: (x) => tg.norm(x, 3, -1) },
  { name: 'norm p=0.5', inputs: () => [awayFromZero([4])], fn: (x) => tg.norm(x, 0.5) },
  // Offset 0.1: no two |x| tie.
  { name: 'norm p=inf', inputs: () => [distinct([2, 3], 0.1)], fn: (x) => square(tg.norm(x, Infinity, 1)) },
  { name: 'norm p=-inf', inputs: () => [distinct([2, 3], 0.1)], fn: (x) => square(tg.norm(x, -Infinity)) },
];

/** Values in (lo, hi) that keep `step` away from the floor/ceil/round/trunc steps: k + [0.2, 0.4) or k + [0.6, 0.8). */
const offSteps = (shape: number[]) => {
  const v = new Float64Array(count(shape));
  for (let i = 0; i < v.length; i++) v[i] = Math.floor(6 * r.next()) - 3 + (r.next() < 0.5 ? 0.2 : 0.6) + 0.2 * r.next();
  return fromValues(v, shape);
};

const unaryCases: OpCase[] = [
  { name: 'sin', inputs: () => [normal([2, 3])], fn: (x) => tg.sin(x) },
  { name: 'cos', inputs: () => [normal([2, 3])], fn: (x) => x.cos() },
  { name: 'tan', inputs: () => [uniform([2, 3], -1.2, 1.2)], fn: (x) => tg.tan(x) },
  { name: 'asin', inputs: () => [uniform([2, 3], -0.8, 0.8)], fn: (x) => tg.asin(x) },
  { name: 'acos', inputs: () => [uniform([2, 3], -0.8, 0.8)], fn: (x) => x.acos() },
  { name: 'atan', inputs: () => [normal([2, 3])], fn: (x) => tg.atan(x) },
  { name: 'sinh', inputs: () => [normal([2, 3])], fn: (x) => tg.sinh(x) },
  { name: 'cosh', inputs: () => [normal([2, 3])], fn: (x) => x.cosh() },
  { name: 'erf', inputs: () => [normal([2, 3])], fn: (x) => tg.erf(x) },
  { name: 'erfc', inputs: () => [normal([2, 3])], fn: (x) => x.erfc() },
  { name: 'log1p', inputs: () => [uniform([2, 3], -0.5, 2)], fn: (x) => tg.log1p(x) },
  { name: 'expm1', inputs: () => [normal([2, 3])], fn: (x) => tg.expm1(x) },
  { name: 'log2', inputs: () => [uniform([2, 3], 0.5, 2)], fn: (x) => tg.log2(x) },
  { name: 'log10', inputs: () => [uniform([2, 3], 0.5, 2)], fn: (x) => x.log10() },
  { name: 'square', inputs: () => [normal([2, 3])], fn: (x) => tg.square(x) },
  { name: 'rsqrt', inputs: () => [uniform([2, 3], 0.5, 2)], fn: (x) => tg.rsqrt(x) },
  { name: 'reciprocal', inputs: () => [awayFromZero([2, 3])], fn: (x) => x.reciprocal() },
  // The step functions: zero gradients (Note [steps] in src/ops/math.ts), times x so order 2 runs their rules.
  { name: 'sign, times x', inputs: () => [awayFromZero([2, 3])], fn: (x) => tg.mul(tg.sign(x), square(x)) },
  { name: 'floor, times x', inputs: () => [offSteps([2, 3])], fn: (x) => tg.mul(tg.floor(x), square(x)) },
  { name: 'ceil, times x', inputs: () => [offSteps([2, 3])], fn: (x) => tg.mul(x.ceil(), square(x)) },
  { name: 'round, times x', inputs: () => [offSteps([2, 3])], fn: (x) => tg.mul(tg.round(x), square(x)) },
  { name: 'trunc, times x', inputs: () => [offSteps([2, 3])], fn: (x) => tg.mul(x.trunc(), square(x)) },
];

const binaryCases: OpCase[] = [
  { name: 'atan2 [2,3] vs [3]', inputs: () => [normal([2, 3]), awayFromZero([3])], fn: (a, b) => tg.atan2(a, b) },
  { name: 'atan2, squared', inputs: () => [awayFromZero([3]), normal([2, 3])], fn: (a, b) => square(a.atan2(b)) },
  // a/b kept away from integers, so trunc(a/b) and floor(a/b) are constant nearby.
  { name: 'fmod', inputs: () => [offSteps([2, 3]), uniform([3], 1.1, 1.2)], fn: (a, b) => tg.fmod(tg.mul(a, b), b) },
  { name: 'fmod by a negative number', inputs: () => [offSteps([2, 3])], fn: (a) => square(a.fmod(-1)) },
  { name: 'remainder', inputs: () => [offSteps([2, 3]), uniform([3], -1.2, -1.1)], fn: (a, b) => tg.remainder(tg.mul(a, b), b) },
  { name: 'remainder, squared', inputs: () => [offSteps([2, 3])], fn: (a) => square(tg.remainder(a, 1)) },
  { name: 'clamp numbers', inputs: () => [offSteps([2, 3])], fn: (x) => square(tg.clamp(x, -1.5, 1.5)) },
  { name: 'clamp min only', inputs: () => [offSteps([2, 3])], fn: (x) => x.clamp(0.1) },
  {
    name: 'clamp tensor bounds',
    inputs: () => [offSteps([2, 3]), uniform([3], -1.9, -1.85), uniform([2, 1], 1.85, 1.9)],
    fn: (x, lo, hi) => square(tg.clamp(x, lo, hi)),
  },
  { name: 'lerp number weight', inputs: () => [normal([2, 3]), normal([3])], fn: (a, b) => tg.lerp(a, b, 0.3) },
  { name: 'lerp number weight ≥ 0.5', inputs: () => [normal([2, 3]), normal([3])], fn: (a, b) => square(a.lerp(b, 0.8)) },
  {
    name: 'lerp tensor weight',
    inputs: () => [normal([2, 3]), normal([2, 3]), uniform([3], -1, 1.5)],
    fn: (a, b, w) => square(tg.lerp(a, b, w)),
  },
];

export const mathCases: OpCase[] = [...selectionCases, ...extremaCases, ...scanCases, ...statsCases, ...unaryCases, ...binaryCases];
