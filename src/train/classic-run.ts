/**
 * @file The classic classifiers' run directories in both formats: run.json format 1 (written by
 * tapegrad before `mlp` and `cnn` trained through the session: model.json, the classifier
 * checkpoint) and format 2 (a session run of the `mlp` or `cnn` family: model.safetensors).
 * `loadRun` (tg.train.loadRun, SPEC §9) reads either as one LoadedRun, which `eval`, `predict`,
 * `export` (ONNX and PyTorch) and `graph` use; `legacyResume` turns a format-1 run's checkpoint into
 * the session's, so `tapegrad train --resume` continues it through the session.
 *
 * Note [an old run resumes bit for bit]: the classic family draws from the generators the format-1
 * loop drew from (Note [the classic streams] in families/classic.ts), so a format-1 checkpoint's
 * weights, optimiser, schedule and generator states (its `model` generator is the family's
 * 'init') continue exactly where the old loop would have. The resumed run is written in format 2.
 */
import * as path from 'node:path';
import { allocate } from '../tensor/dtype';
import { loadBytes } from '../tensor/safetensors';
import { Tensor } from '../tensor/tensor';
import { readCheckpoint } from './checkpoint';
import type { FamilyOptions } from './family';
import type { ClassicSaved } from './families/classic';
import { buildModel } from './models';
import { MODELS, type ModelName } from './options';
import { loadedRun, LoadedRun, MAX_SPEC_BYTES, readSpec, RunSpec, runRng } from './run';
import type { SessionOptions } from './session';
import type { SessionCheckpoint } from './session-checkpoint';
import { readSessionSpec, runFormat, SessionSpec } from './session-spec';
import { FieldChecker, readBounded } from './validate';

const isClassic = (family: string): family is ModelName => (MODELS as readonly string[]).includes(family);

/** A format-2 run's saved facts, checked (run.json is untrusted input). */
function classicSaved(file: string, saved: Record<string, unknown>): ClassicSaved {
  const check = new FieldChecker(file);
  check.string(saved.architecture, 'saved.architecture');
  check.array(saved.imageShape, 'saved.imageShape', 3);
  (saved.imageShape as unknown[]).forEach((d, i) => check.integer(d, `saved.imageShape[${i}]`, 1, i === 0 ? 4 : 4096));
  const classes = check.integer(saved.classes, 'saved.classes', 2, 1000);
  check.array(saved.classNames, 'saved.classNames', classes);
  (saved.classNames as unknown[]).forEach((n, i) => check.string(n, `saved.classNames[${i}]`));
  check.number(saved.pixelScale, 'saved.pixelScale', { above: 0, finite: true });
  check.number(saved.mean, 'saved.mean', { finite: true });
  check.number(saved.std, 'saved.std', { above: 0, finite: true });
  return saved as unknown as ClassicSaved;
}

/**
 * The RunSpec a format-2 mlp/cnn run would have had in format 1: what the format-1 readers (the
 * ONNX and PyTorch exporters, `graph`) need, from run.json alone (no data is read). `export --torch`
 * writes it as the exported folder's run.json, the same description as before.
 */
function specOfSession(file: string, spec: SessionSpec, parameters: number): RunSpec {
  const s = classicSaved(file, spec.saved);
  const o = spec.options;
  return {
    format: 'tapegrad-run',
    formatVersion: 1,
    tapegrad: spec.tapegrad,
    dataset: o.dataset as RunSpec['dataset'],
    dataDir: o.dataDir,
    limit: o.limit,
    seed: o.seed,
    model: { name: spec.family as ModelName, architecture: s.architecture, imageShape: s.imageShape, classes: s.classes, parameters },
    classNames: s.classNames,
    preprocessing: { pixelScale: s.pixelScale, mean: s.mean, std: s.std },
    options: {
      epochs: o.epochs,
      batchSize: o.batchSize,
      lr: o.lr,
      momentum: o.momentum,
      weightDecay: o.weightDecay,
      cropPadding: o.cropPadding,
      flipP: o.flipP,
      optimizer: o.optimizer,
      scheduler: o.scheduler ?? 'cosine',
      clipGradNorm: o.clipGradNorm ?? null,
    },
    weights: spec.weights,
  };
}

/** Whether `dir` holds a classic classifier run (format 1, or format 2 of the mlp or cnn family). */
export function isClassicRun(dir: string): boolean {
  return runFormat(dir) === 1 || isClassic(readSessionSpec(dir).spec.family);
}

/** A classic run's description in format 1's shape, of either format, without reading its weights or data. */
export function readClassicSpec(dir: string): RunSpec {
  if (runFormat(dir, MAX_SPEC_BYTES) === 1) return readSpec(dir);
  const { spec } = readSessionSpec(dir);
  if (!isClassic(spec.family))
    throw new Error(
      `${dir} holds a run of --model ${spec.family}; loadRun reads the classifier runs of --model mlp and cnn (tapegrad eval and sample read the others)`,
    );
  return specOfSession(path.join(dir, 'run.json'), spec, spec.model.parameters);
}

/** Loads a classic run directory of either format (SPEC §9): its description, the model with its trained weights, its preprocessing. */
export function loadRun(dir: string): LoadedRun {
  const spec = readClassicSpec(dir);
  const model = buildModel(spec.model.name, spec.model.imageShape, spec.model.classes, runRng(spec.seed, 'init'));
  // Format 1 keeps the weights as nn.save's JSON (loadedRun's default reader), format 2 in safetensors.
  if (runFormat(dir, MAX_SPEC_BYTES) === 1) return loadedRun(spec, model, dir);
  return loadedRun(spec, model, dir, (weightsFile, expected) => loadBytes(readBounded(weightsFile, expected * 8 + (1 << 20))));
}

/** The options of the mlp or cnn family that train the run a format-1 run.json (or an exported folder's) describes. */
export function optionsOfSpec(spec: RunSpec): FamilyOptions {
  const { scheduler, clipGradNorm, ...hyper } = spec.options;
  return {
    model: spec.model.name,
    dataset: spec.dataset,
    dataDir: spec.dataDir,
    textFile: null,
    seed: spec.seed,
    limit: spec.limit,
    ...hyper,
    scheduler: scheduler ?? 'cosine',
    clipGradNorm: clipGradNorm ?? null,
  };
}

/** A format-1 run's checkpoint as the session's, and the options it was trained with (Note [an old run resumes bit for bit]). */
export function legacyResume(dir: string): { options: SessionOptions; checkpoint: SessionCheckpoint } {
  const spec = readSpec(dir);
  const model = buildModel(spec.model.name, spec.model.imageShape, spec.model.classes, runRng(spec.seed, 'init'));
  const shapes: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(model.stateDict())) shapes[k] = [...v.shape];
  const c = readCheckpoint(dir, {
    weights: shapes,
    params: model.parameters().map((p) => [...p.shape]),
    classes: spec.model.classes,
    epochs: spec.options.epochs,
  });
  // A checkpoint from before schedules saves none: a finished run still writes its results again
  // (nothing is stepped), but more epochs would not follow the schedule the run was trained with.
  if (c.scheduler === undefined && (spec.options.scheduler ?? 'cosine') !== 'none' && c.epoch < spec.options.epochs)
    throw new Error(
      `${dir}'s checkpoint predates learning-rate schedules (it saves no schedule state), so its remaining epochs cannot be trained as the run was; train it again`,
    );
  // The weights with the live tensors' dtypes (a batch norm's count is int32).
  const live = new Map<string, Tensor>([...model.namedParameters(), ...model.namedBuffers()]);
  const weights: Record<string, Tensor> = {};
  for (const [k, { shape, data }] of Object.entries(c.weights)) {
    const t = new Tensor(allocate(live.get(k)?.dtype ?? 'float32', data.length), shape);
    t.data.set(data);
    weights[k] = t;
  }
  const options: SessionOptions = { ...optionsOfSpec(spec), out: dir, resumeFrom: dir };
  return {
    options,
    checkpoint: {
      epoch: c.epoch,
      weights,
      optimizers: { model: c.optimizer },
      schedulers: c.scheduler !== undefined ? { model: c.scheduler } : {},
      rngs: { init: c.rng.model, shuffle: c.rng.shuffle, augment: c.rng.augment },
      epochs: c.epochs.map((e) => ({ ...e })),
      timings: c.timings.map((t) => ({
        epoch: t.epoch,
        trainSeconds: t.trainSeconds,
        testSeconds: t.testSeconds,
        examplesPerSecond: t.imagesPerSecond,
      })),
    },
  };
}
