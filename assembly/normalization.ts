/**
 * @file Training-mode batch norm (float32 data, float64 statistics) and relu's backward: the same
 * arithmetic, in the same order, as src/kernels/js/normalization.ts and maskPositive in
 * src/kernels/js/elementwise.ts, so both backends give the same bits. x is viewed as [n, c, s].
 * The statistics are three float64 arrays of c entries at `stats`: mean, invstd, variance.
 */

/** y = (x - mean) · (invstd · weight) + bias per channel; weight/bias 0: absent. */
export function batchNormForward(x: usize, n: i32, c: i32, s: i32, weight: usize, bias: usize, eps: f64, y: usize, stats: usize): void {
  const count = <f64>n * <f64>s;
  const plane = <usize>c * <usize>s;
  for (let ch = 0; ch < c; ch++) {
    let total: f64 = 0;
    for (let b = 0; b < n; b++) {
      const base = x + ((<usize>b * plane + <usize>ch * <usize>s) << 2);
      for (let i = 0; i < s; i++) total += <f64>load<f32>(base + (<usize>i << 2));
    }
    const m = total / count;
    let squares: f64 = 0;
    for (let b = 0; b < n; b++) {
      const base = x + ((<usize>b * plane + <usize>ch * <usize>s) << 2);
      for (let i = 0; i < s; i++) {
        const d = <f64>load<f32>(base + (<usize>i << 2)) - m;
        squares += d * d;
      }
    }
    const v = squares / count;
    const r = 1 / Math.sqrt(v + eps);
    store<f64>(stats + (<usize>ch << 3), m);
    store<f64>(stats + ((<usize>(c + ch)) << 3), r);
    store<f64>(stats + ((<usize>(2 * c + ch)) << 3), v);
    const scale = r * (weight == 0 ? 1 : <f64>load<f32>(weight + (<usize>ch << 2)));
    const shift: f64 = bias == 0 ? 0 : <f64>load<f32>(bias + (<usize>ch << 2));
    for (let b = 0; b < n; b++) {
      const off = (<usize>b * plane + <usize>ch * <usize>s) << 2;
      for (let i = 0; i < s; i++) {
        const o = off + (<usize>i << 2);
        store<f32>(y + o, <f32>((<f64>load<f32>(x + o) - m) * scale + shift));
      }
    }
  }
}

/** The gradients of batchNormForward; gx/gweight/gbias 0: not wanted, weight 0: absent. */
export function batchNormBackward(gy: usize, x: usize, n: i32, c: i32, s: i32, stats: usize, weight: usize,
  gx: usize, gweight: usize, gbias: usize): void {
  const count = <f64>n * <f64>s;
  const plane = <usize>c * <usize>s;
  for (let ch = 0; ch < c; ch++) {
    const m = load<f64>(stats + (<usize>ch << 3));
    const r = load<f64>(stats + ((<usize>(c + ch)) << 3));
    let sumGy: f64 = 0;
    let sumGyXhat: f64 = 0;
    for (let b = 0; b < n; b++) {
      const off = (<usize>b * plane + <usize>ch * <usize>s) << 2;
      for (let i = 0; i < s; i++) {
        const o = off + (<usize>i << 2);
        const g = <f64>load<f32>(gy + o);
        sumGy += g;
        sumGyXhat += g * (<f64>load<f32>(x + o) - m);
      }
    }
    sumGyXhat *= r;
    if (gbias != 0) store<f32>(gbias + (<usize>ch << 2), <f32>sumGy);
    if (gweight != 0) store<f32>(gweight + (<usize>ch << 2), <f32>sumGyXhat);
    if (gx == 0) continue;
    const scale = (weight == 0 ? 1 : <f64>load<f32>(weight + (<usize>ch << 2))) * r;
    const meanGy = sumGy / count;
    const meanGyXhat = sumGyXhat / count;
    for (let b = 0; b < n; b++) {
      const off = (<usize>b * plane + <usize>ch * <usize>s) << 2;
      for (let i = 0; i < s; i++) {
        const o = off + (<usize>i << 2);
        const g = <f64>load<f32>(gy + o);
        store<f32>(gx + o, <f32>(scale * (g - meanGy - (<f64>load<f32>(x + o) - m) * r * meanGyXhat)));
      }
    }
  }
}

/** y = g · mask, mask 1 where x > 0 or x is NaN (not x <= 0), else 0: relu's backward. */
export function maskPositive(g: usize, x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const mask = v128.and(one, v128.not(f32x4.le(v128.load(x + o), zero)));
    v128.store(y + o, f32x4.mul(v128.load(g + o), mask));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, load<f32>(g + o) * (v <= 0 ? <f32>0 : <f32>1));
  }
}
