/**
 * Batched products (Note [batched products] in src/ops/matmul.ts): matmul over broadcast batch axes
 * makes one gemmBatched call, which the WebAssembly kernels run with one copy of each operand; float32
 * results against the same products in float64 (transposed operands too, as the backward reads
 * them), and small batches that stay in TypeScript.
 */
import * as tg from '../src';
import { jsKernels, kernels, Kernels, useKernels } from '../src/kernels';
import { createWasmKernels } from '../src/kernels/wasm/backend';
import { loadRuntime } from '../src/kernels/wasm/runtime';
import * as gemm from '../src/kernels/wasm/gemm';

const spy = jest.spyOn(gemm, 'gemmBatchedWasm');
let saved: Kernels;
beforeAll(() => {
  const { runtime, reason } = loadRuntime({ threads: 1, allowRelaxed: true });
  if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  saved = kernels();
  useKernels(createWasmKernels(runtime, jsKernels));
});
afterAll(() => {
  useKernels(saved);
});
beforeEach(() => spy.mockClear());

function worst(a: tg.Tensor, b: tg.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let w = 0;
  for (let i = 0; i < a.size; i++) w = Math.max(w, Math.abs(a.data[i] - b.data[i]) / (1 + Math.abs(b.data[i])));
  return w;
}

test.each([
  ['attention scores [4,3,16,8] @ [4,3,8,16]', [4, 3, 16, 8], [4, 3, 8, 16], 1],
  ['broadcast both ways [2,1,9,8] @ [3,8,7]', [2, 1, 9, 8], [3, 8, 7], 1],
  ['a tiny batch [2,2,3] @ [2,3,2] (TypeScript)', [2, 2, 3], [2, 3, 2], 0],
])('%s: float32 agrees with float64, forward and backward', (_name, sa, sb, wasmCalls) => {
  const r = tg.rng(`gemm batched ${_name}`);
  const a64 = tg.randn(sa as number[], { rng: r, dtype: 'float64' });
  const b64 = tg.randn(sb as number[], { rng: r, dtype: 'float64' });
  const leaf = (t: tg.Tensor, dtype: 'float32' | 'float64') =>
    tg.tensor(dtype === 'float32' ? Float32Array.from(t.data) : Float64Array.from(Float32Array.from(t.data)), {
      shape: t.shape,
      dtype,
      requiresGrad: true,
    });
  const [a32, b32, ad, bd] = [leaf(a64, 'float32'), leaf(b64, 'float32'), leaf(a64, 'float64'), leaf(b64, 'float64')];
  const y32 = tg.matmul(a32, b32);
  expect(spy).toHaveBeenCalledTimes(wasmCalls);
  const yd = tg.matmul(ad, bd);
  expect(worst(y32, yd)).toBeLessThan(1e-5);
  y32.square().sum().backward();
  yd.square().sum().backward();
  expect(worst(a32.grad!, ad.grad!)).toBeLessThan(1e-4);
  expect(worst(b32.grad!, bd.grad!)).toBeLessThan(1e-4);
});

describe('Note [entries over threads]: entries too small to split are shared out whole', () => {
  const threaded = loadRuntime({ threads: 3, allowRelaxed: true }).runtime!;
  const single = loadRuntime({ threads: 1, allowRelaxed: true }).runtime!;
  beforeAll(async () => {
    const start = Date.now();
    while (threaded.pool.ready < 2) {
      if (Date.now() - start > 20000) throw new Error('the worker threads did not start');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  // [entries, m, k, n, transA, transB, jobs published]
  test.each([
    [40, 64, 32, 64, false, true, 1],
    [37, 45, 60, 29, true, false, 1],
    [300, 32, 32, 32, false, false, 2],
    [2, 256, 64, 128, false, false, 2],
    [3, 12, 8, 9, false, false, 0],
  ])('%i entries of [%i,%i]·[%i,·] (transA %s, transB %s): the bits of one thread, %i jobs', (count, m, k, n, transA, transB, jobs) => {
    const r = tg.rng(`entries ${count} ${m}`);
    const a = Float32Array.from(tg.randn([count * m * k], { rng: r }).data);
    const b = Float32Array.from(tg.randn([count * k * n], { rng: r }).data);
    // Entries read operands in reverse, as a broadcast batch can.
    const aOffsets = Array.from({ length: count }, (_, t) => (count - 1 - t) * m * k);
    const bOffsets = Array.from({ length: count }, (_, t) => t * k * n);
    const one = new Float32Array(count * m * n).fill(NaN);
    const three = new Float32Array(count * m * n).fill(NaN);
    gemm.gemmBatchedWasm(single, a, aOffsets, b, bOffsets, one, m, k, n, transA, transB);
    const before = threaded.pool.published;
    gemm.gemmBatchedWasm(threaded, a, aOffsets, b, bOffsets, three, m, k, n, transA, transB);
    expect(threaded.pool.published - before).toBe(jobs);
    expect(Array.from(three)).toEqual(Array.from(one));
    // Entry 1's product by the float64 triple loop: the kernels agree with it.
    const t = 1;
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = a[aOffsets[t] + (transA ? p * m + i : i * k + p)];
          const bv = b[bOffsets[t] + (transB ? j * k + p : p * n + j)];
          s += av * bv;
        }
        worst = Math.max(worst, Math.abs(three[t * m * n + i * n + j] - s) / (1 + Math.abs(s)));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

test('both kernels write count·m·n elements of a longer output and leave the rest as it was (with an addend too)', () => {
  const [count, m, k, n] = [3, 16, 24, 20];
  const a = Float32Array.from({ length: count * m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: count * k * n }, (_, i) => Math.cos(i));
  const addend = Float32Array.from({ length: m * n }, (_, i) => i / 7);
  const offsets = (stride: number) => Array.from({ length: count }, (_, t) => t * stride);
  const outs = [kernels(), jsKernels].map((kern) => {
    const out = new Float32Array(count * m * n + 5).fill(-42);
    kern.gemmBatched(a, offsets(m * k), b, offsets(k * n), out, m, k, n, false, false, addend);
    return out;
  });
  expect(spy).toHaveBeenCalledTimes(1);
  for (const out of outs) expect(Array.from(out.subarray(count * m * n))).toEqual([-42, -42, -42, -42, -42]);
  let w = 0;
  for (let i = 0; i < count * m * n; i++) w = Math.max(w, Math.abs(outs[0][i] - outs[1][i]) / (1 + Math.abs(outs[1][i])));
  expect(w).toBeLessThan(1e-5);
});
