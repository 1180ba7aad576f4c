/**
 * @file softmax's and log-softmax's forward and backward as single passes over each line along the
 * axis (Note [fused softmax] in src/ops/softmax.ts). x is viewed as [outer, n, inner], the axis in the middle; each
 * line's shift, exponentials and sums are float64 whatever the storage.
 */
import type { Storage } from '../../tensor/dtype';

/** The max of the line x[base], x[base + inner], … below end; NaN if the line holds one. */
function lineMax(x: Storage, base: number, end: number, inner: number): number {
  let m = -Infinity;
  for (let p = base; p < end; p += inner) {
    const v = x[p];
    if (v > m || v !== v) m = v;
  }
  return m;
}

/** y = e^(x − max) / Σ e^(x − max) along each line; a NaN in a line makes the line NaN, a line of −∞ is NaN (0/0). */
export function softmaxForward(x: Storage, outer: number, n: number, inner: number, y: Storage): Storage {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      const m = lineMax(x, base, end, inner);
      let total = 0;
      for (let p = base; p < end; p += inner) {
        const e = Math.exp(x[p] - m);
        y[p] = e;
        total += e;
      }
      const scale = 1 / total;
      for (let p = base; p < end; p += inner) y[p] *= scale;
    }
  }
  return y;
}

/** gx = y·(gy − Σ gy·y) along each line: softmax's vector-Jacobian product. */
export function softmaxBackward(gy: Storage, y: Storage, outer: number, n: number, inner: number, gx: Storage): Storage {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      let dot = 0;
      for (let p = base; p < end; p += inner) dot += gy[p] * y[p];
      for (let p = base; p < end; p += inner) gx[p] = y[p] * (gy[p] - dot);
    }
  }
  return gx;
}

/**
 * y = (x − max) − log Σ e^(x − max) along each line (float64 within the line, one rounding to the
 * storage): the formula of the log-softmax composition, so NaN and infinities give what it gave — a
 * NaN in a line, a line of −∞ or an +∞ make the line NaN.
 */
export function logSoftmaxForward(x: Storage, outer: number, n: number, inner: number, y: Storage): Storage {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      const m = lineMax(x, base, end, inner);
      let total = 0;
      for (let p = base; p < end; p += inner) total += Math.exp(x[p] - m);
      const lse = Math.log(total);
      for (let p = base; p < end; p += inner) y[p] = x[p] - m - lse;
    }
  }
  return y;
}

/** gx = gy − e^y · Σ gy along each line: log-softmax's vector-Jacobian product (e^y is the softmax). */
export function logSoftmaxBackward(gy: Storage, y: Storage, outer: number, n: number, inner: number, gx: Storage): Storage {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const end = base + n * inner;
      let total = 0;
      for (let p = base; p < end; p += inner) total += gy[p];
      for (let p = base; p < end; p += inner) gx[p] = gy[p] - Math.exp(y[p]) * total;
    }
  }
  return gx;
}
