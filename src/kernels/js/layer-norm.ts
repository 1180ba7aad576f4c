/**
 * @file Layer norm's forward and backward as single passes over each row (Note [fused layer norm] in
 * src/ops/norms.ts): x viewed as [rows, cols], each row normalised by its own mean and biased
 * variance (float64), then scaled and shifted per column.
 */
import type { Storage } from '../../tensor/dtype';
import type { LayerNormStats } from '../types';

export function layerNormForward(
  x: Storage,
  rows: number,
  cols: number,
  weight: Storage | null,
  bias: Storage | null,
  eps: number,
  y: Storage,
): LayerNormStats {
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let total = 0;
    for (let j = 0; j < cols; j++) total += x[base + j];
    const m = total / cols;
    let squares = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[base + j] - m;
      squares += d * d;
    }
    const s = 1 / Math.sqrt(squares / cols + eps);
    mean[r] = m;
    rstd[r] = s;
    for (let j = 0; j < cols; j++) {
      const v = (x[base + j] - m) * s;
      y[base + j] = (weight === null ? v : v * weight[j]) + (bias === null ? 0 : bias[j]);
    }
  }
  return { mean, rstd };
}

/**
 * The gradients of layerNormForward: with x̂ the normalised row and g = gy·weight,
 * gx = rstd·(g − mean(g) − x̂·mean(g·x̂)); gweight = Σ_rows gy·x̂, gbias = Σ_rows gy (float64 sums).
 */
export function layerNormBackward(
  gy: Storage,
  x: Storage,
  rows: number,
  cols: number,
  stats: LayerNormStats,
  weight: Storage | null,
  gx: Storage | null,
  gweight: Storage | null,
  gbias: Storage | null,
): void {
  const gw = gweight === null ? null : new Float64Array(cols);
  const gb = gbias === null ? null : new Float64Array(cols);
  const xhat = new Float64Array(cols);
  const g = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const m = stats.mean[r];
    const s = stats.rstd[r];
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < cols; j++) {
      const h = (x[base + j] - m) * s;
      const gj = weight === null ? gy[base + j] : gy[base + j] * weight[j];
      xhat[j] = h;
      g[j] = gj;
      sumG += gj;
      sumGX += gj * h;
      if (gw !== null) gw[j] += gy[base + j] * h;
      if (gb !== null) gb[j] += gy[base + j];
    }
    if (gx !== null) {
      const meanG = sumG / cols;
      const meanGX = sumGX / cols;
      for (let j = 0; j < cols; j++) gx[base + j] = s * (g[j] - meanG - xhat[j] * meanGX);
    }
  }
  if (gweight !== null) gweight.set(gw!);
  if (gbias !== null) gbias.set(gb!);
}
