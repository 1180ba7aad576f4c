/**
 * @file Datasets and the DataLoader, as torch.utils.data (SPEC §16): a `Dataset<T>` is anything with
 * a `length` and `get(i)`; `TensorDataset` rows of tensors, `Subset` and `randomSplit` views, and a
 * `DataLoader` that batches, shuffles (a new permutation each epoch, from its generator) and collates.
 *
 * Note [default collate]: as PyTorch's default_collate, a batch of items is collated by their
 * structure: tensors are stacked on a new first axis, numbers become a 1-D tensor (int32 when every
 * one is an integer, else float32), booleans a bool tensor, strings stay a list, and arrays (tuples)
 * and records are collated field by field. Anything else is refused, naming the path of the field.
 *
 * Note [async datasets]: a dataset whose `get` returns a Promise (files read as needed) is iterated
 * with `for await`; each batch's items are requested together and awaited in order. Iterating such a
 * dataset with a plain `for` throws instead of collating promises.
 */
import { defaultRng, Rng } from '../random/rng';
import { tensor } from '../tensor/create';
import { fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { stack } from '../ops/shape';

/** What a DataLoader reads: a length and items by index (SPEC §16). `get` may return a Promise. */
export interface Dataset<T> {
  readonly length: number;
  get(i: number): T;
}

/** An item's position: an integer in [-n, n), a negative one counting from the end (SPEC §18, as Python's). */
function position(op: string, i: number, n: number): number {
  if (!Number.isInteger(i) || i < -n || i >= n) throw new Error(`${op}: index ${i} is out of range for ${n} items`);
  return i < 0 ? i + n : i;
}

/** Row i of a tensor, copied: shape [...shape.slice(1)]. */
function row(t: Tensor, i: number): Tensor {
  const size = sizeOf(t.shape.slice(1));
  return new Tensor(t.data.slice(i * size, (i + 1) * size), t.shape.slice(1));
}

/** Tensors sharing their first axis; item i is the tuple of their i-th rows (torch's TensorDataset). */
export class TensorDataset<T extends Tensor[] = Tensor[]> implements Dataset<T> {
  readonly tensors: T;

  constructor(...tensors: T) {
    if (tensors.length === 0) throw new Error('TensorDataset: needs at least one tensor');
    tensors.forEach((t, k) => {
      if (!(t instanceof Tensor)) throw new Error(`TensorDataset: argument ${k} is not a tensor`);
      if (t.ndim === 0) throw new Error(`TensorDataset: argument ${k} is a 0-d tensor; each needs a first axis of items`);
    });
    const n = tensors[0].shape[0];
    if (tensors.some((t) => t.shape[0] !== n)) {
      throw new Error(`TensorDataset: the tensors' first axes differ (${tensors.map((t) => fmt(t.shape)).join(', ')})`);
    }
    this.tensors = tensors;
  }

  get length(): number {
    return this.tensors[0].shape[0];
  }

  get(i: number): T {
    const k = position('TensorDataset.get', i, this.length);
    return this.tensors.map((t) => row(t, k)) as T;
  }
}

/** The items of `dataset` at `indices`, in that order (torch's Subset). */
export class Subset<T> implements Dataset<T> {
  readonly indices: readonly number[];
  readonly dataset: Dataset<T>;

  constructor(dataset: Dataset<T> | readonly T[], indices: ArrayLike<number>) {
    this.dataset = asDataset('Subset', dataset);
    this.indices = Array.from(indices);
    for (const i of this.indices) position('Subset', i, this.dataset.length);
  }

  get length(): number {
    return this.indices.length;
  }

  get(i: number): T {
    const index = this.indices[position('Subset.get', i, this.indices.length)];
    return this.dataset.get(index < 0 ? index + this.dataset.length : index);
  }
}

/** A dataset, or an array of items read as one (as PyTorch takes a list where it takes a dataset). */
function asDataset<T>(op: string, ds: Dataset<T> | readonly T[]): Dataset<T> {
  if (Array.isArray(ds)) {
    const items = ds as readonly T[];
    return { length: items.length, get: (i: number) => items[position(`${op} (an array of items)`, i, items.length)] };
  }
  const d = ds as Dataset<T> | null;
  if (d === null || typeof d !== 'object' || typeof d.get !== 'function' || !Number.isInteger(d.length) || d.length < 0) {
    throw new Error(`${op}: expected a dataset ({length, get(i)}) or an array of items, got ${d === null ? 'null' : typeof d}`);
  }
  return d;
}

export interface RandomSplitOptions {
  rng?: Rng;
}

/**
 * Splits a dataset into non-overlapping random subsets of the given lengths, or of the given
 * fractions (which sum to 1): PyTorch's rule, each floor(n·fraction), the remainder handed out one
 * by one from the first subset on.
 */
export function randomSplit<T>(items: Dataset<T> | readonly T[], lengths: readonly number[], opts: RandomSplitOptions = {}): Subset<T>[] {
  const dataset = asDataset('randomSplit', items);
  const n = dataset.length;
  if (!Array.isArray(lengths) || lengths.length === 0) throw new Error('randomSplit: lengths must be a non-empty array of lengths or fractions');
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  // math.isclose(sum, 1) with its default rel_tol 1e-9, and sum <= 1, as torch.utils.data.random_split.
  if (Math.abs(total - 1) <= 1e-9 && total <= 1) {
    sizes = lengths.map((f) => {
      if (!(f >= 0 && f <= 1)) throw new Error(`randomSplit: fraction ${f} is not in [0, 1]`);
      return Math.floor(n * f);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
  }
  if (!sizes.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new Error(`randomSplit: lengths must be non-negative integers or fractions summing to 1, got [${lengths.join(', ')}]`);
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n) {
    throw new Error(`randomSplit: the lengths [${sizes.join(', ')}] do not sum to the dataset's ${n} items`);
  }
  const order = indexOrder(n, true, opts.rng);
  const out: Subset<T>[] = [];
  let offset = 0;
  for (const s of sizes) {
    out.push(new Subset(dataset, order.subarray(offset, offset + s)));
    offset += s;
  }
  return out;
}

/** 0..n-1, shuffled by `rng` (the default generator when none is given) unless `shuffle` is false. */
export function indexOrder(n: number, shuffle: boolean, rng?: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffle ? (rng ?? defaultRng()).shuffle(order) : order;
}

// ---- collation ----------------------------------------------------------------------------------

/** What the default collate makes of a batch of T (Note [default collate]). */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends string
      ? string[]
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : never;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Tensor) return `a tensor ${fmt(v.shape)}`;
  return typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}

function collateAt(items: unknown[], path: string): unknown {
  const first = items[0];
  const where = path === '' ? '' : ` at ${path}`;
  const same = (ok: (v: unknown) => boolean, what: string) => {
    const k = items.findIndex((v) => !ok(v));
    if (k >= 0) throw new Error(`collate: item 0${where} is ${what} but item ${k} is ${describe(items[k])}`);
  };
  if (first instanceof Tensor) {
    same((v) => v instanceof Tensor, 'a tensor');
    const tensors = items as Tensor[];
    const k = tensors.findIndex((t) => t.ndim !== first.ndim || t.shape.some((n, d) => n !== first.shape[d]));
    if (k >= 0) throw new Error(`collate: item 0${where} has shape ${fmt(first.shape)} but item ${k} has ${fmt(tensors[k].shape)}; stack needs equal shapes`);
    return stack(tensors, 0);
  }
  if (typeof first === 'number') {
    same((v) => typeof v === 'number', 'a number');
    const numbers = items as number[];
    return tensor(numbers, { dtype: numbers.every(Number.isInteger) ? 'int32' : 'float32' });
  }
  if (typeof first === 'boolean') {
    same((v) => typeof v === 'boolean', 'a boolean');
    return tensor(Uint8Array.from(items as boolean[], Number), { dtype: 'bool' });
  }
  if (typeof first === 'string') {
    same((v) => typeof v === 'string', 'a string');
    return items;
  }
  if (Array.isArray(first)) {
    same((v) => Array.isArray(v) && v.length === first.length, `an array of ${first.length}`);
    return first.map((_, f) => collateAt(items.map((v) => (v as unknown[])[f]), `${path}[${f}]`));
  }
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    const keys = Object.keys(first);
    same((v) => v !== null && typeof v === 'object' && Object.keys(v).length === keys.length && keys.every((k) => k in (v as object)), `a record of {${keys.join(', ')}}`);
    return Object.fromEntries(keys.map((k) => [k, collateAt(items.map((v) => (v as Record<string, unknown>)[k]), path === '' ? k : `${path}.${k}`)]));
  }
  throw new Error(`collate: cannot collate ${describe(first)}${where} (tensors, numbers, booleans, strings, arrays and records collate)`);
}

/** The default collate (Note [default collate]): a batch of items to one structure of batched tensors. */
export function defaultCollate<T>(items: readonly T[]): Collated<T> {
  if (!Array.isArray(items) || items.length === 0) throw new Error('collate: needs a non-empty array of items');
  return collateAt(items as unknown[], '') as Collated<T>;
}

// ---- the loader ---------------------------------------------------------------------------------

/**
 * The DataLoader's sampler: one epoch's batches of indices into n items — the permutation of 0..n-1
 * drawn at once from `rng` when shuffling (else 0..n-1 in order), cut into batches of batchSize, the
 * last one dropped when it is short and dropLast is set. `tg.data.batches` is this sampler.
 */
export function sampleBatches(n: number, batchSize: number, opts: { shuffle: boolean; dropLast: boolean; rng?: Rng }): Int32Array[] {
  const order = indexOrder(n, opts.shuffle, opts.rng);
  const count = opts.dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  return Array.from({ length: count }, (_, b) => order.slice(b * batchSize, Math.min((b + 1) * batchSize, n)));
}

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  /** A new permutation of the items each epoch (each time iteration starts), drawn from `rng`. */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than batchSize. */
  dropLast?: boolean;
  rng?: Rng;
  /** Turns a batch's items into the batch (default: defaultCollate). */
  collate?: (items: T[]) => B;
  /** PyTorch's names for `collate` and `rng` (collate_fn, generator), taken as the same options. */
  collateFn?: (items: T[]) => B;
  generator?: Rng;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function';

/** Batches of a dataset, as torch.utils.data.DataLoader: iterate it (or `for await` it) once per epoch. */
export class DataLoader<T, B = Collated<Awaited<T>>> implements Iterable<B>, AsyncIterable<B> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly rng: Rng | undefined;
  private readonly collate: (items: Awaited<T>[]) => B;

  readonly dataset: Dataset<T>;

  constructor(dataset: Dataset<T> | readonly T[], opts: DataLoaderOptions<Awaited<T>, B> = {}) {
    this.dataset = asDataset('DataLoader', dataset);
    this.batchSize = opts.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    for (const [ours, theirs] of [
      ['collate', 'collateFn'],
      ['rng', 'generator'],
    ] as const) {
      if (opts[ours] !== undefined && opts[theirs] !== undefined) throw new Error(`DataLoader: give ${ours} or ${theirs} (PyTorch's name for it), not both`);
    }
    this.rng = opts.rng ?? opts.generator;
    const collate = opts.collate ?? opts.collateFn;
    if (collate !== undefined && typeof collate !== 'function') throw new Error(`DataLoader: collate must be a function of a batch's items, got ${typeof collate}`);
    this.collate = collate ?? ((items) => defaultCollate(items) as B);
  }

  /** The number of batches in an epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** This epoch's batches of indices (a fresh permutation when shuffling). */
  private *indexBatches(): Generator<number[]> {
    for (const b of sampleBatches(this.dataset.length, this.batchSize, { shuffle: this.shuffle, dropLast: this.dropLast, rng: this.rng })) {
      yield Array.from(b);
    }
  }

  *[Symbol.iterator](): Iterator<B> {
    for (const indices of this.indexBatches()) {
      const items = indices.map((i) => this.dataset.get(i));
      if (items.some(isThenable)) {
        throw new Error("DataLoader: the dataset's get returns a Promise; iterate with `for await (const batch of loader)`");
      }
      yield this.collate(items as Awaited<T>[]);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    for (const indices of this.indexBatches()) {
      const items = await Promise.all(indices.map((i) => this.dataset.get(i)));
      yield this.collate(items as Awaited<T>[]);
    }
  }
}
