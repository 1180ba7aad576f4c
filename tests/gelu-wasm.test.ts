/**
 * GELU's fused kernels (Note [fused gelu], Note [float32 gelu]): the WebAssembly float32 forward and
 * backward, exact and tanh form, against a float64 reference written here (Φ from the complementary
 * error function, so the negative tail keeps its relative accuracy; σ(2u) for the tanh form) with
 * stated error bounds; the TypeScript kernels against PyTorch's formulas in float64; special values;
 * lengths around the threshold (− 1, at, + 1: spies on the WebAssembly wrappers say which calls took
 * that path) and not multiples of 4; and the op end to end in float32 against float64.
 */
import * as tg from '../src';
import { jsKernels, kernels, Kernels, useKernels } from '../src/kernels';
import { createWasmKernels, WASM_GELU_MIN } from '../src/kernels/wasm/backend';
import { loadRuntime } from '../src/kernels/wasm/runtime';
import * as activations from '../src/kernels/wasm/activations';
import { erfc } from '../src/kernels/js/special';
import type { GeluApproximation } from '../src/kernels';

jest.setTimeout(120_000);

const BETA = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;

/**
 * The float64 reference at x: gelu(x), gelu'(x), and the scales the errors are bounded by — the
 * forward's |gelu(x)| (times 1 + |u| for the tanh form, whose float32 u = √(2/π)(x + 0.044715x³) is
 * rounded before e^(−2u) amplifies that rounding by |2u|, as in any float32 evaluation), and the sum
 * of the magnitudes of the derivative's two terms (it crosses zero near x = −0.75, where only an
 * absolute bound means anything).
 */
function reference(approximate: GeluApproximation, x: number): { y: number; d: number; yScale: number; dScale: number } {
  if (approximate === 'tanh') {
    const u = BETA * (x + KAPPA * x * x * x);
    const s = u >= 0 ? 1 / (1 + Math.exp(-2 * u)) : Math.exp(2 * u) / (1 + Math.exp(2 * u));
    const ds = 2 * x * s * (1 - s) * BETA * (1 + 3 * KAPPA * x * x);
    return { y: x * s, d: s + ds, yScale: Math.abs(x * s) * (1 + Math.abs(u)), dScale: (s + Math.abs(ds)) * (1 + Math.abs(u)) };
  }
  const cdf = 0.5 * erfc(-x * Math.SQRT1_2);
  const xpdf = (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
  return { y: x * cdf, d: cdf + xpdf, yScale: Math.abs(x * cdf), dScale: cdf + Math.abs(xpdf) };
}

/**
 * The bounds: relative 1e-6 of the scales above (measured: 4.7e-7 forward and 4.0e-7 backward
 * exact, 3.6e-7 and 4.4e-7 tanh, over a 400 000-point grid of [−16, 16]), and an absolute 1e-35 for
 * results that underflow (σ and e^(−x²/2) flush to 0 below e^(−87.3); float32's smallest normal is
 * 1.2e-38).
 */
const REL = 1e-6;
const ABS = 1e-35;

function check(approximate: GeluApproximation, x: Float32Array, gy: Float32Array, y: Float32Array, gx: Float32Array): void {
  let worst = 0;
  let at = '';
  for (let i = 0; i < x.length; i++) {
    const r = reference(approximate, x[i]);
    if (Number.isNaN(r.y)) {
      expect([i, y[i]]).toEqual([i, NaN]);
      continue;
    }
    const ey = Math.abs(y[i] - r.y) / (REL * r.yScale + ABS);
    const eg = Number.isNaN(r.d) ? 0 : Math.abs(gx[i] - gy[i] * r.d) / (REL * Math.abs(gy[i]) * r.dScale + ABS);
    if (ey > worst) [worst, at] = [ey, `forward at x = ${x[i]}: ${y[i]} against ${r.y}`];
    if (eg > worst) [worst, at] = [eg, `backward at x = ${x[i]}: ${gx[i]} against ${gy[i] * r.d}`];
  }
  // worst ≤ 1 says every element is within its bound; `at` names the element that came closest.
  expect({ worst: worst <= 1, at }).toEqual({ worst: true, at });
}

function grid(n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

async function wasmKernels(): Promise<Kernels> {
  const { runtime, reason } = loadRuntime({ threads: 1, allowRelaxed: true });
  if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  return createWasmKernels(runtime, jsKernels);
}

const forms: GeluApproximation[] = ['none', 'tanh'];
const spies = { forward: jest.spyOn(activations, 'geluWasm'), backward: jest.spyOn(activations, 'geluBackwardWasm') };

describe('the WebAssembly kernels (float32)', () => {
  let saved: Kernels;
  let k: Kernels;
  beforeAll(async () => {
    saved = kernels();
    k = useKernels(await wasmKernels());
  });
  afterAll(() => {
    useKernels(saved);
  });
  beforeEach(() => Object.values(spies).forEach((s) => s.mockClear()));

  test.each(forms)('%s: within the bounds of the float64 reference over [−16, 16] and on random values', (approximate) => {
    const r = tg.rng(`gelu ${approximate}`);
    for (const x of [grid(400_001, -16, 16), Float32Array.from({ length: 100_003 }, () => (r.next() * 2 - 1) * 6)]) {
      const gy = Float32Array.from({ length: x.length }, () => r.next() * 4 - 2);
      const y = k.gelu(approximate, x, new Float32Array(x.length)) as Float32Array;
      const gx = k.geluBackward(approximate, gy, x, new Float32Array(x.length)) as Float32Array;
      check(approximate, x, gy, y, gx);
    }
    expect(spies.forward).toHaveBeenCalledTimes(2);
    expect(spies.backward).toHaveBeenCalledTimes(2);
  });

  test.each(forms)('%s: NaN, ±Infinity, ±0 and tiny values as PyTorch computes them', (approximate) => {
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 100, -100];
    const x = new Float32Array(WASM_GELU_MIN);
    x.set(special);
    const y = k.gelu(approximate, x, new Float32Array(x.length)) as Float32Array;
    const gx = k.geluBackward(approximate, new Float32Array(x.length).fill(1), x, new Float32Array(x.length));
    expect(spies.forward).toHaveBeenCalledTimes(1);
    // gelu(−∞) = −∞·0 and gelu'(±∞) = 1 + ∞·0 are NaN in PyTorch's formulas too.
    expect(Array.from(y.subarray(0, special.length))).toEqual([
      NaN,
      Infinity,
      NaN,
      0,
      -0,
      Math.fround(5e-31),
      -Math.fround(5e-31),
      100,
      -0,
    ]);
    expect(Array.from(gx.subarray(0, special.length))).toEqual([NaN, NaN, NaN, 0.5, 0.5, 0.5, 0.5, 1, 0]);
  });

  test.each(forms)('%s: lengths around the threshold and not multiples of 4 give the TypeScript values to the bounds', (approximate) => {
    const r = tg.rng(`gelu lengths ${approximate}`);
    for (const [n, viaWasm] of [
      [WASM_GELU_MIN - 1, false],
      [WASM_GELU_MIN, true],
      [WASM_GELU_MIN + 1, true],
      [WASM_GELU_MIN + 3, true],
      [4099, true],
    ] as const) {
      spies.forward.mockClear();
      spies.backward.mockClear();
      const x = Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * 5);
      const gy = Float32Array.from({ length: n }, () => r.next() * 2 - 1);
      const y = k.gelu(approximate, x, new Float32Array(n)) as Float32Array;
      const gx = k.geluBackward(approximate, gy, x, new Float32Array(n)) as Float32Array;
      expect([n, spies.forward.mock.calls.length, spies.backward.mock.calls.length]).toEqual([n, viaWasm ? 1 : 0, viaWasm ? 1 : 0]);
      check(approximate, x, gy, y, gx);
      // The last element, which a vector past the end also computed, is the TypeScript kernel's value.
      const one = jsKernels.gelu(approximate, x.subarray(n - 1), new Float32Array(1));
      expect(Math.abs(y[n - 1] - one[0])).toBeLessThanOrEqual(2 * REL * Math.abs(one[0]) + ABS);
    }
  });

  test.each(forms)(
    "%s: the forward's saved slope (Note [saved gelu slope]) is geluBackward's gelu'(x), bit for bit, on one thread and two",
    (approximate) => {
      const r = tg.rng(`gelu slope ${approximate}`);
      const { runtime } = loadRuntime({ threads: 2, allowRelaxed: true });
      const two = createWasmKernels(runtime!, jsKernels);
      // Long enough to split over two threads (chunk pointers offset), with a tail past a multiple of 4.
      const n = 200_003;
      const x = Float32Array.from({ length: n }, () => (r.next() * 2 - 1) * 8);
      const gy = Float32Array.from({ length: n }, () => r.next() * 4 - 2);
      for (const kern of [k, two]) {
        const slope = new Float32Array(n);
        const y = kern.gelu(approximate, x, new Float32Array(n), slope);
        const plain = kern.gelu(approximate, x, new Float32Array(n));
        const gx = kern.geluBackward(approximate, gy, x, new Float32Array(n));
        const viaSlope = Float32Array.from(gy, (g, i) => Math.fround(g * slope[i]));
        expect(y.findIndex((v, i) => !Object.is(v, plain[i]))).toBe(-1);
        expect(viaSlope.findIndex((v, i) => !Object.is(v, gx[i]))).toBe(-1);
      }
      // The float64 kernel: the same expressions as its forward and backward.
      const x64 = Float64Array.from(x);
      const slope64 = new Float64Array(n);
      const y64 = jsKernels.gelu(approximate, x64, new Float64Array(n), slope64);
      const plain64 = jsKernels.gelu(approximate, x64, new Float64Array(n));
      const ones = new Float64Array(n).fill(1);
      const d64 = jsKernels.geluBackward(approximate, ones, x64, new Float64Array(n));
      expect(y64.findIndex((v, i) => !Object.is(v, plain64[i]))).toBe(-1);
      expect(slope64.findIndex((v, i) => !Object.is(v, d64[i]))).toBe(-1);
    },
  );

  test('a recorded gelu keeps its slope: its backward is gy·slope, and under createGraph geluGrad as before', () => {
    const x = tg.tensor(
      Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i) * 4),
      { requiresGrad: true },
    );
    const y = tg.gelu(x);
    expect((y.node!.saved as Float32Array).length).toBe(4096);
    // Not recorded (no input needs a gradient): nothing kept.
    expect(tg.gelu(tg.tensor([1, 2, 3])).node).toBeNull();
    const gy = tg.tensor(Float32Array.from({ length: 4096 }, (_, i) => Math.cos(i)));
    const [gx] = tg.grad([y], [x], { gradOutputs: [gy] });
    const [gx2] = tg.grad([tg.gelu(x)], [x], { gradOutputs: [gy], createGraph: true });
    expect(gx2!.node!.op).toBe('geluGrad');
    expect(gx!.data.findIndex((v, i) => !Object.is(v, gx2!.data[i]))).toBe(-1);
  });

  test('float64 never takes the WebAssembly path', () => {
    const x = Float64Array.from({ length: 4096 }, (_, i) => i / 512 - 4);
    k.gelu('none', x, new Float64Array(x.length));
    k.geluBackward('tanh', x, x, new Float64Array(x.length));
    expect(spies.forward).not.toHaveBeenCalled();
    expect(spies.backward).not.toHaveBeenCalled();
  });

  test.each(forms)('%s: the op in float32 at size, forward and backward, against the op in float64', (approximate) => {
    const x64 = tg.randn([64, 1024], { rng: tg.rng(`gelu op ${approximate}`), dtype: 'float64' }).mul(3);
    const x32 = tg.tensor(Float32Array.from(x64.data), { shape: x64.shape, requiresGrad: true });
    const xd = tg.tensor(Float64Array.from(x32.data), { shape: x64.shape, requiresGrad: true });
    const gy = tg.randn([64, 1024], { rng: tg.rng('gelu op gy'), dtype: 'float64' });
    tg.gelu(x32, { approximate }).backward(tg.tensor(Float32Array.from(gy.data), { shape: gy.shape }));
    const yd = tg.gelu(xd, { approximate });
    yd.backward(gy);
    // One forward, which also wrote the slope; the backward is gy times it (Note [saved gelu slope]).
    expect(spies.forward).toHaveBeenCalledTimes(1);
    expect(spies.forward.mock.calls[0][4]).toBeInstanceOf(Float32Array);
    expect(spies.backward).toHaveBeenCalledTimes(0);
    const y32 = tg.gelu(x32.detach(), { approximate });
    let worst = 0;
    for (let i = 0; i < xd.size; i++) {
      worst = Math.max(worst, Math.abs(y32.data[i] - yd.data[i]) / (1 + Math.abs(yd.data[i])));
      worst = Math.max(worst, Math.abs(x32.grad!.data[i] - xd.grad!.data[i]) / (1 + Math.abs(xd.grad!.data[i])));
    }
    expect(worst).toBeLessThan(2e-6);
  });
});

describe('the TypeScript kernels (float64) are PyTorch formulas', () => {
  test.each(forms)('%s: hand values', (approximate) => {
    const x = Float64Array.from([-3, -0.75, 0, 0.5, 2]);
    const y = jsKernels.gelu(approximate, x, new Float64Array(5));
    const gx = jsKernels.geluBackward(approximate, new Float64Array(5).fill(2), x, new Float64Array(5));
    for (let i = 0; i < 5; i++) {
      const r = reference(approximate, x[i]);
      expect(Math.abs(y[i] - r.y)).toBeLessThanOrEqual(1e-15 * (1 + Math.abs(r.y)));
      expect(Math.abs(gx[i] - 2 * r.d)).toBeLessThanOrEqual(1e-15 * (1 + Math.abs(r.d)));
    }
    // torch.nn.functional.gelu(torch.tensor(0.5, dtype=torch.float64)) = 0.34573123063700656;
    // with approximate='tanh', 0.34571400982514394.
    expect(y[3]).toBeCloseTo(approximate === 'tanh' ? 0.34571400982514394 : 0.34573123063700656, 15);
  });
});
