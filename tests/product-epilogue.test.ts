/**
 * Note [product epilogue] (src/ops/matmul.ts): a linear layer's bias and an attention's mask are
 * added inside the matmul primitive. The values and gradients are, bit for bit, those of the product
 * followed by an add — in float64 (TypeScript kernels) and in float32 on the WebAssembly GEMM and
 * batched GEMM at sizes they take, on two threads — the graph holds no add, addends that do not
 * qualify take the ordinary add, and the ONNX exporter spells the addend as an Add.
 */
import * as tg from '../src';
import { jsKernels, kernels, Kernels, useKernels } from '../src/kernels';
import { createWasmKernels } from '../src/kernels/wasm/backend';
import { loadRuntime } from '../src/kernels/wasm/runtime';
import * as gemm from '../src/kernels/wasm/gemm';
import { matmulTransposed, product, productPlus } from '../src/ops/matmul';

const gemmSpy = jest.spyOn(gemm, 'gemmWasm');
const batchedSpy = jest.spyOn(gemm, 'gemmBatchedWasm');
let saved: Kernels;
beforeAll(() => {
  const { runtime, reason } = loadRuntime({ threads: 2, allowRelaxed: true });
  if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  saved = kernels();
  useKernels(createWasmKernels(runtime, jsKernels));
});
afterAll(() => {
  useKernels(saved);
});
beforeEach(() => {
  gemmSpy.mockClear();
  batchedSpy.mockClear();
});

/** The same dtype, shape and elements (Object.is: −0 and NaN count); a mismatch names its first element, not a diff of 100 000. */
function expectSameBits(a: tg.Tensor | null, b: tg.Tensor | null): void {
  expect(a).not.toBeNull();
  expect(b).not.toBeNull();
  expect(a!.dtype).toBe(b!.dtype);
  expect(a!.shape).toEqual(b!.shape);
  const first = a!.data.findIndex((v, i) => !Object.is(v, b!.data[i]));
  expect(first === -1 ? 'all equal' : `element ${first}: ${a!.data[first]} vs ${b!.data[first]}`).toBe('all equal');
}

/** Fresh leaves with the values of `ts` (so the fused and the composed graph each get their own .grad). */
const leaves = (ts: tg.Tensor[]) => ts.map((t) => tg.tensor(t.data, { shape: t.shape, dtype: t.dtype, requiresGrad: true }));

/** y = f(inputs) with a backward of a fixed upstream gradient; y and the inputs' gradients. */
function run(f: (...xs: tg.Tensor[]) => tg.Tensor, inputs: tg.Tensor[], seed: string): tg.Tensor[] {
  const xs = leaves(inputs);
  const y = f(...xs);
  y.backward(tg.randn(y.shape, { rng: tg.rng(seed), dtype: y.dtype }));
  return [y, ...xs.map((x) => x.grad!)];
}

describe.each(['float64', 'float32'] as const)('%s: the same bits as the product and then an add', (dtype) => {
  test('a linear layer on a sequence: output and the gradients of input, weight and bias', () => {
    const r = tg.rng(`epilogue linear ${dtype}`);
    // 1024 rows · 128 in · 96 out: the WebAssembly GEMM, split over both threads, in float32.
    const inputs = [tg.randn([16, 64, 128], { rng: r, dtype }), tg.randn([96, 128], { rng: r, dtype }), tg.randn([96], { rng: r, dtype })];
    const fused = run((x, w, b) => tg.linear(x, w, b), inputs, 'gy');
    const composed = run((x, w, b) => tg.add(matmulTransposed(x, w), b), inputs, 'gy');
    fused.forEach((t, i) => expectSameBits(t, composed[i]));
    if (dtype === 'float32') {
      // The forward's GEMM got the bias (its last argument); the composed one did not.
      const addends = gemmSpy.mock.calls.map((call) => call[call.length - 1]);
      expect(addends.filter((a) => a instanceof Float32Array && a.length === 96)).toHaveLength(1);
    }
  });

  test('attention scores: q·kᵀ plus a [L,S] mask over [batch, heads], and the mask gradient', () => {
    const r = tg.rng(`epilogue scores ${dtype}`);
    const inputs = [
      tg.randn([8, 4, 64, 32], { rng: r, dtype }),
      tg.randn([8, 4, 64, 32], { rng: r, dtype }),
      tg.randn([64, 64], { rng: r, dtype }),
    ];
    const fused = run((q, k, m) => productPlus(q, k, false, true, m)!, inputs, 'gs');
    const composed = run((q, k, m) => tg.add(product(q, k, false, true), m), inputs, 'gs');
    fused.forEach((t, i) => expectSameBits(t, composed[i]));
    if (dtype === 'float32') {
      const addends = batchedSpy.mock.calls.map((call) => call[call.length - 1]);
      expect(addends.filter((a) => a instanceof Float32Array && a.length === 64 * 64)).toHaveLength(1);
    }
  });

  test('a 1-d input to linear, and a mask with leading 1s', () => {
    const r = tg.rng(`epilogue small ${dtype}`);
    const lin = [tg.randn([7], { rng: r, dtype }), tg.randn([5, 7], { rng: r, dtype }), tg.randn([5], { rng: r, dtype })];
    const a = run((x, w, b) => tg.linear(x, w, b), lin, 'g1');
    const b = run((x, w, bias) => tg.add(matmulTransposed(x, w), bias), lin, 'g1');
    a.forEach((t, i) => expectSameBits(t, b[i]));
    expect(a[0].shape).toEqual([5]);
    const att = [tg.randn([2, 3, 4], { rng: r, dtype }), tg.randn([2, 5, 4], { rng: r, dtype }), tg.randn([1, 1, 3, 5], { rng: r, dtype })];
    // The mask has more axes than the product: an add would widen the result, so the product declines it.
    expect(productPlus(att[0], att[1], false, true, att[2])).toBeNull();
    const mask = att[2].reshape([1, 3, 5]);
    const c = run((q, k, m) => productPlus(q, k, false, true, m)!, [att[0], att[1], mask], 'g2');
    const d = run((q, k, m) => tg.add(product(q, k, false, true), m), [att[0], att[1], mask], 'g2');
    c.forEach((t, i) => expectSameBits(t, d[i]));
  });
});

describe('addends the product declines', () => {
  const r = tg.rng('epilogue declined');
  const q = tg.randn([2, 3, 4], { rng: r });
  const k = tg.randn([2, 5, 4], { rng: r });

  test.each([
    ['a per-batch key mask [2,1,5] (not a block repeated over the leading axes)', tg.randn([2, 1, 5], { rng: r })],
    ['another dtype than the product', tg.randn([3, 5], { rng: r, dtype: 'float64' })],
    ['a block the product does not end in', tg.randn([5, 3], { rng: r })],
    ['a [3,1] addend that broadcasts over the keys (not a trailing block of the scores)', tg.randn([3, 1], { rng: r })],
  ])('%s', (_name, addend) => {
    expect(productPlus(q, k, false, true, addend)).toBeNull();
  });

  test('linear with a float64 bias on float32 input promotes as the add does', () => {
    const x = tg.randn([4, 3], { rng: r });
    const w = tg.randn([2, 3], { rng: r });
    const b = tg.randn([2], { rng: r, dtype: 'float64' });
    const y = tg.linear(x, w, b);
    expect(y.dtype).toBe('float64');
    expectSameBits(y, tg.add(matmulTransposed(x, w), b));
  });

  test('a key-padding mask in MultiheadAttention takes the add and gives the same output as the masked-out keys removed', () => {
    const mha = new tg.nn.MultiheadAttention(8, 2, { rng: tg.rng('mha'), dtype: 'float64', batchFirst: true });
    const x = tg.randn([2, 5, 8], { rng: r, dtype: 'float64' });
    const keep = x.narrow(1, 0, 3);
    // [N,1,1,S] with N = 2: not a block repeated over [N, heads], so an add of its own.
    const padding = tg.tensor([
      [false, false, false, true, true],
      [false, false, false, true, true],
    ]);
    const [masked] = mha.forward(x, x, x, { keyPaddingMask: padding, needWeights: false });
    const [alone] = mha.forward(x, keep, keep, { needWeights: false });
    const ops: string[] = [];
    const seen = new Set<tg.Node>();
    const walk = (t: tg.Tensor) => {
      if (!t.node || seen.has(t.node)) return;
      seen.add(t.node);
      ops.push(`${t.node.op}/${t.node.inputs.map((i) => `[${i.shape.join(',')}]`).join('')}`);
      t.node.inputs.forEach(walk);
    };
    walk(masked);
    expect(ops.filter((o) => o.startsWith('add/'))).toEqual(['add/[2,2,5,5][2,1,1,5]']);
    const diff = tg.sub(masked, alone).abs().max().item();
    expect(diff).toBeLessThan(1e-14);
  });
});

/** The ops of the graph behind `out`, as `op/inputs`. */
function graphOps(out: tg.Tensor): string[] {
  const ops: string[] = [];
  const seen = new Set<tg.Node>();
  const walk = (t: tg.Tensor) => {
    const n = t.node;
    if (!n || seen.has(n)) return;
    seen.add(n);
    ops.push(`${n.op}/${n.inputs.length}`);
    n.inputs.forEach(walk);
  };
  walk(out);
  return ops;
}

test('the graph: a Linear is one matmul of three inputs; causal attention adds its mask in the product and copies no kᵀ', () => {
  const lin = new tg.nn.Linear(4, 3);
  const y = lin.forward(tg.randn([2, 4]));
  expect(y.node!.op).toBe('matmul');
  expect(y.node!.inputs).toHaveLength(3);
  const mha = new tg.nn.MultiheadAttention(8, 2, { batchFirst: true });
  const x = tg.randn([2, 5, 8], { requiresGrad: true });
  // With the weights asked for, attention is composed (Note [fused attention] in src/ops/attention.ts).
  const [out, weights] = mha.forward(x, x, x, { isCausal: true, averageAttnWeights: false });
  expect(weights!.shape).toEqual([2, 2, 5, 5]);
  const ops = graphOps(out);
  const count = (op: string) => ops.filter((o) => o === op).length;
  // q, k and v's projections and out_proj with their biases, and q·kᵀ with the causal mask: five
  // products with an addend; weights·v the one without. No add at all, one mul (q scaled before
  // the product), and four transposes: q, k and v into heads and the heads merged — none for kᵀ.
  expect(count('matmul/3')).toBe(5);
  expect(count('matmul/2')).toBe(1);
  expect(ops.filter((o) => o.startsWith('add/'))).toEqual([]);
  expect(count('mul/2')).toBe(1);
  expect(count('transpose/1')).toBe(4);
  expect(count('attention/3')).toBe(0);
});

test('the graph: without the weights, causal attention is one fused attention node between the projections', () => {
  const mha = new tg.nn.MultiheadAttention(8, 2, { batchFirst: true });
  const x = tg.randn([2, 5, 8], { requiresGrad: true });
  const [out, weights] = mha.forward(x, x, x, { isCausal: true, needWeights: false });
  expect(weights).toBeNull();
  const ops = graphOps(out);
  const count = (op: string) => ops.filter((o) => o === op).length;
  // The four projections with their biases; scores, softmax and weights·v are the one attention node.
  expect(count('attention/3')).toBe(1);
  expect(count('matmul/3')).toBe(4);
  expect(count('matmul/2')).toBe(0);
  expect(ops.filter((o) => o.startsWith('add/') || o.startsWith('mul/') || o.startsWith('softmax/'))).toEqual([]);
  expect(count('transpose/1')).toBe(4);
});

test('an addend that does not repeat evenly over the product is an Error in both kernels (never an endless loop)', () => {
  const a = new Float32Array(64 * 64).fill(1);
  const out = new Float32Array(64 * 64);
  for (const k of [jsKernels, kernels()]) {
    expect(() => k.gemm(a, 0, a, 0, out, 0, 64, 64, 64, false, false, false, new Float32Array(0))).toThrow(
      'gemm: an addend of 0 elements does not repeat evenly over a product of 4096',
    );
    expect(() => k.gemmBatched(a, [0, 0], a, [0, 0], new Float32Array(2 * 32 * 32), 32, 32, 32, false, false, new Float32Array(3))).toThrow(
      'gemm: an addend of 3 elements does not repeat evenly over a product of 2048',
    );
  }
});
