/**
 * The WebAssembly SIMD kernels against the TypeScript kernels and the naive reference loops: the same
 * tests run on every implementation (TypeScript, WASM on one thread, WASM split across a worker),
 * on random inputs with odd sizes, edge tiles, offsets and transposes, and each result must equal a
 * float64 reference within float32 rounding.
 */
import * as tg from '../src';
import * as conv from '../src/kernels/js/conv';
import * as elementwise from '../src/kernels/js/elementwise';
import type { ConvGeometry } from '../src/kernels/types';
import { gemmJs } from '../src/kernels/js/matmul';
import { jsKernels, selectKernels, wasmMode } from '../src/kernels';
import * as pool from '../src/kernels/js/pool';
import type { PoolGeometry } from '../src/kernels/types';
import type { Storage } from '../src/tensor/dtype';
import { loadRuntime, PARALLEL_MIN_MACS, Runtime } from '../src/kernels/wasm/runtime';
import { wasmBytes } from '../src/kernels/wasm/bytes';
import { createWasmKernels } from '../src/kernels/wasm/backend';
import { conv2dForwardWasm, conv2dWeightGradWasm, convTranspose2dForwardWasm, winogradPays } from '../src/kernels/wasm/conv';
import { binaryWasm, unaryWasm } from '../src/kernels/wasm/elementwise';
import { gemmWasm } from '../src/kernels/wasm/gemm';
import {
  batchNormBackwardWasm,
  batchNormForwardWasm,
  layerNormBackwardWasm,
  layerNormForwardWasm,
  maskPositiveWasm,
} from '../src/kernels/wasm/normalization';
import * as layerNorm from '../src/kernels/js/layer-norm';
import * as normalizationWasm from '../src/kernels/wasm/normalization';
import { maxPool2dWasm, scatterAddFlatWasm } from '../src/kernels/wasm/pool';
import * as movement from '../src/kernels/wasm/movement';
import * as normalization from '../src/kernels/js/normalization';
import { sgdStep } from '../src/kernels/js/optimizers';
import { sgdStepWasm } from '../src/kernels/wasm/optimizers';
import {
  conv2dReference,
  convTranspose2dReference,
  conv2dWeightGradReference,
  flipped,
  gemmReference,
  winogradMagnitude,
} from './kernel-references';

/**
 * The WASM kernels are tested whatever TAPEGRAD_WASM says (it only decides what the ops dispatch
 * to): both builds — fused multiply-add (relaxed SIMD) and plain SIMD — on one and two threads.
 */
function requireRuntime(threads: number, relaxed: boolean): Runtime {
  const { runtime: rt, reason } = loadRuntime({ threads, allowRelaxed: relaxed });
  if (rt === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  expect(rt.variant).toBe(relaxed ? 'relaxed' : 'simd');
  return rt;
}

const single = requireRuntime(1, true);
const threaded = requireRuntime(2, true);
const plain = requireRuntime(1, false);
const plainThreaded = requireRuntime(2, false);

beforeAll(async () => {
  const deadline = Date.now() + 20000;
  while (threaded.pool.ready < 1 || plainThreaded.pool.ready < 1) {
    if (Date.now() > deadline) throw new Error('the kernel worker thread did not start within 20 s');
    await new Promise((r) => setTimeout(r, 10));
  }
});

const random = tg.rng(7);

/** Values in [-1, 1) with a few exact zeros and larger magnitudes mixed in. */
function fill(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = random.next();
    x[i] = u < 0.05 ? 0 : u < 0.1 ? (random.next() - 0.5) * 64 : random.next() * 2 - 1;
  }
  return x;
}

/** Unit roundoff of float32. */
const EPS32 = 2 ** -24;

type Gemm = (
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  out: Float32Array,
  oOff: number,
  m: number,
  k: number,
  n: number,
  accumulate: boolean,
  transA: boolean,
  transB: boolean,
) => void;

const implementations: [string, Gemm][] = [
  ['typescript', gemmJs],
  ['wasm, 1 thread', (...args) => gemmWasm(single, ...args)],
  ['wasm, 2 threads', (...args) => gemmWasm(threaded, ...args)],
  ['wasm without relaxed SIMD, 1 thread', (...args) => gemmWasm(plain, ...args)],
  ['wasm without relaxed SIMD, 2 threads', (...args) => gemmWasm(plainThreaded, ...args)],
  ['dispatching gemm', (...args) => createWasmKernels(threaded, jsKernels).gemm(...args)],
];

interface GemmCase {
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
  accumulate?: boolean;
}

/**
 * Runs `impl` on random operands placed at odd offsets inside larger buffers and checks every output
 * element against a float64 reference, within the float32 error bound (k + 2)·u·Σ|a||b| of a dot
 * product summed in any order; checks that nothing outside the output window changed.
 */
function checkGemm(impl: Gemm, { m, k, n, transA = false, transB = false, accumulate = false }: GemmCase): void {
  const aOff = 3;
  const bOff = 5;
  const oOff = 7;
  const a = fill(aOff + m * k + 2);
  const b = fill(bOff + k * n + 2);
  const out = fill(oOff + m * n + 3);
  const before = Float32Array.from(out);
  impl(a, aOff, b, bOff, out, oOff, m, k, n, accumulate, transA, transB);
  // op(a) as [m,k] and op(b) transposed as [n,k], in float64, so the reference is two contiguous rows.
  const opA = new Float64Array(m * k);
  const opBT = new Float64Array(n * k);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) opA[i * k + p] = a[aOff + (transA ? p * m + i : i * k + p)];
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) opBT[j * k + p] = b[bOff + (transB ? j * k + p : p * n + j)];
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let exact = accumulate ? before[oOff + i * n + j] : 0;
      let magnitude = Math.abs(exact);
      for (let p = 0, ai = i * k, bj = j * k; p < k; p++) {
        const t = opA[ai + p] * opBT[bj + p];
        exact += t;
        magnitude += t < 0 ? -t : t; // not Math.abs: under jest's vm context it is ~50× slower in a hot loop
      }
      const err = Math.abs(out[oOff + i * n + j] - exact);
      const bound = (k + 2) * EPS32 * magnitude;
      if (!(err <= bound)) worst = Math.max(worst, err / bound || Infinity);
    }
  }
  expect(worst).toBe(0);
  for (let i = 0; i < oOff; i++) expect(out[i]).toBe(before[i]);
  for (let i = oOff + m * n; i < out.length; i++) expect(out[i]).toBe(before[i]);
}

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [3, 5, 7],
  [4, 8, 8],
  [5, 9, 17],
  [8, 16, 24],
  [37, 53, 29],
  [13, 300, 21],
  [64, 257, 130],
  [130, 20, 70],
  [3, 4, 2100],
  [256, 512, 256],
];

describe.each(implementations)('gemm: %s', (_name, impl) => {
  test.each(shapes)('[%i,%i] @ [k,%i] equals the reference', (m, k, n) => checkGemm(impl, { m, k, n }));

  test.each([
    [false, true],
    [true, false],
    [true, true],
  ])('transA=%s transB=%s', (transA, transB) => {
    for (const [m, k, n] of [
      [5, 9, 17],
      [37, 53, 29],
      [64, 257, 130],
    ]) {
      checkGemm(impl, { m, k, n, transA, transB });
    }
  });

  test('accumulate adds to the output instead of overwriting it', () => {
    for (const [m, k, n] of [
      [3, 5, 7],
      [37, 300, 29],
      [64, 257, 130],
    ]) {
      checkGemm(impl, { m, k, n, accumulate: true });
      checkGemm(impl, { m, k, n, accumulate: true, transA: true, transB: true });
    }
  });

  test('k = 0 gives zeros, or leaves the output as it was when accumulating', () => {
    const out = new Float32Array([1, 2, 3, 4, 5, 6, 7]);
    impl(new Float32Array(0), 0, new Float32Array(0), 0, out, 1, 2, 0, 3, false, false, false);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 0, 0, 0]);
    out.fill(2);
    impl(new Float32Array(0), 0, new Float32Array(0), 0, out, 0, 2, 0, 3, true, false, false);
    expect(Array.from(out)).toEqual([2, 2, 2, 2, 2, 2, 2]);
  });
});

test('the threaded runtime really splits products above the threshold, and only those', () => {
  expect(threaded.threads).toBe(2);
  expect(threaded.pool.ready).toBe(1);
  expect(64 * 257 * 130).toBeGreaterThanOrEqual(PARALLEL_MIN_MACS);
  const before = threaded.pool.published;
  checkGemm((...args) => gemmWasm(threaded, ...args), { m: 64, k: 257, n: 130 });
  expect(threaded.pool.published).toBe(before + 1);
  checkGemm((...args) => gemmWasm(threaded, ...args), { m: 37, k: 53, n: 29 });
  expect(threaded.pool.published).toBe(before + 1);
  expect(single.pool.published).toBe(0);
});

test('TAPEGRAD_WASM=simd loads the plain-SIMD build, and the default the relaxed one', () => {
  const saved = process.env.TAPEGRAD_WASM;
  try {
    process.env.TAPEGRAD_WASM = 'simd';
    expect(wasmMode()).toBe('simd');
    expect(selectKernels({ threads: 1 }).info.kernels).toBe('wasm-simd');
    delete process.env.TAPEGRAD_WASM;
    expect(wasmMode()).toBe('auto');
    expect(selectKernels({ threads: 1 }).info.kernels).toBe('wasm-relaxed-simd');
  } finally {
    if (saved === undefined) delete process.env.TAPEGRAD_WASM;
    else process.env.TAPEGRAD_WASM = saved;
  }
});

test('gemmReference is the textbook triple loop (hand-computed 2×3 @ 3×2)', () => {
  const out = new Float32Array(4);
  gemmReference(new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([7, 8, 9, 10, 11, 12]), out, 2, 3, 2);
  expect(Array.from(out)).toEqual([58, 64, 139, 154]);
});

test('float64 operands take the TypeScript path and keep float64 precision', () => {
  const a = new Float64Array([1 + 1e-12, 2, 3, 4]);
  const b = new Float64Array([1, 0, 0, 1]);
  const out = new Float64Array(4);
  createWasmKernels(single, jsKernels).gemm(a, 0, b, 0, out, 0, 2, 2, 2);
  expect(out[0]).toBe(1 + 1e-12);
});

describe('TAPEGRAD_WASM=0', () => {
  test('turns the WebAssembly kernels off, and the ops give the same results either way', () => {
    const saved = process.env.TAPEGRAD_WASM;
    let off: { tg: typeof tg; backend: tg.BackendInfo } | undefined;
    process.env.TAPEGRAD_WASM = '0';
    try {
      jest.isolateModules(() => {
        // The kernels are chosen on first use, so the choice happens here, under TAPEGRAD_WASM=0.
        const isolated = require('../src') as typeof tg;
        off = { tg: isolated, backend: isolated.backend() };
      });
    } finally {
      if (saved === undefined) delete process.env.TAPEGRAD_WASM;
      else process.env.TAPEGRAD_WASM = saved;
    }
    expect(off!.backend).toEqual({ kernels: 'js', threads: 1, reason: 'TAPEGRAD_WASM turns the WebAssembly kernels off' });
    const uniform = (n: number) => Float32Array.from({ length: n }, () => random.next() * 2 - 1);
    const a = uniform(64 * 96);
    const b = uniform(96 * 48);
    const on = tg.matmul(tg.tensor(a, { shape: [64, 96] }), tg.tensor(b, { shape: [96, 48] }));
    const plain = off!.tg.matmul(off!.tg.tensor(a, { shape: [64, 96] }), off!.tg.tensor(b, { shape: [96, 48] }));
    for (let i = 0; i < on.size; i++) expect(Math.abs(on.data[i] - plain.data[i])).toBeLessThanOrEqual(96 * 4 * EPS32 * 2);
  });
});

// ---- convolution -------------------------------------------------------------------------------

type ConvKernel = (x: Float32Array, w: Float32Array, bias: Float32Array | null, g: ConvGeometry, y: Float32Array) => Float32Array | Storage;
type WeightGradKernel = (x: Float32Array, gy: Float32Array, g: ConvGeometry, gw: Float32Array) => Float32Array | Storage;

interface ConvImplementation {
  forward: ConvKernel;
  transposed: ConvKernel;
  weightGrad: WeightGradKernel;
}

const convImplementations: [string, ConvImplementation][] = [
  [
    'typescript',
    {
      forward: (x, w, bias, g, y) => (conv.takesDirectPath(g) ? conv.conv2dDirect : conv.conv2dIm2col)(x, w, bias, g, y),
      transposed: (x, w, bias, g, y) =>
        (conv.takesDirectPath(g) ? conv.convTranspose2dDirect : conv.convTranspose2dIm2col)(x, w, bias, g, y),
      weightGrad: (x, gy, g, gw) => (conv.takesDirectPath(g) ? conv.conv2dWeightGradDirect : conv.conv2dWeightGradIm2col)(x, gy, g, gw),
    },
  ],
  [
    'dispatching',
    (() => {
      const k = createWasmKernels(single, jsKernels);
      return { forward: k.conv2dForward, transposed: k.convTranspose2dForward, weightGrad: k.conv2dWeightGrad };
    })(),
  ],
  ...(
    [
      ['wasm, 1 thread', single],
      ['wasm, 2 threads', threaded],
      ['wasm without relaxed SIMD, 1 thread', plain],
      ['wasm without relaxed SIMD, 2 threads', plainThreaded],
    ] as const
  ).map(([name, rt]): [string, ConvImplementation] => [
    name,
    {
      forward: (x, w, bias, g, y) => conv2dForwardWasm(rt, x, w, bias, g, y),
      transposed: (x, w, bias, g, y) => convTranspose2dForwardWasm(rt, x, w, bias, g, y),
      weightGrad: (x, gy, g, gw) => conv2dWeightGradWasm(rt, x, gy, g, gw),
    },
  ]),
];

interface ConvCase {
  name: string;
  batch: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  kH: number;
  kW: number;
  stride?: [number, number];
  pad?: [number, number];
  dil?: [number, number];
  groups?: number;
}

function convGeometry(c: ConvCase): ConvGeometry {
  const [strideH, strideW] = c.stride ?? [1, 1];
  const [padH, padW] = c.pad ?? [0, 0];
  const [dilH, dilW] = c.dil ?? [1, 1];
  const out = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
  return {
    batch: c.batch,
    inC: c.inC,
    inH: c.inH,
    inW: c.inW,
    outC: c.outC,
    outH: out(c.inH, c.kH, strideH, padH, dilH),
    outW: out(c.inW, c.kW, strideW, padW, dilW),
    kH: c.kH,
    kW: c.kW,
    strideH,
    strideW,
    padH,
    padW,
    dilH,
    dilW,
    groups: c.groups ?? 1,
  };
}

/** Cases named 'threaded' or 'split' must be big enough for the 2-thread runtime to split them. */
const convCases: ConvCase[] = [
  { name: '3×3 pad 1', batch: 3, inC: 4, inH: 7, inW: 9, outC: 6, kH: 3, kW: 3, pad: [1, 1] },
  { name: 'stride 2, odd input', batch: 2, inC: 3, inH: 9, inW: 11, outC: 5, kH: 3, kW: 3, stride: [2, 2], pad: [1, 1] },
  // Note [stride-2 rows]: rows of 10, 9, 5 and 3 outputs (vectors, an overlapping last one, a scalar
  // tail; the first length with a vector step back; scalar loops only), with dilation 2 too.
  { name: 'stride 2, ten outputs a row', batch: 2, inC: 3, inH: 9, inW: 19, outC: 4, kH: 3, kW: 3, stride: [2, 2], pad: [1, 1] },
  { name: 'stride 2, five outputs a row', batch: 2, inC: 2, inH: 7, inW: 10, outC: 3, kH: 3, kW: 3, stride: [2, 2], pad: [1, 1] },
  { name: 'stride 2, three outputs a row', batch: 2, inC: 2, inH: 6, inW: 7, outC: 3, kH: 3, kW: 3, stride: [2, 2] },
  {
    name: 'stride 2, dilation 2, nine outputs a row',
    batch: 2,
    inC: 2,
    inH: 12,
    inW: 21,
    outC: 3,
    kH: 3,
    kW: 3,
    stride: [2, 2],
    dil: [2, 2],
  },
  { name: 'stride [2,3] pad [2,0] 5×4 kernel', batch: 2, inC: 2, inH: 12, inW: 13, outC: 3, kH: 5, kW: 4, stride: [2, 3], pad: [2, 0] },
  { name: 'dilation 2', batch: 2, inC: 3, inH: 10, inW: 10, outC: 4, kH: 3, kW: 3, pad: [2, 2], dil: [2, 2] },
  { name: 'groups 2', batch: 3, inC: 4, inH: 6, inW: 6, outC: 6, kH: 3, kW: 3, pad: [1, 1], groups: 2 },
  { name: 'depthwise', batch: 2, inC: 5, inH: 8, inW: 7, outC: 5, kH: 3, kW: 3, pad: [1, 1], groups: 5 },
  { name: 'pointwise 1×1', batch: 3, inC: 7, inH: 5, inW: 6, outC: 9, kH: 1, kW: 1 },
  { name: '1×1 stride 2', batch: 2, inC: 3, inH: 6, inW: 7, outC: 4, kH: 1, kW: 1, stride: [2, 2] },
  { name: 'kernel as large as the input', batch: 2, inC: 2, inH: 4, inW: 5, outC: 3, kH: 4, kW: 5 },
  { name: 'padding larger than the kernel reach', batch: 1, inC: 2, inH: 3, inW: 3, outC: 2, kH: 2, kW: 2, pad: [3, 2] },
  { name: '1-D signal, 37 taps', batch: 1, inC: 1, inH: 1, inW: 500, outC: 1, kH: 1, kW: 37 },
  { name: "1-D signal, 'full' padding", batch: 1, inC: 1, inH: 1, inW: 300, outC: 1, kH: 1, kW: 21, pad: [0, 20] },
  { name: 'long signal split by columns, 101 taps', batch: 1, inC: 1, inH: 1, inW: 30011, outC: 1, kH: 1, kW: 101 },
  { name: 'depthwise, dilation 2 pad 2', batch: 2, inC: 3, inH: 9, inW: 40, outC: 3, kH: 3, kW: 3, pad: [2, 2], dil: [2, 2], groups: 3 },
  { name: 'depthwise, stride [2,1]', batch: 2, inC: 3, inH: 9, inW: 37, outC: 3, kH: 3, kW: 5, stride: [2, 1], pad: [1, 2], groups: 3 },
  { name: 'two channels into one per group', batch: 2, inC: 4, inH: 5, inW: 45, outC: 2, kH: 2, kW: 9, pad: [1, 4], groups: 2 },
  { name: 'threaded size, batch 9', batch: 9, inC: 8, inH: 16, inW: 16, outC: 16, kH: 3, kW: 3, pad: [1, 1] },
  // 144 column rows over a 7×7 plane: the weight gradient stays on the GEMM (Note [row dots]); of the
  // cases above, those on the im2col path with fewer than 32 column rows or a plane of 96 or more take
  // the row dots (the depthwise and 1-D ones take the direct kernels).
  {
    name: 'weight gradient on the GEMM: 32 channels over a 7×7 plane',
    batch: 2,
    inC: 16,
    inH: 7,
    inW: 7,
    outC: 32,
    kH: 3,
    kW: 3,
    pad: [1, 1],
  },
  // The shallow-input forward (assembly/shallow.ts): few weights and output channels per group.
  { name: 'shallow, threaded: the first layer of W7', batch: 20, inC: 1, inH: 28, inW: 28, outC: 6, kH: 5, kW: 5, pad: [2, 2] },
  {
    name: 'shallow: 7 channels (an odd last pair), width 23, stride [2,1]',
    batch: 2,
    inC: 3,
    inH: 11,
    inW: 23,
    outC: 7,
    kH: 3,
    kW: 3,
    stride: [2, 1],
    pad: [1, 1],
  },
  {
    name: 'shallow: one partial tile per row, dilation [1,2]',
    batch: 2,
    inC: 2,
    inH: 6,
    inW: 9,
    outC: 2,
    kH: 2,
    kW: 3,
    pad: [0, 2],
    dil: [1, 2],
  },
  {
    name: 'shallow: groups 2, 80 weights, 8 channels a group',
    batch: 2,
    inC: 10,
    inH: 7,
    inW: 20,
    outC: 16,
    kH: 4,
    kW: 4,
    pad: [1, 0],
    groups: 2,
  },
];

test.each(['threaded size', 'shallow, threaded'])(
  'results do not depend on the number of threads (%s): one and two threads agree bit for bit',
  (label) => {
    const g = convGeometry(convCases.find((c) => c.name.startsWith(label))!);
    const x = fill(g.batch * g.inC * g.inH * g.inW);
    const gy = fill(g.batch * g.outC * g.outH * g.outW);
    const w = fill(g.outC * (g.inC / g.groups) * g.kH * g.kW);
    const sizes = { x: x.length, y: gy.length, w: w.length };
    for (let trial = 0; trial < 3; trial++) {
      expect(conv2dWeightGradWasm(threaded, x, gy, g, new Float32Array(sizes.w))).toEqual(
        conv2dWeightGradWasm(single, x, gy, g, new Float32Array(sizes.w)),
      );
      expect(conv2dForwardWasm(threaded, x, w, null, g, new Float32Array(sizes.y))).toEqual(
        conv2dForwardWasm(single, x, w, null, g, new Float32Array(sizes.y)),
      );
      expect(convTranspose2dForwardWasm(threaded, gy, w, null, g, new Float32Array(sizes.x))).toEqual(
        convTranspose2dForwardWasm(single, gy, w, null, g, new Float32Array(sizes.x)),
      );
    }
    const a = fill(64 * 257);
    const b = fill(257 * 130);
    const one = new Float32Array(64 * 130);
    const two = new Float32Array(64 * 130);
    gemmWasm(single, a, 0, b, 0, one, 0, 64, 257, 130, false, false, false);
    gemmWasm(threaded, a, 0, b, 0, two, 0, 64, 257, 130, false, false, false);
    expect(two).toEqual(one);
  },
);

test('the conv cases meant to run threaded are above the threshold', () => {
  for (const c of convCases.filter((c) => /threaded|split/.test(c.name))) {
    const g = convGeometry(c);
    expect(g.batch * g.outC * g.outH * g.outW * (g.inC / g.groups) * g.kH * g.kW).toBeGreaterThanOrEqual(PARALLEL_MIN_MACS);
  }
});

/**
 * Checks `got` against `exact` within float32 rounding: |got − exact| ≤ (terms + 2)·u·magnitude,
 * where `magnitude` is the same computation on absolute values (Σ|x||w| per output element). Where the
 * kernel under test runs Winograd F(2×2, 3×3), whose transforms round intermediate sums that a direct
 * sum never forms, its own bound (C + 8)·u·E (winogradMagnitude in tests/kernel-references.ts, derived
 * there; tests/winograd.test.ts holds the kernel to it) holds instead of the direct one.
 */
function expectClose(
  got: ArrayLike<number>,
  exact: Float64Array,
  magnitude: Float64Array,
  terms: number,
  winograd: { magnitude: Float64Array; channels: number } | null = null,
): void {
  expect(got.length).toBe(exact.length);
  let bad = 0;
  for (let i = 0; i < exact.length; i++) {
    const err = got[i] - exact[i];
    const bound = winograd === null ? (terms + 2) * EPS32 * magnitude[i] : (winograd.channels + 8) * EPS32 * winograd.magnitude[i] * 1.001;
    if (!((err < 0 ? -err : err) <= bound)) bad++;
  }
  expect(bad).toBe(0);
}

const f64 = (x: ArrayLike<number>) => Float64Array.from(x);
const absolute = (x: ArrayLike<number>) => Float64Array.from(x, (v) => (v < 0 ? -v : v));

describe.each(convImplementations)('conv kernels: %s', (name, impl) => {
  describe.each(convCases.map((c) => [c.name, c] as const))('%s', (_label, c) => {
    const g = convGeometry(c);
    const cg = g.inC / g.groups;
    const xSize = g.batch * g.inC * g.inH * g.inW;
    const ySize = g.batch * g.outC * g.outH * g.outW;
    const wSize = g.outC * cg * g.kH * g.kW;

    test('forward (with and without bias) equals the reference', () => {
      const x = fill(xSize);
      const w = fill(wSize);
      const bias = fill(g.outC);
      for (const b of [null, bias]) {
        const got = impl.forward(x, w, b, g, new Float32Array(ySize));
        const exact = conv2dReference(f64(x), f64(w), b && f64(b), g, new Float64Array(ySize)) as Float64Array;
        const magnitude = conv2dReference(absolute(x), absolute(w), b && absolute(b), g, new Float64Array(ySize)) as Float64Array;
        // The WebAssembly kernels run Winograd where it pays (Note [winograd]); the TypeScript ones never.
        const winograd = name !== 'typescript' && winogradPays(g) ? { magnitude: winogradMagnitude(x, w, b, g), channels: g.inC } : null;
        expectClose(got, exact, magnitude, cg * g.kH * g.kW + 1, winograd);
      }
    });

    test('transposed (the input gradient) equals the reference', () => {
      const gy = fill(ySize);
      const w = fill(wSize);
      const bias = fill(g.inC);
      for (const b of [null, bias]) {
        const got = impl.transposed(gy, w, b, g, fill(xSize));
        const exact = convTranspose2dReference(f64(gy), f64(w), b && f64(b), g, new Float64Array(xSize)) as Float64Array;
        const magnitude = convTranspose2dReference(absolute(gy), absolute(w), b && absolute(b), g, new Float64Array(xSize)) as Float64Array;
        // A stride-1 transposed convolution runs Winograd as the correlation of the flipped geometry.
        const f = flipped(g, w);
        const viaWinograd = name !== 'typescript' && g.strideH === 1 && g.strideW === 1 && winogradPays(f.g, true);
        const winograd = viaWinograd ? { magnitude: winogradMagnitude(gy, f.w, b, f.g), channels: f.g.inC } : null;
        expectClose(got, exact, magnitude, (g.outC / g.groups) * g.kH * g.kW + 1, winograd);
      }
    });

    test('weight gradient equals the reference', () => {
      const x = fill(xSize);
      const gy = fill(ySize);
      const got = impl.weightGrad(x, gy, g, fill(wSize));
      const exact = conv2dWeightGradReference(f64(x), f64(gy), g, new Float64Array(wSize)) as Float64Array;
      const magnitude = conv2dWeightGradReference(absolute(x), absolute(gy), g, new Float64Array(wSize)) as Float64Array;
      expectClose(got, exact, magnitude, g.batch * g.outH * g.outW);
    });
  });
});

describe.each([
  ['fused multiply-add', single],
  ['plain SIMD', plain],
])('rowDots (Note [row dots]), %s build', (_name, rt) => {
  // [m, n, k]: full 2×4 tiles; odd m; n past a whole tile by 1, 2 and 3; k short of a vector, past
  // whole vectors by 1–3, and 0; LeNet's first layer's weight gradient.
  test.each([
    [2, 4, 8],
    [1, 1, 1],
    [3, 5, 7],
    [5, 6, 3],
    [4, 7, 13],
    [3, 2, 0],
    [6, 25, 784],
  ])('C[%i,%i] += A·Bᵀ over k = %i, leaving the padding columns of C alone', (m, n, k) => {
    // C's row stride is n + 3: the three columns past n are padding the edge tiles must not touch.
    const ldc = n + 3;
    const a = fill(m * k);
    const b = fill(n * k);
    const c0 = fill(m * ldc);
    rt.reset();
    const pa = rt.reserve(4 * Math.max(1, a.length));
    const pb = rt.reserve(4 * Math.max(1, b.length));
    const pc = rt.reserve(4 * c0.length);
    rt.f32.set(a, pa >> 2);
    rt.f32.set(b, pb >> 2);
    rt.f32.set(c0, pc >> 2);
    rt.exports.rowDots(m, n, k, pa, k, pb, k, pc, ldc);
    const got = rt.f32.slice(pc >> 2, (pc >> 2) + c0.length);
    const exact = new Float64Array(m * n);
    const magnitude = new Float64Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        exact[i * n + j] = c0[i * ldc + j];
        magnitude[i * n + j] = Math.abs(c0[i * ldc + j]);
        for (let p = 0; p < k; p++) {
          exact[i * n + j] += a[i * k + p] * b[j * k + p];
          magnitude[i * n + j] += Math.abs(a[i * k + p] * b[j * k + p]);
        }
      }
      for (let j = n; j < ldc; j++) expect(Object.is(got[i * ldc + j], c0[i * ldc + j])).toBe(true);
    }
    const inside = Float32Array.from({ length: m * n }, (_, t) => got[Math.floor(t / n) * ldc + (t % n)]);
    expectClose(inside, exact, magnitude, k + 1);
    if (k === 0) expect(inside).toEqual(Float32Array.from({ length: m * n }, (_, t) => c0[Math.floor(t / n) * ldc + (t % n)]));
  });
});

// ---- elementwise and pooling ---------------------------------------------------------------------

/** Random values with the special cases mixed in: ±0, ±Infinity, NaN. */
function fillSpecial(n: number): Float32Array {
  const x = fill(n);
  const special = [0, -0, Infinity, -Infinity, NaN];
  for (let i = 0; i < n; i += 7) x[i] = special[(i / 7) % special.length];
  return x;
}

test('the serial kernels run on an arena of their own, in memory that is not shared (Note [serial arena])', () => {
  for (const rt of [single, threaded, plain]) {
    expect(rt.serial).not.toBe(rt);
    // By tag: jest's globals are another realm's, so instanceof would not match.
    expect(Object.prototype.toString.call(rt.serial.memory.buffer)).toBe('[object ArrayBuffer]');
    expect(Object.prototype.toString.call(rt.memory.buffer)).toBe('[object SharedArrayBuffer]');
  }
  // Without the serial build the same kernels share the threaded arena.
  const { runtime } = loadRuntime({ threads: 1, allowRelaxed: true, bytes: (b) => (b.startsWith('serial') ? null : wasmBytes(b)) });
  expect(runtime!.serial).toBe(runtime);
});

test("each variant's serial arena runs that variant's serial build, so a short call and a threaded one give the same bits", () => {
  for (const allowRelaxed of [true, false]) {
    const asked: string[] = [];
    const { runtime } = loadRuntime({ threads: 1, allowRelaxed, bytes: (b) => (asked.push(b), wasmBytes(b)) });
    const variant = runtime!.variant;
    expect([allowRelaxed, variant]).toEqual([allowRelaxed, allowRelaxed ? 'relaxed' : 'simd']);
    expect(asked.filter((b) => b.startsWith('serial'))).toEqual([variant === 'relaxed' ? 'serial-relaxed' : 'serial']);
    // exp4's Horner steps are madd — fused in the relaxed build — so sigmoid on the serial arena
    // (the dispatcher, one thread) and on the threaded instance agree only when the builds match.
    const x = Float32Array.from({ length: 8192 }, (_, i) => (i % 997) / 50 - 10);
    const threadedY = unaryWasm(runtime!, 'sigmoid', x, new Float32Array(x.length));
    const viaSerial = createWasmKernels(runtime!, jsKernels).unary('sigmoid', x, new Float32Array(x.length));
    expect(Array.from(viaSerial)).toEqual(Array.from(threadedY));
  }
});

describe.each([
  ['wasm, 1 thread', single, single],
  ['wasm without relaxed SIMD, 2 threads', plainThreaded, plainThreaded],
  ['the serial arena', single.serial, single],
] as const)('elementwise kernels: %s', (_name, rt, owner) => {
  // float32 +, −, ×, ÷ are exactly rounded both in WebAssembly and in JavaScript (computed in
  // float64, then rounded once to float32), so the results must agree bit for bit.
  const sizes = [4096, 4099, 10007];

  // NaN propagates through relu (PyTorch).
  test.each([['relu', (v: number) => (v > 0 || v !== v ? v : 0)]] as const)(
    '%s equals the TypeScript map, NaN, -0 and infinities included',
    (op, f) => {
      for (const n of sizes) {
        const x = fillSpecial(n);
        expect(unaryWasm(rt, op, x, new Float32Array(n))).toEqual(elementwise.map(x, new Float32Array(n), f));
      }
    },
  );

  test('neg is exact; log within 1 ulp and sigmoid within 3 of float64, subnormals, zeros, infinities and NaN included (Note [float32 log])', () => {
    const r = tg.rng('unary ulps');
    const special = [0, -0, 1, -1, 2, 0.5, Infinity, -Infinity, NaN, 1e-45, 1e-40, 1.17549435e-38, 3.4e38, 88, -88, -90, -103, -104, 1e-8];
    const values = [...special];
    for (let i = 0; i < 60_000; i++) values.push(Math.exp((r.next() - 0.5) * 190), 1 + (r.next() - 0.5) / 64, (r.next() - 0.5) * 220);
    const x = Float32Array.from(values);
    /** |got − want| in units of float32's spacing at want (subnormal spacing below 2^−126). */
    const ulps = (got: number, want: number) => {
      if (Number.isNaN(want) || !Number.isFinite(want))
        return Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)) ? 0 : Infinity;
      const spacing = Math.max(2 ** -149, 2 ** (Math.floor(Math.log2(Math.max(Math.abs(want), 2 ** -126))) - 23));
      return Math.abs(got - want) / spacing;
    };
    const sigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
    for (const [op, f, bound] of [
      ['neg', (v: number) => -v, 0],
      ['log', Math.log, 1],
      ['sigmoid', sigmoid, 3],
    ] as const) {
      const y = unaryWasm(rt, op, x, new Float32Array(x.length));
      let worst = 0;
      let at = '';
      for (let i = 0; i < x.length; i++) {
        const e = ulps(y[i], f(x[i]));
        if (!(e <= worst)) [worst, at] = [e, `x = ${x[i]}: ${y[i]} against ${f(x[i])}`];
      }
      expect({ op, within: worst <= bound, at }).toEqual({ op, within: true, at });
      // The special values exactly as Math gives them (rounded to float32).
      const head = Array.from(y.subarray(0, special.length));
      if (op !== 'sigmoid') expect(head).toEqual(special.map((_, i) => Math.fround(f(x[i]))));
      // Through the dispatching kernel too, from its threshold on.
      expect(createWasmKernels(owner, jsKernels).unary(op, x, new Float32Array(x.length))).toEqual(y);
    }
  });

  const ops = {
    add: (a: number, b: number) => a + b,
    sub: (a: number, b: number) => a - b,
    mul: (a: number, b: number) => a * b,
    div: (a: number, b: number) => a / b,
    // NaN from either side; otherwise the first when it wins, else the second (of 0 and −0: the second).
    maximum: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b),
    minimum: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b),
    // PyTorch's derivative: the gradient, halved on a tie, zeroed where this side loses (so whole at NaN).
    maximumSlope: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? 1 : a > b ? 1 : a === b ? 0.5 : 0),
    minimumSlope: (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? 1 : a < b ? 1 : a === b ? 0.5 : 0),
  };
  test.each(['maximum', 'minimum', 'maximumSlope', 'minimumSlope'] as const)('%s on ties, zeros of both signs and NaN', (op) => {
    // Small integers and signed zeros, so that many pairs tie; NaN in both operands.
    const values = [0, -0, 1, -1, 2, NaN, Infinity, -Infinity];
    const a = Float32Array.from({ length: 4099 }, (_, i) => values[i % 8]);
    const b = Float32Array.from({ length: 4099 }, (_, i) => values[(i * 3 + (i >> 3)) % 8]);
    const want = Float32Array.from(a, (x, i) => ops[op](x, b[i]));
    expect(binaryWasm(rt, op, a, b, new Float32Array(a.length))).toEqual(want);
    expect(jsKernels.binary(op, a, [a.length], b, [b.length], [a.length], new Float32Array(a.length))).toEqual(want);
    const scalar = new Float32Array([-0]);
    const wantScalar = Float32Array.from(a, (x) => ops[op](x, -0));
    expect(binaryWasm(rt, op, a, scalar, new Float32Array(a.length))).toEqual(wantScalar);
  });
  test.each(Object.keys(ops) as (keyof typeof ops)[])('%s: same shapes, a scalar side, a repeating side', (op) => {
    const f = ops[op];
    const cases: [number[], number[]][] = [
      [[4099], [4099]],
      [[4099], [1]],
      [[1], [4099]],
      [[64, 121], [121]],
      [[121], [64, 121]],
      [
        [8, 3, 171],
        [1, 3, 171],
      ],
      [[7, 600], [1]],
    ];
    for (const [aShape, bShape] of cases) {
      const a = fillSpecial(aShape.reduce((p, d) => p * d, 1));
      const b = fillSpecial(bShape.reduce((p, d) => p * d, 1));
      const outShape = aShape.length >= bShape.length ? aShape : bShape;
      const n = outShape.reduce((p, d) => p * d, 1);
      const plain = elementwise.binaryWith(a, aShape, b, bShape, outShape, new Float32Array(n), f);
      expect(binaryWasm(rt, op, a, b, new Float32Array(n))).toEqual(plain);
      // Through the dispatching kernel too, which must pick WebAssembly only for these patterns.
      expect(createWasmKernels(owner, jsKernels).binary(op, a, aShape, b, bShape, outShape, new Float32Array(n))).toEqual(plain);
    }
  });

  test("maskPositive (relu's backward) equals the TypeScript kernel bit for bit, NaN, -0 and infinities in g and x", () => {
    for (const n of sizes) {
      const g = fillSpecial(n);
      const x = fillSpecial(n).reverse();
      const want = elementwise.maskPositive(g, x, new Float32Array(n));
      expect(maskPositiveWasm(rt, g, x, new Float32Array(n))).toEqual(want);
      // The mask itself: g where x > 0 or NaN, 0 elsewhere (times g, so an infinite g there gives NaN).
      for (let i = 0; i < n; i++) expect(want[i]).toBe(Math.fround(g[i] * (x[i] > 0 || Number.isNaN(x[i]) ? 1 : 0)));
    }
  });

  test.each([
    ['[32,16,10,10] with weight and bias', [32, 16, 100], true, true],
    ['[37,5] (batch norm 1-d) with weight only', [37, 5, 1], true, false],
    ['[9,3,7,11] without affine', [9, 3, 77], false, false],
    // Note [four partial sums]: runs two and three past whole vectors.
    ['[4,3,2,3] with bias only', [4, 3, 6], false, true],
    ['[6,4,3,5] with weight and bias', [6, 4, 15], true, true],
  ] as const)('batch norm forward and backward %s: the same bits as the TypeScript kernels', (_label, [n, c, s], hasW, hasB) => {
    const x = fill(n * c * s).map((v, i) => v * 3 + (i % 5));
    const gy = fill(n * c * s);
    const w = hasW ? fill(c) : null;
    const b = hasB ? fill(c) : null;
    const yJs = new Float32Array(x.length);
    const statsJs = normalization.batchNormForward(x, n, c, s, w, b, 1e-5, yJs);
    const yWasm = new Float32Array(x.length);
    const statsWasm = batchNormForwardWasm(rt, x, n, c, s, w, b, 1e-5, yWasm);
    expect(yWasm).toEqual(yJs);
    expect(statsWasm).toEqual(statsJs);
    const grads = () => [new Float32Array(x.length), hasW ? new Float32Array(c) : null, new Float32Array(c)] as const;
    const [gxJs, gwJs, gbJs] = grads();
    normalization.batchNormBackward(gy, x, n, c, s, statsJs, w, gxJs, gwJs, gbJs);
    const [gxWasm, gwWasm, gbWasm] = grads();
    batchNormBackwardWasm(rt, gy, x, n, c, s, statsWasm, w, gxWasm, gwWasm, gbWasm);
    expect(gxWasm).toEqual(gxJs);
    expect(gwWasm).toEqual(gwJs);
    expect(gbWasm).toEqual(gbJs);
    // Only the bias gradient wanted: the others stay unwritten.
    const onlyBias = new Float32Array(c);
    batchNormBackwardWasm(rt, gy, x, n, c, s, statsWasm, w, null, null, onlyBias);
    expect(onlyBias).toEqual(gbJs);
  });

  test.each([
    ["[1024,128] (a transformer's rows) with weight and bias", 1024, 128, true, true],
    ['[37,7] (odd rows) with weight only', 37, 7, true, false],
    ['[5,1] with bias only', 5, 1, false, true],
    ['[64,33] without affine', 64, 33, false, false],
  ] as const)('layer norm forward and backward %s: the same bits as the TypeScript kernels', (_label, rows, cols, hasW, hasB) => {
    const x = fill(rows * cols).map((v, i) => v * 3 + (i % 5));
    const gy = fill(rows * cols);
    const w = hasW ? fill(cols) : null;
    const b = hasB ? fill(cols) : null;
    const yJs = new Float32Array(x.length);
    const statsJs = layerNorm.layerNormForward(x, rows, cols, w, b, 1e-5, yJs);
    const yWasm = new Float32Array(x.length);
    const statsWasm = layerNormForwardWasm(rt, x, rows, cols, w, b, 1e-5, yWasm);
    expect(yWasm).toEqual(yJs);
    expect(statsWasm).toEqual(statsJs);
    const grads = () => [new Float32Array(x.length), hasW ? new Float32Array(cols) : null, hasB ? new Float32Array(cols) : null] as const;
    const [gxJs, gwJs, gbJs] = grads();
    layerNorm.layerNormBackward(gy, x, rows, cols, statsJs, w, gxJs, gwJs, gbJs);
    const [gxWasm, gwWasm, gbWasm] = grads();
    layerNormBackwardWasm(rt, gy, x, rows, cols, statsWasm, w, gxWasm, gwWasm, gbWasm);
    expect(gxWasm).toEqual(gxJs);
    expect(gwWasm).toEqual(gwJs);
    expect(gbWasm).toEqual(gbJs);
    // Only the parameters' gradients wanted (a frozen input): the same as both backends' full calls.
    const [onlyW, onlyB] = [new Float32Array(cols), new Float32Array(cols)];
    layerNormBackwardWasm(rt, gy, x, rows, cols, statsWasm, w, null, onlyW, onlyB);
    const [wantW, wantB] = [new Float32Array(cols), new Float32Array(cols)];
    layerNorm.layerNormBackward(gy, x, rows, cols, statsJs, w, null, wantW, wantB);
    expect([onlyW, onlyB]).toEqual([wantW, wantB]);
    if (gwJs !== null) expect(onlyW).toEqual(gwJs);
  });

  test.each([
    ['plain', { wd: 0, momentum: 0, keep: 1, lr: 0.05, nesterov: false }],
    ['momentum, weight decay, a new buffer', { wd: 5e-4, momentum: 0.9, keep: 1, lr: 0.05, nesterov: false, first: true }],
    ['dampening', { wd: 0, momentum: 0.8, keep: 0.7, lr: 0.03, nesterov: false }],
    ['nesterov', { wd: 0.01, momentum: 0.9, keep: 1, lr: 0.1, nesterov: true }],
  ] as const)('sgdStep %s: the same bits as the TypeScript loop', (_label, o) => {
    const h = { first: false, ...o };
    for (const n of [4099, 10007]) {
      const x = fill(n);
      const g = fill(n);
      const buf = h.momentum === 0 ? null : fill(n);
      const [xJs, bufJs] = [x.slice(), buf && buf.slice()];
      sgdStep(xJs, g, bufJs, h);
      const [xWasm, bufWasm] = [x.slice(), buf && buf.slice()];
      sgdStepWasm(rt, xWasm, g, bufWasm, h);
      expect(xWasm).toEqual(xJs);
      expect(bufWasm).toEqual(bufJs);
      expect(xJs).not.toEqual(x);
    }
  });

  test('patterns WebAssembly does not cover (an outer broadcast) still come out right', () => {
    const a = fill(64);
    const b = fill(97);
    const out = createWasmKernels(owner, jsKernels).binary('mul', a, [64, 1], b, [1, 97], [64, 97], new Float32Array(64 * 97));
    for (let i = 0; i < 64; i++) for (let j = 0; j < 97; j++) expect(out[i * 97 + j]).toBe(Math.fround(a[i] * b[j]));
  });

  const poolCases: [string, PoolGeometry][] = [
    [
      '2×2 stride 2 (the vector path), odd width',
      { planes: 6, inH: 28, inW: 30, outH: 14, outW: 15, kH: 2, kW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 },
    ],
    [
      '2×2 stride 2 with a leftover row and column',
      { planes: 5, inH: 11, inW: 13, outH: 5, outW: 6, kH: 2, kW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 },
    ],
    // Note [overlapping last vector]: a width of exactly one vector, one past it (LeNet's second
    // pool), and narrower than a vector (the scalar loop alone).
    ['2×2 stride 2, width 4', { planes: 2, inH: 8, inW: 8, outH: 4, outW: 4, kH: 2, kW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 }],
    ['2×2 stride 2, width 5', { planes: 4, inH: 10, inW: 10, outH: 5, outW: 5, kH: 2, kW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 }],
    ['2×2 stride 2, width 3', { planes: 3, inH: 6, inW: 7, outH: 3, outW: 3, kH: 2, kW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0 }],
    ['3×3 stride 2 pad 1', { planes: 4, inH: 17, inW: 19, outH: 9, outW: 10, kH: 3, kW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1 }],
    ['2×3 stride 1', { planes: 3, inH: 20, inW: 30, outH: 19, outW: 28, kH: 2, kW: 3, strideH: 1, strideW: 1, padH: 0, padW: 0 }],
  ];
  test.each(poolCases)('maxPool2d %s: values and first-maximum positions equal the TypeScript kernel', (_label, g) => {
    const x = fillSpecial(g.planes * g.inH * g.inW);
    // Ties: repeat some values so "first maximum wins" is exercised.
    for (let i = 0; i + 1 < x.length; i += 5) x[i + 1] = x[i];
    const n = g.planes * g.outH * g.outW;
    const argmax = new Int32Array(n);
    const y = maxPool2dWasm(rt, x, g, new Float32Array(n), argmax);
    // The float64 call takes the TypeScript loop; float32 values are exact in float64.
    const want = new Int32Array(n);
    const yWant = pool.maxPool2d(Float64Array.from(x), g, new Float64Array(n), want);
    expect(Array.from(y)).toEqual(Array.from(yWant));
    expect(argmax).toEqual(want);
  });

  test("scatterAddFlat (max pooling's backward): the TypeScript kernel's bits, repeated and out-of-range indices included", () => {
    for (const [n, size] of [
      [37632, 150528],
      [4099, 4096],
      [5000, 9001],
    ]) {
      const g = fillSpecial(n);
      const index = Int32Array.from({ length: n }, (_, o) => Math.floor(random.next() * (size + 2)) - 1);
      // Runs of one index, so several gradients add into one element in order.
      for (let o = 0; o + 3 < n; o += 11) index[o + 1] = index[o + 2] = index[o + 3] = index[o];
      const want = pool.scatterAddFlat(g, index, new Float32Array(size));
      // Through the dispatching kernel too (which takes WebAssembly at these sizes), into dirty storage.
      const dirty = () => new Float32Array(size).fill(NaN);
      expect(scatterAddFlatWasm(rt, g, index, dirty())).toEqual(want);
      expect(createWasmKernels(owner, jsKernels).scatterAddFlat(g, index, dirty())).toEqual(want);
      expect(want.some((v) => v !== 0 && !Number.isNaN(v))).toBe(true);
    }
  });
});

describe('strided copies and transposes (assembly/movement.ts)', () => {
  const k = createWasmKernels(single, jsKernels);
  const spy = jest.spyOn(movement, 'stridedCopyWasm');
  beforeEach(() => spy.mockClear());

  // [label, x's length, offset, strides, shape]: each read must stay inside x.
  test.each([
    ["the attention's head split [16,64,4,32] → [16,4,64,32]", 131072, 0, [8192, 32, 128, 1], [16, 4, 64, 32]],
    ['a last-two-axes transpose (inner stride 32)', 131072, 0, [8192, 2048, 1, 32], [16, 4, 32, 64]],
    ['an inner run of 7 (a tail after one vector)', 7 * 1024, 0, [7, 7168, 1], [1024, 1, 7]],
    ['a flip along both axes (negative strides) from an offset', 100 * 77, 100 * 77 - 1, [-77, -1], [100, 77]],
    ['rows reversed, columns in order (mixed signs)', 100 * 77, 99 * 77, [-77, 1], [100, 77]],
    ['a broadcast of a row (stride 0) into 300 rows', 64, 0, [0, 1], [300, 64]],
    ['a broadcast along the last axis', 5000, 0, [1, 0], [5000, 3]],
    ['a slice of a larger array at an offset', 20000, 1234, [100, 1], [50, 90]],
  ] as const)('%s: the TypeScript kernel bit for bit', (_label, length, offset, strides, shape) => {
    const x = fill(length);
    const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
    const want = jsKernels.stridedCopy(x, offset, strides, shape, new Float32Array(n));
    expect(k.stridedCopy(x, offset, strides, shape, new Float32Array(n))).toEqual(want);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  test('NaN payloads and −0 arrive unchanged; transpose is the strided copy of the permuted strides', () => {
    const x = fill(6 * 1000);
    const bits = new Uint32Array(x.buffer);
    bits[3] = 0x7fa00001; // a NaN with a payload
    bits[4] = 0x80000000; // −0
    const y = k.transpose(x, [6, 1000], [1, 0], new Float32Array(6000)) as Float32Array;
    expect(spy).toHaveBeenCalledTimes(1);
    expect(y).toEqual(jsKernels.transpose(x, [6, 1000], [1, 0], new Float32Array(6000)));
    const out = new Uint32Array(y.buffer);
    expect([out[3 * 6], out[4 * 6]]).toEqual([0x7fa00001, 0x80000000]);
  });

  test('small, empty, float64 or narrow-slice copies stay in TypeScript', () => {
    k.stridedCopy(fill(100), 0, [1], [100], new Float32Array(100));
    // 64 columns of a [100, 50000] matrix: the span the strides reach is 78 times the output.
    const wide = fill(100 * 50000);
    const slice = k.stridedCopy(wide, 10, [50000, 1], [100, 64], new Float32Array(6400));
    expect(slice).toEqual(jsKernels.stridedCopy(wide, 10, [50000, 1], [100, 64], new Float32Array(6400)));
    k.stridedCopy(fill(0), 0, [1], [0], new Float32Array(0));
    k.stridedCopy(new Float64Array(8192), 0, [1], [8192], new Float64Array(8192));
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('layer norm through the WebAssembly backend', () => {
  const k = createWasmKernels(single, jsKernels);
  const spies = {
    forward: jest.spyOn(normalizationWasm, 'layerNormForwardWasm'),
    backward: jest.spyOn(normalizationWasm, 'layerNormBackwardWasm'),
  };
  beforeEach(() => Object.values(spies).forEach((s) => s.mockClear()));

  test('float32 from 4096 elements goes to WebAssembly (the TypeScript bits); smaller or float64 calls stay in TypeScript', () => {
    const cases: [number, number, boolean, boolean][] = [
      [32, 128, false, true], // 4096 elements: WebAssembly
      [31, 128, false, false], // one row fewer
      [32, 128, true, false], // float64
    ];
    for (const [rows, cols, double, viaWasm] of cases) {
      const make = (a: Float32Array) => (double ? Float64Array.from(a) : a);
      const x = make(fill(rows * cols));
      const gy = make(fill(rows * cols));
      const w = make(fill(cols));
      const out = () => (double ? new Float64Array(rows * cols) : new Float32Array(rows * cols));
      const col = () => (double ? new Float64Array(cols) : new Float32Array(cols));
      const y = out();
      const stats = k.layerNormForward(x, rows, cols, w, null, 1e-5, y);
      const gx = out();
      const gw = col();
      k.layerNormBackward(gy, x, rows, cols, stats, w, gx, gw, null);
      const yJs = out();
      const statsJs = layerNorm.layerNormForward(x, rows, cols, w, null, 1e-5, yJs);
      const [gxJs, gwJs] = [out(), col()];
      layerNorm.layerNormBackward(gy, x, rows, cols, statsJs, w, gxJs, gwJs, null);
      expect([y, gx, gw]).toEqual([yJs, gxJs, gwJs]);
      expect([rows, cols, double, spies.forward.mock.calls.length, spies.backward.mock.calls.length]).toEqual([
        rows,
        cols,
        double,
        viaWasm ? 1 : 0,
        viaWasm ? 1 : 0,
      ]);
      Object.values(spies).forEach((s) => s.mockClear());
    }
  });
});
