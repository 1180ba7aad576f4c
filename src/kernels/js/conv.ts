/**
 * @file 2-D convolution kernels on typed arrays: the three products a convolution layer needs
 * (forward, transposed forward, weight gradient), each by im2col/col2im feeding `gemm` or tap by tap
 * (the direct path), the taps an expanded graph is built from, and the naive reference loops all of
 * them are tested against.
 *
 * Note [im2col layout]: for one image and one group, `col` is a row-major [cg·kH·kW, outH·outW]
 * matrix. Row r = (c·kH + i)·kW + j holds, for every output position p = oh·outW + ow, the input
 * element x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW] (0 where that falls in the padding). Then
 *   forward:           y_g[kg, outHW]   = w_g[kg, cg·kH·kW] @ col            (w's own layout is the A operand)
 *   transposed:        col              = wT_g[cg·kH·kW, kg] @ x_g[kg, outHW], then col2im
 *   weight gradient:   gw_g[kg, cg·kH·kW] += gy_g[kg, outHW] @ colT          (colT: the transposed layout)
 * so every GEMM has long contiguous rows (outH·outW or cg·kH·kW) and each output channel's plane
 * comes out contiguous, with no transposes of activations. A faster `gemm` drops in unchanged.
 *
 * Note [direct path]: with one output channel per group (single-channel signals, depthwise layers)
 * the GEMM degenerates to a matrix-vector product and building col costs as much as the arithmetic,
 * so those convolutions run tap by tap instead: for each weight element, one strided multiply-add
 * over an output row (`forEachTapRow`), no col at all.
 */
import type { ConvTaps } from '../types';
import { allocate, Storage } from '../../tensor/dtype';
import type { ConvGeometry } from '../types';
import { gemmJs as gemm } from './matmul';

/** Input channels per group. */
const groupInC = (g: ConvGeometry) => g.inC / g.groups;
/** Output channels per group. */
const groupOutC = (g: ConvGeometry) => g.outC / g.groups;
/** Rows of one group's im2col matrix: one per weight element of a filter. */
const colRows = (g: ConvGeometry) => groupInC(g) * g.kH * g.kW;

/** The output positions ow in [lo, hi) whose input column ow·s + offset lies inside [0, n). */
function insideRange(offset: number, stride: number, n: number, count: number): [number, number] {
  const lo = offset >= 0 ? 0 : Math.min(count, Math.ceil(-offset / stride));
  const hi = Math.max(lo, Math.min(count, Math.ceil((n - offset) / stride)));
  return [lo, hi];
}

/** Adds bias[ch] to every element of channel ch, for y laid out [batch, channels, plane]. */
function addBias(y: Storage, bias: Storage, batch: number, channels: number, plane: number): void {
  for (let n = 0, o = 0; n < batch; n++) {
    for (let ch = 0; ch < channels; ch++) {
      const b = bias[ch];
      for (const end = o + plane; o < end; o++) y[o] += b;
    }
  }
}

/** Whether a convolution takes the direct path (Note [direct path]). */
export function takesDirectPath(g: ConvGeometry): boolean {
  return groupOutC(g) === 1;
}

/** y [batch, outC, outH, outW] = conv2d(x [batch, inC, inH, inW], w [outC, inC/groups, kH, kW]) + bias. */
export function conv2dForward(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage {
  return takesDirectPath(g) ? conv2dDirect(x, w, bias, g, y) : conv2dIm2col(x, w, bias, g, y);
}

/**
 * The transposed convolution: x lives in the output space [batch, outC, outH, outW], y in the input
 * space [batch, inC, inH, inW]; the weight is the same [outC, inC/groups, kH, kW] tensor.
 * y = conv2dᵀ(x) + bias (bias per input-space channel), the adjoint of conv2dForward in its input.
 */
export function convTranspose2dForward(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage {
  return takesDirectPath(g) ? convTranspose2dDirect(x, w, bias, g, y) : convTranspose2dIm2col(x, w, bias, g, y);
}

/**
 * The weight gradient: gw [outC, inC/groups, kH, kW], the correlation of x [batch, inC, inH, inW]
 * with gy [batch, outC, outH, outW], summed over the batch.
 */
export function conv2dWeightGrad(x: Storage, gy: Storage, g: ConvGeometry, gw: Storage): Storage {
  return takesDirectPath(g) ? conv2dWeightGradDirect(x, gy, g, gw) : conv2dWeightGradIm2col(x, gy, g, gw);
}

// ---- the im2col path (Note [im2col layout]) ------------------------------------------------------

/**
 * Writes one group's im2col matrix for the image at `xOff` (channel 0 of the group). `rowStride`
 * and `posStride` place element (r, p) at r·rowStride + p·posStride: (outH·outW, 1) is the layout of
 * Note [im2col layout], (1, rows) its transpose.
 */
export function im2col(x: Storage, xOff: number, g: ConvGeometry, col: Storage, rowStride: number, posStride: number): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilH, dilW } = g;
  const cg = groupInC(g);
  const rowStep = outW * posStride;
  for (let c = 0; c < cg; c++) {
    const plane = xOff + c * inH * inW;
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        const r = (c * kH + i) * kW + j;
        const colOffset = j * dilW - padW;
        const [lo, hi] = insideRange(colOffset, strideW, inW, outW);
        let dst = r * rowStride;
        for (let oh = 0; oh < outH; oh++, dst += rowStep) {
          const ih = oh * strideH - padH + i * dilH;
          if (ih < 0 || ih >= inH) {
            for (let ow = 0; ow < outW; ow++) col[dst + ow * posStride] = 0;
            continue;
          }
          const src = plane + ih * inW + colOffset;
          for (let ow = 0; ow < lo; ow++) col[dst + ow * posStride] = 0;
          if (posStride === 1 && strideW === 1) {
            for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow];
          } else {
            for (let ow = lo; ow < hi; ow++) col[dst + ow * posStride] = x[src + ow * strideW];
          }
          for (let ow = hi; ow < outW; ow++) col[dst + ow * posStride] = 0;
        }
      }
    }
  }
}

/** The adjoint of im2col (layout of Note [im2col layout]): adds each column entry into the input element it was read from. */
export function col2im(col: Storage, g: ConvGeometry, x: Storage, xOff: number): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilH, dilW } = g;
  const cg = groupInC(g);
  for (let c = 0; c < cg; c++) {
    const plane = xOff + c * inH * inW;
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        const r = (c * kH + i) * kW + j;
        const colOffset = j * dilW - padW;
        const [lo, hi] = insideRange(colOffset, strideW, inW, outW);
        let src = r * outH * outW;
        for (let oh = 0; oh < outH; oh++, src += outW) {
          const ih = oh * strideH - padH + i * dilH;
          if (ih < 0 || ih >= inH) continue;
          const dst = plane + ih * inW + colOffset;
          for (let ow = lo; ow < hi; ow++) x[dst + ow * strideW] += col[src + ow];
        }
      }
    }
  }
}

/** A 1×1 kernel with stride 1 and no padding reads the input planes as they are: im2col is the identity. */
function isPointwise(g: ConvGeometry): boolean {
  return (
    g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0 && g.outH === g.inH && g.outW === g.inW
  );
}

export function conv2dIm2col(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage {
  const rows = colRows(g);
  const kg = groupOutC(g);
  const cg = groupInC(g);
  const outPlane = g.outH * g.outW;
  const inPlane = g.inH * g.inW;
  const pointwise = isPointwise(g);
  const col = pointwise ? null : allocate(x instanceof Float64Array ? 'float64' : 'float32', rows * outPlane);
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOff = (n * g.inC + gi * cg) * inPlane;
      const yOff = (n * g.outC + gi * kg) * outPlane;
      if (col === null) {
        gemm(w, gi * kg * rows, x, xOff, y, yOff, kg, rows, outPlane);
      } else {
        im2col(x, xOff, g, col, outPlane, 1);
        gemm(w, gi * kg * rows, col, 0, y, yOff, kg, rows, outPlane);
      }
    }
  }
  if (bias !== null) addBias(y, bias, g.batch, g.outC, outPlane);
  return y;
}

export function convTranspose2dIm2col(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage {
  const rows = colRows(g);
  const kg = groupOutC(g);
  const cg = groupInC(g);
  const outPlane = g.outH * g.outW;
  const inPlane = g.inH * g.inW;
  const dtype = x instanceof Float64Array ? 'float64' : 'float32';
  // Each group's weight block [kg, rows], transposed once to [rows, kg] so the GEMM output is col.
  const wT = allocate(dtype, g.groups * rows * kg);
  for (let gi = 0; gi < g.groups; gi++) {
    const base = gi * kg * rows;
    for (let k = 0; k < kg; k++) for (let r = 0; r < rows; r++) wT[base + r * kg + k] = w[base + k * rows + r];
  }
  const pointwise = isPointwise(g);
  const col = pointwise ? null : allocate(dtype, rows * outPlane);
  y.fill(0);
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOff = (n * g.outC + gi * kg) * outPlane;
      const yOff = (n * g.inC + gi * cg) * inPlane;
      if (col === null) {
        gemm(wT, gi * rows * kg, x, xOff, y, yOff, rows, kg, outPlane);
      } else {
        gemm(wT, gi * rows * kg, x, xOff, col, 0, rows, kg, outPlane);
        col2im(col, g, y, yOff);
      }
    }
  }
  if (bias !== null) addBias(y, bias, g.batch, g.inC, inPlane);
  return y;
}

/** gw = Σ over images of gy_g @ im2col(x)ᵀ. */
export function conv2dWeightGradIm2col(x: Storage, gy: Storage, g: ConvGeometry, gw: Storage): Storage {
  const rows = colRows(g);
  const kg = groupOutC(g);
  const cg = groupInC(g);
  const outPlane = g.outH * g.outW;
  const inPlane = g.inH * g.inW;
  const colT = allocate(x instanceof Float64Array ? 'float64' : 'float32', outPlane * rows);
  gw.fill(0);
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      im2col(x, (n * g.inC + gi * cg) * inPlane, g, colT, 1, rows);
      gemm(gy, (n * g.outC + gi * kg) * outPlane, colT, 0, gw, gi * kg * rows, kg, outPlane, rows, true);
    }
  }
  return gw;
}

// ---- the direct path (Note [direct path]) -------------------------------------------------------

/**
 * Visits every weight element wi against every output row it reaches: for ow in [lo, hi), output
 * y[yAt + ow] meets input x[xAt + ow·strideW]. Rows and columns that would read padding are skipped.
 */
function forEachTapRow(g: ConvGeometry, visit: (wi: number, xAt: number, yAt: number, lo: number, hi: number) => void): void {
  const cg = groupInC(g);
  const kg = groupOutC(g);
  const inPlane = g.inH * g.inW;
  const outPlane = g.outH * g.outW;
  for (let n = 0; n < g.batch; n++) {
    for (let k = 0; k < g.outC; k++) {
      const c0 = Math.floor(k / kg) * cg;
      const yPlane = (n * g.outC + k) * outPlane;
      for (let c = 0; c < cg; c++) {
        const xPlane = (n * g.inC + c0 + c) * inPlane;
        for (let i = 0; i < g.kH; i++) {
          for (let j = 0; j < g.kW; j++) {
            const wi = ((k * cg + c) * g.kH + i) * g.kW + j;
            const colOffset = j * g.dilW - g.padW;
            const [lo, hi] = insideRange(colOffset, g.strideW, g.inW, g.outW);
            if (lo >= hi) continue;
            for (let oh = 0; oh < g.outH; oh++) {
              const ih = oh * g.strideH - g.padH + i * g.dilH;
              if (ih >= 0 && ih < g.inH) visit(wi, xPlane + ih * g.inW + colOffset, yPlane + oh * g.outW, lo, hi);
            }
          }
        }
      }
    }
  }
}

// Each visit copies the arrays into locals and, for stride 1, walks one index with a fixed offset:
// both let V8 keep the inner loop as tight as a plain loop.

export function conv2dDirect(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage {
  const s = g.strideW;
  y.fill(0);
  forEachTapRow(g, (wi, xAt, yAt, lo, hi) => {
    const ys = y;
    const xs = x;
    const wv = w[wi];
    if (s === 1) {
      const d = xAt - yAt;
      for (let o = yAt + lo, end = yAt + hi; o < end; o++) ys[o] += wv * xs[o + d];
    } else {
      for (let ow = lo; ow < hi; ow++) ys[yAt + ow] += wv * xs[xAt + ow * s];
    }
  });
  if (bias !== null) addBias(y, bias, g.batch, g.outC, g.outH * g.outW);
  return y;
}

/** x in the output space, y in the input space, as convTranspose2dForward. */
export function convTranspose2dDirect(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage {
  const s = g.strideW;
  y.fill(0);
  forEachTapRow(g, (wi, yAt, xAt, lo, hi) => {
    const ys = y;
    const xs = x;
    const wv = w[wi];
    if (s === 1) {
      const d = xAt - yAt;
      for (let o = yAt + lo, end = yAt + hi; o < end; o++) ys[o] += wv * xs[o + d];
    } else {
      for (let ow = lo; ow < hi; ow++) ys[yAt + ow * s] += wv * xs[xAt + ow];
    }
  });
  if (bias !== null) addBias(y, bias, g.batch, g.inC, g.inH * g.inW);
  return y;
}

export function conv2dWeightGradDirect(x: Storage, gy: Storage, g: ConvGeometry, gw: Storage): Storage {
  const s = g.strideW;
  gw.fill(0);
  forEachTapRow(g, (wi, xAt, yAt, lo, hi) => {
    const gys = gy;
    const xs = x;
    let acc = 0;
    if (s === 1) {
      const d = xAt - yAt;
      for (let o = yAt + lo, end = yAt + hi; o < end; o++) acc += gys[o] * xs[o + d];
    } else {
      for (let ow = lo; ow < hi; ow++) acc += gys[yAt + ow] * xs[xAt + ow * s];
    }
    gw[wi] += acc;
  });
  return gw;
}

export function conv2dTaps(g: ConvGeometry): ConvTaps {
  const outputs = g.batch * g.outC * g.outH * g.outW;
  const start = new Int32Array(outputs + 1);
  const xs: number[] = [];
  const ws: number[] = [];
  forEachTap(g, (o, xi, wi) => {
    xs.push(xi);
    ws.push(wi);
    start[o + 1] = xs.length;
  });
  for (let o = 1; o <= outputs; o++) if (start[o] < start[o - 1]) start[o] = start[o - 1];
  return { start, xIndex: Int32Array.from(xs), wIndex: Int32Array.from(ws) };
}

/**
 * The definition of a convolution, loop by loop: visit(o, xi, wi) for every output element o
 * (row-major) and every weight element wi that meets an input element xi inside the image.
 */
function forEachTap(g: ConvGeometry, visit: (o: number, xi: number, wi: number) => void): void {
  const cg = groupInC(g);
  const kg = groupOutC(g);
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let k = 0; k < g.outC; k++) {
      const c0 = Math.floor(k / kg) * cg;
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++, o++) {
          for (let c = 0; c < cg; c++) {
            for (let i = 0; i < g.kH; i++) {
              const ih = oh * g.strideH - g.padH + i * g.dilH;
              if (ih < 0 || ih >= g.inH) continue;
              for (let j = 0; j < g.kW; j++) {
                const iw = ow * g.strideW - g.padW + j * g.dilW;
                if (iw < 0 || iw >= g.inW) continue;
                visit(o, ((n * g.inC + c0 + c) * g.inH + ih) * g.inW + iw, ((k * cg + c) * g.kH + i) * g.kW + j);
              }
            }
          }
        }
      }
    }
  }
}
