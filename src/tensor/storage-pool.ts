/**
 * @file Reusing the storage of gradients a backward pass is done with.
 *
 * Note [recycled gradients]: a training step allocates megabytes of typed arrays, most of them the
 * intermediate gradients of backward, each dead as soon as the rule of the tensor it belongs to has
 * run. Fresh typed arrays cost a zero-filled allocation each, and their churn drives V8's full
 * collections (Note [training heap] in bin/tapegrad.js). So the engine hands the storage of such a
 * gradient back here, and `allocate` reuses it (zeroed again) for an array of the same dtype and
 * length. The engine only hands back what it knows nobody else can see: storage allocated during
 * the pass itself (`trackAllocations`), of a gradient no pending gradient, stored .grad, hook,
 * recorder or grad() result refers to. Small arrays are not worth it: they come from V8's own heap.
 */
// Declared here rather than imported from dtype.ts, which imports this file.
type DType = 'float32' | 'float64' | 'int32' | 'bool';
type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Smaller arrays are left to V8. */
export const POOL_MIN_ELEMENTS = 4096;
/** Arrays kept per dtype and length: a step's worth of one layer's gradients. */
const PER_SIZE = 8;

const pools: Record<DType, Map<number, Storage[]>> = { float32: new Map(), float64: new Map(), int32: new Map(), bool: new Map() };
let tracked: WeakSet<ArrayBufferLike> | null = null;

/** A pooled array of `size` elements (zero-filled when `zero`: else as its last user left it), or null when there is none. */
export function takePooled(dtype: DType, size: number, zero: boolean): Storage | null {
  if (size < POOL_MIN_ELEMENTS) return null;
  const list = pools[dtype].get(size);
  const data = list?.pop();
  if (data === undefined) return null;
  if (zero) data.fill(0);
  return data;
}

/** Remembers a newly allocated array's storage while a backward pass tracks its allocations. */
export function noteAllocation(data: Storage): void {
  if (tracked !== null && data.length >= POOL_MIN_ELEMENTS) tracked.add(data.buffer);
}

/** What a pass that tracks its allocations can do with them. */
export interface TrackedAllocations {
  /** Pools an array allocated in the meantime (anything else, or anything after, is ignored). */
  recycle(data: Storage): void;
  /** Whether `data` is a whole array allocated in the meantime and not pooled since. */
  allocatedHere(data: Storage): boolean;
}

/** Runs `fn` with allocations tracked (TrackedAllocations). */
export function trackAllocations<T>(fn: (tracked: TrackedAllocations) => T): T {
  // A pass nested in another (a rule that runs grad) tracks its own allocations only: its seeds
  // may be the outer pass's gradients, which it must never hand back.
  const outer = tracked;
  const mine = new WeakSet<ArrayBufferLike>();
  tracked = mine;
  let open = true;
  const allocatedHere = (data: Storage) =>
    open && mine.has(data.buffer) && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  const recycle = (data: Storage) => {
    if (!allocatedHere(data)) return;
    mine.delete(data.buffer);
    const dtype: DType =
      data instanceof Float64Array ? 'float64' : data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'bool';
    const list = pools[dtype].get(data.length) ?? [];
    if (list.length < PER_SIZE) list.push(data);
    pools[dtype].set(data.length, list);
  };
  try {
    return fn({ recycle, allocatedHere });
  } finally {
    open = false;
    tracked = outer;
  }
}
