/**
 * @file The WebAssembly optimiser steps (float32): parameter, gradient and state buffers into the
 * arena, one SIMD pass, parameter and buffers back out. Same bits as the TypeScript loops.
 */
import type { AdagradStep, AdamStep, RmspropStep, SgdStep } from '../types';
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

export function adamStepWasm(
  rt: Arena,
  x: Float32Array,
  grad: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vmax: Float32Array | null,
  h: AdamStep,
): void {
  rt.reset();
  const [px, pg, pm, pv] = [copyIn(rt, x), copyIn(rt, grad), copyIn(rt, m), copyIn(rt, v)];
  const pvmax = copyIn(rt, vmax);
  const f = Math.fround;
  rt.exports.adamStep(
    px,
    pg,
    pm,
    pv,
    pvmax,
    x.length,
    f(h.wd),
    f(h.decay),
    f(h.beta1),
    f(1 - h.beta1),
    f(h.beta2),
    f(1 - h.beta2),
    f(h.eps),
    f(h.stepSize),
    f(h.correction2),
  );
  copyOut(rt, px, x);
  copyOut(rt, pm, m);
  copyOut(rt, pv, v);
  if (vmax !== null) copyOut(rt, pvmax, vmax);
}

export function rmspropStepWasm(
  rt: Arena,
  x: Float32Array,
  grad: Float32Array,
  sq: Float32Array,
  gAvg: Float32Array | null,
  buf: Float32Array | null,
  h: RmspropStep,
): void {
  rt.reset();
  const [px, pg, psq] = [copyIn(rt, x), copyIn(rt, grad), copyIn(rt, sq)];
  const pa = copyIn(rt, gAvg);
  const pb = copyIn(rt, buf);
  const f = Math.fround;
  rt.exports.rmspropStep(px, pg, psq, pa, pb, x.length, f(h.wd), f(h.alpha), f(1 - h.alpha), f(h.eps), f(h.lr), f(h.momentum));
  copyOut(rt, px, x);
  copyOut(rt, psq, sq);
  if (gAvg !== null) copyOut(rt, pa, gAvg);
  if (buf !== null) copyOut(rt, pb, buf);
}

export function adagradStepWasm(rt: Arena, x: Float32Array, grad: Float32Array, sum: Float32Array, h: AdagradStep): void {
  rt.reset();
  const [px, pg, ps] = [copyIn(rt, x), copyIn(rt, grad), copyIn(rt, sum)];
  const f = Math.fround;
  rt.exports.adagradStep(px, pg, ps, x.length, f(h.wd), f(h.eps), f(h.clr));
  copyOut(rt, px, x);
  copyOut(rt, ps, sum);
}
