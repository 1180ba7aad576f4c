/**
 * @file The WebAssembly elementwise kernels (float32): operands copied into the arena, one SIMD pass,
 * the result copied out.
 */
import {
  BINARY_ADD,
  BINARY_DIV,
  BINARY_MAXIMUM,
  BINARY_MAXIMUM_SLOPE,
  BINARY_MINIMUM,
  BINARY_MINIMUM_SLOPE,
  BINARY_MUL,
  BINARY_SUB,
  UNARY_LOG,
  UNARY_NEG,
  UNARY_RELU,
  UNARY_SIGMOID,
} from '../abi';
import { copyIn, copyOut } from './operands';
import type { Arena } from './runtime';

/** Unary ops with a WebAssembly version (their codes: src/kernels/abi.ts). */
export const UNARY_OPS = { relu: UNARY_RELU, neg: UNARY_NEG, log: UNARY_LOG, sigmoid: UNARY_SIGMOID } as const;
export type WasmUnary = keyof typeof UNARY_OPS;

/** Binary ops with a WebAssembly version (their codes: src/kernels/abi.ts). */
export const BINARY_OPS = {
  add: BINARY_ADD,
  sub: BINARY_SUB,
  mul: BINARY_MUL,
  div: BINARY_DIV,
  maximum: BINARY_MAXIMUM,
  minimum: BINARY_MINIMUM,
  maximumSlope: BINARY_MAXIMUM_SLOPE,
  minimumSlope: BINARY_MINIMUM_SLOPE,
} as const;
export type WasmBinary = keyof typeof BINARY_OPS;

export function unaryWasm(rt: Arena, op: WasmUnary, x: Float32Array, out: Float32Array): Float32Array {
  rt.reset();
  const px = copyIn(rt, x);
  const py = rt.reserve(4 * out.length);
  rt.exports.unaryOp(UNARY_OPS[op], px, py, x.length);
  return copyOut(rt, py, out);
}

/**
 * out[i] = a[i mod a.length] op b[i mod b.length]: each side the whole output, a scalar, or a block
 * that repeats along the leading axes (the caller checks the shapes say so).
 */
export function binaryWasm(rt: Arena, op: WasmBinary, a: Float32Array, b: Float32Array, out: Float32Array): Float32Array {
  rt.reset();
  const pa = copyIn(rt, a);
  const pb = copyIn(rt, b);
  const py = rt.reserve(4 * out.length);
  rt.exports.binaryOp(BINARY_OPS[op], pa, a.length, pb, b.length, py, out.length);
  return copyOut(rt, py, out);
}
