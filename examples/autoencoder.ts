/**
 * @file A convolutional autoencoder on the bundled 8×8 digits, written as a PyTorch user would write
 * it: conv + max pooling down to a small code, ConvTranspose2d back up, a sigmoid output, MSE against
 * the input itself, a DataLoader, Adam and a cosine schedule. It prints the test reconstruction error
 * beside the error of always answering with the mean training image: the bar any autoencoder must clear.
 * `tapegrad train --model autoencoder` trains the same network (src/train/families/autoencoder.ts).
 *
 * Run: npx ts-node examples/autoencoder.ts   (about 15 s; TAPEGRAD_SMOKE=1: 3 epochs)
 */
import * as tg from '../src';

const { nn, optim, data } = tg;

/** [1,8,8] → conv 32 → pool → conv 16 → pool → code [16,2,2] → ConvTranspose2d ×2 → sigmoid → [1,8,8]. */
export function buildAutoencoder(rng: tg.Rng): tg.nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1, rng }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 16, 3, { padding: 1, rng }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.ConvTranspose2d(16, 32, 2, { stride: 2, rng }),
    new nn.ReLU(),
    new nn.ConvTranspose2d(32, 1, 2, { stride: 2, rng }),
    new nn.Sigmoid(),
  );
}

export interface AutoencoderResult {
  /** The test reconstruction MSE per pixel. */
  testMse: number;
  /** The test MSE of always predicting the mean training image. */
  meanImageMse: number;
  seconds: number;
}

export function main(opts: { smoke?: boolean; log?: (line: string) => void } = {}): AutoencoderResult {
  const log = opts.log ?? console.log;
  const rng = tg.rng(0);
  // Pixels in [0, 1], as the sigmoid output: no standardisation.
  const { train, test } = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng });
  const loader = new data.DataLoader(new data.TensorDataset(train.images), { batchSize: 32, shuffle: true, rng });
  const model = buildAutoencoder(rng);
  const epochs = opts.smoke ? 3 : 60;
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: epochs * loader.length });

  // The baseline: every test image answered with the mean training image.
  const meanImage = tg.mean(train.images, 0, true);
  const meanImageMse = tg.mseLoss(tg.expand(meanImage, test.images.shape), test.images).item();

  const start = performance.now();
  let testMse = NaN;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let lossSum = 0;
    for (const [x] of loader) {
      const loss = tg.mseLoss(model.forward(x), x); // the target is the input
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      scheduler.step();
      lossSum += loss.item();
    }
    model.eval();
    testMse = tg.noGrad(() => tg.mseLoss(model.forward(test.images), test.images).item());
    if (epoch % 10 === 0 || epoch === epochs) {
      log(`epoch ${epoch}: train MSE ${(lossSum / loader.length).toFixed(4)}, test MSE ${testMse.toFixed(4)}`);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  log(`test MSE ${testMse.toFixed(4)} against ${meanImageMse.toFixed(4)} for the mean training image (${seconds.toFixed(1)} s)`);
  return { testMse, meanImageMse, seconds };
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1' });
