/**
 * @file `tapegrad train --model mlp|cnn` (the default run: the digits CNN) as a model family: the
 * classic classifiers of src/train/models.ts on the digits or Fashion-MNIST, trained with SGD (or the
 * optimiser --optimizer names) under the run's learning-rate schedule, one step per mini-batch of a
 * seeded DataLoader, with the random shift and flip of the dataset's augmentation. The session
 * (src/train/session.ts) does everything else, as for every other family.
 *
 * Note [the classic streams]: the family asks the session for the generators the classic loop used
 * before it became a family — 'init' (weights and dropout masks), 'shuffle' and 'augment' — and the
 * split comes from `${seed}:split` (Note [the split comes from the seed] in classify.ts), each drawn
 * in the same order as before. So a seed trains exactly the model it trained before (the README's
 * numbers did not move), and a checkpoint of the older run directory (run.json format 1) continues
 * bit for bit through the session (src/train/classic-run.ts).
 */
import type { LRScheduler } from '../../optim/lr-scheduler';
import type { LoadedData } from '../datasets';
import type { Family, FamilyContext, FamilyOptions, FamilyRun, ReportSection } from '../family';
import { featureMapRows, firstLayerFilters } from '../inspect';
import { buildModel, describeModel } from '../models';
import { DATASETS, DEFAULTS, type DatasetName, type ModelName } from '../options';
import { describeOptimizer, makeOptimizer, makeScheduler } from '../optimizers';
import { filterGrid, type ImageRow, image } from '../report';
import { classifierEpoch, classifierResults, confusionSection, loadClassifierData, misclassifiedSection } from './classify';

/** The test images the report draws with their first-layer feature maps. */
const FEATURE_MAP_IMAGES = 4;

/**
 * Batches per epoch: a last batch of one example would break batch norm, so it is dropped (shuffling
 * drops a different one each epoch).
 */
export function batchesPerEpoch(n: number, batchSize: number): { batches: number; dropLast: boolean } {
  const dropLast = n > 1 && n % batchSize === 1;
  return { batches: dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize), dropLast };
}

/** What a classic run keeps in run.json (`saved`): enough to use the model without loading its data (predict, export). */
export interface ClassicSaved {
  architecture: string;
  imageShape: number[];
  classes: number;
  classNames: string[];
  /** Note [preprocessing] in src/train/run.ts: raw pixel × pixelScale → [0, 1], then (x − mean) / std. */
  pixelScale: number;
  mean: number;
  std: number;
}

function featureMapsHtml(rows: ImageRow[]): string {
  const scale = Math.max(2, Math.round(56 / rows[0].input.width));
  return rows
    .map((r) => {
      const maps = r.maps.map((m, i) => image(m, scale, `${r.label}: feature map ${i}`)).join('');
      return `<div class="maps">${image(r.input, scale, r.label)}<span>→</span>${maps}</div>`;
    })
    .join('\n');
}

function augmentation(opts: FamilyOptions): string {
  const parts = [
    opts.cropPadding > 0 ? `random shift ±${opts.cropPadding} px` : '',
    opts.flipP > 0 ? `horizontal flip p=${opts.flipP}` : '',
  ];
  return parts.filter(Boolean).join(', ') || 'none';
}

/** A classic classifier run (FamilyRun) of `name` on the images `opts` names. */
export function createClassic(name: ModelName, opts: FamilyOptions, ctx: FamilyContext): FamilyRun {
  const loaded: LoadedData = loadClassifierData(name, opts);
  const { train, test, classNames, imageShape, pixels } = loaded;
  const classes = classNames.length;
  // Note [the classic streams]: init, then shuffle and augment, as the classic loop made them.
  const model = buildModel(name, imageShape, classes, ctx.rng('init'));
  const shuffle = ctx.rng('shuffle');
  const augment = ctx.rng('augment');
  const optimizer = makeOptimizer(opts, model.parameters());
  const { batches, dropLast } = batchesPerEpoch(train.labels.length, opts.batchSize);
  const scheduler = makeScheduler(opts, optimizer, opts.epochs * batches);
  const results = classifierResults(model, test, classNames, pixels);

  return {
    modules: { model },
    optimizers: { model: optimizer },
    schedulers: scheduler !== null ? { model: scheduler as unknown as LRScheduler } : {},
    description: describeModel(model),
    dataDescription: `${train.labels.length} train / ${test.labels.length} test images [${imageShape.join(',')}]`,
    optimizerDescription: describeOptimizer(opts),
    settings: [
      ['inputs', `standardised with the training pixels' mean ${pixels.mean.toFixed(4)} and std ${pixels.std.toFixed(4)}`],
      ['augmentation', augmentation(opts)],
    ],
    unit: 'images',
    batchesPerEpoch: batches,
    headline: 'testAccuracy',
    classNames,

    async trainEpoch(_epoch, onBatch) {
      const step = { clipGradNorm: opts.clipGradNorm, scheduler };
      return classifierEpoch(model, optimizer, train, opts, { shuffle, augment }, step, onBatch, { dropLast });
    },

    evaluate: results.evaluate,

    summary() {
      return { trainExamples: train.labels.length, testExamples: test.labels.length, ...results.summary() };
    },

    async report() {
      const r = results.evaluated();
      const sections: ReportSection[] = [confusionSection(classNames, r)];
      const filters = firstLayerFilters(model);
      if (filters !== null && filters.length > 0)
        sections.push({
          title: 'First-layer filters',
          html: `<p class="note">Each filter stretched from its own minimum (black) to maximum (white).</p>\n${filterGrid(filters)}`,
        });
      const maps = featureMapRows(model, test, classNames, FEATURE_MAP_IMAGES);
      if (maps !== null && maps.length > 0)
        sections.push({
          title: 'Feature maps',
          html: `<p class="note">Test images and the first convolution layer's activations (after ReLU).</p>\n${featureMapsHtml(maps)}`,
        });
      sections.push(misclassifiedSection(test, classNames, r));
      return sections;
    },

    spec(): ClassicSaved & Record<string, unknown> {
      return {
        architecture: model.constructor.name,
        imageShape,
        classes,
        classNames,
        pixelScale: loaded.pixelScale,
        mean: pixels.mean,
        std: pixels.std,
      };
    },

    predict: results.predict,
    graphInput: results.graphInput,
  };
}

/** `--model mlp` or `--model cnn`: the dataset's SGD recipe unless the command line says otherwise. */
export function classicFamily(name: ModelName): Family {
  return {
    name,
    datasets: DATASETS,
    defaults: (dataset) => ({ ...DEFAULTS[dataset as DatasetName] }),
    create: (opts, ctx) => createClassic(name, opts, ctx),
  };
}
