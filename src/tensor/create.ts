/** @file Making tensors: from nested arrays or typed arrays, constant fills, ranges, random draws. */
import { defaultRng, Rng } from '../random/rng';
import { allocate, convertInto, convertValue, DEFAULT_DTYPE, DType, dtypeOf, isDType, isFloating, Storage } from './dtype';
import { checkShape, fmt, sizeOf } from './shape';
import { NestedArray, NestedBoolArray, Tensor } from './tensor';

export interface TensorOptions {
  shape?: readonly number[];
  dtype?: DType;
  requiresGrad?: boolean;
  name?: string;
}

export interface RandomOptions {
  rng?: Rng;
  dtype?: DType;
  requiresGrad?: boolean;
  name?: string;
}

export function checkDType(op: string, dtype: unknown): DType {
  if (dtype === undefined) return DEFAULT_DTYPE;
  if (!isDType(dtype)) throw new Error(`${op}: unknown dtype ${String(dtype)} (use 'float32', 'float64', 'int32' or 'bool')`);
  return dtype;
}

/** A dtype for an op that only makes floats (random draws). */
function checkFloatDType(op: string, dtype: unknown): DType {
  const d = checkDType(op, dtype);
  if (!isFloating(d)) throw new Error(`${op}: dtype must be 'float32' or 'float64', got ${d}`);
  return d;
}

type Nested = NestedArray | NestedBoolArray;

/** Shape of a nested array, checking that it is rectangular and numeric. */
function nestedShape(data: Nested): number[] {
  const shape: number[] = [];
  let level: Nested = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

/** The first leaf of a nested array, which decides its default dtype (booleans: bool). */
function firstLeaf(data: Nested): unknown {
  let level: unknown = data;
  while (Array.isArray(level)) {
    if (level.length === 0) return undefined;
    level = level[0];
  }
  return level;
}

function flattenInto(
  data: Nested,
  shape: readonly number[],
  dim: number,
  out: Storage,
  offset: number,
  dtype: DType,
  bools: boolean,
): number {
  if (dim === shape.length) {
    if (bools ? typeof data !== 'boolean' : typeof data !== 'number') {
      const want = bools ? 'booleans' : 'numbers';
      throw new Error(`tensor: ragged nested array, expected shape ${fmt(shape)} of ${want}, found ${JSON.stringify(data)}`);
    }
    out[offset] = convertValue(dtype, Number(data));
    return offset + 1;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new Error(`tensor: ragged nested array, expected shape ${fmt(shape)}`);
  }
  for (const item of data as Nested[]) offset = flattenInto(item, shape, dim + 1, out, offset, dtype, bools);
  return offset;
}

/**
 * A tensor from nested arrays or a typed array, copied. The dtype, unless opts.dtype says: booleans
 * give bool, an Int32Array int32, a Uint8Array bool, a Float64Array float64, numbers float32. Numbers
 * converted to int32 truncate toward 0; to bool, anything but 0 is true.
 */
export function tensor(
  data: NestedArray | NestedBoolArray | Storage | readonly number[] | readonly boolean[],
  opts: TensorOptions = {},
): Tensor {
  const fromTyped = ArrayBuffer.isView(data);
  const bools = !fromTyped && typeof firstLeaf(data as Nested) === 'boolean';
  const inferred: DType = fromTyped ? dtypeOf(data as Storage) : bools ? 'bool' : DEFAULT_DTYPE;
  const dtype = opts.dtype !== undefined ? checkDType('tensor', opts.dtype) : inferred;
  let values: Storage;
  let shape: number[];
  if (fromTyped) {
    if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array)) {
      throw new Error(
        `tensor: typed arrays must be Float32Array, Float64Array, Int32Array or Uint8Array, got ${(data as object).constructor.name}`,
      );
    }
    values = convertInto(data, allocate(dtype, data.length));
    shape = [data.length];
  } else {
    shape = nestedShape(data as Nested);
    values = allocate(dtype, sizeOf(shape));
    flattenInto(data as Nested, shape, 0, values, 0, dtype, bools);
  }
  if (opts.shape !== undefined) {
    checkShape('tensor', opts.shape);
    if (sizeOf(opts.shape) !== values.length) {
      throw new Error(`tensor: ${values.length} values do not fill shape ${fmt(opts.shape)}`);
    }
    shape = [...opts.shape];
  }
  return new Tensor(values, shape, opts.requiresGrad ?? false, opts.name);
}

function filled(op: string, shape: readonly number[], value: number, opts: Omit<TensorOptions, 'shape'>): Tensor {
  checkShape(op, shape);
  const dtype = checkDType(op, opts.dtype);
  const data = allocate(dtype, sizeOf(shape));
  if (value !== 0) data.fill(convertValue(dtype, value));
  return new Tensor(data, [...shape], opts.requiresGrad ?? false, opts.name);
}

export function full(shape: readonly number[], value: number | boolean, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  const dtype = typeof value === 'boolean' && opts.dtype === undefined ? 'bool' : opts.dtype;
  return filled('full', shape, Number(value), { ...opts, dtype });
}

export function zeros(shape: readonly number[], opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  return filled('zeros', shape, 0, opts);
}

export function ones(shape: readonly number[], opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  return filled('ones', shape, 1, opts);
}

/** 0, 1, …, n-1. */
export function arange(n: number, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new Error(`arange: n must be a non-negative integer, got ${n}`);
  const data = allocate(checkDType('arange', opts.dtype), n);
  for (let i = 0; i < n; i++) data[i] = i;
  return new Tensor(data, [n], opts.requiresGrad ?? false, opts.name);
}

function random(op: string, shape: readonly number[], opts: RandomOptions, draw: (g: Rng) => number): Tensor {
  checkShape(op, shape);
  const g = opts.rng ?? defaultRng();
  const data = allocate(checkFloatDType(op, opts.dtype), sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return new Tensor(data, [...shape], opts.requiresGrad ?? false, opts.name);
}

/** Standard normal draws from the seeded generator. */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return random('randn', shape, opts, (g) => g.normal());
}

/** Uniform draws in [0, 1) from the seeded generator. */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return random('rand', shape, opts, (g) => g.next());
}

/** A 0-d constant: how a plain number joins an op, in the dtype of the tensor it meets. */
export function scalar(value: number, dtype: DType = DEFAULT_DTYPE): Tensor {
  const data = allocate(dtype, 1);
  data[0] = convertValue(dtype, value);
  return new Tensor(data, []);
}
