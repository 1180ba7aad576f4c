/**
 * @file Gradient cases for the fused LSTM and GRU steps (Note [fused recurrent cells]): every input,
 * with all of the output's gradient flowing and with only part of it (h' alone, c' alone), and with
 * inputs that take no gradient. Order 1 runs the fused backward kernels, order 2 the recorded rules.
 */
import * as tg from '../../index';
import type { Tensor } from '../../index';
import { gruCell, lstmCell } from '../../ops/recurrent-cells';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:recurrent-cells');
/** A float64 leaf with seeded normal values that requires grad. */
const leaf = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad: true });
/** A float64 constant (no grad) with seeded normal values. */
const fixed = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64' });

const B = 3;
const H = 2;
/** Columns [a, b) of [B, 2H]: h' is [0, H), c' is [H, 2H). */
const cols = (y: Tensor, a: number, b: number) => tg.slice(y, [0, a], [y.shape[0], b]);

export const recurrentCellCases: OpCase[] = [
  { name: 'lstmCell h and c', inputs: () => [leaf([B, 4 * H]), leaf([B, H])], fn: (gates, c) => lstmCell(gates, c) },
  {
    name: "lstmCell h' only",
    inputs: () => [leaf([B, 4 * H]), leaf([B, H])],
    fn: (gates, c) => cols(lstmCell(gates, c), 0, H),
  },
  {
    name: "lstmCell c' only, squared",
    inputs: () => [leaf([B, 4 * H]), leaf([B, H])],
    fn: (gates, c) => tg.mul(cols(lstmCell(gates, c), H, 2 * H), cols(lstmCell(gates, c), H, 2 * H)),
  },
  { name: 'lstmCell c constant', inputs: () => [leaf([B, 4 * H]), fixed([B, H])], fn: (gates, c) => lstmCell(gates, c) },
  { name: 'lstmCell gates constant', inputs: () => [fixed([1, 4]), leaf([1, 1])], fn: (gates, c) => lstmCell(gates, c) },
  { name: 'gruCell', inputs: () => [leaf([B, 3 * H]), leaf([B, 3 * H]), leaf([B, H])], fn: (gi, gh, h) => gruCell(gi, gh, h) },
  {
    name: 'gruCell h constant, squared',
    inputs: () => [leaf([B, 3 * H]), leaf([B, 3 * H]), fixed([B, H])],
    fn: (gi, gh, h) => tg.mul(gruCell(gi, gh, h), gruCell(gi, gh, h)),
  },
  { name: 'gruCell gh only', inputs: () => [fixed([2, 3]), leaf([2, 3]), fixed([2, 1])], fn: (gi, gh, h) => gruCell(gi, gh, h) },
];
