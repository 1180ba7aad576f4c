/**
 * @file MNIST-format IDX files (MNIST, Fashion-MNIST), plain or gzipped: a magic number (two zero
 * bytes, the element type, the number of dimensions), one big-endian uint32 per dimension, then the
 * elements. Everything is checked, so a truncated download or a swapped file fails loudly.
 */
import { readBytes } from '../platform/files';
import { gunzip, isGzip } from '../platform/gzip';
import { fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { ImageDataset, imageDataset } from './dataset';

const UNSIGNED_BYTE = 0x08;

const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

/** Checks and decodes one IDX file's bytes (gzipped or not); `name` is how errors refer to it. */
function decodeIdx(op: string, bytes: Uint8Array, name: string, ndims: number, what: string): { dims: number[]; values: Uint8Array } {
  let buf = bytes;
  if (isGzip(buf)) {
    try {
      buf = gunzip(buf);
    } catch (e) {
      throw new Error(`${op}: ${name} is a damaged or truncated gzip file (${(e as Error).message})`);
    }
  }
  const fail = (why: string) => new Error(`${op}: ${name} is not a valid IDX ${what} file: ${why}`);
  if (buf.length < 4) throw fail(`only ${buf.length} bytes`);
  if (buf[0] !== 0 || buf[1] !== 0) throw fail(`bad magic number 0x${u32(buf, 0).toString(16).padStart(8, '0')}`);
  if (buf[2] !== UNSIGNED_BYTE) throw fail(`element type 0x${buf[2].toString(16).padStart(2, '0')}, expected unsigned bytes (0x08)`);
  if (buf[3] !== ndims) throw fail(`${buf[3]} dimensions, expected ${ndims}`);
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw fail(`truncated header (${buf.length} bytes)`);
  const dims = Array.from({ length: ndims }, (_, d) => u32(buf, 4 + 4 * d));
  const expected = header + sizeOf(dims);
  if (buf.length !== expected) {
    throw fail(`${buf.length} bytes, expected ${expected} for dimensions ${fmt(dims)}${buf.length < expected ? ' (truncated)' : ''}`);
  }
  return { dims, values: buf.subarray(header) };
}

function toDataset(op: string, images: { dims: number[]; values: Uint8Array }, labels: { dims: number[]; values: Uint8Array },
  imagesName: string, labelsName: string): ImageDataset {
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) {
    throw new Error(`${op}: ${imagesName} holds ${n} images but ${labelsName} holds ${labels.dims[0]} labels`);
  }
  const pixels = new Float32Array(images.values.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.values[i] / 255;
  return imageDataset(new Tensor(pixels, [n, 1, h, w]), Int32Array.from(labels.values));
}

/** images [N,1,H,W] scaled to [0,1] (float32) and labels from the bytes of an images file and a labels file (SPEC §10; gzipped or not). */
export function parseIdx(images: Uint8Array, labels: Uint8Array): ImageDataset {
  for (const [what, b] of [['images', images], ['labels', labels]] as const) {
    if (!(b instanceof Uint8Array)) throw new Error(`parseIdx: the ${what} must be a Uint8Array of the file's bytes, got ${b === null ? 'null' : typeof b}`);
  }
  return toDataset('parseIdx', decodeIdx('parseIdx', images, 'the images', 3, 'images'), decodeIdx('parseIdx', labels, 'the labels', 1, 'labels'),
    'the images', 'the labels');
}

/** Just the images of an IDX images file's bytes, as [N,1,H,W] in [0,1] (for `tapegrad predict`). */
export function parseIdxImages(bytes: Uint8Array, name: string): Tensor {
  const images = decodeIdx('parseIdx', bytes, name, 3, 'images');
  const [n, h, w] = images.dims;
  return new Tensor(Float32Array.from(images.values, (v) => v / 255), [n, 1, h, w]);
}

function readFile(file: string): Uint8Array {
  try {
    return readBytes(file);
  } catch (e) {
    throw new Error(`loadIdx: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** images [N,1,H,W] scaled to [0,1] (float32) and labels from an images file and a labels file. */
export function loadIdx(imagesPath: string, labelsPath: string): ImageDataset {
  const images = decodeIdx('loadIdx', readFile(imagesPath), imagesPath, 3, 'images');
  const labels = decodeIdx('loadIdx', readFile(labelsPath), labelsPath, 1, 'labels');
  return toDataset('loadIdx', images, labels, imagesPath, labelsPath);
}
