/**
 * @file The tutorial's three defences against over-fitting — dropout, L2 regularisation and data
 * augmentation — on the digits CNN of digits-cnn.ts, trained on a deliberately small training set
 * (200 images, so that over-fitting shows), each alone and all together, with train and test
 * accuracy and loss side by side. Batch norm, a regulariser of its own, is left out.
 *
 * L2 is written as the tutorial writes it: 0.5·λ·Σw² added to the loss (tg.l2Penalty), whose
 * gradient λ·w is what `new optim.SGD(params, { weightDecay: λ })` adds for you.
 *
 * How to read the table: without regularisation the net fits its 200 images perfectly, with a
 * training loss near zero — it has memorised them — and its test loss is much higher: it is
 * confidently wrong on the test images it misclassifies. Each defence makes the training set
 * harder to memorise (training loss up); the question is whether the test numbers improve. On
 * these small, centred digits accuracy moves by a point or two, about as much as it moves between
 * seeds, which is why every setting is trained from three seeds and the means are shown.
 *
 * Run: npx ts-node examples/regularisation.ts   (a few minutes; TAPEGRAD_SMOKE=1: a tiny run)
 */
import * as tg from '../src';
import { accuracy, buildNet } from './digits-cnn';

const { optim, data } = tg;

interface Setting {
  name: string;
  dropout: number;
  lambda: number;
  augment: boolean;
}

const SETTINGS: Setting[] = [
  { name: 'none', dropout: 0, lambda: 0, augment: false },
  { name: 'dropout 0.5', dropout: 0.5, lambda: 0, augment: false },
  { name: 'L2 λ=1e-3', dropout: 0, lambda: 1e-3, augment: false },
  { name: 'augmentation', dropout: 0, lambda: 0, augment: true },
  { name: 'all three', dropout: 0.5, lambda: 1e-3, augment: true },
];

interface Scores {
  trainAccuracy: number;
  testAccuracy: number;
  trainLoss: number;
  testLoss: number;
}

export interface SettingResult extends Scores {
  name: string;
  /** Test accuracy of each seed (the other numbers are means over the seeds). */
  testAccuracies: number[];
}

/** Mean cross-entropy on a whole set, in eval mode without a graph. */
function meanLoss(model: tg.nn.Module, set: tg.data.ImageSet): number {
  model.eval();
  return tg.noGrad(() => tg.crossEntropy(model.forward(set.images), set.labels).item());
}

function trainOne(s: Setting, train: tg.data.ImageSet, test: tg.data.ImageSet, epochs: number, seed: number): Scores {
  const rng = tg.rng(`regularisation-${seed}`); // per seed, the same initial weights and batches for every setting
  const model = buildNet({ dropout: s.dropout, batchNorm: false, rng });
  // Convolution and linear weights are penalised; biases usually are not.
  const weights = model
    .namedParameters()
    .filter(([name, p]) => name.endsWith('weight') && p.ndim > 1)
    .map(([, p]) => p);
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.train();
    for (const idx of data.batches(train.labels.length, 32, { rng })) {
      const batch = data.gather(train, idx);
      // The tutorial's "random shifts of RGB values": each image's brightness moves by up to ±0.2.
      // (Random crops, which shift the picture, hurt here: these digits are centred, and at 8×8
      // one pixel is an eighth of the image.)
      const x = s.augment ? data.augment.rgbShift(batch.images, { amount: 0.2, rng }) : batch.images;
      let loss = tg.crossEntropy(model.forward(x), batch.labels);
      if (s.lambda > 0) loss = loss.add(tg.l2Penalty(weights, s.lambda));
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
    }
  }
  return {
    trainAccuracy: accuracy(model, train),
    testAccuracy: accuracy(model, test),
    trainLoss: meanLoss(model, train),
    testLoss: meanLoss(model, test),
  };
}

export function main(opts: { smoke?: boolean; log?: (line: string) => void } = {}): SettingResult[] {
  const log = opts.log ?? console.log;
  const { train: all, test } = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng: tg.rng(0) });
  const trainSize = opts.smoke ? 64 : 200;
  const train = data.gather(
    all,
    Array.from({ length: trainSize }, (_, i) => i),
  );
  const epochs = opts.smoke ? 2 : 30;
  const seeds = opts.smoke ? [0] : [0, 1, 2];
  log(`${trainSize} training images, ${test.labels.length} test images, ${epochs} epochs; means of ${seeds.length} seeds\n`);
  log(`${'regularisation'.padEnd(14)}  train acc  test acc   train loss  test loss   test acc per seed`);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const results: SettingResult[] = [];
  for (const s of opts.smoke ? [SETTINGS[0], SETTINGS[SETTINGS.length - 1]] : SETTINGS) {
    const runs = seeds.map((seed) => trainOne(s, train, test, epochs, seed));
    const mean = (key: keyof Scores) => runs.reduce((sum, r) => sum + r[key], 0) / runs.length;
    const r: SettingResult = {
      name: s.name,
      trainAccuracy: mean('trainAccuracy'),
      testAccuracy: mean('testAccuracy'),
      trainLoss: mean('trainLoss'),
      testLoss: mean('testLoss'),
      testAccuracies: runs.map((x) => x.testAccuracy),
    };
    log(
      `${r.name.padEnd(14)}  ${pct(r.trainAccuracy).padStart(9)}  ${pct(r.testAccuracy).padStart(8)}  ` +
        `${r.trainLoss.toFixed(3).padStart(11)}  ${r.testLoss.toFixed(3).padStart(9)}   ${r.testAccuracies.map(pct).join(' ')}`,
    );
    results.push(r);
  }
  return results;
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1' });
