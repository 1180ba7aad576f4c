/**
 * @file The two datasets `tapegrad train` knows: the shipped digits (split 80/20 with the run's
 * seed) and MNIST-format IDX files with their own train and t10k parts.
 */
import * as data from '../data';
import type { Dataset } from '../data';
import type { Rng } from '../random/rng';
import type { TrainOptions } from './options';

export interface LoadedData {
  train: Dataset;
  test: Dataset;
  classNames: string[];
  /** [C,H,W] of one image. */
  imageShape: number[];
  /** The training pixels' mean and standard deviation, which both splits were standardised with. */
  pixels: { mean: number; std: number };
}

const DIGIT_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const FASHION_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The first `limit` items (all when limit is null). */
function head(set: Dataset, limit: number | null): Dataset {
  if (limit === null || limit >= set.labels.length) return set;
  return data.gather(set, Int32Array.from({ length: limit }, (_, i) => i));
}

/**
 * Shifts and scales both splits by the training pixels' mean and standard deviation (in place), as
 * torchvision's Normalize does: zero-centred inputs let plain SGD take larger steps from the start.
 */
function standardize(train: Dataset, test: Dataset): { mean: number; std: number } {
  const x = train.images.data;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const mean = sum / x.length;
  let squares = 0;
  for (let i = 0; i < x.length; i++) squares += (x[i] - mean) ** 2;
  const std = Math.sqrt(squares / x.length) || 1;
  for (const set of [train, test]) {
    const d = set.images.data;
    for (let i = 0; i < d.length; i++) d[i] = (d[i] - mean) / std;
  }
  return { mean, std };
}

/** Loads the dataset `opts` names; the digits split is drawn from `splitRng`. */
export function loadDataset(opts: TrainOptions, splitRng: Rng): LoadedData {
  let train: Dataset;
  let test: Dataset;
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
  const pixels = standardize(train, test);
  return { train, test, classNames, imageShape: train.images.shape.slice(1), pixels };
}
