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

export function sum(x: Storage, shape: readonly number[], axes: readonly number[], out: Storage): Storage {
  out.fill(0);
  const run = trailing(shape, axes);
  if (run > 0) {
    for (let o = 0, i = 0; o < out.length; o++) {
      let s = 0;
      for (const end = i + run; i < end; i++) s += x[i];
      out[o] = s;
    }
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
