/**
 * @file Batch normalisation in training mode as two fused passes over x viewed as [n, c, s] (s: the
 * spatial size, 1 for [N,C]): the statistics and the normalised output, and the input, weight and
 * bias gradients. What the composition of ten broadcast ops computes, in one read of x per pass.
 *
 * Note [batch-norm statistics]: the per-channel mean and variance are summed in float64 whatever the
 * storage (as every tapegrad sum), the variance in a second pass over x - mean (two-pass, so a large
 * mean does not cancel the variance away), and the output is (x - mean) · (invstd · weight) + bias.
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
    let total = 0;
    for (let b = 0; b < n; b++) {
      const base = b * plane + ch * s;
      for (let i = base; i < base + s; i++) total += x[i];
    }
    const m = total / count;
    let squares = 0;
    for (let b = 0; b < n; b++) {
      const base = b * plane + ch * s;
      for (let i = base; i < base + s; i++) {
        const d = x[i] - m;
        squares += d * d;
      }
    }
    const v = squares / count;
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
    for (let b = 0; b < n; b++) {
      const base = b * plane + ch * s;
      for (let i = base; i < base + s; i++) {
        const g = gy[i];
        sumGy += g;
        sumGyXhat += g * (x[i] - m);
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
