/**
 * @file Adagrad, step for step as torch.optim.Adagrad:
 *   t += 1;  g = ±grad + weightDecay·p;  clr = lr / (1 + (t - 1)·lrDecay)
 *   sum = sum + g²;  p = p - clr · g / (√sum + eps)
 * As PyTorch, the state (sum = initialAccumulatorValue, step 0) is created with the parameter's
 * group, not on its first step, so a fresh optimiser's stateDict already holds it.
 */
import { kernels } from '../kernels';
import { full } from '../tensor/create';
import { Tensor } from '../tensor/tensor';
import { checkCommon, checkHyper, Optimizer, ParamGroup, Params } from './optimizer';

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  eps?: number;
  initialAccumulatorValue?: number;
  maximize?: boolean;
}

type AdagradHyper = Required<AdagradOptions>;

interface AdagradState {
  step: number;
  sum: Tensor;
}

export class Adagrad extends Optimizer<AdagradState, AdagradHyper> {
  protected readonly stateKeys = ['step', 'sum'];

  constructor(params: Params<AdagradHyper>, opts: AdagradOptions = {}) {
    super(
      params,
      {
        lr: opts.lr ?? 1e-2,
        lrDecay: opts.lrDecay ?? 0,
        weightDecay: opts.weightDecay ?? 0,
        eps: opts.eps ?? 1e-10,
        initialAccumulatorValue: opts.initialAccumulatorValue ?? 0,
        maximize: opts.maximize ?? false,
      },
      'Adagrad',
      opts,
    );
  }

  protected checkOptions(o: AdagradHyper, where: string): AdagradHyper {
    const at = where === 'options' ? 'Adagrad' : `Adagrad (${where})`;
    checkCommon('Adagrad', where, o);
    checkHyper(at, 'lrDecay', o.lrDecay, (v) => v >= 0, 'a non-negative number');
    checkHyper(at, 'initialAccumulatorValue', o.initialAccumulatorValue, (v) => v >= 0, 'a non-negative number');
    return o;
  }

  protected override onAddGroup(group: ParamGroup<AdagradHyper>): void {
    for (const p of group.params) this.state.set(p, { step: 0, sum: full(p.shape, group.initialAccumulatorValue, { dtype: p.dtype }) });
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<AdagradHyper>): void {
    const state = this.state.get(p)!;
    state.step += 1;
    const h = { wd: group.weightDecay, eps: group.eps, clr: group.lr / (1 + (state.step - 1) * group.lrDecay) };
    kernels().adagradStep(p.data, grad.data, state.sum.data, h);
  }
}
