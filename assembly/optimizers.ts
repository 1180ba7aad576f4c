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
