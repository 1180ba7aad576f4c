/**
 * @file Adam, step for step as torch.optim.Adam (weight decay is L2 added to the gradient, not
 * AdamW's decoupled decay):
 *   t += 1;  g = grad + weightDecay·p
 *   m = β1·m + (1 - β1)·g;   v = β2·v + (1 - β2)·g²
 *   p = p - (lr / (1 - β1^t)) · m / (√v / √(1 - β2^t) + eps)
 */
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
    const { data: x } = p;
    if (x instanceof Float32Array)
      adamFloat32(x, grad.data as Float32Array, state.expAvg.data as Float32Array, state.expAvgSq.data as Float32Array, h);
    else adamFloat64(x, grad.data as Float64Array, state.expAvg.data as Float64Array, state.expAvgSq.data as Float64Array, h);
  }
}

interface AdamStep {
  wd: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 - β1^t). */
  stepSize: number;
  /** √(1 - β2^t). */
  correction2: number;
}

// Note [fused updates]: as SGD's, one loop per dtype, Math.fround called by name.
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
