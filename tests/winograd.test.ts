/**
 * Winograd F(2×2, 3×3) (assembly/winograd.ts, Note [winograd] in src/kernels/wasm/conv.ts): the
 * forward and the transposed convolution (conv2d's input gradient) against an independent float64
 * loop, within an error bound derived below from the algorithm's float32 steps; odd sizes, padding
 * 0/1/2, batch 1, channel counts 1 and not multiples of 4, on one and three threads.
 */
import * as tg from '../src';
import type { ConvGeometry } from '../src/kernels/types';
import { loadRuntime, PARALLEL_MIN_MACS, Runtime } from '../src/kernels/wasm/runtime';
import { conv2dForwardWasm, convTranspose2dForwardWasm, fitsWinograd, winogradPays } from '../src/kernels/wasm/conv';
import { convMacs } from '../src/kernels/types';
import { jsKernels } from '../src/kernels';
import { flipped, winogradMagnitude } from './kernel-references';

/** Unit roundoff of float32 (half its epsilon). */
const U32 = 2 ** -24;

function requireRuntime(threads: number, relaxed: boolean): Runtime {
  const { runtime: rt, reason } = loadRuntime({ threads, allowRelaxed: relaxed });
  if (rt === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  return rt;
}

const runtimes: [string, Runtime][] = [
  ['relaxed SIMD, 1 thread', requireRuntime(1, true)],
  ['relaxed SIMD, 3 threads', requireRuntime(3, true)],
  ['plain SIMD, 3 threads', requireRuntime(3, false)],
];

beforeAll(async () => {
  const deadline = Date.now() + 20000;
  for (const [, rt] of runtimes) {
    while (rt.pool.ready < rt.threads - 1) {
      if (Date.now() > deadline) throw new Error('the kernel worker threads did not start within 20 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
});

const random = tg.rng(29);

/** Values in [-1, 1) with a few exact zeros and a few of magnitude up to 32. */
function fill(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = random.next();
    x[i] = u < 0.05 ? 0 : u < 0.1 ? (random.next() - 0.5) * 64 : random.next() * 2 - 1;
  }
  return x;
}

interface Case {
  name: string;
  batch: number;
  inC: number;
  outC: number;
  inH: number;
  inW: number;
  pad: [number, number];
}

function geometry(c: Case): ConvGeometry {
  return {
    batch: c.batch,
    inC: c.inC,
    inH: c.inH,
    inW: c.inW,
    outC: c.outC,
    outH: c.inH + 2 * c.pad[0] - 2,
    outW: c.inW + 2 * c.pad[1] - 2,
    kH: 3,
    kW: 3,
    strideH: 1,
    strideW: 1,
    padH: c.pad[0],
    padW: c.pad[1],
    dilH: 1,
    dilW: 1,
    groups: 1,
  };
}

/** The plain correlation in float64: y[n,k,oh,ow] = b[k] + Σ x[n,c,oh+i−p,ow+j−p] w[k,c,i,j]. */
function reference(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, g: ConvGeometry): Float64Array {
  const y = new Float64Array(g.batch * g.outC * g.outH * g.outW);
  for (let n = 0; n < g.batch; n++)
    for (let k = 0; k < g.outC; k++)
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++) {
          let s = bias === null ? 0 : bias[k];
          for (let c = 0; c < g.inC; c++)
            for (let i = 0; i < 3; i++)
              for (let j = 0; j < 3; j++) {
                const ih = oh + i - g.padH;
                const iw = ow + j - g.padW;
                if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) continue;
                s += x[((n * g.inC + c) * g.inH + ih) * g.inW + iw] * w[((k * g.inC + c) * 3 + i) * 3 + j];
              }
          y[((n * g.outC + k) * g.outH + oh) * g.outW + ow] = s;
        }
  return y;
}

/** The number of outputs outside |got − exact| ≤ (C + 8)·u·E·1.001 (see winogradMagnitude). */
function outsideBound(got: ArrayLike<number>, exact: Float64Array, magnitude: Float64Array, channels: number): number {
  expect(got.length).toBe(exact.length);
  let bad = 0;
  for (let i = 0; i < exact.length; i++) {
    const err = Math.abs(got[i] - exact[i]);
    if (!(err <= (channels + 8) * U32 * magnitude[i] * 1.001)) bad++;
  }
  return bad;
}

const cases: Case[] = [
  { name: 'odd 7×9, pad 1, 5 → 6 channels', batch: 2, inC: 5, outC: 6, inH: 7, inW: 9, pad: [1, 1] },
  { name: 'one channel each, 11×13, pad 0', batch: 1, inC: 1, outC: 1, inH: 11, inW: 13, pad: [0, 0] },
  { name: 'pad 2, 3 → 7 channels, 6×5', batch: 1, inC: 3, outC: 7, inH: 6, inW: 5, pad: [2, 2] },
  { name: 'pads [0, 2], 9 → 2 channels, 10×7', batch: 2, inC: 9, outC: 2, inH: 10, inW: 7, pad: [0, 2] },
  { name: 'smallest input 3×3, pad 0 (one output)', batch: 1, inC: 2, outC: 3, inH: 3, inW: 3, pad: [0, 0] },
  { name: 'several blocks of tile rows, 9×301', batch: 1, inC: 3, outC: 5, inH: 9, inW: 301, pad: [1, 1] },
  { name: 'threaded size: 13 → 11 channels, 27×25, batch 3', batch: 3, inC: 13, outC: 11, inH: 27, inW: 25, pad: [1, 1] },
];

test('the threaded case is above the threshold for splitting, and every case fits the Winograd kernel both ways', () => {
  const big = cases.find((c) => c.name.startsWith('threaded'))!;
  expect(convMacs(geometry(big))).toBeGreaterThanOrEqual(PARALLEL_MIN_MACS);
  for (const c of cases) {
    const g = geometry(c);
    expect(fitsWinograd(g)).toBe(true);
    expect(fitsWinograd(flipped(g, new Float32Array(g.inC * g.outC * 9)).g)).toBe(true);
  }
});

describe.each(runtimes)('winograd, %s', (_name, rt) => {
  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_label, c) => {
    const g = geometry(c);
    const xSize = g.batch * g.inC * g.inH * g.inW;
    const ySize = g.batch * g.outC * g.outH * g.outW;

    test('forward (with and without bias) is within the derived bound of the float64 loop', () => {
      const x = fill(xSize);
      const w = fill(g.outC * g.inC * 9);
      const bias = fill(g.outC);
      for (const b of [null, bias]) {
        const got = conv2dForwardWasm(rt, x, w, b, g, new Float32Array(ySize).fill(NaN), true);
        expect(outsideBound(got, reference(x, w, b, g), winogradMagnitude(x, w, b, g), g.inC)).toBe(0);
      }
    });

    test('transposed (the input gradient) is within the derived bound of the float64 loop', () => {
      const gy = fill(ySize);
      const w = fill(g.outC * g.inC * 9);
      const bias = fill(g.inC);
      const f = flipped(g, w);
      for (const b of [null, bias]) {
        const got = convTranspose2dForwardWasm(rt, gy, w, b, g, new Float32Array(xSize).fill(NaN), true);
        expect(outsideBound(got, reference(gy, f.w, b, f.g), winogradMagnitude(gy, f.w, b, f.g), f.g.inC)).toBe(0);
      }
    });
  });
});

test('the bound is tight enough to catch a small error: a weight off by 10⁻³ falls outside it', () => {
  const g = geometry(cases[0]);
  const rt = runtimes[0][1];
  const x = fill(g.batch * g.inC * g.inH * g.inW);
  const w = fill(g.outC * g.inC * 9);
  const got = conv2dForwardWasm(rt, x, w, null, g, new Float32Array(g.batch * g.outC * g.outH * g.outW), true);
  const exact = reference(x, w, null, g);
  const magnitude = winogradMagnitude(x, w, null, g);
  expect(outsideBound(got, exact, magnitude, g.inC)).toBe(0);
  // One weight off by 10⁻³ (a wrong tap or transform would be far larger): caught.
  const shifted = Float32Array.from(w);
  shifted[4] += 1e-3;
  expect(
    outsideBound(conv2dForwardWasm(rt, x, shifted, null, g, new Float32Array(got.length), true), exact, magnitude, g.inC),
  ).toBeGreaterThan(0);
});

test('Winograd gives the same bits on one and three threads, and only 3×3 stride-1 undilated ungrouped geometries fit it', () => {
  const c = cases.find((k) => k.name.startsWith('threaded'))!;
  const g = geometry(c);
  const x = fill(g.batch * g.inC * g.inH * g.inW);
  const w = fill(g.outC * g.inC * 9);
  const one = conv2dForwardWasm(runtimes[0][1], x, w, null, g, new Float32Array(g.batch * g.outC * g.outH * g.outW), true);
  const three = conv2dForwardWasm(runtimes[1][1], x, w, null, g, new Float32Array(one.length), true);
  expect(three).toEqual(one);
  expect(fitsWinograd({ ...g, strideH: 2, outH: 16 })).toBe(false);
  expect(fitsWinograd({ ...g, dilW: 2, outW: 27 })).toBe(false);
  expect(fitsWinograd({ ...g, groups: 17, outC: 17 })).toBe(false);
  expect(fitsWinograd({ ...g, kH: 5, outH: 29 })).toBe(false);
  // float64 never reaches the WebAssembly kernels; a transposed convolution padded past 2 has no Winograd correlation.
  expect(fitsWinograd(flipped({ ...g, padH: 3, outH: 37 }, w).g)).toBe(false);
  // Note [winograd]'s rule: the forward with ≥ 16 input and ≥ 8 output channels, the transposed
  // direction with ≥ 8 on both sides of its correlation; W1 (16 → 32 on 32×32) takes it both ways.
  const w1: ConvGeometry = { ...geometry({ name: 'W1', batch: 32, inC: 16, outC: 32, inH: 32, inW: 32, pad: [1, 1] }) };
  expect(winogradPays(w1)).toBe(true);
  expect(winogradPays(flipped(w1, new Float32Array(16 * 32 * 9)).g, true)).toBe(true);
  expect(winogradPays({ ...w1, inC: 8 })).toBe(false);
  expect(winogradPays({ ...w1, inC: 8 }, true)).toBe(true);
  expect(winogradPays({ ...w1, outC: 8 })).toBe(true);
  expect(winogradPays({ ...w1, outC: 4 })).toBe(false);
  expect(winogradPays({ ...w1, inC: 4 }, true)).toBe(false);
  expect(winogradPays({ ...w1, strideH: 2, outH: 16 })).toBe(false);
});

test('tg.conv2d in float32 takes Winograd for a 16 → 16 layer: its output and input gradient are within the bound', () => {
  expect(tg.backend().kernels).toMatch(/^wasm/);
  const g = geometry({ name: 'op', batch: 2, inC: 16, outC: 16, inH: 9, inW: 11, pad: [1, 1] });
  expect(winogradPays(g)).toBe(true);
  const xs = fill(g.batch * g.inC * g.inH * g.inW);
  const ws = fill(g.outC * g.inC * 9);
  const gys = fill(g.batch * g.outC * g.outH * g.outW);
  const x = tg.tensor(xs, { shape: [g.batch, g.inC, g.inH, g.inW], requiresGrad: true });
  const w = tg.tensor(ws, { shape: [g.outC, g.inC, 3, 3] });
  const y = tg.conv2d(x, w, null, { padding: 1 });
  expect(y.dtype).toBe('float32');
  expect(outsideBound(y.data, reference(xs, ws, null, g), winogradMagnitude(xs, ws, null, g), g.inC)).toBe(0);
  // gy reaches the convolution's backward exactly (the sum's gradient is 1, times gy).
  y.mul(tg.tensor(gys, { shape: y.shape }))
    .sum()
    .backward();
  const f = flipped(g, ws);
  expect(outsideBound(x.grad!.data, reference(gys, f.w, null, f.g), winogradMagnitude(gys, f.w, null, f.g), f.g.inC)).toBe(0);
});

test('a strided 3×3 transposed convolution (a stride-2 layer’s input gradient) never takes the flipped Winograd path', () => {
  // flippedGeometry drops the stride: at stride 2 its correlation is another operation. With
  // Winograd asked for and channel counts at which it pays, the result must still be the strided
  // transposed convolution — as the float64 TypeScript kernel computes it.
  for (const [stride, pad, outPad] of [
    [2, 1, 1],
    [2, 0, 0],
    [3, 1, 2],
  ]) {
    const inH = 14;
    const outH = Math.floor((inH + 2 * pad - 3) / stride) + 1;
    const g: ConvGeometry = {
      batch: 3,
      inC: 16,
      inH: inH + outPad,
      inW: inH + outPad,
      outC: 32,
      outH,
      outW: outH,
      kH: 3,
      kW: 3,
      strideH: stride,
      strideW: stride,
      padH: pad,
      padW: pad,
      dilH: 1,
      dilW: 1,
      groups: 1,
    };
    const gy = fill(g.batch * g.outC * g.outH * g.outW);
    const w = fill(g.outC * g.inC * 9);
    const want = jsKernels.convTranspose2dForward(
      Float64Array.from(gy),
      Float64Array.from(w),
      null,
      g,
      new Float64Array(g.batch * g.inC * g.inH * g.inW),
    );
    const scale = Array.from(want).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (const [, rt] of runtimes) {
      const got = convTranspose2dForwardWasm(rt, gy, w, null, g, new Float32Array(want.length).fill(NaN), true);
      const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
      // Sums of 16·9/stride² float32 products: far inside 10⁻⁵ of the largest output; the wrong path was off by ~1.
      expect(worst / scale).toBeLessThan(1e-5);
    }
  }
});
