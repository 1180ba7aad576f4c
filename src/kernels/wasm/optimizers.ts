/**
 * @file The WebAssembly SGD step (float32): parameter, gradient and momentum buffer into the arena,
 * one SIMD pass, parameter and buffer back out. Same bits as the TypeScript loop.
 */
import type { SgdStep } from '../types';
import { copyIn, copyOut } from './operands';
import type { Arena } from './runtime';

export function sgdStepWasm(rt: Arena, x: Float32Array, grad: Float32Array, buf: Float32Array | null, h: SgdStep): void {
  rt.reset();
  const px = copyIn(rt, x);
  const pg = copyIn(rt, grad);
  // A new buffer is written before it is read: reserve it without copying its zeros in.
  const pb = buf === null ? 0 : h.first ? rt.reserve(4 * buf.length) : copyIn(rt, buf);
  const f = Math.fround;
  rt.exports.sgdStep(px, pg, pb, x.length, h.first ? 1 : 0, f(h.wd), f(h.momentum), f(h.keep), f(h.lr), h.nesterov ? 1 : 0);
  copyOut(rt, px, x);
  if (buf !== null) copyOut(rt, pb, buf);
}
