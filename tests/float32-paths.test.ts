/**
 * The float32 fast paths against independent float64 reference loops (tests/reference-loops.ts), at
 * sizes above the WebAssembly and threading thresholds and just below them, run three ways: the
 * WebAssembly kernels on two threads, on one thread (TAPEGRAD_THREADS=1), and the TypeScript kernels
 * (TAPEGRAD_WASM=0). Every result must be within 1e-5 of the largest magnitude of the reference (a
 * float32-appropriate tolerance: float32 rounds at 6e-8 relative). Then the empty inputs — batch 0
 * and empty axes — of every op family.
 */
import * as tg from '../src';
import { jsKernels, kernels, Kernels, selectKernels, useKernels } from '../src/kernels';
import { createWasmKernels } from '../src/kernels/wasm/backend';
import { loadRuntime, PARALLEL_MIN_MACS } from '../src/kernels/wasm/runtime';
import { broadcastIndex, conv2dRef, Conv2dSpec, convOut, indices, magnitude, matmulRef, maxDiff, strides } from './reference-loops';

jest.setTimeout(120_000);

const TOL = 1e-5;

function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = TOL): void {
  const { diff, at } = maxDiff(got, want);
  const bound = tol * magnitude(want);
  if (!(diff <= bound)) throw new Error(`${what}: |got - want| = ${diff} at ${at} (got ${got[at]}, want ${want[at]}) exceeds ${bound}`);
}

const random = tg.rng('float32-paths');
function values(n: number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => offset + scale * (2 * random.next() - 1));
}
const t = (data: Float32Array, shape: readonly number[], requiresGrad = false) => tg.tensor(data, { shape: [...shape], requiresGrad });

const configs: [string, () => Promise<Kernels>][] = [
  [
    'WebAssembly, 2 threads',
    async () => {
      const { runtime, reason } = loadRuntime({ threads: 2, allowRelaxed: true });
      if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
      const deadline = Date.now() + 20_000;
      while (runtime.pool.ready < 1) {
        if (Date.now() > deadline) throw new Error('the kernel worker did not start within 20 s');
        await new Promise((r) => setTimeout(r, 10));
      }
      return createWasmKernels(runtime, jsKernels);
    },
  ],
  ['WebAssembly, 1 thread (TAPEGRAD_THREADS=1)', async () => selectKernels({ threads: 1 })],
  ['TypeScript (TAPEGRAD_WASM=0)', async () => selectKernels({ wasm: 'off' })],
];

describe.each(configs)('%s', (_name, make) => {
  let saved: Kernels;
  beforeAll(async () => {
    saved = kernels();
    useKernels(await make());
  });
  afterAll(() => {
    useKernels(saved);
  });

  test('matmul: odd shapes above and below the WebAssembly and threading thresholds, with gradients', () => {
    const shapes: [number, number, number][] = [
      [67, 129, 253],
      [3, 5, 7],
      [16, 16, 9],
      [1, 300, 1],
      [130, 1, 70],
    ];
    expect(67 * 129 * 253).toBeGreaterThan(PARALLEL_MIN_MACS);
    for (const [m, k, n] of shapes) {
      const a = values(m * k);
      const b = values(k * n);
      const gy = values(m * n);
      const ta = t(a, [m, k], true);
      const tb = t(b, [k, n], true);
      tg.matmul(ta, tb).backward(t(gy, [m, n]));
      expectClose(`matmul [${m},${k}]@[${k},${n}]`, tg.matmul(ta, tb).data, matmulRef(a, b, m, k, n));
      // ga = gy bᵀ, gb = aᵀ gy, from the same loop on transposed copies.
      const bT = new Float64Array(n * k);
      for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bT[j * k + p] = b[p * n + j];
      const aT = new Float64Array(k * m);
      for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) aT[p * m + i] = a[i * k + p];
      expectClose('matmul grad a', ta.grad!.data, matmulRef(gy, bT, m, n, k));
      expectClose('matmul grad b', tb.grad!.data, matmulRef(aT, gy, k, m, n));
    }
  });

  const convSpecs: [string, Conv2dSpec][] = [
    [
      '3×3 pad 1, large (threaded im2col)',
      { n: 8, c: 16, h: 20, w: 20, k: 24, fh: 3, fw: 3, stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 },
    ],
    [
      'stride 2, pad [1,2], dilation [2,1], groups 2',
      { n: 4, c: 8, h: 33, w: 31, k: 12, fh: 3, fw: 4, stride: [2, 2], padding: [1, 2], dilation: [2, 1], groups: 2 },
    ],
    [
      'depthwise 5×5 (direct path)',
      { n: 4, c: 32, h: 40, w: 40, k: 32, fh: 5, fw: 5, stride: [1, 1], padding: [2, 2], dilation: [1, 1], groups: 32 },
    ],
    ['pointwise 1×1', { n: 4, c: 24, h: 17, w: 19, k: 40, fh: 1, fw: 1, stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }],
    [
      "the tutorial's layer (small)",
      { n: 1, c: 3, h: 5, w: 5, k: 2, fh: 3, fw: 3, stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 },
    ],
  ];

  test.each(convSpecs)('conv2d %s: output and the three gradients', (_label, s) => {
    const x = values(s.n * s.c * s.h * s.w);
    const w = values(s.k * (s.c / s.groups) * s.fh * s.fw);
    const b = values(s.k);
    const outSize =
      s.n *
      s.k *
      convOut(s.h, s.fh, s.stride[0], s.padding[0], s.dilation[0]) *
      convOut(s.w, s.fw, s.stride[1], s.padding[1], s.dilation[1]);
    const upstream = values(outSize);
    const ref = conv2dRef(s, x, w, b, upstream);
    const tx = t(x, [s.n, s.c, s.h, s.w], true);
    const tw = t(w, [s.k, s.c / s.groups, s.fh, s.fw], true);
    const tb = t(b, [s.k], true);
    const y = tg.conv2d(tx, tw, tb, { stride: s.stride, padding: s.padding, dilation: s.dilation, groups: s.groups });
    expect(y.shape).toEqual(ref.shape);
    expectClose('conv2d y', y.data, ref.y);
    y.backward(t(upstream, ref.shape));
    expectClose('conv2d gx', tx.grad!.data, ref.gx);
    expectClose('conv2d gw', tw.grad!.data, ref.gw);
    expectClose('conv2d gb', tb.grad!.data, ref.gb);
  });

  test('conv1d on one long signal (the direct path split by columns) and with options', () => {
    const cases: [number, number, number, number, number, number, number][] = [
      // n, c, l, k, f, stride, padding
      [1, 1, 100_000, 1, 101, 1, 0],
      [3, 6, 500, 4, 7, 3, 2],
    ];
    for (const [n, c, l, k, f, stride, padding] of cases) {
      const s: Conv2dSpec = { n, c, h: 1, w: l, k, fh: 1, fw: f, stride: [1, stride], padding: [0, padding], dilation: [1, 1], groups: 1 };
      const x = values(n * c * l);
      const w = values(k * c * f);
      const ref0 = conv2dRef(s, x, w, null);
      const gyv = values(ref0.y.length);
      const ref = conv2dRef(s, x, w, null, gyv);
      const tx = t(x, [n, c, l], true);
      const tw = t(w, [k, c, f], true);
      const y = tg.conv1d(tx, tw, null, { stride, padding });
      expect(y.shape).toEqual([n, k, ref.shape[3]]);
      expectClose('conv1d y', y.data, ref.y);
      y.backward(t(gyv, y.shape));
      expectClose('conv1d gx', tx.grad!.data, ref.gx);
      expectClose('conv1d gw', tw.grad!.data, ref.gw);
    }
  });

  test.each([
    [
      'stride 2, outputPadding 1, groups 2, bias',
      { c: 8, k: 6, h: 15, w: 13, f: 3, stride: 2, padding: 1, outputPadding: 1, dilation: 1, groups: 2, n: 6 },
    ],
    [
      'stride 1, dilation 2 (direct transposed path when depthwise)',
      { c: 16, k: 16, h: 30, w: 30, f: 3, stride: 1, padding: 2, outputPadding: 0, dilation: 2, groups: 16, n: 4 },
    ],
  ])('convTranspose2d %s: output and gradients', (_label, o) => {
    const outH = (o.h - 1) * o.stride - 2 * o.padding + o.dilation * (o.f - 1) + o.outputPadding + 1;
    const outW = (o.w - 1) * o.stride - 2 * o.padding + o.dilation * (o.f - 1) + o.outputPadding + 1;
    // convTranspose2d is the adjoint of a conv2d from its output space [n,k,outH,outW] back to [n,c,h,w].
    const s: Conv2dSpec = {
      n: o.n,
      c: o.k,
      h: outH,
      w: outW,
      k: o.c,
      fh: o.f,
      fw: o.f,
      stride: [o.stride, o.stride],
      padding: [o.padding, o.padding],
      dilation: [o.dilation, o.dilation],
      groups: o.groups,
    };
    expect(convOut(outH, o.f, o.stride, o.padding, o.dilation)).toBe(o.h);
    const x = values(o.n * o.c * o.h * o.w);
    const w = values(o.c * (o.k / o.groups) * o.f * o.f);
    const b = values(o.k);
    const gz = values(o.n * o.k * outH * outW);
    const adj = conv2dRef(s, new Float64Array(o.n * o.k * outH * outW), w, null, x);
    const want = Float64Array.from(adj.gx, (v, i) => v + b[Math.floor(i / (outH * outW)) % o.k]);
    const tx = t(x, [o.n, o.c, o.h, o.w], true);
    const tw = t(w, [o.c, o.k / o.groups, o.f, o.f], true);
    const tb = t(b, [o.k], true);
    const y = tg.convTranspose2d(tx, tw, tb, {
      stride: o.stride,
      padding: o.padding,
      outputPadding: o.outputPadding,
      dilation: o.dilation,
      groups: o.groups,
    });
    expect(y.shape).toEqual([o.n, o.k, outH, outW]);
    expectClose('convTranspose2d y', y.data, want);
    y.backward(t(gz, y.shape));
    const back = conv2dRef(s, gz, w, null, x);
    expectClose('convTranspose2d gx', tx.grad!.data, back.y);
    expectClose('convTranspose2d gw', tw.grad!.data, back.gw);
    const gb = new Float64Array(o.k);
    for (let i = 0; i < gz.length; i++) gb[Math.floor(i / (outH * outW)) % o.k] += gz[i];
    expectClose('convTranspose2d gb', tb.grad!.data, gb);
  });

  test.each([
    ['3×3 stride 2 pad 1', [8, 16, 30, 30], 3, 2, 1],
    ['2×2 stride 2, just below the WebAssembly size', [1, 1, 64, 63], 2, 2, 0],
    ['3×3 stride 1 pad 1', [2, 3, 50, 47], 3, 1, 1],
  ] as [string, number[], number, number, number][])(
    'maxPool2d and avgPool2d %s, with ties: values and gradients',
    (_label, shape, k, s, p) => {
      const [n, c, h, w] = shape;
      // Small integers: windows full of ties, so the first maximum must win.
      const x = Float32Array.from({ length: n * c * h * w }, () => Math.floor(random.next() * 4));
      const oh = Math.floor((h + 2 * p - k) / s) + 1;
      const ow = Math.floor((w + 2 * p - k) / s) + 1;
      const gy = values(n * c * oh * ow);
      const maxWant = new Float64Array(gy.length);
      const avgWant = new Float64Array(gy.length);
      const gMax = new Float64Array(x.length);
      const gAvg = new Float64Array(x.length);
      for (let pl = 0, o = 0; pl < n * c; pl++)
        for (let a = 0; a < oh; a++)
          for (let q = 0; q < ow; q++, o++) {
            let best = -Infinity;
            let at = -1;
            let sum = 0;
            for (let i = 0; i < k; i++)
              for (let j = 0; j < k; j++) {
                const ih = a * s - p + i;
                const iw = q * s - p + j;
                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                const idx = (pl * h + ih) * w + iw;
                sum += x[idx];
                gAvg[idx] += gy[o] / (k * k);
                if (x[idx] > best) {
                  best = x[idx];
                  at = idx;
                }
              }
            maxWant[o] = best;
            avgWant[o] = sum / (k * k);
            gMax[at] += gy[o];
          }
      const tx = t(x, shape, true);
      const ym = tg.maxPool2d(tx, k, { stride: s, padding: p });
      expect(Array.from(ym.data)).toEqual(Array.from(maxWant));
      ym.backward(t(gy, ym.shape));
      expectClose('maxPool2d grad', tx.grad!.data, gMax);
      const tx2 = t(x, shape, true);
      const ya = tg.avgPool2d(tx2, k, { stride: s, padding: p });
      expectClose('avgPool2d', ya.data, avgWant);
      ya.backward(t(gy, ya.shape));
      expectClose('avgPool2d grad', tx2.grad!.data, gAvg);
    },
  );

  const binaryCases: [number[], number[]][] = [
    [
      [8, 1, 300],
      [8, 64, 1],
    ],
    [[64, 300], [300]],
    [[4096], [1]],
    [[4095], [4095]],
    [
      [2, 1, 3000],
      [1, 5, 1],
    ],
    [[1], [70, 70]],
  ];
  const ops: [string, (a: tg.Tensor, b: tg.Tensor) => tg.Tensor, (x: number, y: number) => number][] = [
    ['add', tg.add, (x, y) => x + y],
    ['sub', tg.sub, (x, y) => x - y],
    ['mul', tg.mul, (x, y) => x * y],
    ['div', tg.div, (x, y) => x / y],
    ['maximum', tg.maximum, Math.max],
    ['minimum', tg.minimum, Math.min],
    ['pow', tg.pow, Math.pow],
  ];
  test.each(ops)('%s with size-1 middle axes and every broadcast pattern; gradients reduced back', (name, op, f) => {
    for (const [as, bs] of binaryCases) {
      const a =
        name === 'pow'
          ? values(
              as.reduce((x, y) => x * y, 1),
              0.5,
              1.5,
            )
          : values(as.reduce((x, y) => x * y, 1));
      const b =
        name === 'div'
          ? values(
              bs.reduce((x, y) => x * y, 1),
              0.5,
              1.5,
            )
          : values(bs.reduce((x, y) => x * y, 1));
      const outShape = tg.broadcastShapes(name, as, bs);
      const want = new Float64Array(outShape.reduce((x, y) => x * y, 1));
      let o = 0;
      for (const idx of indices(outShape)) want[o++] = f(a[broadcastIndex(idx, as)], b[broadcastIndex(idx, bs)]);
      const ta = t(a, as, true);
      const tb = t(b, bs, true);
      const y = op(ta, tb);
      expect(y.shape).toEqual(outShape);
      expectClose(`${name} ${JSON.stringify(as)} ${JSON.stringify(bs)}`, y.data, want);
      if (name === 'add' || name === 'mul') {
        const gy = values(want.length);
        y.backward(t(gy, outShape));
        const ga = new Float64Array(a.length);
        const gb = new Float64Array(b.length);
        o = 0;
        for (const idx of indices(outShape)) {
          const ia = broadcastIndex(idx, as);
          const ib = broadcastIndex(idx, bs);
          ga[ia] += name === 'add' ? gy[o] : gy[o] * b[ib];
          gb[ib] += name === 'add' ? gy[o] : gy[o] * a[ia];
          o++;
        }
        expectClose(`${name} grad a`, ta.grad!.data, ga);
        expectClose(`${name} grad b`, tb.grad!.data, gb);
      }
    }
  });

  test('sum, mean and max over every axis and axis set, on data with mean 20 (accumulation in float64)', () => {
    const shape = [13, 64, 37];
    const x = values(13 * 64 * 37, 1, 20);
    const tx = t(x, shape);
    for (const axes of [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]) {
      const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const sum = new Float64Array(kept.reduce((a, b) => a * b, 1));
      const max = new Float64Array(sum.length).fill(-Infinity);
      for (const idx of indices(shape)) {
        const o = broadcastIndex(
          idx.map((v, i) => (axes.includes(i) ? 0 : v)),
          kept,
        );
        const v = x[idx.reduce((f, v, i) => f + v * strides(shape)[i], 0)];
        sum[o] += v;
        max[o] = Math.max(max[o], v);
      }
      const count = axes.reduce((n, a) => n * shape[a], 1);
      expectClose(`sum ${axes}`, tg.sum(tx, axes).data, sum, 1e-6);
      expectClose(
        `mean ${axes}`,
        tg.mean(tx, axes, true).data,
        sum.map((v) => v / count),
        1e-6,
      );
      expect(Array.from(tg.max(tx, axes).data)).toEqual(Array.from(max));
    }
    // A long leading axis: a float32 running sum would drift by ~1e-5 relative here.
    const long = values(40_000 * 3, 1, 20);
    const want = [0, 1, 2].map((j) => {
      let s = 0;
      for (let i = 0; i < 40_000; i++) s += long[i * 3 + j];
      return s;
    });
    expectClose('sum over a long leading axis', tg.sum(t(long, [40_000, 3]), 0).data, want, 1e-7);
    expectClose('sum over a long middle axis', tg.sum(t(long, [1, 40_000, 3]), 1).data, want, 1e-7);
  });

  test('softmax and crossEntropy on [64,1000] logits of magnitude 10: values and gradient', () => {
    const [n, c] = [64, 1000];
    const logits = values(n * c, 10);
    const targets = Array.from({ length: n }, (_, i) => (i * 37) % c);
    const p = new Float64Array(n * c);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let j = 0; j < c; j++) m = Math.max(m, logits[i * c + j]);
      let z = 0;
      for (let j = 0; j < c; j++) z += Math.exp(logits[i * c + j] - m);
      for (let j = 0; j < c; j++) p[i * c + j] = Math.exp(logits[i * c + j] - m) / z;
      loss -= Math.log(p[i * c + targets[i]]) / n;
    }
    const tl = t(logits, [n, c], true);
    expectClose('softmax', tg.softmax(tl).data, p);
    const l = tg.crossEntropy(tl, targets);
    expect(Math.abs(l.item() - loss)).toBeLessThanOrEqual(TOL * Math.abs(loss));
    l.backward();
    const g = Float64Array.from(p, (v, k) => (v - (k % c === targets[Math.floor(k / c)] ? 1 : 0)) / n);
    expectClose('crossEntropy grad', tl.grad!.data, g);
  });

  test('batchNorm on [64,16,28,28] data with mean 20: output, running statistics and gradients', () => {
    const [n, c, h, w] = [64, 16, 28, 28];
    const x = values(n * c * h * w, 3, 20);
    const plane = h * w;
    const count = n * plane;
    const mean = new Float64Array(c);
    const variance = new Float64Array(c);
    for (let i = 0; i < x.length; i++) mean[Math.floor(i / plane) % c] += x[i] / count;
    for (let i = 0; i < x.length; i++) variance[Math.floor(i / plane) % c] += (x[i] - mean[Math.floor(i / plane) % c]) ** 2 / count;
    const eps = 1e-5;
    const want = Float64Array.from(
      x,
      (v, i) => (v - mean[Math.floor(i / plane) % c]) / Math.sqrt(variance[Math.floor(i / plane) % c] + eps),
    );
    const runningMean = tg.zeros([c]);
    const runningVar = tg.ones([c]);
    const tx = t(x, [n, c, h, w], true);
    const y = tg.batchNorm(tx, { runningMean, runningVar, training: true });
    expectClose('batchNorm y', y.data, want);
    expectClose(
      'running mean',
      runningMean.data,
      mean.map((m) => 0.1 * m),
      1e-6,
    );
    expectClose(
      'running var',
      runningVar.data,
      variance.map((v) => 0.9 + (0.1 * v * count) / (count - 1)),
      1e-6,
    );
    // d/dx of Σ y·gy: (gy − mean(gy) − ŷ·mean(gy·ŷ)) / σ, per channel.
    const gy = values(x.length);
    y.backward(t(gy, y.shape));
    const mg = new Float64Array(c);
    const mgy = new Float64Array(c);
    for (let i = 0; i < x.length; i++) {
      const ch = Math.floor(i / plane) % c;
      mg[ch] += gy[i] / count;
      mgy[ch] += (gy[i] * want[i]) / count;
    }
    const gx = Float64Array.from(gy, (g, i) => {
      const ch = Math.floor(i / plane) % c;
      return (g - mg[ch] - want[i] * mgy[ch]) / Math.sqrt(variance[ch] + eps);
    });
    expectClose('batchNorm gx', tx.grad!.data, gx);
  });

  describe('empty inputs: batch 0 and empty axes, every op family', () => {
    test('conv2d, conv1d and convTranspose2d with batch 0 and a bias: empty outputs, zero weight and bias gradients', () => {
      const w = tg.randn([16, 16, 3, 3], { rng: tg.rng(1), requiresGrad: true });
      const b = tg.randn([16], { rng: tg.rng(2), requiresGrad: true });
      const x = tg.zeros([0, 16, 18, 18], { requiresGrad: true });
      const y = tg.conv2d(x, w, b);
      expect(y.shape).toEqual([0, 16, 16, 16]);
      y.sum().backward();
      expect(Array.from(w.grad!.data).every((v) => v === 0)).toBe(true);
      expect(Array.from(b.grad!.data)).toEqual(new Array(16).fill(0));
      expect(x.grad!.shape).toEqual([0, 16, 18, 18]);
      w.grad = null;
      b.grad = null;
      tg.convTranspose2d(tg.zeros([0, 16, 9, 9]), w, b, { stride: 2 })
        .sum()
        .backward();
      expect(Array.from(w.grad!.data).every((v) => v === 0)).toBe(true);
      expect(Array.from(b.grad!.data).every((v) => v === 0)).toBe(true);
      const w1 = tg.randn([4, 1, 5], { rng: tg.rng(3), requiresGrad: true });
      const y1 = tg.conv1d(tg.zeros([0, 4, 50]), w1, null, { groups: 4 });
      expect(y1.shape).toEqual([0, 4, 46]);
      y1.sum().backward();
      expect(Array.from(w1.grad!.data).every((v) => v === 0)).toBe(true);
    });

    test('pooling, matmul, elementwise, reductions, softmax and losses', () => {
      expect(tg.maxPool2d(tg.zeros([0, 3, 8, 8]), 2).shape).toEqual([0, 3, 4, 4]);
      expect(tg.avgPool2d(tg.zeros([0, 3, 8, 8]), 2).shape).toEqual([0, 3, 4, 4]);
      expect(tg.matmul(tg.zeros([0, 5]), tg.ones([5, 3])).shape).toEqual([0, 3]);
      expect(tg.matmul(tg.ones([4, 0]), tg.ones([0, 3])).toArray()).toEqual(new Array(4).fill([0, 0, 0]));
      expect(tg.add(tg.zeros([0, 3]), tg.ones([3])).shape).toEqual([0, 3]);
      expect(tg.relu(tg.zeros([0])).shape).toEqual([0]);
      expect(tg.sum(tg.zeros([2, 0]), 1).toArray()).toEqual([0, 0]);
      expect(tg.sum(tg.zeros([0, 3]), 1).shape).toEqual([0]);
      expect(Number.isNaN(tg.mean(tg.zeros([0])).item())).toBe(true);
      expect(tg.softmax(tg.zeros([3, 0])).shape).toEqual([3, 0]);
      expect(tg.logSoftmax(tg.zeros([0, 4]), 0).shape).toEqual([0, 4]);
      const logits = tg.zeros([0, 3], { requiresGrad: true });
      expect(tg.crossEntropy(logits, [], { reduction: 'sum' }).item()).toBe(0);
      expect(tg.crossEntropy(logits, [], { reduction: 'none' }).shape).toEqual([0]);
    });
  });
});
