/** @file Reductions over a set of axes: sum, and max with the first maximal element's position. */
import type { Storage } from '../tensor/dtype';
import { stridesOf } from '../tensor/shape';

/** For each input element (row-major), the flat index of the output element it reduces into. */
function forEachReduced(shape: readonly number[], axes: readonly number[], visit: (i: number, o: number) => void): void {
  const nd = shape.length;
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(keptShape).map((s, i) => (axes.includes(i) ? 0 : s));
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const idx = new Array<number>(nd).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    visit(i, o);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      o += keptStrides[d];
      if (idx[d] < shape[d]) break;
      o -= keptStrides[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** Whether `axes` are the trailing axes, so each output sums one contiguous run. */
function trailing(shape: readonly number[], axes: readonly number[]): number {
  const nd = shape.length;
  for (let k = 0; k < axes.length; k++) if (axes[k] !== nd - axes.length + k) return 0;
  return axes.reduce((n, a) => n * shape[a], 1);
}

/** Whether `axes` are the leading axes, so the input is `outer` copies of the output's shape. */
function leading(shape: readonly number[], axes: readonly number[]): number {
  for (let k = 0; k < axes.length; k++) if (axes[k] !== k) return 0;
  return axes.reduce((n, a) => n * shape[a], 1);
}

export function sum(x: Storage, shape: readonly number[], axes: readonly number[], out: Storage): Storage {
  out.fill(0);
  const run = trailing(shape, axes);
  if (run > 0 && x instanceof Float32Array && run >= 64) {
    // Four float64 partial sums (a single running sum waits on each add's latency). The reordering
    // moves the float64 sum by ~1e-16 relative, far below float32's rounding, so the float32 result
    // is the plain loop's but for the rarest rounding boundary; float64 data keeps the plain loop.
    for (let o = 0, i = 0; o < out.length; o++) {
      const end = i + run;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (; i + 4 <= end; i += 4) {
        s0 += x[i];
        s1 += x[i + 1];
        s2 += x[i + 2];
        s3 += x[i + 3];
      }
      for (; i < end; i++) s0 += x[i];
      out[o] = s0 + s1 + (s2 + s3);
    }
    return out;
  }
  if (run > 0) {
    for (let o = 0, i = 0; o < out.length; o++) {
      let s = 0;
      for (const end = i + run; i < end; i++) s += x[i];
      out[o] = s;
    }
    return out;
  }
  const outer = leading(shape, axes);
  if (outer > 0) {
    // Row by row into out: the order of forEachReduced's visits, without a call per element.
    const inner = out.length;
    for (let r = 0, i = 0; r < outer; r++) for (let j = 0; j < inner; j++, i++) out[j] += x[i];
    return out;
  }
  forEachReduced(shape, axes, (i, o) => {
    out[o] += x[i];
  });
  return out;
}

/**
 * Max over `axes`; `argmax[o]` is the flat input index of the first maximal element (row-major).
 * NaN wins, as in NumPy and PyTorch.
 */
export function max(x: Storage, shape: readonly number[], axes: readonly number[], out: Storage, argmax: Int32Array): Storage {
  out.fill(-Infinity);
  argmax.fill(-1);
  forEachReduced(shape, axes, (i, o) => {
    const v = x[i];
    if (argmax[o] === -1 || v > out[o] || (v !== v && out[o] === out[o])) {
      out[o] = v;
      argmax[o] = i;
    }
  });
  return out;
}
