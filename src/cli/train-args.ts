/**
 * @file `tapegrad train` arguments: parsed with node:util parseArgs and validated in full before
 * anything runs, so a bad argument costs one line of output and writes nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { FAMILIES } from '../train/families';
import type { SessionOptions } from '../train/session';
import { findIdxFiles } from '../train/idx-files';
import {
  ADAPTIVE_LR,
  DATASETS,
  DEFAULT_SEED,
  DEFAULTS,
  Hyper,
  MODELS,
  OPTIMIZERS,
  ResumeOptions,
  SCHEDULERS,
  type ModelName,
} from '../train/options';
import { argsError, attachNegativeNumbers } from './args';

export const HELP = `usage: tapegrad train [options]

Trains a classifier with SGD (momentum 0.9, weight decay 5e-4, cosine learning-rate decay) or
another optimiser and schedule,
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
  --lr X             initial learning rate (SGD: digits ${DEFAULTS.digits.lr}, fashion-mnist ${DEFAULTS['fashion-mnist'].lr};
                     Adam and AdamW: digits ${ADAPTIVE_LR.adam.digits}, fashion-mnist ${ADAPTIVE_LR.adam['fashion-mnist']};
                     RMSprop: ${ADAPTIVE_LR.rmsprop.digits}, ${ADAPTIVE_LR.rmsprop['fashion-mnist']}; Adagrad: ${ADAPTIVE_LR.adagrad.digits}, ${ADAPTIVE_LR.adagrad['fashion-mnist']})
  --optimizer NAME   sgd (default: momentum 0.9), adam, adamw, rmsprop or adagrad (all with weight decay 5e-4)
  --scheduler NAME   learning-rate schedule, stepped every batch: cosine (default: decay to 0),
                     step (x0.1 after each third of the run), onecycle (1cycle, peaking at --lr) or none
  --clip-grad-norm X clip the gradients' total 2-norm to X before each step (default: no clipping)
  --seed S           integer seed of the split, initialisation, shuffling, dropout and
                     augmentation (default ${DEFAULT_SEED})
  --out DIR          where the results go (default runs/<dataset>-<model>-<seed>)
  --limit N          use only the first N training and N test examples (quick runs)
  --threads N        kernel threads (default: TAPEGRAD_THREADS, else one per core up to 4)
  --resume DIR       continue the run in DIR from its last checkpoint (with --threads at most)
  -h, --help         this text

A checkpoint is written to --out after every epoch; Ctrl-C stops after the current batch and says
how to resume. The same seed gives the same metrics.json, resumed or not; wall-clock times go to
timings.json.`;

/** A bad command line: the CLI prints the message on one line and exits 2. */
export class UsageError extends Error {}

function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    const list = allowed.length <= 2 ? allowed.join(' or ') : `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
    throw new UsageError(`unknown ${flag} '${value}' (choose ${list})`);
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

/** Creates the probe file checkOut writes (tests replace it to simulate a read-only file system). */
export const outProbe = { create: (file: string): void => fs.closeSync(fs.openSync(file, 'wx')) };

/**
 * The output directory must be creatable and writable before any work starts (the README's
 * promise): it is a directory, or does not exist yet and its nearest existing ancestor is a
 * directory (`--out FILE/sub` cannot be made); and a file can be created there — a probe file,
 * made and removed at once, answers for read-only mounts and permissions alike.
 */
function checkOut(out: string): void {
  let existing: string;
  if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) throw new UsageError(`--out ${out} exists and is not a directory`);
    existing = out;
  } else {
    let parent = path.dirname(path.resolve(out));
    while (!fs.existsSync(parent) && path.dirname(parent) !== parent) parent = path.dirname(parent);
    if (fs.existsSync(parent) && !fs.statSync(parent).isDirectory()) {
      throw new UsageError(`--out ${out} cannot be created: ${parent} is not a directory`);
    }
    existing = parent;
  }
  const probe = path.join(existing, `.tapegrad-write-probe-${process.pid}`);
  try {
    outProbe.create(probe);
    fs.rmSync(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'EROFS' ? 'a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? 'error');
    throw new UsageError(`--out ${out} is not writable: nothing can be created in ${existing} (${why})`);
  }
}

export const TRAIN_OPTIONS = {
  dataset: { type: 'string' },
  'data-dir': { type: 'string' },
  model: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  limit: { type: 'string' },
  optimizer: { type: 'string' },
  threads: { type: 'string' },
  resume: { type: 'string' },
  scheduler: { type: 'string' },
  'clip-grad-norm': { type: 'string' },
  text: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A run of a model family (src/train/family.ts): its options, and the kernel threads. */
export interface FamilyTrainOptions extends SessionOptions {
  family: string;
  threads: number | null;
}

/**
 * Parses and validates `args`; returns 'help' for --help. Throws UsageError for anything wrong,
 * including a missing data directory or IDX file (checked here, before any work starts).
 */
export function parseTrainArgs(args: string[]): FamilyTrainOptions | ResumeOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: attachNegativeNumbers(args, TRAIN_OPTIONS),
      strict: true,
      allowPositionals: false,
      options: TRAIN_OPTIONS,
    }));
  } catch (e) {
    throw new UsageError(argsError(e, TRAIN_OPTIONS));
  }
  if (values.help) return 'help';
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const threads = str('threads') !== undefined ? positiveInt('threads', str('threads')!) : null;
  if (str('resume') !== undefined) {
    const others = Object.keys(values).filter((k) => k !== 'resume' && k !== 'threads' && values[k] !== undefined);
    if (others.length > 0)
      throw new UsageError(
        `--resume continues a run with its own settings: drop ${others.map((k) => `--${k}`).join(', ')} (only --threads may go with it)`,
      );
    return { resume: str('resume')!, threads };
  }

  const classic = MODELS as readonly string[];
  const modelName = choice('model', str('model') ?? 'cnn', [...classic, ...Object.keys(FAMILIES).filter((k) => !classic.includes(k))]);
  if (!classic.includes(modelName)) return familyArgs(modelName, str, threads);
  if (str('text') !== undefined)
    throw new UsageError(`--text is for the text task (--dataset text), which --model ${modelName} does not train`);
  const dataset = choice('dataset', str('dataset') ?? 'digits', DATASETS);
  const model = modelName as ModelName;
  const hyper: Hyper = { ...DEFAULTS[dataset], scheduler: 'cosine' };
  if (str('optimizer') !== undefined) hyper.optimizer = choice('optimizer', str('optimizer')!, OPTIMIZERS);
  if (hyper.optimizer !== 'sgd') hyper.lr = ADAPTIVE_LR[hyper.optimizer][dataset];
  if (str('scheduler') !== undefined) hyper.scheduler = choice('scheduler', str('scheduler')!, SCHEDULERS);
  if (str('clip-grad-norm') !== undefined) hyper.clipGradNorm = positiveNumber('clip-grad-norm', str('clip-grad-norm')!);
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
  if (dataset === 'digits') {
    if (str('data-dir') !== undefined) throw new UsageError(`--data-dir is only for --dataset fashion-mnist (digits ship with tapegrad)`);
  } else {
    if (str('data-dir') === undefined)
      throw new UsageError(`--dataset ${dataset} needs --data-dir DIR (a directory of MNIST-format IDX files)`);
    dataDir = str('data-dir')!;
    try {
      findIdxFiles(dataDir);
    } catch (e) {
      throw new UsageError(`--data-dir: ${(e as Error).message}`);
    }
  }

  const out = str('out') ?? path.join('runs', `${dataset}-${model}-${seed}`);
  checkOut(out);
  return { family: model, model, dataset, dataDir, textFile: null, seed, out, limit, threads, ...hyper };
}

/** The options of a family run (`--model autoencoder`, `lstm`, …): the family's datasets and defaults, then the command line's. */
function familyArgs(name: string, str: (k: string) => string | undefined, threads: number | null): FamilyTrainOptions {
  const family = FAMILIES[name];
  const dataset = choice('dataset', str('dataset') ?? family.datasets[0], family.datasets);
  const hyper: Hyper = { ...family.defaults(dataset) };
  if (str('optimizer') !== undefined) hyper.optimizer = choice('optimizer', str('optimizer')!, OPTIMIZERS);
  if (str('scheduler') !== undefined) hyper.scheduler = choice('scheduler', str('scheduler')!, SCHEDULERS);
  if (str('clip-grad-norm') !== undefined) hyper.clipGradNorm = positiveNumber('clip-grad-norm', str('clip-grad-norm')!);
  if (str('epochs') !== undefined) hyper.epochs = positiveInt('epochs', str('epochs')!);
  if (str('batch-size') !== undefined) hyper.batchSize = positiveInt('batch-size', str('batch-size')!);
  if (str('lr') !== undefined) hyper.lr = positiveNumber('lr', str('lr')!);
  const seed = str('seed') !== undefined ? integer('seed', str('seed')!) : DEFAULT_SEED;
  const limit = str('limit') !== undefined ? positiveInt('limit', str('limit')!) : null;
  if (limit === 1) throw new UsageError(`--limit must be at least 2, got 1`);
  let dataDir: string | null = null;
  let textFile: string | null = null;
  if (dataset === 'fashion-mnist') {
    if (str('data-dir') === undefined)
      throw new UsageError(`--dataset ${dataset} needs --data-dir DIR (a directory of MNIST-format IDX files)`);
    dataDir = str('data-dir')!;
    try {
      findIdxFiles(dataDir);
    } catch (e) {
      throw new UsageError(`--data-dir: ${(e as Error).message}`);
    }
  } else if (str('data-dir') !== undefined) throw new UsageError(`--data-dir is only for --dataset fashion-mnist`);
  if (str('text') !== undefined) {
    if (dataset !== 'text') throw new UsageError(`--text FILE is for --dataset text`);
    if (!fs.existsSync(str('text')!) || !fs.statSync(str('text')!).isFile()) throw new UsageError(`--text ${str('text')}: no such file`);
    // Absolute, so eval, sample and --resume find it from any directory.
    textFile = path.resolve(str('text')!);
  }
  const out = str('out') ?? path.join('runs', `${dataset}-${name}-${seed}`);
  checkOut(out);
  return { family: name, model: name, dataset, dataDir, textFile, seed, limit, out, threads, ...hyper };
}
