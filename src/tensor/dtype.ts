/** @file Element types and their typed-array storage. */
import { noteAllocation, takePooled } from './storage-pool';

export type DType = 'float32' | 'float64';
export type Storage = Float32Array | Float64Array;

export const DEFAULT_DTYPE: DType = 'float32';

/** Zero-filled storage: a recycled array when the pool has one (Note [recycled gradients]), else a new one. */
export function allocate(dtype: DType, size: number): Storage {
  const data = takePooled(dtype, size, true) ?? (dtype === 'float64' ? new Float64Array(size) : new Float32Array(size));
  noteAllocation(data);
  return data;
}

/**
 * Note [unfilled storage]: a new typed array is zero-filled, which for an op's output is a wasted
 * pass over memory when a kernel then writes every element anyway — 30 µs of a 600 KB activation's
 * 35 µs allocation. Outputs that a kernel writes whole (the Kernels interface's contract: every
 * kernel writes all of `out`) therefore come from `allocateUnfilled`: a recycled array as it is, or
 * Node's Buffer.allocUnsafeSlow memory, whose contents are whatever was there. Where Buffer is
 * missing (browsers) it is a plain zeroed array. Small arrays come from V8's heap either way.
 * Tests fill such storage with NaN (`fillUnfilledWith`) and check every op gives the same bits.
 */
type UnsafeBytes = (bytes: number) => Uint8Array;
const unsafeBytes: UnsafeBytes | null = (() => {
  const B = (globalThis as { Buffer?: { allocUnsafeSlow?: UnsafeBytes } }).Buffer;
  return typeof B?.allocUnsafeSlow === 'function' ? B.allocUnsafeSlow.bind(B) : null;
})();
/** Below this many bytes the zero-fill is cheap and V8's own allocation is quicker. */
const UNFILLED_MIN_BYTES = 16384;
let unfilledFill: number | null = null;

/** Storage whose every element the caller writes before anything reads it (Note [unfilled storage]). */
export function allocateUnfilled(dtype: DType, size: number): Storage {
  const bytes = size * (dtype === 'float64' ? 8 : 4);
  let data = takePooled(dtype, size, false);
  if (data === null) {
    if (unsafeBytes === null || bytes < UNFILLED_MIN_BYTES) {
      data = dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
    } else {
      const raw = unsafeBytes(bytes);
      data = dtype === 'float64' ? new Float64Array(raw.buffer, raw.byteOffset, size) : new Float32Array(raw.buffer, raw.byteOffset, size);
    }
  }
  if (unfilledFill !== null) data.fill(unfilledFill);
  noteAllocation(data);
  return data;
}

/** Tests only: fills every later allocateUnfilled array with `value` (null: leave it as it comes). */
export function fillUnfilledWith(value: number | null): void {
  unfilledFill = value;
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
