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

export const mathCases: OpCase[] = [...selectionCases];

// Used by later families of this file.
export { awayFromZero, distinct, uniform };
