/**
 * @file Moving operands across the JS↔WebAssembly boundary: every wrapper copies typed arrays into
 * the runtime's arena and results back out through these two helpers.
 */
import type { Arena } from './runtime';

/**
 * Copies `data` into a fresh arena reservation; returns its byte offset. An absent operand (null: no
 * bias, no weight, no buffer) is offset 0, which the kernels read as absent (the arena never hands
 * out offset 0).
 */
export function copyIn(rt: Arena, data: Float32Array | Int32Array | null): number {
  if (data === null) return 0;
  const at = rt.reserve(4 * data.length);
  (data instanceof Int32Array ? rt.i32 : rt.f32).set(data, at >> 2);
  return at;
}

/** Copies `out.length` elements from byte offset `at` into `out` (at `outOffset`). */
export function copyOut<T extends Float32Array | Int32Array>(
  rt: Arena,
  at: number,
  out: T,
  outOffset = 0,
  length = out.length - outOffset,
): T {
  const view = out instanceof Int32Array ? rt.i32 : rt.f32;
  out.set(view.subarray(at >> 2, (at >> 2) + length), outOffset);
  return out;
}

/** Copies float64 `parts` end to end into a fresh arena reservation (statistics a backward reads); returns its offset. */
export function copyInFloat64(rt: Arena, ...parts: Float64Array[]): number {
  const length = parts.reduce((n, part) => n + part.length, 0);
  const at = rt.reserve(8 * length);
  const view = new Float64Array(rt.memory.buffer, at, length);
  let offset = 0;
  for (const part of parts) {
    view.set(part, offset);
    offset += part.length;
  }
  return at;
}

/** A copy of the `length` float64 at byte offset `at` (statistics and sums a kernel wrote). */
export function copyOutFloat64(rt: Arena, at: number, length: number): Float64Array {
  return new Float64Array(rt.memory.buffer, at, length).slice();
}
