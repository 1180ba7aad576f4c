/**
 * @file Fashion-MNIST-format data for tests: the four IDX files (train and t10k images and labels) of
 * random 28×28 images, labels cycling 0…9, drawn from a seeded generator so every run writes the same bytes.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tg from '../src';

/** Writes the four IDX files of `train` and `test` random 28×28 images (labels 0…9 in turn) into a new directory under `parent`. */
export function writeFashionIdx(parent: string, train: number, test: number): string {
  const dir = fs.mkdtempSync(path.join(parent, 'idx-'));
  const g = tg.rng('idx');
  const images = (n: number) =>
    Buffer.concat([
      Buffer.from([0, 0, 8, 3, 0, 0, n >> 8, n & 255, 0, 0, 0, 28, 0, 0, 0, 28]),
      Buffer.from(Array.from({ length: n * 784 }, () => g.int(256))),
    ]);
  const labels = (n: number) =>
    Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, n >> 8, n & 255]), Buffer.from(Array.from({ length: n }, (_, i) => i % 10))]);
  fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), images(train));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), labels(train));
  fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), images(test));
  fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), labels(test));
  return dir;
}
