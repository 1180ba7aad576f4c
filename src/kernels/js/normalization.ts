/**
 * @file Batch normalisation in training mode as two fused passes over x viewed as [n, c, s] (s: the
 * spatial size, 1 for [N,C]): the statistics and the normalised output, and the input, weight and
 * bias gradients. What the composition of ten broadcast ops computes, in one read of x per pass.
 *
 * Note [batch-norm statistics]: the per-channel mean and variance are summed in float64 whatever the
 * storage (as every tapegrad sum), the variance in a second pass over x - mean (two-pass, so a large
 * mean does not cancel the variance away), and the output is (x - mean) · (invstd · weight) + bias.
 *
 * Note [four partial sums]: for float32 data each channel's sums are four float64 partial sums — the
 * values at offsets 0, 1, 2, 3 (mod 4) of each of the channel's runs of s — added as (p0 + p1) +
 * (p2 + p3), as the reduction kernels do (Note [float64 accumulation]): a single running sum waits on
 * each add's latency, four let the WebAssembly kernel (assembly/normalization.ts) add two float64
 * lanes twice a step, in the same order, so both give the same bits. They move the float64 sums by
 * ~1e-16 relative, far below float32 rounding. float64 data keeps the one left-to-right sum.
 */
import type { BatchNormStats } from '../types';
import type { Storage } from '../../tensor/dtype';

/** y = (x - mean_c) · invstd_c · weight_c + bias_c, with the batch's own statistics (Note [batch-norm statistics]). */
export function batchNormForward(
  x: Storage,
  n: number,
  c: number,
  s: number,
  weight: Storage | null,
  bias: Storage | null,
  eps: number,
  y: Storage,
): BatchNormStats {
  const mean = new Float64Array(c);
  const invstd = new Float64Array(c);
  const variance = new Float64Array(c);
  const count = n * s;
  const plane = c * s;
  for (let ch = 0; ch < c; ch++) {
    const split = x instanceof Float32Array;
    const m = (split ? channelSum(x, n, plane, ch * s, s, 0, false) : plainSum(x, n, plane, ch * s, s, 0, false)) / count;
    const v = (split ? channelSum(x, n, plane, ch * s, s, m, true) : plainSum(x, n, plane, ch * s, s, m, true)) / count;
    const r = 1 / Math.sqrt(v + eps);
    mean[ch] = m;
    variance[ch] = v;
    invstd[ch] = r;
    const scale = r * (weight === null ? 1 : weight[ch]);
    const shift = bias === null ? 0 : bias[ch];
    for (let b = 0; b < n; b++) {
      const base = b * plane + ch * s;
      for (let i = base; i < base + s; i++) y[i] = (x[i] - m) * scale + shift;
    }
  }
  return { mean, invstd, variance };
}

/**
 * The gradients of batchNormForward from gy, for the outputs that are not null:
 *   gbias_c = Σ gy,  gweight_c = Σ gy · x̂,  gx = weight_c · invstd_c · (gy - gbias_c/M - x̂ · gweight_c/M)
 * with x̂ = (x - mean_c) · invstd_c and M = n·s values per channel; the sums in float64.
 */
export function batchNormBackward(
  gy: Storage,
  x: Storage,
  n: number,
  c: number,
  s: number,
  stats: BatchNormStats,
  weight: Storage | null,
  gx: Storage | null,
  gweight: Storage | null,
  gbias: Storage | null,
): void {
  const count = n * s;
  const plane = c * s;
  for (let ch = 0; ch < c; ch++) {
    const m = stats.mean[ch];
    const r = stats.invstd[ch];
    let sumGy = 0;
    let sumGyXhat = 0;
    if (x instanceof Float32Array) {
      // Note [four partial sums], both sums at once.
      let g0 = 0;
      let g1 = 0;
      let g2 = 0;
      let g3 = 0;
      let h0 = 0;
      let h1 = 0;
      let h2 = 0;
      let h3 = 0;
      for (let b = 0; b < n; b++) {
        const base = b * plane + ch * s;
        const end = base + s;
        let i = base;
        for (; i + 4 <= end; i += 4) {
          g0 += gy[i];
          h0 += gy[i] * (x[i] - m);
          g1 += gy[i + 1];
          h1 += gy[i + 1] * (x[i + 1] - m);
          g2 += gy[i + 2];
          h2 += gy[i + 2] * (x[i + 2] - m);
          g3 += gy[i + 3];
          h3 += gy[i + 3] * (x[i + 3] - m);
        }
        if (i < end) {
          g0 += gy[i];
          h0 += gy[i] * (x[i] - m);
        }
        if (i + 1 < end) {
          g1 += gy[i + 1];
          h1 += gy[i + 1] * (x[i + 1] - m);
        }
        if (i + 2 < end) {
          g2 += gy[i + 2];
          h2 += gy[i + 2] * (x[i + 2] - m);
        }
      }
      sumGy = g0 + g1 + (g2 + g3);
      sumGyXhat = h0 + h1 + (h2 + h3);
    } else {
      for (let b = 0; b < n; b++) {
        const base = b * plane + ch * s;
        for (let i = base; i < base + s; i++) {
          const g = gy[i];
          sumGy += g;
          sumGyXhat += g * (x[i] - m);
        }
      }
    }
    sumGyXhat *= r;
    if (gbias !== null) gbias[ch] = sumGy;
    if (gweight !== null) gweight[ch] = sumGyXhat;
    if (gx === null) continue;
    const scale = (weight === null ? 1 : weight[ch]) * r;
    const meanGy = sumGy / count;
    const meanGyXhat = sumGyXhat / count;
    for (let b = 0; b < n; b++) {
      const base = b * plane + ch * s;
      for (let i = base; i < base + s; i++) gx[i] = scale * (gy[i] - meanGy - (x[i] - m) * r * meanGyXhat);
    }
  }
}

/**
 * Σ over the channel's n runs (s values each, the first at `first`, runs `plane` apart) of x, or of
 * (x - m)² when `squares`: one float64 sum left to right (float64 data).
 */
function plainSum(x: Storage, n: number, plane: number, first: number, s: number, m: number, squares: boolean): number {
  let total = 0;
  for (let b = 0; b < n; b++) {
    const base = b * plane + first;
    if (squares) {
      for (let i = base; i < base + s; i++) {
        const d = x[i] - m;
        total += d * d;
      }
    } else {
      for (let i = base; i < base + s; i++) total += x[i];
    }
  }
  return total;
}

/** plainSum's sum as four partial sums (Note [four partial sums]): float32 data. */
function channelSum(x: Float32Array, n: number, plane: number, first: number, s: number, m: number, squares: boolean): number {
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  for (let b = 0; b < n; b++) {
    const base = b * plane + first;
    const end = base + s;
    let i = base;
    if (squares) {
      for (; i + 4 <= end; i += 4) {
        const d0 = x[i] - m;
        const d1 = x[i + 1] - m;
        const d2 = x[i + 2] - m;
        const d3 = x[i + 3] - m;
        p0 += d0 * d0;
        p1 += d1 * d1;
        p2 += d2 * d2;
        p3 += d3 * d3;
      }
      const t0 = i < end ? x[i] - m : 0;
      const t1 = i + 1 < end ? x[i + 1] - m : 0;
      const t2 = i + 2 < end ? x[i + 2] - m : 0;
      if (i < end) p0 += t0 * t0;
      if (i + 1 < end) p1 += t1 * t1;
      if (i + 2 < end) p2 += t2 * t2;
    } else {
      for (; i + 4 <= end; i += 4) {
        p0 += x[i];
        p1 += x[i + 1];
        p2 += x[i + 2];
        p3 += x[i + 3];
      }
      if (i < end) p0 += x[i];
      if (i + 1 < end) p1 += x[i + 1];
      if (i + 2 < end) p2 += x[i + 2];
    }
  }
  return p0 + p1 + (p2 + p3);
}
