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
