/**
 * @file The optimiser base, as torch.optim.Optimizer: parameter groups (each a list of parameters
 * with its own hyper-parameters, the optimiser's defaults filling in what a group leaves out),
 * per-parameter state, step(), zeroGrad(), addParamGroup(), and stateDict()/loadStateDict() in
 * PyTorch's layout. Updates run under noGrad and write in place into p.data, so models, views and
 * saved references see the new values and no graph is recorded.
 *
 * Note [fused updates]: an update is one loop over the parameter's elements rather than a chain of
 * tensor ops (SGD with momentum and weight decay was seven, each allocating a tensor of the
 * parameter's size). The float32 loop rounds every intermediate to float32 (Math.fround), as each op
 * of the chain did when it stored its result, so the updates are bit for bit the ones the ops computed.
 *
 * Note [optimizer state dicts]: stateDict() is torch.optim.Optimizer.state_dict()'s layout, keys and
 * all: `{state: {0: {step, exp_avg, …}, …}, param_groups: [{lr, betas, weight_decay, …, params: [0, 1]}]}`,
 * parameters numbered across the groups in order, hyper-parameters under PyTorch's snake_case names
 * (the groups themselves use camelCase: `paramGroups[0].weightDecay`), state tensors as copies. So a
 * dict compares key for key with PyTorch's. loadStateDict takes that dict back (its tensors either
 * Tensors or `{shape, data}`, so a JSON round trip works too) and, as PyTorch, restores the groups'
 * hyper-parameters with the state; a dict of another optimizer (a state key or a hyper-parameter this
 * one does not have) or of other parameters (group or parameter counts, shapes) throws.
 */
import { noGrad } from '../autograd/mode';
import { rejectUnknownOptions } from '../ops/arguments';
import { zeros } from '../tensor/create';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

/** One parameter group: its parameters and its hyper-parameters (schedulers change `lr` here). */
export type ParamGroup<O extends object = Record<string, unknown>> = O & {
  params: Tensor[];
  lr: number;
  /** The lr a scheduler started from (set by the first scheduler built on the optimiser, as PyTorch). */
  initialLr?: number;
  [option: string]: unknown;
};

/** A group as the constructor or addParamGroup takes it: parameters, and any options to override. */
export type ParamGroupInput<O extends object> = { params: Iterable<Tensor> } & Partial<O>;

/** What an optimiser is built on: a list of tensors (one group) or a list of groups. */
export type Params<O extends object> = Iterable<Tensor> | ParamGroupInput<O>[];

/** A tensor in a state dict: a Tensor, or its JSON form. */
export type StateTensor = Tensor | { shape: number[]; data: number[] };

/** torch.optim's state_dict layout (Note [optimizer state dicts]). */
export interface OptimizerStateDict {
  state: Record<string, Record<string, StateTensor | number>>;
  param_groups: ({ params: number[] } & Record<string, unknown>)[];
}

/** Per-parameter state: numbers (step counts) and tensors of the parameter's shape, under PyTorch's keys. */
export type ParamState = Record<string, Tensor | number>;

/** Keys a loaded group may carry besides the optimiser's own: schedulers' and PyTorch's implementation flags. */
const FOREIGN_GROUP_KEYS = new Set([
  'initial_lr',
  'max_lr',
  'min_lr',
  'base_lr',
  'max_momentum',
  'base_momentum',
  'foreach',
  'capturable',
  'differentiable',
  'fused',
]);

/** PyTorch's options that choose an implementation, not the update: taken and ignored. */
const IMPLEMENTATION_FLAGS = ['foreach', 'capturable', 'differentiable', 'fused'];

export const snakeCase = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const camelCase = (k: string): string => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

export abstract class Optimizer<S = unknown, O extends object = Record<string, unknown>> {
  readonly paramGroups: ParamGroup<O>[] = [];
  /** The options every group starts from (the constructor's, with the optimiser's defaults). */
  readonly defaults: O & { lr: number };
  /** Per-parameter state (momentum buffers, moments), created on the parameter's first step. */
  protected readonly state = new Map<Tensor, S>();

  protected constructor(
    params: Params<O>,
    defaults: O & { lr: number },
    readonly name: string,
    /** The options as the caller gave them: a key the optimiser does not take throws, naming it (a misspelt option is not silently a default). */
    given?: object,
  ) {
    rejectUnknownOptions(name, given, Object.keys(defaults), undefined, IMPLEMENTATION_FLAGS);
    this.defaults = this.checkOptions(defaults, 'options');
    const list = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    if (list.length === 0) throw new Error(`${name}: got an empty parameter list`);
    if (list.every((g) => !(g instanceof Tensor) && typeof g === 'object' && g !== null && 'params' in g)) {
      for (const g of list as ParamGroupInput<O>[]) this.addParamGroup(g);
    } else {
      this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInput<O>);
    }
  }

  /** Every parameter, group after group (the numbering stateDict uses). */
  get params(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** The first group's learning rate; setting it sets every group's (a shortcut for one-group optimisers). */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  set lr(v: number) {
    for (const g of this.paramGroups) g.lr = v;
  }

  /** Adds a group of parameters; the options it leaves out are the optimiser's defaults (torch's add_param_group). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const where = `parameter group ${this.paramGroups.length}`;
    if (typeof group !== 'object' || group === null || !('params' in group) || group.params === undefined) {
      throw new Error(`${this.name}: ${where} must be an object with a params list`);
    }
    const params = group.params instanceof Tensor ? [group.params] : [...group.params];
    if (params.length === 0) throw new Error(`${this.name}: ${where} has an empty parameter list`);
    const seen = new Set(this.params);
    const offset = seen.size;
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${this.name}: parameter ${offset + i} (${where}) is not a Tensor`);
      if (!p.isLeaf) {
        throw new Error(`${this.name}: parameter ${offset + i} of shape ${fmt(p.shape)} is not a leaf tensor and cannot be optimised`);
      }
      if (p.dtype !== 'float32' && p.dtype !== 'float64') {
        throw new Error(
          `${this.name}: parameter ${offset + i} of shape ${fmt(p.shape)} is ${p.dtype}; only float32 and float64 tensors can be optimised`,
        );
      }
      if (seen.has(p)) throw new Error(`${this.name}: parameter ${offset + i} of shape ${fmt(p.shape)} appears in more than one group`);
      seen.add(p);
    });
    const options: Record<string, unknown> = { ...this.defaults };
    for (const [k, v] of Object.entries(group)) {
      if (k === 'params' || v === undefined) continue;
      if (!(k in this.defaults) && k !== 'initialLr') {
        throw new Error(`${this.name}: ${where} has an unknown option '${k}' (options: ${Object.keys(this.defaults).join(', ')})`);
      }
      options[k] = v;
    }
    const checked = this.checkOptions(options as O & { lr: number }, where);
    this.paramGroups.push({ ...checked, params } as ParamGroup<O>);
    this.onAddGroup(this.paramGroups[this.paramGroups.length - 1]);
  }

  /** Throws when an option is out of range, naming the optimiser and `where`; returns the options. */
  protected abstract checkOptions(o: O & { lr: number }, where: string): O & { lr: number };

  /** State created with the group rather than on the first step (Adagrad's accumulators). */
  protected onAddGroup(_group: ParamGroup<O>): void {}

  /**
   * One update of every parameter that has a gradient. With a closure (PyTorch's step(closure)), first
   * calls it — it re-evaluates the model and runs backward — and returns what it returned (the loss).
   */
  step<L = undefined>(closure?: () => L): L {
    if (closure !== undefined && typeof closure !== 'function') {
      throw new Error(`${this.name}.step: the closure must be a function that returns the loss, got ${typeof closure}`);
    }
    const loss = closure?.() as L;
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (p.grad === null) continue;
          if (p.grad.size !== p.size) {
            throw new Error(`${this.name}: gradient ${fmt(p.grad.shape)} does not match parameter ${fmt(p.shape)}`);
          }
          // PyTorch negates the gradient first; negation is exact, so the rest of the update is the usual one.
          const grad =
            group.maximize === true
              ? new Tensor(
                  p.grad.data.map((v) => -v),
                  p.shape,
                )
              : p.grad;
          this.update(p, grad, group);
        }
      }
    });
    return loss;
  }

  /** Updates p.data (and the parameter's state) in place from its gradient (Note [fused updates]). */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<O>): void;

  /** The state keys this optimiser keeps (a loaded dict with another key is of another optimiser). */
  protected abstract readonly stateKeys: readonly string[];

  /** The state and the groups' hyper-parameters, in torch.optim's layout (Note [optimizer state dicts]). */
  stateDict(): OptimizerStateDict {
    const state: OptimizerStateDict['state'] = {};
    const paramGroups: OptimizerStateDict['param_groups'] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(group)) {
        if (k === 'params') continue;
        out[snakeCase(k)] = Array.isArray(v) ? [...v] : v;
      }
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s !== undefined) {
          const entry: Record<string, Tensor | number> = {};
          for (const [k, v] of Object.entries(s as ParamState))
            entry[k] = v instanceof Tensor ? new Tensor(v.data.slice(), [...v.shape]) : v;
          state[String(index)] = entry;
        }
        ids.push(index++);
      }
      paramGroups.push({ ...out, params: ids });
    }
    return { state, param_groups: paramGroups };
  }

  /** Restores what stateDict() returned, for the same parameters in the same groups (Note [optimizer state dicts]). */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (typeof sd !== 'object' || sd === null || typeof sd.state !== 'object' || !Array.isArray(sd.param_groups)) {
      throw new Error(`${where}: expected {state, param_groups}`);
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new Error(`${where}: the dict has ${sd.param_groups.length} parameter groups, the optimizer ${this.paramGroups.length}`);
    }
    const own = new Set(Object.keys(this.defaults).map(snakeCase));
    const groups: Record<string, unknown>[] = [];
    const byIndex = new Map<number, Tensor>();
    sd.param_groups.forEach((saved, gi) => {
      const group = this.paramGroups[gi];
      if (!Array.isArray(saved.params) || saved.params.length !== group.params.length) {
        throw new Error(`${where}: group ${gi} of the dict has ${saved.params?.length} parameters, the optimizer's ${group.params.length}`);
      }
      saved.params.forEach((id, i) => byIndex.set(id, group.params[i]));
      for (const k of own) {
        if (!(k in saved)) throw new Error(`${where}: group ${gi} of the dict has no '${k}' (a state dict of another optimizer?)`);
      }
      const options: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(saved)) {
        if (k === 'params') continue;
        if (
          !own.has(k) &&
          !FOREIGN_GROUP_KEYS.has(k) &&
          k !== 'maximize' &&
          !this.acceptsGroupKey(k, v, `${where}: group ${gi} of the dict`)
        ) {
          throw new Error(
            `${where}: group ${gi} of the dict has '${k}', which ${this.name} does not take (a state dict of another optimizer?)`,
          );
        }
        if (own.has(k) || k.endsWith('_lr') || k.endsWith('_momentum')) options[camelCase(k)] = Array.isArray(v) ? [...v] : v;
      }
      groups.push(options);
    });
    const state = new Map<Tensor, S>();
    for (const [key, entry] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (p === undefined) throw new Error(`${where}: the dict has state for parameter ${key}, which no group lists`);
      const s: ParamState = {};
      for (const [k, v] of Object.entries(entry)) {
        if (!this.stateKeys.includes(k)) {
          throw new Error(
            `${where}: parameter ${key}'s state has '${k}', which ${this.name} does not keep (a state dict of another optimizer?)`,
          );
        }
        if (v === null || v === undefined) continue;
        s[k] = stateValue(v, p, k === 'step', `${where}: ${k} of parameter ${key}`);
      }
      state.set(p, s as S);
    }
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
    groups.forEach((g, gi) => Object.assign(this.paramGroups[gi], g));
  }

  /**
   * Whether a loaded group may carry `key`, an option of this optimiser in another PyTorch version
   * that this one has no field for (it is then not stored); may throw, naming `where`, when the value
   * says the dict is of another optimiser.
   */
  protected acceptsGroupKey(_key: string, _value: unknown, _where: string): boolean {
    return false;
  }

  /**
   * Clears every parameter's gradient: to null (PyTorch's set_to_none, the default here as in torch 2),
   * or with setToNone false to a zero tensor of the gradient's shape (torch 1.13's default).
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      if (setToNone || p.grad === null) p.grad = null;
      else p.grad = zeros(p.grad.shape, { dtype: p.grad.dtype });
    }
  }
}

/** A loaded state value: a count as a number (PyTorch keeps `step` as a one-element tensor), a tensor copied into p's dtype. */
function stateValue(v: StateTensor | number, p: Tensor, isCount: boolean, what: string): Tensor | number {
  if (typeof v === 'number') return v;
  const data = v instanceof Tensor ? v.data : v.data;
  const shape = v instanceof Tensor ? v.shape : v.shape;
  if (isCount) {
    if (data.length !== 1) throw new Error(`${what} must be a number, got a tensor of shape ${fmt(shape)}`);
    return Number(data[0]);
  }
  if (data.length !== p.size || shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
    throw new Error(`${what} has shape ${fmt(shape)}, the parameter ${fmt(p.shape)}`);
  }
  const copy = p.dtype === 'float64' ? Float64Array.from(data as ArrayLike<number>) : Float32Array.from(data as ArrayLike<number>);
  return new Tensor(copy, [...p.shape]);
}

export function checkHyper(op: string, name: string, v: number, ok: (v: number) => boolean, want: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new Error(`${op}: ${name} must be ${want}, got ${v}`);
  return v;
}

/** Checks the hyper-parameters every optimiser with them shares; `where` names the group for messages. */
export function checkCommon(name: string, where: string, o: { lr: number; weightDecay?: number; eps?: number }): void {
  const at = where === 'options' ? name : `${name} (${where})`;
  checkHyper(at, 'lr', o.lr, (v) => v >= 0, 'a non-negative number');
  if ('weightDecay' in o) checkHyper(at, 'weightDecay', o.weightDecay as number, (v) => v >= 0, 'a non-negative number');
  if ('eps' in o) checkHyper(at, 'eps', o.eps as number, (v) => v >= 0, 'a non-negative number');
}

/** A state dict with its tensors as `{shape, data}`, for JSON (loadStateDict takes either form back). */
export function stateDictToPlain(sd: OptimizerStateDict): OptimizerStateDict {
  const state: OptimizerStateDict['state'] = {};
  for (const [key, entry] of Object.entries(sd.state)) {
    state[key] = {};
    for (const [k, v] of Object.entries(entry)) state[key][k] = v instanceof Tensor ? { shape: [...v.shape], data: Array.from(v.data) } : v;
  }
  return { state, param_groups: sd.param_groups };
}
