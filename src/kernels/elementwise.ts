/**
 * @file Elementwise loops on typed arrays: maps and NumPy-broadcast binary ops. The closure `f`
 * defines each op; ops that also name a WebAssembly version (`fast`) run it for large float32
 * tensors — in JavaScript a loop calling a different closure per op is slow, and relu's
 * data-dependent branch mispredicts on every other element.
 */
import type { Storage } from '../tensor/dtype';
import { stridesOf } from '../tensor/shape';
import { runtime } from './wasm';
import { binaryWasm, unaryWasm, WasmBinary, WasmUnary } from './wasm/elementwise';

export type { WasmBinary as FastBinary, WasmUnary as FastUnary } from './wasm/elementwise';

/** Below this many elements the copies into WebAssembly memory cost more than the loop. */
const WASM_MIN_ELEMENTS = 4096;

/** out[i] = f(x[i]); `fast` names the same function's WebAssembly version, if it has one. */
export function map(x: Storage, out: Storage, f: (v: number) => number, fast?: WasmUnary): Storage {
  if (fast !== undefined && runtime !== null && x.length >= WASM_MIN_ELEMENTS && x instanceof Float32Array && out instanceof Float32Array) {
    return unaryWasm(runtime, fast, x, out);
  }
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

/**
 * Whether an operand fills the output by repeating as one block: it is a scalar, or broadcasts
 * only along leading axes (a bias against a batch of rows).
 */
function repeats(x: Storage, shape: readonly number[], outShape: readonly number[]): boolean {
  if (x.length === 1) return true;
  const lead = outShape.length - shape.length;
  let i = 0;
  while (i < shape.length && shape[i] === 1 && outShape[lead + i] !== 1) i++;
  for (; i < shape.length; i++) if (shape[i] !== outShape[lead + i]) return false;
  return true;
}

/** Strides of `shape` seen from a broadcast `outShape`: 0 along broadcast axes. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((d, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]));
}

/**
 * out[i] = f(a[ia], b[ib]) over the broadcast shape. Same shapes and a scalar side take flat loops;
 * otherwise an odometer walks the outer axes and the innermost axis runs as a strided loop.
 */
export function binary(a: Storage, aShape: readonly number[], b: Storage, bShape: readonly number[],
  outShape: readonly number[], out: Storage, f: (x: number, y: number) => number, fast?: WasmBinary): Storage {
  const n = out.length;
  if (fast !== undefined && runtime !== null && n >= WASM_MIN_ELEMENTS &&
    a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array &&
    (a.length === n || b.length === n) && repeats(a, aShape, outShape) && repeats(b, bShape, outShape)) {
    return binaryWasm(runtime, fast, a, b, out);
  }
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    return out;
  }
  if (b.length === 1 && a.length === n) {
    const bv = b[0];
    for (let i = 0; i < n; i++) out[i] = f(a[i], bv);
    return out;
  }
  if (a.length === 1 && b.length === n) {
    const av = a[0];
    for (let i = 0; i < n; i++) out[i] = f(av, b[i]);
    return out;
  }
  if (n === 0) return out;
  const nd = outShape.length;
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const inner = outShape[nd - 1];
  const ia = sa[nd - 1];
  const ib = sb[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let offA = 0;
  let offB = 0;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0, pa = offA, pb = offB; j < inner; j++, pa += ia, pb += ib) out[o + j] = f(a[pa], b[pb]);
    // Advance the odometer over the outer axes.
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      offA += sa[d];
      offB += sb[d];
      if (idx[d] < outShape[d]) break;
      offA -= sa[d] * outShape[d];
      offB -= sb[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}
