/**
 * @file Containers and small structural modules (SPEC §15): ModuleList and ModuleDict, which hold
 * children without running them, and Identity, Softmax, LogSoftmax and Unflatten.
 *
 * Note [container children]: a ModuleList's children are named 0, 1, … and a ModuleDict's by their
 * keys, as in PyTorch's state dicts (`layers.0.weight`, `heads.cls.bias`). They are kept in a private
 * array or map, not as properties (a key such as `train` or `forward` would shadow a method), and the
 * containers override `namedChildren`, through which every tree walk (parameters, state dicts, scopes,
 * printing) finds children.
 */
import { softmax, logSoftmax } from '../ops/softmax';
import { reshape } from '../ops/shape';
import { fmt, normalizeAxis, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { AnyModule, Module, ModuleOptions } from './module';
import { pyTuple } from './repr';

/** Returns its input unchanged (a placeholder, as torch.nn.Identity). */
export class Identity extends Module {
  constructor(_opts: ModuleOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}

/** softmax along `axis` (PyTorch's `dim`). */
export class Softmax extends Module {
  constructor(
    readonly axis: number,
    _opts: ModuleOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.axis);
  }

  override extraRepr(): string {
    return `dim=${this.axis}`;
  }
}

/** logSoftmax along `axis`. */
export class LogSoftmax extends Module {
  constructor(
    readonly axis: number,
    _opts: ModuleOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.axis);
  }

  override extraRepr(): string {
    return `dim=${this.axis}`;
  }
}

/** Splits axis `axis` into `sizes` (one of them may be -1), the inverse of Flatten. */
export class Unflatten extends Module {
  readonly sizes: readonly number[];

  constructor(
    readonly axis: number,
    sizes: readonly number[],
    _opts: ModuleOptions = {},
  ) {
    super();
    if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((n) => Number.isInteger(n) && (n >= 0 || n === -1))) {
      throw new Error(`Unflatten: sizes must be a non-empty list of sizes (one may be -1), got ${JSON.stringify(sizes)}`);
    }
    if (sizes.filter((n) => n === -1).length > 1) throw new Error(`Unflatten: only one size may be -1, got ${fmt(sizes)}`);
    this.sizes = [...sizes];
  }

  forward(x: Tensor): Tensor {
    const a = normalizeAxis('Unflatten', this.axis, x.ndim, x.shape);
    const n = x.shape[a];
    const known = sizeOf(this.sizes.filter((s) => s !== -1));
    const free = this.sizes.includes(-1);
    if (free ? known === 0 || n % known !== 0 : known !== n) {
      throw new Error(`Unflatten: sizes ${fmt(this.sizes)} do not fill axis ${this.axis} of size ${n} (input ${fmt(x.shape)})`);
    }
    const sizes = this.sizes.map((s) => (s === -1 ? n / known : s));
    return reshape(x, [...x.shape.slice(0, a), ...sizes, ...x.shape.slice(a + 1)]);
  }

  override extraRepr(): string {
    return `dim=${this.axis}, unflattened_size=${pyTuple(this.sizes)}`;
  }
}

function checkModule(where: string, m: unknown): AnyModule {
  if (!(m instanceof Module)) throw new Error(`${where} is not a Module`);
  return m;
}

/**
 * A list of modules, registered as children 0, 1, … (Note [container children]); it has no forward
 * of its own. Index it with `list.get(i)` or `list[i]`, iterate it with for-of.
 */
export class ModuleList extends Module<never, never> implements Iterable<AnyModule> {
  readonly [index: number]: AnyModule;
  private readonly items: AnyModule[] = [];

  constructor(modules: Iterable<AnyModule> = [], _opts: ModuleOptions = {}) {
    super();
    this.extend(modules);
  }

  forward(): never {
    throw new Error('ModuleList: a ModuleList has no forward; call its modules');
  }

  get length(): number {
    return this.items.length;
  }

  /** The module at index i (negative counts from the end). */
  get(i: number): AnyModule {
    const n = this.items.length;
    if (!Number.isInteger(i) || i < -n || i >= n) throw new Error(`ModuleList: index ${i} is out of range for length ${n}`);
    return this.items[i < 0 ? i + n : i];
  }

  append(m: AnyModule): this {
    this.items.push(checkModule(`ModuleList.append: argument`, m));
    this.sync();
    return this;
  }

  extend(modules: Iterable<AnyModule>): this {
    let i = 0;
    for (const m of modules) this.items.push(checkModule(`ModuleList: module ${i++}`, m));
    this.sync();
    return this;
  }

  /** Inserts before index i (as Python's list.insert: clamped, negative counts from the end). */
  insert(i: number, m: AnyModule): this {
    const n = this.items.length;
    const at = i < 0 ? Math.max(0, n + i) : Math.min(n, i);
    this.items.splice(at, 0, checkModule(`ModuleList.insert: argument`, m));
    this.sync();
    return this;
  }

  [Symbol.iterator](): Iterator<AnyModule> {
    return this.items[Symbol.iterator]();
  }

  override namedChildren(): [string, AnyModule][] {
    return this.items.map((m, i): [string, AnyModule] => [String(i), m]);
  }

  /** Keeps `list[i]` in step with the items (non-enumerable, so walks see the children once). */
  private sync(): void {
    this.items.forEach((m, i) => Object.defineProperty(this, i, { value: m, enumerable: false, configurable: true, writable: false }));
  }
}

/** Modules by name, registered as children under their keys (Note [container children]); no forward. */
export class ModuleDict extends Module<never, never> {
  private readonly items = new Map<string, AnyModule>();

  constructor(modules: Record<string, AnyModule> | Iterable<[string, AnyModule]> = {}, _opts: ModuleOptions = {}) {
    super();
    const entries = Symbol.iterator in Object(modules) ? [...(modules as Iterable<[string, AnyModule]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  forward(): never {
    throw new Error('ModuleDict: a ModuleDict has no forward; call its modules');
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): AnyModule {
    const m = this.items.get(key);
    if (m === undefined) throw new Error(`ModuleDict: no module named '${key}' (keys: ${[...this.items.keys()].join(', ')})`);
    return m;
  }

  set(key: string, m: AnyModule): this {
    if (typeof key !== 'string' || key === '' || key.includes('.')) {
      throw new Error(`ModuleDict: a key must be a non-empty string without '.', got ${JSON.stringify(key)}`);
    }
    this.items.set(key, checkModule(`ModuleDict: '${key}'`, m));
    return this;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  delete(key: string): boolean {
    return this.items.delete(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  values(): AnyModule[] {
    return [...this.items.values()];
  }

  entries(): [string, AnyModule][] {
    return [...this.items.entries()];
  }

  override namedChildren(): [string, AnyModule][] {
    return this.entries();
  }
}
