/**
 * @file `tapegrad train`: validates every argument first, loads the data, trains with a progress
 * bar and a table per epoch, and only then writes the model, metrics.json, timings.json and
 * report.html into --out — so a bad argument or a failed run leaves nothing behind.
 */
import * as path from 'node:path';
import { backend } from '../kernels';
import { Rng, rng } from '../random/rng';
import { stateDictToJson } from '../nn';
import { LoadedData, loadDataset } from '../train/datasets';
import { featureMapRows, firstLayerFilters, modelGraphSvg } from '../train/inspect';
import { train } from '../train/loop';
import { metricsJson, timingsJson } from '../train/metrics';
import { buildModel, describeModel } from '../train/models';
import { HELP, parseTrainArgs, TrainOptions, UsageError } from '../train/options';
import { writeRun } from '../train/output';
import { liveStreamFor, Progress } from '../train/progress';
import { renderReport } from '../train/report';

/** File names inside --out. */
export const OUTPUT_FILES = { model: 'model.json', metrics: 'metrics.json', timings: 'timings.json', report: 'report.html' } as const;

const FEATURE_MAP_IMAGES = 4;

function settingsRows(o: TrainOptions, model: string, loaded: LoadedData): [string, string][] {
  return [
    ['dataset', o.dataDir === null ? o.dataset : `${o.dataset} (${o.dataDir})`],
    ['examples', `${loaded.train.labels.length} train, ${loaded.test.labels.length} test`],
    ['inputs', `standardised with the training pixels' mean ${loaded.pixels.mean.toFixed(4)} and std ${loaded.pixels.std.toFixed(4)}`],
    ['model', `${o.model}: ${model}`],
    ['epochs', String(o.epochs)],
    ['batch size', String(o.batchSize)],
    ['optimiser', `SGD, lr ${o.lr} (cosine decay, stepped every batch), momentum ${o.momentum}, weight decay ${o.weightDecay}`],
    ['augmentation', [o.cropPadding > 0 ? `random shift ±${o.cropPadding} px` : '', o.flipP > 0 ? `horizontal flip p=${o.flipP}` : ''].filter(Boolean).join(', ') || 'none'],
    ['seed', String(o.seed)],
    ['output', o.out],
  ];
}

/** The run's generator for one purpose; separate streams, so e.g. changing the augmentation does not reshuffle the split. */
export function runRng(seed: number, purpose: 'split' | 'init' | 'shuffle' | 'augment'): Rng {
  return rng(`${seed}:${purpose}`);
}

/** Parses the arguments; a number is the exit status when there is nothing to train (help, bad input). */
function options(args: string[]): TrainOptions | number {
  try {
    const parsed = parseTrainArgs(args);
    if (parsed !== 'help') return parsed;
    console.log(HELP);
    return 0;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`tapegrad train: ${e.message}`);
    return 2;
  }
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

  const started = performance.now();
  const loaded = loadDataset(opts, runRng(opts.seed, 'split'));
  const classes = loaded.classNames.length;
  const model = buildModel(opts.model, loaded.imageShape, classes, runRng(opts.seed, 'init'));
  const description = describeModel(model);
  const nTrain = loaded.train.labels.length;
  const nTest = loaded.test.labels.length;
  console.log(`tapegrad train: ${opts.dataset}, ${nTrain} train / ${nTest} test images [${loaded.imageShape.join(',')}], ${opts.model} = ${description}`);
  console.log(`kernels: ${describeBackend()}`);
  console.log(`${plural(opts.epochs, 'epoch')}, batch ${opts.batchSize}, SGD lr ${opts.lr} momentum ${opts.momentum} weight decay ${opts.weightDecay}, seed ${opts.seed}`);

  const progress = new Progress({ log: (line) => console.log(line), liveStream: liveStreamFor(process.stdout) });
  const result = train(model, loaded, classes, opts, { shuffle: runRng(opts.seed, 'shuffle'), augment: runRng(opts.seed, 'augment') }, progress);
  const final = result.epochs[result.epochs.length - 1];
  console.log(`test accuracy ${(100 * final.testAccuracy).toFixed(2)}% (${nTest} images) after ${plural(opts.epochs, 'epoch')}, ${((performance.now() - started) / 1000).toFixed(1)} s`);

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
    hyperparameters: { epochs: opts.epochs, batchSize: opts.batchSize, lr: opts.lr, momentum: opts.momentum, weightDecay: opts.weightDecay, cropPadding: opts.cropPadding, flipP: opts.flipP },
    trainExamples: nTrain,
    testExamples: nTest,
    epochs: result.epochs,
    testAccuracy: final.testAccuracy,
    classNames: loaded.classNames,
    confusion: result.confusion,
  });
  const totalSeconds = (performance.now() - started) / 1000;
  const written = writeRun(opts.out, [
    { name: OUTPUT_FILES.model, content: stateDictToJson(model.stateDict()) },
    { name: OUTPUT_FILES.metrics, content: metrics },
    { name: OUTPUT_FILES.timings, content: timingsJson({ epochs: result.timings, totalSeconds }) },
    { name: OUTPUT_FILES.report, content: report },
  ]);
  console.log(`wrote ${written.map((p) => path.relative(process.cwd(), p) || p).join(', ')}`);
  return 0;
}
