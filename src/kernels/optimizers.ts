/**
 * @file Optimiser updates as kernels: SGD's and Adam's step over one parameter in one loop (Note
 * [fused updates] in src/optim/optimizer.ts), float32 rounding every intermediate as the op-by-op
 * formula did.
 */
import type { Storage } from '../tensor/dtype';

export interface SgdStep {
  wd: number;
  momentum: number;
  /** 1 - dampening. */
  keep: number;
  lr: number;
  nesterov: boolean;
  /** The momentum buffer is new: it takes the gradient as it is. */
  first: boolean;
}

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

export interface AdamStep {
  wd: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 - β1^t). */
  stepSize: number;
  /** √(1 - β2^t). */
  correction2: number;
}

/** m, v and x updated in place, as torch.optim.Adam (weight decay added to the gradient). */
export function adamStep(x: Storage, grad: Storage, m: Storage, v: Storage, h: AdamStep): void {
  if (x instanceof Float32Array) adamFloat32(x, grad as Float32Array, m as Float32Array, v as Float32Array, h);
  else adamFloat64(x as Float64Array, grad as Float64Array, m as Float64Array, v as Float64Array, h);
}

function adamFloat32(x: Float32Array, gd: Float32Array, m: Float32Array, v: Float32Array, h: AdamStep): void {
  const f = Math.fround;
  const [wd, beta1, keep1, beta2, keep2, eps] = [f(h.wd), f(h.beta1), f(1 - h.beta1), f(h.beta2), f(1 - h.beta2), f(h.eps)];
  const stepSize = f(h.stepSize);
  const correction2 = f(h.correction2);
  for (let i = 0; i < x.length; i++) {
    const g = wd !== 0 ? f(gd[i] + f(x[i] * wd)) : gd[i];
    const mi = f(f(m[i] * beta1) + f(g * keep1));
    const vi = f(f(v[i] * beta2) + f(f(g * g) * keep2));
    m[i] = mi;
    v[i] = vi;
    const denom = f(f(f(Math.sqrt(vi)) / correction2) + eps);
    x[i] = f(x[i] - f(f(mi / denom) * stepSize));
  }
}

function adamFloat64(x: Float64Array, gd: Float64Array, m: Float64Array, v: Float64Array, h: AdamStep): void {
  const { wd, beta1, beta2, eps, stepSize, correction2 } = h;
  for (let i = 0; i < x.length; i++) {
    const g = wd !== 0 ? gd[i] + x[i] * wd : gd[i];
    const mi = m[i] * beta1 + g * (1 - beta1);
    const vi = v[i] * beta2 + g * g * (1 - beta2);
    m[i] = mi;
    v[i] = vi;
    x[i] = x[i] - (mi / (Math.sqrt(vi) / correction2 + eps)) * stepSize;
  }
}
