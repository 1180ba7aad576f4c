/**
 * @file Adam, step for step as torch.optim.Adam (weight decay is L2 added to the gradient, not
 * AdamW's decoupled decay):
 *   t += 1;  g = grad + weightDecay·p
 *   m = β1·m + (1 - β1)·g;   v = β2·v + (1 - β2)·g²
 *   p = p - (lr / (1 - β1^t)) · m / (√v / √(1 - β2^t) + eps)
 */
import { kernels } from '../kernels';
import { zeros } from '../tensor/create';
import { Tensor } from '../tensor/tensor';
import { checkHyper, Optimizer } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

interface AdamState {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
}

export class Adam extends Optimizer<AdamState> {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, 'Adam');
    const inUnit = (v: number) => v >= 0 && v < 1;
    this.lr = checkHyper('Adam', 'lr', opts.lr ?? 1e-3, (v) => v >= 0, 'a non-negative number');
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    this.betas = [checkHyper('Adam', 'betas[0]', b1, inUnit, 'in [0,1)'), checkHyper('Adam', 'betas[1]', b2, inUnit, 'in [0,1)')];
    this.eps = checkHyper('Adam', 'eps', opts.eps ?? 1e-8, (v) => v >= 0, 'a non-negative number');
    this.weightDecay = checkHyper('Adam', 'weightDecay', opts.weightDecay ?? 0, (v) => v >= 0, 'a non-negative number');
  }

  protected update(p: Tensor, grad: Tensor): void {
    let state = this.state.get(p);
    if (state === undefined) {
      state = { step: 0, expAvg: zeros(p.shape, { dtype: p.dtype }), expAvgSq: zeros(p.shape, { dtype: p.dtype }) };
      this.state.set(p, state);
    }
    state.step += 1;
    const h = {
      wd: this.weightDecay,
      beta1: this.betas[0],
      beta2: this.betas[1],
      eps: this.eps,
      stepSize: this.lr / (1 - this.betas[0] ** state.step),
      correction2: Math.sqrt(1 - this.betas[1] ** state.step),
    };
    kernels().adamStep(p.data, grad.data, state.expAvg.data, state.expAvgSq.data, h);
  }
}
