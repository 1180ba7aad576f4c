/**
 * @file Datasets in memory — images [N,C,H,W] with integer labels — and the helpers a training loop
 * needs: shuffled index batches, a train/test split, and gathering a batch by indices.
 */
import type { Rng } from '../random/rng';
import { allocate } from '../tensor/dtype';
import { fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { type Dataset, indexOrder, sampleBatches } from './loader';

export interface ImageSet {
  images: Tensor;
  labels: Int32Array;
}

/** An ImageSet that is also a Dataset of (image [C,H,W], label) pairs, so a DataLoader batches it. */
export type ImageDataset = ImageSet & Dataset<[Tensor, number]>;

/**
 * images and labels as an ImageDataset: `length` and `get(i)` are added as non-enumerable
 * properties, so the object still reads (and compares, and spreads) as the plain {images, labels}.
 */
export function imageDataset(images: Tensor, labels: Int32Array): ImageDataset {
  const set = { images, labels } as ImageDataset;
  Object.defineProperties(set, {
    length: { get: () => set.labels.length, enumerable: false },
    get: {
      value: (i: number): [Tensor, number] => {
        const n = set.labels.length;
        if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`get: index ${i} is out of range for ${n} images`);
        const size = sizeOf(set.images.shape.slice(1));
        return [new Tensor(set.images.data.slice(i * size, (i + 1) * size), set.images.shape.slice(1)), set.labels[i]];
      },
      enumerable: false,
    },
  });
  return set;
}

export interface BatchOptions {
  /** Default true: a fresh permutation of 0..n-1, drawn once when batches() is called. */
  shuffle?: boolean;
  rng?: Rng;
  /** Drop the last batch when it is smaller than batchSize (default false, as PyTorch's DataLoader). */
  dropLast?: boolean;
}

function checkCount(op: string, what: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${op}: ${what} must be an integer >= ${min}, got ${v}`);
}

/** Batches of indices into a dataset of n items; every index appears once per pass. The DataLoader's sampler (sampleBatches), drawn when called. */
export function batches(n: number, batchSize: number, opts: BatchOptions = {}): IterableIterator<Int32Array> {
  checkCount('batches', 'n', n, 0);
  checkCount('batches', 'batchSize', batchSize, 1);
  return sampleBatches(n, batchSize, { shuffle: opts.shuffle ?? true, dropLast: opts.dropLast ?? false, rng: opts.rng }).values();
}

/** The items at `indices`, copied: images [k, ...] and their labels. */
export function gather(data: ImageSet, indices: ArrayLike<number>): ImageDataset {
  const { images, labels } = data;
  const n = images.shape[0];
  if (images.ndim === 0 || labels.length !== n) {
    throw new Error(`gather: images ${fmt(images.shape)} and ${labels.length} labels do not describe the same items`);
  }
  const row = sizeOf(images.shape.slice(1));
  const out = allocate(images.dtype, indices.length * row);
  const outLabels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`gather: index ${i} is out of range for ${n} items (images ${fmt(images.shape)})`);
    out.set(images.data.subarray(i * row, (i + 1) * row), k * row);
    outLabels[k] = labels[i];
  }
  return imageDataset(new Tensor(out, [indices.length, ...images.shape.slice(1)]), outLabels);
}

export interface SplitOptions {
  /** Fraction of the items held out for testing (default 0.2); the count is rounded up, as scikit-learn does. */
  testFraction?: number;
  shuffle?: boolean;
  rng?: Rng;
}

/** Splits a dataset into train and test parts (scikit-learn's train_test_split: test first in the permutation). */
export function trainTestSplit(data: ImageSet, opts: SplitOptions = {}): { train: ImageDataset; test: ImageDataset } {
  const fraction = opts.testFraction ?? 0.2;
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`trainTestSplit: testFraction must be in [0,1], got ${fraction}`);
  const n = data.labels.length;
  const order = indexOrder(n, opts.shuffle ?? true, opts.rng);
  const nTest = Math.ceil(n * fraction);
  return { train: gather(data, order.subarray(nTest)), test: gather(data, order.subarray(0, nTest)) };
}
