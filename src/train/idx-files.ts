/**
 * @file Finding the four MNIST-format IDX files in a directory (gzipped or not), with an error that
 * says exactly which names were looked for.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface IdxFiles {
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

const BASENAMES: Record<keyof IdxFiles, string> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

/** Resolves each file as `name` or `name.gz`; throws a one-line error naming the first one missing. */
export function findIdxFiles(dir: string): IdxFiles {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`data directory ${dir} does not exist (it should hold MNIST-format IDX files such as ${BASENAMES.trainImages}.gz)`);
  }
  const found = {} as IdxFiles;
  for (const key of Object.keys(BASENAMES) as (keyof IdxFiles)[]) {
    const candidates = [BASENAMES[key], `${BASENAMES[key]}.gz`].map((name) => path.join(dir, name));
    const hit = candidates.find((p) => fs.existsSync(p) && fs.statSync(p).isFile());
    if (hit === undefined) {
      throw new Error(`missing ${BASENAMES[key]}[.gz] in ${dir} (looked for ${candidates.join(' and ')})`);
    }
    found[key] = hit;
  }
  return found;
}
