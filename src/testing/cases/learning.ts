/**
 * @file Gradient cases for the learning stack: linear, dropout, batchNorm (training and eval, every
 * input rank, with and without each affine parameter), every loss with every reduction, and the
 * penalties. Order 1 runs batch norm's fused backward, order 2 its recorded one (Note [fused batch norm]).
 */
import * as tg from '../../index';
import type { Tensor } from '../../index';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:learning');
/** A float64 leaf with seeded normal values that requires grad. */
const leaf = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad: true });
/** A float64 constant (no grad) with seeded normal values. */
const fixed = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64' });

const reductions = ['mean', 'sum', 'none'] as const;
const targets = [3, 0, 4, 1];

/** Running statistics made fresh for each call, so repeated evaluation sees the same values. */
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

const batchNormTrain = (shape: number[], label: string): OpCase => ({
  name: `batchNorm train ${label}`,
  inputs: () => [leaf(shape), leaf([shape[1]]), leaf([shape[1]])],
  fn: (x, w, b) => tg.batchNorm(x, { weight: w, bias: b, ...running(shape[1]), training: true }),
});

export const learningCases: OpCase[] = [
  {
    name: 'linear [3,4] weight [2,4] bias [2]',
    inputs: () => [leaf([3, 4]), leaf([2, 4]), leaf([2])],
    fn: (x, w, b) => tg.linear(x, w, b),
  },
  { name: 'linear batched [2,3,4] no bias', inputs: () => [leaf([2, 3, 4]), leaf([5, 4])], fn: (x, w) => tg.linear(x, w) },
  { name: 'linear 1-d [4]', inputs: () => [leaf([4]), leaf([3, 4]), leaf([3])], fn: (x, w, b) => x.linear(w, b) },
  {
    name: 'dropout p=0.4 (seeded mask)',
    inputs: () => [leaf([3, 5])],
    fn: (x) => tg.dropout(x, 0.4, { rng: tg.rng('cases:dropout') }),
  },
  batchNormTrain([5, 3], '[N,C]'),
  batchNormTrain([3, 2, 4], '[N,C,L]'),
  batchNormTrain([2, 2, 3, 3], '[N,C,H,W]'),
  {
    name: 'batchNorm train no affine [4,3]',
    inputs: () => [leaf([4, 3])],
    fn: (x) => tg.batchNorm(x),
  },
  {
    name: 'batchNorm train weight only [3,2,4]',
    inputs: () => [leaf([3, 2, 4]), leaf([2])],
    fn: (x, w) => tg.batchNorm(x, { weight: w, eps: 1e-3 }),
  },
  {
    name: 'batchNorm train bias only, gradient to the bias alone [4,3]',
    inputs: () => [fixed([4, 3]), leaf([3])],
    fn: (x, b) => tg.batchNorm(x, { bias: b }),
  },
  {
    name: 'batchNorm eval with running stats [4,3,2]',
    inputs: () => [leaf([4, 3, 2]), leaf([3]), leaf([3])],
    fn: (x, w, b) => tg.batchNorm(x, { weight: w, bias: b, ...running(3), training: false }),
  },
  {
    name: 'batchNorm eval without running stats [2,2,2,3]',
    inputs: () => [leaf([2, 2, 2, 3]), leaf([2]), leaf([2])],
    fn: (x, w, b) => x.batchNorm({ weight: w, bias: b, training: false, eps: 1e-3 }),
  },
  ...reductions.map((reduction): OpCase => ({
    name: `crossEntropy [4,5] reduction=${reduction}`,
    inputs: () => [leaf([4, 5])],
    fn: (x) => tg.crossEntropy(x, targets, { reduction }),
  })),
  {
    name: 'crossEntropy tensor targets, large logits',
    inputs: () => [tg.tensor(fixed([4, 5]).mul(30).data, { shape: [4, 5], requiresGrad: true })],
    fn: (x) => x.crossEntropy(tg.tensor(targets)),
  },
  ...reductions.map((reduction): OpCase => ({
    name: `svmLoss [4,5] reduction=${reduction}`,
    inputs: () => [leaf([4, 5])],
    fn: (x) => tg.svmLoss(x, targets, { reduction }),
  })),
  {
    name: 'svmLoss margin=0.5',
    inputs: () => [leaf([4, 5])],
    fn: (x) => x.svmLoss(Int32Array.from(targets), { margin: 0.5 }),
  },
  ...reductions.map((reduction): OpCase => ({
    name: `mseLoss [3,4] reduction=${reduction}`,
    inputs: () => [leaf([3, 4]), leaf([3, 4])],
    fn: (pred, target) => tg.mseLoss(pred, target, { reduction }),
  })),
  {
    name: 'euclideanLoss [3,2,2]',
    inputs: () => [leaf([3, 2, 2]), leaf([3, 2, 2])],
    fn: (pred, target) => pred.euclideanLoss(target),
  },
  {
    name: 'l2Penalty two params',
    inputs: () => [leaf([2, 3]), leaf([4])],
    fn: (a, b) => tg.l2Penalty([a, b], 0.3),
  },
  {
    name: 'l1Penalty two params',
    inputs: () => [leaf([2, 3]), leaf([4])],
    fn: (a, b) => tg.l1Penalty([a, b], 0.3),
  },
  {
    name: 'l2Penalty + crossEntropy of a linear layer',
    inputs: () => [fixed([4, 3]), leaf([5, 3]), leaf([5])],
    fn: (x: Tensor, w: Tensor, b: Tensor) => tg.add(tg.crossEntropy(tg.linear(x, w, b), targets), tg.l2Penalty([w], 0.1)),
  },
];
