/**
 * @file The GAN family's two networks, DCGAN-style (Radford et al. 2015, and PyTorch's DCGAN
 * tutorial): a generator of transposed convolutions with batch norm and ReLU ending in tanh, and a
 * discriminator of strided convolutions with batch norm and LeakyReLU(0.2) ending in one logit. Both
 * fit any square side divisible by 4 (8×8 digits: 2 → 4 → 8; 28×28 Fashion-MNIST: 7 → 14 → 28).
 * Each keeps its layers in one `main` Sequential, as the tutorial does, so the state-dict keys are
 * the PyTorch mirror's (examples/torch/gan.py): `main.0.weight`, `main.1.running_mean`, ….
 *
 * Note [GAN pixel range]: the generator ends in tanh and the real images are scaled from
 * [0, 1] to [-1, 1] (2x − 1) before the discriminator sees them, as DCGAN does: tanh's gradient is
 * largest where the pixels are mid-grey and neither saturates at the background (−1) as a sigmoid
 * does at 0. Everything the family writes (samples.idx, PNG grids) maps back with (y + 1) / 2.
 */
import * as nn from '../../nn';
import { normal_, zeros_ } from '../../nn/initializers';
import type { Rng } from '../../random/rng';
import type { Tensor } from '../../tensor/tensor';

export interface GanShape {
  /** The images' side (square, one channel); a multiple of 4. */
  side: number;
  /** The noise vector's length. */
  latent: number;
  /** The narrower layer's channels (the wider one has twice as many). */
  width: number;
}

export interface GanModelOptions {
  rng: Rng;
  dtype?: 'float32' | 'float64';
}

/** Checks a shape both networks are built from, naming what is wrong. */
export function checkGanShape(shape: GanShape): void {
  const { side, latent, width } = shape;
  if (!Number.isInteger(side) || side < 4 || side % 4 !== 0) throw new Error(`gan: the image side must be a multiple of 4, got ${side}`);
  for (const [what, v] of [
    ['latent', latent],
    ['width', width],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`gan: ${what} must be a positive integer, got ${v}`);
  }
}

/**
 * DCGAN's initialisation (the tutorial's `weights_init`): every conv weight from N(0, 0.02²), every
 * batch-norm weight from N(1, 0.02²) and its bias 0. Conv biases keep the layer's own init.
 */
function dcganInit(module: nn.Module, rng: Rng): void {
  for (const m of module.modules()) {
    if (m instanceof nn.Conv2d || m instanceof nn.ConvTranspose2d) normal_(m.weight, 0, 0.02, { rng });
    else if (m instanceof nn.BatchNorm2d) {
      normal_(m.weight!, 1, 0.02, { rng });
      zeros_(m.bias!);
    }
  }
}

/**
 * z [N, latent] → images [N, 1, side, side] in [-1, 1]:
 * ConvT(latent → 2w, k=side/4) → BN → ReLU → ConvT(2w → w, 4, s2, p1) → BN → ReLU → ConvT(w → 1, 4, s2, p1) → tanh.
 * The convolutions before batch norm have no bias (the norm's mean subtraction would cancel it).
 */
export class Generator extends nn.Module {
  readonly main: nn.Sequential;
  readonly shape: GanShape;

  constructor(shape: GanShape, opts: GanModelOptions) {
    super();
    checkGanShape(shape);
    this.shape = { ...shape };
    const { side, latent, width: w } = shape;
    const { rng, dtype } = opts;
    this.main = new nn.Sequential(
      new nn.ConvTranspose2d(latent, 2 * w, side / 4, { bias: false, rng, dtype }),
      new nn.BatchNorm2d(2 * w, { dtype }),
      new nn.ReLU(),
      new nn.ConvTranspose2d(2 * w, w, 4, { stride: 2, padding: 1, bias: false, rng, dtype }),
      new nn.BatchNorm2d(w, { dtype }),
      new nn.ReLU(),
      new nn.ConvTranspose2d(w, 1, 4, { stride: 2, padding: 1, bias: false, rng, dtype }),
      new nn.Tanh(),
    );
    dcganInit(this, rng);
  }

  forward(z: Tensor): Tensor {
    if (z.ndim !== 2 || z.shape[1] !== this.shape.latent) {
      throw new Error(`Generator: expected noise [N,${this.shape.latent}], got [${z.shape.join(',')}]`);
    }
    return this.main.forward(z.reshape([z.shape[0], this.shape.latent, 1, 1]));
  }
}

/**
 * images [N, 1, side, side] in [-1, 1] → logits [N] (real > 0 > fake):
 * Conv(1 → w, 4, s2, p1) → LeakyReLU(0.2) → Conv(w → 2w, 4, s2, p1) → BN → LeakyReLU(0.2) → Conv(2w → 1, k=side/4).
 * No batch norm on the first layer, as in DCGAN (it would normalise the pixels themselves).
 */
export class Discriminator extends nn.Module {
  readonly main: nn.Sequential;
  readonly shape: GanShape;

  constructor(shape: GanShape, opts: GanModelOptions) {
    super();
    checkGanShape(shape);
    this.shape = { ...shape };
    const { side, width: w } = shape;
    const { rng, dtype } = opts;
    this.main = new nn.Sequential(
      new nn.Conv2d(1, w, 4, { stride: 2, padding: 1, bias: false, rng, dtype }),
      new nn.LeakyReLU(0.2),
      new nn.Conv2d(w, 2 * w, 4, { stride: 2, padding: 1, bias: false, rng, dtype }),
      new nn.BatchNorm2d(2 * w, { dtype }),
      new nn.LeakyReLU(0.2),
      new nn.Conv2d(2 * w, 1, side / 4, { bias: false, rng, dtype }),
    );
    dcganInit(this, rng);
  }

  forward(x: Tensor): Tensor {
    const { side } = this.shape;
    if (x.ndim !== 4 || x.shape[1] !== 1 || x.shape[2] !== side || x.shape[3] !== side) {
      throw new Error(`Discriminator: expected images [N,1,${side},${side}], got [${x.shape.join(',')}]`);
    }
    return this.main.forward(x).reshape([x.shape[0]]);
  }
}
