/**
 * @file Fused scaled dot-product attention's forward and backward (Note [fused attention] in
 * src/ops/attention.ts), a query row at a time in float64 whatever the storage: the float64 path, the
 * fallback, and the reference the WebAssembly kernel (assembly/attention.ts) is tested against.
 */
import type { Storage } from '../../tensor/dtype';
import type { AttentionShape } from '../types';

/**
 * Row i's weights of entry t into p (its first n entries): scale·q·kᵀ + mask, then e^(s − max)·(1/Σ).
 * With `stats` to write (the forward) the max and 1/Σ are computed and saved; otherwise read back.
 */
function rowWeights(
  q: Storage,
  k: Storage,
  mask: Storage | null,
  sh: AttentionShape,
  t: number,
  i: number,
  n: number,
  p: Float64Array,
  stats: Storage,
  forward: boolean,
): void {
  const { L, S, E, scale } = sh;
  const qo = (t * L + i) * E;
  let m = -Infinity;
  for (let j = 0; j < n; j++) {
    const ko = (t * S + j) * E;
    let acc = 0;
    for (let c = 0; c < E; c++) acc += q[qo + c] * k[ko + c];
    let s = acc * scale;
    if (mask !== null) s += mask[i * S + j];
    p[j] = s;
    if (s > m || s !== s) m = s;
  }
  const at = (t * L + i) * 2;
  if (forward) {
    // The max as stored (rounded, for float32 storage) is the one the weights use, here and in the
    // backward, so the sum is taken with it too: the weights then sum to 1.
    stats[at] = m;
    const stored = stats[at];
    let total = 0;
    for (let j = 0; j < n; j++) total += Math.exp(p[j] - stored);
    stats[at + 1] = 1 / total;
  }
  const max = stats[at];
  const inv = stats[at + 1];
  for (let j = 0; j < n; j++) p[j] = Math.exp(p[j] - max) * inv;
}

/** The keys query i sees. */
function visible(sh: AttentionShape, i: number): number {
  return sh.causal ? Math.min(sh.S, i + 1) : sh.S;
}

export function attentionForward(
  q: Storage,
  k: Storage,
  v: Storage,
  mask: Storage | null,
  sh: AttentionShape,
  out: Storage,
  stats: Storage,
): void {
  const { count, L, S, Ev } = sh;
  const p = new Float64Array(S);
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < L; i++) {
      const n = visible(sh, i);
      rowWeights(q, k, mask, sh, t, i, n, p, stats, true);
      const oo = (t * L + i) * Ev;
      for (let c = 0; c < Ev; c++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += p[j] * v[(t * S + j) * Ev + c];
        out[oo + c] = acc;
      }
    }
  }
}

export function attentionBackward(
  gy: Storage,
  q: Storage,
  k: Storage,
  v: Storage,
  mask: Storage | null,
  stats: Storage,
  sh: AttentionShape,
  gq: Storage,
  gk: Storage,
  gv: Storage,
): void {
  const { count, L, S, E, Ev, scale } = sh;
  const p = new Float64Array(S);
  const dS = new Float64Array(S);
  const gkt = new Float64Array(S * E);
  const gvt = new Float64Array(S * Ev);
  for (let t = 0; t < count; t++) {
    gkt.fill(0);
    gvt.fill(0);
    for (let i = 0; i < L; i++) {
      const n = visible(sh, i);
      rowWeights(q, k, mask, sh, t, i, n, p, stats, false);
      const go = (t * L + i) * Ev;
      let dot = 0;
      for (let j = 0; j < n; j++) {
        const vo = (t * S + j) * Ev;
        let acc = 0;
        for (let c = 0; c < Ev; c++) acc += gy[go + c] * v[vo + c];
        dS[j] = acc;
        dot += p[j] * acc;
      }
      for (let j = 0; j < n; j++) dS[j] = p[j] * (dS[j] - dot);
      const qo = (t * L + i) * E;
      for (let c = 0; c < E; c++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += dS[j] * k[(t * S + j) * E + c];
        gq[qo + c] = acc * scale;
      }
      for (let j = 0; j < n; j++) {
        const sj = dS[j] * scale;
        const pj = p[j];
        for (let c = 0; c < E; c++) gkt[j * E + c] += sj * q[qo + c];
        for (let c = 0; c < Ev; c++) gvt[j * Ev + c] += pj * gy[go + c];
      }
    }
    for (let x = 0; x < S * E; x++) gk[t * S * E + x] = gkt[x];
    for (let x = 0; x < S * Ev; x++) gv[t * S * Ev + x] = gvt[x];
  }
}
