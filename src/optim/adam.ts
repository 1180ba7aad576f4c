/**
 * @file Adam and AdamW, step for step as torch.optim.Adam and torch.optim.AdamW. Adam's weight decay
 * is L2 added to the gradient; AdamW's is decoupled, the parameter shrunk by 1 - lr·weightDecay
 * before the update:
 *   t += 1;  p = p·(1 - lr·λ) (AdamW);  g = ±grad + λ·p (Adam)
 *   m = β1·m + (1 - β1)·g;   v = β2·v + (1 - β2)·g²;   v̂ = amsgrad ? (vmax = max(vmax, v)) : v
 *   p = p - (lr / (1 - β1^t)) · m / (√v̂ / √(1 - β2^t) + eps)
 */
import { kernels } from '../kernels';
import { zeros } from '../tensor/create';
import { Tensor } from '../tensor/tensor';
import { checkCommon, checkHyper, Optimizer, ParamGroup, Params } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

type AdamHyper = Required<AdamOptions>;

interface AdamState {
  step: number;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
  max_exp_avg_sq?: Tensor;
}

/** Adam and AdamW differ only in where the weight decay goes. */
abstract class AdamBase extends Optimizer<AdamState, AdamHyper> {
  protected readonly stateKeys = ['step', 'exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'];
  protected abstract readonly decoupled: boolean;

  protected checkOptions(o: AdamHyper, where: string): AdamHyper {
    const at = where === 'options' ? this.name : `${this.name} (${where})`;
    checkCommon(this.name, where, o);
    const inUnit = (v: number) => v >= 0 && v < 1;
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`${at}: betas must be a pair of numbers, got ${o.betas}`);
    checkHyper(at, 'betas[0]', o.betas[0], inUnit, 'in [0,1)');
    checkHyper(at, 'betas[1]', o.betas[1], inUnit, 'in [0,1)');
    return { ...o, betas: [o.betas[0], o.betas[1]] };
  }

  /** torch 2 writes `decoupled_weight_decay` (false for Adam, true for AdamW): the other value is the other optimiser's update. */
  protected override acceptsGroupKey(key: string, value: unknown, where: string): boolean {
    if (key !== 'decoupled_weight_decay') return false;
    if (value === null || value === undefined || value === this.decoupled) return true;
    throw new Error(
      `${where} has decoupled_weight_decay ${value}, which is ${value ? 'AdamW' : 'Adam'}'s update, not ${this.name}'s (a state dict of ${value ? 'AdamW' : 'Adam'}?)`,
    );
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<AdamHyper>): void {
    let state = this.state.get(p);
    if (state === undefined) {
      state = { step: 0, exp_avg: zeros(p.shape, { dtype: p.dtype }), exp_avg_sq: zeros(p.shape, { dtype: p.dtype }) };
      this.state.set(p, state);
    }
    if (group.amsgrad && state.max_exp_avg_sq === undefined) state.max_exp_avg_sq = zeros(p.shape, { dtype: p.dtype });
    state.step += 1;
    const [beta1, beta2] = group.betas;
    const h = {
      wd: this.decoupled ? 0 : group.weightDecay,
      decay: this.decoupled ? 1 - group.lr * group.weightDecay : 1,
      beta1,
      beta2,
      eps: group.eps,
      stepSize: group.lr / (1 - beta1 ** state.step),
      correction2: Math.sqrt(1 - beta2 ** state.step),
    };
    const vmax = group.amsgrad ? state.max_exp_avg_sq!.data : null;
    kernels().adamStep(p.data, grad.data, state.exp_avg.data, state.exp_avg_sq.data, vmax, h);
  }
}

export class Adam extends AdamBase {
  protected readonly decoupled = false;

  constructor(params: Params<AdamHyper>, opts: AdamOptions = {}) {
    super(params, adamDefaults(opts, 0), 'Adam', opts);
  }
}

export class AdamW extends AdamBase {
  protected readonly decoupled = true;

  constructor(params: Params<AdamHyper>, opts: AdamOptions = {}) {
    super(params, adamDefaults(opts, 1e-2), 'AdamW', opts);
  }
}

function adamDefaults(o: AdamOptions, weightDecay: number): AdamHyper {
  return {
    lr: o.lr ?? 1e-3,
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? weightDecay,
    amsgrad: o.amsgrad ?? false,
    maximize: o.maximize ?? false,
  };
}
