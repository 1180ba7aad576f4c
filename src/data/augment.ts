/**
 * @file Data augmentation on image batches [N,C,H,W] (the tutorial's flips and RGB shifts, and
 * AlexNet's crops): each image gets its own random draw from the seeded generator, in batch order,
 * so one seed reproduces the same augmented batch. The results are new tensors outside any graph.
 */
import { defaultRng, Rng } from '../random/rng';
import { allocate } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

function checkBatch(op: string, x: Tensor): [number, number, number, number] {
  if (!(x instanceof Tensor) || x.ndim !== 4) {
    throw new Error(`augment.${op}: expected a batch [N,C,H,W], got ${x instanceof Tensor ? fmt(x.shape) : typeof x}`);
  }
  return x.shape as [number, number, number, number];
}

export interface FlipOptions {
  /** Probability that an image is mirrored (default 0.5). */
  p?: number;
  rng?: Rng;
}

/** Mirrors each image left-right with probability p. */
export function flipHorizontal(x: Tensor, opts: FlipOptions = {}): Tensor {
  const [n, c, h, w] = checkBatch('flipHorizontal', x);
  const p = opts.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new Error(`augment.flipHorizontal: p must be in [0,1], got ${p}`);
  const g = opts.rng ?? defaultRng();
  const out = allocate(x.dtype, x.size);
  out.set(x.data);
  const image = c * h * w;
  for (let i = 0; i < n; i++) {
    if (!(g.next() < p)) continue;
    for (let r = 0; r < c * h; r++) {
      const row = i * image + r * w;
      for (let j = 0; j < w; j++) out[row + j] = x.data[row + w - 1 - j];
    }
  }
  return new Tensor(out, x.shape);
}

export interface CropOptions {
  /** Zero padding on each side, one number or [top/bottom, left/right]. */
  padding: number | [number, number];
  rng?: Rng;
}

/** Pads each image with zeros, then crops a random window of the original size (a random shift of up to `padding` pixels). */
export function randomCrop(x: Tensor, opts: CropOptions): Tensor {
  const [n, c, h, w] = checkBatch('randomCrop', x);
  const padding = opts?.padding;
  const [ph, pw] = typeof padding === 'number' ? [padding, padding] : Array.isArray(padding) ? padding : [NaN, NaN];
  if (![ph, pw].every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`augment.randomCrop: padding must be a non-negative integer or [h, w] pair, got ${JSON.stringify(padding)}`);
  }
  const g = opts.rng ?? defaultRng();
  const out = allocate(x.dtype, x.size);
  for (let i = 0; i < n; i++) {
    // The crop's top-left corner in the padded image, relative to the original one.
    const dy = g.int(2 * ph + 1) - ph;
    const dx = g.int(2 * pw + 1) - pw;
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * h * w;
      for (let r = 0; r < h; r++) {
        const sr = r + dy;
        if (sr < 0 || sr >= h) continue;
        for (let j = 0; j < w; j++) {
          const sj = j + dx;
          if (sj >= 0 && sj < w) out[base + r * w + j] = x.data[base + sr * w + sj];
        }
      }
    }
  }
  return new Tensor(out, x.shape);
}

export interface ShiftOptions {
  /** Each image's channels are shifted by independent draws from U(-amount, amount). */
  amount: number;
  /** Values are clipped to this range afterwards (default [0, 1], the loaders' range). */
  range?: [number, number];
  rng?: Rng;
}

/** Adds a random per-image, per-channel offset (the tutorial's random shift of RGB values), clipped to the data range. */
export function rgbShift(x: Tensor, opts: ShiftOptions): Tensor {
  const [n, c, h, w] = checkBatch('rgbShift', x);
  const amount = opts?.amount;
  if (!(amount >= 0)) throw new Error(`augment.rgbShift: amount must be a non-negative number, got ${amount}`);
  const [lo, hi] = opts.range ?? [0, 1];
  if (!(lo <= hi)) throw new Error(`augment.rgbShift: range [${lo},${hi}] is empty`);
  const g = opts.rng ?? defaultRng();
  const out = allocate(x.dtype, x.size);
  const plane = h * w;
  for (let k = 0; k < n * c; k++) {
    const shift = g.uniform(-amount, amount);
    for (let e = k * plane; e < (k + 1) * plane; e++) {
      const v = x.data[e] + shift;
      out[e] = v < lo ? lo : v > hi ? hi : v;
    }
  }
  return new Tensor(out, x.shape);
}
