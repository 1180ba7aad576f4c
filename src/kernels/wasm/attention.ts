/**
 * @file The WebAssembly fused attention (assembly/attention.ts, Note [fused attention] in
 * src/ops/attention.ts): q, k, v (and gy) into the shared arena once a call, entries shared out over
 * the threads in contiguous ranges, each thread's scores and weights in its own scratch.
 */
import type { AttentionShape } from '../types';
import { copyIn, copyOut } from './operands';
import { unitRanges } from './parallel';
import type { Runtime } from './runtime';

/** A float32's bits as an int32: the workers pass every argument as an i32. */
function scaleBits(scale: number): number {
  return new Int32Array(new Float32Array([scale]).buffer)[0];
}

/** Multiply-adds of a call (forward; the backward does two and a half times as many), for threadsFor. */
export function attentionMacs(sh: AttentionShape): number {
  return sh.count * sh.L * sh.S * (sh.E + sh.Ev);
}

/**
 * Runs `name` over ranges of entries, shared out over the threads (two ranges per thread, so a late
 * worker's share moves), each thread's scores and weights in its own scratch. Always the threaded
 * arena, whatever the thread count: every entry is computed by the same code on the same build, so
 * one thread and two give the same bits. Each operand is [its pointer, its elements per entry], moved
 * to the range's first entry (0 elements: one block for every entry — the mask, or none at 0).
 */
function runEntries(
  rt: Runtime,
  name: 'attentionForward' | 'attentionBackward',
  sh: AttentionShape,
  macs: number,
  operands: [number, number][],
): void {
  const threads = Math.min(sh.count, rt.threadsFor(macs));
  const stride = (rt.exports.attentionScratchBytes(sh.L, sh.S, sh.E, sh.Ev) + 63) & ~63;
  const work = rt.reserve(stride * threads);
  const sizes = [sh.L, sh.S, sh.E, sh.Ev, scaleBits(sh.scale), sh.causal ? 1 : 0];
  const chunks = unitRanges(sh.count, 2 * threads, 1).map(([t0, t1]) => [
    ...operands.map(([p, perEntry]) => p + 4 * t0 * perEntry),
    t1 - t0,
    ...sizes,
  ]);
  rt.runChunks(name, chunks, threads, work, stride);
}

export function attentionForwardWasm(
  rt: Runtime,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  mask: Float32Array | null,
  sh: AttentionShape,
  out: Float32Array,
  stats: Float32Array,
): void {
  const { L, S, E, Ev } = sh;
  rt.reset();
  const pq = copyIn(rt, q);
  const pk = copyIn(rt, k);
  const pv = copyIn(rt, v);
  const pm = copyIn(rt, mask);
  const po = rt.reserve(4 * out.length);
  const ps = rt.reserve(4 * stats.length);
  runEntries(rt, 'attentionForward', sh, attentionMacs(sh), [
    [pq, L * E],
    [pk, S * E],
    [pv, S * Ev],
    [pm, 0],
    [po, L * Ev],
    [ps, 2 * L],
  ]);
  copyOut(rt, po, out);
  copyOut(rt, ps, stats);
}

export function attentionBackwardWasm(
  rt: Runtime,
  gy: Float32Array,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  mask: Float32Array | null,
  stats: Float32Array,
  sh: AttentionShape,
  gq: Float32Array,
  gk: Float32Array,
  gv: Float32Array,
): void {
  const { L, S, E, Ev } = sh;
  rt.reset();
  const pg = copyIn(rt, gy);
  const pq = copyIn(rt, q);
  const pk = copyIn(rt, k);
  const pv = copyIn(rt, v);
  const pm = copyIn(rt, mask);
  const ps = copyIn(rt, stats);
  const pgq = rt.reserve(4 * gq.length);
  const pgk = rt.reserve(4 * gk.length);
  const pgv = rt.reserve(4 * gv.length);
  runEntries(rt, 'attentionBackward', sh, (5 * attentionMacs(sh)) / 2, [
    [pg, L * Ev],
    [pq, L * E],
    [pk, S * E],
    [pv, S * Ev],
    [pm, 0],
    [ps, 2 * L],
    [pgq, L * E],
    [pgk, S * E],
    [pgv, S * Ev],
  ]);
  copyOut(rt, pgq, gq);
  copyOut(rt, pgk, gk);
  copyOut(rt, pgv, gv);
}
