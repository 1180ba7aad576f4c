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
import { fmt, sameShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

/** A tensor's values as plain numbers, keyed by dotted name (SPEC §7). */
export type StateDict = Record<string, { shape: number[]; data: number[] }>;

export interface LoadStateDictOptions {
  /** Default true: keys the model does not have are an error too, as in PyTorch. */
  strict?: boolean;
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
        value: (...args: unknown[]) => this.runInScope(() => forward.apply(this, args as [In, ...unknown[]])),
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

  /** Clears every parameter's gradient (to null, as PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
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
   * Copies a state dict into the module's tensors in place (optimisers keep their references).
   * Everything is checked before anything is written: missing keys, unexpected keys (when strict)
   * and shape mismatches are reported together, each with its key and shapes.
   */
  loadStateDict(sd: StateDict, opts: LoadStateDictOptions = {}): void {
    // Every value must be a finite JS number: Number('abc') is NaN, Number(null) 0, Number('0x10') 16,
    // and typed-array stores would coerce them silently.
    const firstNonFinite = (data: readonly unknown[]): string | null => {
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (typeof v !== 'number') return `${i} is ${typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v)}, not a number`;
        if (!Number.isFinite(v)) return `${i} is ${v}, not a finite number`;
      }
      return null;
    };
    if (sd === null || typeof sd !== 'object') throw new Error('loadStateDict: expected an object of {shape, data} entries');
    const strict = opts.strict ?? true;
    const problems: string[] = [];
    const targets: [Tensor, ArrayLike<number>][] = [];
    const expected = this.namedTensors();
    for (const [name, t] of expected) {
      if (!Object.prototype.hasOwnProperty.call(sd, name)) {
        if (strict) problems.push(`missing key '${name}' (model ${fmt(t.shape)})`);
        continue;
      }
      const entry = sd[name];
      const shape = entry?.shape;
      if (!Array.isArray(shape) || !Array.isArray(entry.data)) {
        problems.push(`entry '${name}' is not {shape, data} (model ${fmt(t.shape)})`);
      } else if (!sameShape(shape, t.shape)) {
        problems.push(`shape mismatch for '${name}': state dict ${fmt(shape)}, model ${fmt(t.shape)}`);
      } else if (entry.data.length !== sizeOf(shape)) {
        problems.push(`entry '${name}' has ${entry.data.length} values for shape ${fmt(shape)}`);
      } else {
        const bad = firstNonFinite(entry.data);
        if (bad !== null) problems.push(`entry '${name}' index ${bad}`);
        else targets.push([t, entry.data]);
      }
    }
    if (strict) {
      const known = new Set(expected.map(([name]) => name));
      for (const key of Object.keys(sd)) if (!known.has(key)) problems.push(`unexpected key '${key}' ${fmt(sd[key]?.shape ?? [])}`);
    }
    if (problems.length > 0) throw new Error(`loadStateDict: ${problems.join('; ')}`);
    for (const [t, data] of targets) t.data.set(data);
  }

  private namedTensors(): [string, Tensor][] {
    return this.namedModules().flatMap(([prefix, m]) => {
      const { params, buffers } = m.ownTensors();
      return [...params, ...buffers].map(([name, t]): [string, Tensor] => [join(prefix, name), t]);
    });
  }

  /** Runs fn in this module's scope; the path is the dotted name from the outermost running module. */
  private runInScope<T>(fn: () => T): T {
    const path = this.scopePath();
    running.push({ module: this, path });
    try {
      // Drawings name the module's parameters by their state-dict keys (`0.weight`), read only when drawn.
      return withScope(path, this.constructor.name, fn, () => {
        const { params, buffers } = this.ownTensors();
        return [...params, ...buffers].map(([name, t]) => [join(path, name), t] as const);
      });
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
