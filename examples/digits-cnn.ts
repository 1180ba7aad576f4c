/**
 * @file What `tapegrad train` does, as a script of your own: the bundled 8×8 digits, an 80/20 split,
 * a small CNN with batch norm and dropout, SGD with momentum and L2 weight decay, random-shift
 * augmentation, mini-batches, cross-entropy, and test accuracy after each epoch.
 *
 * Run: npx ts-node examples/digits-cnn.ts   (about 30 s; TAPEGRAD_SMOKE=1: the first 20 batches only)
 */
import * as tg from '../src';

const { nn, optim, data } = tg;

/**
 * conv → batch norm → relu → pool, twice (8×8 → 4×4 → 2×2), then a hidden layer with dropout and the
 * output layer. `batchNorm: false` leaves batch norm out (the convolutions get biases instead).
 */
export function buildNet(opts: { dropout?: number; batchNorm?: boolean; rng?: tg.Rng } = {}): tg.nn.Sequential {
  const rng = opts.rng ?? tg.rng('digits-cnn');
  const bn = opts.batchNorm ?? true;
  const block = (inC: number, outC: number) => [
    new nn.Conv2d(inC, outC, 3, { padding: 1, bias: !bn, rng }),
    ...(bn ? [new nn.BatchNorm2d(outC)] : []),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
  ];
  return new nn.Sequential(
    ...block(1, 16),
    ...block(16, 32),
    new nn.Flatten(),
    new nn.Linear(32 * 2 * 2, 64, { rng }),
    new nn.ReLU(),
    new nn.Dropout(opts.dropout ?? 0.25, { rng }),
    new nn.Linear(64, 10, { rng }),
  );
}

/** The fraction of `set` the model classifies correctly, in eval mode and without recording a graph. */
export function accuracy(model: tg.nn.Module, set: tg.data.ImageSet): number {
  model.eval();
  const logits = tg.noGrad(() => model.forward(set.images));
  const labels = tg.tensor(set.labels, { dtype: 'int32' });
  return tg.argmax(logits, 1).eq(labels).to('float32').mean().item();
}

export function main(opts: { smoke?: boolean; log?: (line: string) => void } = {}): { testAccuracy: number; seconds: number } {
  const log = opts.log ?? console.log;
  const rng = tg.rng(0);
  const { train, test } = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng });
  const model = buildNet({ rng });
  const epochs = opts.smoke ? 1 : 12;
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  const start = performance.now();
  let testAccuracy = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    optimizer.lr = (0.05 * (1 + Math.cos((Math.PI * (epoch - 1)) / epochs))) / 2; // cosine schedule
    model.train();
    let lossSum = 0;
    let batchCount = 0;
    for (const idx of data.batches(train.labels.length, 32, { rng })) {
      const batch = data.gather(train, idx);
      const x = data.augment.randomCrop(batch.images, { padding: 1, rng }); // shift by up to a pixel
      const loss = tg.crossEntropy(model.forward(x), batch.labels);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      lossSum += loss.item();
      batchCount++;
      if (opts.smoke && batchCount === 20) break;
    }
    testAccuracy = accuracy(model, test);
    log(`epoch ${epoch}: train loss ${(lossSum / batchCount).toFixed(3)}, test accuracy ${(100 * testAccuracy).toFixed(1)}%`);
  }
  const seconds = (performance.now() - start) / 1000;
  log(
    `${train.labels.length} training images, ${epochs} epochs in ${seconds.toFixed(1)} s; test accuracy ${(100 * testAccuracy).toFixed(1)}%`,
  );
  return { testAccuracy, seconds };
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1' });
