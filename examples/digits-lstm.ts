/**
 * @file An LSTM that reads each 8×8 digit row by row — 8 steps of 8 pixels — and classifies it from
 * its last hidden state, as a PyTorch user writes it: a TensorDataset and DataLoader, nn.LSTM with
 * batchFirst, a Linear head, Adam with a 1cycle schedule, cross-entropy. What `tapegrad train
 * --model lstm` trains (src/train/families/recurrent-digits.ts; its PyTorch mirror is
 * examples/torch/digits_rnn.py).
 *
 * Run: npx ts-node examples/digits-lstm.ts   (about a minute; TAPEGRAD_SMOKE=1: 2 epochs on 300 images)
 */
import * as tg from '../src';

const { nn, optim, data } = tg;

/** Rows of an image as a sequence: [N, 1, 8, 8] → LSTM over 8 steps of 8 features → Linear(hidden → 10). */
export class DigitsLstm extends nn.Module {
  readonly lstm: tg.nn.LSTM;
  readonly fc: tg.nn.Linear;

  constructor(hidden = 64, rng?: tg.Rng) {
    super();
    this.lstm = new nn.LSTM(8, hidden, { batchFirst: true, rng });
    this.fc = new nn.Linear(hidden, 10, { rng });
  }

  forward(x: tg.Tensor): tg.Tensor {
    const [, [h]] = this.lstm.forward(x.reshape([x.shape[0], 8, 8])); // h: [layers, N, hidden]
    return this.fc.forward(tg.index(h, -1)); // the last layer's final hidden state
  }
}

export function main(opts: { smoke?: boolean; log?: (line: string) => void } = {}): { testAccuracy: number; seconds: number } {
  const log = opts.log ?? console.log;
  const rng = tg.rng(0);
  let { train, test } = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng });
  if (opts.smoke)
    train = data.gather(
      train,
      Array.from({ length: 300 }, (_, i) => i),
    );
  // Standardise with the training pixels' mean and standard deviation.
  const mean = train.images.mean().item();
  const std = tg.std(train.images, undefined, { correction: 0 }).item();
  const standardise = (x: tg.Tensor) => x.sub(mean).div(std);
  const loader = new data.DataLoader(new data.TensorDataset(standardise(train.images), tg.tensor(train.labels, { dtype: 'int32' })), {
    batchSize: 32,
    shuffle: true,
    rng,
  });
  const model = new DigitsLstm(64, rng);
  const epochs = opts.smoke ? 2 : 15;
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const scheduler = new optim.lrScheduler.OneCycleLR(optimizer, { maxLr: 0.01, totalSteps: epochs * loader.length });
  const testImages = standardise(test.images);
  const testLabels = tg.tensor(test.labels, { dtype: 'int32' });
  const start = performance.now();
  let testAccuracy = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let lossSum = 0;
    for (const [x, y] of loader) {
      const loss = tg.crossEntropy(model.forward(x), y);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      scheduler.step();
      lossSum += loss.item();
    }
    model.eval();
    const logits = tg.noGrad(() => model.forward(testImages));
    testAccuracy = tg.argmax(logits, 1).eq(testLabels).to('float32').mean().item();
    log(`epoch ${epoch}: train loss ${(lossSum / loader.length).toFixed(3)}, test accuracy ${(100 * testAccuracy).toFixed(1)}%`);
  }
  const seconds = (performance.now() - start) / 1000;
  log(
    `${train.labels.length} training sequences, ${epochs} epochs in ${seconds.toFixed(1)} s; test accuracy ${(100 * testAccuracy).toFixed(1)}%`,
  );
  return { testAccuracy, seconds };
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1' });
