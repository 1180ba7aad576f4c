/**
 * @file Moving operands across the JS↔WebAssembly boundary: every wrapper copies typed arrays into
 * the runtime's arena and results back out through these two helpers.
 */
import type { Arena } from './runtime';

/** Copies `data` into a fresh arena reservation; returns its byte offset. */
export function copyIn(rt: Arena, data: Float32Array | Int32Array): number {
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
