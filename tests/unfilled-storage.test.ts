/**
 * Note [unfilled storage]: op outputs that a kernel writes whole skip the zero-fill. These tests fill
 * every such array with NaN before the kernel runs and require the same bits as with plain storage,
 * through every op that takes unfilled storage, in float32 above the WebAssembly thresholds and in
 * float64, on the WebAssembly and the TypeScript kernels: an element a kernel leaves unwritten
 * shows up as a NaN.
 */
import * as tg from '../src';
import { buildModel } from '../src/train/models';
import { Kernels, selectKernels, useKernels, kernels } from '../src/kernels';
import { allocateUnfilled, fillUnfilledWith } from '../src/tensor/dtype';

const previous: Kernels = kernels();
afterAll(() => {
  fillUnfilledWith(null);
  useKernels(previous);
});

/** Runs `fn` with unfilled storage left alone and again with it filled with NaN; both results. */
function twice<T>(fn: () => T): [T, T] {
  fillUnfilledWith(null);
  const plain = fn();
  fillUnfilledWith(NaN);
  try {
    return [plain, fn()];
  } finally {
    fillUnfilledWith(null);
  }
}

const arrays = (ts: (tg.Tensor | null)[]) => ts.map((t) => (t === null ? null : Array.from(t.data)));

/**
 * Where two lists of arrays first differ (Object.is: NaN equals NaN, 0 and -0 differ), or null; a
 * short answer, where a diff of two 150,000-element arrays would take jest minutes to print.
 */
function firstDifference(a: (number[] | null)[], b: (number[] | null)[]): string | null {
  if (a.length !== b.length) return `${a.length} arrays against ${b.length}`;
  for (let k = 0; k < a.length; k++) {
    const x = a[k];
    const y = b[k];
    if (x === null || y === null) {
      if (x !== y) return `array ${k}: one is null`;
      continue;
    }
    if (x.length !== y.length) return `array ${k}: length ${x.length} against ${y.length}`;
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return `array ${k}, element ${i}: ${x[i]} against ${y[i]}`;
  }
  return null;
}

/** Forward values and the gradients of every input, for a seeded set of inputs. */
function valuesAndGrads(shapes: number[][], dtype: tg.DType, f: (...xs: tg.Tensor[]) => tg.Tensor): (number[] | null)[] {
  const r = tg.rng('unfilled');
  const xs = shapes.map((s) => tg.randn(s, { rng: r, dtype, requiresGrad: true }));
  const y = f(...xs);
  const gy = tg.randn(y.shape, { rng: r, dtype });
  y.backward(gy);
  return arrays([y, ...xs.map((x) => x.grad)]);
}

const cases: [string, number[][], (...xs: tg.Tensor[]) => tg.Tensor][] = [
  ['conv2d, shallow input (1 → 6, 5×5 pad 2)', [[20, 1, 28, 28], [6, 1, 5, 5], [6]], (x, w, b) => tg.conv2d(x, w, b, { padding: 2 })],
  [
    'conv2d, im2col + GEMM (6 → 16, 5×5)',
    [
      [8, 6, 14, 14],
      [16, 6, 5, 5],
    ],
    (x, w) => tg.conv2d(x, w),
  ],
  [
    'conv2d, depthwise',
    [
      [4, 3, 40, 40],
      [3, 1, 3, 3],
    ],
    (x, w) => tg.conv2d(x, w, null, { padding: 1, groups: 3 }),
  ],
  ['linear (matmul transB)', [[64, 400], [120, 400], [120]], (x, w, b) => tg.linear(x, w, b)],
  [
    'matmul, batched',
    [
      [3, 70, 90],
      [3, 90, 50],
    ],
    (a, b) => tg.matmul(a, b),
  ],
  ['relu', [[32, 6, 28, 28]], (x) => tg.relu(x)],
  [
    'broadcast add and mul',
    [
      [32, 16, 100],
      [16, 1],
    ],
    (a, b) => tg.mul(tg.add(a, b), a),
  ],
  ['sum over axes', [[32, 16, 100]], (x) => tg.sum(x, [0, 2])],
  ['batch norm, training', [[32, 16, 10, 10], [16], [16]], (x, weight, bias) => tg.batchNorm(x, { weight, bias, training: true })],
  ['max pool 2×2', [[32, 6, 28, 28]], (x) => tg.maxPool2d(x, 2)],
];

describe.each([
  ['WebAssembly', () => selectKernels({ threads: 2 })],
  ['TypeScript', () => selectKernels({ wasm: 'off' })],
] as const)('%s kernels', (_name, choose) => {
  beforeAll(() => {
    useKernels(choose());
  });

  describe.each(['float32', 'float64'] as const)('%s', (dtype) => {
    test.each(cases)('%s: values and gradients do not depend on what unfilled storage held', (_label, shapes, f) => {
      const [plain, poisoned] = twice(() => valuesAndGrads(shapes, dtype, f));
      expect(firstDifference(plain, poisoned)).toBeNull();
      expect(plain.flat().some((v) => v === null || Number.isNaN(v))).toBe(false);
    });
  });

  test('a training step of the CLI LeNet-5 with batch norm (W7): the same loss and parameters', () => {
    const [plain, poisoned] = twice(() => {
      const model = buildModel('cnn', [1, 28, 28], 10, tg.rng('bench:W7'));
      model.train();
      const opt = new tg.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
      const images = tg.randn([32, 1, 28, 28], { rng: tg.rng('images') });
      const labels = Int32Array.from({ length: 32 }, (_, i) => (i * 7) % 10);
      const losses: number[] = [];
      for (let step = 0; step < 2; step++) {
        opt.zeroGrad();
        const loss = tg.crossEntropy(model.forward(images), labels);
        loss.backward();
        opt.step();
        losses.push(loss.item());
      }
      return { losses, params: arrays(model.parameters()) };
    });
    expect(poisoned.losses).toEqual(plain.losses);
    expect(firstDifference(plain.params, poisoned.params)).toBeNull();
    expect(plain.losses.every(Number.isFinite)).toBe(true);
  });
});

test('the NaN fill reaches unfilled storage (so the tests above can fail)', () => {
  fillUnfilledWith(NaN);
  try {
    expect(Array.from(allocateUnfilled('float32', 5000).subarray(0, 3))).toEqual([NaN, NaN, NaN]);
    expect(Array.from(allocateUnfilled('float64', 7))).toEqual(new Array(7).fill(NaN));
  } finally {
    fillUnfilledWith(null);
  }
  // Large arrays come from Node's unzeroed allocator; either way the length and type are right.
  const big = allocateUnfilled('float32', 1 << 16);
  expect(big).toBeInstanceOf(Float32Array);
  expect(big.length).toBe(1 << 16);
  expect(big.buffer.byteLength).toBe(4 << 16);
});
