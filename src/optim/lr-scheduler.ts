/**
 * @file tg.optim.lrScheduler: learning-rate schedules, as torch.optim.lr_scheduler, step for step.
 *
 * A scheduler rewrites `lr` in its optimiser's parameter groups. Built with `new`, it records each
 * group's starting lr as `initialLr` (kept if a scheduler already set it, as PyTorch's setdefault),
 * takes its base lrs from there, and takes the initial step (lastEpoch -1 → 0), so the optimiser's
 * first update already runs at the schedule's first lr. Then `optimizer.step(); scheduler.step()`.
 *
 * Note [chainable schedules]: like PyTorch, most schedules are written recursively — the next lr
 * from the group's current lr (StepLR multiplies it by gamma on a boundary, CosineAnnealingLR scales
 * it by the ratio of successive cosines), not from a closed form of the epoch. That is what lets two
 * schedulers share an optimiser (ChainedScheduler, or a user's own lr change in between) and compose,
 * and it is why the sequences are PyTorch's bit for bit in their arithmetic, including
 * CosineAnnealingLR past tMax, where the recursion climbs back up rather than staying at etaMin.
 * The closed forms exist only where PyTorch uses them: SequentialLR restarts a scheduler at its
 * milestone with `step(0)`, which evaluates the closed form at epoch 0.
 *
 * stateDict() is the scheduler's own fields (not its optimiser, not functions), under the keys of
 * PyTorch's `__dict__` (`base_lrs`, `last_epoch`, `T_max`, `_step_count`…: Note [PyTorch's
 * state-dict keys]); loadStateDict() puts them back.
 */
import { rejectUnknownOptions } from '../ops/arguments';
import { Tensor } from '../tensor/tensor';
import { camelCase, Optimizer, ParamGroup, snakeCase } from './optimizer';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<any, any>;
type Group = ParamGroup;

export type SchedulerStateDict = Record<string, unknown>;

function checkOptimizer(name: string, optimizer: unknown): AnyOptimizer {
  if (!(optimizer instanceof Optimizer)) throw new Error(`${name}: expected an optimizer, got ${describe(optimizer)}`);
  return optimizer;
}

function describe(v: unknown): string {
  return v === null ? 'null' : typeof v === 'object' ? ((v as object).constructor?.name ?? 'an object') : String(v);
}

function checkNumber(name: string, key: string, v: unknown, ok: (v: number) => boolean, want: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new Error(`${name}: ${key} must be ${want}, got ${v}`);
  return v;
}

/** PyTorch's verbose switch: taken, and printing nothing. */
const TAKEN_AND_IGNORED = ['verbose'];

const isPositiveInt = (v: number) => Number.isInteger(v) && v > 0;

/** One value per group: a number for all, or a list with one per group (PyTorch's _format_param). */
function perGroup(name: string, key: string, optimizer: AnyOptimizer, v: number | number[]): number[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(v)) {
    if (v.length !== n) throw new Error(`${name}: expected ${n} values for ${key} (one per parameter group), got ${v.length}`);
    return [...v];
  }
  return new Array<number>(n).fill(v);
}

/**
 * Note [PyTorch's state-dict keys]: a scheduler's state dict is PyTorch's `__dict__`, key for key,
 * so one saved by either loads in the other. Most fields are their camelCase name in snake_case;
 * the rest PyTorch spells its own way (private fields, the T of the SGDR paper) and are listed here.
 * PyTorch's flags that never change here (`verbose`, `_get_lr_called_within_step`) and fields it
 * derives (`mode_worse`) or keeps as code (`anneal_func`) are written as PyTorch writes them and
 * ignored on load.
 */
const TORCH_KEYS: Record<string, string> = {
  stepCount: '_step_count',
  lastLr: '_last_lr',
  tMax: 'T_max',
  t0: 'T_0',
  tI: 'T_i',
  tCur: 'T_cur',
  tMult: 'T_mult',
  phases: '_schedule_phases',
  schedulers: '_schedulers',
};
const FROM_TORCH: Record<string, string> = Object.fromEntries(Object.entries(TORCH_KEYS).map(([k, v]) => [v, k]));
const IGNORED_ON_LOAD = new Set([
  'verbose',
  '_get_lr_called_within_step',
  'mode_worse',
  'anneal_func',
  // Written by other versions of PyTorch: flags and derived fields (torch 2's `_is_initial`, OneCycleLR's
  // `_anneal_func_type`, ReduceLROnPlateau's `default_min_lr`), and CyclicLR's scale function, which is
  // code (a weak reference, or None for a plain function).
  '_is_initial',
  '_anneal_func_type',
  'default_min_lr',
  '_scale_fn_ref',
  '_scale_fn_custom',
]);

const torchKey = (k: string): string => TORCH_KEYS[k] ?? snakeCase(k);
const ownKey = (k: string): string => FROM_TORCH[k] ?? camelCase(k);

/** OneCycleLR's phases name group keys ('initialLr'): PyTorch's name them in snake_case, keys and values. */
function phasesToTorch(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((p) =>
    Object.fromEntries(Object.entries(p as object).map(([k, x]) => [snakeCase(k), typeof x === 'string' ? snakeCase(x) : x])),
  );
}

function phasesFromTorch(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((p) =>
    typeof p === 'object' && p !== null
      ? Object.fromEntries(Object.entries(p).map(([k, x]) => [camelCase(k), typeof x === 'string' ? camelCase(x) : x]))
      : p,
  );
}

/** Fields of a scheduler that are its state (everything but the optimiser, sub-schedulers and functions), under PyTorch's keys. */
function ownState(s: object, skip: readonly string[]): SchedulerStateDict {
  const out: SchedulerStateDict = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'optimizer' || k === 'name' || skip.includes(k) || typeof v === 'function') continue;
    if (Array.isArray(v) && v.some((x) => typeof x === 'function')) {
      // LambdaLR's functions are code, not state: PyTorch writes None for each (and its load_state_dict needs the key).
      out[torchKey(k)] = v.map(() => null);
      continue;
    }
    out[torchKey(k)] =
      k === 'phases'
        ? phasesToTorch(v)
        : v instanceof Map
          ? Object.fromEntries(v) // PyTorch's Counter: {"2": 1, "5": 1}
          : Array.isArray(v)
            ? v.map((x) => (Array.isArray(x) ? [...x] : x))
            : v;
  }
  out.verbose = false;
  return out;
}

function loadOwnState(s: object, sd: SchedulerStateDict, name: string, skip: readonly string[]): void {
  if (typeof sd !== 'object' || sd === null) throw new Error(`${name}.loadStateDict: expected an object, got ${describe(sd)}`);
  const target = s as Record<string, unknown>;
  for (const [k, v] of Object.entries(sd)) {
    if (IGNORED_ON_LOAD.has(k)) continue;
    const key = ownKey(k);
    if (skip.includes(key)) continue;
    if (key === 'lrLambdas' && key in target) continue; // None per function (PyTorch's), or state of a callable object: nothing to restore
    if (!(key in target) || typeof target[key] === 'function' || key === 'optimizer' || key === 'lrLambdas') {
      throw new Error(`${name}.loadStateDict: unknown key '${k}' (a state dict of another scheduler?)`);
    }
    target[key] =
      key === 'phases'
        ? phasesFromTorch(v)
        : target[key] instanceof Map
          ? new Map(Array.isArray(v) ? (v as [unknown, unknown][]) : Object.entries(v as object).map(([m, n]) => [Number(m), n]))
          : Array.isArray(v)
            ? [...v]
            : v;
  }
}

/**
 * Note [resuming with lastEpoch]: as PyTorch's `last_epoch`, the `lastEpoch` option (default -1)
 * builds a scheduler that continues a schedule rather than starting one: the groups must already
 * carry the `initialLr` an earlier scheduler recorded (an optimizer whose state dict was loaded does),
 * which become the base lrs, nothing is reset (CyclicLR leaves the lrs and momenta, OneCycleLR its
 * recorded maxLr/minLr/momenta, as they are), and the initial step goes to lastEpoch + 1, computed
 * from the groups' current lrs as every step is (Note [chainable schedules]) — so the lrs are
 * PyTorch's for the same call. A group without initialLr throws, as PyTorch's KeyError does.
 * These are torch 1.13's semantics (the CI's reference). torch 2 differs: its initial step keeps the
 * groups' lrs as they are (`_is_initial`), and a resumed CyclicLR takes its base momenta from the
 * argument rather than from the groups; tapegrad's CyclicLR follows torch 2 there (its momenta are
 * its arguments in either case).
 */

/** The base of every epoch-driven scheduler (torch's LRScheduler). */
export abstract class LRScheduler {
  readonly optimizer: AnyOptimizer;
  /** Each group's initialLr, the schedule's starting point. */
  baseLrs: number[];
  /** Steps taken: 0 after construction. */
  lastEpoch = -1;
  protected stepCount = 0;
  protected lastLr: number[] = [];

  protected constructor(
    optimizer: unknown,
    readonly name: string,
    opts: {
      /** PyTorch's last_epoch (Note [resuming with lastEpoch]); default -1, a fresh schedule. */
      lastEpoch?: number;
      /** Runs before the groups' initialLr is recorded (CyclicLR sets the lrs it starts from); told whether the schedule resumes. */
      prepare?: (optimizer: AnyOptimizer, resuming: boolean) => void;
      /** The options as given, and the keys the scheduler takes besides lastEpoch (rejectUnknownOptions). */
      given?: unknown;
      keys?: readonly string[];
    } = {},
  ) {
    this.optimizer = checkOptimizer(name, optimizer);
    if (opts.keys !== undefined) rejectUnknownOptions(name, opts.given, [...opts.keys, 'lastEpoch'], undefined, TAKEN_AND_IGNORED);
    const lastEpoch = checkNumber(name, 'lastEpoch', opts.lastEpoch ?? -1, (v) => Number.isInteger(v) && v >= -1, 'an integer >= -1');
    const resuming = lastEpoch !== -1;
    opts.prepare?.(this.optimizer, resuming);
    this.optimizer.paramGroups.forEach((g, i) => {
      if (!resuming) g.initialLr ??= g.lr;
      else if (typeof g.initialLr !== 'number') {
        throw new Error(
          `${name}: lastEpoch ${lastEpoch} resumes a schedule, but parameter group ${i} has no initialLr ` +
            "(PyTorch's initial_lr, which a scheduler built on the optimizer records; load the optimizer's state dict first)",
        );
      }
    });
    this.baseLrs = this.optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }

  protected get groups(): Group[] {
    return this.optimizer.paramGroups as Group[];
  }

  /** The step every constructor ends with (PyTorch's _initial_step): lastEpoch -1 → 0. SequentialLR repeats it on its first scheduler. */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The lrs for lastEpoch, from the groups' current lrs (Note [chainable schedules]). */
  protected abstract computeLr(): number[];

  /** The lrs for lastEpoch in closed form, where PyTorch has one (used by SequentialLR's restarts). */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /**
   * Advances the schedule by one and writes the new lrs into the optimiser's groups. With an epoch
   * (PyTorch's deprecated step(epoch)), jumps there instead, as stepTo.
   */
  step(epoch?: number): void {
    if (epoch !== undefined) return this.stepTo(epoch);
    this.stepCount += 1;
    this.lastEpoch += 1;
    this.apply(this.computeLr());
  }

  /** Jumps to `epoch` (PyTorch's deprecated step(epoch)): the closed form if there is one. */
  stepTo(epoch: number): void {
    checkNumber(this.name, 'epoch', epoch, (v) => Number.isFinite(v) && v >= 0, 'a non-negative number');
    this.stepCount += 1;
    this.lastEpoch = epoch;
    this.apply(this.closedFormLr() ?? this.computeLr());
  }

  protected apply(lrs: number[]): void {
    this.groups.forEach((g, i) => (g.lr = lrs[i]));
    this.lastLr = this.groups.map((g) => g.lr);
  }

  /** The lrs the last step set, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict {
    return { ...ownState(this, []), _get_lr_called_within_step: false };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    loadOwnState(this, sd, this.name, []);
  }
}

/** lr = initialLr · fn(epoch), one fn for all groups or one per group. */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];

  /** `(optimizer, fn | fns, {lastEpoch})` as PyTorch's positional lr_lambda, or `(optimizer, {lrLambda, lastEpoch})`. */
  constructor(optimizer: AnyOptimizer, lrLambda: LrLambda | LambdaOptions, opts: { lastEpoch?: number } = {}) {
    const o = lambdaOptions(lrLambda, opts);
    super(optimizer, 'LambdaLR', { lastEpoch: o.lastEpoch, given: o === lrLambda ? o : opts, keys: o === lrLambda ? ['lrLambda'] : [] });
    this.lrLambdas = lambdas(this.name, this.optimizer, o.lrLambda);
    this.initialStep();
  }

  protected computeLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i](this.lastEpoch));
  }
}

/** lr = lr · fn(epoch) at every step after the first. */
export class MultiplicativeLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];

  /** `(optimizer, fn | fns, {lastEpoch})` as PyTorch's positional lr_lambda, or `(optimizer, {lrLambda, lastEpoch})`. */
  constructor(optimizer: AnyOptimizer, lrLambda: LrLambda | LambdaOptions, opts: { lastEpoch?: number } = {}) {
    const o = lambdaOptions(lrLambda, opts);
    super(optimizer, 'MultiplicativeLR', {
      lastEpoch: o.lastEpoch,
      given: o === lrLambda ? o : opts,
      keys: o === lrLambda ? ['lrLambda'] : [],
    });
    this.lrLambdas = lambdas(this.name, this.optimizer, o.lrLambda);
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch > 0) return this.groups.map((g, i) => g.lr * this.lrLambdas[i](this.lastEpoch));
    return this.groups.map((g) => g.lr);
  }
}

type LrLambda = ((epoch: number) => number) | ((epoch: number) => number)[];
type LambdaOptions = { lrLambda: LrLambda; lastEpoch?: number };

function lambdaOptions(fn: LrLambda | LambdaOptions, opts: { lastEpoch?: number } | undefined): LambdaOptions {
  if (fn !== null && typeof fn === 'object' && !Array.isArray(fn) && 'lrLambda' in fn) return fn;
  return { lrLambda: fn as LrLambda, lastEpoch: opts?.lastEpoch };
}

function lambdas(name: string, optimizer: AnyOptimizer, fn: LrLambda): ((e: number) => number)[] {
  const n = optimizer.paramGroups.length;
  const list = Array.isArray(fn) ? fn : new Array(n).fill(fn);
  if (list.length !== n) throw new Error(`${name}: expected ${n} lr functions (one per parameter group), got ${list.length}`);
  list.forEach((f, i) => {
    if (typeof f !== 'function') throw new Error(`${name}: lr function ${i} is not a function, got ${describe(f)}`);
  });
  return list;
}

/** lr · gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, opts: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    super(optimizer, 'StepLR', { lastEpoch: opts?.lastEpoch, given: opts, keys: ['stepSize', 'gamma'] });
    this.stepSize = checkNumber(this.name, 'stepSize', opts?.stepSize, isPositiveInt, 'a positive integer');
    this.gamma = checkNumber(this.name, 'gamma', opts.gamma ?? 0.1, Number.isFinite, 'a number');
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** lr · gamma at each milestone (twice at a milestone listed twice). */
export class MultiStepLR extends LRScheduler {
  /** Milestone → how many times it is listed. */
  milestones: Map<number, number>;
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, opts: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    super(optimizer, 'MultiStepLR', { lastEpoch: opts?.lastEpoch, given: opts, keys: ['milestones', 'gamma'] });
    if (!Array.isArray(opts?.milestones)) throw new Error(`MultiStepLR: milestones must be a list of epochs, got ${opts?.milestones}`);
    this.milestones = new Map();
    for (const m of opts.milestones) {
      checkNumber(this.name, 'a milestone', m, Number.isInteger, 'an integer');
      this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    }
    this.gamma = checkNumber(this.name, 'gamma', opts.gamma ?? 0.1, Number.isFinite, 'a number');
    this.initialStep();
  }

  protected computeLr(): number[] {
    const times = this.milestones.get(this.lastEpoch);
    if (times === undefined) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** times);
  }

  protected override closedFormLr(): number[] {
    let passed = 0;
    for (const [m, times] of this.milestones) if (m <= this.lastEpoch) passed += times;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

/** lr · factor until totalIters, then lr. */
export class ConstantLR extends LRScheduler {
  readonly factor: number;
  readonly totalIters: number;

  constructor(optimizer: AnyOptimizer, opts: { factor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, 'ConstantLR', { lastEpoch: opts?.lastEpoch, given: opts, keys: ['factor', 'totalIters'] });
    this.factor = checkNumber(this.name, 'factor', opts.factor ?? 1 / 3, (v) => v >= 0 && v <= 1, 'in [0,1]');
    this.totalIters = checkNumber(
      this.name,
      'totalIters',
      opts.totalIters ?? 5,
      (v) => Number.isInteger(v) && v >= 0,
      'a non-negative integer',
    );
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.groups.map((g) => g.lr);
    if (this.factor === 0) {
      throw new Error(`${this.name}: factor 0 cannot be undone at totalIters ${this.totalIters} (the lr is divided by the factor there)`);
    }
    return this.groups.map((g) => g.lr * (1 / this.factor));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }
}

/** lr · a factor going linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: AnyOptimizer, opts: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, 'LinearLR', { lastEpoch: opts?.lastEpoch, given: opts, keys: ['startFactor', 'endFactor', 'totalIters'] });
    // PyTorch allows a start factor of 0 here, which would divide by zero on the next step.
    this.startFactor = checkNumber(this.name, 'startFactor', opts.startFactor ?? 1 / 3, (v) => v > 0 && v <= 1, 'in (0,1]');
    this.endFactor = checkNumber(this.name, 'endFactor', opts.endFactor ?? 1, (v) => v >= 0 && v <= 1, 'in [0,1]');
    this.totalIters = checkNumber(this.name, 'totalIters', opts.totalIters ?? 5, isPositiveInt, 'a positive integer');
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return this.groups.map((g) => g.lr);
    const d = this.endFactor - this.startFactor;
    return this.groups.map((g) => g.lr * (1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }

  protected override closedFormLr(): number[] {
    const d = this.endFactor - this.startFactor;
    return this.baseLrs.map((b) => b * (this.startFactor + (d * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters));
  }
}

/** lr · gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: AnyOptimizer, opts: { gamma: number; lastEpoch?: number }) {
    super(optimizer, 'ExponentialLR', { lastEpoch: opts?.lastEpoch, given: opts, keys: ['gamma'] });
    this.gamma = checkNumber(this.name, 'gamma', opts?.gamma, Number.isFinite, 'a number');
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

/** lr · ((1 - epoch/totalIters) / (1 - (epoch-1)/totalIters))^power until totalIters. */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number;
  readonly power: number;

  constructor(optimizer: AnyOptimizer, opts: { totalIters?: number; power?: number; lastEpoch?: number } = {}) {
    super(optimizer, 'PolynomialLR', { lastEpoch: opts?.lastEpoch, given: opts, keys: ['totalIters', 'power'] });
    this.totalIters = checkNumber(this.name, 'totalIters', opts.totalIters ?? 5, isPositiveInt, 'a positive integer');
    this.power = checkNumber(this.name, 'power', opts.power ?? 1, Number.isFinite, 'a number');
    this.initialStep();
  }

  protected computeLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return this.groups.map((g) => g.lr);
    const factor = ((1 - this.lastEpoch / this.totalIters) / (1 - (this.lastEpoch - 1) / this.totalIters)) ** this.power;
    return this.groups.map((g) => g.lr * factor);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}

/** Cosine annealing from the base lr to etaMin over tMax epochs, in PyTorch's recursive form (Note [chainable schedules]). */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: AnyOptimizer, opts: { tMax: number; etaMin?: number; lastEpoch?: number }) {
    super(optimizer, 'CosineAnnealingLR', { lastEpoch: opts?.lastEpoch, given: opts, keys: ['tMax', 'etaMin'] });
    this.tMax = checkNumber(this.name, 'tMax', opts?.tMax, (v) => v > 0, 'a positive number');
    this.etaMin = checkNumber(this.name, 'etaMin', opts.etaMin ?? 0, Number.isFinite, 'a number');
    this.initialStep();
  }

  protected computeLr(): number[] {
    const { lastEpoch: e, tMax, etaMin } = this;
    if (e === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / tMax))) / 2);
    // At the bottom of a cycle the ratio below would be 0/0: step up by the first increment instead.
    if ((((e - 1 - tMax) % (2 * tMax)) + 2 * tMax) % (2 * tMax) === 0) {
      return this.groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * e) / tMax)) / (1 + Math.cos((Math.PI * (e - 1)) / tMax));
    return this.groups.map((g) => ratio * (g.lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** Cosine annealing restarted every tI epochs, tI growing by tMult after each restart (SGDR). */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  /** The current cycle's length, and the epochs into it. */
  tI: number;
  tCur: number;

  constructor(optimizer: AnyOptimizer, opts: { t0: number; tMult?: number; etaMin?: number; lastEpoch?: number }) {
    super(optimizer, 'CosineAnnealingWarmRestarts', { lastEpoch: opts?.lastEpoch, given: opts, keys: ['t0', 'tMult', 'etaMin'] });
    this.t0 = checkNumber(this.name, 't0', opts?.t0, isPositiveInt, 'a positive integer');
    this.tMult = checkNumber(this.name, 'tMult', opts.tMult ?? 1, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
    this.etaMin = checkNumber(this.name, 'etaMin', opts.etaMin ?? 0, Number.isFinite, 'a number');
    this.tI = this.t0;
    this.tCur = this.lastEpoch; // PyTorch's T_cur = last_epoch: -1 for a fresh schedule
    this.initialStep();
  }

  protected computeLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  /** One epoch on, or (as PyTorch's step(epoch)) to `epoch`, which may be fractional: step(e + i / iters) within epoch e. */
  override step(epoch?: number): void {
    this.stepCount += 1;
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    } else {
      checkNumber(this.name, 'epoch', epoch, (v) => v >= 0, 'a non-negative number');
      if (epoch >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = epoch % this.t0;
        } else {
          const n = Math.floor(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    this.apply(this.computeLr());
  }

  override stepTo(epoch: number): void {
    this.step(epoch);
  }
}

type Phase = { endStep: number; startLr: string; endLr: string; startMomentum: string; endMomentum: string };

export interface OneCycleLROptions {
  maxLr: number | number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  /** Resumes at this step, from the lrs and momenta a OneCycleLR recorded in the groups (Note [resuming with lastEpoch]). */
  lastEpoch?: number;
}

/**
 * The 1cycle policy: lr from maxLr/divFactor up to maxLr over pctStart of the steps, then down to
 * initialLr/finalDivFactor (threePhase: back to the initial lr first); momentum (SGD, RMSprop) or
 * Adam's beta1 cycles the other way, between maxMomentum and baseMomentum. Stepped every batch.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  readonly useBeta1: boolean;
  readonly phases: Phase[];

  constructor(optimizer: AnyOptimizer, opts: OneCycleLROptions) {
    super(optimizer, 'OneCycleLR', {
      lastEpoch: opts?.lastEpoch,
      given: opts,
      keys: [
        'maxLr',
        'totalSteps',
        'epochs',
        'stepsPerEpoch',
        'pctStart',
        'annealStrategy',
        'cycleMomentum',
        'baseMomentum',
        'maxMomentum',
        'divFactor',
        'finalDivFactor',
        'threePhase',
      ],
    });
    const resuming = this.lastEpoch !== -1;
    const name = this.name;
    const o = opts ?? ({} as OneCycleLROptions);
    if (o.totalSteps !== undefined) {
      this.totalSteps = checkNumber(name, 'totalSteps', o.totalSteps, isPositiveInt, 'a positive integer');
    } else if (o.epochs !== undefined || o.stepsPerEpoch !== undefined) {
      this.totalSteps =
        checkNumber(name, 'epochs', o.epochs, isPositiveInt, 'a positive integer') *
        checkNumber(name, 'stepsPerEpoch', o.stepsPerEpoch, isPositiveInt, 'a positive integer');
    } else {
      throw new Error(`${name}: give either totalSteps or epochs and stepsPerEpoch`);
    }
    const pct = checkNumber(name, 'pctStart', o.pctStart ?? 0.3, (v) => v >= 0 && v <= 1, 'in [0,1]');
    const n = this.totalSteps;
    this.phases = o.threePhase
      ? [
          { endStep: pct * n - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: 2 * pct * n - 2, startLr: 'maxLr', endLr: 'initialLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
          { endStep: n - 1, startLr: 'initialLr', endLr: 'minLr', startMomentum: 'maxMomentum', endMomentum: 'maxMomentum' },
        ]
      : [
          { endStep: pct * n - 1, startLr: 'initialLr', endLr: 'maxLr', startMomentum: 'maxMomentum', endMomentum: 'baseMomentum' },
          { endStep: n - 1, startLr: 'maxLr', endLr: 'minLr', startMomentum: 'baseMomentum', endMomentum: 'maxMomentum' },
        ];
    this.annealStrategy = o.annealStrategy ?? 'cos';
    if (this.annealStrategy !== 'cos' && this.annealStrategy !== 'linear') {
      throw new Error(`${name}: annealStrategy must be 'cos' or 'linear', got ${this.annealStrategy}`);
    }
    const divFactor = checkNumber(name, 'divFactor', o.divFactor ?? 25, (v) => v > 0, 'a positive number');
    const finalDivFactor = checkNumber(name, 'finalDivFactor', o.finalDivFactor ?? 1e4, (v) => v > 0, 'a positive number');
    const maxLrs = perGroup(name, 'maxLr', this.optimizer, o.maxLr);
    maxLrs.forEach((v) => checkNumber(name, 'maxLr', v, (x) => x >= 0, 'a non-negative number'));
    const recorded = (keys: string[]) =>
      this.groups.forEach((g, i) => {
        const missing = keys.find((k) => typeof g[k] !== 'number');
        if (missing !== undefined) {
          throw new Error(
            `${name}: lastEpoch ${this.lastEpoch} resumes a schedule, but parameter group ${i} has no ${missing} ` +
              "(which OneCycleLR records in the groups; load the optimizer's state dict first)",
          );
        }
      });
    if (resuming) recorded(['maxLr', 'minLr']);
    else {
      this.groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    this.baseLrs = this.groups.map((g) => g.initialLr as number);
    this.cycleMomentum = o.cycleMomentum ?? true;
    const defaults = this.optimizer.defaults as Record<string, unknown>;
    this.useBeta1 = 'betas' in defaults;
    if (this.cycleMomentum) {
      if (!('momentum' in defaults) && !this.useBeta1) {
        throw new Error(`${name}: cycleMomentum needs an optimizer with momentum or betas; ${this.optimizer.name} has neither`);
      }
      const maxM = perGroup(name, 'maxMomentum', this.optimizer, o.maxMomentum ?? 0.95);
      const baseM = perGroup(name, 'baseMomentum', this.optimizer, o.baseMomentum ?? 0.85);
      if (resuming) recorded(['maxMomentum', 'baseMomentum']);
      else {
        this.groups.forEach((g, i) => {
          this.setMomentum(g, maxM[i]);
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    this.initialStep();
  }

  private setMomentum(g: Group, m: number): void {
    if (this.useBeta1) g.betas = [m, (g.betas as number[])[1]];
    else g.momentum = m;
  }

  private anneal(start: number, end: number, pct: number): number {
    return this.annealStrategy === 'cos' ? end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }

  protected computeLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new Error(`${this.name}: tried to step ${stepNum + 1} times; totalSteps is ${this.totalSteps}`);
    }
    return this.groups.map((g) => {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const phase = this.phases[i];
        if (stepNum <= phase.endStep || i === this.phases.length - 1) {
          if (phase.endStep === start) {
            throw new Error(
              `${this.name}: phase ${i + 1} of ${this.phases.length} starts and ends at step ${start} (pctStart of totalSteps ${this.totalSteps}), ` +
                `so step ${stepNum} would divide by zero, as PyTorch's does; give every phase at least one step`,
            );
          }
          const pct = (stepNum - start) / (phase.endStep - start);
          const lr = this.anneal(g[phase.startLr] as number, g[phase.endLr] as number, pct);
          if (this.cycleMomentum) this.setMomentum(g, this.anneal(g[phase.startMomentum] as number, g[phase.endMomentum] as number, pct));
          return lr;
        }
        start = phase.endStep;
      }
      throw new Error('unreachable');
    });
  }
}

export interface CyclicLROptions {
  baseLr: number | number[];
  maxLr: number | number[];
  stepSizeUp?: number;
  stepSizeDown?: number;
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  gamma?: number;
  /** A custom scale (replaces mode), of the cycle number or of the iteration (scaleMode). */
  scaleFn?: (x: number) => number;
  scaleMode?: 'cycle' | 'iterations';
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** Resumes at this iteration (Note [resuming with lastEpoch]): the groups' lrs and momenta are left as they are. */
  lastEpoch?: number;
}

/** Cyclical learning rates (Smith): lr between baseLr and maxLr in triangles, momentum the other way. Stepped every batch. */
export class CyclicLR extends LRScheduler {
  readonly maxLrs: number[];
  readonly totalSize: number;
  readonly stepRatio: number;
  readonly mode: 'triangular' | 'triangular2' | 'exp_range';
  readonly gamma: number;
  readonly scaleMode: 'cycle' | 'iterations';
  readonly cycleMomentum: boolean;
  readonly useBeta1: boolean;
  baseMomentums: number[] = [];
  maxMomentums: number[] = [];
  private readonly scaleFn: (x: number) => number;

  constructor(optimizer: AnyOptimizer, opts: CyclicLROptions) {
    const name = 'CyclicLR';
    const o = opts ?? ({} as CyclicLROptions);
    let baseLrs: number[] = [];
    super(optimizer, name, {
      lastEpoch: o.lastEpoch,
      given: o,
      keys: [
        'baseLr',
        'maxLr',
        'stepSizeUp',
        'stepSizeDown',
        'mode',
        'gamma',
        'scaleFn',
        'scaleMode',
        'cycleMomentum',
        'baseMomentum',
        'maxMomentum',
      ],
      prepare: (opt, resuming) => {
        baseLrs = perGroup(name, 'baseLr', opt, o.baseLr);
        baseLrs.forEach((v) => checkNumber(name, 'baseLr', v, (x) => x >= 0, 'a non-negative number'));
        if (!resuming) opt.paramGroups.forEach((g, i) => (g.lr = baseLrs[i]));
      },
    });
    this.maxLrs = perGroup(name, 'maxLr', this.optimizer, o.maxLr);
    this.maxLrs.forEach((v) => checkNumber(name, 'maxLr', v, (x) => x >= 0, 'a non-negative number'));
    const up = checkNumber(name, 'stepSizeUp', o.stepSizeUp ?? 2000, (v) => v > 0, 'a positive number');
    const down = checkNumber(name, 'stepSizeDown', o.stepSizeDown ?? up, (v) => v > 0, 'a positive number');
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = o.mode ?? 'triangular';
    this.gamma = checkNumber(name, 'gamma', o.gamma ?? 1, Number.isFinite, 'a number');
    if (o.scaleFn !== undefined) {
      this.scaleFn = o.scaleFn;
      this.scaleMode = o.scaleMode ?? 'cycle';
    } else if (this.mode === 'triangular') {
      [this.scaleFn, this.scaleMode] = [() => 1, 'cycle'];
    } else if (this.mode === 'triangular2') {
      [this.scaleFn, this.scaleMode] = [(x) => 1 / 2 ** (x - 1), 'cycle'];
    } else if (this.mode === 'exp_range') {
      [this.scaleFn, this.scaleMode] = [(x) => this.gamma ** x, 'iterations'];
    } else {
      throw new Error(`${name}: mode must be 'triangular', 'triangular2' or 'exp_range', got ${this.mode}`);
    }
    this.cycleMomentum = o.cycleMomentum ?? true;
    const defaults = this.optimizer.defaults as Record<string, unknown>;
    this.useBeta1 = 'betas' in defaults;
    if (this.cycleMomentum) {
      if (!('momentum' in defaults) && !this.useBeta1) {
        throw new Error(`${name}: cycleMomentum needs an optimizer with momentum or betas; ${this.optimizer.name} has neither`);
      }
      const base = perGroup(name, 'baseMomentum', this.optimizer, o.baseMomentum ?? 0.8);
      if (this.lastEpoch === -1) this.groups.forEach((g, i) => this.setMomentum(g, base[i]));
      this.baseMomentums = base;
      this.maxMomentums = perGroup(name, 'maxMomentum', this.optimizer, o.maxMomentum ?? 0.9);
    }
    this.baseLrs = baseLrs;
    this.initialStep();
  }

  private setMomentum(g: Group, m: number): void {
    if (this.useBeta1) g.betas = [m, (g.betas as number[])[1]];
    else g.momentum = m;
  }

  /** PyTorch's keys, with its `_scale_fn_custom` (None: a scale function is code, not state), which its load_state_dict needs. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _scale_fn_custom: null };
  }

  protected computeLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scaleFn(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map((base, i) => base + (this.maxLrs[i] - base) * scaleFactor * scale);
    if (this.cycleMomentum) {
      this.groups.forEach((g, i) => {
        const height = (this.maxMomentums[i] - this.baseMomentums[i]) * scaleFactor;
        this.setMomentum(g, this.maxMomentums[i] - height * scale);
      });
    }
    return lrs;
  }
}

/** Runs one scheduler after another: schedulers[i] from milestones[i-1] on, restarted there at its epoch 0. */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];

  constructor(optimizer: AnyOptimizer, opts: { schedulers: LRScheduler[]; milestones: number[]; lastEpoch?: number }) {
    super(optimizer, 'SequentialLR', { given: opts, keys: ['schedulers', 'milestones'] });
    const { schedulers, milestones } = opts ?? ({} as { schedulers: LRScheduler[]; milestones: number[] });
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new Error(`SequentialLR: schedulers must be a non-empty list`);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new Error(`SequentialLR: scheduler ${i} is not an epoch scheduler, got ${describe(s)}`);
      if (s.optimizer !== optimizer) throw new Error(`SequentialLR: scheduler ${i} belongs to another optimizer`);
    });
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(
        `SequentialLR: expected ${schedulers.length - 1} milestones for ${schedulers.length} schedulers, got ${milestones?.length}`,
      );
    }
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    // PyTorch's last_epoch + 1 (its SequentialLR never takes the base class's initial step).
    this.lastEpoch =
      checkNumber(this.name, 'lastEpoch', opts.lastEpoch ?? -1, (v) => Number.isInteger(v) && v >= -1, 'an integer >= -1') + 1;
    for (const g of this.groups) g.lr = g.initialLr as number;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0].initialStep();
    this.lastLr = this.schedulers[0].getLastLr();
  }

  protected computeLr(): number[] {
    throw new Error('SequentialLR: computeLr is never called');
  }

  override step(): void {
    this.lastEpoch += 1;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx] <= this.lastEpoch) idx++;
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.stepTo(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return {
      last_epoch: this.lastEpoch,
      _last_lr: [...this.lastLr],
      _milestones: [...this.milestones],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    loadSchedulers(this.name, this.schedulers, sd);
    const { _milestones: milestones, ...rest } = sd;
    loadOwnState(this, milestones === undefined ? rest : { ...rest, milestones }, this.name, ['schedulers']);
  }
}

function loadSchedulers(name: string, schedulers: { loadStateDict(sd: SchedulerStateDict): void }[], sd: SchedulerStateDict): void {
  const saved = sd?._schedulers ?? sd?.schedulers; // `schedulers`: checkpoints written before Note [PyTorch's state-dict keys]
  if (!Array.isArray(saved) || saved.length !== schedulers.length) {
    throw new Error(
      `${name}.loadStateDict: expected state for ${schedulers.length} schedulers, got ${Array.isArray(saved) ? saved.length : 'none'}`,
    );
  }
  schedulers.forEach((s, i) => s.loadStateDict(saved[i] as SchedulerStateDict));
}

/** Steps several schedulers of one optimiser together, each multiplying in its change (Note [chainable schedules]). */
export class ChainedScheduler {
  readonly name = 'ChainedScheduler';
  readonly schedulers: LRScheduler[];
  readonly optimizer: AnyOptimizer;
  protected lastLr: number[];

  /**
   * `new ChainedScheduler(schedulers)` (torch 1.13), `new ChainedScheduler(schedulers, optimizer)` (torch 2),
   * or in SequentialLR's shape, `new ChainedScheduler(optimizer, {schedulers})`.
   */
  constructor(schedulers: LRScheduler[], optimizer?: AnyOptimizer);
  constructor(optimizer: AnyOptimizer, opts: { schedulers: LRScheduler[] });
  constructor(first: LRScheduler[] | AnyOptimizer, second?: AnyOptimizer | { schedulers: LRScheduler[] }) {
    let schedulers: LRScheduler[];
    let optimizer: AnyOptimizer | undefined;
    if (first instanceof Optimizer) {
      optimizer = first;
      schedulers = (second as { schedulers: LRScheduler[] } | undefined)?.schedulers as LRScheduler[];
    } else {
      schedulers = first;
      optimizer = second === undefined ? undefined : checkOptimizer('ChainedScheduler', second);
    }
    if (!Array.isArray(schedulers) || schedulers.length === 0) throw new Error(`ChainedScheduler: schedulers must be a non-empty list`);
    if (optimizer !== undefined) {
      schedulers.forEach((s, i) => {
        if (s instanceof LRScheduler && s.optimizer !== optimizer)
          throw new Error(`ChainedScheduler: scheduler ${i} belongs to another optimizer`);
      });
    }
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw new Error(`ChainedScheduler: scheduler ${i} is not an epoch scheduler, got ${describe(s)}`);
      if (s.optimizer !== schedulers[0].optimizer)
        throw new Error(`ChainedScheduler: scheduler ${i} belongs to another optimizer than scheduler 0`);
    });
    this.schedulers = [...schedulers];
    this.optimizer = schedulers[0].optimizer;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The number of steps taken (the first scheduler's lastEpoch). */
  get lastEpoch(): number {
    return this.schedulers[0].lastEpoch;
  }

  step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict {
    return { _last_lr: [...this.lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    loadSchedulers(this.name, this.schedulers, sd);
    loadOwnState(this, sd, this.name, ['schedulers']);
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
}

/**
 * Cuts lr by `factor` when a metric (a validation loss, say) has not improved by `threshold` for
 * more than `patience` steps, then waits `cooldown` steps before counting again. step(metric).
 */
export class ReduceLROnPlateau {
  readonly name = 'ReduceLROnPlateau';
  readonly optimizer: AnyOptimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  protected lastLr: number[];

  constructor(optimizer: AnyOptimizer, opts: ReduceLROnPlateauOptions = {}) {
    const name = this.name;
    this.optimizer = checkOptimizer(name, optimizer);
    rejectUnknownOptions(
      name,
      opts,
      ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'],
      undefined,
      TAKEN_AND_IGNORED,
    );
    this.mode = opts.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`${name}: mode must be 'min' or 'max', got ${this.mode}`);
    this.thresholdMode = opts.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new Error(`${name}: thresholdMode must be 'rel' or 'abs', got ${this.thresholdMode}`);
    }
    this.factor = checkNumber(name, 'factor', opts.factor ?? 0.1, (v) => v >= 0 && v < 1, 'in [0,1)');
    this.patience = checkNumber(name, 'patience', opts.patience ?? 10, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
    this.threshold = checkNumber(name, 'threshold', opts.threshold ?? 1e-4, Number.isFinite, 'a number');
    this.cooldown = checkNumber(name, 'cooldown', opts.cooldown ?? 0, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
    this.minLrs = perGroup(name, 'minLr', this.optimizer, opts.minLr ?? 0);
    this.eps = checkNumber(name, 'eps', opts.eps ?? 1e-8, (v) => v >= 0, 'a non-negative number');
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return this.thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /** Records this epoch's metric; reduces the lrs when it has stalled for more than `patience` epochs. */
  step(metric: number | Tensor): void {
    let current: number;
    if (typeof metric === 'number') current = metric;
    else if (metric instanceof Tensor && metric.size === 1) current = Number(metric.data[0]);
    else throw new Error(`${this.name}: step needs the metric, a number or a one-element tensor, got ${describe(metric)}`);
    this.lastEpoch += 1;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict {
    return { ...ownState(this, []), mode_worse: this.mode === 'min' ? Infinity : -Infinity };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    loadOwnState(this, sd, this.name, []);
  }
}
