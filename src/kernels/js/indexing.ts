/**
 * @file Index kernels: gather and scatter-add along one axis (torch.gather / scatter_add), selection
 * of whole slices by index (index_select) and its adjoint (index_add), and the stable argsort that
 * sort and topk read their indices from. Indices arrive checked and non-negative: the ops validate.
 */
import type { Storage } from '../../tensor/dtype';
import { stridesOf } from '../../tensor/shape';
import { forEachRun } from './strided';

/** x's strides with `axis` zeroed: the part of an offset that does not depend on the index value. */
function withoutAxis(shape: readonly number[], axis: number): number[] {
  const s = stridesOf(shape);
  s[axis] = 0;
  return s;
}

/**
 * out[p] = x[p with its `axis` coordinate replaced by index[p]] for every position p of `indexShape`
 * (which fits inside xShape on the other axes).
 */
export function gatherAxis(
  x: Storage,
  xShape: readonly number[],
  axis: number,
  index: Int32Array,
  indexShape: readonly number[],
  out: Storage,
): Storage {
  const nd = indexShape.length;
  const xs = stridesOf(xShape);
  const along = xs[axis];
  const last = nd - 1;
  const inner = indexShape[last];
  const step = last === axis ? 0 : xs[last];
  forEachRun(indexShape, [withoutAxis(xShape, axis)], [0], (o, at) => {
    for (let j = 0, p = at[0]; j < inner; j++, p += step) out[o + j] = x[p + index[o + j] * along];
  });
  return out;
}

/**
 * out (holding x, of xShape) += src scattered: out[p with axis coordinate index[p]] += src[p] for each
 * position p of `indexShape` (src, of srcShape, may be larger than the index on every axis).
 */
export function scatterAddAxis(
  src: Storage,
  srcShape: readonly number[],
  axis: number,
  index: Int32Array,
  indexShape: readonly number[],
  xShape: readonly number[],
  out: Storage,
): Storage {
  const nd = indexShape.length;
  const xs = stridesOf(xShape);
  const ss = stridesOf(srcShape);
  const along = xs[axis];
  const last = nd - 1;
  const inner = indexShape[last];
  const xStep = last === axis ? 0 : xs[last];
  const sStep = ss[last];
  forEachRun(indexShape, [withoutAxis(xShape, axis), ss], [0, 0], (o, at) => {
    for (let j = 0, p = at[0], q = at[1]; j < inner; j++, p += xStep, q += sStep) out[p + index[o + j] * along] += src[q];
  });
  return out;
}

/** out = x with `axis` replaced by x's slices index[0], index[1], … (torch.index_select). */
export function indexSelect(x: Storage, shape: readonly number[], axis: number, index: Int32Array, out: Storage): Storage {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const n = shape[axis];
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const from = (o * n + index[j]) * inner;
      const to = (o * m + j) * inner;
      if (inner === 1) out[to] = x[from];
      else out.set(x.subarray(from, from + inner), to);
    }
  }
  return out;
}

/** The adjoint of indexSelect: out (of `shape`) = 0, then slice index[j] += g's slice j (repeats add up). */
export function indexAdd(g: Storage, shape: readonly number[], axis: number, index: Int32Array, out: Storage): Storage {
  out.fill(0);
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const n = shape[axis];
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const to = (o * n + index[j]) * inner;
      const from = (o * m + j) * inner;
      for (let k = 0; k < inner; k++) out[to + k] += g[from + k];
    }
  }
  return out;
}

/**
 * out (int32, x's shape) = for each line along `axis`, the positions that sort it: stable (equal
 * values keep their order, in both directions), NaN counted greater than every number, as PyTorch
 * places it (last ascending, first descending).
 *
 * The line's values are sorted natively (a typed-array sort, no comparator: several times faster
 * than sorting positions with one); then each position, taken in order, finds its value's run in the
 * sorted copy by binary search and takes the run's next free slot, which is what makes it stable.
 */
export function argsort(x: Storage, shape: readonly number[], axis: number, descending: boolean, out: Int32Array): Int32Array {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const n = shape.length === 0 ? 1 : shape[axis];
  const line = new Float64Array(n);
  const sorted = new Float64Array(n);
  const taken = new Int32Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let nans = 0;
      for (let j = 0; j < n; j++) {
        const v = x[base + j * inner];
        line[j] = v;
        if (v !== v) nans++;
      }
      sorted.set(line);
      sorted.sort(); // ascending, NaN last
      taken.fill(0);
      const m = n - nans;
      let nanSeen = 0;
      for (let j = 0; j < n; j++) {
        const v = line[j];
        let pos: number;
        if (v !== v) {
          pos = descending ? nanSeen++ : m + nanSeen++;
        } else {
          // First index not less than v (the run of values equal to v starts there).
          let lo = 0;
          let hi = m;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (sorted[mid] < v) lo = mid + 1;
            else hi = mid;
          }
          const first = lo;
          if (descending) {
            hi = m;
            while (lo < hi) {
              const mid = (lo + hi) >> 1;
              if (sorted[mid] <= v) lo = mid + 1;
              else hi = mid;
            }
            pos = nans + (m - lo) + taken[first]++;
          } else pos = first + taken[first]++;
        }
        out[base + pos * inner] = j;
      }
    }
  }
  return out;
}
