/**
 * @file What a graph page shows of a tensor's values or gradient: every number of a small tensor,
 * slices of a 2-D or image tensor for a heatmap, and for any size the statistics and a histogram.
 */
import type { Tensor } from '../tensor/tensor';

/** Tensors with at most this many elements are listed in full. */
const MAX_LISTED = 256;
/** Heatmap planes: at most this many of at most SIDE×SIDE elements each. */
const MAX_PLANES = 16;
const SIDE = 64;
const BINS = 24;

export interface ValueSummary {
  shape: number[];
  size: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  nans: number;
  infs: number;
  /** Every value (small tensors). */
  values?: number[];
  /** The last two axes as planes, for a heatmap: labels say which leading indices each is. */
  planes?: { rows: number; cols: number; labels: string[]; data: number[][] };
  histogram: { lo: number; hi: number; counts: number[] };
}

const round = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(5)) : v);

export function summarize(t: Tensor): ValueSummary {
  const d = t.data;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let nans = 0;
  let infs = 0;
  let finite = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v !== v) nans++;
    else if (!Number.isFinite(v)) infs++;
    else {
      finite++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const mean = finite > 0 ? sum / finite : NaN;
  let squares = 0;
  for (let i = 0; i < d.length; i++) if (Number.isFinite(d[i])) squares += (d[i] - mean) ** 2;
  const counts = new Array<number>(BINS).fill(0);
  const lo = finite > 0 ? min : 0;
  const hi = finite > 0 ? max : 0;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) continue;
    counts[hi > lo ? Math.min(BINS - 1, Math.floor(((d[i] - lo) / (hi - lo)) * BINS)) : 0]++;
  }
  const summary: ValueSummary = {
    shape: [...t.shape],
    size: d.length,
    min: finite > 0 ? round(min) : NaN,
    max: finite > 0 ? round(max) : NaN,
    mean: round(mean),
    std: finite > 0 ? round(Math.sqrt(squares / finite)) : NaN,
    nans,
    infs,
    histogram: { lo: round(lo), hi: round(hi), counts },
  };
  if (d.length <= MAX_LISTED) summary.values = Array.from(d, round);
  if (t.ndim >= 2 && d.length > 0) {
    const rows = t.shape[t.ndim - 2];
    const cols = t.shape[t.ndim - 1];
    const lead = t.shape.slice(0, -2);
    const planes = d.length / (rows * cols);
    const r = Math.min(rows, SIDE);
    const c = Math.min(cols, SIDE);
    const labels: string[] = [];
    const data: number[][] = [];
    for (let p = 0; p < Math.min(planes, MAX_PLANES); p++) {
      const index: number[] = [];
      for (let k = lead.length - 1, q = p; k >= 0; k--) {
        index.unshift(q % lead[k]);
        q = Math.floor(q / lead[k]);
      }
      labels.push(index.length > 0 ? `[${index.join(',')}, :, :]` : '[:, :]');
      const plane: number[] = [];
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) plane.push(round(d[(p * rows + i) * cols + j]));
      data.push(plane);
    }
    summary.planes = { rows: r, cols: c, labels, data };
  }
  return summary;
}
