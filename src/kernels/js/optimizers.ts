/**
 * @file Optimiser updates as kernels: SGD's, Adam's (and AdamW's), RMSprop's and Adagrad's step over one parameter in one loop (Note
 * [fused updates] in src/optim/optimizer.ts), float32 rounding every intermediate as the op-by-op
 * formula did.
 */
import type { SgdStep, AdamStep, RmspropStep, AdagradStep } from '../types';
import type { Storage } from '../../tensor/dtype';

/** x -= lr · g with g = grad + wd·x, through the momentum buffer when there is one (torch.optim.SGD). */
export function sgdStep(x: Storage, grad: Storage, buf: Storage | null, h: SgdStep): void {
  if (x instanceof Float32Array) sgdFloat32(x, grad as Float32Array, buf as Float32Array | null, h);
  else sgdFloat64(x as Float64Array, grad as Float64Array, buf as Float64Array | null, h);
}

// Note [fused updates]: the float32 loop calls Math.fround by name, the only form V8 inlines (through
// a rounding-function variable the update ran ten times slower); the float64 loop is the same without it.
function sgdFloat32(x: Float32Array, gd: Float32Array, buf: Float32Array | null, h: SgdStep): void {
  const f = Math.fround;
  const [wd, momentum, keep, lr] = [f(h.wd), f(h.momentum), f(h.keep), f(h.lr)];
  const { first, nesterov } = h;
  for (let i = 0; i < x.length; i++) {
    let g = wd !== 0 ? f(gd[i] + f(x[i] * wd)) : gd[i];
    if (buf !== null) {
      const b = first ? g : f(f(buf[i] * momentum) + f(g * keep));
      buf[i] = b;
      g = nesterov ? f(g + f(b * momentum)) : b;
    }
    x[i] = f(x[i] - f(g * lr));
  }
}

function sgdFloat64(x: Float64Array, gd: Float64Array, buf: Float64Array | null, h: SgdStep): void {
  const { wd, momentum, keep, lr, first, nesterov } = h;
  for (let i = 0; i < x.length; i++) {
    let g = wd !== 0 ? gd[i] + x[i] * wd : gd[i];
    if (buf !== null) {
      const b = first ? g : buf[i] * momentum + g * keep;
      buf[i] = b;
      g = nesterov ? g + b * momentum : b;
    }
    x[i] = x[i] - g * lr;
  }
}

/**
 * m, v (and vmax, AMSGrad's running maximum of v, when given) and x updated in place, as
 * torch.optim.Adam and AdamW: x·decay, g = grad + wd·x, m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g²,
 * x -= stepSize · m / (√max(vmax, v) / correction2 + eps).
 */
export function adamStep(x: Storage, grad: Storage, m: Storage, v: Storage, vmax: Storage | null, h: AdamStep): void {
  if (x instanceof Float32Array) adamFloat32(x, grad as Float32Array, m as Float32Array, v as Float32Array, vmax as Float32Array | null, h);
  else adamFloat64(x as Float64Array, grad as Float64Array, m as Float64Array, v as Float64Array, vmax as Float64Array | null, h);
}

function adamFloat32(x: Float32Array, gd: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, h: AdamStep): void {
  const f = Math.fround;
  const [wd, beta1, keep1, beta2, keep2, eps] = [f(h.wd), f(h.beta1), f(1 - h.beta1), f(h.beta2), f(1 - h.beta2), f(h.eps)];
  const [decay, stepSize, correction2] = [f(h.decay), f(h.stepSize), f(h.correction2)];
  for (let i = 0; i < x.length; i++) {
    const xi = decay !== 1 ? f(x[i] * decay) : x[i];
    const g = wd !== 0 ? f(gd[i] + f(xi * wd)) : gd[i];
    const mi = f(f(m[i] * beta1) + f(g * keep1));
    const vi = f(f(v[i] * beta2) + f(f(g * g) * keep2));
    m[i] = mi;
    v[i] = vi;
    let vUsed = vi;
    if (vmax !== null) {
      vUsed = Math.max(vmax[i], vi); // NaN-propagating, as torch.maximum (and WebAssembly's max)
      vmax[i] = vUsed;
    }
    const denom = f(f(f(Math.sqrt(vUsed)) / correction2) + eps);
    x[i] = f(xi - f(f(mi / denom) * stepSize));
  }
}

function adamFloat64(x: Float64Array, gd: Float64Array, m: Float64Array, v: Float64Array, vmax: Float64Array | null, h: AdamStep): void {
  const { wd, decay, beta1, beta2, eps, stepSize, correction2 } = h;
  for (let i = 0; i < x.length; i++) {
    const xi = decay !== 1 ? x[i] * decay : x[i];
    const g = wd !== 0 ? gd[i] + xi * wd : gd[i];
    const mi = m[i] * beta1 + g * (1 - beta1);
    const vi = v[i] * beta2 + g * g * (1 - beta2);
    m[i] = mi;
    v[i] = vi;
    let vUsed = vi;
    if (vmax !== null) {
      vUsed = Math.max(vmax[i], vi); // NaN-propagating, as torch.maximum (and WebAssembly's max)
      vmax[i] = vUsed;
    }
    x[i] = xi - (mi / (Math.sqrt(vUsed) / correction2 + eps)) * stepSize;
  }
}

/**
 * One RMSprop step in place, as torch.optim.RMSprop: g = grad + wd·x, sq = α·sq + (1-α)·g²; centered
 * (gAvg given): gAvg = α·gAvg + (1-α)·g and avg = √(sq - gAvg²), else avg = √sq; avg += eps; with
 * momentum: buf = momentum·buf + g/avg, x -= lr·buf; without: x -= lr·g/avg.
 */
export function rmspropStep(x: Storage, grad: Storage, sq: Storage, gAvg: Storage | null, buf: Storage | null, h: RmspropStep): void {
  if (x instanceof Float32Array) {
    rmspropFloat32(x, grad as Float32Array, sq as Float32Array, gAvg as Float32Array | null, buf as Float32Array | null, h);
  } else {
    rmspropFloat64(x as Float64Array, grad as Float64Array, sq as Float64Array, gAvg as Float64Array | null, buf as Float64Array | null, h);
  }
}

function rmspropFloat32(
  x: Float32Array,
  gd: Float32Array,
  sq: Float32Array,
  gAvg: Float32Array | null,
  buf: Float32Array | null,
  h: RmspropStep,
): void {
  const f = Math.fround;
  const [wd, alpha, keep, eps, lr, momentum] = [f(h.wd), f(h.alpha), f(1 - h.alpha), f(h.eps), f(h.lr), f(h.momentum)];
  for (let i = 0; i < x.length; i++) {
    const g = wd !== 0 ? f(gd[i] + f(x[i] * wd)) : gd[i];
    const s = f(f(sq[i] * alpha) + f(f(g * g) * keep));
    sq[i] = s;
    let avg: number;
    if (gAvg !== null) {
      const a = f(f(gAvg[i] * alpha) + f(g * keep));
      gAvg[i] = a;
      avg = f(Math.sqrt(f(s - f(a * a))));
    } else {
      avg = f(Math.sqrt(s));
    }
    avg = f(avg + eps);
    if (buf !== null) {
      const b = f(f(buf[i] * momentum) + f(g / avg));
      buf[i] = b;
      x[i] = f(x[i] - f(b * lr));
    } else {
      x[i] = f(x[i] - f(f(g / avg) * lr));
    }
  }
}

function rmspropFloat64(
  x: Float64Array,
  gd: Float64Array,
  sq: Float64Array,
  gAvg: Float64Array | null,
  buf: Float64Array | null,
  h: RmspropStep,
): void {
  const { wd, alpha, eps, lr, momentum } = h;
  for (let i = 0; i < x.length; i++) {
    const g = wd !== 0 ? gd[i] + x[i] * wd : gd[i];
    const s = sq[i] * alpha + g * g * (1 - alpha);
    sq[i] = s;
    let avg: number;
    if (gAvg !== null) {
      const a = gAvg[i] * alpha + g * (1 - alpha);
      gAvg[i] = a;
      avg = Math.sqrt(s - a * a);
    } else {
      avg = Math.sqrt(s);
    }
    avg = avg + eps;
    if (buf !== null) {
      const b = buf[i] * momentum + g / avg;
      buf[i] = b;
      x[i] = x[i] - b * lr;
    } else {
      x[i] = x[i] - (g / avg) * lr;
    }
  }
}

/** One Adagrad step in place, as torch.optim.Adagrad: g = grad + wd·x, sum += g², x -= clr·g/(√sum + eps). */
export function adagradStep(x: Storage, grad: Storage, sum: Storage, h: AdagradStep): void {
  if (x instanceof Float32Array) adagradFloat32(x, grad as Float32Array, sum as Float32Array, h);
  else adagradFloat64(x as Float64Array, grad as Float64Array, sum as Float64Array, h);
}

function adagradFloat32(x: Float32Array, gd: Float32Array, sum: Float32Array, h: AdagradStep): void {
  const f = Math.fround;
  const [wd, eps, clr] = [f(h.wd), f(h.eps), f(h.clr)];
  for (let i = 0; i < x.length; i++) {
    const g = wd !== 0 ? f(gd[i] + f(x[i] * wd)) : gd[i];
    const s = f(sum[i] + f(g * g));
    sum[i] = s;
    const std = f(f(Math.sqrt(s)) + eps);
    x[i] = f(x[i] - f(f(g / std) * clr));
  }
}

function adagradFloat64(x: Float64Array, gd: Float64Array, sum: Float64Array, h: AdagradStep): void {
  const { wd, eps, clr } = h;
  for (let i = 0; i < x.length; i++) {
    const g = wd !== 0 ? gd[i] + x[i] * wd : gd[i];
    const s = sum[i] + g * g;
    sum[i] = s;
    x[i] = x[i] - (g / (Math.sqrt(s) + eps)) * clr;
  }
}
