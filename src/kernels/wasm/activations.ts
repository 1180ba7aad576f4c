/**
 * @file The WebAssembly GELU, softmax and log-softmax kernels (assembly/gelu.ts, assembly/softmax.ts,
 * float32): operands into the arena, one SIMD pass (shared out over the threads when it is long
 * enough: Note [threaded activations]), the result out.
 */
import type { GeluApproximation } from '../kernels';
import { copyIn, copyOut } from './operands';
import { unitRanges } from './parallel';
import type { Arena, Runtime } from './runtime';

const FORM = { none: 0, tanh: 1 } as const;

/**
 * Note [threaded activations]: GELU and the softmaxes compute exponentials (GELU's exact form an erfc
 * fit too) for every element, so they are bound by arithmetic, not by memory — about 7 ns an element
 * for GELU's exact form, 3.5 for softmax, on one thread — and a second thread halves them. Small calls stay on the
 * serial arena, whose copies run at twice the speed of the shared memory's (Note [serial arena]); a
 * call goes to the threads when its elements, weighted by what one costs against a GEMM
 * multiply-add, reach the GEMM's threshold for waking a worker (runtime.threadsFor): GELU's exact
 * form from about 6K elements, its tanh form and the softmaxes from about 13K (and never more
 * threads than rows). Chunk bounds fall on multiples of four elements or on whole rows, and every
 * element (or row) is computed by the same code on the same lanes. One thread runs the serial
 * build and several the threaded one; their exponentials' Horner steps are `madd` (assembly/simd.ts,
 * fused in the relaxed builds), and the bits still agree because each variant's serial build is its
 * own (SERIAL_BUILD, Note [serial arena]). tests/threaded-activations.test.ts checks 1, 2 and 3
 * threads bit for bit. (MACS_PER_ELEMENT was measured before the fused steps made GELU a quarter
 * cheaper; a GELU now reaches the threads a little later than it pays.)
 */
const MACS_PER_ELEMENT = { gelu: 320, geluTanh: 160, softmax: 160 } as const;

/** [start, end) ranges of `count` items in whole units of `unit`, two per thread (a late worker's share moves). */
function itemChunks(count: number, threads: number, unit: number): [number, number][] {
  return unitRanges(count, 2 * threads, unit);
}

/**
 * The threads worth using for `elements` of an activation spread over `rows` independent rows (the
 * elements themselves for the elementwise ones), and the arena they share: the serial one for a
 * single thread, whose copies are faster.
 */
function arenaFor(rt: Runtime, elements: number, kind: keyof typeof MACS_PER_ELEMENT, rows = elements): { arena: Arena; threads: number } {
  const threads = Math.min(rows, rt.threadsFor(elements * MACS_PER_ELEMENT[kind]));
  return threads > 1 ? { arena: rt, threads } : { arena: rt.serial, threads: 1 };
}

/** Runs `name` over element ranges (multiples of 4) of n elements, threaded when it pays. */
function runElementwise(
  rt: Runtime,
  arena: Arena,
  threads: number,
  name: 'geluForward' | 'geluBackward',
  lead: number[],
  pointers: number[],
  n: number,
): void {
  if (threads === 1) {
    arena.exports[name](...lead, ...pointers, n);
    return;
  }
  const chunks = itemChunks(n, threads, 4).map(([i0, i1]) => [...lead, ...pointers.map((p) => (p === 0 ? 0 : p + 4 * i0)), i1 - i0]);
  rt.runChunks(name, chunks, threads, 0, 0);
}

export function geluWasm(
  rt: Runtime,
  approximate: GeluApproximation,
  x: Float32Array,
  out: Float32Array,
  slope: Float32Array | null = null,
): Float32Array {
  const { arena, threads } = arenaFor(rt, x.length, approximate === 'tanh' ? 'geluTanh' : 'gelu');
  arena.reset();
  const px = copyIn(arena, x);
  const py = arena.reserve(4 * out.length);
  // No slope: pointer 0, which the kernel reads as absent (and which chunks must not offset).
  const ps = slope === null ? 0 : arena.reserve(4 * slope.length);
  runElementwise(rt, arena, threads, 'geluForward', [FORM[approximate]], [px, py, ps], x.length);
  if (slope !== null) copyOut(arena, ps, slope);
  return copyOut(arena, py, out);
}

export function geluBackwardWasm(
  rt: Runtime,
  approximate: GeluApproximation,
  gy: Float32Array,
  x: Float32Array,
  out: Float32Array,
): Float32Array {
  const { arena, threads } = arenaFor(rt, x.length, approximate === 'tanh' ? 'geluTanh' : 'gelu');
  arena.reset();
  const pg = copyIn(arena, gy);
  const px = copyIn(arena, x);
  const py = arena.reserve(4 * out.length);
  runElementwise(rt, arena, threads, 'geluBackward', [FORM[approximate]], [pg, px, py], x.length);
  return copyOut(arena, py, out);
}

/**
 * Runs a row kernel (`name`(...inputs, output, rows, n)) over rows of n, by ranges of whole rows on
 * the threads when it pays.
 */
function runRows(
  rt: Runtime,
  arena: Arena,
  threads: number,
  name: 'softmaxRows' | 'softmaxRowsBackward' | 'logSoftmaxRows' | 'logSoftmaxRowsBackward',
  pointers: number[],
  rows: number,
  n: number,
): void {
  if (threads === 1) {
    arena.exports[name](...pointers, rows, n);
    return;
  }
  const chunks = itemChunks(rows, threads, 1).map(([r0, r1]) => [...pointers.map((p) => p + 4 * r0 * n), r1 - r0, n]);
  rt.runChunks(name, chunks, threads, 0, 0);
}

/**
 * out = `name` over rows of n of `inputs` (copied into the arena in that order, the output after
 * them): on the threads when `threaded` and the call is long enough, else on the serial arena.
 */
function rowKernel(
  rt: Runtime,
  name: 'softmaxRows' | 'softmaxRowsBackward' | 'logSoftmaxRows' | 'logSoftmaxRowsBackward',
  inputs: Float32Array[],
  out: Float32Array,
  rows: number,
  n: number,
  threaded: boolean,
): Float32Array {
  const { arena, threads } = threaded ? arenaFor(rt, out.length, 'softmax', rows) : { arena: rt.serial, threads: 1 };
  arena.reset();
  const pointers = inputs.map((a) => copyIn(arena, a));
  const po = arena.reserve(4 * out.length);
  runRows(rt, arena, threads, name, [...pointers, po], rows, n);
  return copyOut(arena, po, out);
}

/** softmax along contiguous rows of n (Note [fused softmax] in src/ops/softmax.ts). */
export function softmaxWasm(rt: Runtime, x: Float32Array, rows: number, n: number, y: Float32Array): Float32Array {
  return rowKernel(rt, 'softmaxRows', [x], y, rows, n, true);
}

/** softmax's backward: no exponential, bound by memory, so it stays on the serial arena. */
export function softmaxBackwardWasm(
  rt: Runtime,
  gy: Float32Array,
  y: Float32Array,
  rows: number,
  n: number,
  gx: Float32Array,
): Float32Array {
  return rowKernel(rt, 'softmaxRowsBackward', [gy, y], gx, rows, n, false);
}

/** log-softmax along contiguous rows of n (Note [float32 log-softmax] in assembly/softmax.ts). */
export function logSoftmaxWasm(rt: Runtime, x: Float32Array, rows: number, n: number, y: Float32Array): Float32Array {
  return rowKernel(rt, 'logSoftmaxRows', [x], y, rows, n, true);
}

/** log-softmax's backward: one exponential an element, threaded as the forward. */
export function logSoftmaxBackwardWasm(
  rt: Runtime,
  gy: Float32Array,
  y: Float32Array,
  rows: number,
  n: number,
  gx: Float32Array,
): Float32Array {
  return rowKernel(rt, 'logSoftmaxRowsBackward', [gy, y], gx, rows, n, true);
}
