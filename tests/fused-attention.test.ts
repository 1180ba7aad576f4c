/**
 * Note [fused attention] (src/ops/attention.ts): when nobody reads the weights, attention is one
 * primitive whose kernels hold the scores and weights per (batch, head) entry and recompute them in
 * the backward. Its values and gradients are those of the composition (product, softmax, product) to
 * rounding in float64; the float32 WebAssembly kernel is within float32 rounding of the float64
 * TypeScript reference at sizes that run it, on one thread and two with the same bits; a fully
 * blocked row is NaN as in the composition; nothing of size [L, S] is kept between the passes.
 */
import * as tg from '../src';
import { jsKernels, kernels, Kernels, useKernels } from '../src/kernels';
import type { AttentionShape } from '../src/kernels/types';
import * as wasmAttention from '../src/kernels/wasm/attention';
import { createWasmKernels } from '../src/kernels/wasm/backend';
import { loadRuntime } from '../src/kernels/wasm/runtime';
import { attend, AttendOptions, causalMask } from '../src/ops/attention';

const forwardSpy = jest.spyOn(wasmAttention, 'attentionForwardWasm');
const backwardSpy = jest.spyOn(wasmAttention, 'attentionBackwardWasm');

function wasmKernels(threads: number): Kernels {
  const { runtime, reason } = loadRuntime({ threads, allowRelaxed: true });
  if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  return createWasmKernels(runtime, jsKernels);
}

let saved: Kernels;
let one: Kernels;
let two: Kernels;
beforeAll(() => {
  saved = kernels();
  one = wasmKernels(1);
  two = wasmKernels(2);
  useKernels(two);
});
afterAll(() => {
  useKernels(saved);
});

const r = tg.rng('fused attention');
const leaf = (shape: number[], dtype: 'float32' | 'float64' = 'float64') => tg.randn(shape, { rng: r, dtype, requiresGrad: true });

/** |a − b| ≤ tol·(1 + |b|) element by element; a mismatch names its first element. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  let first = -1;
  for (let i = 0; i < b.length && first < 0; i++) if (!(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])))) first = i;
  expect(first === -1 ? 'all close' : `element ${first}: ${a[first]} vs ${b[first]}`).toBe('all close');
}

/** The output and the gradients of q, k, v of attend, fused (weights not wanted) or composed. */
function run(fused: boolean, q: tg.Tensor, k: tg.Tensor, v: tg.Tensor, mask: tg.Tensor | null, causal: boolean, gy: tg.Tensor) {
  for (const t of [q, k, v]) t.grad = null;
  const scale = 1 / Math.sqrt(q.shape[q.ndim - 1]);
  const { y, weights } = attend(q, k, v, { mask, causal, scale, p: 0, zeroBlockedRows: false, needWeights: !fused });
  expect(weights === null).toBe(fused);
  expect(y.node!.op).toBe(fused ? 'attention' : 'matmul');
  y.backward(gy);
  return [y.data, q.grad!.data, k.grad!.data, v.grad!.data];
}

describe('float64: the fused primitive against the composition', () => {
  const configs: [string, number[], number, number, number, number, 'none' | 'mask' | 'causal'][] = [
    ['no mask', [2, 3], 4, 6, 5, 3, 'none'],
    ['causal, L = S', [3], 7, 7, 4, 4, 'causal'],
    ['causal, fewer queries than keys', [2], 3, 8, 5, 2, 'causal'],
    ['causal, more queries than keys', [2], 9, 4, 3, 6, 'causal'],
    ['an [L, S] mask', [2, 2], 5, 6, 4, 4, 'mask'],
  ];
  test.each(configs)('%s', (_name, lead, L, S, E, Ev, masking) => {
    const q = leaf([...lead, L, E]);
    const k = leaf([...lead, S, E]);
    const v = leaf([...lead, S, Ev]);
    const gy = tg.randn([...lead, L, Ev], { rng: r, dtype: 'float64' });
    const mask = masking === 'mask' ? tg.randn([L, S], { rng: r, dtype: 'float64' }) : null;
    const causal = masking === 'causal';
    const fused = run(true, q, k, v, mask, causal, gy);
    const composed = run(false, q, k, v, mask, causal, gy);
    fused.forEach((f, i) => expectClose(f, composed[i], 1e-13));
  });
});

/** The kernels' output and gradients for float32 operands, and the float64 TypeScript reference's. */
function kernelRun(k: Kernels, sh: AttentionShape, masked: boolean, seed: string) {
  const g = tg.rng(seed);
  const f32 = (n: number) => Float32Array.from(tg.randn([n], { rng: g }).data);
  const q = f32(sh.count * sh.L * sh.E);
  const kk = f32(sh.count * sh.S * sh.E);
  const v = f32(sh.count * sh.S * sh.Ev);
  const gy = f32(sh.count * sh.L * sh.Ev);
  const mask = masked ? f32(sh.L * sh.S) : null;
  const out = new Float32Array(sh.count * sh.L * sh.Ev);
  const stats = new Float32Array(sh.count * sh.L * 2);
  const grads = [new Float32Array(q.length), new Float32Array(kk.length), new Float32Array(v.length)] as const;
  k.attentionForward(q, kk, v, mask, sh, out, stats);
  k.attentionBackward(gy, q, kk, v, mask, stats, sh, ...grads);
  const d = (a: Float32Array | null) => (a === null ? null : Float64Array.from(a));
  const ref = [new Float64Array(out.length), new Float64Array(sh.count * sh.L * 2)];
  const refGrads = [new Float64Array(q.length), new Float64Array(kk.length), new Float64Array(v.length)] as const;
  jsKernels.attentionForward(d(q)!, d(kk)!, d(v)!, d(mask), sh, ref[0], ref[1]);
  jsKernels.attentionBackward(d(gy)!, d(q)!, d(kk)!, d(v)!, d(mask), ref[1], sh, ...refGrads);
  return { got: [out, ...grads], want: [ref[0], ...refGrads] };
}

describe('float32: the WebAssembly kernel against the float64 reference', () => {
  const shapes: [string, AttentionShape, boolean][] = [
    [
      "the transformer step's (64 entries of 64×64, E 32), causal",
      { count: 64, L: 64, S: 64, E: 32, Ev: 32, scale: 32 ** -0.5, causal: true },
      false,
    ],
    ['64 entries of 64×64 with an [L, S] mask', { count: 64, L: 64, S: 64, E: 32, Ev: 32, scale: 32 ** -0.5, causal: false }, true],
    ['odd sizes, causal, L > S', { count: 5, L: 37, S: 29, E: 12, Ev: 21, scale: 0.3, causal: true }, false],
    ['odd sizes, masked, L < S', { count: 3, L: 13, S: 42, E: 7, Ev: 9, scale: 0.5, causal: false }, true],
    ['odd sizes, causal and masked', { count: 4, L: 23, S: 23, E: 10, Ev: 3, scale: 0.25, causal: true }, true],
    // L ends inside a block of four and keys go on past it: the backward's block of keys that
    // straddles L reads columns past L in the last rows, which must be zeros, not the scratch's
    // leftovers (the previous cases' calls left it full of other values).
    ['causal, L = 5 < S = 8', { count: 6, L: 5, S: 8, E: 16, Ev: 16, scale: 0.25, causal: true }, false],
    ['causal, L = 7 < S = 20', { count: 6, L: 7, S: 20, E: 16, Ev: 16, scale: 0.25, causal: true }, false],
    ['causal and masked, L = 6 < S = 8', { count: 6, L: 6, S: 8, E: 16, Ev: 16, scale: 0.25, causal: true }, true],
  ];
  test.each(shapes)('%s', (_name, sh, masked) => {
    // Leave every scratch slot full of values first: a call at the transformer's size.
    kernelRun(two, { count: 64, L: 64, S: 64, E: 32, Ev: 32, scale: 1, causal: false }, true, 'dirty scratch');
    forwardSpy.mockClear();
    backwardSpy.mockClear();
    const { got, want } = kernelRun(two, sh, masked, 'float32 kernel');
    expect(forwardSpy).toHaveBeenCalledTimes(1);
    expect(backwardSpy).toHaveBeenCalledTimes(1);
    // Sums of up to 64 float32 products and an exponential per score: a few float32 ulps of the
    // largest element of each result.
    for (let i = 0; i < got.length; i++) {
      const scale = want[i].reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      expectClose(
        Array.from(got[i], (x) => x / scale),
        Array.from(want[i], (x) => x / scale),
        2e-6,
      );
    }
  });

  test('one thread and two give the same bits', () => {
    const sh = { count: 64, L: 64, S: 64, E: 32, Ev: 32, scale: 0.2, causal: true };
    const a = kernelRun(one, sh, true, 'threads').got;
    const b = kernelRun(two, sh, true, 'threads').got;
    for (let i = 0; i < a.length; i++) {
      const first = a[i].findIndex((x, j) => !Object.is(x, b[i][j]));
      expect(first).toBe(-1);
    }
  });
});

test('a row whose every key is blocked is NaN, the other rows as the composition gives them', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const [q, k, v] = [leaf([8, 4, 16], dtype), leaf([8, 5, 16], dtype), leaf([8, 5, 16], dtype)];
    const mask = tg.tensor(
      Array.from({ length: 20 }, (_, i) => (i >= 5 && i < 10 ? -Infinity : 0)),
      { shape: [4, 5], dtype },
    );
    const { y } = attend(q, k, v, { mask, causal: false, scale: 0.25, p: 0, zeroBlockedRows: false, needWeights: false });
    const composed = attend(q, k, v, { mask, causal: false, scale: 0.25, p: 0, zeroBlockedRows: false, needWeights: true }).y;
    expect(y.node!.op).toBe('attention');
    for (let e = 0; e < 8; e++) {
      for (let i = 0; i < 4; i++) {
        const row = Array.from(y.data.slice((e * 4 + i) * 16, (e * 4 + i + 1) * 16));
        const want = Array.from(composed.data.slice((e * 4 + i) * 16, (e * 4 + i + 1) * 16));
        if (i === 1) expect(row.every(Number.isNaN) && want.every(Number.isNaN)).toBe(true);
        else expectClose(row, want, dtype === 'float64' ? 1e-13 : 1e-5);
      }
    }
  }
});

test('the fused node keeps each row’s max and 1/Σ, not the [L, S] weights', () => {
  const [q, k, v] = [leaf([2, 4, 64, 32], 'float32'), leaf([2, 4, 64, 32], 'float32'), leaf([2, 4, 64, 32], 'float32')];
  const y = tg.scaledDotProductAttention(q, k, v, { isCausal: true });
  expect(y.node!.op).toBe('attention');
  expect(y.node!.attrs).toEqual({ scale: 32 ** -0.5, causal: true });
  expect((y.node!.saved as Float32Array).length).toBe(2 * 4 * 64 * 2);
  // The causal mask the composition (and the exporters) add: −∞ above the diagonal.
  expect(causalMask(2, 3, 'float64').data).toEqual(Float64Array.from([0, -Infinity, -Infinity, 0, 0, -Infinity]));
});

test('what does not fuse: the weights asked for, dropout, a mask with batch axes or one that needs a gradient', () => {
  const [q, k, v] = [leaf([2, 3, 4]), leaf([2, 5, 4]), leaf([2, 5, 4])];
  const base: AttendOptions = { mask: null, causal: false, scale: 0.5, p: 0, zeroBlockedRows: false, needWeights: false };
  const op = (o: Partial<AttendOptions>) => attend(q, k, v, { ...base, ...o }).y.node!.op;
  expect(op({})).toBe('attention');
  expect(op({ needWeights: true })).toBe('matmul');
  expect(op({ p: 0.5 })).toBe('matmul');
  expect(op({ mask: tg.zeros([2, 3, 5], { dtype: 'float64' }) })).toBe('matmul');
  expect(op({ mask: tg.zeros([3, 5], { dtype: 'float64', requiresGrad: true }) })).toBe('matmul');
  expect(op({ mask: tg.zeros([3, 5], { dtype: 'float64' }) })).toBe('attention');
  // Causal and a mask together (no public caller passes both) are composed.
  expect(op({ mask: tg.zeros([3, 5], { dtype: 'float64' }), causal: true })).toBe('matmul');
  expect(op({ causal: true })).toBe('attention');
  // Keys that broadcast over the batch axis are left to the composition.
  expect(attend(q, leaf([1, 5, 4]), v, base).y.node!.op).toBe('matmul');
});
