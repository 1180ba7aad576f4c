/**
 * @file The WebAssembly elementwise and pooling kernels behind src/kernels/elementwise.ts and
 * src/kernels/pool.ts for float32: operands copied into the arena, one SIMD pass, result copied out.
 */
import type { PoolGeometry } from '../pool';
import type { Runtime } from './runtime';

/** Unary ops with a WebAssembly version (codes as in assembly/elementwise.ts). */
export const UNARY_OPS = { relu: 0, positive: 1 } as const;
export type WasmUnary = keyof typeof UNARY_OPS;

/** Binary ops with a WebAssembly version (codes as in assembly/elementwise.ts). */
export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3 } as const;
export type WasmBinary = keyof typeof BINARY_OPS;

function copyIn(rt: Runtime, data: Float32Array): number {
  const at = rt.reserve(4 * data.length);
  rt.f32.set(data, at >> 2);
  return at;
}

export function unaryWasm(rt: Runtime, op: WasmUnary, x: Float32Array, out: Float32Array): Float32Array {
  rt.reset();
  const px = copyIn(rt, x);
  const py = rt.reserve(4 * out.length);
  rt.exports.unaryOp(UNARY_OPS[op], px, py, x.length);
  out.set(rt.f32.subarray(py >> 2, (py >> 2) + out.length));
  return out;
}

/**
 * out[i] = a[i mod a.length] op b[i mod b.length]: each side the whole output, a scalar, or a block
 * that repeats along the leading axes (the caller checks the shapes say so).
 */
export function binaryWasm(rt: Runtime, op: WasmBinary, a: Float32Array, b: Float32Array, out: Float32Array): Float32Array {
  rt.reset();
  const pa = copyIn(rt, a);
  const pb = copyIn(rt, b);
  const py = rt.reserve(4 * out.length);
  rt.exports.binaryOp(BINARY_OPS[op], pa, a.length, pb, b.length, py, out.length);
  out.set(rt.f32.subarray(py >> 2, (py >> 2) + out.length));
  return out;
}

export function maxPool2dWasm(rt: Runtime, x: Float32Array, g: PoolGeometry, y: Float32Array, argmax: Int32Array): Float32Array {
  rt.reset();
  const geo = rt.reserve(44);
  rt.i32.set([g.planes, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.padH, g.padW], geo >> 2);
  const px = copyIn(rt, x);
  const py = rt.reserve(4 * y.length);
  const pi = rt.reserve(4 * argmax.length);
  rt.exports.maxPool2d(geo, px, py, pi, 0, g.planes);
  y.set(rt.f32.subarray(py >> 2, (py >> 2) + y.length));
  argmax.set(rt.i32.subarray(pi >> 2, (pi >> 2) + argmax.length));
  return y;
}
