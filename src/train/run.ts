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
import * as path from 'node:path';
import { noGrad } from '../autograd/mode';
import { stateDictFromJson } from '../nn/serialize';
import type { StateDictInput } from '../nn/module';
import { writeBytesAtomic } from '../platform/files';
import { softmax } from '../ops/softmax';
import { Rng, rng } from '../random/rng';
import { Tensor } from '../tensor/tensor';
import { version } from '../version';
import { standardizeInPlace } from './datasets';
import type { Classifier } from './models';
import { DATASETS, MODELS, OPTIMIZERS } from './options';
import type { DatasetName, Hyper, ModelName } from './options';
import { confine, FieldChecker, readBounded, runFile } from './validate';

/** The run's generator for one purpose; separate streams, so e.g. changing the augmentation does not reshuffle the split. */
export function runRng(seed: number, purpose: 'split' | 'init' | 'shuffle' | 'augment'): Rng {
  return rng(`${seed}:${purpose}`);
}

export const RUN_FILES = {
  spec: 'run.json',
  model: 'model.json',
  checkpoint: 'checkpoint.json',
  checkpointTensors: 'checkpoint.safetensors',
  metrics: 'metrics.json',
  timings: 'timings.json',
  report: 'report.html',
} as const;

export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';

/**
 * run.json, format 1: what tapegrad wrote for mlp and cnn runs before they trained through the
 * session. loadRun presents a format-2 mlp/cnn run in this shape too (src/train/classic-run.ts).
 */
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

export type { Checkpoint } from './checkpoint';

/** Writes `content` to `dir/name` atomically: a temporary file in `dir`, fsynced, renamed into place (writeBytesAtomic). */
export function writeAtomic(dir: string, name: string, content: string | Uint8Array): string {
  const final = path.join(dir, name);
  writeBytesAtomic(final, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
  return final;
}

/** A classic run.json's size limit (either format): it holds settings and class names, never tensors. */
export const MAX_SPEC_BYTES = 1 << 20;
/** The largest image side a run may declare (run.json's imageShape). */
const MAX_SIDE = 4096;

/** Reads and validates run.json: every field checked, errors naming the file and the field (Note [files stay inside their run] in validate.ts). */
export function readSpec(dir: string): RunSpec {
  const file = runFile(dir, RUN_FILES.spec, 'the run description');
  const check = new FieldChecker(file);
  const spec = check.json(readBounded(file, MAX_SPEC_BYTES)) as Record<string, unknown>;
  check.object(spec, '');
  check.equal(spec, 'format', 'tapegrad-run');
  if (spec.formatVersion !== 1)
    check.fail('formatVersion', `is ${check.describe(spec.formatVersion)}; this tapegrad reads run descriptions of formats 1 and 2`);
  check.string(spec.tapegrad, 'tapegrad');
  check.string(spec.dataset, 'dataset', DATASETS);
  if (spec.dataDir !== null) check.string(spec.dataDir, 'dataDir');
  if (spec.limit !== null) check.integer(spec.limit, 'limit', 2, Number.MAX_SAFE_INTEGER);
  check.integer(spec.seed, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  check.object(spec.model, 'model');
  const model = spec.model as Record<string, unknown>;
  check.string(model.name, 'model.name', MODELS);
  check.string(model.architecture, 'model.architecture');
  check.array(model.imageShape, 'model.imageShape', 3);
  (model.imageShape as unknown[]).forEach((d, i) => check.integer(d, `model.imageShape[${i}]`, 1, i === 0 ? 4 : MAX_SIDE));
  const classes = check.integer(model.classes, 'model.classes', 2, 1000);
  check.integer(model.parameters, 'model.parameters', 1, 2 ** 31);
  check.array(spec.classNames, 'classNames', classes);
  (spec.classNames as unknown[]).forEach((n, i) => check.string(n, `classNames[${i}]`));
  check.object(spec.preprocessing, 'preprocessing');
  const pre = spec.preprocessing as Record<string, unknown>;
  check.number(pre.pixelScale, 'preprocessing.pixelScale', { above: 0, finite: true });
  check.number(pre.mean, 'preprocessing.mean', { finite: true });
  check.number(pre.std, 'preprocessing.std', { above: 0, finite: true });
  check.hyper(spec.options, 'options', OPTIMIZERS);
  try {
    confine(dir, spec.weights, 'weights', false);
  } catch (e) {
    throw new Error(`${file}: field ${(e as Error).message}`);
  }
  return spec as unknown as RunSpec;
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

/** Reads a weights file of `expected` numbers: a format-1 run's model.json (nn.save's JSON). */
function readJsonWeights(weightsFile: string, expected: number): StateDictInput {
  // model.json writes each number in at most ~26 characters: anything much larger is not this model's.
  const bytes = readBounded(weightsFile, 32 * expected + (1 << 16));
  try {
    return stateDictFromJson(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new Error(`${weightsFile} is not valid JSON${at !== undefined ? ` (at character ${at})` : ''}`);
  }
}

/**
 * A run directory's model (built from `spec`, with the weights of `spec.weights` loaded) in eval
 * mode, with its preprocessing; src/train/classic-run.ts's loadRun reads run.json of either format.
 */
export function loadedRun(
  spec: RunSpec,
  model: Classifier,
  dir: string,
  readWeights: (file: string, expected: number) => StateDictInput = readJsonWeights,
): LoadedRun {
  let weightsFile: string;
  try {
    weightsFile = confine(dir, spec.weights, 'weights');
  } catch (e) {
    throw new Error(`${path.join(dir, RUN_FILES.spec)}: field ${(e as Error).message}`);
  }
  const sd = readWeights(weightsFile, spec.model.parameters);
  try {
    model.loadStateDict(sd);
  } catch (e) {
    throw new Error(`${weightsFile}: ${(e as Error).message.replace(/^loadBytes: /, '')}`);
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
