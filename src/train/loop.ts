/**
 * @file The training loop: per epoch, shuffled mini-batches with augmentation, cross-entropy, the
 * optimiser's step (after clipping the gradients' norm, if asked) and the learning-rate schedule's
 * (every batch), then
 * a pass over the test set. Every random draw comes from the generators passed in, so one seed
 * gives one run.
 */
import { backward } from '../autograd/grad';
import { noGrad } from '../autograd/mode';
import * as data from '../data';
import type { ImageSet } from '../data';
import { clipGradNorm_ } from '../nn/utils/clip';
import { crossEntropy } from '../ops/loss';
import type { Optimizer } from '../optim/optimizer';
import type { Rng } from '../random/rng';
import type { Tensor } from '../tensor/tensor';
import { addToConfusion, Confusion, emptyConfusion, EpochMetrics, EpochTiming } from './metrics';
import type { Classifier } from './models';
import type { Hyper } from './options';
import type { Progress } from './progress';

export interface LoopRngs {
  shuffle: Rng;
  augment: Rng;
}

export interface TrainResult {
  epochs: EpochMetrics[];
  timings: EpochTiming[];
  /** Of the final model on the test set. */
  confusion: Confusion;
  /** True when shouldStop ended the run before its last epoch. */
  interrupted: boolean;
}

/** How a run continues and reports: where it starts, what came before, and its checkpoint hook. */
export interface LoopControl {
  /** The first epoch to run (1, or the one after a checkpoint's). */
  startEpoch: number;
  /** The metrics and timings of the epochs before startEpoch. */
  history: { epochs: EpochMetrics[]; timings: EpochTiming[]; confusion: Confusion | null };
  /** Called before every epoch with the epochs done so far (the CLI snapshots the state to resume from). */
  onEpochStart(history: TrainResult): void;
  /** Called after every epoch, with everything so far (the CLI writes a checkpoint). */
  onEpoch(result: TrainResult): void;
  /** Checked between batches: true stops the run (SIGINT); the epoch in progress is dropped. */
  shouldStop(): boolean;
}

/** Lets the event loop run (a SIGINT handler, a progress timer) between batches. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

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

/**
 * Batches per epoch: a last batch of one example would break batch norm, so it is dropped (shuffling
 * drops a different one each epoch).
 */
export function batchesPerEpoch(n: number, batchSize: number): { batches: number; dropLast: boolean } {
  const dropLast = n > 1 && n % batchSize === 1;
  return { batches: dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize), dropLast };
}

function augmentBatch(x: Tensor, hyper: Hyper, rng: Rng): Tensor {
  let y = x;
  if (hyper.cropPadding > 0) y = data.augment.randomCrop(y, { padding: hyper.cropPadding, rng });
  if (hyper.flipP > 0) y = data.augment.flipHorizontal(y, { p: hyper.flipP, rng });
  return y;
}

const EVAL_BATCH = 500;

/** Mean loss, accuracy and confusion matrix of `model` on `set`, in eval mode without a graph. */
export function evaluate(model: Classifier, set: ImageSet, classes: number): { loss: number; accuracy: number; confusion: Confusion } {
  const confusion = emptyConfusion(classes);
  let lossSum = 0;
  let correct = 0;
  const n = set.labels.length;
  model.eval();
  noGrad(() => {
    for (const idx of data.batches(n, EVAL_BATCH, { shuffle: false })) {
      const batch = data.gather(set, idx);
      const logits = model.forward(batch.images);
      lossSum += crossEntropy(logits, batch.labels, { reduction: 'sum' }).item();
      const predictions = argmaxRows(logits);
      correct += countCorrect(predictions, batch.labels);
      addToConfusion(confusion, batch.labels, predictions);
    }
  });
  return { loss: lossSum / n, accuracy: correct / n, confusion };
}

export async function train(
  model: Classifier,
  split: { train: ImageSet; test: ImageSet },
  classes: number,
  hyper: Hyper,
  rngs: LoopRngs,
  progress: Progress,
  optimizer: Optimizer,
  control: LoopControl,
  scheduler: { step(): void } | null = null,
): Promise<TrainResult> {
  const n = split.train.labels.length;
  const { batches: totalBatches, dropLast } = batchesPerEpoch(n, hyper.batchSize);
  const epochs: EpochMetrics[] = [...control.history.epochs];
  const timings: EpochTiming[] = [...control.history.timings];
  let confusion = control.history.confusion ?? emptyConfusion(classes);

  for (let epoch = control.startEpoch; epoch <= hyper.epochs; epoch++) {
    control.onEpochStart({ epochs, timings, confusion, interrupted: false });
    model.train();
    progress.startEpoch(epoch, hyper.epochs, totalBatches);
    const start = performance.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    let done = 0;
    for (const idx of data.batches(n, hyper.batchSize, { rng: rngs.shuffle, dropLast })) {
      await yieldToEventLoop();
      if (control.shouldStop()) return { epochs, timings, confusion, interrupted: true };
      const batch = data.gather(split.train, idx);
      const logits = model.forward(augmentBatch(batch.images, hyper, rngs.augment));
      const loss = crossEntropy(logits, batch.labels);
      optimizer.zeroGrad();
      backward(loss);
      if (hyper.clipGradNorm != null) clipGradNorm_(model.parameters(), hyper.clipGradNorm);
      optimizer.step();
      scheduler?.step();
      lossSum += loss.item() * idx.length;
      correct += countCorrect(argmaxRows(logits), batch.labels);
      seen += idx.length;
      done++;
      const seconds = (performance.now() - start) / 1000;
      progress.update(done, { loss: lossSum / seen, accuracy: correct / seen, imagesPerSecond: seen / Math.max(seconds, 1e-9) });
    }
    const trainSeconds = (performance.now() - start) / 1000;
    const testStart = performance.now();
    const test = evaluate(model, split.test, classes);
    const testSeconds = (performance.now() - testStart) / 1000;
    confusion = test.confusion;
    const metrics: EpochMetrics = {
      epoch,
      trainLoss: lossSum / seen,
      trainAccuracy: correct / seen,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
    };
    const timing: EpochTiming = { epoch, trainSeconds, testSeconds, imagesPerSecond: seen / Math.max(trainSeconds, 1e-9) };
    epochs.push(metrics);
    timings.push(timing);
    progress.endEpoch(metrics, timing);
    control.onEpoch({ epochs, timings, confusion, interrupted: false });
  }
  return { epochs, timings, confusion, interrupted: false };
}
