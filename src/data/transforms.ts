/**
 * @file tg.data.transforms, as torchvision.transforms (SPEC §16): each factory returns a function
 * from one image to the next — a tensor [..., C, H, W] (or [..., H, W]) in, a tensor out — and
 * `compose` chains them. Random transforms draw from their `rng` (default generator otherwise) in
 * torchvision's order, so one seed gives the same augmented images.
 *
 * The geometric transforms are compositions of tensor ops (pad, slice, flip, matmul), so they keep
 * the input's dtype, work on any leading axes and are differentiable where PyTorch's are.
 *
 * Note [bilinear resize as two matrices]: resizing with bilinear interpolation (align_corners=False,
 * no antialias, as torchvision's `Resize(size, antialias=False)` on a tensor) is separable: each
 * output row is a blend of two input rows with weights fixed by the sizes alone, and likewise for
 * columns. So resize is `Ah · x · Awᵀ` with two small interpolation matrices built from PyTorch's
 * source-index rule (src = (dst + 0.5)·in/out − 0.5, clamped at 0; the upper neighbour clamped at
 * the edge): one matmul per axis instead of a gather per pixel, and the gradient comes for free.
 */
import { defaultRng, Rng } from '../random/rng';
import { tensor } from '../tensor/create';
import { allocate } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { div, sub } from '../ops/elementwise';
import { matmul } from '../ops/matmul';
import { flip, pad, PadMode, reshape, slice } from '../ops/shape';

/** One step of a pipeline. */
export type Transform<I = Tensor, O = Tensor> = (x: I) => O;

/** Applies the transforms in order (torchvision's Compose). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function compose<I = any, O = Tensor>(transforms: readonly Transform<any, any>[]): Transform<I, O> {
  if (!Array.isArray(transforms)) throw new Error('compose: expected an array of transforms');
  transforms.forEach((t, i) => {
    if (typeof t !== 'function') throw new Error(`compose: transform ${i} is not a function (got ${typeof t})`);
  });
  return (x: I) => transforms.reduce((v, t) => t(v), x as unknown) as O;
}

// ---- toTensor -------------------------------------------------------------------------------------

/** Pixels row by row, channels interleaved (HWC), as a decoded PNG (pngjs: RGBA) or a canvas ImageData holds them. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray | readonly number[];
  width: number;
  height: number;
  /** Default: data.length / (width · height). */
  channels?: number;
}

/** What toTensor reads: a RawImage, or nested arrays [H][W] or [H][W][C] of pixel values in 0–255. */
export type ImageInput = RawImage | readonly (readonly number[])[] | readonly (readonly (readonly number[])[])[];

function fromRaw(img: RawImage): Tensor {
  const { data, width: w, height: h } = img;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 0 || h < 0) throw new Error(`toTensor: width ${w} and height ${h} must be non-negative integers`);
  const c = img.channels ?? (w * h === 0 ? 1 : data.length / (w * h));
  if (!Number.isInteger(c) || c < 1 || data.length !== w * h * c) {
    throw new Error(`toTensor: ${data.length} values do not fill a ${h}×${w} image${img.channels === undefined ? '' : ` of ${c} channels`}`);
  }
  const out = allocate('float32', data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = data[(y * w + x) * c + k] / 255;
    }
  }
  return new Tensor(out, [c, h, w]);
}

function fromNested(rows: ImageInput): Tensor {
  const arr = rows as readonly unknown[];
  const h = arr.length;
  const first = arr[0] as readonly unknown[] | undefined;
  const w = first?.length ?? 0;
  const hwc = first !== undefined && w > 0 && Array.isArray(first[0]);
  const c = hwc ? (first[0] as unknown[]).length : 1;
  const data: number[] = new Array(h * w * c);
  for (let y = 0; y < h; y++) {
    const r = arr[y] as readonly unknown[];
    if (!Array.isArray(r) || r.length !== w) throw new Error(`toTensor: row ${y} has ${Array.isArray(r) ? r.length : 'no'} pixels, expected ${w}`);
    for (let x = 0; x < w; x++) {
      const px = hwc ? (r[x] as readonly number[]) : [r[x] as number];
      if (!Array.isArray(px) || px.length !== c) throw new Error(`toTensor: pixel (${y}, ${x}) does not have ${c} channels`);
      for (let k = 0; k < c; k++) {
        const v = px[k];
        if (typeof v !== 'number' || !(v >= 0 && v <= 255)) throw new Error(`toTensor: pixel (${y}, ${x}) channel ${k} is ${v}, not a value in 0–255`);
        data[(y * w + x) * c + k] = v;
      }
    }
  }
  return fromRaw({ data, width: w, height: h, channels: c });
}

function imageToTensor(img: ImageInput): Tensor {
  if (img instanceof Tensor) throw new Error(`toTensor: the input is already a tensor ${fmt(img.shape)}; toTensor converts pixel data`);
  if (Array.isArray(img)) return fromNested(img);
  const raw = img as RawImage;
  if (raw !== null && typeof raw === 'object' && raw.data !== undefined && typeof raw.width === 'number' && typeof raw.height === 'number') return fromRaw(raw);
  throw new Error(`toTensor: expected {data, width, height} pixels or nested arrays, got ${raw === null ? 'null' : typeof raw}`);
}

/**
 * HWC pixels in 0–255 to a float32 tensor [C,H,W] in [0,1], as torchvision's ToTensor. Called with
 * no argument it returns itself as a transform (`compose([toTensor(), ...])`); called with an image,
 * it converts it.
 */
export function toTensor(): Transform<ImageInput, Tensor>;
export function toTensor(image: ImageInput): Tensor;
export function toTensor(image?: ImageInput): Tensor | Transform<ImageInput, Tensor> {
  return image === undefined ? imageToTensor : imageToTensor(image);
}

// ---- normalize ------------------------------------------------------------------------------------

function imageAxes(op: string, x: unknown, min: number): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: expected a tensor image, got ${x === null ? 'null' : typeof x}`);
  if (x.ndim < min) throw new Error(`${op}: expected a tensor image [${min === 3 ? '..., C, H, W' : '..., H, W'}], got ${fmt(x.shape)}`);
  return x;
}

/** (x − mean) / std per channel (axis −3), as torchvision's Normalize; one value or one per channel. */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): Transform {
  const m = typeof mean === 'number' ? [mean] : [...mean];
  const s = typeof std === 'number' ? [std] : [...std];
  if (m.length === 0 || s.length === 0) throw new Error('normalize: mean and std need at least one value');
  if (s.some((v) => v === 0)) throw new Error(`normalize: std [${s.join(', ')}] has a zero, which would divide by zero`);
  return (input: Tensor) => {
    const x = imageAxes('normalize', input, 3);
    const c = x.shape[x.ndim - 3];
    for (const [what, v] of [['mean', m], ['std', s]] as const) {
      if (v.length !== 1 && v.length !== c) throw new Error(`normalize: ${what} has ${v.length} values for ${c} channels (input ${fmt(x.shape)})`);
    }
    const perChannel = (v: number[]) => reshape(tensor(v, { dtype: x.dtype }), [v.length, 1, 1]);
    return div(sub(x, perChannel(m)), perChannel(s));
  };
}

// ---- flips and crops ------------------------------------------------------------------------------

export interface RandomOptions {
  rng?: Rng;
}

/** Mirrors the image left-right (the last axis) with probability p, as torchvision's RandomHorizontalFlip. */
export function randomHorizontalFlip(p = 0.5, opts: RandomOptions = {}): Transform {
  if (!(p >= 0 && p <= 1)) throw new Error(`randomHorizontalFlip: p must be in [0,1], got ${p}`);
  return (input: Tensor) => {
    const x = imageAxes('randomHorizontalFlip', input, 2);
    return (opts.rng ?? defaultRng()).next() < p ? flip(x, [x.ndim - 1]) : x;
  };
}

function cropSize(op: string, size: number | readonly [number, number]): [number, number] {
  const hw: [number, number] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  if (!hw.every((v) => Number.isInteger(v) && v > 0)) throw new Error(`${op}: size must be a positive integer or [h, w], got ${JSON.stringify(size)}`);
  return hw;
}

/** The window [top, left] of size [th, tw] of the last two axes. */
function crop(x: Tensor, top: number, left: number, th: number, tw: number): Tensor {
  const lead = x.shape.slice(0, -2);
  return slice(x, [...lead.map(() => 0), top, left], [...lead, top + th, left + tw]);
}

/** Pads the last two axes by [left, top, right, bottom]. */
function padImage(x: Tensor, [l, t, r, b]: readonly number[], fill: number, mode: PadMode): Tensor {
  if (l + t + r + b === 0) return x;
  const pairs: [number, number][] = x.shape.map(() => [0, 0]);
  pairs[x.ndim - 2] = [t, b];
  pairs[x.ndim - 1] = [l, r];
  return pad(x, pairs, mode === 'constant' ? { value: fill } : { mode });
}

/** torchvision's padding argument: one number, [left/right, top/bottom] or [left, top, right, bottom]. */
function sides(op: string, padding: number | readonly number[]): number[] {
  const p = typeof padding === 'number' ? [padding, padding, padding, padding] : padding.length === 2 ? [padding[0], padding[1], padding[0], padding[1]] : [...padding];
  if (p.length !== 4 || !p.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new Error(`${op}: padding must be a non-negative integer, [lr, tb] or [l, t, r, b], got ${JSON.stringify(padding)}`);
  }
  return p;
}

export interface RandomCropOptions extends RandomOptions {
  /** Padding first, as torchvision: one number, [left/right, top/bottom] or [left, top, right, bottom]. */
  padding?: number | readonly number[];
  /** Pad an image smaller than the crop up to its size (default false). */
  padIfNeeded?: boolean;
  /** The value of constant padding (default 0). */
  fill?: number;
  /** 'constant' (default), 'replicate' (torchvision's 'edge'), 'reflect' or 'symmetric'. */
  paddingMode?: PadMode;
}

/** A window of `size` at a random position (after optional padding), as torchvision's RandomCrop. */
export function randomCrop(size: number | readonly [number, number], opts: RandomCropOptions = {}): Transform {
  const [th, tw] = cropSize('randomCrop', size);
  const padding = opts.padding === undefined ? [0, 0, 0, 0] : sides('randomCrop', opts.padding);
  const fill = opts.fill ?? 0;
  const mode = opts.paddingMode ?? 'constant';
  return (input: Tensor) => {
    let x = padImage(imageAxes('randomCrop', input, 2), padding, fill, mode);
    const [h, w] = x.shape.slice(-2);
    if (opts.padIfNeeded && w < tw) x = padImage(x, [tw - w, 0, tw - w, 0], fill, mode);
    if (opts.padIfNeeded && h < th) x = padImage(x, [0, th - h, 0, th - h], fill, mode);
    const [ph, pw] = x.shape.slice(-2);
    if (ph < th || pw < tw) throw new Error(`randomCrop: crop size [${th},${tw}] is larger than the (padded) image [${ph},${pw}] (input ${fmt(input.shape)})`);
    if (ph === th && pw === tw) return x;
    const g = opts.rng ?? defaultRng();
    const top = g.int(ph - th + 1);
    const left = g.int(pw - tw + 1);
    return crop(x, top, left, th, tw);
  };
}

/** Python's round(): halves to even, as torchvision's centre offsets use it. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The central window of `size`, zero-padded first when the image is smaller, as torchvision's CenterCrop. */
export function centerCrop(size: number | readonly [number, number]): Transform {
  const [th, tw] = cropSize('centerCrop', size);
  return (input: Tensor) => {
    let x = imageAxes('centerCrop', input, 2);
    let [h, w] = x.shape.slice(-2);
    if (th > h || tw > w) {
      const dw = Math.max(tw - w, 0);
      const dh = Math.max(th - h, 0);
      x = padImage(x, [dw >> 1, dh >> 1, (dw + 1) >> 1, (dh + 1) >> 1], 0, 'constant');
      [h, w] = x.shape.slice(-2);
      if (h === th && w === tw) return x;
    }
    return crop(x, roundHalfEven((h - th) / 2), roundHalfEven((w - tw) / 2), th, tw);
  };
}

// ---- resize ---------------------------------------------------------------------------------------

/** The [out, in] matrix of bilinear weights along one axis (Note [bilinear resize as two matrices]). */
function interpolationMatrix(out: number, size: number, dtype: Tensor['dtype']): Tensor {
  const m = new Float64Array(out * size);
  const scale = size / out;
  for (let d = 0; d < out; d++) {
    const src = Math.max((d + 0.5) * scale - 0.5, 0);
    const i0 = Math.floor(src);
    const i1 = i0 < size - 1 ? i0 + 1 : i0;
    const l1 = src - i0;
    m[d * size + i0] += 1 - l1;
    m[d * size + i1] += l1;
  }
  return tensor(m, { dtype }).reshape([out, size]);
}

/**
 * Bilinear resize of the last two axes, as torchvision's Resize(size, antialias=False): `size` [h, w]
 * exactly, or one number for the shorter side, the longer scaled to keep the aspect ratio (truncated).
 */
export function resize(size: number | readonly [number, number]): Transform {
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size <= 0) throw new Error(`resize: size must be a positive integer or [h, w], got ${size}`);
  } else cropSize('resize', size);
  return (input: Tensor) => {
    const x = imageAxes('resize', input, 2);
    const [h, w] = x.shape.slice(-2);
    if (h === 0 || w === 0) throw new Error(`resize: cannot resize an empty image ${fmt(x.shape)}`);
    let oh: number;
    let ow: number;
    if (typeof size === 'number') {
      const [short, long] = w <= h ? [w, h] : [h, w];
      const newLong = Math.floor((size * long) / short);
      [oh, ow] = w <= h ? [newLong, size] : [size, newLong];
    } else [oh, ow] = size;
    if (oh === h && ow === w) return x;
    return matmul(matmul(interpolationMatrix(oh, h, x.dtype), x), interpolationMatrix(ow, w, x.dtype).transpose());
  };
}
