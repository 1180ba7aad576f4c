/**
 * @file The UCI optical-recognition digits (1797 images of 8×8 pixels, values 0..16), shipped with
 * the package as data/digits.csv.gz: one row per image, 64 pixel values then the label.
 */
import { gunzip } from '../platform/gzip';
import { Tensor } from '../tensor/tensor';
import { ImageDataset, imageDataset } from './dataset';
import { digitsSource } from './digits-source';

const SIDE = 8;
const PIXELS = SIDE * SIDE;
const MAX_PIXEL = 16;

/** images [1797,1,8,8] scaled to [0,1] (float32), labels 0..9. */
export function loadDigits(): ImageDataset {
  const { name: file, bytes } = digitsSource();
  let text: string;
  try {
    text = new TextDecoder().decode(gunzip(bytes()));
  } catch (e) {
    throw new Error(`loadDigits: cannot read ${file}: ${(e as { message?: unknown })?.message ?? String(e)}`);
  }
  const rows = text.split('\n').filter((line) => line.trim() !== '');
  const images = new Float32Array(rows.length * PIXELS);
  const labels = new Int32Array(rows.length);
  rows.forEach((line, r) => {
    const values = line.split(',').map(Number);
    const bad = (why: string) => new Error(`loadDigits: ${file} row ${r + 1}: ${why}`);
    if (values.length !== PIXELS + 1) throw bad(`${values.length} values, expected ${PIXELS + 1}`);
    for (let i = 0; i < PIXELS; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < 0 || v > MAX_PIXEL) throw bad(`pixel ${i} is ${v}, expected an integer in [0,${MAX_PIXEL}]`);
      images[r * PIXELS + i] = v / MAX_PIXEL;
    }
    const label = values[PIXELS];
    if (!Number.isInteger(label) || label < 0 || label > 9) throw bad(`label ${label} is not a digit`);
    labels[r] = label;
  });
  return imageDataset(new Tensor(images, [rows.length, 1, SIDE, SIDE]), labels);
}
