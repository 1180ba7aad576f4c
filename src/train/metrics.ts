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

export interface MetricsFile {
  dataset: string;
  model: string;
  seed: number;
  hyperparameters: Record<string, number | string>;
  trainExamples: number;
  testExamples: number;
  epochs: EpochMetrics[];
  testAccuracy: number;
  classNames: string[];
  confusion: Confusion;
}

export interface TimingsFile {
  epochs: EpochTiming[];
  totalSeconds: number;
}

/** Losses and accuracies rounded to 6 significant digits: stable, readable and still exact enough. */
function round(v: number): number {
  return Number(v.toPrecision(6));
}

export function metricsJson(m: MetricsFile): string {
  const epochs = m.epochs.map((e) => ({
    epoch: e.epoch,
    trainLoss: round(e.trainLoss),
    trainAccuracy: round(e.trainAccuracy),
    testLoss: round(e.testLoss),
    testAccuracy: round(e.testAccuracy),
  }));
  return `${JSON.stringify({ ...m, epochs, testAccuracy: round(m.testAccuracy) }, null, 2)}\n`;
}

export function timingsJson(t: TimingsFile): string {
  const epochs = t.epochs.map((e) => ({
    epoch: e.epoch,
    trainSeconds: round(e.trainSeconds),
    testSeconds: round(e.testSeconds),
    imagesPerSecond: Math.round(e.imagesPerSecond),
  }));
  return `${JSON.stringify({ epochs, totalSeconds: round(t.totalSeconds) }, null, 2)}\n`;
}
