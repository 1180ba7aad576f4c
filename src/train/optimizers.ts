/**
 * @file The optimiser and learning-rate schedule a training run uses, built from its options: one
 * place for `tapegrad train`'s --optimizer, --scheduler and --clip-grad-norm, and the one-line
 * descriptions the header and the report print. Every schedule is stepped once per batch.
 */
import { Adagrad, Adam, AdamW, RMSprop, SGD } from '../optim';
import { CosineAnnealingLR, OneCycleLR, StepLR } from '../optim/lr-scheduler';
import type { Optimizer } from '../optim/optimizer';
import type { Tensor } from '../tensor/tensor';
import type { Hyper } from './options';

export function makeOptimizer(h: Hyper, params: Tensor[]): Optimizer {
  const { lr, weightDecay } = h;
  switch (h.optimizer) {
    case 'adam':
      return new Adam(params, { lr, weightDecay });
    case 'adamw':
      return new AdamW(params, { lr, weightDecay });
    case 'rmsprop':
      return new RMSprop(params, { lr, weightDecay });
    case 'adagrad':
      return new Adagrad(params, { lr, weightDecay });
    default:
      return new SGD(params, { lr, momentum: h.momentum, weightDecay });
  }
}

/** What a run's loop steps after every optimiser step, and what a checkpoint saves of it. */
export interface RunScheduler {
  step(): void;
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>): void;
}

/**
 * The schedule over `totalSteps` batches: cosine decay from lr to 0 (CosineAnnealingLR), ×0.1 after
 * each third of the run (StepLR), 1cycle peaking at lr (OneCycleLR, cycling momentum or beta1 where
 * the optimiser has one), or none (a constant lr).
 */
export function makeScheduler(h: Hyper, optimizer: Optimizer, totalSteps: number): RunScheduler | null {
  switch (h.scheduler ?? 'cosine') {
    case 'none':
      return null;
    case 'step':
      return new StepLR(optimizer, { stepSize: Math.max(1, Math.ceil(totalSteps / 3)), gamma: 0.1 });
    case 'onecycle':
      return new OneCycleLR(optimizer, { maxLr: h.lr, totalSteps, cycleMomentum: h.optimizer !== 'adagrad' && h.optimizer !== 'rmsprop' });
    default:
      return new CosineAnnealingLR(optimizer, { tMax: totalSteps });
  }
}

const SCHEDULE_TEXT = {
  cosine: 'cosine decay',
  step: '×0.1 after each third',
  onecycle: '1cycle',
  none: 'constant',
} as const;

/** "SGD, lr 0.1 (cosine decay, stepped every batch), momentum 0.9, weight decay 0.0005[, gradients clipped to norm 1]". */
export function describeOptimizer(h: Hyper): string {
  const name = { sgd: 'SGD', adam: 'Adam', adamw: 'AdamW', rmsprop: 'RMSprop', adagrad: 'Adagrad' }[h.optimizer];
  const schedule = h.scheduler === 'none' ? 'constant' : `${SCHEDULE_TEXT[h.scheduler ?? 'cosine']}, stepped every batch`;
  const extra =
    h.optimizer === 'sgd' ? `, momentum ${h.momentum}` : h.optimizer === 'adam' || h.optimizer === 'adamw' ? ', betas (0.9, 0.999)' : '';
  const clip = h.clipGradNorm != null ? `, gradients clipped to norm ${h.clipGradNorm}` : '';
  return `${name}, lr ${h.lr} (${schedule})${extra}, weight decay ${h.weightDecay}${clip}`;
}
