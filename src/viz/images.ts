/**
 * @file Pictures of image tensors, as torchvision.utils: `makeGrid` lays a batch [N,C,H,W] out as one
 * image [C,H',W'] with padding between the tiles, and `saveImage` writes a tensor (or its grid) as a
 * PNG file — pixels scaled by 255, rounded, clamped — atomically (a temporary file renamed into place).
 */
import { writeBytesAtomic } from '../platform/files';
import { encodePng } from '../platform/png';
import { allocate } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

export interface MakeGridOptions {
  /** Images per row (default 8). */
  nrow?: number;
  /** Pixels between tiles and around the grid (default 2). */
  padding?: number;
  /** Shift and scale to [0, 1]: by valueRange, or by the min and max (of each image with scaleEach). */
  normalize?: boolean;
  valueRange?: readonly [number, number];
  scaleEach?: boolean;
  /** The value of the padding (default 0). */
  padValue?: number;
}

function checkInt(op: string, what: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${op}: ${what} must be an integer >= ${min}, got ${v}`);
}

/** Clamps to [low, high], then maps it to [0, 1] (torchvision's norm_ip), in place on `v[from..to)`. */
function normalizeRange(v: Float64Array, from: number, to: number, range: readonly [number, number] | undefined): void {
  let [low, high] = range ?? [Infinity, -Infinity];
  if (range === undefined) {
    for (let i = from; i < to; i++) {
      low = Math.min(low, v[i]);
      high = Math.max(high, v[i]);
    }
  }
  const span = Math.max(high - low, 1e-5);
  for (let i = from; i < to; i++) v[i] = (Math.min(Math.max(v[i], low), high) - low) / span;
}

/** A batch of images [N,C,H,W] (or one [C,H,W] or [H,W]) as one grid image [C,H',W'], as torchvision's make_grid. */
export function makeGrid(images: Tensor, opts: MakeGridOptions = {}): Tensor {
  if (!(images instanceof Tensor))
    throw new Error(`makeGrid: expected a tensor of images, got ${images === null ? 'null' : typeof images}`);
  const nrow = opts.nrow ?? 8;
  const padding = opts.padding ?? 2;
  const padValue = opts.padValue ?? 0;
  checkInt('makeGrid', 'nrow', nrow, 1);
  checkInt('makeGrid', 'padding', padding, 0);
  if (images.ndim < 2 || images.ndim > 4)
    throw new Error(`makeGrid: expected images [N,C,H,W], [C,H,W] or [H,W], got ${fmt(images.shape)}`);
  let shape = [...images.shape];
  if (shape.length === 2) shape = [1, ...shape];
  if (shape.length === 3) shape = [1, ...shape];
  const [n, c0, h, w] = shape;
  // Single-channel images become three identical channels, as torchvision does.
  const c = c0 === 1 ? 3 : c0;
  const plane = h * w;
  const v = new Float64Array(n * c * plane);
  for (let k = 0; k < n; k++) {
    for (let ch = 0; ch < c; ch++) {
      const src = (k * c0 + (c0 === 1 ? 0 : ch)) * plane;
      for (let i = 0; i < plane; i++) v[(k * c + ch) * plane + i] = images.data[src + i];
    }
  }
  if (opts.normalize) {
    if (opts.valueRange !== undefined && !(opts.valueRange.length === 2 && opts.valueRange[0] <= opts.valueRange[1])) {
      throw new Error(`makeGrid: valueRange must be [low, high], got ${JSON.stringify(opts.valueRange)}`);
    }
    if (opts.scaleEach) for (let k = 0; k < n; k++) normalizeRange(v, k * c * plane, (k + 1) * c * plane, opts.valueRange);
    else normalizeRange(v, 0, v.length, opts.valueRange);
  }
  const dtype = images.dtype === 'float64' ? 'float64' : 'float32';
  if (n === 1) {
    const out = allocate(dtype, v.length);
    out.set(v);
    return new Tensor(out, [c, h, w]);
  }
  const cols = Math.min(nrow, n);
  const rows = Math.ceil(n / cols);
  const [th, tw] = [h + padding, w + padding];
  const [gh, gw] = [th * rows + padding, tw * cols + padding];
  const out = allocate(dtype, c * gh * gw);
  out.fill(padValue);
  for (let k = 0; k < n; k++) {
    const top = Math.floor(k / cols) * th + padding;
    const left = (k % cols) * tw + padding;
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        const from = (k * c + ch) * plane + y * w;
        out.set(v.subarray(from, from + w), (ch * gh + top + y) * gw + left);
      }
    }
  }
  return new Tensor(out, [c, gh, gw]);
}

/**
 * Writes images as a PNG file, as torchvision's save_image: a batch goes through makeGrid (with
 * `opts`), values in [0, 1] become bytes by ×255, +0.5, clamp to [0, 255]; one or three channels
 * write an RGB PNG, four an RGBA one. The file is written atomically.
 */
export function saveImage(images: Tensor, path: string, opts: MakeGridOptions = {}): void {
  if (typeof path !== 'string' || !/\.png$/i.test(path))
    throw new Error(`saveImage: path must name a .png file, got ${JSON.stringify(path)}`);
  const grid = makeGrid(images, opts);
  const [c, h, w] = grid.shape;
  if (c !== 3 && c !== 4)
    throw new Error(`saveImage: cannot write ${c} channels as a PNG (1, 3 or 4 channels; images ${fmt(images.shape)})`);
  const bytes = new Uint8Array(h * w * c);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < h * w; i++) {
      const v = grid.data[ch * h * w + i] * 255 + 0.5;
      bytes[i * c + ch] = Number.isNaN(v) ? 0 : Math.trunc(Math.min(Math.max(v, 0), 255));
    }
  }
  writeBytesAtomic(path, encodePng(w, h, c, bytes));
}
