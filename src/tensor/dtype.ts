/** @file Element types and their typed-array storage. */
import { noteAllocation, takePooled } from './storage-pool';

export type DType = 'float32' | 'float64';
export type Storage = Float32Array | Float64Array;

export const DEFAULT_DTYPE: DType = 'float32';

/** Zero-filled storage: a recycled array when the pool has one (Note [recycled gradients]), else a new one. */
export function allocate(dtype: DType, size: number): Storage {
  const data = takePooled(dtype, size) ?? (dtype === 'float64' ? new Float64Array(size) : new Float32Array(size));
  noteAllocation(data);
  return data;
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
