/**
 * @file A DCGAN on the bundled 8×8 digits, as a PyTorch user writes one: a generator of transposed
 * convolutions with batch norm (noise → 2×2 → 4×4 → 8×8, tanh), a discriminator of strided
 * convolutions with LeakyReLU (8×8 → 4×4 → 2×2 → one logit), BCEWithLogitsLoss, and one Adam per
 * network with betas (0.5, 0.999). Each step trains D on real (label 1) and generated (label 0)
 * images, then G to make D say 1. Pixels are scaled to [-1, 1] to match tanh. What
 * `tapegrad train --model gan` runs (src/train/families/gan.ts), in one file.
 *
 * Run: npx ts-node examples/gan.ts [grid.png]   (about 2 minutes; TAPEGRAD_SMOKE=1: 3 epochs)
 */
import * as tg from '../src';

const { nn, optim, data } = tg;

const LATENT = 32;
const WIDTH = 32;

/** DCGAN's init: conv weights N(0, 0.02²), batch-norm weights N(1, 0.02²) and biases 0. */
function weightsInit(model: tg.nn.Module, rng: tg.Rng): void {
  for (const m of model.modules()) {
    if (m instanceof nn.Conv2d || m instanceof nn.ConvTranspose2d) nn.init.normal_(m.weight, 0, 0.02, { rng });
    if (m instanceof nn.BatchNorm2d) {
      nn.init.normal_(m.weight!, 1, 0.02, { rng });
      nn.init.zeros_(m.bias!);
    }
  }
}

export function buildGenerator(rng: tg.Rng): tg.nn.Sequential {
  const g = new nn.Sequential(
    new nn.Unflatten(1, [LATENT, 1, 1]), // z [N, latent] → [N, latent, 1, 1]
    new nn.ConvTranspose2d(LATENT, 2 * WIDTH, 2, { bias: false, rng }), // → 2×2
    new nn.BatchNorm2d(2 * WIDTH),
    new nn.ReLU(),
    new nn.ConvTranspose2d(2 * WIDTH, WIDTH, 4, { stride: 2, padding: 1, bias: false, rng }), // → 4×4
    new nn.BatchNorm2d(WIDTH),
    new nn.ReLU(),
    new nn.ConvTranspose2d(WIDTH, 1, 4, { stride: 2, padding: 1, bias: false, rng }), // → 8×8
    new nn.Tanh(),
  );
  weightsInit(g, rng);
  return g;
}

export function buildDiscriminator(rng: tg.Rng): tg.nn.Sequential {
  const d = new nn.Sequential(
    new nn.Conv2d(1, WIDTH, 4, { stride: 2, padding: 1, bias: false, rng }), // → 4×4
    new nn.LeakyReLU(0.2),
    new nn.Conv2d(WIDTH, 2 * WIDTH, 4, { stride: 2, padding: 1, bias: false, rng }), // → 2×2
    new nn.BatchNorm2d(2 * WIDTH),
    new nn.LeakyReLU(0.2),
    new nn.Conv2d(2 * WIDTH, 1, 2, { bias: false, rng }), // → 1×1
    new nn.Flatten(0), // → [N]
  );
  weightsInit(d, rng);
  return d;
}

export interface GanResult {
  /** The mean D and G losses of the last epoch. */
  dLoss: number;
  gLoss: number;
  /**
   * How far the mean of 64 samples is from the mean digit (root-mean-square over the 64 pixels, in
   * [-1, 1] units), before and after training: a generator that learned anything draws a dark border
   * and a bright middle, as the mean digit has.
   */
  meanImageDistanceBefore: number;
  meanImageDistanceAfter: number;
  /** 64 generated digits [64, 1, 8, 8] in [-1, 1]. */
  samples: tg.Tensor;
  seconds: number;
}

export function main(opts: { smoke?: boolean; grid?: string; log?: (line: string) => void } = {}): GanResult {
  const log = opts.log ?? console.log;
  const rng = tg.rng(0);
  const digits = data.loadDigits();
  const x = digits.images.mul(2).sub(1); // [0, 1] → [-1, 1]
  const loader = new data.DataLoader(new data.TensorDataset(x), { batchSize: 64, shuffle: true, dropLast: true, rng });

  const netG = buildGenerator(rng);
  const netD = buildDiscriminator(rng);
  const criterion = new nn.BCEWithLogitsLoss();
  const optG = new optim.Adam(netG.parameters(), { lr: 2e-3, betas: [0.5, 0.999] });
  const optD = new optim.Adam(netD.parameters(), { lr: 2e-3, betas: [0.5, 0.999] });
  const fixedNoise = tg.randn([64, LATENT], { rng });
  const generate = () => {
    netG.eval();
    return tg.noGrad(() => netG.forward(fixedNoise));
  };
  const meanDigit = x.mean(0);
  const distanceToMeanDigit = (images: tg.Tensor) => images.mean(0).sub(meanDigit).pow(2).mean().sqrt().item();
  const meanImageDistanceBefore = distanceToMeanDigit(generate());

  // The smoke run trains 5 epochs: after 3, how far the samples' mean image had moved toward the mean
  // digit depended on float32 rounding alone — 0.53–0.64 of its starting distance across the kernel
  // builds (TypeScript, plain and relaxed WebAssembly, before and after a change of summation order);
  // after 5, 0.44–0.46 on every one.
  const epochs = opts.smoke ? 5 : 80;
  const start = performance.now();
  let dLoss = 0;
  let gLoss = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    netG.train();
    netD.train();
    let dSum = 0;
    let gSum = 0;
    let steps = 0;
    for (const [real] of loader) {
      const n = real.shape[0];
      const ones = tg.ones([n]);
      const zeros = tg.zeros([n]);
      const fake = netG.forward(tg.randn([n, LATENT], { rng }));

      // (1) D: maximise log D(x) + log(1 − D(G(z))).
      optD.zeroGrad();
      const errD = criterion.forward(netD.forward(real), ones).add(criterion.forward(netD.forward(fake.detach()), zeros));
      errD.backward();
      optD.step();

      // (2) G: maximise log D(G(z)) (the non-saturating loss).
      optG.zeroGrad();
      const errG = criterion.forward(netD.forward(fake), ones);
      errG.backward();
      optG.step();

      dSum += errD.item();
      gSum += errG.item();
      steps++;
    }
    dLoss = dSum / steps;
    gLoss = gSum / steps;
    if (epoch % 10 === 0 || epoch === epochs) log(`epoch ${epoch}: D loss ${dLoss.toFixed(3)}, G loss ${gLoss.toFixed(3)}`);
  }
  const seconds = (performance.now() - start) / 1000;
  const samples = generate();
  const result: GanResult = {
    dLoss,
    gLoss,
    meanImageDistanceBefore,
    meanImageDistanceAfter: distanceToMeanDigit(samples),
    samples,
    seconds,
  };
  log(
    `${epochs} epochs in ${seconds.toFixed(1)} s; the samples' mean image is ${result.meanImageDistanceAfter.toFixed(3)} from the mean digit ` +
      `(${meanImageDistanceBefore.toFixed(3)} before training)`,
  );
  if (opts.grid !== undefined) {
    tg.viz.saveImage(samples, opts.grid, { nrow: 8, normalize: true, valueRange: [-1, 1] });
    log(`wrote ${opts.grid}`);
  }
  return result;
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1', grid: process.argv[2] });
