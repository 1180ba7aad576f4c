/**
 * @file The WebAssembly LSTM sequence kernels (assembly/recurrent.ts, Note [LSTM sequence primitive]):
 * operands copied into the threaded runtime's arena once per call, W_hh packed once, the batch rows
 * split over the worker threads — each thread runs all T steps for its rows, so no thread waits for
 * another between steps — and the results copied out.
 */
import { copyIn, copyOut } from './operands';
import type { Runtime } from './runtime';

/** Row ranges [r0, r1) for `threads` threads, in whole micro-tile rows (4) where the batch allows. */
function rowChunks(b: number, threads: number): [number, number][] {
  const units = Math.ceil(b / 4);
  const n = Math.max(1, Math.min(threads, units));
  const out: [number, number][] = [];
  for (let k = 0; k < n; k++) {
    const r0 = Math.min(b, Math.round((k * units) / n) * 4);
    const r1 = Math.min(b, Math.round(((k + 1) * units) / n) * 4);
    if (r1 > r0) out.push([r0, r1]);
  }
  return out;
}

/** Multiply-adds of the call's hidden-to-hidden products: what decides its threads and its backend. */
export const lstmSequenceMacs = (t: number, b: number, h: number): number => t * b * 4 * h * h;

type SequenceKernel = 'lstmSequenceForward' | 'lstmSequenceBackward' | 'gruSequenceForward' | 'gruSequenceBackward';

/**
 * Runs one of the sequence kernels over the batch's rows: each thread gets a row range and its own
 * scratch (sized for the widest range), and the kernel's arguments after (r0, r1) are `args`.
 */
function runOverRows(rt: Runtime, kernel: SequenceKernel, b: number, h: number, macs: number, args: number[]): void {
  const threads = rt.threadsFor(macs);
  const chunks = rowChunks(b, threads);
  const widest = Math.max(...chunks.map(([r0, r1]) => r1 - r0));
  const sizer = kernel.startsWith('gru') ? 'gruScratchBytes' : 'lstmScratchBytes';
  const stride = (rt.exports[sizer](widest, h, kernel.endsWith('Forward') ? 1 : 0) + 63) & ~63;
  const work = rt.reserve(stride * chunks.length);
  rt.runChunks(
    kernel,
    chunks.map(([r0, r1]) => [r0, r1, ...args]),
    Math.min(threads, chunks.length),
    work,
    stride,
  );
}

export function lstmSequenceForwardWasm(
  rt: Runtime,
  gatesX: Float32Array,
  whh: Float32Array,
  h0: Float32Array,
  c0: Float32Array,
  t: number,
  b: number,
  h: number,
  y: Float32Array,
  saved: Float32Array | null,
): void {
  rt.reset();
  const g = 4 * h;
  const pGates = copyIn(rt, gatesX);
  const pW = copyIn(rt, whh);
  const pPacked = rt.reserve(4 * Math.ceil(g / 8) * 8 * h);
  const pH0 = copyIn(rt, h0);
  const pC0 = copyIn(rt, c0);
  const pY = rt.reserve(4 * (t + 1) * b * h);
  const pCs = rt.reserve(4 * t * b * h);
  rt.exports.packRecurrentWeights(pW, h, 4, 1, pPacked);
  runOverRows(rt, 'lstmSequenceForward', b, h, lstmSequenceMacs(t, b, h), [t, b, h, pGates, pPacked, pH0, pC0, pY, pCs]);
  copyOut(rt, pY, y, 0, (t + 1) * b * h);
  if (saved !== null) {
    copyOut(rt, pGates, saved, 0, t * b * g);
    copyOut(rt, pCs, saved, t * b * g, t * b * h);
  }
}

export function lstmSequenceBackwardWasm(
  rt: Runtime,
  gy: Float32Array,
  saved: Float32Array,
  whh: Float32Array,
  c0: Float32Array,
  t: number,
  b: number,
  h: number,
  gGates: Float32Array,
  gh0: Float32Array,
  gc0: Float32Array,
): void {
  rt.reset();
  const g = 4 * h;
  const pGy = copyIn(rt, gy);
  const pActs = copyIn(rt, saved);
  const pCs = pActs + 4 * t * b * g;
  const pC0 = copyIn(rt, c0);
  const pW = copyIn(rt, whh);
  const pPacked = rt.reserve(4 * Math.ceil(h / 8) * 8 * g);
  const pG = rt.reserve(4 * t * b * g);
  const pGh = rt.reserve(4 * b * h);
  const pGc = rt.reserve(4 * b * h);
  rt.exports.packRecurrentWeights(pW, h, 4, 0, pPacked);
  runOverRows(rt, 'lstmSequenceBackward', b, h, lstmSequenceMacs(t, b, h), [t, b, h, pActs, pCs, pC0, pPacked, pGy, pG, pGh, pGc]);
  copyOut(rt, pG, gGates, 0, t * b * g);
  copyOut(rt, pGh, gh0, 0, b * h);
  copyOut(rt, pGc, gc0, 0, b * h);
}

/** Multiply-adds of a GRU call's hidden-to-hidden products. */
export const gruSequenceMacs = (t: number, b: number, h: number): number => t * b * 3 * h * h;

export function gruSequenceForwardWasm(
  rt: Runtime,
  gi: Float32Array,
  whh: Float32Array,
  bhh: Float32Array,
  h0: Float32Array,
  t: number,
  b: number,
  h: number,
  y: Float32Array,
  saved: Float32Array | null,
): void {
  rt.reset();
  const g = 3 * h;
  const pGi = copyIn(rt, gi);
  const pW = copyIn(rt, whh);
  const pPacked = rt.reserve(4 * Math.ceil(g / 8) * 8 * h);
  const pB = copyIn(rt, bhh);
  const pH0 = copyIn(rt, h0);
  const pY = rt.reserve(4 * t * b * h);
  const pSaved = rt.reserve(4 * 4 * t * b * h);
  rt.exports.packRecurrentWeights(pW, h, 3, 1, pPacked);
  runOverRows(rt, 'gruSequenceForward', b, h, gruSequenceMacs(t, b, h), [t, b, h, pGi, pPacked, pB, pH0, pY, pSaved]);
  copyOut(rt, pY, y, 0, t * b * h);
  if (saved !== null) copyOut(rt, pSaved, saved, 0, 4 * t * b * h);
}

export function gruSequenceBackwardWasm(
  rt: Runtime,
  gy: Float32Array,
  saved: Float32Array,
  y: Float32Array,
  h0: Float32Array,
  whh: Float32Array,
  t: number,
  b: number,
  h: number,
  ggi: Float32Array,
  ggh: Float32Array,
  gh0: Float32Array,
): void {
  rt.reset();
  const g = 3 * h;
  const pGy = copyIn(rt, gy);
  const pSaved = copyIn(rt, saved);
  const pY = copyIn(rt, y);
  const pH0 = copyIn(rt, h0);
  const pW = copyIn(rt, whh);
  const pPacked = rt.reserve(4 * Math.ceil(h / 8) * 8 * g);
  const pGgi = rt.reserve(4 * t * b * g);
  const pGgh = rt.reserve(4 * t * b * g);
  const pGh = rt.reserve(4 * b * h);
  rt.exports.packRecurrentWeights(pW, h, 3, 0, pPacked);
  runOverRows(rt, 'gruSequenceBackward', b, h, gruSequenceMacs(t, b, h), [t, b, h, pSaved, pY, pH0, pPacked, pGy, pGgi, pGgh, pGh]);
  copyOut(rt, pGgi, ggi, 0, t * b * g);
  copyOut(rt, pGgh, ggh, 0, t * b * g);
  copyOut(rt, pGh, gh0, 0, b * h);
}
