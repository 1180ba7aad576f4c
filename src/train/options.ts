/**
 * @file What a training run is configured by: the datasets, models and optimisers there are, each
 * dataset's default hyper-parameters, and the options a run takes (the CLI parses them from its
 * arguments in src/cli/train-args.ts).
 */
export const DATASETS = ['digits', 'fashion-mnist'] as const;
export const MODELS = ['cnn', 'mlp'] as const;
export const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'] as const;
export type OptimizerChoice = (typeof OPTIMIZERS)[number];
export type DatasetName = (typeof DATASETS)[number];
export type ModelName = (typeof MODELS)[number];
export const SCHEDULERS = ['cosine', 'step', 'onecycle', 'none'] as const;
export type SchedulerChoice = (typeof SCHEDULERS)[number];

/** Hyper-parameters each dataset trains with unless the command line overrides them. */
export interface Hyper {
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  /** Pixels of zero padding for the random-crop (shift) augmentation; 0 turns it off. */
  cropPadding: number;
  /** Probability of a horizontal flip; digits must not be mirrored, clothes may. */
  flipP: number;
  /** SGD with momentum (the default), or Adam, AdamW, RMSprop, Adagrad (each with its own default learning rate). */
  optimizer: OptimizerChoice;
  /** The learning-rate schedule, stepped every batch: cosine decay to 0 (the default), step, 1cycle or constant. */
  scheduler?: SchedulerChoice;
  /** Clip the gradients' total 2-norm to this before each step; null: no clipping. */
  clipGradNorm?: number | null;
}

export const DEFAULTS: Record<DatasetName, Hyper> = {
  digits: { epochs: 15, batchSize: 32, lr: 0.1, momentum: 0.9, weightDecay: 5e-4, cropPadding: 1, flipP: 0, optimizer: 'sgd' },
  'fashion-mnist': { epochs: 3, batchSize: 32, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, cropPadding: 0, flipP: 0.5, optimizer: 'sgd' },
};

/** Adam's learning rate when --lr is not given (per dataset; SGD's are in DEFAULTS). */
export const ADAM_LR: Record<DatasetName, number> = { digits: 3e-3, 'fashion-mnist': 1e-3 };

/** Each adaptive optimiser's learning rate when --lr is not given (per dataset). */
export const ADAPTIVE_LR: Record<Exclude<OptimizerChoice, 'sgd'>, Record<DatasetName, number>> = {
  adam: ADAM_LR,
  adamw: ADAM_LR,
  rmsprop: { digits: 1e-3, 'fashion-mnist': 5e-4 },
  adagrad: { digits: 3e-2, 'fashion-mnist': 1e-2 },
};

export const DEFAULT_SEED = 0;

/** `tapegrad train --resume DIR`: everything else comes from the run's own run.json. */
export interface ResumeOptions {
  resume: string;
  threads: number | null;
}
