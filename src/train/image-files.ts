/**
 * @file Generated images as files: the IDX format `tg.data.loadIdx` and MNIST readers read (unsigned
 * bytes, magic 0x00000803), and one PNG of them laid out in a grid (tg.viz.makeGrid).
 */
import { Tensor } from '../tensor/tensor';
import { makeGrid } from '../viz/images';
import { encodeGreyBytes } from './png';

/** Images with pixels in [0, 1] ([count, height, width], row-major). */
export interface UnitImages {
  data: ArrayLike<number>;
  count: number;
  height: number;
  width: number;
}

function check(images: UnitImages, what: string): void {
  const { count, height, width } = images;
  if (![count, height, width].every((n) => Number.isSafeInteger(n) && n >= 0) || images.data.length !== count * height * width)
    throw new Error(`${what}: ${images.data.length} pixels do not fill ${count} images of ${height}x${width}`);
}

/** An IDX3 ubyte file: pixels in [0, 1] rounded to 0…255 (values outside are clamped). */
export function idxImageBytes(images: UnitImages): Uint8Array {
  check(images, 'idxImageBytes');
  const { count, height, width, data } = images;
  const out = new Uint8Array(16 + count * height * width);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000803);
  view.setUint32(4, count);
  view.setUint32(8, height);
  view.setUint32(12, width);
  for (let i = 0; i < data.length; i++) out[16 + i] = Math.round(255 * Math.min(1, Math.max(0, data[i])));
  return out;
}

/** One greyscale PNG of the images in a grid of `nrow` per row (black padding), pixel 0 → black, 1 → white. */
export function imageGridPng(images: UnitImages, nrow = 16): Buffer {
  check(images, 'imageGridPng');
  const { count, height, width } = images;
  if (count === 0) throw new Error('imageGridPng: no images to draw');
  const t = new Tensor(Float32Array.from(images.data), [count, 1, height, width]);
  const grid = makeGrid(t, { nrow: Math.min(nrow, count), padding: 1 });
  const [, h, w] = grid.shape;
  const bytes = Uint8Array.from(grid.data.subarray(0, h * w), (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
  return encodeGreyBytes(w, h, bytes);
}
