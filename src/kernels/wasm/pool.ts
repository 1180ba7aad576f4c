/** @file The WebAssembly max-pooling kernels (float32): the forward, branch-free inside each window, and its backward scatter. */
import { POOL_GEOMETRY_BYTES, POOL_LAYOUT } from '../types';
import type { PoolGeometry } from '../types';
import { copyIn, copyOut } from './operands';
import type { Arena } from './runtime';

export function maxPool2dWasm(rt: Arena, x: Float32Array, g: PoolGeometry, y: Float32Array, argmax: Int32Array): Float32Array {
  rt.reset();
  const geo = rt.reserve(POOL_GEOMETRY_BYTES);
  for (const field of Object.keys(POOL_LAYOUT) as (keyof PoolGeometry)[]) rt.i32[(geo + POOL_LAYOUT[field]) >> 2] = g[field];
  const px = copyIn(rt, x);
  const py = rt.reserve(4 * y.length);
  const pi = rt.reserve(4 * argmax.length);
  rt.exports.maxPool2d(geo, px, py, pi, 0, g.planes);
  copyOut(rt, pi, argmax);
  return copyOut(rt, py, y);
}

/** out = 0; out[index[o]] += g[o] (see scatterAddFlat in src/kernels/js/pool.ts). */
export function scatterAddFlatWasm(rt: Arena, g: Float32Array, index: Int32Array, out: Float32Array): Float32Array {
  rt.reset();
  const pg = copyIn(rt, g);
  const pi = copyIn(rt, index);
  const po = rt.reserve(4 * out.length);
  rt.exports.scatterAddFlat(pg, pi, index.length, po, out.length);
  return copyOut(rt, po, out);
}
