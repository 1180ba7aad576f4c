/**
 * @file SGD's step over one float32 parameter, four lanes at a time: every operation an IEEE float32
 * one, so the same bits as src/kernels/js/optimizers.ts's Math.fround loop (and the op-by-op formula).
 * buf 0: no momentum. first: the buffer takes the gradient as it is.
 */
export function sgdStep(x: usize, g: usize, buf: usize, n: i32, first: bool, wd: f32, momentum: f32, keep: f32, lr: f32, nesterov: bool): void {
  const vwd = f32x4.splat(wd);
  const vm = f32x4.splat(momentum);
  const vkeep = f32x4.splat(keep);
  const vlr = f32x4.splat(lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const xv = v128.load(x + o);
    let gv = v128.load(g + o);
    if (wd != 0) gv = f32x4.add(gv, f32x4.mul(xv, vwd));
    if (buf != 0) {
      const b = first ? gv : f32x4.add(f32x4.mul(v128.load(buf + o), vm), f32x4.mul(gv, vkeep));
      v128.store(buf + o, b);
      gv = nesterov ? f32x4.add(gv, f32x4.mul(b, vm)) : b;
    }
    v128.store(x + o, f32x4.sub(xv, f32x4.mul(gv, vlr)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xs = load<f32>(x + o);
    let gs = load<f32>(g + o);
    if (wd != 0) gs = gs + xs * wd;
    if (buf != 0) {
      const b = first ? gs : load<f32>(buf + o) * momentum + gs * keep;
      store<f32>(buf + o, b);
      gs = nesterov ? gs + b * momentum : b;
    }
    store<f32>(x + o, xs - gs * lr);
  }
}

/**
 * Adam's and AdamW's step over one float32 parameter, as src/kernels/optimizers.ts's adamFloat32:
 * x·decay, g = grad + wd·x, m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², AMSGrad's vmax = max(vmax, v)
 * (vmax 0: none), x -= stepSize · m / (√v̂ / correction2 + eps). Every operation an IEEE float32 one.
 */
export function adamStep(
  x: usize,
  g: usize,
  m: usize,
  v: usize,
  vmax: usize,
  n: i32,
  wd: f32,
  decay: f32,
  beta1: f32,
  keep1: f32,
  beta2: f32,
  keep2: f32,
  eps: f32,
  stepSize: f32,
  correction2: f32,
): void {
  const vwd = f32x4.splat(wd);
  const vdecay = f32x4.splat(decay);
  const vb1 = f32x4.splat(beta1);
  const vk1 = f32x4.splat(keep1);
  const vb2 = f32x4.splat(beta2);
  const vk2 = f32x4.splat(keep2);
  const veps = f32x4.splat(eps);
  const vstep = f32x4.splat(stepSize);
  const vc2 = f32x4.splat(correction2);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let xv = v128.load(x + o);
    if (decay != 1) xv = f32x4.mul(xv, vdecay);
    let gv = v128.load(g + o);
    if (wd != 0) gv = f32x4.add(gv, f32x4.mul(xv, vwd));
    const mv = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gv, vk1));
    const vv = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gv, gv), vk2));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    let used = vv;
    if (vmax != 0) {
      used = f32x4.max(v128.load(vmax + o), vv);
      v128.store(vmax + o, used);
    }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(used), vc2), veps);
    v128.store(x + o, f32x4.sub(xv, f32x4.mul(f32x4.div(mv, denom), vstep)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let xs = load<f32>(x + o);
    if (decay != 1) xs = xs * decay;
    let gs = load<f32>(g + o);
    if (wd != 0) gs = gs + xs * wd;
    const ms = load<f32>(m + o) * beta1 + gs * keep1;
    const vs = load<f32>(v + o) * beta2 + gs * gs * keep2;
    store<f32>(m + o, ms);
    store<f32>(v + o, vs);
    let used = vs;
    if (vmax != 0) {
      used = max<f32>(load<f32>(vmax + o), vs);
      store<f32>(vmax + o, used);
    }
    const denom = sqrt<f32>(used) / correction2 + eps;
    store<f32>(x + o, xs - (ms / denom) * stepSize);
  }
}

/**
 * RMSprop's step over one float32 parameter, as rmspropFloat32: g = grad + wd·x, sq = α·sq + (1-α)·g²,
 * centered (gAvg ≠ 0): gAvg = α·gAvg + (1-α)·g, avg = √(sq - gAvg²), else √sq; avg += eps; with a
 * buffer (buf ≠ 0): buf = momentum·buf + g/avg, x -= lr·buf, else x -= lr·(g/avg).
 */
export function rmspropStep(
  x: usize,
  g: usize,
  sq: usize,
  gAvg: usize,
  buf: usize,
  n: i32,
  wd: f32,
  alpha: f32,
  keep: f32,
  eps: f32,
  lr: f32,
  momentum: f32,
): void {
  const vwd = f32x4.splat(wd);
  const valpha = f32x4.splat(alpha);
  const vkeep = f32x4.splat(keep);
  const veps = f32x4.splat(eps);
  const vlr = f32x4.splat(lr);
  const vm = f32x4.splat(momentum);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const xv = v128.load(x + o);
    let gv = v128.load(g + o);
    if (wd != 0) gv = f32x4.add(gv, f32x4.mul(xv, vwd));
    const s = f32x4.add(f32x4.mul(v128.load(sq + o), valpha), f32x4.mul(f32x4.mul(gv, gv), vkeep));
    v128.store(sq + o, s);
    let avg: v128;
    if (gAvg != 0) {
      const a = f32x4.add(f32x4.mul(v128.load(gAvg + o), valpha), f32x4.mul(gv, vkeep));
      v128.store(gAvg + o, a);
      avg = f32x4.sqrt(f32x4.sub(s, f32x4.mul(a, a)));
    } else {
      avg = f32x4.sqrt(s);
    }
    avg = f32x4.add(avg, veps);
    if (buf != 0) {
      const b = f32x4.add(f32x4.mul(v128.load(buf + o), vm), f32x4.div(gv, avg));
      v128.store(buf + o, b);
      v128.store(x + o, f32x4.sub(xv, f32x4.mul(b, vlr)));
    } else {
      v128.store(x + o, f32x4.sub(xv, f32x4.mul(f32x4.div(gv, avg), vlr)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xs = load<f32>(x + o);
    let gs = load<f32>(g + o);
    if (wd != 0) gs = gs + xs * wd;
    const s = load<f32>(sq + o) * alpha + gs * gs * keep;
    store<f32>(sq + o, s);
    let avg: f32;
    if (gAvg != 0) {
      const a = load<f32>(gAvg + o) * alpha + gs * keep;
      store<f32>(gAvg + o, a);
      avg = sqrt<f32>(s - a * a);
    } else {
      avg = sqrt<f32>(s);
    }
    avg = avg + eps;
    if (buf != 0) {
      const b = load<f32>(buf + o) * momentum + gs / avg;
      store<f32>(buf + o, b);
      store<f32>(x + o, xs - b * lr);
    } else {
      store<f32>(x + o, xs - (gs / avg) * lr);
    }
  }
}

/** Adagrad's step over one float32 parameter, as adagradFloat32: g = grad + wd·x, sum += g², x -= clr·g/(√sum + eps). */
export function adagradStep(x: usize, g: usize, sum: usize, n: i32, wd: f32, eps: f32, clr: f32): void {
  const vwd = f32x4.splat(wd);
  const veps = f32x4.splat(eps);
  const vclr = f32x4.splat(clr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const xv = v128.load(x + o);
    let gv = v128.load(g + o);
    if (wd != 0) gv = f32x4.add(gv, f32x4.mul(xv, vwd));
    const s = f32x4.add(v128.load(sum + o), f32x4.mul(gv, gv));
    v128.store(sum + o, s);
    const std = f32x4.add(f32x4.sqrt(s), veps);
    v128.store(x + o, f32x4.sub(xv, f32x4.mul(f32x4.div(gv, std), vclr)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xs = load<f32>(x + o);
    let gs = load<f32>(g + o);
    if (wd != 0) gs = gs + xs * wd;
    const s = load<f32>(sum + o) + gs * gs;
    store<f32>(sum + o, s);
    store<f32>(x + o, xs - (gs / (sqrt<f32>(s) + eps)) * clr);
  }
}
