/**
 * @file The WebAssembly gather and scatter-add along an axis (float32), for the layout where the
 * index spans x on every other axis: x viewed as [outer, n, inner], the index as [outer, m, inner]
 * (see gatherAxis and scatterAddAxis in src/kernels/indexing.ts for the general TypeScript ones).
 */
import { copyIn, copyOut } from './operands';
import type { Arena } from './runtime';

export interface AxisLayout {
  outer: number;
  n: number;
  m: number;
  inner: number;
}

/** out[o, j, k] = x[o, index[o, j, k], k]. */
export function gatherAxisWasm(rt: Arena, x: Float32Array, index: Int32Array, out: Float32Array, l: AxisLayout): Float32Array {
  rt.reset();
  const px = copyIn(rt, x);
  const pi = copyIn(rt, index);
  const po = rt.reserve(4 * out.length);
  rt.exports.gatherAxis(px, pi, po, l.outer, l.n, l.m, l.inner);
  return copyOut(rt, po, out);
}

/** out (holding x) [o, index[o, j, k], k] += src[o, j, k]. */
export function scatterAddAxisWasm(rt: Arena, src: Float32Array, index: Int32Array, out: Float32Array, l: AxisLayout): Float32Array {
  rt.reset();
  const ps = copyIn(rt, src);
  const pi = copyIn(rt, index);
  const po = copyIn(rt, out);
  rt.exports.scatterAddAxis(ps, pi, po, l.outer, l.n, l.m, l.inner);
  return copyOut(rt, po, out);
}
