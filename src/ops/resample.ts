/**
 * @file Resampling layers (SPEC §15): interpolate (PyTorch's legacy nearest, linear, bilinear),
 * adaptive average and max pooling, channel dropout (dropout2d), alpha dropout, and pixel
 * (un)shuffling — each a composition of the flat-index gather, elementwise ops and reshapes.
 *
 * Note [resampling by gathers]: every output element of these ops reads a few input elements at
 * positions fixed by the shapes alone (and, for max pooling, by where the maxima are). Each is a
 * gather with a constant index list, weighted by constant coefficients where it interpolates or
 * averages. The gather's backward is a scatter-add, so overlapping reads accumulate their gradients
 * and every higher derivative is exact; no new primitive is needed. PyTorch's index arithmetic
 * (area_pixel_compute_source_index, the adaptive start/end formula) is reproduced exactly, so the
 * same elements are read with the same weights.
 */
import { defaultRng, Rng } from '../random/rng';
import { allocate } from '../tensor/dtype';
import { fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkTensor, rejectUnknownOptions } from './arguments';
import { add, mul } from './elementwise';
import { gatherFlat } from './flat-index';
import { constant } from './operands';
import { max, sum } from './reduce';
import { permute, reshape } from './shape';

/** x viewed as [outer, n, inner] around `axis`. */
function around(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), n: shape[axis], inner: sizeOf(shape.slice(axis + 1)) };
}

/** x[…, src[k][s], …] along `axis`, as [..., out, slots, ...] (Note [resampling by gathers]). */
function gatherAlong(x: Tensor, axis: number, src: Int32Array[]): Tensor {
  const { outer, n, inner } = around(x.shape, axis);
  const out = src.length;
  const slots = src[0]?.length ?? 1;
  const shape = [...x.shape.slice(0, axis), out, slots, ...x.shape.slice(axis + 1)];
  const index = new Int32Array(outer * out * slots * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (let k = 0; k < out; k++) {
      for (let s = 0; s < slots; s++) {
        const base = (a * n + src[k][s]) * inner;
        for (let i = 0; i < inner; i++, o++) index[o] = base + i;
      }
    }
  }
  return gatherFlat(x, index, shape);
}

/**
 * Σ_s weight[k][s] · x[…, src[k][s], …] along `axis` for each output position k; with one slot and
 * no weights, a pure gather.
 */
function readAlong(x: Tensor, axis: number, src: Int32Array[], weights: Float64Array[] | null): Tensor {
  const out = src.length;
  const slots = src[0]?.length ?? 1;
  let y = gatherAlong(x, axis, src);
  if (weights === null && slots === 1) return reshape(y, [...x.shape.slice(0, axis), out, ...x.shape.slice(axis + 1)]);
  if (weights !== null) {
    // The weights depend on the output position and slot alone: [1, …, out, slots, 1, …], broadcast
    // (so a traced graph takes any batch size).
    const w = allocate(x.dtype, out * slots);
    for (let k = 0; k < out; k++) for (let s = 0; s < slots; s++) w[k * slots + s] = weights[k][s];
    y = mul(
      y,
      constant(
        w,
        y.shape.map((d, i) => (i === axis || i === axis + 1 ? d : 1)),
      ),
    );
  }
  return sum(y, axis + 1);
}

/** PyTorch's adaptive windows along one axis, padded to the longest by repeating each window's first element. */
function adaptiveWindows(n: number, out: number): { src: Int32Array[]; lengths: number[] } {
  const lengths = Array.from({ length: out }, (_, k) => windowEnd(k, n, out) - windowStart(k, n, out));
  const longest = Math.max(...lengths);
  const src = lengths.map((len, k) => Int32Array.from({ length: longest }, (_, s) => windowStart(k, n, out) + (s < len ? s : 0)));
  return { src, lengths };
}

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear';

export interface InterpolateOptions {
  /** The output's spatial size: a number for every axis, or one per axis. */
  size?: number | readonly number[];
  /** Multiplies each spatial size (floored): a number or one per axis. */
  scaleFactor?: number | readonly number[];
  mode?: InterpolateMode;
  alignCorners?: boolean;
}

/** One number per spatial axis from a number or a list. */
function perAxis(op: string, name: string, v: number | readonly number[], dims: number, x: Tensor): number[] {
  const list = typeof v === 'number' ? new Array<number>(dims).fill(v) : [...v];
  if (list.length !== dims || !list.every((n) => typeof n === 'number' && Number.isFinite(n) && n > 0)) {
    throw new Error(`${op}: ${name} must be a positive number or ${dims} of them, got ${JSON.stringify(v)} (input ${fmt(x.shape)})`);
  }
  return list;
}

/**
 * Resizes the spatial axes of x [N,C,L] ('nearest', 'linear') or [N,C,H,W] ('nearest', 'bilinear')
 * to `size`, or by `scaleFactor`, as torch.nn.functional.interpolate: 'nearest' is PyTorch's legacy
 * nearest (source index ⌊dst·scale⌋), the linear modes use half-pixel centres unless alignCorners.
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  checkTensor('interpolate', 'input', x);
  rejectUnknownOptions('interpolate', opts, ['size', 'scaleFactor', 'mode', 'alignCorners'], () => `input ${fmt(x.shape)}`);
  const mode = opts.mode ?? 'nearest';
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`interpolate: expected input [N,C,L] or [N,C,H,W], got ${fmt(x.shape)}`);
  const dims = x.ndim - 2;
  if (mode === 'linear' && dims !== 1) throw new Error(`interpolate: mode 'linear' needs input [N,C,L], got ${fmt(x.shape)}`);
  if (mode === 'bilinear' && dims !== 2) throw new Error(`interpolate: mode 'bilinear' needs input [N,C,H,W], got ${fmt(x.shape)}`);
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') {
    throw new Error(`interpolate: mode must be 'nearest', 'linear' or 'bilinear', got '${String(mode)}' (input ${fmt(x.shape)})`);
  }
  const alignCorners = opts.alignCorners ?? false;
  if (mode === 'nearest' && opts.alignCorners !== undefined) {
    throw new Error(
      `interpolate: alignCorners can only be set with the interpolating modes 'linear' and 'bilinear' (input ${fmt(x.shape)})`,
    );
  }
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) {
    throw new Error(`interpolate: give exactly one of size and scaleFactor (input ${fmt(x.shape)})`);
  }
  const inSizes = x.shape.slice(2);
  const factors = opts.scaleFactor === undefined ? null : perAxis('interpolate', 'scaleFactor', opts.scaleFactor, dims, x);
  const outSizes =
    opts.size !== undefined ? perAxis('interpolate', 'size', opts.size, dims, x) : inSizes.map((n, d) => Math.floor(n * factors![d]));
  if (!outSizes.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`interpolate: the output size ${fmt(outSizes)} must be positive integers (input ${fmt(x.shape)})`);
  }
  let y = x;
  outSizes.forEach((out, d) => {
    const n = inSizes[d];
    // PyTorch's compute_scales_value: 1/scaleFactor when one was given, else in/out.
    const scale = factors !== null ? 1 / factors[d] : n / out;
    const src: Int32Array[] = [];
    const weights: Float64Array[] = [];
    for (let k = 0; k < out; k++) {
      if (mode === 'nearest') {
        // PyTorch computes the nearest index in float32 (floorf(k · scale), scale a float).
        src.push(Int32Array.of(Math.min(Math.floor(Math.fround(k * Math.fround(scale))), n - 1)));
        continue;
      }
      // area_pixel_compute_source_index (non-cubic), then the two neighbours and their weights.
      const real = alignCorners ? (out > 1 ? ((n - 1) / (out - 1)) * k : 0) : Math.max(scale * (k + 0.5) - 0.5, 0);
      const i0 = Math.floor(real);
      const i1 = i0 + (i0 < n - 1 ? 1 : 0);
      const l1 = real - i0;
      src.push(Int32Array.of(i0, i1));
      weights.push(Float64Array.of(1 - l1, l1));
    }
    y = readAlong(y, 2 + d, src, mode === 'nearest' ? null : weights);
  });
  return y;
}

/** An adaptive output size: a number per axis, or null to keep that axis. */
export type AdaptiveSize = number | null | readonly (number | null)[];

function adaptiveSizes(op: string, x: Tensor, dims: number, outputSize: AdaptiveSize): number[] {
  if (x.ndim !== dims + 1 && x.ndim !== dims + 2) {
    const names = dims === 1 ? 'L' : 'H,W';
    throw new Error(`${op}: expected input [N,C,${names}] (or unbatched [C,${names}]), got ${fmt(x.shape)}`);
  }
  const list = outputSize === null || typeof outputSize === 'number' ? new Array(dims).fill(outputSize) : [...outputSize];
  const inSizes = x.shape.slice(x.ndim - dims);
  if (list.length !== dims || !list.every((n) => n === null || (Number.isInteger(n) && n > 0))) {
    throw new Error(
      `${op}: outputSize must be a positive integer (or null) or ${dims} of them, got ${JSON.stringify(outputSize)} (input ${fmt(x.shape)})`,
    );
  }
  return list.map((n, d) => (n === null ? inSizes[d] : n));
}

/** PyTorch's adaptive windows: [⌊k·n/out⌋, ⌈(k+1)·n/out⌉). */
const windowStart = (k: number, n: number, out: number) => Math.floor((k * n) / out);
const windowEnd = (k: number, n: number, out: number) => Math.ceil(((k + 1) * n) / out);

function adaptiveAvg(op: string, x: Tensor, dims: number, outputSize: AdaptiveSize): Tensor {
  checkTensor(op, 'input', x);
  const outSizes = adaptiveSizes(op, x, dims, outputSize);
  let y = x;
  outSizes.forEach((out, d) => {
    const axis = x.ndim - dims + d;
    const n = x.shape[axis];
    // Windows padded to the longest with weight-0 reads of their own first element.
    const { src, lengths } = adaptiveWindows(n, out);
    const weights = src.map((slots, k) => Float64Array.from(slots, (_, s) => (s < lengths[k] ? 1 / lengths[k] : 0)));
    y = readAlong(y, axis, src, weights);
  });
  return y;
}

/**
 * Average pooling of x [N,C,L] (or [C,L]) to `outputSize` positions, with PyTorch's windows
 * [⌊k·L/out⌋, ⌈(k+1)·L/out⌉).
 */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  return adaptiveAvg('adaptiveAvgPool1d', x, 1, outputSize);
}

/** Average pooling of x [N,C,H,W] (or [C,H,W]) to outputSize (a number, [h, w], null keeps an axis). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveAvg('adaptiveAvgPool2d', x, 2, outputSize);
}

function adaptiveMax(op: string, x: Tensor, dims: number, outputSize: AdaptiveSize): Tensor {
  checkTensor(op, 'input', x);
  const outSizes = adaptiveSizes(op, x, dims, outputSize);
  // The maximum of each window, the last axis first: the gradient then goes to the window's first
  // maximum in row-major order (the first row holding it, and that row's first), as PyTorch's. A
  // window padded with repeats of its first element keeps its maximum and that order.
  let y = x;
  for (let d = dims - 1; d >= 0; d--) {
    const axis = x.ndim - dims + d;
    y = max(gatherAlong(y, axis, adaptiveWindows(x.shape[axis], outSizes[d]).src), axis + 1);
  }
  return y;
}

/** Max pooling of x [N,C,L] to `outputSize` (PyTorch's windows); the gradient goes to each window's first maximum. */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number): Tensor {
  return adaptiveMax('adaptiveMaxPool1d', x, 1, outputSize);
}

/** Max pooling of x [N,C,H,W] to outputSize (a number, [h, w], null keeps an axis). */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize): Tensor {
  return adaptiveMax('adaptiveMaxPool2d', x, 2, outputSize);
}

export interface ChannelDropoutOptions {
  training?: boolean;
  rng?: Rng;
}

function checkP(op: string, p: number, x: Tensor): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    throw new Error(`${op}: probability p must be in [0,1], got ${String(p)} (input ${fmt(x.shape)})`);
}

/**
 * Zeroes whole channels of x [N,C,H,W] or [N,C,L] (each with probability p, the same across the
 * channel's positions) and scales the rest by 1/(1 − p), as torch.nn.functional.dropout2d.
 */
export function dropout2d(x: Tensor, p: number, opts: ChannelDropoutOptions = {}): Tensor {
  checkTensor('dropout2d', 'input', x);
  checkP('dropout2d', p, x);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`dropout2d: expected input [N,C,H,W] or [N,C,L], got ${fmt(x.shape)}`);
  if (!(opts.training ?? true) || p === 0) return x;
  const g = opts.rng ?? defaultRng();
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const [n, c] = x.shape;
  const mask = allocate(x.dtype, n * c);
  for (let i = 0; i < mask.length; i++) mask[i] = g.next() < p ? 0 : scale;
  return mul(x, constant(mask, [n, c, ...x.shape.slice(2).map(() => 1)]));
}

/** SELU's α·λ: the value alpha dropout sets dropped elements to before its affine correction. */
const ALPHA_PRIME = 1.7580993408473766;

/**
 * Alpha dropout (for SELU networks): dropped elements are set to −α·λ and the result is scaled and
 * shifted so mean and variance are kept, as torch.nn.functional.alpha_dropout.
 */
export function alphaDropout(x: Tensor, p: number, opts: ChannelDropoutOptions = {}): Tensor {
  checkTensor('alphaDropout', 'input', x);
  checkP('alphaDropout', p, x);
  if (!(opts.training ?? true) || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const g = opts.rng ?? defaultRng();
  const a = 1 / Math.sqrt((ALPHA_PRIME * ALPHA_PRIME * p + 1) * (1 - p));
  const scale = allocate(x.dtype, x.size);
  const shift = allocate(x.dtype, x.size);
  for (let i = 0; i < x.size; i++) {
    const keep = g.next() < p ? 0 : 1;
    scale[i] = keep * a;
    shift[i] = (keep - 1) * ALPHA_PRIME * a + ALPHA_PRIME * a * p;
  }
  return add(mul(x, constant(scale, x.shape)), constant(shift, x.shape));
}

function checkFactor(op: string, r: number, x: Tensor): void {
  if (!Number.isInteger(r) || r < 1) throw new Error(`${op}: the factor must be a positive integer, got ${r} (input ${fmt(x.shape)})`);
  if (x.ndim < 3) throw new Error(`${op}: expected input [...,C,H,W], got ${fmt(x.shape)}`);
}

/** [..., C·r², H, W] -> [..., C, H·r, W·r] (torch.nn.functional.pixel_shuffle). */
export function pixelShuffle(x: Tensor, r: number): Tensor {
  checkTensor('pixelShuffle', 'input', x);
  checkFactor('pixelShuffle', r, x);
  const lead = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3);
  if (c % (r * r) !== 0)
    throw new Error(`pixelShuffle: channels ${c} are not divisible by the factor squared ${r * r} (input ${fmt(x.shape)})`);
  const k = lead.length;
  const split = reshape(x, [...lead, c / (r * r), r, r, h, w]);
  const perm = [...lead.map((_, i) => i), k, k + 3, k + 1, k + 4, k + 2];
  return reshape(permute(split, perm), [...lead, c / (r * r), h * r, w * r]);
}

/** [..., C, H·r, W·r] -> [..., C·r², H, W], the inverse of pixelShuffle. */
export function pixelUnshuffle(x: Tensor, r: number): Tensor {
  checkTensor('pixelUnshuffle', 'input', x);
  checkFactor('pixelUnshuffle', r, x);
  const lead = x.shape.slice(0, -3);
  const [c, h, w] = x.shape.slice(-3);
  if (h % r !== 0 || w % r !== 0)
    throw new Error(`pixelUnshuffle: height ${h} and width ${w} must be divisible by the factor ${r} (input ${fmt(x.shape)})`);
  const k = lead.length;
  const split = reshape(x, [...lead, c, h / r, r, w / r, r]);
  const perm = [...lead.map((_, i) => i), k, k + 2, k + 4, k + 1, k + 3];
  return reshape(permute(split, perm), [...lead, c * r * r, h / r, w / r]);
}

declare module '../tensor/tensor' {
  interface Tensor {
    interpolate(opts: InterpolateOptions): Tensor;
    adaptiveAvgPool1d(outputSize: number): Tensor;
    adaptiveAvgPool2d(outputSize: AdaptiveSize): Tensor;
    adaptiveMaxPool1d(outputSize: number): Tensor;
    adaptiveMaxPool2d(outputSize: AdaptiveSize): Tensor;
    dropout2d(p: number, opts?: ChannelDropoutOptions): Tensor;
    alphaDropout(p: number, opts?: ChannelDropoutOptions): Tensor;
    pixelShuffle(r: number): Tensor;
    pixelUnshuffle(r: number): Tensor;
  }
}
