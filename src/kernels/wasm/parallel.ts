/**
 * @file Worker threads that run WebAssembly kernel calls on the memory they share with the main
 * thread, so one kernel call can be split across cores (large GEMMs, a batch of convolutions).
 *
 * Every worker instantiates the same compiled module on the same shared `WebAssembly.Memory`. A job
 * is a list of chunks — calls to one export with their own i32 arguments — written into a table in
 * that memory. The main thread publishes the job and then works through the chunks itself, while
 * the workers that are awake claim chunks too; so a worker that is slow to wake, or descheduled on
 * a busy machine, only means the main thread does more of the work. Each thread passes its own
 * scratch area (`workBase + thread · workStride`) as the call's last argument.
 *
 * Note [claiming chunks]: a chunk is claimed by a compare-and-swap on one word holding the job's tag
 * (high 16 bits) and the next chunk index (low 16 bits). A worker still finishing an old job sees
 * another tag and claims nothing, so it can never run a new job's chunk with the old job's
 * arguments; and the main thread starts no new job until every chunk of the last one is complete.
 * A claimer reads the job's chunk count before its first claim, so the main thread first marks the
 * finished job's word exhausted (index 0xffff, above any count) and only then writes the next job's
 * count and table: a late claimer that read the new count then also sees the exhausted word, or the
 * new tag, and claims nothing — without that step it could pair the old tag with the new count,
 * claim an index past the old job's end, run a half-written chunk and count it as completed.
 *
 * Note [scratch slots]: a call reserves scratch for the `threads` it was planned for, but workers
 * start in the background (worker-host.ts: worker_threads in Node, Web Workers in a
 * crossOriginIsolated page), in any order, and more may be up by the time the job is published
 * than when it was planned. So a worker does not use its own number for its scratch area: on each
 * job it takes the next free slot (an atomic counter the main thread resets per job; the main
 * thread is slot 0), and a worker whose slot is past the job's thread count claims nothing. Before
 * this, worker 40 of 64 wrote scratch at workBase + 40·stride into a call planned for 4 threads —
 * over other operands, or past the memory's end (the intermittent failures at TAPEGRAD_THREADS=64).
 *
 * Note [worker failure]: a worker whose kernel throws records which worker, which chunk and why in
 * the control block (the main thread is blocked in Atomics.wait and cannot receive messages). The
 * main thread then closes the job to further claims, waits for the chunks other threads are still
 * running, and only then throws naming the kernel, the worker and the reason — so the next job
 * starts on a quiet pool, which is how it recovers. Until a worker is up, the main thread runs
 * every chunk; without workers the pool is empty and everything runs single-threaded.
 */
import type { WasmMemory, WasmModule } from './api';
import { canBlock, cores, startWorker } from './worker-host';

// Int32 slots of the control block.
const SEQ = 0;
const NEXT = 1;
const COUNT = 2;
const COMPLETED = 3;
const FN = 4;
const NARGS = 5;
const WORK_BASE = 6;
const WORK_STRIDE = 7;
const FAILED = 8;
/** Threads the current job was planned for (Note [scratch slots]). */
const THREADS = 9;
/** The next scratch slot to hand out in the current job (the main thread holds slot 0). */
const SLOT = 10;
/** The chunk the failed worker was running, and the length of its error text (Note [worker failure]). */
const FAIL_CHUNK = 11;
const FAIL_LENGTH = 12;
/** Slot of worker t's ready flag (t = 1, 2, ...). */
const READY = 16;
/** Slot of thread t's chunk in progress plus one, 0 when idle (t = 0 is the main thread). */
const BUSY = 96;
/** The failed worker's error text, one UTF-16 code unit per slot. */
const FAIL_TEXT = 168;
const FAIL_TEXT_MAX = 256 - FAIL_TEXT;
const TABLE = 256;
export const MAX_ARGS = 24;
export const MAX_CHUNKS = 256;
/** Bytes the control block and chunk table take at the start of the memory. */
export const CONTROL_BYTES = (TABLE + MAX_ARGS * MAX_CHUNKS) * 4;

/**
 * Spin iterations before sleeping. A worker spins briefly (~10 µs) after a job, so back-to-back
 * jobs skip the futex round trip without burning a core between training steps; the main thread,
 * which has nothing else to do while it waits for the last chunks, spins longer.
 */
const WORKER_SPIN = 1000;
const MAIN_SPIN = 20000;
/** How long the main thread waits for a chunk to complete before declaring its worker dead. */
const STALL_MS = 60000;

/** The control-block slots the chunk loop reads, passed in so its source text is self-contained. */
interface ClaimSlots {
  count: number;
  nargs: number;
  next: number;
  table: number;
  completed: number;
  busy: number;
}
const CLAIM_SLOTS: ClaimSlots = { count: COUNT, nargs: NARGS, next: NEXT, table: TABLE, completed: COMPLETED, busy: BUSY };

/**
 * The chunk loop both sides run (Note [claiming chunks]). The workers run literally this function:
 * its source text (toString) goes into their program, so no string is ever evaluated on the page's
 * own thread (a Content-Security-Policy without 'unsafe-eval' allows that).
 */
function claimChunks(
  c: Int32Array,
  tag: number,
  fn: (...args: number[]) => unknown,
  work: number,
  args: number[],
  slots: ClaimSlots,
  thread: number,
): void {
  const count = c[slots.count];
  const nargs = c[slots.nargs];
  args.length = nargs + 1;
  args[nargs] = work;
  for (;;) {
    const v = Atomics.load(c, slots.next);
    if (v >>> 16 !== tag || (v & 0xffff) >= count) return;
    if (Atomics.compareExchange(c, slots.next, v, v + 1) !== v) continue;
    const at = slots.table + (v & 0xffff) * nargs;
    for (let i = 0; i < nargs; i++) args[i] = c[at + i];
    Atomics.store(c, slots.busy + thread, (v & 0xffff) + 1);
    fn(...args);
    Atomics.store(c, slots.busy + thread, 0);
    Atomics.add(c, slots.completed, 1);
    Atomics.notify(c, slots.completed);
  }
}

// The worker's whole program, kept as source text so it runs without a TypeScript loader and in
// either host (worker-host.ts): \`data\` is what startWorker was given.
const WORKER_SOURCE = `
const { module, memory, thread, names } = data;
const instance = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } });
const fns = names.map((n) => instance.exports[n]);
const c = new Int32Array(memory.buffer, 0, ${CONTROL_BYTES / 4});
const args = [];
const claimChunks = ${claimChunks.toString()};
const slots = ${JSON.stringify(CLAIM_SLOTS)};
let seen = Atomics.load(c, ${SEQ});
Atomics.store(c, ${READY} + thread, 1);
for (;;) {
  let s = Atomics.load(c, ${SEQ});
  for (let i = 0; s === seen && i < ${WORKER_SPIN}; i++) s = Atomics.load(c, ${SEQ});
  if (s === seen) {
    Atomics.wait(c, ${SEQ}, seen);
    continue;
  }
  seen = s;
  // Note [scratch slots]: this job's slot, not the worker's number, picks the scratch area.
  const slot = Atomics.add(c, ${SLOT}, 1);
  if (slot >= c[${THREADS}]) continue;
  try {
    claimChunks(c, s & 0xffff, fns[c[${FN}]], c[${WORK_BASE}] + slot * c[${WORK_STRIDE}], args, slots, thread);
  } catch (e) {
    // Note [worker failure]: the first failure of a job records who, where and why.
    if (Atomics.compareExchange(c, ${FAILED}, 0, thread) === 0) {
      const text = String((e && e.message) || e).slice(0, ${FAIL_TEXT_MAX});
      for (let i = 0; i < text.length; i++) c[${FAIL_TEXT} + i] = text.charCodeAt(i);
      c[${FAIL_LENGTH}] = text.length;
      c[${FAIL_CHUNK}] = Atomics.load(c, ${BUSY} + thread) - 1;
    }
    Atomics.store(c, ${BUSY} + thread, 0);
    Atomics.add(c, ${COMPLETED}, 1 << 20);
    Atomics.notify(c, ${COMPLETED});
  }
}
`;

/** One chunk of a job: its i32 arguments, without the trailing scratch pointer. */
export type Chunk = readonly number[];

export class WorkerPool {
  private readonly c: Int32Array;
  private seq = 0;
  private readonly args: number[] = [];
  /** Jobs offered to workers so far (tests check that large kernels really split). */
  published = 0;
  private readonly workers: number;

  /**
   * @param names the exports workers may run, in the order `run` names them by index
   * @param count worker threads to start (threads in all: count + 1)
   */
  constructor(
    module: WasmModule,
    memory: WasmMemory,
    count: number,
    readonly names: readonly string[],
  ) {
    this.c = new Int32Array(memory.buffer, 0, CONTROL_BYTES / 4);
    let started = 0;
    for (let t = 1; t <= count; t++) {
      // A worker that dies at start (e.g. out of memory) is never ready and never used.
      const ok = startWorker(WORKER_SOURCE, { module, memory, thread: t, names }, () => Atomics.store(this.c, READY + t, 0));
      if (!ok) break;
      started++;
    }
    this.workers = started;
  }

  /** Workers that have started and can take chunks. */
  get ready(): number {
    let n = 0;
    for (let t = 1; t <= this.workers; t++) n += Atomics.load(this.c, READY + t);
    return n;
  }

  /**
   * Runs fn(...chunk, work) for every chunk on at most `threads` threads: this one (work = workBase)
   * and ready workers, each in the scratch slot it takes for the job (work = workBase + slot ·
   * workStride, slot < threads: Note [scratch slots]); returns when all are done.
   */
  run(
    fn: number,
    chunks: readonly Chunk[],
    threads: number,
    workBase: number,
    workStride: number,
    local: (...args: number[]) => unknown,
  ): void {
    // More chunks than the table holds run as several jobs, one table-full after another.
    for (let k = 0; k < chunks.length; k += MAX_CHUNKS) {
      this.runJob(fn, chunks.length <= MAX_CHUNKS ? chunks : chunks.slice(k, k + MAX_CHUNKS), threads, workBase, workStride, local);
    }
  }

  private runJob(
    fn: number,
    chunks: readonly Chunk[],
    threads: number,
    workBase: number,
    workStride: number,
    local: (...args: number[]) => unknown,
  ): void {
    const c = this.c;
    const nargs = chunks.length > 0 ? chunks[0].length : 0;
    if (nargs > MAX_ARGS) throw new Error(`parallel: a chunk of ${nargs} arguments exceeds the table's ${MAX_ARGS}`);
    const tag = ++this.seq & 0xffff;
    // Note [claiming chunks]: exhaust the last job's claim word before rewriting the table.
    Atomics.store(c, NEXT, (Atomics.load(c, NEXT) & ~0xffff) | 0xffff);
    // Note [scratch slots]: slot 0 is this thread's; workers take 1, 2, ... below `threads`.
    Atomics.store(c, SLOT, 1);
    for (let k = 0; k < chunks.length; k++) for (let i = 0; i < nargs; i++) c[TABLE + k * nargs + i] = chunks[k][i];
    c[COUNT] = chunks.length;
    c[FN] = fn;
    c[NARGS] = nargs;
    c[WORK_BASE] = workBase;
    c[WORK_STRIDE] = workStride;
    c[THREADS] = threads;
    c[FAILED] = 0;
    Atomics.store(c, COMPLETED, 0);
    Atomics.store(c, NEXT, tag << 16);
    if (this.ready > 0 && threads > 1) {
      Atomics.store(c, SEQ, tag);
      Atomics.notify(c, SEQ);
      this.published++;
    }
    try {
      claimChunks(c, tag, local, workBase, this.args, CLAIM_SLOTS, 0);
    } catch (e) {
      Atomics.store(c, BUSY, 0);
      this.drain(tag, chunks.length, 1);
      throw e;
    }
    this.await(chunks.length, (done) => done < chunks.length && done >>> 20 === 0);
    if (Atomics.load(c, FAILED) !== 0) {
      this.drain(tag, chunks.length, 0);
      const thread = c[FAILED];
      const text = String.fromCharCode(...c.subarray(FAIL_TEXT, FAIL_TEXT + c[FAIL_LENGTH]));
      throw new Error(
        `parallel: worker ${thread} failed running kernel '${this.names[fn] ?? fn}' (chunk ${c[FAIL_CHUNK] + 1} of ${chunks.length}): ${text}`,
      );
    }
  }

  /**
   * Waits while `waiting(completed)` holds; throws when a minute passes without progress, naming
   * the workers still inside a chunk (a worker that died mid-chunk cannot report it: its 'error'
   * event cannot run while this thread waits).
   */
  private await(count: number, waiting: (done: number) => boolean): void {
    const c = this.c;
    let spins = 0;
    let last = -1;
    let since = 0;
    for (let done = Atomics.load(c, COMPLETED); waiting(done); done = Atomics.load(c, COMPLETED)) {
      if (++spins <= MAIN_SPIN) continue;
      if (done !== last) {
        last = done;
        since = Date.now();
      } else if (Date.now() - since > STALL_MS) {
        const stuck: string[] = [];
        for (let t = 1; t <= this.workers; t++) {
          const busy = Atomics.load(c, BUSY + t);
          if (busy !== 0) stuck.push(`worker ${t} (chunk ${busy})`);
        }
        const kernel = this.names[c[FN]] ?? c[FN];
        // Close the job, so a stuck worker that wakes up later finds nothing to claim.
        Atomics.store(c, NEXT, (Atomics.load(c, NEXT) & ~0xffff) | 0xffff);
        throw new Error(
          `parallel: ${stuck.length > 0 ? stuck.join(', ') : 'a worker thread'} stopped responding while running kernel '${kernel}' ` +
            `(${done & 0xfffff} of ${count} chunks done in ${STALL_MS / 1000} s)`,
        );
      }
      // A page's main thread may not block: it keeps spinning instead.
      if (canBlock) Atomics.wait(c, COMPLETED, done, 1);
    }
  }

  /**
   * Note [worker failure]: closes the job to further claims and waits until every chunk some
   * thread already claimed has completed or failed, so nothing still runs when the caller throws.
   */
  private drain(tag: number, count: number, ownFailures: number): void {
    const c = this.c;
    let claimed = 0;
    for (;;) {
      const v = Atomics.load(c, NEXT);
      if (v >>> 16 !== tag) break;
      claimed = Math.min(v & 0xffff, count);
      if (Atomics.compareExchange(c, NEXT, v, (tag << 16) | 0xffff) === v) break;
    }
    // A chunk that failed on this thread never counts as completed: `ownFailures` fewer to wait for.
    this.await(count, (done) => (done & 0xfffff) + (done >>> 20) + ownFailures < claimed);
  }
}

/**
 * The most threads a kernel call splits over. More would only add chunks too small to pay for their
 * hand-off (and a chunk table of fixed size serves them all); a larger setting is clamped to this.
 */
export const MAX_THREADS = 64;

/** Threads to use in all: `setting` (TAPEGRAD_THREADS) if given, else one per core (at most 4); clamped to MAX_THREADS. */
export function threadCount(setting?: string): number {
  if (setting !== undefined && setting.trim() !== '') {
    const n = Number(setting);
    if (!Number.isInteger(n) || n < 1) throw new Error(`TAPEGRAD_THREADS: expected a whole number of threads ≥ 1, got '${setting}'`);
    return Math.min(n, MAX_THREADS);
  }
  return Math.max(1, Math.min(4, cores()));
}

/**
 * [start, end) ranges covering [0, count) in whole multiples of `unit` (the last may be shorter), at
 * most `parts` of them and as even as whole units make them: the chunks a kernel's work is split into.
 */
export function unitRanges(count: number, parts: number, unit: number): [number, number][] {
  const units = Math.ceil(count / unit);
  const n = Math.max(1, Math.min(units, parts));
  const out: [number, number][] = [];
  for (let t = 0; t < n; t++) {
    const start = Math.min(count, Math.floor((t * units) / n) * unit);
    const end = Math.min(count, Math.floor(((t + 1) * units) / n) * unit);
    if (end > start) out.push([start, end]);
  }
  return out;
}
