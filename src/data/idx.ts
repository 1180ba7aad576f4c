/**
 * @file MNIST-format IDX files (MNIST, Fashion-MNIST), plain or gzipped: a magic number (two zero
 * bytes, the element type, the number of dimensions), one big-endian uint32 per dimension, then the
 * elements. Everything is checked, so a truncated download or a swapped file fails loudly.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import type { Dataset } from './dataset';

const UNSIGNED_BYTE = 0x08;

function readIdx(file: string, ndims: number, what: string): { dims: number[]; values: Uint8Array } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`loadIdx: cannot read ${file}: ${(e as Error).message}`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (e) {
      throw new Error(`loadIdx: ${file} is a damaged or truncated gzip file (${(e as Error).message})`);
    }
  }
  const fail = (why: string) => new Error(`loadIdx: ${file} is not a valid IDX ${what} file: ${why}`);
  if (buf.length < 4) throw fail(`only ${buf.length} bytes`);
  if (buf[0] !== 0 || buf[1] !== 0) throw fail(`bad magic number 0x${buf.readUInt32BE(0).toString(16).padStart(8, '0')}`);
  if (buf[2] !== UNSIGNED_BYTE) throw fail(`element type 0x${buf[2].toString(16).padStart(2, '0')}, expected unsigned bytes (0x08)`);
  if (buf[3] !== ndims) throw fail(`${buf[3]} dimensions, expected ${ndims}`);
  const header = 4 + 4 * ndims;
  if (buf.length < header) throw fail(`truncated header (${buf.length} bytes)`);
  const dims = Array.from({ length: ndims }, (_, d) => buf.readUInt32BE(4 + 4 * d));
  const expected = header + sizeOf(dims);
  if (buf.length !== expected) {
    throw fail(`${buf.length} bytes, expected ${expected} for dimensions ${fmt(dims)}${buf.length < expected ? ' (truncated)' : ''}`);
  }
  return { dims, values: buf.subarray(header) };
}

/** images [N,1,H,W] scaled to [0,1] (float32) and labels from an images file and a labels file. */
export function loadIdx(imagesPath: string, labelsPath: string): Dataset {
  const images = readIdx(imagesPath, 3, 'images');
  const labels = readIdx(labelsPath, 1, 'labels');
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) {
    throw new Error(`loadIdx: ${imagesPath} holds ${n} images but ${labelsPath} holds ${labels.dims[0]} labels`);
  }
  const pixels = new Float32Array(images.values.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.values[i] / 255;
  return { images: new Tensor(pixels, [n, 1, h, w]), labels: Int32Array.from(labels.values) };
}
