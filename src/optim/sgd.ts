/**
 * @file Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
 * step for step as torch.optim.SGD:
 *   g = grad + weightDecay·p
 *   buf = g on the first step, else momentum·buf + (1 - dampening)·g
 *   g = nesterov ? g + momentum·buf : buf
 *   p = p - lr·g
 */
import { allocate } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { checkHyper, Optimizer } from './optimizer';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer<{ momentumBuffer: Tensor }> {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    super(params, 'SGD');
    const nonNegative = (v: number) => v >= 0;
    this.lr = checkHyper('SGD', 'lr', opts?.lr, nonNegative, 'a non-negative number');
    this.momentum = checkHyper('SGD', 'momentum', opts.momentum ?? 0, nonNegative, 'a non-negative number');
    this.dampening = checkHyper('SGD', 'dampening', opts.dampening ?? 0, (v) => v >= 0 && v <= 1, 'in [0,1]');
    this.weightDecay = checkHyper('SGD', 'weightDecay', opts.weightDecay ?? 0, nonNegative, 'a non-negative number');
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error(
        `SGD: nesterov momentum needs momentum > 0 and dampening 0, got momentum ${this.momentum}, dampening ${this.dampening}`,
      );
    }
  }

  protected update(p: Tensor, grad: Tensor): void {
    const x = p.data;
    let buf: Float32Array | Float64Array | null = null;
    let first = false;
    if (this.momentum !== 0) {
      const state = this.state.get(p);
      if (state === undefined) {
        buf = allocate(p.dtype, p.size);
        this.state.set(p, { momentumBuffer: new Tensor(buf, p.shape) });
        first = true;
      } else {
        buf = state.momentumBuffer.data;
      }
    }
    const h = { wd: this.weightDecay, momentum: this.momentum, keep: 1 - this.dampening, lr: this.lr, nesterov: this.nesterov, first };
    if (x instanceof Float32Array) sgdFloat32(x, grad.data as Float32Array, buf as Float32Array | null, h);
    else sgdFloat64(x, grad.data as Float64Array, buf as Float64Array | null, h);
  }
}

interface SgdStep {
  wd: number;
  momentum: number;
  /** 1 - dampening. */
  keep: number;
  lr: number;
  nesterov: boolean;
  /** The momentum buffer is new: it takes the gradient as it is. */
  first: boolean;
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
