/**
 * @file The TypeScript gatherAxes kernel (padding in every mode, a slice's backward), which copies the
 * last axis in runs, against a loop over every output element written here: maps with fill (-1),
 * consecutive runs, reversed, repeated and scattered positions, over 0 to 3 axes and every storage type.
 */
import { jsKernels } from '../src/kernels';
import { stridesOf } from '../src/tensor/shape';

/** out[j0, j1, …] = x[maps[0][j0], maps[1][j1], …], or fill where any map holds -1. */
function reference(x: ArrayLike<number>, inShape: number[], maps: Int32Array[], fill: number): number[] {
  const strides = stridesOf(inShape);
  const outShape = maps.map((m) => m.length);
  const size = outShape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let o = 0; o < size; o++) {
    let rest = o;
    let at = 0;
    for (let d = maps.length - 1; d >= 0; d--) {
      const j = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      const src = maps[d][j];
      at = at < 0 || src < 0 ? -1 : at + src * strides[d];
    }
    out.push(at < 0 ? fill : x[at]);
  }
  return out;
}

const cases: [string, number[], number[][]][] = [
  ['0-d', [], []],
  [
    'constant pad of the last axis',
    [2, 3],
    [
      [0, 1],
      [-1, 0, 1, 2, -1, -1],
    ],
  ],
  [
    'slice backward of rows',
    [2, 4],
    [
      [-1, 0, 1, -1],
      [0, 1, 2, 3],
    ],
  ],
  [
    'reflect and circular',
    [3, 4],
    [
      [1, 0, 1, 2, 1],
      [3, 0, 1, 2, 3, 0],
    ],
  ],
  [
    'replicate, reversed, repeated',
    [2, 2, 5],
    [
      [1, 0],
      [0, 0, 1, 1],
      [4, 3, 2, 2, 2, 0, 1, 2, -1, 4],
    ],
  ],
  [
    'all fill',
    [2, 2],
    [
      [-1, -1],
      [0, 1],
    ],
  ],
  ['empty last axis', [2, 0], [[0, 1], []]],
];

describe('gatherAxes copies in runs what a per-element gather gives', () => {
  test.each(cases)('%s', (_name, inShape, mapList) => {
    const maps = mapList.map((m) => Int32Array.from(m));
    const size = inShape.reduce((a, b) => a * b, 1);
    const outSize = maps.reduce((a, m) => a * m.length, 1);
    for (const make of [Float32Array, Float64Array, Int32Array]) {
      const x = new make(size).map((_, i) => i + 1);
      const out = new make(outSize).fill(-7);
      jsKernels.gatherAxes(x, inShape, maps, 0.5 * (make === Int32Array ? 0 : 1), out);
      expect(Array.from(out)).toEqual(reference(x, inShape, maps, make === Int32Array ? 0 : 0.5));
    }
  });
});
