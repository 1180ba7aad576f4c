/**
 * @file Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
 * step for step as torch.optim.SGD:
 *   g = ±grad + weightDecay·p            (minus when maximize)
 *   buf = g on the first step, else momentum·buf + (1 - dampening)·g
 *   g = nesterov ? g + momentum·buf : buf
 *   p = p - lr·g
 */
import { kernels } from '../kernels';
import { allocate } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { checkCommon, checkHyper, Optimizer, ParamGroup, Params } from './optimizer';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

type SGDHyper = Required<SGDOptions>;

export class SGD extends Optimizer<{ momentum_buffer?: Tensor }, SGDHyper> {
  protected readonly stateKeys = ['momentum_buffer'];

  constructor(params: Params<SGDHyper>, opts: SGDOptions) {
    super(
      params,
      {
        lr: opts?.lr,
        momentum: opts?.momentum ?? 0,
        dampening: opts?.dampening ?? 0,
        weightDecay: opts?.weightDecay ?? 0,
        nesterov: opts?.nesterov ?? false,
        maximize: opts?.maximize ?? false,
      },
      'SGD',
      opts,
    );
  }

  protected checkOptions(o: SGDHyper, where: string): SGDHyper {
    const at = where === 'options' ? 'SGD' : `SGD (${where})`;
    checkCommon('SGD', where, o);
    checkHyper(at, 'momentum', o.momentum, (v) => v >= 0, 'a non-negative number');
    checkHyper(at, 'dampening', o.dampening, (v) => v >= 0 && v <= 1, 'in [0,1]');
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new Error(`${at}: nesterov momentum needs momentum > 0 and dampening 0, got momentum ${o.momentum}, dampening ${o.dampening}`);
    }
    return o;
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<SGDHyper>): void {
    let buf: Float32Array | Float64Array | null = null;
    let first = false;
    if (group.momentum !== 0) {
      const state = this.state.get(p);
      if (state?.momentum_buffer === undefined) {
        buf = allocate(p.dtype, p.size) as Float32Array | Float64Array;
        this.state.set(p, { momentum_buffer: new Tensor(buf, [...p.shape]) });
        first = true;
      } else {
        buf = state.momentum_buffer.data as Float32Array | Float64Array;
      }
    }
    const h = { wd: group.weightDecay, momentum: group.momentum, keep: 1 - group.dampening, lr: group.lr, nesterov: group.nesterov, first };
    kernels().sgdStep(p.data, grad.data, buf, h);
  }
}
