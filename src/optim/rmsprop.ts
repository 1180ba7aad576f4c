/**
 * @file RMSprop, step for step as torch.optim.RMSprop (Hinton's, with PyTorch's eps outside the root):
 *   g = ±grad + weightDecay·p
 *   sq = α·sq + (1 - α)·g²
 *   centered: gAvg = α·gAvg + (1 - α)·g;  avg = √(sq - gAvg²) + eps;  else avg = √sq + eps
 *   momentum > 0: buf = momentum·buf + g/avg;  p = p - lr·buf;   else p = p - lr·g/avg
 */
import { kernels } from '../kernels';
import { zeros } from '../tensor/create';
import { Tensor } from '../tensor/tensor';
import { checkCommon, checkHyper, Optimizer, ParamGroup, Params } from './optimizer';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

type RMSpropHyper = Required<RMSpropOptions>;

interface RMSpropState {
  step: number;
  square_avg: Tensor;
  momentum_buffer?: Tensor;
  grad_avg?: Tensor;
}

export class RMSprop extends Optimizer<RMSpropState, RMSpropHyper> {
  protected readonly stateKeys = ['step', 'square_avg', 'momentum_buffer', 'grad_avg'];

  constructor(params: Params<RMSpropHyper>, opts: RMSpropOptions = {}) {
    super(
      params,
      {
        lr: opts.lr ?? 1e-2,
        alpha: opts.alpha ?? 0.99,
        eps: opts.eps ?? 1e-8,
        weightDecay: opts.weightDecay ?? 0,
        momentum: opts.momentum ?? 0,
        centered: opts.centered ?? false,
        maximize: opts.maximize ?? false,
      },
      'RMSprop',
      opts,
    );
  }

  protected checkOptions(o: RMSpropHyper, where: string): RMSpropHyper {
    const at = where === 'options' ? 'RMSprop' : `RMSprop (${where})`;
    checkCommon('RMSprop', where, o);
    checkHyper(at, 'alpha', o.alpha, (v) => v >= 0, 'a non-negative number');
    checkHyper(at, 'momentum', o.momentum, (v) => v >= 0, 'a non-negative number');
    return o;
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<RMSpropHyper>): void {
    let state = this.state.get(p);
    if (state === undefined) {
      state = { step: 0, square_avg: zeros(p.shape, { dtype: p.dtype }) };
      this.state.set(p, state);
    }
    // Buffers a group gains after its first step (momentum or centered switched on) start at zero, as PyTorch's.
    if (group.momentum > 0 && state.momentum_buffer === undefined) state.momentum_buffer = zeros(p.shape, { dtype: p.dtype });
    if (group.centered && state.grad_avg === undefined) state.grad_avg = zeros(p.shape, { dtype: p.dtype });
    state.step += 1;
    const h = { wd: group.weightDecay, alpha: group.alpha, eps: group.eps, lr: group.lr, momentum: group.momentum };
    const gAvg = group.centered ? state.grad_avg!.data : null;
    const buf = group.momentum > 0 ? state.momentum_buffer!.data : null;
    kernels().rmspropStep(p.data, grad.data, state.square_avg.data, gAvg, buf, h);
  }
}
