/**
 * The convolution and pooling kernels against naive reference loops, on random geometries with every
 * option (batch, groups, stride, padding, dilation, rectangular kernels and images, 1×1 kernels,
 * windows wholly in the padding), in float64 and float32. A faster GEMM or a WASM kernel must pass
 * these unchanged.
 */
import * as conv from '../src/kernels/js/conv';
import type { ConvGeometry } from '../src/kernels/types';
import * as pool from '../src/kernels/js/pool';
import type { PoolGeometry } from '../src/kernels/types';
import * as tg from '../src';
import { conv2dReference, convTranspose2dReference, conv2dWeightGradReference } from './kernel-references';

type Storage = import('../src/tensor/dtype').Storage;
const r = tg.rng('conv-kernels');

function random(n: number, Type: typeof Float32Array | typeof Float64Array): Storage {
  const a = new Type(n);
  for (let i = 0; i < n; i++) a[i] = r.normal();
  return a;
}

function expectClose(actual: Storage, expected: Storage, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (Math.abs(actual[i] - expected[i]) > tolerance * (1 + Math.abs(expected[i]))) {
      throw new Error(`element ${i}: ${actual[i]} vs reference ${expected[i]}`);
    }
  }
}

const pick = (lo: number, hi: number) => lo + r.int(hi - lo + 1);

function dot(a: Storage, b: Storage): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** A random valid geometry, its output size given by the formula. */
function randomGeometry(pointwise = false): ConvGeometry {
  for (;;) {
    const groups = pick(1, 3);
    const g: ConvGeometry = {
      batch: pick(1, 3),
      inC: groups * pick(1, 3),
      inH: pick(1, 8),
      inW: pick(1, 8),
      outC: groups * pick(1, 3),
      outH: 0,
      outW: 0,
      kH: pointwise ? 1 : pick(1, 4),
      kW: pointwise ? 1 : pick(1, 4),
      strideH: pointwise ? 1 : pick(1, 3),
      strideW: pointwise ? 1 : pick(1, 3),
      padH: pointwise ? 0 : pick(0, 3),
      padW: pointwise ? 0 : pick(0, 3),
      dilH: pick(1, 3),
      dilW: pick(1, 3),
      groups,
    };
    const out = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
    g.outH = out(g.inH, g.kH, g.strideH, g.padH, g.dilH);
    g.outW = out(g.inW, g.kW, g.strideW, g.padW, g.dilW);
    if (g.outH >= 1 && g.outW >= 1) return g;
  }
}

const sizes = (g: ConvGeometry) => ({
  x: g.batch * g.inC * g.inH * g.inW,
  w: g.outC * (g.inC / g.groups) * g.kH * g.kW,
  y: g.batch * g.outC * g.outH * g.outW,
});
const describeGeometry = (g: ConvGeometry) => JSON.stringify(g);

const dtypes = [
  ['float64', Float64Array, 1e-10],
  ['float32', Float32Array, 1e-4],
] as const;

describe.each(dtypes)('im2col + GEMM against the naive loops (%s)', (_name, Type, tolerance) => {
  const geometries = [...Array.from({ length: 150 }, () => randomGeometry()), ...Array.from({ length: 10 }, () => randomGeometry(true))];

  // Both paths run on every geometry, whichever one the dispatcher would pick.
  const paths = [
    ['dispatched', conv.conv2dForward, conv.convTranspose2dForward, conv.conv2dWeightGrad],
    ['im2col', conv.conv2dIm2col, conv.convTranspose2dIm2col, conv.conv2dWeightGradIm2col],
    ['direct', conv.conv2dDirect, conv.convTranspose2dDirect, conv.conv2dWeightGradDirect],
  ] as const;

  test.each(paths)('%s: forward, with and without bias', (_path, forward) => {
    for (const g of geometries) {
      const n = sizes(g);
      const x = random(n.x, Type);
      const w = random(n.w, Type);
      const bias = r.next() < 0.5 ? random(g.outC, Type) : null;
      try {
        expectClose(forward(x, w, bias, g, new Type(n.y)), conv2dReference(x, w, bias, g, new Type(n.y)), tolerance);
      } catch (e) {
        throw new Error(`${describeGeometry(g)}: ${(e as Error).message}`);
      }
    }
  });

  test.each(paths)('%s: transposed, with and without bias', (_path, _forward, transposed) => {
    for (const g of geometries) {
      const n = sizes(g);
      const x = random(n.y, Type);
      const w = random(n.w, Type);
      const bias = r.next() < 0.5 ? random(g.inC, Type) : null;
      try {
        expectClose(transposed(x, w, bias, g, new Type(n.x)), convTranspose2dReference(x, w, bias, g, new Type(n.x)), tolerance);
      } catch (e) {
        throw new Error(`${describeGeometry(g)}: ${(e as Error).message}`);
      }
    }
  });

  test.each(paths)('%s: weight gradient', (_path, _forward, _transposed, weightGrad) => {
    for (const g of geometries) {
      const n = sizes(g);
      const x = random(n.x, Type);
      const gy = random(n.y, Type);
      try {
        expectClose(weightGrad(x, gy, g, new Type(n.w)), conv2dWeightGradReference(x, gy, g, new Type(n.w)), tolerance);
      } catch (e) {
        throw new Error(`${describeGeometry(g)}: ${(e as Error).message}`);
      }
    }
  });

  test('the dispatcher takes the direct path exactly when each group has one output channel', () => {
    for (const g of geometries) expect(conv.takesDirectPath(g)).toBe(g.outC === g.groups);
    expect(geometries.some((g) => conv.takesDirectPath(g))).toBe(true);
    expect(geometries.some((g) => !conv.takesDirectPath(g))).toBe(true);
  });

  test('an input taller and wider than the windows reach (what outputPadding ≥ stride leaves over)', () => {
    for (let trial = 0; trial < 30; trial++) {
      const g = { ...randomGeometry(), batch: 1 };
      g.inH += pick(0, 3);
      g.inW += pick(0, 3);
      const n = sizes(g);
      const x = random(n.y, Type);
      const w = random(n.w, Type);
      const xs = random(n.x, Type);
      for (const [, forward, transposed, weightGrad] of paths) {
        expectClose(transposed(x, w, null, g, new Type(n.x)), convTranspose2dReference(x, w, null, g, new Type(n.x)), tolerance);
        expectClose(forward(xs, w, null, g, new Type(n.y)), conv2dReference(xs, w, null, g, new Type(n.y)), tolerance);
        expectClose(weightGrad(xs, x, g, new Type(n.w)), conv2dWeightGradReference(xs, x, g, new Type(n.w)), tolerance);
      }
    }
  });
});

describe('im2col and col2im', () => {
  test('col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>', () => {
    for (let trial = 0; trial < 50; trial++) {
      const g = randomGeometry();
      const rows = (g.inC / g.groups) * g.kH * g.kW;
      const plane = g.outH * g.outW;
      const x = random((g.inC / g.groups) * g.inH * g.inW, Float64Array);
      const c = random(rows * plane, Float64Array);
      const col = new Float64Array(rows * plane);
      conv.im2col(x, 0, g, col, plane, 1);
      const back = new Float64Array(x.length);
      conv.col2im(c, g, back, 0);
      expect(dot(col, c)).toBeCloseTo(dot(x, back), 9);
    }
  });

  test('the transposed layout holds the same matrix', () => {
    for (let trial = 0; trial < 30; trial++) {
      const g = randomGeometry();
      const rows = (g.inC / g.groups) * g.kH * g.kW;
      const plane = g.outH * g.outW;
      const x = random((g.inC / g.groups) * g.inH * g.inW, Float64Array);
      const col = new Float64Array(rows * plane);
      const colT = new Float64Array(rows * plane);
      conv.im2col(x, 0, g, col, plane, 1);
      conv.im2col(x, 0, g, colT, 1, rows);
      const transposed = new Float64Array(rows * plane);
      for (let i = 0; i < rows; i++) for (let p = 0; p < plane; p++) transposed[p * rows + i] = col[i * plane + p];
      expect(Array.from(colT)).toEqual(Array.from(transposed));
    }
  });

  test('the tutorial layer by hand: row (c=0, i=0, j=0) reads the top-left tap of every window', () => {
    const g: ConvGeometry = {
      batch: 1,
      inC: 1,
      inH: 5,
      inW: 5,
      outC: 1,
      outH: 3,
      outW: 3,
      kH: 3,
      kW: 3,
      strideH: 2,
      strideW: 2,
      padH: 1,
      padW: 1,
      dilH: 1,
      dilW: 1,
      groups: 1,
    };
    const x = Float64Array.from({ length: 25 }, (_, i) => i + 1);
    const col = new Float64Array(9 * 9);
    conv.im2col(x, 0, g, col, 9, 1);
    // window (oh, ow) starts at x[2·oh − 1][2·ow − 1]: padding for oh = 0 or ow = 0
    expect(Array.from(col.subarray(0, 9))).toEqual([0, 0, 0, 0, 7, 9, 0, 17, 19]);
    // the centre tap (row 4) reads x[2·oh][2·ow]
    expect(Array.from(col.subarray(36, 45))).toEqual([1, 3, 5, 11, 13, 15, 21, 23, 25]);
  });
});

describe('conv2dTaps (the products of an expanded graph)', () => {
  test("summing each output's products reproduces the reference, padding left out", () => {
    for (let trial = 0; trial < 40; trial++) {
      const g = randomGeometry();
      const n = sizes(g);
      const x = random(n.x, Float64Array);
      const w = random(n.w, Float64Array);
      const taps = conv.conv2dTaps(g);
      expect(taps.start.length).toBe(n.y + 1);
      const y = new Float64Array(n.y);
      for (let o = 0; o < n.y; o++) for (let k = taps.start[o]; k < taps.start[o + 1]; k++) y[o] += x[taps.xIndex[k]] * w[taps.wIndex[k]];
      expectClose(y, conv2dReference(x, w, null, g, new Float64Array(n.y)), 1e-12);
      // every tap meets the image: no more taps than output elements × filter elements
      expect(taps.xIndex.length).toBeLessThanOrEqual(n.y * (g.inC / g.groups) * g.kH * g.kW);
    }
  });
});

describe('pooling kernels', () => {
  /** Pools by materialising the padded image (fill: what padding holds) and scanning windows. */
  function poolReference(x: Storage, g: PoolGeometry, fill: number, reduce: (vs: number[]) => number): Float64Array {
    const y = new Float64Array(g.planes * g.outH * g.outW);
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const vs: number[] = [];
          for (let i = 0; i < g.kH; i++) {
            for (let j = 0; j < g.kW; j++) {
              const ih = oh * g.strideH - g.padH + i;
              const iw = ow * g.strideW - g.padW + j;
              vs.push(ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW ? fill : x[(p * g.inH + ih) * g.inW + iw]);
            }
          }
          y[o++] = reduce(vs);
        }
      }
    }
    return y;
  }

  function randomPool(): PoolGeometry {
    const kH = pick(1, 4);
    const kW = pick(1, 4);
    const g = {
      planes: pick(1, 4),
      inH: pick(kH, 8),
      inW: pick(kW, 8),
      outH: 0,
      outW: 0,
      kH,
      kW,
      strideH: pick(1, 3),
      strideW: pick(1, 3),
      padH: pick(0, Math.floor(kH / 2)),
      padW: pick(0, Math.floor(kW / 2)),
    };
    g.outH = Math.floor((g.inH + 2 * g.padH - kH) / g.strideH) + 1;
    g.outW = Math.floor((g.inW + 2 * g.padW - kW) / g.strideW) + 1;
    return g;
  }

  test('maxPool2d and avgPool2d against the padded-image reference', () => {
    for (let trial = 0; trial < 100; trial++) {
      const g = randomPool();
      const x = random(g.planes * g.inH * g.inW, Float64Array);
      const n = g.planes * g.outH * g.outW;
      const argmax = new Int32Array(n);
      const y = pool.maxPool2d(x, g, new Float64Array(n), argmax);
      expectClose(
        y,
        poolReference(x, g, -Infinity, (vs) => Math.max(...vs)),
        0,
      );
      argmax.forEach((at, o) => expect(x[at]).toBe(y[o]));
      expectClose(
        pool.avgPool2d(x, g, new Float64Array(n)),
        poolReference(x, g, 0, (vs) => vs.reduce((s, v) => s + v, 0) / vs.length),
        1e-12,
      );
    }
  });

  test('avgPool2dAdjoint and scatterAddFlat are the adjoints of avgPool2d and gatherFlat', () => {
    for (let trial = 0; trial < 30; trial++) {
      const g = randomPool();
      const x = random(g.planes * g.inH * g.inW, Float64Array);
      const gy = random(g.planes * g.outH * g.outW, Float64Array);
      const y = pool.avgPool2d(x, g, new Float64Array(gy.length));
      const gx = pool.avgPool2dAdjoint(gy, g, new Float64Array(x.length));
      expect(dot(y, gy)).toBeCloseTo(dot(x, gx), 10);
      const index = Int32Array.from(gy, () => r.int(x.length));
      const gathered = pool.gatherFlat(x, index, new Float64Array(index.length));
      const scattered = pool.scatterAddFlat(gy, index, new Float64Array(x.length));
      expect(dot(gathered, gy)).toBeCloseTo(dot(x, scattered), 10);
    }
  });

  test('max pooling: the first maximum of a window wins, NaN beats everything', () => {
    const g: PoolGeometry = { planes: 1, inH: 2, inW: 2, outH: 1, outW: 1, kH: 2, kW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 };
    const argmax = new Int32Array(1);
    pool.maxPool2d(Float64Array.from([1, 4, 4, 2]), g, new Float64Array(1), argmax);
    expect(argmax[0]).toBe(1);
    const y = pool.maxPool2d(Float64Array.from([1, NaN, 9, NaN]), g, new Float64Array(1), argmax);
    expect(Number.isNaN(y[0])).toBe(true);
    expect(argmax[0]).toBe(1);
  });
});
