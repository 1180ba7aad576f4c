/**
 * @file Element types and their typed-array storage.
 *
 * Note [dtypes]: two floating dtypes carry gradients (float32, the default, and float64); int32
 * (Int32Array) holds counts, labels and indices; bool (Uint8Array of 0/1) holds masks and the results
 * of comparisons. Types promote bool < int32 < float32 < float64, as in PyTorch (int32 meeting float32
 * gives float32). Only float tensors may require gradients, and an op whose result is int32 or bool
 * records no node (src/autograd/primitive.ts).
 */
import { noteAllocation, takePooled } from './storage-pool';

export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export type FloatDType = 'float32' | 'float64';
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DEFAULT_DTYPE: DType = 'float32';

/** The four dtypes, lowest in the promotion order first. */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

const BYTES: Record<DType, number> = { bool: 1, int32: 4, float32: 4, float64: 8 };

function fresh(dtype: DType, size: number): Storage {
  switch (dtype) {
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
    default:
      return new Float32Array(size);
  }
}

function view(dtype: DType, raw: Uint8Array, size: number): Storage {
  switch (dtype) {
    case 'float64':
      return new Float64Array(raw.buffer, raw.byteOffset, size);
    case 'int32':
      return new Int32Array(raw.buffer, raw.byteOffset, size);
    case 'bool':
      return new Uint8Array(raw.buffer, raw.byteOffset, size);
    default:
      return new Float32Array(raw.buffer, raw.byteOffset, size);
  }
}

/** Zero-filled storage: a recycled array when the pool has one (Note [recycled gradients]), else a new one. */
export function allocate(dtype: DType, size: number): Storage {
  const data = takePooled(dtype, size, true) ?? fresh(dtype, size);
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
  const bytes = size * BYTES[dtype];
  let data = takePooled(dtype, size, false);
  if (data === null) data = unsafeBytes === null || bytes < UNFILLED_MIN_BYTES ? fresh(dtype, size) : view(dtype, unsafeBytes(bytes), size);
  if (unfilledFill !== null) data.fill(unfilledFill);
  noteAllocation(data);
  return data;
}

/** Tests only: fills every later allocateUnfilled array with `value` (null: leave it as it comes). */
export function fillUnfilledWith(value: number | null): void {
  unfilledFill = value;
}

export function dtypeOf(data: Storage): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

/** Whether a dtype is floating point, the only kind that can carry gradients. */
export function isFloating(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

/** bool < int32 < float32 < float64, as PyTorch promotes (int32 with float32 gives float32). */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/**
 * The dtype a plain number takes beside a tensor of `dtype` (Note [dtypes]): a float tensor's own;
 * for int32 and bool tensors an integer gives int32 and a fractional (or non-finite) number float32.
 */
export function scalarDType(dtype: DType, value: number): DType {
  if (isFloating(dtype)) return dtype;
  return Number.isInteger(value) ? 'int32' : 'float32';
}

/** The element `value` becomes in storage of `dtype`: int32 truncates toward 0, bool is value ≠ 0. */
export function convertValue(dtype: DType, value: number): number {
  if (dtype === 'bool') return value !== 0 ? 1 : 0;
  if (dtype === 'int32') return Math.trunc(value) | 0;
  return value;
}

/** Copies `x` into `out` converting each value to out's dtype (convertValue). */
export function convertInto(x: Storage, out: Storage): Storage {
  if (out instanceof Uint8Array) {
    // Also from a Uint8Array: tensor(new Uint8Array([1, 2])) is bool, so 2 must become 1.
    for (let i = 0; i < x.length; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else {
    // Int32Array's own conversion (ToInt32) truncates toward 0; floats take any value.
    out.set(x);
  }
  return out;
}

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64' || x === 'int32' || x === 'bool';
}
