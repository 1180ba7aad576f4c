/**
 * @file The two datasets `tapegrad train` knows: the shipped digits (split 80/20 with the run's
 * seed) and MNIST-format IDX files with their own train and t10k parts.
 */
import * as data from '../data';
import type { ImageSet } from '../data';
import type { Rng } from '../random/rng';
import type { Tensor } from '../tensor/tensor';
import type { IdxFiles } from './idx-files';
import type { DatasetName } from './options';

export interface LoadedData {
  train: ImageSet;
  test: ImageSet;
  classNames: string[];
  /** [C,H,W] of one image. */
  imageShape: number[];
  /** The training pixels' mean and standard deviation, which both splits were standardised with. */
  pixels: { mean: number; std: number };
  /** What maps a raw pixel (0…16 digits, 0…255 IDX) into [0, 1], as the loaders do. */
  pixelScale: number;
}

const DIGIT_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const FASHION_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The first `limit` items (all when limit is null). */
function head(set: ImageSet, limit: number | null): ImageSet {
  if (limit === null || limit >= set.labels.length) return set;
  return data.gather(
    set,
    Int32Array.from({ length: limit }, (_, i) => i),
  );
}

/**
 * Shifts and scales both splits by the training pixels' mean and standard deviation (in place), as
 * torchvision's Normalize does: zero-centred inputs let plain SGD take larger steps from the start.
 */
function standardize(train: ImageSet, test: ImageSet, given?: { mean: number; std: number }): { mean: number; std: number } {
  const stats = given ?? pixelStats(train.images);
  for (const set of [train, test]) standardizeInPlace(set.images, stats);
  return stats;
}

/** The mean and (population) standard deviation of the pixels, in float64. */
function pixelStats(images: Tensor): { mean: number; std: number } {
  const x = images.data;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = sum / x.length;
  let squares = 0;
  for (let i = 0; i < x.length; i++) squares += (x[i] - mean) ** 2;
  return { mean, std: Math.sqrt(squares / x.length) || 1 };
}

/**
 * (x − mean) / std, element by element, computed in float64 and rounded once: the one formula
 * training, eval, predict and loadRun all use, so a saved model sees the same bits it was trained on.
 */
export function standardizeInPlace(images: Tensor, stats: { mean: number; std: number }): Tensor {
  const d = images.data;
  for (let i = 0; i < d.length; i++) d[i] = (d[i] - stats.mean) / stats.std;
  return images;
}

/** What picks a run's data: the dataset, its files, the example limit (a run's options or a run.json). */
export interface DataChoice {
  dataset: DatasetName;
  idxFiles: IdxFiles | null;
  limit: number | null;
}

/**
 * Loads the dataset `opts` names; the digits split is drawn from `splitRng`. Both splits are
 * standardised with `stats` when given (a saved run's), else with the training pixels' own.
 */
export function loadDataset(opts: DataChoice, splitRng: Rng, stats?: { mean: number; std: number }): LoadedData {
  let train: ImageSet;
  let test: ImageSet;
  let classNames: string[];
  if (opts.dataset === 'digits') {
    ({ train, test } = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng: splitRng }));
    classNames = DIGIT_NAMES;
  } else {
    const files = opts.idxFiles!;
    train = data.loadIdx(files.trainImages, files.trainLabels);
    test = data.loadIdx(files.testImages, files.testLabels);
    classNames = FASHION_NAMES;
  }
  // Labels beyond the known names (another IDX dataset) are named by their number.
  let classes = classNames.length;
  for (const set of [train, test]) for (const l of set.labels) classes = Math.max(classes, l + 1);
  classNames = Array.from({ length: classes }, (_, i) => classNames[i] ?? String(i));
  train = head(train, opts.limit);
  test = head(test, opts.limit);
  const pixels = standardize(train, test, stats);
  return {
    train,
    test,
    classNames,
    imageShape: train.images.shape.slice(1),
    pixels,
    pixelScale: opts.dataset === 'digits' ? 1 / 16 : 1 / 255,
  };
}
