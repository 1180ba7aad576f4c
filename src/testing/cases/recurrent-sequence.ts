/**
 * @file Gradient cases for the LSTM and GRU sequence primitives (Note [LSTM sequence primitive]): every input,
 * with the final c's gradient flowing or not, with only some inputs taking gradients, and with one
 * step. Order 1 runs the reverse-recurrence kernel, order 2 the recorded rule.
 */
import * as tg from '../../index';
import type { Tensor } from '../../index';
import { gruSequence, lstmSequence } from '../../ops/recurrent-sequence';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:recurrent-sequence');
/** A float64 constant (no grad) with seeded normal values, scaled. */
const fixed = (shape: number[], scale = 1) => tg.mul(tg.randn(shape, { rng: r, dtype: 'float64' }), scale);
/** A float64 leaf with seeded normal values (scaled) that requires grad. */
const leaf = (shape: number[], scale = 1) => {
  const x = fixed(shape, scale);
  x.requiresGrad = true;
  return x;
};

const T = 3;
const B = 2;
const H = 2;
/** Rows [a, b) along axis 0: the h's are [0, T), the final c is [T, T+1). */
const steps = (y: Tensor, a: number, b: number) => tg.slice(y, [a], [b]);

export const recurrentSequenceCases: OpCase[] = [
  {
    name: 'lstmSequence all inputs',
    inputs: () => [leaf([T, B, 4 * H]), leaf([4 * H, H], 0.5), leaf([B, H]), leaf([B, H])],
    fn: (gx, whh, h0, c0) => lstmSequence(gx, whh, h0, c0),
  },
  {
    name: "lstmSequence h's only (final c unused)",
    inputs: () => [leaf([T, B, 4 * H]), leaf([4 * H, H], 0.5), leaf([B, H]), leaf([B, H])],
    fn: (gx, whh, h0, c0) => steps(lstmSequence(gx, whh, h0, c0), 0, T),
  },
  {
    name: 'lstmSequence final c only, squared',
    inputs: () => [leaf([T, B, 4 * H]), leaf([4 * H, H], 0.5), leaf([B, H]), leaf([B, H])],
    fn: (gx, whh, h0, c0) => tg.mul(steps(lstmSequence(gx, whh, h0, c0), T, T + 1), steps(lstmSequence(gx, whh, h0, c0), T, T + 1)),
  },
  {
    name: 'lstmSequence h0, c0 constant',
    inputs: () => [leaf([T, B, 4 * H]), leaf([4 * H, H], 0.5), fixed([B, H]), fixed([B, H])],
    fn: (gx, whh, h0, c0) => lstmSequence(gx, whh, h0, c0),
  },
  {
    name: 'lstmSequence W_hh only, one step',
    inputs: () => [fixed([1, 3, 4]), leaf([4, 1]), fixed([3, 1]), fixed([3, 1])],
    fn: (gx, whh, h0, c0) => lstmSequence(gx, whh, h0, c0),
  },
  {
    name: 'lstmSequence h0 and c0 only',
    inputs: () => [fixed([T, 1, 4 * H]), fixed([4 * H, H], 0.5), leaf([1, H]), leaf([1, H])],
    fn: (gx, whh, h0, c0) => lstmSequence(gx, whh, h0, c0),
  },
  {
    name: 'gruSequence all inputs',
    inputs: () => [leaf([T, B, 3 * H]), leaf([3 * H, H], 0.5), leaf([3 * H]), leaf([B, H])],
    fn: (gi, whh, bhh, h0) => gruSequence(gi, whh, bhh, h0),
  },
  {
    name: 'gruSequence last step only, squared',
    inputs: () => [leaf([T, B, 3 * H]), leaf([3 * H, H], 0.5), leaf([3 * H]), leaf([B, H])],
    fn: (gi, whh, bhh, h0) => tg.mul(steps(gruSequence(gi, whh, bhh, h0), T - 1, T), steps(gruSequence(gi, whh, bhh, h0), T - 1, T)),
  },
  {
    name: 'gruSequence W_hh and b_hh only, one step',
    inputs: () => [fixed([1, 3, 3]), leaf([3, 1]), leaf([3]), fixed([3, 1])],
    fn: (gi, whh, bhh, h0) => gruSequence(gi, whh, bhh, h0),
  },
  {
    name: 'gruSequence h0 only',
    inputs: () => [fixed([T, 1, 3 * H]), fixed([3 * H, H], 0.5), fixed([3 * H]), leaf([1, H])],
    fn: (gi, whh, bhh, h0) => gruSequence(gi, whh, bhh, h0),
  },
];
