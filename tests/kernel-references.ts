/**
 * The naive loops the kernel tests compare the fast kernels with, on the kernels' own geometry types:
 * a convolution as its definition (every output as the sum over the taps conv2dTaps lists: the
 * enumeration the expanded graphs use, not the im2col or direct kernels under test) and the
 * textbook triple-loop GEMM. (tests/reference-loops.ts holds the ones that share nothing with src/.)
 */
import { conv2dTaps } from '../src/kernels/js/conv';
import type { ConvGeometry } from '../src/kernels/types';
import type { Storage } from '../src/tensor/dtype';

function addBias(y: Storage, bias: Storage, batch: number, channels: number, plane: number): void {
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < channels; c++) {
      const base = (n * channels + c) * plane;
      for (let i = 0; i < plane; i++) y[base + i] += bias[c];
    }
}

/** visit(o, xi, wi) for every output element o and every weight element wi meeting input element xi. */
function forEachTap(g: ConvGeometry, visit: (o: number, xi: number, wi: number) => void): void {
  const { start, xIndex, wIndex } = conv2dTaps(g);
  for (let o = 0; o + 1 < start.length; o++) for (let t = start[o]; t < start[o + 1]; t++) visit(o, xIndex[t], wIndex[t]);
}

export function conv2dReference(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage {
  y.fill(0);
  forEachTap(g, (o, xi, wi) => {
    y[o] += x[xi] * w[wi];
  });
  if (bias !== null) addBias(y, bias, g.batch, g.outC, g.outH * g.outW);
  return y;
}

export function convTranspose2dReference(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage {
  y.fill(0);
  forEachTap(g, (o, yi, wi) => {
    y[yi] += x[o] * w[wi];
  });
  if (bias !== null) addBias(y, bias, g.batch, g.inC, g.inH * g.inW);
  return y;
}

export function conv2dWeightGradReference(x: Storage, gy: Storage, g: ConvGeometry, gw: Storage): Storage {
  gw.fill(0);
  forEachTap(g, (o, xi, wi) => {
    gw[wi] += x[xi] * gy[o];
  });
  return gw;
}

/** out[m,n] = a[m,k] @ b[k,n], the plain triple loop. */
export function gemmReference(a: Storage, b: Storage, out: Storage, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out[i * n + j] = s;
    }
  }
}

/**
 * The magnitude the Winograd error is bounded by, per output: E = |b| + Σ_c |Aᵀ| (|G||g||Gᵀ| ⊙
 * |Bᵀ||d||B|) |A|, the algorithm run on absolute values (d the 4×4 input tile, zero outside the image).
 *
 * Derivation (u = 2⁻²⁴, first order in u; every step's error is relative to the same step on
 * absolute values, so the bounds compose through E):
 *   V = Bᵀ d B in float32: each entry is ±d ± d ± d ± d in two levels of additions → γ₂;
 *   U = G g Gᵀ in float64 rounded once to float32 → u (the float64 error is below 2⁻⁵⁰);
 *   M_ξ = Σ_c U V, a float32 GEMM over C channels (fused or not) → γ_C;
 *   Y = Aᵀ M A, two levels of three-term sums → γ₄; the bias added → one more u.
 * So |ŷ − y| ≤ (2 + 1 + C + 4 + 1)·u·E + O(u²) = (C + 8)·u·E·(1 + O(C·u)); the factor 1.001
 * covers the second-order terms (C·u < 10⁻⁵ here).
 */
export function winogradMagnitude(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  g: ConvGeometry,
): Float64Array {
  const e = new Float64Array(g.batch * g.outC * g.outH * g.outW);
  const BT = [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ];
  const G = [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ];
  const AT = [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ];
  // |L| X |R|ᵀ for an a×b X: (|L| [p×a]) X (|R| [q×b])ᵀ.
  const sandwich = (L: number[][], X: number[][], R: number[][]) =>
    L.map((l) => R.map((r) => l.reduce((s, lv, a) => s + Math.abs(lv) * r.reduce((t, rv, b) => t + X[a][b] * Math.abs(rv), 0), 0)));
  const U: number[][][] = [];
  for (let k = 0; k < g.outC; k++)
    for (let c = 0; c < g.inC; c++) {
      const wk = [0, 1, 2].map((i) => [0, 1, 2].map((j) => Math.abs(w[((k * g.inC + c) * 3 + i) * 3 + j])));
      U[k * g.inC + c] = sandwich(G, wk, G);
    }
  const tilesH = Math.ceil(g.outH / 2);
  const tilesW = Math.ceil(g.outW / 2);
  for (let n = 0; n < g.batch; n++)
    for (let th = 0; th < tilesH; th++)
      for (let tw = 0; tw < tilesW; tw++) {
        const V: number[][][] = [];
        for (let c = 0; c < g.inC; c++) {
          const d = [0, 1, 2, 3].map((i) =>
            [0, 1, 2, 3].map((j) => {
              const ih = 2 * th + i - g.padH;
              const iw = 2 * tw + j - g.padW;
              return ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW ? 0 : Math.abs(x[((n * g.inC + c) * g.inH + ih) * g.inW + iw]);
            }),
          );
          V.push(sandwich(BT, d, BT));
        }
        for (let k = 0; k < g.outC; k++) {
          const M = [0, 1, 2, 3].map((a) => [0, 1, 2, 3].map((b) => V.reduce((s, v, c) => s + U[k * g.inC + c][a][b] * v[a][b], 0)));
          const Y = sandwich(AT, M, AT);
          for (let i = 0; i < 2; i++)
            for (let j = 0; j < 2; j++) {
              const oh = 2 * th + i;
              const ow = 2 * tw + j;
              if (oh < g.outH && ow < g.outW)
                e[((n * g.outC + k) * g.outH + oh) * g.outW + ow] = Y[i][j] + (bias === null ? 0 : Math.abs(bias[k]));
            }
        }
      }
  return e;
}

/** The transposed convolution as the correlation Winograd runs: gy padded by 2 − p with w rotated and its channels swapped. */
export function flipped(g: ConvGeometry, w: Float32Array): { g: ConvGeometry; w: Float64Array } {
  const f: ConvGeometry = {
    ...g,
    inC: g.outC,
    outC: g.inC,
    inH: g.outH,
    inW: g.outW,
    outH: g.inH,
    outW: g.inW,
    padH: 2 - g.padH,
    padW: 2 - g.padW,
  };
  const wf = new Float64Array(w.length);
  for (let k = 0; k < g.outC; k++)
    for (let c = 0; c < g.inC; c++) for (let i = 0; i < 9; i++) wf[(c * g.outC + k) * 9 + i] = w[(k * g.inC + c) * 9 + (8 - i)];
  return { g: f, w: wf };
}
