/**
 * @file `Module`, the base of every layer and model: parameters, buffers and child modules are found
 * from the module's own properties (assign them and they are registered, as in PyTorch), names are
 * dotted paths, and every `forward` runs inside a module scope so graph nodes know their module.
 *
 * Note [automatic registration]: a property holding a Module (or an array of Modules, named
 * `name.0`, `name.1`, … like a ModuleList) is a child; a property holding a tensor made with
 * `parameter()` — or any leaf tensor with requiresGrad — is a parameter; tensors registered with
 * `registerBuffer` (running statistics) are buffers, saved in the state dict but not trained.
 * Property order is definition order, so names come out in the order PyTorch would list them.
 *
 * Note [module scopes]: the constructor replaces `forward` on the instance by a wrapper that pushes
 * a scope (src/autograd/scope.ts) named by the module's dotted path from the outermost module being
 * run, so subclasses write a plain `forward` method and still get clustered graphs.
 */
import { withScope } from '../autograd/scope';
import type { Rng } from '../random/rng';
import { allocate } from '../tensor/dtype';
import { fmt, sameShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { addIndent } from './repr';

/** A tensor's values as plain numbers, keyed by dotted name (SPEC §7). */
export type StateDict = Record<string, { shape: number[]; data: number[] }>;

/** The dtypes a module's parameters can have (§18). */
export type FloatDType = 'float32' | 'float64';

/** What every module constructor accepts in its options (§18): parameters' dtype and the generator that initialises them. */
export interface ModuleOptions {
  dtype?: FloatDType;
  rng?: Rng;
}

export interface LoadStateDictOptions {
  /** Default true: missing keys and keys the model does not have are errors, as in PyTorch. */
  strict?: boolean;
}

/** What loadStateDict accepts: tensors by name (what `tg.load` returns), or `{shape, data}` entries (SPEC §18). */
export type StateDictInput = Record<string, Tensor | { shape: readonly number[]; data: ArrayLike<number> }>;

/** The keys loadStateDict did not fill and the ones it did not use (PyTorch's `_IncompatibleKeys`). */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const has = (sd: object, key: string) => Object.prototype.hasOwnProperty.call(sd, key);

/**
 * The values of one state-dict entry for the module's tensor `t`, or null after adding the problem.
 * A `{shape, data}` entry's values must be finite numbers: Number('abc') is NaN, Number(null) 0,
 * and typed-array stores would coerce them silently. A tensor's values are numbers already (a
 * diverged checkpoint's NaN loads as NaN).
 */
function checkEntry(key: string, entry: unknown, t: Tensor, problems: string[]): ArrayLike<number> | null {
  let shape: readonly number[];
  let data: ArrayLike<number>;
  if (entry instanceof Tensor) {
    shape = entry.shape;
    data = entry.data;
  } else {
    const e = entry as { shape?: unknown; data?: unknown } | null;
    if (e === null || typeof e !== 'object' || !Array.isArray(e.shape) || !Array.isArray(e.data)) {
      problems.push(`entry '${key}' is not a tensor or {shape, data} (model ${fmt(t.shape)})`);
      return null;
    }
    shape = e.shape as number[];
    data = e.data as number[];
  }
  if (!sameShape(shape, t.shape)) {
    problems.push(`shape mismatch for '${key}': state dict ${fmt(shape)}, model ${fmt(t.shape)}`);
    return null;
  }
  if (data.length !== sizeOf(shape)) {
    problems.push(`entry '${key}' has ${data.length} values for shape ${fmt(shape)}`);
    return null;
  }
  if (t.dtype === 'int32' || t.dtype === 'bool') {
    // Typed-array stores would wrap or truncate: an integer buffer takes integers it can hold.
    const [lo, hi] = t.dtype === 'bool' ? [0, 1] : [-2147483648, 2147483647];
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
        problems.push(`entry '${key}' index ${i} is ${String(v)}, not ${t.dtype === 'bool' ? '0 or 1' : 'an int32'} (model ${t.dtype})`);
        return null;
      }
    }
    return data;
  }
  if (!(entry instanceof Tensor)) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as unknown;
      if (typeof v !== 'number') {
        problems.push(
          `entry '${key}' index ${i} is ${typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v)}, not a number`,
        );
        return null;
      }
      if (!Number.isFinite(v)) {
        problems.push(`entry '${key}' index ${i} is ${v}, not a finite number`);
        return null;
      }
    }
  }
  return data;
}

const marked = new WeakSet<Tensor>();

/** Marks a tensor as a trainable parameter (and sets requiresGrad), like torch.nn.Parameter. */
export function parameter(t: Tensor): Tensor {
  t.requiresGrad = true;
  marked.add(t);
  return t;
}

function isParameter(v: unknown): v is Tensor {
  if (!(v instanceof Tensor)) return false;
  if (marked.has(v)) return true;
  if (v.requiresGrad && v.isLeaf) {
    // Remember it, so that freezing it later (requiresGrad = false) keeps it a parameter.
    marked.add(v);
    return true;
  }
  return false;
}

const join = (prefix: string, name: string) => (prefix === '' ? name : `${prefix}.${name}`);

/** Any module, whatever it takes and returns (for walks over a model's tree). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any>;

/**
 * Sees every module call (exporters that rebuild a model's forward elsewhere, e.g. toTorch): `enter`
 * runs inside the call's scope before its forward, `exit` after it with what it returned.
 */
export interface ModuleCallObserver<C = unknown> {
  enter(module: AnyModule, args: readonly unknown[]): C;
  exit(call: C, out: unknown): void;
}

let callObserver: ModuleCallObserver<any> | null = null;

/** Installs (or with null removes) the module-call observer; returns the one it replaced. */
export function setModuleCallObserver(o: ModuleCallObserver<any> | null): ModuleCallObserver<any> | null {
  const before = callObserver;
  callObserver = o;
  return before;
}

/** A module's property name in its parent, as its scope path last found it. */
const childNames = new WeakMap<AnyModule, WeakMap<AnyModule, string>>();

/** The modules whose forward is running, outermost first, with their scope paths. */
const running: { module: AnyModule; path: string }[] = [];

/**
 * A module maps `In` to `Out` (`Module<In, Out>`, SPEC §15): most layers are Tensor -> Tensor (the
 * defaults), recurrent layers and attention return tuples, and `forward` may take more arguments.
 */
export abstract class Module<In = Tensor, Out = Tensor> {
  /** Set by train()/eval() on the whole tree; layers such as Dropout and BatchNorm read it. */
  training = true;
  private readonly bufferNames = new Set<string>();

  constructor() {
    const forward = this.forward;
    if (typeof forward === 'function') {
      Object.defineProperty(this, 'forward', {
        value: (...args: unknown[]) => this.runInScope(() => forward.apply(this, args as [In, ...unknown[]]), args),
        enumerable: false,
        writable: true,
        configurable: true,
      });
    }
  }

  abstract forward(x: In, ...rest: any[]): Out;

  /** Registers a tensor that is saved in the state dict but not trained (e.g. running statistics). */
  protected registerBuffer(name: string, t: Tensor | null): void {
    (this as unknown as Record<string, unknown>)[name] = t;
    this.bufferNames.add(name);
  }

  /** Direct children, by property name (arrays of modules as `name.i`). */
  namedChildren(): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    for (const [key, v] of Object.entries(this)) {
      if (v instanceof Module) out.push([key, v]);
      else if (Array.isArray(v)) v.forEach((m, i) => m instanceof Module && out.push([`${key}.${i}`, m]));
    }
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module ('') and every descendant, pre-order, each once. */
  namedModules(prefix = ''): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    const visit = (name: string, m: AnyModule) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [key, child] of m.namedChildren()) visit(join(name, key), child);
    };
    visit(prefix, this);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Own parameters then own buffers, in definition order (no children). */
  private ownTensors(): { params: [string, Tensor][]; buffers: [string, Tensor][] } {
    const params: [string, Tensor][] = [];
    const buffers: [string, Tensor][] = [];
    for (const [key, v] of Object.entries(this)) {
      if (this.bufferNames.has(key)) {
        if (v instanceof Tensor) buffers.push([key, v]);
      } else if (isParameter(v)) params.push([key, v]);
    }
    return { params, buffers };
  }

  /** Every parameter with its dotted name (e.g. `0.weight` in a Sequential), each tensor once. */
  namedParameters(): [string, Tensor][] {
    return this.collect((m) => m.ownTensors().params);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(): [string, Tensor][] {
    return this.collect((m) => m.ownTensors().buffers);
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  private collect(own: (m: AnyModule) => [string, Tensor][]): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of own(m)) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([join(prefix, name), t]);
      }
    }
    return out;
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient: to null (PyTorch's set_to_none, the default), or with setToNone false to zeros of its shape. */
  zeroGrad(setToNone = true): void {
    for (const p of this.parameters()) {
      if (setToNone || p.grad === null) p.grad = null;
      else p.grad = new Tensor(allocate(p.grad.dtype, p.grad.size), [...p.grad.shape]);
    }
  }

  /** Parameters and buffers as plain numbers, keyed by dotted name, in PyTorch's order. */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [prefix, m] of this.namedModules()) {
      const { params, buffers } = m.ownTensors();
      for (const [name, t] of [...params, ...buffers]) {
        sd[join(prefix, name)] = { shape: [...t.shape], data: Array.from(t.data) };
      }
    }
    return sd;
  }

  /**
   * Copies a state dict into the module's tensors in place (optimisers keep their references), each
   * value converted to the dtype of the module's own tensor. The values may be tensors (what `tg.load`
   * returns) or `{shape, data}` entries (what `stateDict()` returns); keys are PyTorch's, and older
   * names a module still reads are translated (Note [state dict names]). Everything is checked
   * before anything is written: missing keys, unexpected keys (both only when strict) and shape
   * mismatches are reported together, each with its key and shapes. Returns the keys that were
   * missing and unexpected, as PyTorch's load_state_dict does (both empty when strict).
   */
  loadStateDict(sd: StateDictInput, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) {
      throw new Error('loadStateDict: expected an object of tensors or {shape, data} entries');
    }
    const strict = opts.strict ?? true;
    const problems: string[] = [];
    const targets: [Tensor, ArrayLike<number>][] = [];
    const missingKeys: string[] = [];
    const used = new Set<string>();
    for (const [prefix, m] of this.namedModules()) {
      const { params, buffers } = m.ownTensors();
      const legacy = m.legacyStateDictNames();
      const usesLegacy = Object.values(legacy).some(({ name }) => name !== undefined && has(sd, join(prefix, name)));
      for (const [own, t] of [...params, ...buffers]) {
        let key = join(prefix, own);
        const old = legacy[own];
        if (!has(sd, key) && old?.name !== undefined && has(sd, join(prefix, old.name))) key = join(prefix, old.name);
        if (!has(sd, key)) {
          if (usesLegacy && old?.absentIn !== undefined) {
            targets.push([t, old.absentIn]);
            continue;
          }
          missingKeys.push(key);
          if (strict) problems.push(`missing key '${key}' (model ${fmt(t.shape)})`);
          continue;
        }
        used.add(key);
        const values = checkEntry(key, sd[key], t, problems);
        if (values !== null) targets.push([t, values]);
      }
    }
    const unexpectedKeys = Object.keys(sd).filter((key) => !used.has(key));
    if (strict) {
      for (const key of unexpectedKeys) {
        const v = sd[key] as { shape?: unknown } | null;
        problems.push(`unexpected key '${key}' ${Array.isArray(v?.shape) ? fmt(v.shape as number[]) : ''}`.trimEnd());
      }
    }
    if (problems.length > 0) throw new Error(`loadStateDict: ${problems.join('; ')}`);
    for (const [t, data] of targets) t.data.set(data);
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Note [state dict names]: state-dict keys are PyTorch's (BatchNorm's `running_mean`), but files
   * written before a rename must still load. A module lists here, for each of its own tensors that
   * was once saved under another name, that `name`; and `absentIn`, the value a tensor takes when a
   * state dict written under the old names lacks it (as PyTorch's BatchNorm sets num_batches_tracked
   * to 0 for checkpoints older than it).
   */
  protected legacyStateDictNames(): Record<string, { name?: string; absentIn?: ArrayLike<number> }> {
    return {};
  }

  // ---- tree utilities and printing (SPEC §15, §18) -------------------------------------------------

  /** Calls fn on every child's subtree (children first), then on this module, as PyTorch's apply; returns this. */
  apply(fn: (m: AnyModule) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Sets requiresGrad on every parameter (freezing with false), as PyTorch's requires_grad_; returns this. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }

  /** This module's own options as PyTorch's extra_repr writes them (src/nn/repr.ts); '' when it has none. */
  extraRepr(): string {
    return '';
  }

  /** The model as PyTorch's print(model) shows the same architecture (torch.nn.Module.__repr__). */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra === '' ? [] : extra.split('\n');
    const childLines = this.namedChildren().map(([key, m]) => `(${key}): ${addIndent(m.toString())}`);
    const lines = [...extraLines, ...childLines];
    let text = `${this.constructor.name}(`;
    if (lines.length > 0) {
      text += extraLines.length === 1 && childLines.length === 0 ? extraLines[0] : `\n  ${lines.join('\n  ')}\n`;
    }
    return `${text})`;
  }

  /**
   * Converts every parameter and buffer (and gradient) to `dtype` in place, so optimisers that hold
   * the tensors keep working; returns this (§18).
   */
  to(dtype: FloatDType): this {
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new Error(`${this.constructor.name}.to: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
    }
    const convert = (t: Tensor) => {
      // As PyTorch's .to(dtype): floating tensors only (num_batches_tracked stays int32).
      if (t.dtype === dtype || (t.dtype !== 'float32' && t.dtype !== 'float64')) return;
      const data = allocate(dtype, t.size);
      data.set(t.data);
      t.data = data;
    };
    for (const t of [...this.parameters(), ...this.buffers()]) {
      convert(t);
      if (t.grad !== null) convert(t.grad);
    }
    return this;
  }

  double(): this {
    return this.to('float64');
  }

  float(): this {
    return this.to('float32');
  }

  /** Runs fn in this module's scope; the path is the dotted name from the outermost running module. */
  private runInScope<T>(fn: () => T, args: readonly unknown[] = []): T {
    const path = this.scopePath();
    running.push({ module: this, path });
    try {
      // Drawings name the module's parameters by their state-dict keys (`0.weight`), read only when drawn.
      const named = () => {
        const { params, buffers } = this.ownTensors();
        return [...params, ...buffers].map(([name, t]) => [join(path, name), t] as const);
      };
      return withScope(
        path,
        this.constructor.name,
        () => {
          if (callObserver === null) return fn();
          const call = callObserver.enter(this, args);
          const out = fn();
          callObserver.exit(call, out);
          return out;
        },
        named,
      );
    } finally {
      running.pop();
    }
  }

  private scopePath(): string {
    if (running.length === 0) return '';
    const parent = running[running.length - 1];
    // A direct child, nearly always: its property name (remembered, and checked still to be it, as
    // a property can be reassigned), without walking the parent's whole subtree.
    const remembered = childNames.get(parent.module)?.get(this);
    if (remembered !== undefined && (parent.module as unknown as Record<string, unknown>)[remembered] === this) {
      return join(parent.path, remembered);
    }
    const child = parent.module.namedChildren().find(([, m]) => m === this);
    if (child) {
      if (!child[0].includes('.')) {
        const names = childNames.get(parent.module) ?? new WeakMap<AnyModule, string>();
        names.set(this, child[0]);
        childNames.set(parent.module, names);
      }
      return join(parent.path, child[0]);
    }
    const found = parent.module.namedModules().find(([, m]) => m === this);
    if (found) return join(parent.path, found[0]);
    // Called from a module that does not own it: name it from the outermost module, or by its class.
    const fromRoot = running[0].module.namedModules().find(([, m]) => m === this);
    return fromRoot ? fromRoot[0] : join(parent.path, this.constructor.name);
  }
}
