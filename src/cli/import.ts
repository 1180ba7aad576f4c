/**
 * @file `tapegrad import DIR --out RUN_DIR` (SPEC §17): a folder `export --torch` wrote, with the
 * weights PyTorch wrote back into it, as a run directory tapegrad evaluates, predicts with and
 * exports again. DIR's run.json says the architecture and the preprocessing; its
 * weights.safetensors carries PyTorch's state_dict, whose keys are tapegrad's.
 */
import * as fs from 'fs';
import * as path from 'path';
import { load, saveBytes } from '../tensor/safetensors';
import type { Tensor } from '../tensor/tensor';
import type { FamilyOptions } from '../train/family';
import { optionsOfSpec } from '../train/classic-run';
import { FAMILIES } from '../train/families';
import { loadClassifierData } from '../train/families/classify';
import type { ClassicSaved } from '../train/families/classic';
import type { EpochMetrics } from '../train/metrics';
import { buildModel, Classifier, describeModel } from '../train/models';
import { makeOptimizer, makeScheduler } from '../train/optimizers';
import { RUN_FILES, RunSpec, runRng, writeAtomic } from '../train/run';
import { writeSessionCheckpoint } from '../train/session-checkpoint';
import { SESSION_FILES, sessionSpecJson } from '../train/session-spec';
import { importFamilyRun } from '../train/torch-program-families';
import { parseCommand } from './args';

const HELP = `usage: tapegrad import DIR --out RUN_DIR

Reads DIR as 'tapegrad export RUN --torch DIR' wrote it (run.json, weights.safetensors — the
weights PyTorch's train.py wrote back, or the exported ones) and writes RUN_DIR, a run directory
('tapegrad eval RUN_DIR', 'predict', 'export' work on it). When train.py trained (it then writes
metrics.json beside the weights), RUN_DIR also gets a checkpoint holding those epochs, so
'tapegrad train --resume RUN_DIR' writes the run's report.html and metrics.json, as after a
tapegrad run of that many epochs.`;

const OPTIONS = { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export async function run(args: string[]): Promise<number> {
  const fail = (message: string): number => {
    console.error(`tapegrad import: ${message}`);
    return 2;
  };
  const parsed = parseCommand('import', args, OPTIONS, HELP);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) return fail(`expected one DIR, got ${parsed.positionals.length}`);
  const out = parsed.values.out;
  if (out === undefined) return fail('--out RUN_DIR is required');
  const dir = parsed.positionals[0];
  let spec: RunSpec;
  try {
    spec = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunSpec;
    if ((spec as { formatVersion?: unknown }).formatVersion === 2) {
      // A model-family run (the session's run.json, format 2).
      try {
        console.log(importFamilyRun(dir, out));
        return 0;
      } catch (e) {
        return fail((e as Error).message);
      }
    }
    if (spec.format !== 'tapegrad-run' || typeof spec.model?.name !== 'string') throw new Error('not a tapegrad run description');
  } catch (e) {
    return fail(`${path.join(dir, 'run.json')}: ${(e as Error).message}`);
  }
  try {
    const model = buildModel(spec.model.name, spec.model.imageShape, spec.model.classes, runRng(spec.seed, 'init'));
    const weights = load(path.join(dir, 'weights.safetensors'));
    model.loadStateDict(weights);
    const history = readHistory(dir);
    fs.mkdirSync(out, { recursive: true });
    // A run of the mlp or cnn family (run.json format 2), as `tapegrad train` writes it.
    const options: FamilyOptions = { ...optionsOfSpec(spec), ...(history !== null ? { epochs: history.length } : {}) };
    const saved: ClassicSaved = {
      architecture: spec.model.architecture,
      imageShape: spec.model.imageShape,
      classes: spec.model.classes,
      classNames: spec.classNames,
      ...spec.preprocessing,
    };
    const parameters = model.parameters().reduce((n, p) => n + p.size, 0);
    writeAtomic(out, SESSION_FILES.weights, saveBytes(liveWeights(model)));
    writeAtomic(
      out,
      RUN_FILES.spec,
      sessionSpecJson(FAMILIES[spec.model.name], options, { architecture: describeModel(model), parameters }, { ...saved }),
    );
    if (history !== null) writeImportedCheckpoint(out, model, options, history);
  } catch (e) {
    return fail((e as Error).message);
  }
  console.log(
    `wrote ${out}: ${spec.model.architecture} with the weights of ${path.join(dir, 'weights.safetensors')} (tapegrad eval ${out})`,
  );
  return 0;
}

/** The epochs train.py recorded in DIR/metrics.json (null when it has not trained there), checked field by field. */
function readHistory(dir: string): (EpochMetrics & { seconds: number })[] | null {
  const file = path.join(dir, 'metrics.json');
  if (!fs.existsSync(file)) return null;
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { epochs?: unknown };
  if (!Array.isArray(m.epochs) || m.epochs.length === 0) throw new Error(`${file}: field epochs must be a non-empty array`);
  return m.epochs.map((e: Record<string, unknown>, i: number) => {
    for (const k of ['trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'seconds'])
      if (typeof e[k] !== 'number' || !Number.isFinite(e[k])) throw new Error(`${file}: field epochs[${i}].${k} must be a finite number`);
    return { epoch: i + 1, ...(e as Omit<EpochMetrics, 'epoch'> & { seconds: number }) };
  });
}

/** The model's state dict as its live tensors (a batch norm's count keeps its int32), as the session saves weights. */
function liveWeights(model: Classifier): Record<string, Tensor> {
  const live = new Map<string, Tensor>([...model.namedParameters(), ...model.namedBuffers()]);
  return Object.fromEntries(Object.keys(model.stateDict()).map((k) => [k, live.get(k)!]));
}

/**
 * The checkpoint of the imported run after PyTorch's epochs: its weights, a fresh optimiser and
 * schedule at the end of those epochs (PyTorch's optimiser state stays in PyTorch), the run's
 * generators and PyTorch's metrics — so `train --resume` writes the run's report (the confusion
 * matrix of the imported weights is computed then, on the run's test set).
 */
function writeImportedCheckpoint(
  out: string,
  model: Classifier,
  options: FamilyOptions,
  history: (EpochMetrics & { seconds: number })[],
): void {
  const loaded = loadClassifierData(options.model, options);
  const optimizer = makeOptimizer(options, model.parameters());
  const scheduler = makeScheduler(options, optimizer, 1);
  writeSessionCheckpoint(
    out,
    options.model,
    {
      epoch: history.length,
      weights: liveWeights(model),
      optimizers: { model: optimizer.stateDict() },
      schedulers: scheduler !== null ? { model: scheduler.stateDict() } : {},
      rngs: {
        init: runRng(options.seed, 'init').state(),
        shuffle: runRng(options.seed, 'shuffle').state(),
        augment: runRng(options.seed, 'augment').state(),
      },
      epochs: history.map(({ seconds: _, ...e }) => e),
      timings: history.map((e) => ({
        epoch: e.epoch,
        trainSeconds: e.seconds,
        testSeconds: 0,
        examplesPerSecond: loaded.train.labels.length / Math.max(e.seconds, 1e-9),
      })),
    },
    writeAtomic,
  );
}
