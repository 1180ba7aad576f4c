/**
 * @file The networks of the `autoencoder` and `vae` families (issue #27): a convolutional
 * autoencoder (conv + pooling down, ConvTranspose2d up, sigmoid out) and a convolutional variational
 * autoencoder (the same shape of encoder ending in mu and logvar, a linear layer and transposed
 * convolutions back to pixel logits), with their losses and the training step the family and its
 * PyTorch parity test share. Layer names are the ones examples/torch/autoencoder.py and vae.py use,
 * so both state dicts have the same keys.
 */
import { backward } from '../../autograd/grad';
import * as nn from '../../nn';
import { clipGradNorm_ } from '../../nn/utils/clip';
import { bceWithLogits } from '../../ops/losses';
import { add, exp, mul, sigmoid, sub } from '../../ops/elementwise';
import { sum } from '../../ops/broadcast';
import { mseLoss } from '../../ops/loss';
import type { LRScheduler } from '../../optim/lr-scheduler';
import type { Optimizer } from '../../optim/optimizer';
import type { Rng } from '../../random/rng';
import { zeros } from '../../tensor/create';
import type { FloatDType } from '../../tensor/dtype';
import { fmt } from '../../tensor/shape';
import type { Tensor } from '../../tensor/tensor';

export interface ImageModelOptions {
  rng: Rng;
  dtype?: FloatDType;
}

/** Checks that two 2×2 poolings and two stride-2 transposed convolutions bring [C,H,W] back to itself. */
function checkImageShape(who: string, image: readonly number[]): [number, number, number] {
  if (image.length !== 3 || !image.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`${who}: expected an image shape [C,H,W], got ${fmt(image)}`);
  }
  const [c, h, w] = image;
  if (h % 4 !== 0 || w % 4 !== 0) {
    throw new Error(`${who}: image height and width must be multiples of 4 (two 2×2 poolings and their inverse), got ${fmt(image)}`);
  }
  return [c, h, w];
}

/**
 * conv 3×3 → ReLU → 2×2 max pool, twice ([C,H,W] → [code,H/4,W/4]), then two ConvTranspose2d of
 * kernel 2 and stride 2 back to [C,H,W] and a sigmoid, so the output is an image in [0, 1]. The
 * code has `code` channels: for the 8×8 digits the family uses 16×2×2 (64 numbers, but two poolings
 * have thrown away where in each 4×4 block a feature was).
 */
export class ConvAutoencoder extends nn.Module {
  readonly encoder: nn.Sequential;
  readonly decoder: nn.Sequential;
  readonly imageShape: readonly number[];

  constructor(image: readonly number[], widths: { hidden: number; code: number }, opts: ImageModelOptions) {
    super();
    const [c] = checkImageShape('ConvAutoencoder', image);
    this.imageShape = [...image];
    const { rng, dtype } = opts;
    this.encoder = new nn.Sequential(
      new nn.Conv2d(c, widths.hidden, 3, { padding: 1, rng, dtype }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(widths.hidden, widths.code, 3, { padding: 1, rng, dtype }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
    );
    this.decoder = new nn.Sequential(
      new nn.ConvTranspose2d(widths.code, widths.hidden, 2, { stride: 2, rng, dtype }),
      new nn.ReLU(),
      new nn.ConvTranspose2d(widths.hidden, c, 2, { stride: 2, rng, dtype }),
      new nn.Sigmoid(),
    );
  }

  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.encoder.forward(x));
  }
}

/** What a VAE computes for a batch: the reconstruction's logits and the posterior's parameters. */
export interface VaeOutput {
  logits: Tensor;
  mu: Tensor;
  logvar: Tensor;
}

/**
 * A convolutional VAE: conv 3×3 → ReLU → pool, twice, flattened into two linear heads `mu` and
 * `logvar` of size `latent`; the decoder maps z through a linear layer and ReLU back to
 * [hidden2,H/4,W/4] and through two ConvTranspose2d (kernel 2, stride 2) to pixel logits.
 *
 * Note [vae logits]: the decoder ends in logits, not a Sigmoid layer, because the reconstruction
 * term is binary cross-entropy and bceWithLogits(logits, x) = −x·logσ(l) − (1−x)·logσ(−l) is exact
 * where BCE of a saturated sigmoid would be clamped (PyTorch's BCELoss clamps the log at −100).
 * `forward` applies the sigmoid, so the module as a whole maps images to images in [0, 1].
 */
export class ConvVae extends nn.Module<Tensor, Tensor> {
  readonly encoder: nn.Sequential;
  readonly mu: nn.Linear;
  readonly logvar: nn.Linear;
  readonly decoder: nn.Sequential;
  readonly imageShape: readonly number[];
  readonly latent: number;

  constructor(image: readonly number[], widths: { hidden: [number, number]; latent: number }, opts: ImageModelOptions) {
    super();
    const [c, h, w] = checkImageShape('ConvVae', image);
    if (!Number.isInteger(widths.latent) || widths.latent < 1)
      throw new Error(`ConvVae: latent size must be a positive integer, got ${widths.latent}`);
    this.imageShape = [...image];
    this.latent = widths.latent;
    const { rng, dtype } = opts;
    const [h1, h2] = widths.hidden;
    const flat = h2 * (h / 4) * (w / 4);
    this.encoder = new nn.Sequential(
      new nn.Conv2d(c, h1, 3, { padding: 1, rng, dtype }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(h1, h2, 3, { padding: 1, rng, dtype }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
    );
    this.mu = new nn.Linear(flat, widths.latent, { rng, dtype });
    this.logvar = new nn.Linear(flat, widths.latent, { rng, dtype });
    this.decoder = new nn.Sequential(
      new nn.Linear(widths.latent, flat, { rng, dtype }),
      new nn.ReLU(),
      new nn.Unflatten(1, [h2, h / 4, w / 4]),
      new nn.ConvTranspose2d(h2, h1, 2, { stride: 2, rng, dtype }),
      new nn.ReLU(),
      new nn.ConvTranspose2d(h1, c, 2, { stride: 2, rng, dtype }),
    );
  }

  /** The posterior q(z|x) = N(mu, exp(logvar)) of each image. */
  encode(x: Tensor): { mu: Tensor; logvar: Tensor } {
    const features = this.encoder.forward(x);
    return { mu: this.mu.forward(features), logvar: this.logvar.forward(features) };
  }

  /** Pixel logits for latent codes z [N,latent] (Note [vae logits]). */
  decode(z: Tensor): Tensor {
    return this.decoder.forward(z);
  }

  /** The reparameterisation z = mu + eps·exp(logvar/2), decoded; eps [N,latent] is the caller's noise. */
  run(x: Tensor, eps: Tensor): VaeOutput {
    const { mu, logvar } = this.encode(x);
    if (eps.shape.length !== 2 || eps.shape[0] !== mu.shape[0] || eps.shape[1] !== this.latent) {
      throw new Error(`ConvVae: noise eps ${fmt(eps.shape)} must be [N,latent] = ${fmt(mu.shape)} (images ${fmt(x.shape)})`);
    }
    const z = add(mu, mul(eps, exp(mul(logvar, 0.5))));
    return { logits: this.decode(z), mu, logvar };
  }

  /**
   * The reconstruction in [0, 1]. Without `eps` it decodes z = mu (the posterior's mean, written as
   * mu + 0·exp(logvar/2) so a drawn graph shows the whole reparameterisation).
   */
  forward(x: Tensor, eps?: Tensor): Tensor {
    const noise = eps ?? zeros([x.shape[0], this.latent], { dtype: x.dtype as FloatDType });
    return sigmoid(this.run(x, noise).logits);
  }
}

/** The VAE's loss terms, each summed over a batch: binary cross-entropy of the pixels and KL(q(z|x) ‖ N(0, I)). */
export function vaeTerms(out: VaeOutput, x: Tensor): { reconstruction: Tensor; kl: Tensor } {
  const reconstruction = bceWithLogits(out.logits, x, { reduction: 'sum' });
  // KL(N(mu, σ²) ‖ N(0, 1)) = −½ Σ (1 + log σ² − mu² − σ²)
  const kl = mul(sum(sub(add(1, out.logvar), add(mul(out.mu, out.mu), exp(out.logvar)))), -0.5);
  return { reconstruction, kl };
}

/** The VAE's loss: (reconstruction + KL) per image, in nats. */
export function vaeLoss(out: VaeOutput, x: Tensor): { loss: Tensor; kl: Tensor } {
  const n = x.shape[0];
  const { reconstruction, kl } = vaeTerms(out, x);
  return { loss: mul(add(reconstruction, kl), 1 / n), kl: mul(kl, 1 / n) };
}

/** What one step needs beside the batch. */
export interface StepTools {
  optimizer: Optimizer;
  scheduler: LRScheduler | null;
  clipGradNorm: number | null;
}

function update(params: Tensor[], loss: Tensor, tools: StepTools): void {
  tools.optimizer.zeroGrad();
  backward(loss);
  if (tools.clipGradNorm != null) clipGradNorm_(params, tools.clipGradNorm);
  tools.optimizer.step();
  tools.scheduler?.step();
}

/** One training step of the autoencoder on images x: MSE of the reconstruction against x. Returns the loss. */
export function autoencoderStep(model: ConvAutoencoder, x: Tensor, tools: StepTools): number {
  const loss = mseLoss(model.forward(x), x);
  update(model.parameters(), loss, tools);
  return loss.item();
}

/** One training step of the VAE on images x with noise eps [N,latent]. Returns the loss and its KL part, per image. */
export function vaeStep(model: ConvVae, x: Tensor, eps: Tensor, tools: StepTools): { loss: number; kl: number } {
  const { loss, kl } = vaeLoss(model.run(x, eps), x);
  update(model.parameters(), loss, tools);
  return { loss: loss.item(), kl: kl.item() };
}
