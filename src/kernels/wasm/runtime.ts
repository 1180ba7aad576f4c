/**
 * @file The WebAssembly kernel runtime: compiles the kernel module from its bytes, instantiates it on a
 * shared memory that worker threads use too, and hands out scratch space in it.
 *
 * The memory is an arena: each kernel wrapper resets it, reserves what one call needs (operands,
 * results, per-thread scratch), copies in, runs, copies out. It only grows — to the largest call seen —
 * so the hot path reuses the same buffers instead of allocating.
 *
 * Note [falling back]: missing or corrupt bytes, a runtime without WebAssembly SIMD or shared memory
 * all make `loadRuntime` return a reason instead of a runtime, and src/kernels/index.ts runs the
 * TypeScript kernels and reports that reason in `tg.backend()` (never silently). Without relaxed SIMD
 * (or with TAPEGRAD_WASM=simd) the plain-SIMD build loads instead of the fused multiply-add one.
 */
import { CONTROL_BYTES, MAX_THREADS, WorkerPool } from './parallel';
import { threadLimit } from './worker-host';
import { WasmApi, WasmMemory, WasmModule, WebAssemblyApi } from './api';
import { enableRelaxedSimd, wasmBytes } from './bytes';
import { Build, SERIAL_BUILD, Variant } from './builds';

export type { Build, Variant } from './builds';

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
  'gemm',
  'gemmScratchBytes',
  // Dot products of rows with rows (assembly/row-dots.ts, Note [row dots]).
  'rowDots',
  'conv2dForward',
  'conv2dInputGrad',
  'conv2dWeightGrad',
  'convScratchBytes',
  'weightGradScratchBytes',
  'directForward',
  'directWeightGrad',
  'directWeightGradTasks',
  'shallowForward',
  'shallowScratchBytes',
  'unaryOp',
  'binaryOp',
  'maxPool2d',
  'scatterAddFlat',
  'batchNormForward',
  'batchNormBackward',
  'layerNormForward',
  'layerNormBackward',
  'maskPositive',
  'sgdStep',
  'adamStep',
  'rmspropStep',
  'adagradStep',
  'addPartials',
  'gatherAxis',
  'scatterAddAxis',
  // Comparisons, where and index selection (assembly/select.ts).
  'compareOp',
  'whereOp',
  'indexSelectRows',
  'indexAddRows',
  // Winograd F(2×2, 3×3) convolution (issue 29).
  'winogradForward',
  'winogradScratchBytes',
  'winogradWeights',
  // GELU's forward and backward (assembly/gelu.ts).
  'geluForward',
  'geluBackward',
  // softmax and log-softmax on rows (assembly/softmax.ts).
  'softmaxRows',
  'softmaxRowsBackward',
  'logSoftmaxRows',
  'logSoftmaxRowsBackward',
  // Strided copies (assembly/movement.ts).
  'stridedCopy',
  // An LSTM or GRU layer-direction's whole recurrence (issue 29, assembly/recurrent.ts).
  'lstmActivation',
  'packRecurrentWeights',
  'lstmScratchBytes',
  'lstmSequenceForward',
  'lstmSequenceBackward',
  'gruScratchBytes',
  'gruSequenceForward',
  'gruSequenceBackward',
  // Fused scaled dot-product attention (assembly/attention.ts).
  'attentionForward',
  'attentionBackward',
  'attentionScratchBytes',
] as const;
export type ExportName = (typeof EXPORTS)[number];
export type Exports = Record<ExportName, (...args: number[]) => number>;

/**
 * A WebAssembly instance and the memory it runs on, used as an arena: each kernel wrapper resets it,
 * reserves what one call needs, copies in, runs, copies out.
 */
export class Arena {
  readonly exports: Exports;
  private top: number;
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(
    module: WasmModule,
    readonly memory: WasmMemory,
    /** Bytes at the start that the arena never hands out (the workers' control block). */
    private readonly base: number,
  ) {
    const instance = new WebAssemblyApi!.Instance(module, { env: { memory, abort: wasmAbort } });
    this.exports = instance.exports as unknown as Exports;
    this.top = base;
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
  }

  /** Frees everything reserved since the last reset (one kernel call's worth). */
  reset(): void {
    this.top = this.base;
  }

  /** Frees what was reserved since `reserve` returned `at` (a call's scratch, reused by its next part). */
  rewind(at: number): void {
    if (at < this.base || at > this.top) throw new RangeError(`wasm: cannot rewind the arena to ${at}`);
    this.top = at;
  }

  /**
   * Reserves `bytes` (64-byte aligned, so vectors and cache lines line up); returns the byte offset.
   * A size that is not a non-negative integer, or that the 2 GiB memory cannot hold, is a RangeError
   * (callers fall back to the TypeScript kernels on it).
   */
  reserve(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`wasm: cannot reserve ${bytes} bytes`);
    const at = this.top;
    if (at + bytes > MAX_PAGES * PAGE)
      throw new RangeError(`wasm: a kernel needs ${at + bytes} bytes, more than the ${MAX_PAGES * PAGE} the memory allows`);
    this.top = at + Math.ceil(bytes / 64) * 64;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      const pages = Math.ceil((this.top - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES)
        throw new RangeError(`wasm: a kernel needs ${this.top} bytes, more than the ${MAX_PAGES * PAGE} the memory allows`);
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
}

/**
 * Note [serial arena]: copying a typed array into or out of shared memory runs at about half the
 * speed of an ordinary copy (V8 copies shared buffers with relaxed atomic word moves: 600 KB in
 * 40 µs against 17 µs, measured), and the kernels that never split over threads — elementwise,
 * batch and layer norm, max pooling, strided copies, the optimiser steps, short activations — spend
 * more time copying than computing. They run on a second instance, built without shared memory
 * (kernels-serial.wasm, or kernels-serial-relaxed.wasm beside the relaxed build: each variant's
 * serial build is compiled from the same code with the same features, so a kernel gives the same
 * bits on either instance — a GELU split over threads and a short one kept on this thread — where
 * the code uses the relaxed build's fused multiply-add, as exp4 does), on a memory of its own.
 * Where that build is missing they share the threaded instance's arena, as before.
 */
export class Runtime extends Arena {
  readonly pool: WorkerPool;
  /** Threads a kernel may split over: this one plus the pool's workers. */
  readonly threads: number;
  /** The arena of the kernels that run on this thread only (Note [serial arena]). */
  readonly serial: Arena;

  constructor(
    readonly module: WasmModule,
    memory: WasmMemory,
    threads: number,
    readonly variant: Variant,
    serial: Arena | null = null,
  ) {
    super(module, memory, RESERVED);
    this.pool = new WorkerPool(module, memory, threads - 1, EXPORTS);
    this.threads = threads;
    this.serial = serial ?? this;
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
    this.pool.run(this.fn(name), chunks, threads, work, stride, fn);
  }

  /** The index of an export in EXPORTS, as worker calls name it. */
  fn(name: ExportName): number {
    return EXPORTS.indexOf(name);
  }
}

function wasmAbort(): never {
  throw new Error('wasm: kernel aborted');
}

export interface LoadOptions {
  /** Threads in all (this one and threads − 1 workers). */
  threads: number;
  /** Whether the relaxed-SIMD build may load (TAPEGRAD_WASM=simd says no). */
  allowRelaxed: boolean;
  /** Where the module's bytes come from (tests pass damaged ones); null means missing. */
  bytes?: (build: Build) => Uint8Array | null;
}

/** A runtime, or why there is none (Note [falling back]). */
export type LoadResult = { runtime: Runtime; reason?: undefined } | { runtime?: undefined; reason: string };

/** Whether `api` accepts the relaxed-SIMD module, turning the engine's flag on where it needs one. */
function acceptsRelaxed(api: WasmApi, bytes: Uint8Array): boolean {
  if (api.validate(bytes)) return true;
  return enableRelaxedSimd() && api.validate(bytes);
}

export function loadRuntime({ threads, allowRelaxed, bytes = wasmBytes }: LoadOptions): LoadResult {
  const api = WebAssemblyApi;
  if (api === undefined) return { reason: 'this JavaScript runtime has no WebAssembly' };
  let variant: Variant = 'simd';
  let code: Uint8Array | null = null;
  try {
    if (allowRelaxed) {
      const relaxed = bytes('relaxed');
      if (relaxed !== null && acceptsRelaxed(api, relaxed)) {
        variant = 'relaxed';
        code = relaxed;
      }
    }
    if (code === null) {
      code = bytes('simd');
      if (code === null) return { reason: 'the WebAssembly kernels are missing (npm run build:wasm builds them)' };
    }
  } catch (e) {
    return { reason: `the WebAssembly kernels could not be read: ${messageOf(e)}` };
  }
  try {
    const module = new api.Module(code);
    const names = api.Module.exports(module).map((e) => e.name);
    const missing = EXPORTS.filter((e) => !names.includes(e));
    if (missing.length > 0) return { reason: `the WebAssembly kernels are stale: they lack ${missing.join(', ')} (npm run build:wasm)` };
    const initial = RESERVED / PAGE + 16;
    let memory: WasmMemory;
    try {
      memory = new api.Memory({ initial, maximum: MAX_PAGES, shared: true });
    } catch (e) {
      return { reason: `this JavaScript runtime has no shared WebAssembly memory (${messageOf(e)})` };
    }
    return {
      runtime: new Runtime(
        module,
        memory,
        Math.max(1, Math.min(threads, threadLimit().max, MAX_THREADS)),
        variant,
        loadSerial(api, bytes, variant),
      ),
    };
  } catch (e) {
    // A corrupt file, or an engine without SIMD: compiling throws. The TypeScript kernels take over.
    return { reason: `the WebAssembly kernels did not load: ${messageOf(e)}` };
  }
}

/** The serial arena of `variant` (Note [serial arena]), or null when its build is missing, stale or does not load. */
function loadSerial(api: WasmApi, bytes: (build: Build) => Uint8Array | null, variant: Variant): Arena | null {
  try {
    const code = bytes(SERIAL_BUILD[variant]);
    if (code === null) return null;
    const module = new api.Module(code);
    const names = api.Module.exports(module).map((e) => e.name);
    if (EXPORTS.some((e) => !names.includes(e))) return null;
    // Offset 0 means "absent" to the kernels (no bias, no weight): the arena starts past it.
    // Note [no static data in the kernels]: the kernels' memories have no room for AssemblyScript's
    // static data. The threaded instance's control block starts at byte 0 and this arena at byte 64,
    // so a data segment — which library math with lookup tables (Math.exp, Math.tanh, Math.log) or a
    // constant array brings in — would be written there when an instance starts and then overwritten,
    // and a kernel reading it would compute garbage without an error. The kernels carry their own
    // table-free functions instead; tests/wasm-static-data.test.ts fails a build with a data section.
    return new Arena(module, new api.Memory({ initial: 16, maximum: MAX_PAGES }), 64);
  } catch {
    return null;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
