/**
 * convolve, correlate and convolve2d: the tutorial's numbers, numpy/scipy semantics including their
 * edge cases (expected arrays derived by hand from the definitions, each derivation written beside
 * it), the gradients the tutorial derives from the 1-D graph, and the errors.
 */
import * as tg from '../src';

const t = (values: tg.NestedArray) => tg.tensor(values, { dtype: 'float64' });
const values = (y: tg.Tensor) => y.toArray();
const MODES = ['full', 'same', 'valid'] as const;

/** Plain-loop full convolution, the definition y[n] = Σ_k x[k]·w[n−k], to compare the ops against. */
function fullConvolution(x: number[], w: number[]): number[] {
  const y = new Array<number>(x.length + w.length - 1).fill(0);
  x.forEach((xv, i) => w.forEach((wv, j) => (y[i + j] += xv * wv)));
  return y;
}

describe('the tutorial example x = (0,1,2,3,4), w = (1,-1,2)', () => {
  const x = tg.tensor([0, 1, 2, 3, 4]);
  const w = tg.tensor([1, -1, 2]);

  test('full convolution is (0,1,1,3,5,2,8), as numpy.convolve gives', () => {
    expect(values(tg.convolve(x, w))).toEqual([0, 1, 1, 3, 5, 2, 8]);
    expect(values(x.convolve(w, 'full'))).toEqual([0, 1, 1, 3, 5, 2, 8]);
  });

  test("'valid' keeps the steps where the flipped kernel lies wholly inside x: (1,3,5)", () => {
    expect(values(tg.convolve(x, w, 'valid'))).toEqual([1, 3, 5]);
  });

  test("'same' keeps the input's length, centred: (1,1,3,5,2)", () => {
    expect(values(tg.convolve(x, w, 'same'))).toEqual([1, 1, 3, 5, 2]);
  });

  test('by hand: flip w, slide it over x, multiply and add (outside samples count as zero)', () => {
    // step n of the full result: Σ_k x[k]·w[n−k]
    const byHand = [
      0 * 1, //                                  x0·w0
      0 * -1 + 1 * 1, //                         x0·w1 + x1·w0
      0 * 2 + 1 * -1 + 2 * 1, //                 x0·w2 + x1·w1 + x2·w0
      1 * 2 + 2 * -1 + 3 * 1,
      2 * 2 + 3 * -1 + 4 * 1,
      3 * 2 + 4 * -1,
      4 * 2,
    ];
    expect(values(tg.convolve(x, w))).toEqual(byHand);
  });

  test('conv(a,b) == conv(b,a) in every mode', () => {
    for (const mode of MODES) expect(values(tg.convolve(w, x, mode))).toEqual(values(tg.convolve(x, w, mode)));
  });

  test('1-D valid output size is InputSize - KernelSize + 1', () => {
    const r = tg.rng('signal:sizes');
    for (const [n, k] of [
      [5, 3],
      [10, 1],
      [7, 7],
      [100, 13],
      [8, 2],
    ]) {
      const y = tg.convolve(tg.randn([n], { rng: r }), tg.randn([k], { rng: r }), 'valid');
      expect(y.shape).toEqual([n - k + 1]);
    }
  });
});

describe('numpy.convolve semantics', () => {
  test('numpy documentation example: [1,2,3] * [0,1,0.5]', () => {
    const x = t([1, 2, 3]);
    const w = t([0, 1, 0.5]);
    expect(values(tg.convolve(x, w))).toEqual([0, 1, 2.5, 4, 1.5]);
    expect(values(tg.convolve(x, w, 'same'))).toEqual([1, 2.5, 4]);
    expect(values(tg.convolve(x, w, 'valid'))).toEqual([2.5]);
  });

  test("an even kernel: 'same' starts at full[⌊(n−1)/2⌋] = full[0]", () => {
    // full = [1, 1+2, 2+3, 3+4, 4] = [1,3,5,7,4]
    expect(values(tg.convolve(t([1, 2, 3, 4]), t([1, 1]), 'full'))).toEqual([1, 3, 5, 7, 4]);
    expect(values(tg.convolve(t([1, 2, 3, 4]), t([1, 1]), 'same'))).toEqual([1, 3, 5, 7]);
    expect(values(tg.convolve(t([1, 2, 3, 4]), t([1, 1]), 'valid'))).toEqual([3, 5, 7]);
  });

  test('w longer than x: numpy swaps them, so the windows follow the longer input', () => {
    // full([1,2],[1,2,3,4]) = [1, 2+2, 4+3, 6+4, 8] = [1,4,7,10,8]; 'same' has length 4 from full[0],
    // 'valid' is full[1:4]
    expect(values(tg.convolve(t([1, 2]), t([1, 2, 3, 4])))).toEqual([1, 4, 7, 10, 8]);
    expect(values(tg.convolve(t([1, 2]), t([1, 2, 3, 4]), 'same'))).toEqual([1, 4, 7, 10]);
    expect(values(tg.convolve(t([1, 2]), t([1, 2, 3, 4]), 'valid'))).toEqual([4, 7, 10]);
    // odd shorter input: full([1,2,3],[1,2,3,4,5]) = [1,4,10,16,22,22,15]; 'same' = full[1:6]; 'valid' = full[2:5]
    expect(values(tg.convolve(t([1, 2, 3]), t([1, 2, 3, 4, 5])))).toEqual([1, 4, 10, 16, 22, 22, 15]);
    expect(values(tg.convolve(t([1, 2, 3]), t([1, 2, 3, 4, 5]), 'same'))).toEqual([4, 10, 16, 22, 22]);
    expect(values(tg.convolve(t([1, 2, 3]), t([1, 2, 3, 4, 5]), 'valid'))).toEqual([10, 16, 22]);
  });

  test('a one-sample kernel scales; equal lengths give a single valid sample', () => {
    expect(values(tg.convolve(t([1, -2, 3]), t([2]), 'same'))).toEqual([2, -4, 6]);
    expect(values(tg.convolve(t([1, 2, 3]), t([4, 5, 6]), 'valid'))).toEqual([1 * 6 + 2 * 5 + 3 * 4]);
  });

  test('agrees with the plain definition on random lengths, in both orders', () => {
    const r = tg.rng('signal:random');
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + r.int(9);
      const k = 1 + r.int(9);
      const x = Array.from({ length: n }, () => r.int(7) - 3);
      const w = Array.from({ length: k }, () => r.int(7) - 3);
      const full = fullConvolution(x, w);
      const [long, short] = [Math.max(n, k), Math.min(n, k)];
      const same = full.slice(Math.floor((short - 1) / 2), Math.floor((short - 1) / 2) + long);
      const valid = full.slice(short - 1, long);
      expect(values(tg.convolve(t(x), t(w)))).toEqual(full);
      expect(values(tg.convolve(t(x), t(w), 'same'))).toEqual(same);
      expect(values(tg.convolve(t(x), t(w), 'valid'))).toEqual(valid);
    }
  });
});

describe('numpy.correlate semantics', () => {
  test("numpy documentation example: correlate([1,2,3],[0,1,0.5]) in every mode ('valid' by default)", () => {
    const x = t([1, 2, 3]);
    const w = t([0, 1, 0.5]);
    expect(values(tg.correlate(x, w))).toEqual([3.5]);
    expect(values(tg.correlate(x, w, 'same'))).toEqual([2, 3.5, 3]);
    expect(values(tg.correlate(x, w, 'full'))).toEqual([0.5, 2, 3.5, 3, 0]);
  });

  test("an even kernel, x longer: 'same' starts at full[n−1−⌊n/2⌋] = full[0]", () => {
    // c[k] = Σ_n x[n+k−1]·w[n]: full = [x0·w1, x0·w0+x1·w1, …, x3·w0] = [2,5,8,11,4]
    expect(values(tg.correlate(t([1, 2, 3, 4]), t([1, 2]), 'full'))).toEqual([2, 5, 8, 11, 4]);
    expect(values(tg.correlate(t([1, 2, 3, 4]), t([1, 2]), 'same'))).toEqual([2, 5, 8, 11]);
    expect(values(tg.correlate(t([1, 2, 3, 4]), t([1, 2]), 'valid'))).toEqual([5, 8, 11]);
  });

  test('w longer than x: numpy correlates (w, x) and reverses the result — not a plain swap', () => {
    // numpy computes z = correlate([1,2,3,4],[1,2]) then returns z[::-1].
    // full: z = [1·2, 1+4, 2+6, 3+8, 4·1] = [2,5,8,11,4] reversed: [4,11,8,5,2]
    // same: z_same = [2,5,8,11] reversed: [11,8,5,2]   (a plain swap would give [2,5,8,11];
    //       centring as if unswapped would give full[0:4] = [4,11,8,5])
    // valid: z_valid = [5,8,11] reversed: [11,8,5]
    expect(values(tg.correlate(t([1, 2]), t([1, 2, 3, 4]), 'full'))).toEqual([4, 11, 8, 5, 2]);
    expect(values(tg.correlate(t([1, 2]), t([1, 2, 3, 4]), 'same'))).toEqual([11, 8, 5, 2]);
    expect(values(tg.correlate(t([1, 2]), t([1, 2, 3, 4]), 'valid'))).toEqual([11, 8, 5]);
  });

  test('w longer than x, odd x: the reversed windows', () => {
    // z = correlate([1,1,1,1,2],[1,2,3]) full = [3, 2+3, 1+2+3, 1+2+3, 1+2+6, 1+4, 2] = [3,5,6,6,9,5,2]
    // reversed: [2,5,9,6,6,5,3]; same: z[1:6] = [5,6,6,9,5] reversed [5,9,6,6,5]; valid: [6,6,9] reversed [9,6,6]
    expect(values(tg.correlate(t([1, 2, 3]), t([1, 1, 1, 1, 2]), 'full'))).toEqual([2, 5, 9, 6, 6, 5, 3]);
    expect(values(tg.correlate(t([1, 2, 3]), t([1, 1, 1, 1, 2]), 'same'))).toEqual([5, 9, 6, 6, 5]);
    expect(values(tg.correlate(t([1, 2, 3]), t([1, 1, 1, 1, 2]), 'valid'))).toEqual([9, 6, 6]);
  });

  test('equal lengths are not swapped', () => {
    // c[k] = Σ_n x[n+k−1]·w[n]: [x0·w1, x0·w0 + x1·w1, x1·w0] = [4, 3+8, 6]
    expect(values(tg.correlate(t([1, 2]), t([3, 4]), 'full'))).toEqual([4, 11, 6]);
    expect(values(tg.correlate(t([1, 2]), t([3, 4]), 'same'))).toEqual([4, 11]);
    expect(values(tg.correlate(t([1, 2]), t([3, 4]), 'valid'))).toEqual([11]);
  });

  test('correlation is convolution with the reversed kernel in full mode', () => {
    const r = tg.rng('signal:corr');
    const x = tg.randn([6], { rng: r, dtype: 'float64' });
    const w = tg.randn([4], { rng: r, dtype: 'float64' });
    const a = tg.correlate(x, w, 'full').data;
    const b = tg.convolve(x, tg.flip(w), 'full').data;
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));
  });
});

describe('scipy.signal.convolve2d semantics', () => {
  const x = t([
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ]);
  const w = t([
    [1, 2],
    [3, 4],
  ]);
  // full[i][j] = Σ_{a,b} w[a][b]·x[i−a][j−b], e.g.
  // full[1][1] = w00·x11 + w01·x10 + w10·x01 + w11·x00 = 5 + 8 + 6 + 4 = 23
  // full[2][1] = w00·x21 + w01·x20 + w10·x11 + w11·x10 = 8 + 14 + 15 + 16 = 53
  const full = [
    [1, 4, 7, 6],
    [7, 23, 33, 24],
    [19, 53, 63, 42],
    [21, 52, 59, 36],
  ];

  test('full', () => {
    expect(values(tg.convolve2d(x, w))).toEqual(full);
    expect(values(x.convolve2d(w, 'full'))).toEqual(full);
  });

  test("'same' with an even kernel starts at ⌊(n−1)/2⌋ = 0 on each axis (top-left)", () => {
    expect(values(tg.convolve2d(x, w, 'same'))).toEqual([
      [1, 4, 7],
      [7, 23, 33],
      [19, 53, 63],
    ]);
  });

  test("'valid'", () => {
    expect(values(tg.convolve2d(x, w, 'valid'))).toEqual([
      [23, 33],
      [53, 63],
    ]);
  });

  test("'same' keeps in1's shape even when in2 is larger: full[1:3, 1:3]", () => {
    // convolve2d(w, x) has the same full result (convolution commutes); centred at ⌊(3−1)/2⌋ = 1
    expect(values(tg.convolve2d(w, x, 'same'))).toEqual([
      [23, 33],
      [53, 63],
    ]);
    expect(values(tg.convolve2d(w, x, 'full'))).toEqual(full);
  });

  test("'valid' swaps when in2 is at least as large on every axis", () => {
    expect(values(tg.convolve2d(w, x, 'valid'))).toEqual([
      [23, 33],
      [53, 63],
    ]);
  });

  test("an odd kernel centres 'same' like an image filter", () => {
    // a 3x3 box filter of a single 1: every output within reach sees it once
    const impulse = t([
      [0, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0, 0],
    ]);
    const box = t([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    // same[i][j] = full[i+1][j+1] = box[i+1−1][j+1−1] around the impulse at (1,1): the flipped kernel
    // placed there is the kernel itself, centred.
    expect(values(tg.convolve2d(impulse, box, 'same'))).toEqual([
      [1, 2, 3, 0],
      [4, 5, 6, 0],
      [7, 8, 9, 0],
    ]);
  });

  test('rectangular shapes: [3,5] * [2,4] in every mode agrees with the definition', () => {
    const r = tg.rng('signal:2d');
    const a = Array.from({ length: 3 }, () => Array.from({ length: 5 }, () => r.int(5) - 2));
    const b = Array.from({ length: 2 }, () => Array.from({ length: 4 }, () => r.int(5) - 2));
    const f = Array.from({ length: 4 }, () => new Array<number>(8).fill(0));
    a.forEach((row, i) => row.forEach((av, j) => b.forEach((brow, p) => brow.forEach((bv, q) => (f[i + p][j + q] += av * bv)))));
    expect(values(tg.convolve2d(t(a), t(b)))).toEqual(f);
    // same: start at ⌊(2−1)/2⌋ = 0 and ⌊(4−1)/2⌋ = 1, shape [3,5]
    expect(values(tg.convolve2d(t(a), t(b), 'same'))).toEqual(f.slice(0, 3).map((row) => row.slice(1, 6)));
    // valid: start at 1 and 3, shape [2,2]
    expect(values(tg.convolve2d(t(a), t(b), 'valid'))).toEqual(f.slice(1, 3).map((row) => row.slice(3, 5)));
  });
});

describe('gradients the tutorial derives from the 1-D graph', () => {
  // For the 'valid' convolution y[m] = Σ_j x[m + |w| − 1 − j]·w[j] of the tutorial's signals:
  //   dL/dx[i] = Σ_m gy[m]·w[m + |w| − 1 − i]   — a full convolution of dL/dy with w flipped back
  //   dL/dw[j] = Σ_m gy[m]·x[m + |w| − 1 − j]   — a correlation of x with dL/dy (reversed, as convolve flips w)
  const xv = [0, 1, 2, 3, 4];
  const wv = [1, -1, 2];
  const gyv = [0.5, -1, 2];
  const nw = wv.length;
  const gxByFormula = xv.map((_, i) => gyv.reduce((s, g, m) => s + g * (wv[m + nw - 1 - i] ?? 0), 0));
  const gwByFormula = wv.map((_, j) => gyv.reduce((s, g, m) => s + g * xv[m + nw - 1 - j], 0));

  test.each([false, true])('fused and expanded (expand: %s) agree with the formula', (expand) => {
    const x = t(xv);
    const w = t(wv);
    x.requiresGrad = true;
    w.requiresGrad = true;
    const y = tg.convolve(x, w, 'valid', { expand });
    expect(values(y)).toEqual([1, 3, 5]);
    y.backward(t(gyv));
    expect(values(x.grad!)).toEqual(gxByFormula);
    expect(values(w.grad!)).toEqual(gwByFormula);
  });

  test('the formulas are themselves convolutions: dL/dx = correlate(gy, w, full), dL/dw = correlate(gy, x, valid)', () => {
    expect(values(tg.correlate(t(gyv), t(wv), 'full'))).toEqual(gxByFormula);
    expect(values(tg.convolve(t(gyv), tg.flip(t(wv)), 'full'))).toEqual(gxByFormula);
    // correlate(gy, x) with x longer is numpy's reversed correlation of x with gy: exactly dL/dw
    expect(values(tg.correlate(t(gyv), t(xv), 'valid'))).toEqual(gwByFormula);
    expect(values(tg.flip(tg.correlate(t(xv), t(gyv), 'valid')))).toEqual(gwByFormula);
  });

  test('full mode: the gradients are the transposed sums', () => {
    const x = t(xv);
    const w = t(wv);
    x.requiresGrad = true;
    w.requiresGrad = true;
    const g = [1, 2, -1, 0.5, 3, -2, 1];
    tg.convolve(x, w).backward(t(g));
    // y[n] = Σ_k x[k]·w[n−k]  ⇒  dL/dx[k] = Σ_j g[k+j]·w[j],  dL/dw[j] = Σ_k g[k+j]·x[k]
    expect(values(x.grad!)).toEqual(xv.map((_, k) => wv.reduce((s, wj, j) => s + g[k + j] * wj, 0)));
    expect(values(w.grad!)).toEqual(wv.map((_, j) => xv.reduce((s, xk, k) => s + g[k + j] * xk, 0)));
  });

  test('second derivatives flow through: d/dw of <dL/dx, v> is a correlation too', () => {
    const x = t(xv);
    const w = t(wv);
    x.requiresGrad = true;
    w.requiresGrad = true;
    const [gx] = tg.grad(tg.convolve(x, w, 'valid'), [x], { gradOutputs: [t(gyv)], createGraph: true });
    const v = [1, 0, -1, 2, 1];
    const [gw] = tg.grad(tg.sum(tg.mul(gx!, t(v))), [w]);
    // <gx, v> = Σ_i v[i] Σ_m gy[m]·w[m + 2 − i]  ⇒  d/dw[j] = Σ_m gy[m]·v[m + 2 − j]
    expect(values(gw!)).toEqual(wv.map((_, j) => gyv.reduce((s, g, m) => s + g * v[m + 2 - j], 0)));
  });

  test('convolve2d: dL/dx and dL/dw match the definition', () => {
    const r = tg.rng('signal:grad2d');
    const x = tg.randn([4, 3], { rng: r, dtype: 'float64', requiresGrad: true });
    const w = tg.randn([2, 2], { rng: r, dtype: 'float64', requiresGrad: true });
    const gy = tg.randn([5, 4], { rng: r, dtype: 'float64' });
    tg.convolve2d(x, w).backward(gy);
    const at = (a: tg.Tensor, i: number, j: number) => a.data[i * a.shape[1] + j];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let p = 0; p < 2; p++) for (let q = 0; q < 2; q++) s += at(gy, i + p, j + q) * at(w, p, q);
        expect(at(x.grad!, i, j)).toBeCloseTo(s, 12);
      }
    }
    for (let p = 0; p < 2; p++) {
      for (let q = 0; q < 2; q++) {
        let s = 0;
        for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) s += at(gy, i + p, j + q) * at(x, i, j);
        expect(at(w.grad!, p, q)).toBeCloseTo(s, 12);
      }
    }
  });
});

describe('dtypes and methods', () => {
  test('float32 stays float32; mixing promotes to float64', () => {
    expect(tg.convolve(tg.tensor([1, 2]), tg.tensor([1])).dtype).toBe('float32');
    expect(tg.convolve(tg.tensor([1, 2]), t([1])).dtype).toBe('float64');
    expect(
      tg
        .tensor([1, 2, 3])
        .correlate(tg.tensor([1, 1]), 'full')
        .toArray(),
    ).toEqual([1, 3, 5, 3]);
  });
});

describe('errors name the op and the shapes', () => {
  test('2-D input to convolve', () => {
    expect(() => tg.convolve(tg.zeros([2, 3]), tg.ones([3]))).toThrow('convolve: x and w must be 1-D, got x [2,3] and w [3]');
    expect(() => tg.correlate(tg.ones([3]), tg.zeros([1, 3]))).toThrow('correlate: x and w must be 1-D, got x [3] and w [1,3]');
    expect(() => tg.convolve2d(tg.ones([3]), tg.ones([2, 2]))).toThrow('convolve2d: x and w must be 2-D, got x [3] and w [2,2]');
  });

  test('empty inputs', () => {
    expect(() => tg.convolve(tg.zeros([0]), tg.ones([3]))).toThrow('convolve: x [0] and w [3] must not be empty');
    expect(() => tg.convolve2d(tg.ones([2, 2]), tg.zeros([0, 2]))).toThrow('convolve2d: x [2,2] and w [0,2] must not be empty');
  });

  test('unknown mode', () => {
    expect(() => tg.convolve(tg.ones([3]), tg.ones([2]), 'circular' as tg.SignalMode)).toThrow("convolve: unknown mode 'circular'");
  });

  test("convolve2d 'valid' needs one input at least as large as the other in every dimension", () => {
    expect(() => tg.convolve2d(tg.ones([3, 5]), tg.ones([5, 3]), 'valid')).toThrow(
      "convolve2d: in 'valid' mode one input must be at least as large as the other in every dimension, got x [3,5] and w [5,3]",
    );
    expect(tg.convolve2d(tg.ones([3, 5]), tg.ones([5, 3]), 'same').shape).toEqual([3, 5]);
  });
});

/**
 * numpy's C loop (_pyarray_correlate in multiarraymodule.c), ported statement by statement: the
 * longer input goes first, 'same' puts ⌊n2/2⌋ partial dot products in front, and the result is
 * reversed when the inputs were swapped (numpy.correlate; numpy.convolve swaps in Python first so
 * nothing is reversed).
 */
function numpyCorrelate(a1: number[], a2: number[], mode: 'full' | 'same' | 'valid', revertIfSwapped: boolean): number[] {
  let ap1 = a1;
  let ap2 = a2;
  let n1 = ap1.length;
  let n2 = ap2.length;
  let inverted = false;
  if (n1 < n2) {
    [ap1, ap2] = [ap2, ap1];
    [n1, n2] = [n2, n1];
    inverted = true;
  }
  let length = n1;
  let n = n2;
  let nLeft: number;
  let nRight: number;
  if (mode === 'valid') {
    length = length - n + 1;
    nLeft = nRight = 0;
  } else if (mode === 'same') {
    nLeft = Math.floor(n / 2);
    nRight = n - nLeft - 1;
  } else {
    nRight = n - 1;
    nLeft = n - 1;
    length = length + n - 1;
  }
  const ret = new Array<number>(length).fill(0);
  const dot = (p1: number, p2: number, count: number) => {
    let s = 0;
    for (let i = 0; i < count; i++) s += ap1[p1 + i] * ap2[p2 + i];
    return s;
  };
  let op = 0;
  let ip1 = 0;
  let ip2 = nLeft;
  n = n - nLeft;
  for (let i = 0; i < nLeft; i++) {
    ret[op++] = dot(ip1, ip2, n);
    n++;
    ip2--;
  }
  for (let i = 0; i < n1 - n2 + 1; i++) {
    ret[op++] = dot(ip1, ip2, n);
    ip1++;
  }
  for (let i = 0; i < nRight; i++) {
    n--;
    ret[op++] = dot(ip1, ip2, n);
    ip1++;
  }
  return inverted && revertIfSwapped ? ret.reverse() : ret;
}

describe("against a port of numpy's own loop, on every pair of lengths up to 7", () => {
  const r = tg.rng('signal:numpy-port');
  const draw = (n: number) => Array.from({ length: n }, () => r.int(9) - 4);
  test.each(MODES)('%s', (mode) => {
    for (let nx = 1; nx <= 7; nx++) {
      for (let nw = 1; nw <= 7; nw++) {
        const x = draw(nx);
        const w = draw(nw);
        // numpy.correlate(x, w) = correlate2(x, w): reversed when swapped
        expect(values(tg.correlate(t(x), t(w), mode))).toEqual(numpyCorrelate(x, w, mode, true));
        // numpy.convolve(x, w): swap so the first is the longer, then correlate with the reversed second
        const [a, v] = nw > nx ? [w, x] : [x, w];
        expect(values(tg.convolve(t(x), t(w), mode))).toEqual(numpyCorrelate(a, [...v].reverse(), mode, false));
        // the expanded graph adds products one by one, so a lone product (−4)·0 stays −0: compare as numbers
        const expanded = Array.from(tg.correlate(t(x), t(w), mode, { expand: true }).data, (v) => v + 0);
        expect(expanded).toEqual(numpyCorrelate(x, w, mode, true));
      }
    }
  });
});
