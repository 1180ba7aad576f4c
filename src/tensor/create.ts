/** @file Making tensors: from nested arrays or typed arrays, constant fills, ranges, random draws. */
import { defaultRng, Rng } from '../random/rng';
import { allocate, DEFAULT_DTYPE, DType, isDType, Storage } from './dtype';
import { checkShape, fmt, sizeOf } from './shape';
import { NestedArray, Tensor } from './tensor';

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

function checkDType(op: string, dtype: unknown): DType {
  if (dtype === undefined) return DEFAULT_DTYPE;
  if (!isDType(dtype)) throw new Error(`${op}: unknown dtype ${String(dtype)} (use 'float32' or 'float64')`);
  return dtype;
}

/** Shape of a nested array, checking that it is rectangular and numeric. */
function nestedShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  return shape;
}

function flattenInto(data: NestedArray, shape: readonly number[], dim: number, out: Storage, offset: number): number {
  if (dim === shape.length) {
    if (typeof data !== 'number') throw new Error(`tensor: ragged nested array, expected shape ${fmt(shape)}`);
    out[offset] = data;
    return offset + 1;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new Error(`tensor: ragged nested array, expected shape ${fmt(shape)}`);
  }
  for (const item of data) offset = flattenInto(item, shape, dim + 1, out, offset);
  return offset;
}

export function tensor(data: NestedArray | Storage | readonly number[], opts: TensorOptions = {}): Tensor {
  const fromTyped = data instanceof Float32Array || data instanceof Float64Array;
  const dtype = opts.dtype !== undefined ? checkDType('tensor', opts.dtype) : data instanceof Float64Array ? 'float64' : DEFAULT_DTYPE;
  let values: Storage;
  let shape: number[];
  if (fromTyped) {
    values = allocate(dtype, data.length);
    values.set(data);
    shape = [data.length];
  } else {
    shape = nestedShape(data as NestedArray);
    values = allocate(dtype, sizeOf(shape));
    flattenInto(data as NestedArray, shape, 0, values, 0);
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
  const data = allocate(checkDType(op, opts.dtype), sizeOf(shape));
  if (value !== 0) data.fill(value);
  return new Tensor(data, [...shape], opts.requiresGrad ?? false, opts.name);
}

export function full(shape: readonly number[], value: number, opts: Omit<TensorOptions, 'shape'> = {}): Tensor {
  return filled('full', shape, value, opts);
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
  const data = allocate(checkDType(op, opts.dtype), sizeOf(shape));
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
  data[0] = value;
  return new Tensor(data, []);
}
