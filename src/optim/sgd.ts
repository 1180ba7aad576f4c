/**
 * @file Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
 * step for step as torch.optim.SGD:
 *   g = grad + weightDecay·p
 *   buf = g on the first step, else momentum·buf + (1 - dampening)·g
 *   g = nesterov ? g + momentum·buf : buf
 *   p = p - lr·g
 */
import { kernels } from '../kernels';
import { allocate, Storage } from '../tensor/dtype';
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
    let buf: Storage | null = null;
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
    kernels().sgdStep(x, grad.data, buf, h);
  }
}
