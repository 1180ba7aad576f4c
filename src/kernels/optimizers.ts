/**
 * @file Optimiser updates as kernels: SGD's step over one parameter in one loop (Note [fused updates]
 * in src/optim/optimizer.ts), float32 rounding every intermediate as the op-by-op formula did.
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
  else sgdFloat64(x, grad as Float64Array, buf as Float64Array | null, h);
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
