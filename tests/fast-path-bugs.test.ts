/**
 * The fast-path bugs found by trying the float32 paths against PyTorch and with adversarial inputs
 * (batch 0, huge sizes, many threads, odd characters), one test each; each failed before its fix.
 */
import * as tg from '../src';
import { jsKernels, Kernels } from '../src/kernels';
import type { ConvGeometry } from '../src/kernels/types';
import { CONV_GEOMETRY_BYTES, CONV_LAYOUT } from '../src/kernels/types';
import { MAX_CHUNKS, MAX_THREADS, threadCount } from '../src/kernels/wasm/parallel';
import { createWasmKernels } from '../src/kernels/wasm/backend';
import { conv2dForwardWasm, conv2dWeightGradWasm, convTranspose2dForwardWasm } from '../src/kernels/wasm/conv';
import { loadRuntime, Runtime } from '../src/kernels/wasm/runtime';
import { escapeXml, xmlSafe } from '../src/viz/escape';

jest.setTimeout(60_000);

function runtime(threads: number, allowRelaxed = true): Runtime {
  const { runtime: rt, reason } = loadRuntime({ threads, allowRelaxed });
  if (rt === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  return rt;
}

async function ready(rt: Runtime, workers: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (rt.pool.ready < workers) {
    if (Date.now() > deadline) throw new Error('kernel workers did not start within 20 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const one = runtime(1);
const relaxed2 = runtime(2);
beforeAll(() => ready(relaxed2, 1));

const geometry = (g: Partial<ConvGeometry>): ConvGeometry => ({
  batch: 1,
  inC: 1,
  inH: 1,
  inW: 1,
  outC: 1,
  outH: 1,
  outW: 1,
  kH: 1,
  kW: 1,
  strideH: 1,
  strideW: 1,
  padH: 0,
  padW: 0,
  dilH: 1,
  dilW: 1,
  groups: 1,
  ...g,
});

test('1. the WebAssembly weight gradient of a batch-0 convolution is zeros, not leftover scratch memory', () => {
  const g = geometry({ batch: 8, inC: 16, inH: 10, inW: 10, outC: 8, outH: 8, outW: 8, kH: 3, kW: 3 });
  const rand = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  // A real call first leaves its partial sums in the arena.
  conv2dWeightGradWasm(one, rand(8 * 16 * 100), rand(8 * 8 * 64), g, new Float32Array(8 * 16 * 9));
  const empty = { ...g, batch: 0 };
  const gw = new Float32Array(8 * 16 * 9).fill(7);
  expect(Array.from(conv2dWeightGradWasm(one, new Float32Array(0), new Float32Array(0), empty, gw)).every((v) => v === 0)).toBe(true);
  // And through the public op, conv1d/conv2d/convTranspose2d: tests/float32-paths.test.ts (empty inputs).
});

test('3. the geometry the kernels read is written at the offsets they read (one field list)', () => {
  const fields = Object.keys(CONV_LAYOUT);
  expect(fields.sort()).toEqual(Object.keys(geometry({})).sort());
  const offsets = Object.values(CONV_LAYOUT).sort((a, b) => a - b);
  expect(offsets).toEqual(offsets.map((_, i) => 4 * i));
  expect(CONV_GEOMETRY_BYTES).toBeGreaterThanOrEqual(4 * fields.length);
});

describe('4. any thread count works', () => {
  test('TAPEGRAD_THREADS above the maximum is clamped; nonsense is an error naming the variable', () => {
    expect(threadCount('65')).toBe(MAX_THREADS);
    expect(threadCount('1000')).toBe(MAX_THREADS);
    expect(threadCount('3')).toBe(3);
    expect(threadCount(' ')).toBeGreaterThanOrEqual(1);
    for (const bad of ['0', '-2', '1.5', 'many'])
      expect(() => threadCount(bad)).toThrow(`TAPEGRAD_THREADS: expected a whole number of threads ≥ 1, got '${bad}'`);
    // The runtime clamps too (4 chunks per thread must fit the chunk table).
    expect(4 * MAX_THREADS).toBeLessThanOrEqual(MAX_CHUNKS);
  });

  test('a job of more chunks than the table holds runs every chunk once, across threads', () => {
    const rt = relaxed2;
    rt.reset();
    const n = 1000;
    const x = rt.reserve(4 * n);
    const y = rt.reserve(4 * n);
    const f32 = rt.f32;
    for (let i = 0; i < n; i++) f32[(x >> 2) + i] = i - 500;
    f32.fill(-1, y >> 2, (y >> 2) + n);
    // unaryOp(op, x, y, n): relu of one element per chunk, 1000 chunks.
    const chunks = Array.from({ length: n }, (_, i) => [0, x + 4 * i, y + 4 * i, 1]);
    expect(chunks.length).toBeGreaterThan(MAX_CHUNKS);
    rt.runChunks('unaryOp', chunks, 2, 0, 0);
    const out = rt.f32.subarray(y >> 2, (y >> 2) + n);
    for (let i = 0; i < n; i++) expect(out[i]).toBe(Math.max(0, i - 500));
  });
});

describe('5. convolutions whose scratch passes 2 GiB', () => {
  // x [1,1,1024,1024], w [2,1,27,27], padding 13: 2.9 GB of im2col columns.
  const g = geometry({ inH: 1024, inW: 1024, outC: 2, outH: 1024, outW: 1024, kH: 27, kW: 27, padH: 13, padW: 13 });

  test('the scratch size is computed without wrapping around, and the arena refuses it before any kernel runs', () => {
    const geo = one.reserve(CONV_GEOMETRY_BYTES);
    for (const [field, at] of Object.entries(CONV_LAYOUT)) one.i32[(geo + at) >> 2] = g[field as keyof ConvGeometry];
    const bytes = one.exports.convScratchBytes(geo);
    expect(bytes).toBeGreaterThan(2 ** 31);
    expect(bytes).toBeGreaterThanOrEqual(4 * 27 * 27 * 1024 * 1024);
    expect(() => one.reserve(bytes)).toThrow(RangeError);
    expect(() => one.reserve(-64)).toThrow('wasm: cannot reserve -64 bytes');
    expect(() => one.reserve(NaN)).toThrow(RangeError);
  });

  test.each([
    [
      'conv2dForward',
      (rt: Runtime) => conv2dForwardWasm(rt, new Float32Array(1 << 20), new Float32Array(2 * 729), null, g, new Float32Array(2 << 20)),
    ],
    [
      'convTranspose2dForward',
      (rt: Runtime) =>
        convTranspose2dForwardWasm(rt, new Float32Array(2 << 20), new Float32Array(2 * 729), null, g, new Float32Array(1 << 20)),
    ],
    [
      'conv2dWeightGrad',
      (rt: Runtime) => conv2dWeightGradWasm(rt, new Float32Array(1 << 20), new Float32Array(2 << 20), g, new Float32Array(2 * 729)),
    ],
  ] as const)('%s: the WebAssembly wrapper refuses with a RangeError, and the backend runs the TypeScript kernel instead', (name, call) => {
    expect(() => call(one)).toThrow(RangeError);
    const marker = new Float32Array([42]);
    const js: Kernels = { ...jsKernels, [name]: () => marker };
    const k = createWasmKernels(one, js);
    const result =
      name === 'conv2dWeightGrad'
        ? k.conv2dWeightGrad(new Float32Array(1 << 20), new Float32Array(2 << 20), g, new Float32Array(2 * 729))
        : k[name](
            new Float32Array(name === 'conv2dForward' ? 1 << 20 : 2 << 20),
            new Float32Array(2 * 729),
            null,
            g,
            new Float32Array(name === 'conv2dForward' ? 2 << 20 : 1 << 20),
          );
    expect(result).toBe(marker);
  });
});

describe('6. the thread count never changes a bit', () => {
  test.each([0, 7, 50])(
    'conv1d of one long signal, relaxed SIMD, padding %i: one thread and two give identical outputs and gradients',
    (padding) => {
      const k1 = createWasmKernels(one, jsKernels);
      const k2 = createWasmKernels(relaxed2, jsKernels);
      expect(one.variant).toBe('relaxed');
      const l = 100_000;
      const taps = 101;
      const outW = l + 2 * padding - taps + 1;
      const g = geometry({ inW: l, outW, kW: taps, padW: padding });
      const x = Float32Array.from({ length: l }, (_, i) => Math.sin(i * 0.37) * 3);
      const w = Float32Array.from({ length: taps }, (_, i) => Math.cos(i * 1.3) / 7);
      const gy = Float32Array.from({ length: outW }, (_, i) => Math.sin(i * 0.11));
      expect(k2.conv2dForward(x, w, null, g, new Float32Array(outW))).toEqual(k1.conv2dForward(x, w, null, g, new Float32Array(outW)));
      expect(k2.convTranspose2dForward(gy, w, null, g, new Float32Array(l))).toEqual(
        k1.convTranspose2dForward(gy, w, null, g, new Float32Array(l)),
      );
      expect(k2.conv2dWeightGrad(x, gy, g, new Float32Array(taps))).toEqual(k1.conv2dWeightGrad(x, gy, g, new Float32Array(taps)));
    },
  );
});

describe('8. every generated SVG/HTML/DOT text is valid XML, whatever characters it is given', () => {
  // XML 1.0's Char production.
  const xmlChar = /^[\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;
  const nasty = `runs/a\u0000b\u0001\u0008\u000b\u000c\u001f\u007f\ud800x\udfff\ufffe\uffff"<&>'\t\n😀`;

  test('escapeXml and xmlSafe leave only characters XML allows, and keep the visible ones', () => {
    const escaped = escapeXml(nasty);
    expect(xmlChar.test(escaped)).toBe(true);
    expect(escaped).toContain('&quot;&lt;&amp;&gt;&#39;');
    expect(escaped).toContain('😀');
    expect(escaped).toContain('a\u2400b\u2401');
    expect(xmlSafe('ok')).toBe('ok');
  });

  test('a tensor named with control characters gives a DOT label with none of them', () => {
    const x = tg.tensor([1, 2], { name: nasty, requiresGrad: true });
    const dot = tg.viz.toDot(x.mul(2).sum());
    expect(xmlChar.test(dot)).toBe(true);
  });
});

describe('relu propagates NaN, as PyTorch does, on both kernel paths', () => {
  test.each([3, 5000])('%i elements', (n) => {
    const data = new Float32Array(n);
    data[0] = NaN;
    data[1] = -1;
    data[2] = 2;
    const x = tg.tensor(data, { requiresGrad: true });
    const y = tg.relu(x);
    expect(Number.isNaN(y.data[0])).toBe(true);
    expect([y.data[1], y.data[2]]).toEqual([0, 2]);
    y.sum().backward();
    // threshold_backward passes the gradient where x <= 0 is false, NaN included.
    expect([x.grad!.data[0], x.grad!.data[1], x.grad!.data[2]]).toEqual([1, 0, 1]);
  });
});
