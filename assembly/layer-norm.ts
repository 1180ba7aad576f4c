/**
 * @file Layer norm's forward and backward on float32 rows with float64 statistics (Note [fused layer
 * norm] in src/ops/norms.ts): the arithmetic of src/kernels/js/layer-norm.ts, in the same order, so
 * both backends give the same bits. Each row's sums run one element after another, as there; what is
 * independent per element or per column — the normalised values, the output, the per-column
 * gradients' sums over the rows — runs two float64 lanes at a time, which rounds each lane exactly
 * as the scalar code does. x is viewed as [rows, cols]; the statistics are two float64 arrays of
 * `rows` entries at `stats`: mean, then rstd.
 */

/** Two float32 at p as two float64 lanes. */
// @ts-ignore: decorator
@inline function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Two float64 lanes rounded to float32 and stored at p. */
// @ts-ignore: decorator
@inline function store2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/** y = (x − mean)·rstd·weight + bias per row (weight, bias 0: absent; absent bias adds 0, as there). */
export function layerNormForward(x: usize, rows: i32, cols: i32, weight: usize, bias: usize, eps: f64, y: usize, stats: usize): void {
  const pairs = cols & ~1;
  for (let r = 0; r < rows; r++) {
    const px = x + ((<usize>r * <usize>cols) << 2);
    const py = y + ((<usize>r * <usize>cols) << 2);
    let total: f64 = 0;
    for (let j = 0; j < cols; j++) total += <f64>load<f32>(px + (<usize>j << 2));
    const m = total / <f64>cols;
    let squares: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const d = <f64>load<f32>(px + (<usize>j << 2)) - m;
      squares += d * d;
    }
    const s = 1 / Math.sqrt(squares / <f64>cols + eps);
    store<f64>(stats + (<usize>r << 3), m);
    store<f64>(stats + ((<usize>rows + <usize>r) << 3), s);
    const mv = f64x2.splat(m);
    const sv = f64x2.splat(s);
    for (let j = 0; j < pairs; j += 2) {
      const o = <usize>j << 2;
      let v = f64x2.mul(f64x2.sub(load2(px + o), mv), sv);
      if (weight != 0) v = f64x2.mul(v, load2(weight + o));
      store2(py + o, f64x2.add(v, bias == 0 ? f64x2.splat(0) : load2(bias + o)));
    }
    for (let j = pairs; j < cols; j++) {
      const o = <usize>j << 2;
      let v = (<f64>load<f32>(px + o) - m) * s;
      if (weight != 0) v *= <f64>load<f32>(weight + o);
      store<f32>(py + o, <f32>(v + (bias == 0 ? 0 : <f64>load<f32>(bias + o))));
    }
  }
}

/**
 * The gradients of layerNormForward: with x̂ the normalised row and g = gy·weight,
 * gx = rstd·(g − mean(g) − x̂·mean(g·x̂)) (gx 0: not wanted); gw += gy·x̂ and gb += gy per column
 * over the rows, into float64 accumulators of cols entries (0: not wanted) that the caller zeroed.
 * scratch holds 2·cols float64: the row's x̂ and g.
 */
export function layerNormBackward(
  gy: usize,
  x: usize,
  rows: i32,
  cols: i32,
  stats: usize,
  weight: usize,
  gx: usize,
  gw: usize,
  gb: usize,
  scratch: usize,
): void {
  const pairs = cols & ~1;
  const xhat = scratch;
  const g = scratch + (<usize>cols << 3);
  for (let r = 0; r < rows; r++) {
    const row = (<usize>r * <usize>cols) << 2;
    const m = load<f64>(stats + (<usize>r << 3));
    const s = load<f64>(stats + ((<usize>rows + <usize>r) << 3));
    const mv = f64x2.splat(m);
    const sv = f64x2.splat(s);
    for (let j = 0; j < pairs; j += 2) {
      const o = <usize>j << 2;
      const q = <usize>j << 3;
      const gyv = load2(gy + row + o);
      const h = f64x2.mul(f64x2.sub(load2(x + row + o), mv), sv);
      v128.store(xhat + q, h);
      v128.store(g + q, weight == 0 ? gyv : f64x2.mul(gyv, load2(weight + o)));
      if (gw != 0) v128.store(gw + q, f64x2.add(v128.load(gw + q), f64x2.mul(gyv, h)));
      if (gb != 0) v128.store(gb + q, f64x2.add(v128.load(gb + q), gyv));
    }
    for (let j = pairs; j < cols; j++) {
      const o = <usize>j << 2;
      const q = <usize>j << 3;
      const gyj = <f64>load<f32>(gy + row + o);
      const h = (<f64>load<f32>(x + row + o) - m) * s;
      store<f64>(xhat + q, h);
      store<f64>(g + q, weight == 0 ? gyj : gyj * <f64>load<f32>(weight + o));
      if (gw != 0) store<f64>(gw + q, load<f64>(gw + q) + gyj * h);
      if (gb != 0) store<f64>(gb + q, load<f64>(gb + q) + gyj);
    }
    if (gx == 0) continue;
    let sumG: f64 = 0;
    let sumGX: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const q = <usize>j << 3;
      const gj = load<f64>(g + q);
      sumG += gj;
      sumGX += gj * load<f64>(xhat + q);
    }
    const meanG = f64x2.splat(sumG / <f64>cols);
    const meanGX = f64x2.splat(sumGX / <f64>cols);
    for (let j = 0; j < pairs; j += 2) {
      const q = <usize>j << 3;
      const v = f64x2.sub(f64x2.sub(v128.load(g + q), meanG), f64x2.mul(v128.load(xhat + q), meanGX));
      store2(gx + row + (<usize>j << 2), f64x2.mul(sv, v));
    }
    for (let j = pairs; j < cols; j++) {
      const q = <usize>j << 3;
      const v = load<f64>(g + q) - f64x2.extract_lane(meanG, 0) - load<f64>(xhat + q) * f64x2.extract_lane(meanGX, 0);
      store<f32>(gx + row + (<usize>j << 2), <f32>(s * v));
    }
  }
}
