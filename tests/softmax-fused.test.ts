/**
 * softmax's fused kernels (Note [fused softmax]) against a float64 reference written here, line by
 * line: every layout [outer, n, inner] (the axis first, in the middle, last), masked (−∞) entries,
 * a line of −∞ (NaN, 0/0, as PyTorch's math attention), NaN propagation, the backward's
 * y·(gy − Σ gy·y), both backward forms (the kernel, and the ops recorded under createGraph) giving
 * the same gradient, and float32 at attention's size against float64.
 */
import * as tg from '../src';
import { jsKernels } from '../src/kernels';

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
