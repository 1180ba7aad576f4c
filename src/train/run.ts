/**
 * @file A run directory that describes itself (SPEC §9), so the model can be used again: `run.json`
 * (the format below: dataset, seed, architecture and sizes, the input preprocessing, the options),
 * `model.json` (the weights, as nn.save writes them), `checkpoint.json` (everything needed to
 * continue training, after each epoch), and the reports (metrics.json, timings.json, report.html).
 *
 * Note [preprocessing]: models see standardised pixels. A raw pixel p (0…16 for the digits, 0…255
 * for IDX images) becomes x = (p·pixelScale − mean) / std, where pixelScale maps it into [0, 1] and
 * mean/std are the training pixels' own (in [0, 1] units). `loadRun` returns that function, `eval`
 * and `predict` apply it, and the ONNX export folds it into the graph.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { noGrad } from '../autograd/mode';
import { stateDictFromJson } from '../nn/serialize';
import { softmax } from '../ops/softmax';
import type { Optimizer } from '../optim/optimizer';
import { Rng, rng, RngState } from '../random/rng';
import { Tensor } from '../tensor/tensor';
import { version } from '../version';
import type { Confusion, EpochMetrics, EpochTiming } from './metrics';
import { standardizeInPlace } from './datasets';
import { buildModel, Classifier } from './models';
import type { DatasetName, Hyper, ModelName } from './options';

/** The run's generator for one purpose; separate streams, so e.g. changing the augmentation does not reshuffle the split. */
export function runRng(seed: number, purpose: 'split' | 'init' | 'shuffle' | 'augment'): Rng {
  return rng(`${seed}:${purpose}`);
}

export const RUN_FILES = {
  spec: 'run.json',
  model: 'model.json',
  checkpoint: 'checkpoint.json',
  metrics: 'metrics.json',
  timings: 'timings.json',
  report: 'report.html',
} as const;

export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';

/** run.json, format 1. */
export interface RunSpec {
  format: 'tapegrad-run';
  formatVersion: 1;
  /** The tapegrad version that trained it. */
  tapegrad: string;
  dataset: DatasetName;
  /** The IDX directory the run read (fashion-mnist); eval reads it again unless told another. */
  dataDir: string | null;
  limit: number | null;
  seed: number;
  model: { name: ModelName; architecture: string; imageShape: number[]; classes: number; parameters: number };
  classNames: string[];
  /** Note [preprocessing]. */
  preprocessing: { pixelScale: number; mean: number; std: number };
  options: Hyper & { optimizer: OptimizerName };
  /** The file with the weights. */
  weights: string;
}

/** checkpoint.json: the state after `epoch` completed epochs. */
export interface Checkpoint {
  epoch: number;
  weights: Record<string, { shape: number[]; data: number[] }>;
  optimizer: ReturnType<Optimizer<unknown>['stateDict']>;
  /** The learning-rate scheduler's stateDict (absent in checkpoints from before schedulers, and with --scheduler none). */
  scheduler?: Record<string, unknown>;
  rng: { shuffle: RngState; augment: RngState; model: RngState };
  epochs: EpochMetrics[];
  timings: EpochTiming[];
  confusion: Confusion;
}

/** Writes `text` to `dir/name` atomically: a temporary file renamed into place. */
export function writeAtomic(dir: string, name: string, text: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const final = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${process.pid}.tmp`);
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, final);
  return final;
}

function readJson<T>(dir: string, name: string, what: string): T {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new Error(`${dir} is not a tapegrad run directory: it has no ${name} (${what})`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

export function readSpec(dir: string): RunSpec {
  const spec = readJson<RunSpec>(dir, RUN_FILES.spec, 'the run description');
  if (spec.format !== 'tapegrad-run' || spec.formatVersion !== 1) {
    throw new Error(`${path.join(dir, RUN_FILES.spec)} is not a tapegrad run description of format 1`);
  }
  return spec;
}

export function readCheckpoint(dir: string): Checkpoint {
  return readJson<Checkpoint>(dir, RUN_FILES.checkpoint, 'the checkpoint written after each epoch');
}

export function specJson(spec: Omit<RunSpec, 'format' | 'formatVersion' | 'tapegrad' | 'weights'>): string {
  const full: RunSpec = { format: 'tapegrad-run', formatVersion: 1, tapegrad: version, ...spec, weights: RUN_FILES.model };
  return `${JSON.stringify(full, null, 2)}\n`;
}

/** A saved run, ready to use (SPEC §9): the model in eval mode and its input preprocessing. */
export interface LoadedRun {
  spec: RunSpec;
  model: Classifier;
  /** Raw-scale pixels ([N,C,H,W]) → the model's inputs (Note [preprocessing]). */
  preprocess(raw: Tensor): Tensor;
  /** Pixels already in [0, 1] (as loadDigits / loadIdx give them) → the model's inputs. */
  standardise(unit: Tensor): Tensor;
  /** Class probabilities [N, classes] for images in [0, 1]. */
  predict(unit: Tensor): Tensor;
}

/** Loads a run directory: its description, its architecture with the trained weights, its preprocessing. */
export function loadRun(dir: string): LoadedRun {
  const spec = readSpec(dir);
  const { name, imageShape, classes } = spec.model;
  const model = buildModel(name, imageShape, classes, runRng(spec.seed, 'init'));
  const weightsFile = path.join(dir, spec.weights);
  if (!fs.existsSync(weightsFile)) throw new Error(`${dir}: the weights file ${spec.weights} is missing`);
  try {
    model.loadStateDict(stateDictFromJson(fs.readFileSync(weightsFile, 'utf8')));
  } catch (e) {
    throw new Error(`${weightsFile}: ${(e as Error).message}`);
  }
  model.eval();
  const { pixelScale, mean, std } = spec.preprocessing;
  const standardise = (unit: Tensor) => standardizeInPlace(new Tensor(Float32Array.from(unit.data), unit.shape), { mean, std });
  return {
    spec,
    model,
    standardise,
    preprocess: (raw) =>
      standardise(
        new Tensor(
          Float32Array.from(raw.data, (v) => v * pixelScale),
          raw.shape,
        ),
      ),
    predict: (unit) => noGrad(() => softmax(model.forward(standardise(unit)))),
  };
}
