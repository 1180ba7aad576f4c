/**
 * @file What a training run measures, and the two files it is saved in. metrics.json holds only
 * what the seed determines (losses, accuracies, the confusion matrix), so the same seed gives the
 * same file byte for byte; wall-clock times go to timings.json.
 */

export interface EpochMetrics {
  epoch: number;
  /** Mean training loss over the epoch's batches (dropout and augmentation on). */
  trainLoss: number;
  /** Fraction of training examples classified right while training. */
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
}

export interface EpochTiming {
  epoch: number;
  /** Seconds spent in the training pass (the test pass is excluded). */
  trainSeconds: number;
  /** Seconds spent evaluating the test set. */
  testSeconds: number;
  imagesPerSecond: number;
}

/** confusion[t][p] counts test examples of class t predicted as class p. */
export type Confusion = number[][];

export function emptyConfusion(classes: number): Confusion {
  return Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
}

/** Accumulates one batch of predictions into `confusion`. */
export function addToConfusion(confusion: Confusion, targets: ArrayLike<number>, predictions: ArrayLike<number>): void {
  for (let i = 0; i < targets.length; i++) confusion[targets[i]][predictions[i]]++;
}
