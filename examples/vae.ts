/**
 * @file A convolutional variational autoencoder on the bundled 8×8 digits, written as a PyTorch user
 * would write it: an encoder to the posterior's mu and logvar, the reparameterisation
 * z = mu + eps·exp(logvar/2), a decoder to pixel logits, and the loss BCE (summed over the pixels)
 * + KL(q(z|x) ‖ N(0, I)), per image; a DataLoader, Adam and a cosine schedule. After training it
 * decodes draws from N(0, I) into new digits and, given a path, saves them as a PNG grid.
 * `tapegrad train --model vae` trains the same network (src/train/families/autoencoder.ts).
 *
 * Run: npx ts-node examples/vae.ts [samples.png]   (about 40 s; TAPEGRAD_SMOKE=1: 5 epochs)
 */
import * as tg from '../src';

const { nn, optim, data } = tg;

export class Vae extends nn.Module<tg.Tensor, [tg.Tensor, tg.Tensor, tg.Tensor]> {
  readonly encoder: tg.nn.Sequential;
  readonly mu: tg.nn.Linear;
  readonly logvar: tg.nn.Linear;
  readonly decoder: tg.nn.Sequential;

  constructor(
    readonly latent: number,
    private readonly rng: tg.Rng,
  ) {
    super();
    this.encoder = new nn.Sequential(
      new nn.Conv2d(1, 16, 3, { padding: 1, rng }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(16, 32, 3, { padding: 1, rng }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
    );
    this.mu = new nn.Linear(32 * 2 * 2, latent, { rng });
    this.logvar = new nn.Linear(32 * 2 * 2, latent, { rng });
    this.decoder = new nn.Sequential(
      new nn.Linear(latent, 32 * 2 * 2, { rng }),
      new nn.ReLU(),
      new nn.Unflatten(1, [32, 2, 2]),
      new nn.ConvTranspose2d(32, 16, 2, { stride: 2, rng }),
      new nn.ReLU(),
      new nn.ConvTranspose2d(16, 1, 2, { stride: 2, rng }),
    );
  }

  /** [logits, mu, logvar]: z is sampled while training and is mu in eval mode. */
  forward(x: tg.Tensor): [tg.Tensor, tg.Tensor, tg.Tensor] {
    const h = this.encoder.forward(x);
    const mu = this.mu.forward(h);
    const logvar = this.logvar.forward(h);
    const z = this.training ? mu.add(tg.randn(mu.shape, { rng: this.rng }).mul(logvar.mul(0.5).exp())) : mu;
    return [this.decoder.forward(z), mu, logvar];
  }
}

/** (BCE summed over the pixels + KL(N(mu, σ²) ‖ N(0, I))) per image. */
export function vaeLoss(logits: tg.Tensor, mu: tg.Tensor, logvar: tg.Tensor, x: tg.Tensor): tg.Tensor {
  const reconstruction = tg.bceWithLogits(logits, x, { reduction: 'sum' });
  const kl = tg.sum(tg.add(1, logvar).sub(mu.mul(mu)).sub(logvar.exp())).mul(-0.5);
  return reconstruction.add(kl).div(x.shape[0]);
}

export interface VaeResult {
  /** The test loss per image (nats), with z = mu. */
  testLoss: number;
  /** The test reconstruction MSE per pixel, and that of always predicting the mean training image. */
  testMse: number;
  meanImageMse: number;
  /** 64 decoded draws from N(0, I), [64,1,8,8] in [0, 1]. */
  samples: tg.Tensor;
}

export function main(opts: { smoke?: boolean; out?: string; log?: (line: string) => void } = {}): VaeResult {
  const log = opts.log ?? console.log;
  const rng = tg.rng(0);
  const { train, test } = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng });
  const loader = new data.DataLoader(new data.TensorDataset(train.images), { batchSize: 16, shuffle: true, rng });
  const model = new Vae(8, rng);
  const epochs = opts.smoke ? 5 : 60;
  const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
  const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: epochs * loader.length });

  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let lossSum = 0;
    for (const [x] of loader) {
      const [logits, mu, logvar] = model.forward(x);
      const loss = vaeLoss(logits, mu, logvar, x);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      scheduler.step();
      lossSum += loss.item();
    }
    if (epoch % 10 === 0 || epoch === epochs) log(`epoch ${epoch}: train loss ${(lossSum / loader.length).toFixed(2)} nats per image`);
  }

  model.eval();
  const { testLoss, testMse, samples } = tg.noGrad(() => {
    const [logits, mu, logvar] = model.forward(test.images);
    const reconstruction = logits.sigmoid();
    return {
      testLoss: vaeLoss(logits, mu, logvar, test.images).item(),
      testMse: tg.mseLoss(reconstruction, test.images).item(),
      samples: model.decoder.forward(tg.randn([64, model.latent], { rng })).sigmoid(),
    };
  });
  const meanImage = tg.expand(tg.mean(train.images, 0, true), test.images.shape);
  const meanImageMse = tg.mseLoss(meanImage, test.images).item();
  log(
    `test loss ${testLoss.toFixed(2)} nats per image; test MSE ${testMse.toFixed(4)} against ${meanImageMse.toFixed(4)} for the mean image`,
  );
  if (opts.out) {
    tg.viz.saveImage(samples, opts.out, { nrow: 8 });
    log(`64 samples from N(0, I) written to ${opts.out}`);
  }
  return { testLoss, testMse, meanImageMse, samples };
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1', out: process.argv[2] });
