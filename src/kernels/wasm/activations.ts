/**
 * @file The WebAssembly GELU and softmax kernels (assembly/gelu.ts, assembly/softmax.ts, float32):
 * operands into the arena, one SIMD pass, the result out.
 */
import type { GeluApproximation } from '../kernels';
import { copyIn, copyOut } from './operands';
import type { Arena } from './runtime';

const FORM = { none: 0, tanh: 1 } as const;

export function geluWasm(rt: Arena, approximate: GeluApproximation, x: Float32Array, out: Float32Array): Float32Array {
  rt.reset();
  const px = copyIn(rt, x);
  const py = rt.reserve(4 * out.length);
  rt.exports.geluForward(FORM[approximate], px, py, x.length);
  return copyOut(rt, py, out);
}

export function geluBackwardWasm(
  rt: Arena,
  approximate: GeluApproximation,
  gy: Float32Array,
  x: Float32Array,
  out: Float32Array,
): Float32Array {
  rt.reset();
  const pg = copyIn(rt, gy);
  const px = copyIn(rt, x);
  const py = rt.reserve(4 * out.length);
  rt.exports.geluBackward(FORM[approximate], pg, px, py, x.length);
  return copyOut(rt, py, out);
}

/** softmax along contiguous rows of n (Note [fused softmax] in src/ops/softmax.ts). */
export function softmaxWasm(rt: Arena, x: Float32Array, rows: number, n: number, y: Float32Array): Float32Array {
  rt.reset();
  const px = copyIn(rt, x);
  const py = rt.reserve(4 * y.length);
  rt.exports.softmaxRows(px, py, rows, n);
  return copyOut(rt, py, y);
}

export function softmaxBackwardWasm(rt: Arena, gy: Float32Array, y: Float32Array, rows: number, n: number, gx: Float32Array): Float32Array {
  rt.reset();
  const pg = copyIn(rt, gy);
  const py = copyIn(rt, y);
  const px = rt.reserve(4 * gx.length);
  rt.exports.softmaxRowsBackward(pg, py, px, rows, n);
  return copyOut(rt, px, gx);
}
