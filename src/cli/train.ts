/**
 * @file `tapegrad train`: validates every argument first, loads the data, trains with a progress
 * bar and a table per epoch, and only then writes the model, metrics.json, timings.json and
 * report.html into --out — so a bad argument or a failed run leaves nothing behind.
 */
import * as path from 'node:path';
import { backend, useKernels } from '../kernels';
import { stateDictToPlain } from '../optim/optimizer';
import { stateDictToJson } from '../nn';
import { LoadedData, loadDataset } from '../train/datasets';
import { findIdxFiles } from '../train/idx-files';
import { featureMapRows, firstLayerFilters, modelGraphSvg } from '../train/inspect';
import { batchesPerEpoch, LoopControl, train } from '../train/loop';
import { describeOptimizer, makeOptimizer, makeScheduler } from '../train/optimizers';
import { metricsJson, timingsJson } from '../train/metrics';
import { buildModel, describeModel } from '../train/models';
import type { ResumeOptions, TrainOptions } from '../train/options';
import { FamilyTrainOptions, HELP, parseTrainArgs, UsageError } from './train-args';
import { FAMILIES } from '../train/families';
import { CheckpointRefusedError, SessionSetupError, trainSession } from '../train/session';
import { readSessionSpec, runFormat } from '../train/session-spec';
import { writeRun } from '../train/output';
import { liveStreamFor, Progress } from '../train/progress';
import { renderReport } from '../train/report';
import { Checkpoint, CheckpointExpectations, readCheckpoint, writeCheckpoint } from '../train/checkpoint';
import { readSpec, RUN_FILES, runRng, specJson, writeAtomic } from '../train/run';

/** File names inside --out. */
export const OUTPUT_FILES = {
  spec: RUN_FILES.spec,
  model: RUN_FILES.model,
  checkpoint: RUN_FILES.checkpoint,
  checkpointTensors: RUN_FILES.checkpointTensors,
  metrics: RUN_FILES.metrics,
  timings: RUN_FILES.timings,
  report: RUN_FILES.report,
} as const;

const FEATURE_MAP_IMAGES = 4;

function settingsRows(o: TrainOptions, model: string, loaded: LoadedData): [string, string][] {
  return [
    ['dataset', o.dataDir === null ? o.dataset : `${o.dataset} (${o.dataDir})`],
    ['examples', `${loaded.train.labels.length} train, ${loaded.test.labels.length} test`],
    ['inputs', `standardised with the training pixels' mean ${loaded.pixels.mean.toFixed(4)} and std ${loaded.pixels.std.toFixed(4)}`],
    ['model', `${o.model}: ${model}`],
    ['epochs', String(o.epochs)],
    ['batch size', String(o.batchSize)],
    ['optimiser', describeOptimizer(o)],
    [
      'augmentation',
      [o.cropPadding > 0 ? `random shift ±${o.cropPadding} px` : '', o.flipP > 0 ? `horizontal flip p=${o.flipP}` : '']
        .filter(Boolean)
        .join(', ') || 'none',
    ],
    ['seed', String(o.seed)],
    ['output', o.out],
  ];
}

/** Parses the arguments; a number is the exit status when there is nothing to train (help, bad input). */
function options(args: string[]): TrainOptions | FamilyTrainOptions | number {
  try {
    const parsed = parseTrainArgs(args);
    if (parsed === 'help') {
      console.log(HELP);
      return 0;
    }
    return 'resume' in parsed ? resumedOptions(parsed) : parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`tapegrad train: ${e.message}`);
    return 2;
  }
}

/** The options of the run being resumed, from its run.json. */
function resumedOptions(r: ResumeOptions): TrainOptions | FamilyTrainOptions {
  let format;
  try {
    format = runFormat(r.resume);
  } catch (e) {
    throw new UsageError(`--resume ${r.resume}: ${(e as Error).message}`);
  }
  if (format === 2) {
    try {
      const { spec } = readSessionSpec(r.resume);
      return { ...spec.options, family: spec.family, out: r.resume, resumeFrom: r.resume, threads: r.threads };
    } catch (e) {
      throw new UsageError(`--resume ${r.resume}: ${(e as Error).message}`);
    }
  }
  let spec;
  try {
    spec = readSpec(r.resume);
    const model = buildModel(spec.model.name, spec.model.imageShape, spec.model.classes, runRng(spec.seed, 'init'));
    readCheckpoint(r.resume, expectations(model, spec.model.classes, spec.options.epochs));
  } catch (e) {
    throw new UsageError(`--resume ${r.resume}: ${(e as Error).message}`);
  }
  let idxFiles = null;
  if (spec.dataDir !== null) {
    try {
      idxFiles = findIdxFiles(spec.dataDir);
    } catch (e) {
      throw new UsageError(`--resume ${r.resume}: the run's data directory: ${(e as Error).message}`);
    }
  }
  return {
    dataset: spec.dataset,
    model: spec.model.name,
    dataDir: spec.dataDir,
    idxFiles,
    seed: spec.seed,
    out: r.resume,
    limit: spec.limit,
    threads: r.threads,
    resumeFrom: r.resume,
    ...spec.options,
  };
}

/** What a checkpoint of this model must hold (Note [checkpoints are validated] in src/train/checkpoint.ts). */
function expectations(model: ReturnType<typeof buildModel>, classes: number, epochs: number): CheckpointExpectations {
  const weights: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(model.stateDict())) weights[k] = [...v.shape];
  return { weights, params: model.parameters().map((p) => [...p.shape]), classes, epochs };
}

/** Note [no orphan] in bin/tapegrad.js: whether the process that started this one is gone (then nothing more is written). */
function exitIfOrphaned(): void {
  const parent = Number(process.env.TAPEGRAD_PARENT_PID);
  if (parent > 0 && process.ppid !== parent) process.exit(129);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The header's kernels line: what runs, on how many threads, and why WebAssembly does not if it does not. */
export function describeBackend(): string {
  const b = backend();
  if (b.kernels === 'js') return `TypeScript (WebAssembly off: ${b.reason})`;
  return `WebAssembly ${b.kernels === 'wasm-relaxed-simd' ? 'relaxed SIMD' : 'SIMD'}, ${plural(b.threads, 'thread')}`;
}

export async function run(args: string[]): Promise<number> {
  const opts = options(args);
  if (typeof opts === 'number') return opts;
  if (opts.threads !== null) useKernels({ threads: opts.threads });
  if ('family' in opts) return trainFamily(opts);

  const started = performance.now();
  const loaded = loadDataset(opts, runRng(opts.seed, 'split'));
  const classes = loaded.classNames.length;
  const modelRng = runRng(opts.seed, 'init');
  const model = buildModel(opts.model, loaded.imageShape, classes, modelRng);
  const optimizer = makeOptimizer(opts, model.parameters());
  const scheduler = makeScheduler(opts, optimizer, opts.epochs * batchesPerEpoch(loaded.train.labels.length, opts.batchSize).batches);
  const rngs = { shuffle: runRng(opts.seed, 'shuffle'), augment: runRng(opts.seed, 'augment') };
  const description = describeModel(model);
  const nTrain = loaded.train.labels.length;
  const nTest = loaded.test.labels.length;

  // A resumed run starts where its checkpoint ends: weights, optimiser, every generator, the metrics so far.
  let checkpoint: Checkpoint | null = null;
  if (opts.resumeFrom !== undefined) {
    checkpoint = readCheckpoint(opts.resumeFrom, expectations(model, classes, opts.epochs));
    model.loadStateDict(checkpoint.weights);
    optimizer.loadStateDict(checkpoint.optimizer);
    if (scheduler !== null && checkpoint.scheduler !== undefined) scheduler.loadStateDict(checkpoint.scheduler);
    rngs.shuffle.setState(checkpoint.rng.shuffle);
    rngs.augment.setState(checkpoint.rng.augment);
    modelRng.setState(checkpoint.rng.model);
  }

  console.log(
    `tapegrad train: ${opts.dataset}, ${nTrain} train / ${nTest} test images [${loaded.imageShape.join(',')}], ${opts.model} = ${description}`,
  );
  console.log(`kernels: ${describeBackend()}`);
  console.log(`${plural(opts.epochs, 'epoch')}, batch ${opts.batchSize}, ${describeOptimizer(opts)}, seed ${opts.seed}`);
  if (checkpoint !== null) {
    console.log(
      checkpoint.epoch >= opts.epochs
        ? `resuming ${opts.out}: all ${plural(opts.epochs, 'epoch')} are done already; writing the results again`
        : `resuming ${opts.out} after epoch ${checkpoint.epoch} of ${opts.epochs}`,
    );
  }

  // The run describes itself from the start (run.json), so a checkpoint is always usable.
  exitIfOrphaned();
  writeAtomic(
    opts.out,
    RUN_FILES.spec,
    specJson({
      dataset: opts.dataset,
      dataDir: opts.dataDir,
      limit: opts.limit,
      seed: opts.seed,
      model: {
        name: opts.model,
        architecture: model.constructor.name,
        imageShape: loaded.imageShape,
        classes,
        parameters: model.parameters().reduce((n, p) => n + p.size, 0),
      },
      classNames: loaded.classNames,
      preprocessing: { pixelScale: loaded.pixelScale, mean: loaded.pixels.mean, std: loaded.pixels.std },
      options: {
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        lr: opts.lr,
        momentum: opts.momentum,
        weightDecay: opts.weightDecay,
        cropPadding: opts.cropPadding,
        flipP: opts.flipP,
        optimizer: opts.optimizer,
        scheduler: opts.scheduler ?? 'cosine',
        clipGradNorm: opts.clipGradNorm ?? null,
      },
    }),
  );

  // Ctrl-C stops between batches; the state at the start of the interrupted epoch is saved.
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.on('SIGINT', onSigint);
  const capture = (r: {
    epochs: Checkpoint['epochs'];
    timings: Checkpoint['timings'];
    confusion: Checkpoint['confusion'];
  }): Checkpoint => ({
    epoch: r.epochs.length,
    weights: model.stateDict(),
    optimizer: stateDictToPlain(optimizer.stateDict()),
    ...(scheduler !== null ? { scheduler: scheduler.stateDict() } : {}),
    rng: { shuffle: rngs.shuffle.state(), augment: rngs.augment.state(), model: modelRng.state() },
    epochs: [...r.epochs],
    timings: [...r.timings],
    confusion: r.confusion.map((row) => [...row]),
  });
  const save = (c: Checkpoint) => {
    exitIfOrphaned();
    writeCheckpoint(opts.out, c, writeAtomic);
  };
  let epochStart: Checkpoint | null = null;
  const control: LoopControl = {
    startEpoch: (checkpoint?.epoch ?? 0) + 1,
    history: { epochs: checkpoint?.epochs ?? [], timings: checkpoint?.timings ?? [], confusion: checkpoint?.confusion ?? null },
    shouldStop: () => stop,
    // Only the first epoch's start needs a capture of its own: every later one starts from the
    // state the previous epoch's checkpoint just captured.
    onEpochStart: (r) => {
      epochStart ??= capture(r);
    },
    onEpoch: (r) => {
      epochStart = capture(r);
      save(epochStart);
    },
  };
  const progress = new Progress({ log: (line) => console.log(line), liveStream: liveStreamFor(process.stdout) });
  let result;
  try {
    result = await train(model, loaded, classes, opts, rngs, progress, optimizer, control, scheduler);
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (result.interrupted) {
    const done = result.epochs.length;
    if (epochStart !== null) save(epochStart);
    console.log(
      `interrupted during epoch ${done + 1}; checkpoint (after ${plural(done, 'epoch')}) written to ${path.join(opts.out, RUN_FILES.checkpoint)}`,
    );
    console.log(`resume with: tapegrad train --resume ${opts.out}`);
    return 130;
  }
  const final = result.epochs[result.epochs.length - 1];
  console.log(
    `test accuracy ${(100 * final.testAccuracy).toFixed(2)}% (${nTest} images) after ${plural(opts.epochs, 'epoch')}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  // Ctrl-C from here on: the last checkpoint holds every epoch, so --resume writes the results.
  let written = false;
  const onLateSigint = () => {
    if (written) return;
    console.log(
      `interrupted while writing the results; the checkpoint holds all ${plural(opts.epochs, 'epoch')}: tapegrad train --resume ${opts.out} writes them`,
    );
    process.exit(130);
  };
  process.on('SIGINT', onLateSigint);
  try {
    const title = `tapegrad train: ${opts.model} on ${opts.dataset}, seed ${opts.seed}`;
    const graph = await modelGraphSvg(model, loaded.test, title);
    if (graph.error !== null) console.error(`tapegrad train: the graph could not be drawn: ${graph.error}`);
    const report = renderReport({
      title,
      settings: settingsRows(opts, description, loaded),
      epochs: result.epochs,
      timings: result.timings,
      classNames: loaded.classNames,
      confusion: result.confusion,
      filters: firstLayerFilters(model),
      featureMaps: featureMapRows(model, loaded.test, loaded.classNames, FEATURE_MAP_IMAGES),
      graphSvg: graph.svg,
    });
    const metrics = metricsJson({
      dataset: opts.dataset,
      model: opts.model,
      seed: opts.seed,
      hyperparameters: {
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        optimizer: opts.optimizer,
        ...(opts.scheduler !== undefined && opts.scheduler !== 'cosine' ? { scheduler: opts.scheduler } : {}),
        ...(opts.clipGradNorm != null ? { clipGradNorm: opts.clipGradNorm } : {}),
        lr: opts.lr,
        momentum: opts.momentum,
        weightDecay: opts.weightDecay,
        cropPadding: opts.cropPadding,
        flipP: opts.flipP,
      },
      trainExamples: nTrain,
      testExamples: nTest,
      epochs: result.epochs,
      testAccuracy: final.testAccuracy,
      classNames: loaded.classNames,
      confusion: result.confusion,
    });
    const totalSeconds = (performance.now() - started) / 1000;
    exitIfOrphaned();
    const paths = writeRun(opts.out, [
      { name: OUTPUT_FILES.model, content: stateDictToJson(model.stateDict()) },
      { name: OUTPUT_FILES.metrics, content: metrics },
      { name: OUTPUT_FILES.timings, content: timingsJson({ epochs: result.timings, totalSeconds }) },
      { name: OUTPUT_FILES.report, content: report },
    ]);
    console.log(
      `wrote ${[path.join(opts.out, RUN_FILES.spec), path.join(opts.out, RUN_FILES.checkpoint), path.join(opts.out, RUN_FILES.checkpointTensors), ...paths].map((p) => path.relative(process.cwd(), p) || p).join(', ')}`,
    );
    written = true;
    return 0;
  } finally {
    process.off('SIGINT', onLateSigint);
  }
}

/** `tapegrad train --model <family>` (and its --resume): the training session does the work; this shell wires Ctrl-C and the terminal. */
async function trainFamily(opts: FamilyTrainOptions): Promise<number> {
  const { family, threads, ...options } = opts;
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.on('SIGINT', onSigint);
  try {
    return await trainSession(FAMILIES[family], options, {
      log: (line) => console.log(line),
      liveStream: liveStreamFor(process.stdout),
      shouldStop: () => stop,
      beforeWrite: exitIfOrphaned,
      kernels: describeBackend(),
    });
  } catch (e) {
    if (e instanceof SessionSetupError) {
      // Families name themselves in their messages ('gan: …'); say it once.
      console.error(`tapegrad train: --model ${e.message.startsWith(`${family}: `) ? e.message : `${family}: ${e.message}`}`);
      return 2;
    }
    // A checkpoint that does not fit the run is the user's to fix, like a bad argument.
    if (e instanceof CheckpointRefusedError) {
      console.error(`tapegrad train: --resume ${opts.resumeFrom}: ${(e as Error).message}`);
      return 2;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
