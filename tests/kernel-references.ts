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
