/** @file Element types and their typed-array storage. */

export type DType = 'float32' | 'float64';
export type Storage = Float32Array | Float64Array;

export const DEFAULT_DTYPE: DType = 'float32';

export function allocate(dtype: DType, size: number): Storage {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

export function dtypeOf(data: Storage): DType {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** Two tensors of different dtypes meet in float64, as the SPEC promises. */
export function promoteTypes(a: DType, b: DType): DType {
  return a === b ? a : 'float64';
}

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64';
}
