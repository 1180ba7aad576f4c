/**
 * @file 2-D pooling kernels on typed arrays (1-D pooling is the height-1 case): max with the position
 * of each window's first maximum, average over the whole window (padding counts as zeros), the
 * average's adjoint, and the flat-index gather/scatter that route max pooling's gradient.
 */
import type { PoolGeometry } from '../types';
import type { Storage } from '../../tensor/dtype';

/**
 * Visits each output position o (row-major over planes, rows, columns) with the part of its window
 * that lies inside the image: rows [hLo, hHi) and columns [wLo, wHi), offsets from `plane`.
 */
function forEachWindow(
  g: PoolGeometry,
  visit: (o: number, plane: number, hLo: number, hHi: number, wLo: number, wHi: number) => void,
): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW } = g;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const plane = p * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padH;
      const hLo = h0 > 0 ? h0 : 0;
      const hHi = h0 + kH < inH ? h0 + kH : inH;
      for (let ow = 0; ow < outW; ow++, o++) {
        const w0 = ow * strideW - padW;
        visit(o, plane, hLo, hHi, w0 > 0 ? w0 : 0, w0 + kW < inW ? w0 + kW : inW);
      }
    }
  }
}

/**
 * Max over each window; argmax[o] is the flat input index of the window's first maximal element in
 * row-major order (a NaN wins, as in PyTorch). Padding never wins: it is -Infinity.
 */
export function maxPool2d(x: Storage, g: PoolGeometry, y: Storage, argmax: Int32Array): Storage {
  const { inW } = g;
  forEachWindow(g, (o, plane, hLo, hHi, wLo, wHi) => {
    let best = -Infinity;
    let at = -1;
    for (let ih = hLo; ih < hHi; ih++) {
      const row = plane + ih * inW;
      for (let iw = wLo; iw < wHi; iw++) {
        const v = x[row + iw];
        if (v > best || at === -1 || (v !== v && best === best)) {
          best = v;
          at = row + iw;
        }
      }
    }
    y[o] = best;
    argmax[o] = at;
  });
  return y;
}

/** Mean over each kH×kW window, padded positions counted as zeros (PyTorch's count_include_pad). */
export function avgPool2d(x: Storage, g: PoolGeometry, y: Storage): Storage {
  const { inW } = g;
  const scale = 1 / (g.kH * g.kW);
  forEachWindow(g, (o, plane, hLo, hHi, wLo, wHi) => {
    let sum = 0;
    for (let ih = hLo; ih < hHi; ih++) {
      const row = plane + ih * inW;
      for (let iw = wLo; iw < wHi; iw++) sum += x[row + iw];
    }
    y[o] = sum * scale;
  });
  return y;
}

/** The adjoint of avgPool2d: each gy element spreads evenly over its window (padding drops its share). */
export function avgPool2dAdjoint(gy: Storage, g: PoolGeometry, gx: Storage): Storage {
  const { inW } = g;
  const scale = 1 / (g.kH * g.kW);
  gx.fill(0);
  forEachWindow(g, (o, plane, hLo, hHi, wLo, wHi) => {
    const share = gy[o] * scale;
    for (let ih = hLo; ih < hHi; ih++) {
      const row = plane + ih * inW;
      for (let iw = wLo; iw < wHi; iw++) gx[row + iw] += share;
    }
  });
  return gx;
}

/** y[o] = x[index[o]]. */
export function gatherFlat(x: Storage, index: Int32Array, y: Storage): Storage {
  for (let o = 0; o < index.length; o++) y[o] = x[index[o]];
  return y;
}

/** out = 0; out[index[o]] += g[o] — the adjoint of gatherFlat (repeated indices add up). */
export function scatterAddFlat(g: Storage, index: Int32Array, out: Storage): Storage {
  out.fill(0);
  for (let o = 0; o < index.length; o++) out[index[o]] += g[o];
  return out;
}
