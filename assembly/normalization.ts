/**
 * @file Training-mode batch norm (float32 data, float64 statistics) and relu's backward: the same
 * arithmetic, in the same order, as src/kernels/js/normalization.ts and maskPositive in
 * src/kernels/js/elementwise.ts, so both backends give the same bits. x is viewed as [n, c, s].
 * The statistics are three float64 arrays of c entries at `stats`: mean, invstd, variance.
 */

/** The float32 lanes 0–1 and 2–3 of v as float64 pairs. */
// @ts-ignore: decorator
@inline function lowPair(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline function highPair(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Two float64 pairs rounded to float32, as one vector (lanes: lo's two, then hi's two). */
// @ts-ignore: decorator
@inline function demotePairs(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** p (a pair of partial sums) with `v` added to lane `lane`. */
// @ts-ignore: decorator
@inline function addToLane(p: v128, lane: i32, v: f64): v128 {
  return lane == 0 ? f64x2.replace_lane(p, 0, f64x2.extract_lane(p, 0) + v) : f64x2.replace_lane(p, 1, f64x2.extract_lane(p, 1) + v);
}

// @ts-ignore: decorator
@inline function total(lo: v128, hi: v128): f64 {
  return (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
}

/**
 * Σ x over a channel's n runs of s values (the first at x + 4·first, runs 4·plane bytes apart), or Σ
 * (x - m)² when `squares`: Note [four partial sums] in src/kernels/js/normalization.ts — partials 0
 * and 1 in lo's lanes, 2 and 3 in hi's, each the offsets ≡ its number (mod 4) of every run, in order.
 */
function channelSum(x: usize, n: i32, plane: usize, first: usize, s: i32, m: f64, squares: bool): f64 {
  let lo = f64x2.splat(0);
  let hi = lo;
  const mv = f64x2.splat(m);
  for (let b = 0; b < n; b++) {
    const base = x + ((<usize>b * plane + first) << 2);
    let i = 0;
    if (squares) {
      for (; i + 4 <= s; i += 4) {
        const v = v128.load(base + (<usize>i << 2));
        const a = f64x2.sub(lowPair(v), mv);
        const c = f64x2.sub(highPair(v), mv);
        lo = f64x2.add(lo, f64x2.mul(a, a));
        hi = f64x2.add(hi, f64x2.mul(c, c));
      }
    } else {
      for (; i + 4 <= s; i += 4) {
        const v = v128.load(base + (<usize>i << 2));
        lo = f64x2.add(lo, lowPair(v));
        hi = f64x2.add(hi, highPair(v));
      }
    }
    for (let t = 0; i < s; i++, t++) {
      let v = <f64>load<f32>(base + (<usize>i << 2));
      if (squares) {
        v = v - m;
        v = v * v;
      }
      if (t < 2) lo = addToLane(lo, t, v);
      else hi = addToLane(hi, 0, v);
    }
  }
  return total(lo, hi);
}

/** y = (x - mean) · (invstd · weight) + bias per channel; weight/bias 0: absent. */
export function batchNormForward(x: usize, n: i32, c: i32, s: i32, weight: usize, bias: usize, eps: f64, y: usize, stats: usize): void {
  const count = <f64>n * <f64>s;
  const plane = <usize>c * <usize>s;
  for (let ch = 0; ch < c; ch++) {
    const first = <usize>ch * <usize>s;
    const m = channelSum(x, n, plane, first, s, 0, false) / count;
    const v = channelSum(x, n, plane, first, s, m, true) / count;
    const r = 1 / Math.sqrt(v + eps);
    store<f64>(stats + (<usize>ch << 3), m);
    store<f64>(stats + ((<usize>(c + ch)) << 3), r);
    store<f64>(stats + ((<usize>(2 * c + ch)) << 3), v);
    const scale = r * (weight == 0 ? 1 : <f64>load<f32>(weight + (<usize>ch << 2)));
    const shift: f64 = bias == 0 ? 0 : <f64>load<f32>(bias + (<usize>ch << 2));
    const mv = f64x2.splat(m);
    const sv = f64x2.splat(scale);
    const hv = f64x2.splat(shift);
    for (let b = 0; b < n; b++) {
      const off = (<usize>b * plane + first) << 2;
      let i = 0;
      // Elementwise: the same operations per element as the TypeScript loop, two lanes at a time.
      for (; i + 4 <= s; i += 4) {
        const o = off + (<usize>i << 2);
        const v4 = v128.load(x + o);
        const lo = f64x2.add(f64x2.mul(f64x2.sub(lowPair(v4), mv), sv), hv);
        const hi = f64x2.add(f64x2.mul(f64x2.sub(highPair(v4), mv), sv), hv);
        v128.store(y + o, demotePairs(lo, hi));
      }
      for (; i < s; i++) {
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
    const mv = f64x2.splat(m);
    // Σ gy in g01/g23, Σ gy·(x - mean) in h01/h23 (Note [four partial sums]).
    let g01 = f64x2.splat(0);
    let g23 = g01;
    let h01 = g01;
    let h23 = g01;
    const first = <usize>ch * <usize>s;
    for (let b = 0; b < n; b++) {
      const off = (<usize>b * plane + first) << 2;
      let i = 0;
      for (; i + 4 <= s; i += 4) {
        const o = off + (<usize>i << 2);
        const g4 = v128.load(gy + o);
        const x4 = v128.load(x + o);
        const gl = lowPair(g4);
        const gh = highPair(g4);
        g01 = f64x2.add(g01, gl);
        h01 = f64x2.add(h01, f64x2.mul(gl, f64x2.sub(lowPair(x4), mv)));
        g23 = f64x2.add(g23, gh);
        h23 = f64x2.add(h23, f64x2.mul(gh, f64x2.sub(highPair(x4), mv)));
      }
      for (let t = 0; i < s; i++, t++) {
        const o = off + (<usize>i << 2);
        const g = <f64>load<f32>(gy + o);
        const h = g * (<f64>load<f32>(x + o) - m);
        if (t < 2) {
          g01 = addToLane(g01, t, g);
          h01 = addToLane(h01, t, h);
        } else {
          g23 = addToLane(g23, 0, g);
          h23 = addToLane(h23, 0, h);
        }
      }
    }
    const sumGy = total(g01, g23);
    const sumGyXhat = total(h01, h23) * r;
    if (gbias != 0) store<f32>(gbias + (<usize>ch << 2), <f32>sumGy);
    if (gweight != 0) store<f32>(gweight + (<usize>ch << 2), <f32>sumGyXhat);
    if (gx == 0) continue;
    const scale = (weight == 0 ? 1 : <f64>load<f32>(weight + (<usize>ch << 2))) * r;
    const meanGy = sumGy / count;
    const meanGyXhat = sumGyXhat / count;
    const sv = f64x2.splat(scale);
    const rv = f64x2.splat(r);
    const mg = f64x2.splat(meanGy);
    const mh = f64x2.splat(meanGyXhat);
    for (let b = 0; b < n; b++) {
      const off = (<usize>b * plane + first) << 2;
      let i = 0;
      // scale · ((gy - meanGy) - ((x - m) · r) · meanGyXhat), in the TypeScript loop's order.
      for (; i + 4 <= s; i += 4) {
        const o = off + (<usize>i << 2);
        const g4 = v128.load(gy + o);
        const x4 = v128.load(x + o);
        const lo = f64x2.mul(sv, f64x2.sub(f64x2.sub(lowPair(g4), mg), f64x2.mul(f64x2.mul(f64x2.sub(lowPair(x4), mv), rv), mh)));
        const hi = f64x2.mul(sv, f64x2.sub(f64x2.sub(highPair(g4), mg), f64x2.mul(f64x2.mul(f64x2.sub(highPair(x4), mv), rv), mh)));
        v128.store(gx + o, demotePairs(lo, hi));
      }
      for (; i < s; i++) {
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
