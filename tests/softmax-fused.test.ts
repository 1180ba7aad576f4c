/**
 * softmax's fused kernels (Note [fused softmax]) against a float64 reference written here, line by
 * line: every layout [outer, n, inner] (the axis first, in the middle, last), masked (−∞) entries,
 * a line of −∞ (NaN, 0/0, as PyTorch's math attention), NaN propagation, the backward's
 * y·(gy − Σ gy·y), both backward forms (the kernel, and the ops recorded under createGraph) giving
 * the same gradient, and float32 at attention's size against float64; the WebAssembly float32 softmax
 * and log-softmax row kernels within stated bounds of float64 references.
 */
import * as tg from '../src';
import { jsKernels, kernels, Kernels, useKernels } from '../src/kernels';
import { createWasmKernels, WASM_SOFTMAX_MIN } from '../src/kernels/wasm/backend';
import { loadRuntime } from '../src/kernels/wasm/runtime';
import * as activations from '../src/kernels/wasm/activations';

/** softmax and its vector-Jacobian product along `axis`, spelled out per line. */
function reference(x: number[], shape: number[], axis: number, gy: number[]): { y: number[]; gx: number[] } {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const y = new Array<number>(x.length);
  const gx = new Array<number>(x.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * n + j) * inner + i;
      const line = Array.from({ length: n }, (_, j) => x[at(j)]);
      const m = line.some((v) => Number.isNaN(v)) ? NaN : Math.max(...line);
      const e = line.map((v) => Math.exp(v - m));
      const total = e.reduce((a, b) => a + b, 0);
      const dot = e.reduce((a, v, j) => a + (v / total) * gy[at(j)], 0);
      for (let j = 0; j < n; j++) {
        y[at(j)] = e[j] / total;
        gx[at(j)] = y[at(j)] * (gy[at(j)] - dot);
      }
    }
  return { y, gx };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i])) expect([i, a[i]]).toEqual([i, NaN]);
    else expect([i, Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i]))]).toEqual([i, true]);
  }
};

describe('fused softmax', () => {
  test.each([0, 1, 2])('float64 along axis %d of [3,4,5] matches the reference, forward and backward', (axis) => {
    const r = tg.rng(`softmax fused ${axis}`);
    const shape = [3, 4, 5];
    const xs = Array.from({ length: 60 }, () => (r.next() * 2 - 1) * 10);
    xs[7] = -Infinity; // a masked entry
    const gys = Array.from({ length: 60 }, () => r.next() * 2 - 1);
    const x = tg.tensor(xs, { shape, dtype: 'float64', requiresGrad: true });
    const y = tg.softmax(x, axis);
    y.backward(tg.tensor(gys, { shape, dtype: 'float64' }));
    const ref = reference(xs, shape, axis, gys);
    close(y.data, ref.y, 1e-15);
    close(x.grad!.data, ref.gx, 1e-15);
    // The recorded form (createGraph) gives the same gradient.
    const [g] = tg.grad(tg.softmax(x, axis), [x], { gradOutputs: [tg.tensor(gys, { shape, dtype: 'float64' })], createGraph: true });
    close(g!.data, ref.gx, 1e-15);
  });

  test('a line of −∞ is NaN (0/0) and a NaN makes its line NaN; other lines are untouched', () => {
    const x = tg.tensor(
      [
        [-Infinity, -Infinity, -Infinity],
        [1, NaN, 2],
        [0, -Infinity, 0],
      ],
      { dtype: 'float64' },
    );
    expect(Array.from(tg.softmax(x).data)).toEqual([NaN, NaN, NaN, NaN, NaN, NaN, 0.5, 0, 0.5]);
  });

  test('the kernels read [outer, n, inner] lines: a hand value', () => {
    // softmax([0, ln 3]) = [1/4, 3/4] along the middle axis of [1, 2, 1]; its backward for gy = [1, 0]:
    // y·(gy − Σ gy·y) = [1/4·(1 − 1/4), 3/4·(0 − 1/4)] = [3/16, −3/16].
    const y = jsKernels.softmaxForward(Float64Array.of(0, Math.log(3)), 1, 2, 1, new Float64Array(2));
    expect(Array.from(y).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([0.25, 0.75]);
    const gx = jsKernels.softmaxBackward(Float64Array.of(1, 0), Float64Array.of(0.25, 0.75), 1, 2, 1, new Float64Array(2));
    expect(Array.from(gx)).toEqual([3 / 16, -3 / 16]);
  });

  test('float32 at attention size [16,4,64,64] with a causal mask agrees with float64', () => {
    const r = tg.rng('softmax fused f32');
    const shape = [16, 4, 64, 64];
    const n = 16 * 4 * 64 * 64;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = i % 64 > (i >> 6) % 64 ? -Infinity : Math.fround((r.next() * 2 - 1) * 8);
    const gys = Float64Array.from({ length: n }, () => Math.fround(r.next() * 2 - 1));
    const x32 = tg.tensor(Float32Array.from(xs), { shape, requiresGrad: true });
    const x64 = tg.tensor(xs, { shape, dtype: 'float64', requiresGrad: true });
    const y32 = tg.softmax(x32);
    const y64 = tg.softmax(x64);
    y32.backward(tg.tensor(Float32Array.from(gys), { shape }));
    y64.backward(tg.tensor(gys, { shape, dtype: 'float64' }));
    expect(y32.dtype).toBe('float32');
    let worst = 0;
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(y32.data[i] - y64.data[i]), Math.abs(x32.grad!.data[i] - x64.grad!.data[i]));
    }
    expect(worst).toBeLessThan(1e-6);
  });
});

/**
 * One thread's WebAssembly kernels, the ops' kernels while the enclosing describe runs (the previous
 * ones restored after it), and `spies` cleared before each test.
 */
function wasmKernelsFor(spies: Record<string, jest.SpyInstance>): Kernels {
  const { runtime, reason } = loadRuntime({ threads: 1, allowRelaxed: true });
  if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  const k = createWasmKernels(runtime, jsKernels);
  let saved: Kernels;
  beforeAll(() => {
    saved = kernels();
    useKernels(k);
  });
  afterAll(() => {
    useKernels(saved);
  });
  beforeEach(() => Object.values(spies).forEach((s) => s.mockClear()));
  return k;
}

describe('the WebAssembly softmax kernels (float32 rows, assembly/softmax.ts)', () => {
  const spies = { forward: jest.spyOn(activations, 'softmaxWasm'), backward: jest.spyOn(activations, 'softmaxBackwardWasm') };
  const k = wasmKernelsFor(spies);

  /**
   * Within 2e-6 of the float64 reference per element, relative to 1 + |value|: exp4 is within 2 ulp,
   * the row's float32 sums of up to a thousand terms add a few more.
   */
  const within = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let worst = 0;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(b[i])) expect([i, a[i]]).toEqual([i, NaN]);
      else worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
    }
    expect(worst).toBeLessThan(2e-6);
  };

  test.each([
    [WASM_SOFTMAX_MIN / 64 - 1, 64, false], // below the threshold by one row
    [1, WASM_SOFTMAX_MIN - 1, false], // one element below
    [1, WASM_SOFTMAX_MIN, true],
    [1, WASM_SOFTMAX_MIN + 1, true], // a row with a tail of 1
    [37, 7, true], // rows shorter than a vector
    [256, 64, true],
    [3, 1027, true],
  ])('%d rows of %d: the float64 reference, forward and backward (WebAssembly: %s)', (rows, n, viaWasm) => {
    const r = tg.rng(`softmax wasm ${rows} ${n}`);
    const xs = Array.from({ length: rows * n }, () => Math.fround((r.next() * 2 - 1) * 12));
    const gys = Array.from({ length: rows * n }, () => Math.fround(r.next() * 2 - 1));
    const y = k.softmaxForward(Float32Array.from(xs), rows, n, 1, new Float32Array(rows * n)) as Float32Array;
    const ref = reference(xs, [rows, n], 1, gys);
    within(y, ref.y);
    // The backward from the reference's own y, so its error is the kernel's alone.
    const gx = k.softmaxBackward(Float32Array.from(gys), Float32Array.from(ref.y), rows, n, 1, new Float32Array(rows * n));
    within(gx, reference(xs, [rows, n], 1, gys).gx);
    expect([spies.forward.mock.calls.length, spies.backward.mock.calls.length]).toEqual(viaWasm ? [1, 1] : [0, 0]);
  });

  test('NaN and −∞ rows, masked entries and a max in a row tail, as the TypeScript kernel', () => {
    const n = 67;
    const rows = 8;
    const r = tg.rng('softmax wasm special');
    const xs = Array.from({ length: rows * n }, () => Math.fround((r.next() * 2 - 1) * 4));
    for (let j = 0; j < n; j++) xs[j] = -Infinity; // row 0: all −∞
    xs[n + 5] = NaN; // row 1: NaN in the body
    xs[2 * n + 66] = NaN; // row 2: NaN in the tail
    for (let j = 10; j < n; j++) xs[3 * n + j] = -Infinity; // row 3: masked
    xs[4 * n + 65] = 50; // row 4: its max in the tail
    const y = k.softmaxForward(Float32Array.from(xs), rows, n, 1, new Float32Array(rows * n));
    expect(spies.forward).toHaveBeenCalledTimes(1);
    within(y, reference(xs, [rows, n], 1, new Array(rows * n).fill(0)).y);
    expect(Array.from(y.subarray(0, 3 * n)).every(Number.isNaN)).toBe(true);
    expect(Array.from(y.subarray(3 * n + 10, 4 * n))).toEqual(new Array(n - 10).fill(0));
  });

  test('float64 and other axes stay in TypeScript', () => {
    k.softmaxForward(new Float64Array(1024), 16, 64, 1, new Float64Array(1024));
    k.softmaxForward(new Float32Array(1024), 16, 8, 8, new Float32Array(1024));
    expect(spies.forward).not.toHaveBeenCalled();
  });
});

describe('fused log-softmax (Note [fused softmax])', () => {
  /** The log-softmax composition, written with ops: x − m − log Σ e^(x − m). */
  const composed = (x: tg.Tensor, axis: number) => {
    const shifted = tg.sub(x, tg.max(x, axis, true).detach());
    return tg.sub(shifted, tg.log(tg.sum(tg.exp(shifted), axis, true)));
  };

  test('float64: the bits of the composition it replaced, forward and backward, on every axis', () => {
    const r = tg.rng('fused log-softmax');
    for (const axis of [0, 1, 2]) {
      const data = tg.randn([3, 4, 5], { rng: r, dtype: 'float64' }).mul(4);
      const gy = tg.randn([3, 4, 5], { rng: r, dtype: 'float64' });
      const a = tg.tensor(Float64Array.from(data.data), { shape: [3, 4, 5], dtype: 'float64', requiresGrad: true });
      const b = tg.tensor(Float64Array.from(data.data), { shape: [3, 4, 5], dtype: 'float64', requiresGrad: true });
      const ya = tg.logSoftmax(a, axis);
      const yb = composed(b, axis);
      expect(Array.from(ya.data)).toEqual(Array.from(yb.data));
      ya.backward(gy);
      yb.backward(gy);
      // gy − e^y·Σ gy against the composition's chain of rules: equal to rounding.
      close(a.grad!.data, b.grad!.data, 1e-14);
    }
  });

  test('infinities and NaN give what PyTorch 1.13 gives, values and gradients', () => {
    // torch.log_softmax(x, 0).backward([1, 2]) in float64, torch 1.13.
    const cases: [number[], number[], number[]][] = [
      [
        [Infinity, 1],
        [NaN, NaN],
        [NaN, NaN],
      ],
      [
        [-Infinity, -Infinity],
        [NaN, NaN],
        [NaN, NaN],
      ],
      [
        [NaN, 1],
        [NaN, NaN],
        [NaN, NaN],
      ],
      [
        [-Infinity, 1],
        [-Infinity, 0],
        [1, -1],
      ],
      [
        [1e308, -1e308],
        [0, -Infinity],
        [-2, 2],
      ],
    ];
    for (const [v, y, g] of cases) {
      const x = tg.tensor(v, { dtype: 'float64', requiresGrad: true });
      const out = tg.logSoftmax(x, 0);
      out.backward(tg.tensor([1, 2], { dtype: 'float64' }));
      expect(Array.from(out.data)).toEqual(y);
      expect(Array.from(x.grad!.data)).toEqual(g);
    }
  });

  test("float32 at a language model's size [1120, 96] agrees with float64; createGraph's backward is the kernel's", () => {
    const r = tg.rng('fused log-softmax f32');
    const x64 = tg.randn([1120, 96], { rng: r, dtype: 'float64' }).mul(3);
    const gyData = Float32Array.from(tg.randn([1120, 96], { rng: r, dtype: 'float64' }).data);
    const x32 = tg.tensor(Float32Array.from(x64.data), { shape: [1120, 96], requiresGrad: true });
    const xd = tg.tensor(Float64Array.from(x32.data), { shape: [1120, 96], dtype: 'float64', requiresGrad: true });
    const gyd = tg.tensor(Float64Array.from(gyData), { shape: [1120, 96], dtype: 'float64' });
    const worst = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let w = 0;
      for (let i = 0; i < b.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
      return w;
    };
    const y32 = tg.logSoftmax(x32);
    const yd = tg.logSoftmax(xd);
    expect(worst(y32.data, yd.data)).toBeLessThan(1e-6);
    y32.backward(tg.tensor(gyData, { shape: [1120, 96] }));
    yd.backward(gyd);
    expect(worst(x32.grad!.data, xd.grad!.data)).toBeLessThan(1e-6);
    // Recorded (createGraph) and fused backward forms agree.
    const [g] = tg.grad(tg.logSoftmax(xd).mul(gyd).sum(), [xd], { createGraph: true });
    expect(worst(g!.data, xd.grad!.data)).toBeLessThan(1e-14);
  });
});

describe('the WebAssembly log-softmax kernels (float32 rows, Note [float32 log-softmax])', () => {
  const spies = { forward: jest.spyOn(activations, 'logSoftmaxWasm'), backward: jest.spyOn(activations, 'logSoftmaxBackwardWasm') };
  const k = wasmKernelsFor(spies);

  const U = 2 ** -24;

  /**
   * The forward against float64, per element: y's own rounding to float32 (at most u·|y|), and the
   * error of the row's ln Σ e^d (d = x − max): each e^d within 2 ulp (4u relative) of e^(d rounded to
   * float32), whose rounding (at most u·|d|) the exponential turns into a relative error of u·|d| —
   * weighted by the term's share of the sum, since that error enters the log as Δs/s. The float64
   * sum and log, and y = (x − max) − lse formed in float64, add nothing at this scale.
   */
  function checkForward(xs: number[], rows: number, n: number, y: ArrayLike<number>): void {
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const line = xs.slice(r * n, (r + 1) * n);
      const m = line.some(Number.isNaN) ? NaN : Math.max(...line);
      const d = line.map((v) => v - m);
      const total = d.reduce((a, v) => a + Math.exp(v), 0);
      const lse = Math.log(total);
      // A masked (−∞) entry adds nothing to the sum, nor to its error.
      const logError = (U * d.reduce((a, v) => (v === -Infinity ? a : a + Math.exp(v) * (4 + Math.abs(v))), 0)) / total;
      for (let j = 0; j < n; j++) {
        const want = d[j] - lse;
        const got = y[r * n + j];
        if (Number.isNaN(want)) expect([r, j, got]).toEqual([r, j, NaN]);
        else if (!Number.isFinite(want)) expect([r, j, got]).toEqual([r, j, want]);
        else worst = Math.max(worst, Math.abs(got - want) / (U * Math.abs(want) + logError));
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  }

  /**
   * The backward gx = gy − e^y·Σ gy against float64 from the same float32 gy and y: Σ gy rounded once
   * to float32 (u relative), e^y within 2 ulp (4u), the product and the difference rounded once each.
   */
  function checkBackward(gys: number[], ys: ArrayLike<number>, rows: number, n: number, gx: ArrayLike<number>): void {
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      let total = 0;
      for (let j = 0; j < n; j++) total += gys[r * n + j];
      for (let j = 0; j < n; j++) {
        const e = Math.exp(ys[r * n + j]);
        const want = gys[r * n + j] - e * total;
        const got = gx[r * n + j];
        if (Number.isNaN(want)) expect([r, j, got]).toEqual([r, j, NaN]);
        else worst = Math.max(worst, Math.abs(got - want) / (U * (Math.abs(want) + 7 * e * Math.abs(total)) + 1e-45));
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  }

  test.each([
    [WASM_SOFTMAX_MIN / 64 - 1, 64, false], // below the threshold by one row
    [1, WASM_SOFTMAX_MIN, true],
    [1, WASM_SOFTMAX_MIN + 1, true], // a row with a tail of 1
    [37, 7, true], // rows shorter than a vector
    [1120, 96, true], // the language model's logits
    [3, 1027, true],
  ])('%d rows of %d: within the stated bound of float64, forward and backward (WebAssembly: %s)', (rows, n, viaWasm) => {
    const r = tg.rng(`log-softmax wasm ${rows} ${n}`);
    const xs = Array.from({ length: rows * n }, () => Math.fround((r.next() * 2 - 1) * 30));
    const gys = Array.from({ length: rows * n }, () => Math.fround(r.next() * 2 - 1));
    const y = k.logSoftmaxForward(Float32Array.from(xs), rows, n, 1, new Float32Array(rows * n));
    checkForward(xs, rows, n, y);
    const gx = k.logSoftmaxBackward(Float32Array.from(gys), y, rows, n, 1, new Float32Array(rows * n));
    checkBackward(gys, y, rows, n, gx);
    expect([spies.forward.mock.calls.length, spies.backward.mock.calls.length]).toEqual(viaWasm ? [1, 1] : [0, 0]);
  });

  test('rows holding NaN, +∞ or only −∞ are NaN, masked entries −∞ with no gradient, as the TypeScript kernel', () => {
    const n = 67;
    const rows = 7;
    const r = tg.rng('log-softmax wasm special');
    const xs = Array.from({ length: rows * n }, () => Math.fround((r.next() * 2 - 1) * 4));
    for (let j = 0; j < n; j++) xs[j] = -Infinity; // row 0: all −∞
    xs[n + 5] = NaN; // row 1: NaN in the body
    xs[2 * n + 66] = NaN; // row 2: NaN in the tail
    xs[3 * n + 9] = Infinity; // row 3: +∞
    for (let j = 10; j < n; j++) xs[4 * n + j] = -Infinity; // row 4: masked
    xs[5 * n + 65] = 50; // row 5: its max in the tail
    const x = Float32Array.from(xs);
    const y = k.logSoftmaxForward(x, rows, n, 1, new Float32Array(rows * n));
    const ts = jsKernels.logSoftmaxForward(Float64Array.from(xs), rows, n, 1, new Float64Array(rows * n));
    expect(spies.forward).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 4 * n; i++) expect([i, y[i], ts[i]]).toEqual([i, NaN, NaN]);
    expect(Array.from(y.subarray(4 * n + 10, 5 * n))).toEqual(new Array(n - 10).fill(-Infinity));
    checkForward(xs.slice(4 * n), 3, n, y.subarray(4 * n));
    const gys = Array.from({ length: rows * n }, () => Math.fround(r.next() * 2 - 1));
    const gx = k.logSoftmaxBackward(Float32Array.from(gys), y, rows, n, 1, new Float32Array(rows * n));
    for (let i = 0; i < 4 * n; i++) expect([i, gx[i]]).toEqual([i, NaN]);
    // A masked entry's gradient is its gy alone (e^−∞ = 0).
    for (let j = 10; j < n; j++) expect(gx[4 * n + j]).toBe(gys[4 * n + j]);
    checkBackward(gys.slice(4 * n), y.subarray(4 * n), 3, n, gx.subarray(4 * n));
  });

  test("constant rows give −ln n (sums at both ends of the log's reduced range); large logits cancel exactly; a −0 max gives +0", () => {
    // Σ e^0 = n exactly: 181/128 lies just below √2, 363/256 just above it, 2^k at the lower end of the range.
    for (const n of [181, 256, 1024, 363, 300]) {
      // Two rows, so that even 181 reaches the WebAssembly threshold.
      const y = k.logSoftmaxForward(new Float32Array(2 * n).fill(7), 2, n, 1, new Float32Array(2 * n));
      for (let j = 0; j < 2 * n; j++) expect([n, j, Math.abs(y[j] + Math.log(n)) <= U * Math.log(n)]).toEqual([n, j, true]);
    }
    // Logits near 1e9 (float32 spacing 64) and −1e9: (x − max) is exact in float64, as the TypeScript kernel forms it.
    const rows = 3;
    const n = 260;
    const xs = Array.from({ length: rows * n }, (_, i) => Math.fround((i < n ? 1e9 : i < 2 * n ? -1e9 : 3e7) + 64 * ((i * 7) % 5)));
    const y = k.logSoftmaxForward(Float32Array.from(xs), rows, n, 1, new Float32Array(rows * n));
    expect(spies.forward).toHaveBeenCalledTimes(6);
    checkForward(xs, rows, n, y);
    // A row whose max is −0 and whose other entries are masked: y = (−0 − (−0)) − ln 1 = +0, as the TypeScript kernel.
    const masked = Float32Array.from({ length: 300 }, (_, j) => (j === 5 ? -0 : -Infinity));
    const ym = k.logSoftmaxForward(masked, 1, 300, 1, new Float32Array(300));
    const ts = jsKernels.logSoftmaxForward(Float64Array.from(masked), 1, 300, 1, new Float64Array(300));
    expect([Object.is(ym[5], 0), Object.is(ts[5], 0)]).toEqual([true, true]);
  });

  test('float64 and other axes stay in TypeScript', () => {
    k.logSoftmaxForward(new Float64Array(1024), 16, 64, 1, new Float64Array(1024));
    k.logSoftmaxForward(new Float32Array(1024), 16, 8, 8, new Float32Array(1024));
    k.logSoftmaxBackward(new Float32Array(1024), new Float32Array(1024), 16, 8, 8, new Float32Array(1024));
    expect([spies.forward.mock.calls.length, spies.backward.mock.calls.length]).toEqual([0, 0]);
  });
});
