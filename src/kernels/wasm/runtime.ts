/**
 * @file Loads the WebAssembly kernels (built from assembly/ by `npm run build:wasm`) synchronously at
 * import, on a shared memory that worker threads use too, and hands out scratch space in it.
 *
 * The memory is an arena: each kernel wrapper resets it, reserves what one call needs (operands,
 * results, per-thread scratch), copies in, runs, copies out. It only grows — to the largest call seen —
 * so the hot path reuses the same buffers instead of allocating.
 *
 * Note [falling back]: a missing or stale .wasm, a runtime without WebAssembly SIMD or shared memory,
 * or TAPEGRAD_WASM=0 all leave `loadRuntime` returning null, and the TypeScript kernels run instead,
 * silently: the results are the same to float32 rounding. Without relaxed SIMD (or with
 * TAPEGRAD_WASM=simd) the plain-SIMD build loads instead of the fused multiply-add one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CONTROL_BYTES, threadCount, WorkerPool } from '../parallel';
import { WasmApi, WasmMemory, WasmModule, WebAssemblyApi } from './api';

/**
 * The two builds of assembly/ (assembly/asconfig.json): with relaxed SIMD, whose fused multiply-add
 * makes the GEMM a third faster, and with plain 128-bit SIMD for runtimes without it.
 */
export const WASM_FILES = {
  relaxed: path.join(__dirname, 'kernels-relaxed.wasm'),
  simd: path.join(__dirname, 'kernels.wasm'),
} as const;
export type Variant = keyof typeof WASM_FILES;

const PAGE = 65536;

/**
 * Below this many multiply-adds one thread finishes before a sleeping worker would have woken up and
 * taken a share: waking one takes tens of microseconds, 2^21 MACs take ~60 µs on one core.
 */
export const PARALLEL_MIN_MACS = 1 << 21;
/** 2 GiB: pointers stay below 2^31, so they pass through the workers' i32 control slots. */
const MAX_PAGES = 32768;
/** The first bytes hold the workers' control block and chunk table; the arena starts after them. */
const RESERVED = Math.ceil(CONTROL_BYTES / PAGE) * PAGE;

/** The exports the wrappers call, by name; the order is the index workers are sent. */
export const EXPORTS = [
  'gemm', 'gemmScratchBytes',
  'conv2dForward', 'conv2dInputGrad', 'conv2dWeightGrad', 'convScratchBytes', 'weightGradScratchBytes',
  'directForward', 'directWeightGrad', 'directWeightGradTasks',
  'unaryOp', 'binaryOp', 'maxPool2d',
] as const;
export type ExportName = (typeof EXPORTS)[number];
export type Exports = Record<ExportName, (...args: number[]) => number>;

export class Runtime {
  readonly exports: Exports;
  readonly pool: WorkerPool;
  /** Threads a kernel may split over: this one plus the pool's workers. */
  readonly threads: number;
  private top = RESERVED;
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(readonly module: WasmModule, readonly memory: WasmMemory, threads: number, readonly variant: Variant) {
    const instance = new WebAssemblyApi!.Instance(module, { env: { memory, abort: wasmAbort } });
    this.exports = instance.exports as unknown as Exports;
    this.pool = new WorkerPool(module, memory, threads - 1, EXPORTS);
    this.threads = threads;
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
  }

  /** Frees everything reserved since the last reset (one kernel call's worth). */
  reset(): void {
    this.top = RESERVED;
  }

  /** Reserves `bytes` (64-byte aligned, so vectors and cache lines line up); returns the byte offset. */
  reserve(bytes: number): number {
    const at = this.top;
    this.top = at + ((bytes + 63) & ~63);
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      const pages = Math.ceil((this.top - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw new RangeError(`wasm: a kernel needs ${this.top} bytes, more than the ${MAX_PAGES * PAGE} the memory allows`);
      // Grow by at least a quarter so a slowly rising size does not grow on every call.
      this.memory.grow(Math.min(MAX_PAGES - have / PAGE, Math.max(pages, Math.ceil(have / PAGE / 4))));
    }
    return at;
  }

  /** A float32 view of the whole memory (renewed after growth). */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.memory.buffer || this.f32View.length * 4 !== this.memory.buffer.byteLength) {
      this.f32View = new Float32Array(this.memory.buffer);
    }
    return this.f32View;
  }

  /** An int32 view of the whole memory (renewed after growth). */
  get i32(): Int32Array {
    if (this.i32View.buffer !== this.memory.buffer || this.i32View.length * 4 !== this.memory.buffer.byteLength) {
      this.i32View = new Int32Array(this.memory.buffer);
    }
    return this.i32View;
  }

  /** Threads worth using for a kernel call of `macs` multiply-adds: all ready ones above the threshold. */
  threadsFor(macs: number): number {
    return macs >= PARALLEL_MIN_MACS ? Math.min(this.threads, 1 + this.pool.ready) : 1;
  }

  /**
   * Runs export `name` once per chunk (arguments, then the thread's scratch pointer), spread over
   * `threads` threads whose scratch areas are `stride` bytes apart from `work`.
   */
  runChunks(name: ExportName, chunks: readonly (readonly number[])[], threads: number, work: number, stride: number): void {
    const fn = this.exports[name];
    if (threads === 1 || chunks.length === 1) {
      for (const chunk of chunks) fn(...chunk, work);
      return;
    }
    this.pool.run(this.fn(name), chunks, work, stride, fn);
  }

  /** The index of an export in EXPORTS, as worker calls name it. */
  fn(name: ExportName): number {
    return EXPORTS.indexOf(name);
  }
}

function wasmAbort(): never {
  throw new Error('wasm: kernel aborted');
}

/** Why the last loadRuntime returned null (for `tapegrad info`-style diagnostics and tests). */
export let unavailableReason = '';

/**
 * Whether this runtime accepts relaxed SIMD. Node 20's V8 (11.3) has it behind a flag that V8 11.4
 * (Node 22) turned on for good; the flag only adds instructions to WebAssembly, so turning it on
 * changes nothing else. TAPEGRAD_WASM=simd keeps to the plain build instead.
 */
function relaxedSimd(api: WasmApi, bytes: Uint8Array): boolean {
  if (api.validate(bytes)) return true;
  try {
    (require('v8') as typeof import('v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return api.validate(bytes);
}

/** The kernel module and a runtime on fresh shared memory, or null (Note [falling back]). */
export function loadRuntime(threads = threadCount(), allowRelaxed = wasmMode() !== 'simd'): Runtime | null {
  try {
    const api = WebAssemblyApi;
    if (api === undefined || typeof SharedArrayBuffer !== 'function') {
      unavailableReason = 'this JavaScript runtime has no WebAssembly or SharedArrayBuffer';
      return null;
    }
    let variant: Variant = 'simd';
    let bytes: Uint8Array | null = null;
    if (allowRelaxed && fs.existsSync(WASM_FILES.relaxed)) {
      const relaxed = fs.readFileSync(WASM_FILES.relaxed);
      if (relaxedSimd(api, relaxed)) {
        variant = 'relaxed';
        bytes = relaxed;
      }
    }
    if (bytes === null) {
      if (!fs.existsSync(WASM_FILES.simd)) {
        unavailableReason = `${WASM_FILES.simd} is missing (run npm run build:wasm)`;
        return null;
      }
      bytes = fs.readFileSync(WASM_FILES.simd);
    }
    const module = new api.Module(bytes);
    const names = api.Module.exports(module).map((e) => e.name);
    const missing = EXPORTS.filter((e) => !names.includes(e));
    if (missing.length > 0) {
      unavailableReason = `${WASM_FILES[variant]} is stale: it lacks ${missing.join(', ')} (run npm run build:wasm)`;
      return null;
    }
    const initial = RESERVED / PAGE + 16;
    const memory = new api.Memory({ initial, maximum: MAX_PAGES, shared: true });
    return new Runtime(module, memory, threads, variant);
  } catch (e) {
    // E.g. no SIMD support: compiling the module throws. The TypeScript kernels take over.
    unavailableReason = `the WebAssembly kernels did not load: ${e instanceof Error ? e.message : String(e)}`;
    return null;
  }
}

/** TAPEGRAD_WASM: 'off' (0, off, false), 'simd' (no relaxed SIMD) or 'auto' (anything else, the default). */
export function wasmMode(): 'off' | 'simd' | 'auto' {
  const v = (process.env.TAPEGRAD_WASM ?? '').toLowerCase();
  return v === '0' || v === 'off' || v === 'false' ? 'off' : v === 'simd' ? 'simd' : 'auto';
}

/** Whether the environment asks for the TypeScript kernels only (TAPEGRAD_WASM=0, off or false). */
export function wasmDisabled(): boolean {
  return wasmMode() === 'off';
}
