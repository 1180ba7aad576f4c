/**
 * @file What the classifier families (the recurrent digit classifiers and the deep belief network)
 * share: their data (the same split `--model cnn` trains on), one optimisation step on a batch, one
 * epoch of mini-batches with the session's progress hook, the test-set evaluation (loss, accuracy,
 * confusion matrix, every prediction) and the report's confusion matrix and misclassified images.
 *
 * Note [the split comes from the seed]: the digits' 80/20 split is drawn from a generator made from
 * the run's seed alone (`${seed}:split`, as `--model cnn` draws it), not from a session generator
 * whose state a checkpoint restores: a family is rebuilt from its options (Note [a family is rebuilt
 * from its options] in src/train/family.ts), so `eval`, `predict` and `--resume` must see exactly the
 * split training saw, and every classifier of one seed is tested on the same images.
 */
import { backward } from '../../autograd/grad';
import { noGrad } from '../../autograd/mode';
import * as data from '../../data';
import type { ImageSet } from '../../data';
import { DataLoader, type Dataset } from '../../data/loader';
import type { Module } from '../../nn/module';
import { clipGradNorm_ } from '../../nn/utils/clip';
import { crossEntropy } from '../../ops/loss';
import { softmax } from '../../ops/softmax';
import type { LRScheduler } from '../../optim/lr-scheduler';
import type { Optimizer } from '../../optim/optimizer';
import { rng, Rng } from '../../random/rng';
import { Tensor } from '../../tensor/tensor';
import { escapeXml } from '../chart';
import { loadDataset, LoadedData } from '../datasets';
import type { BatchStats, FamilyOptions, ReportSection } from '../family';
import { findIdxFiles } from '../idx-files';
import { addToConfusion, Confusion, emptyConfusion } from '../metrics';
import type { Hyper } from '../options';
import { confusionTable, image, percent } from '../report';

/** A module from images (or sequences) to logits [N, classes]. */
export type LogitModel = Module<Tensor, Tensor>;

/**
 * The run's images, standardised with the training pixels' mean and std (Note [preprocessing] in
 * src/train/run.ts) or with `stats` when given, split as Note [the split comes from the seed] says.
 * `family` names the model in errors.
 */
export function loadClassifierData(family: string, opts: FamilyOptions, stats?: { mean: number; std: number }): LoadedData {
  if (opts.dataset !== 'digits' && opts.dataset !== 'fashion-mnist') {
    throw new Error(`${family}: cannot classify the dataset '${opts.dataset}' (digits or fashion-mnist)`);
  }
  if (opts.dataset === 'fashion-mnist' && opts.dataDir === null) {
    throw new Error(`${family}: --dataset fashion-mnist needs --data-dir DIR with the MNIST-format IDX files`);
  }
  const idxFiles = opts.dataset === 'fashion-mnist' ? findIdxFiles(opts.dataDir!) : null;
  return loadDataset({ dataset: opts.dataset, idxFiles, limit: opts.limit }, rng(`${opts.seed}:split`), stats);
}

/** Pixels in [0, 1] (as loadDigits / loadIdx give them) standardised as the training images were: a new tensor. */
export function standardised(unit: Tensor, pixels: { mean: number; std: number }): Tensor {
  const out = new Float32Array(unit.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (unit.data[i] - pixels.mean) / pixels.std;
  return new Tensor(out, unit.shape);
}

/** The gradient clipping and schedule that go with each optimiser step. */
export interface StepOptions {
  clipGradNorm?: number | null;
  scheduler?: LRScheduler | { step(): void } | null;
}

/**
 * One optimisation step of a classifier: cross-entropy of `model(x)` against `y`, backward, clipping,
 * the optimiser's step and the schedule's. Returns the loss and the logits (for the running accuracy).
 * The parity tests run exactly this against PyTorch.
 */
export function classifierStep(
  model: LogitModel,
  optimizer: Optimizer,
  x: Tensor,
  y: Int32Array,
  opts: StepOptions = {},
): { loss: number; logits: Tensor } {
  const logits = model.forward(x);
  const loss = crossEntropy(logits, y);
  optimizer.zeroGrad();
  backward(loss);
  if (opts.clipGradNorm != null) clipGradNorm_(model.parameters(), opts.clipGradNorm);
  optimizer.step();
  opts.scheduler?.step();
  return { loss: loss.item(), logits };
}

/** Index of the largest logit in each row of [N,C]. */
export function argmaxRows(logits: Tensor): Int32Array {
  const [n, c] = logits.shape;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits.data[i * c + j] > logits.data[i * c + best]) best = j;
    out[i] = best;
  }
  return out;
}

function countCorrect(predictions: Int32Array, labels: Int32Array): number {
  let n = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) n++;
  return n;
}

/** The random shift and flip of Hyper's cropPadding and flipP, drawn from `augment`. */
export function augmentImages(x: Tensor, hyper: Hyper, augment: Rng): Tensor {
  let y = x;
  if (hyper.cropPadding > 0) y = data.augment.randomCrop(y, { padding: hyper.cropPadding, rng: augment });
  if (hyper.flipP > 0) y = data.augment.flipHorizontal(y, { p: hyper.flipP, rng: augment });
  return y;
}

/**
 * An epoch's shuffled mini-batches of `set` as a DataLoader gives them, a fresh permutation from
 * `shuffle` each time it is iterated.
 *
 * Note [a loader of indices]: the loader's items are the examples' indices and its collate gathers
 * the batch's images at once (data.gather), rather than copying each image out and stacking the
 * copies: the sampler (its seeded permutation, batch size and drop-last rule) is the DataLoader's,
 * the copying is one pass per batch.
 */
export function imageBatches(
  set: ImageSet,
  batchSize: number,
  shuffle: Rng,
  dropLast: boolean,
): DataLoader<number, { idx: number[]; batch: ImageSet }> {
  const indices: Dataset<number> = { length: set.labels.length, get: (i) => i };
  return new DataLoader(indices, {
    batchSize,
    shuffle: true,
    rng: shuffle,
    dropLast,
    collate: (idx) => ({ idx, batch: data.gather(set, idx) }),
  });
}

/**
 * One epoch of shuffled mini-batches through classifierStep, awaiting `onBatch` after each batch (a
 * true answer drops the epoch: null). Returns { trainLoss, trainAccuracy } over the epoch.
 */
export async function classifierEpoch(
  model: LogitModel,
  optimizer: Optimizer,
  set: ImageSet,
  hyper: Hyper,
  rngs: { shuffle: Rng; augment: Rng },
  step: StepOptions,
  onBatch: (done: number, stats: BatchStats) => Promise<boolean>,
  loaderOptions: { dropLast?: boolean } = {},
): Promise<{ trainLoss: number; trainAccuracy: number } | null> {
  model.train();
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let done = 0;
  for (const { idx, batch } of imageBatches(set, hyper.batchSize, rngs.shuffle, loaderOptions.dropLast ?? false)) {
    const x = augmentImages(batch.images, hyper, rngs.augment);
    const { loss, logits } = classifierStep(model, optimizer, x, batch.labels, step);
    lossSum += loss * idx.length;
    correct += countCorrect(argmaxRows(logits), batch.labels);
    seen += idx.length;
    done++;
    if (await onBatch(done, { loss: lossSum / seen, examples: seen, accuracy: correct / seen })) return null;
  }
  return { trainLoss: lossSum / seen, trainAccuracy: correct / seen };
}

/** A classifier's results on a test set. */
export interface ClassifierEvaluation {
  loss: number;
  accuracy: number;
  confusion: Confusion;
  /** The predicted class of every example, and its probability. */
  predictions: Int32Array;
  confidence: Float64Array;
}

const EVAL_BATCH = 500;

/** Mean cross-entropy, accuracy, confusion matrix and every prediction of `model` on `set`, in eval mode without a graph. */
export function evaluateClassifier(model: LogitModel, set: ImageSet, classes: number): ClassifierEvaluation {
  const n = set.labels.length;
  const confusion = emptyConfusion(classes);
  const predictions = new Int32Array(n);
  const confidence = new Float64Array(n);
  let lossSum = 0;
  model.eval();
  noGrad(() => {
    for (const idx of data.batches(n, EVAL_BATCH, { shuffle: false })) {
      const batch = data.gather(set, idx);
      const logits = model.forward(batch.images);
      lossSum += crossEntropy(logits, batch.labels, { reduction: 'sum' }).item();
      const best = argmaxRows(logits);
      const p = softmax(logits, 1);
      addToConfusion(confusion, batch.labels, best);
      idx.forEach((row, i) => {
        predictions[row] = best[i];
        confidence[row] = p.data[i * classes + best[i]];
      });
    }
  });
  return { loss: lossSum / n, accuracy: countCorrect(predictions, set.labels) / n, confusion, predictions, confidence };
}

/** The report's confusion matrix section. */
export function confusionSection(classNames: string[], result: ClassifierEvaluation): ReportSection {
  return {
    title: 'Confusion matrix (test set)',
    html:
      `<p class="summary">Test accuracy <strong>${percent(result.accuracy)}</strong>; rows are the true classes, columns the predictions.</p>\n` +
      confusionTable(classNames, result.confusion),
  };
}

/**
 * Up to `count` misclassified test images (the most confidently wrong first), each with its true
 * class, the prediction and its probability.
 */
export function misclassifiedSection(set: ImageSet, classNames: string[], result: ClassifierEvaluation, count = 12): ReportSection {
  const [, , h, w] = set.images.shape;
  const wrong = Array.from(set.labels.keys())
    .filter((i) => result.predictions[i] !== set.labels[i])
    .sort((a, b) => result.confidence[b] - result.confidence[a] || a - b)
    .slice(0, count);
  if (wrong.length === 0) {
    return { title: 'Misclassified test images', html: '<p class="note">Every test image is classified correctly.</p>' };
  }
  const scale = Math.max(2, Math.round(48 / w));
  const cells = wrong.map((i) => {
    const pixels = set.images.data.subarray(i * h * w, (i + 1) * h * w);
    const caption = `${classNames[set.labels[i]]} → ${classNames[result.predictions[i]]} (${percent(result.confidence[i])})`;
    return `<figure>${image({ width: w, height: h, values: pixels }, scale, `test image ${i}: ${caption}`)}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
  });
  const total = set.labels.length - countCorrect(result.predictions, set.labels);
  return {
    title: 'Misclassified test images',
    html:
      `<p class="note">${wrong.length} of the ${total} misclassified test images, the most confidently wrong first: true class → predicted (its probability).</p>\n` +
      `<div class="filters">${cells.join('')}</div>`,
  };
}

/**
 * What an image classifier family gives the session about its test set, computed once per epoch:
 * `evaluate` (a fresh evaluation: { testLoss, testAccuracy }), `evaluated` (the last one, for the
 * summary and the report), `summary` ({ testAccuracy, classNames, confusion }), `predict` (class
 * probabilities of pixels in [0, 1], standardised with `pixels`) and the graph's input.
 */
export function classifierResults(model: LogitModel, test: ImageSet, classNames: string[], pixels: { mean: number; std: number }) {
  let last: ClassifierEvaluation | null = null;
  const evaluated = (): ClassifierEvaluation => (last ??= evaluateClassifier(model, test, classNames.length));
  return {
    evaluated,
    evaluate(): Record<string, number> {
      last = null;
      const r = evaluated();
      return { testLoss: r.loss, testAccuracy: r.accuracy };
    },
    summary(): Record<string, unknown> {
      const r = evaluated();
      return { testAccuracy: r.accuracy, classNames, confusion: r.confusion };
    },
    predict(images: Tensor): Tensor {
      model.eval();
      return noGrad(() => softmax(model.forward(standardised(images, pixels)), 1));
    },
    graphInput(): { module: Module; input: unknown } {
      return { module: model, input: data.gather(test, [0]).images };
    },
  };
}
