/**
 * Layer norm's fused kernels (Note [fused layer norm]) against a float64 reference written here, row
 * by row: forward, the three gradients from the kernel and from the backward recorded under
 * createGraph (the same values), and float32 at a transformer's size [16,64,128] against float64.
 */
import * as tg from '../src';

/** Layer norm over the last `cols` elements of each row and its gradients for gy, spelled out. */
function reference(x: number[], cols: number, w: number[], b: number[], eps: number, gy: number[]) {
  const rows = x.length / cols;
  const y: number[] = [];
  const gx: number[] = [];
  const gw = new Array<number>(cols).fill(0);
  const gb = new Array<number>(cols).fill(0);
  for (let r = 0; r < rows; r++) {
    const row = x.slice(r * cols, (r + 1) * cols);
    const g = gy.slice(r * cols, (r + 1) * cols);
    const m = row.reduce((a, v) => a + v, 0) / cols;
    const variance = row.reduce((a, v) => a + (v - m) ** 2, 0) / cols;
    const s = 1 / Math.sqrt(variance + eps);
    const xhat = row.map((v) => (v - m) * s);
    const gh = g.map((v, j) => v * w[j]);
    const meanG = gh.reduce((a, v) => a + v, 0) / cols;
    const meanGX = gh.reduce((a, v, j) => a + v * xhat[j], 0) / cols;
    xhat.forEach((h, j) => {
      y.push(h * w[j] + b[j]);
      gx.push(s * (gh[j] - meanG - h * meanGX));
      gw[j] += g[j] * h;
      gb[j] += g[j];
    });
  }
  return { y, gx, gw, gb };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect([i, Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i]))]).toEqual([i, true]);
};

describe('fused layer norm', () => {
  test('float64 over the last two axes matches the reference; both backward forms agree', () => {
    const r = tg.rng('layer norm fused');
    const vals = (n: number) => Array.from({ length: n }, () => (r.next() * 2 - 1) * 5);
    const [xs, ws, bs, gys] = [vals(2 * 3 * 4), vals(12), vals(12), vals(24)];
    const x = tg.tensor(xs, { shape: [2, 3, 4], dtype: 'float64', requiresGrad: true });
    const w = tg.tensor(ws, { shape: [3, 4], dtype: 'float64', requiresGrad: true });
    const b = tg.tensor(bs, { shape: [3, 4], dtype: 'float64', requiresGrad: true });
    const gy = tg.tensor(gys, { shape: [2, 3, 4], dtype: 'float64' });
    const ref = reference(xs, 12, ws, bs, 1e-5, gys);
    const y = tg.layerNorm(x, [3, 4], { weight: w, bias: b });
    close(y.data, ref.y, 1e-14);
    y.backward(gy);
    close(x.grad!.data, ref.gx, 1e-13);
    close(w.grad!.data, ref.gw, 1e-14);
    close(b.grad!.data, ref.gb, 1e-14);
    const recorded = tg.grad(tg.layerNorm(x, [3, 4], { weight: w, bias: b }), [x, w, b], { gradOutputs: [gy], createGraph: true });
    close(recorded[0]!.data, ref.gx, 1e-13);
    close(recorded[1]!.data, ref.gw, 1e-14);
    close(recorded[2]!.data, ref.gb, 1e-14);
  });

  test('float32 at [16,64,128] agrees with float64', () => {
    const shape = [16, 64, 128];
    const x64 = tg
      .randn(shape, { rng: tg.rng('ln f32 x'), dtype: 'float64' })
      .mul(3)
      .add(1);
    const w64 = tg.randn([128], { rng: tg.rng('ln f32 w'), dtype: 'float64' });
    const b64 = tg.randn([128], { rng: tg.rng('ln f32 b'), dtype: 'float64' });
    const gy64 = tg.randn(shape, { rng: tg.rng('ln f32 gy'), dtype: 'float64' });
    const f32 = (t: tg.Tensor, grad = true) => tg.tensor(Float32Array.from(t.data), { shape: t.shape, requiresGrad: grad });
    const f64 = (t: tg.Tensor) =>
      tg.tensor(Float64Array.from(Float32Array.from(t.data)), { shape: t.shape, dtype: 'float64', requiresGrad: true });
    const [x32, w32, b32] = [f32(x64), f32(w64), f32(b64)];
    const [xd, wd, bd] = [f64(x64), f64(w64), f64(b64)];
    const y32 = tg.layerNorm(x32, 128, { weight: w32, bias: b32 });
    const yd = tg.layerNorm(xd, 128, { weight: wd, bias: bd });
    y32.backward(f32(gy64, false));
    yd.backward(tg.tensor(Float64Array.from(Float32Array.from(gy64.data)), { shape, dtype: 'float64' }));
    expect(y32.dtype).toBe('float32');
    const worst = (a: tg.Tensor, b: tg.Tensor) => {
      let m = 0;
      for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]) / (1 + Math.abs(b.data[i])));
      return m;
    };
    expect(worst(y32, yd)).toBeLessThan(1e-6);
    expect(worst(x32.grad!, xd.grad!)).toBeLessThan(1e-5);
    expect(worst(w32.grad!, wd.grad!)).toBeLessThan(1e-5);
    expect(worst(b32.grad!, bd.grad!)).toBeLessThan(1e-5);
  });
});
