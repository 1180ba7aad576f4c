/**
 * @file `tapegrad train` arguments: parsed with node:util parseArgs and validated in full before
 * anything runs, so a bad argument costs one line of output and writes nothing.
 */
import { parseArgs } from 'node:util';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findIdxFiles, IdxFiles } from './idx-files';

export const DATASETS = ['digits', 'fashion-mnist'] as const;
export const MODELS = ['cnn', 'mlp'] as const;
export type DatasetName = (typeof DATASETS)[number];
export type ModelName = (typeof MODELS)[number];

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
}

export const DEFAULTS: Record<DatasetName, Hyper> = {
  digits: { epochs: 15, batchSize: 32, lr: 0.1, momentum: 0.9, weightDecay: 5e-4, cropPadding: 1, flipP: 0 },
  'fashion-mnist': { epochs: 3, batchSize: 32, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, cropPadding: 0, flipP: 0.5 },
};

export const DEFAULT_SEED = 0;

export interface TrainOptions extends Hyper {
  dataset: DatasetName;
  model: ModelName;
  /** The directory holding the IDX files; only for fashion-mnist. */
  dataDir: string | null;
  /** The IDX files found in dataDir, checked before training starts. */
  idxFiles: IdxFiles | null;
  seed: number;
  out: string;
  /** Train and test on only the first N examples of each split (quick runs and tests). */
  limit: number | null;
}

export const HELP = `usage: tapegrad train [options]

Trains a classifier with SGD (momentum 0.9, weight decay 5e-4, cosine learning-rate decay),
shows a progress bar and a table per epoch, and writes model.json, metrics.json, timings.json
and report.html to --out.

  --dataset NAME     digits (default): the 8x8 digits shipped with tapegrad, split 80/20;
                     fashion-mnist: MNIST-format IDX files in --data-dir (MNIST itself works too)
  --data-dir DIR     directory with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
                     t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]
  --model NAME       cnn (default): conv-relu-pool twice, then linear (LeNet-5 style on 28x28)
                     or mlp: two hidden layers
  --epochs N         passes over the training set (digits ${DEFAULTS.digits.epochs}, fashion-mnist ${DEFAULTS['fashion-mnist'].epochs})
  --batch-size B     examples per SGD step (default ${DEFAULTS.digits.batchSize})
  --lr X             initial learning rate (digits ${DEFAULTS.digits.lr}, fashion-mnist ${DEFAULTS['fashion-mnist'].lr})
  --seed S           integer seed of the split, initialisation, shuffling, dropout and
                     augmentation (default ${DEFAULT_SEED})
  --out DIR          where the results go (default runs/<dataset>-<model>-<seed>)
  --limit N          use only the first N training and N test examples (quick runs)
  -h, --help         this text

The same seed gives the same metrics.json; wall-clock times go to timings.json.`;

/** A bad command line: the CLI prints the message on one line and exits 2. */
export class UsageError extends Error {}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`unknown ${flag} '${value}' (choose ${allowed.join(' or ')})`);
  }
  return value as T;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\+?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${flag} must be a positive integer, got '${value}'`);
  }
  return n;
}

function integer(flag: string, value: string): number {
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new UsageError(`--${flag} must be an integer, got '${value}'`);
  }
  return n;
}

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${flag} must be a positive number, got '${value}'`);
  }
  return n;
}

/**
 * The output directory must be creatable before any work starts: it is a directory, or does not
 * exist yet and its nearest existing ancestor is a directory (`--out FILE/sub` cannot be made).
 */
function checkOut(out: string): void {
  if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory`);
    return;
  }
  let parent = path.dirname(path.resolve(out));
  while (!fs.existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
  if (fs.existsSync(parent) && !fs.statSync(parent).isDirectory()) {
    throw new UsageError(`--out ${out} cannot be created: ${parent} is not a directory`);
  }
}

const OPTIONS = {
  dataset: { type: 'string' },
  'data-dir': { type: 'string' },
  model: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  limit: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `--epochs -3` → `--epochs=-3`: parseArgs takes a value starting with a dash for a mistyped
 * option, which would hide the real problem (a negative number) behind "argument is ambiguous".
 */
function attachNegativeNumbers(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : '';
    const spec = (OPTIONS as Record<string, { type: string }>)[name];
    if (spec?.type === 'string' && i + 1 < args.length && /^-[\d.]/.test(args[i + 1])) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

/**
 * Parses and validates `args`; returns 'help' for --help. Throws UsageError for anything wrong,
 * including a missing data directory or IDX file (checked here, before any work starts).
 */
export function parseTrainArgs(args: string[]): TrainOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: attachNegativeNumbers(args), strict: true, allowPositionals: false, options: OPTIONS }));
  } catch (e) {
    // parseArgs messages can span lines (they suggest `--` for positionals); keep the first.
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
  if (values.help) return 'help';
  const str = (k: string): string | undefined => values[k] as string | undefined;

  const dataset = choice('dataset', str('dataset') ?? 'digits', DATASETS);
  const model = choice('model', str('model') ?? 'cnn', MODELS);
  const hyper = { ...DEFAULTS[dataset] };
  if (str('epochs') !== undefined) hyper.epochs = positiveInt('epochs', str('epochs')!);
  if (str('batch-size') !== undefined) hyper.batchSize = positiveInt('batch-size', str('batch-size')!);
  if (str('lr') !== undefined) hyper.lr = positiveNumber('lr', str('lr')!);
  const seed = str('seed') !== undefined ? integer('seed', str('seed')!) : DEFAULT_SEED;
  const limit = str('limit') !== undefined ? positiveInt('limit', str('limit')!) : null;
  // Batch norm (in the LeNet-5 model) needs two examples per batch to compute a variance.
  if (limit === 1) throw new UsageError(`--limit must be at least 2, got 1`);
  if (hyper.batchSize === 1 && dataset === 'fashion-mnist' && model === 'cnn') {
    throw new UsageError(`--batch-size must be at least 2 for the LeNet-5 model (its batch norm needs 2 examples per batch)`);
  }

  let dataDir: string | null = null;
  let idxFiles: IdxFiles | null = null;
  if (dataset === 'digits') {
    if (str('data-dir') !== undefined) throw new UsageError(`--data-dir is only for --dataset fashion-mnist (digits ship with tapegrad)`);
  } else {
    if (str('data-dir') === undefined) throw new UsageError(`--dataset ${dataset} needs --data-dir DIR (a directory of MNIST-format IDX files)`);
    dataDir = str('data-dir')!;
    try {
      idxFiles = findIdxFiles(dataDir);
    } catch (e) {
      throw new UsageError(`--data-dir: ${(e as Error).message}`);
    }
  }

  const out = str('out') ?? path.join('runs', `${dataset}-${model}-${seed}`);
  checkOut(out);
  return { dataset, model, dataDir, idxFiles, seed, out, limit, ...hyper };
}
