/**
 * @file Signal-processing convolution, as the tutorial teaches it: convolve and correlate (1-D,
 * numpy.convolve / numpy.correlate) and convolve2d (scipy.signal.convolve2d), each 'full', 'same'
 * or 'valid', value for value, edge cases included.
 *
 * All three are one computation: a window of the full cross-correlation z[m] = Σ_i a[m + i − (nk−1)]·k[i]
 * (every overlap of k with a, outside samples counting as zero). Convolution correlates with the
 * flipped kernel. The window is computed by the conv2d primitive on a padded view, so the gradients
 * come from conv2d's own rules: dL/dx is a full convolution of dL/dy with w, and dL/dw a correlation
 * of x with dL/dy — convolutions again, so second derivatives work too.
 *
 * Note [numpy and scipy edge cases]:
 * - numpy.convolve swaps its inputs when w is longer than x (convolution commutes, so only the
 *   'same' window depends on it: its length is max(|x|,|w|), centred on the shorter one).
 * - numpy.correlate computes with the longer input first as well, but correlation does not commute:
 *   it correlates (w, x) and reverses the result. For 'full' and 'valid' that equals the plain
 *   definition; for 'same' with an even-length shorter x the window sits one step further right
 *   than it would without the swap (c[⌊n/2⌋ …] instead of c[n/2 − 1 …]).
 * - scipy's convolve2d keeps in1's shape in 'same' (whichever is larger) and centres the window at
 *   ⌊(n−1)/2⌋ of in2 on each axis; in 'valid' one input must be at least as large as the other on
 *   every axis (then it plays the input's part).
 */
import { promoteTypes } from '../tensor/dtype';
import { kernels } from '../kernels';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkTensor } from './arguments';
import { applyConv2d } from './conv';
import { Products, sumOfProducts } from './expanded';
import { cast, requireFloating } from './operands';
import { flip, pad, reshape } from './shape';

export type SignalMode = 'full' | 'same' | 'valid';
const MODES: readonly SignalMode[] = ['full', 'same', 'valid'];

export interface SignalOptions {
  /** Build the result from scalar multiply and add nodes (Note [expanded graphs] in expanded.ts). */
  expand?: boolean;
}

/** Along one axis: the part [start, start + length) of the full result. */
interface Window {
  start: number;
  length: number;
}

/**
 * The window of the full correlation that numpy/scipy return in `mode`, for a longer-or-equal input
 * of length n1 and a kernel of length n2 (the caller arranges which is which). Only where 'same'
 * starts differs between the ops, so the caller says.
 */
function windowOf(mode: SignalMode, n1: number, n2: number, sameStart: number): Window {
  if (mode === 'full') return { start: 0, length: n1 + n2 - 1 };
  if (mode === 'valid') return { start: n2 - 1, length: n1 - n2 + 1 };
  return { start: sameStart, length: n1 };
}

/**
 * How a computes the window of its full correlation with k on one axis: a is padded by `before`
 * and `after` so that a plain (valid) cross-correlation yields exactly the window.
 */
function paddingFor(na: number, nk: number, win: Window): [number, number] {
  const before = nk - 1 - win.start;
  return [before, win.length + nk - 1 - na - before];
}

/**
 * Windows of the full cross-correlation of the 2-D a [ha, wa] with the 2-D k [hk, wk], as a 2-D
 * tensor [windows[0].length, windows[1].length], computed by the conv2d primitive.
 */
function correlationWindow(a: Tensor, k: Tensor, windows: readonly [Window, Window]): Tensor {
  const [pH, pW] = [paddingFor(a.shape[0], k.shape[0], windows[0]), paddingFor(a.shape[1], k.shape[1], windows[1])];
  const symmetric = pH[0] === pH[1] && pW[0] === pW[1];
  let a4 = reshape(a, [1, 1, a.shape[0], a.shape[1]]);
  if (!symmetric) a4 = pad(a4, [[0, 0], [0, 0], pH, pW]);
  const y = applyConv2d(a4, reshape(k, [1, 1, k.shape[0], k.shape[1]]), null, {
    stride: [1, 1],
    padding: symmetric ? [pH[0], pW[0]] : [0, 0],
    dilation: [1, 1],
    groups: 1,
  });
  return reshape(y, [windows[0].length, windows[1].length]);
}

/** The products of correlationWindow, as flat indices into a and k. */
function correlationProducts(a: readonly number[], k: readonly number[], windows: readonly [Window, Window]): Products {
  const pH = paddingFor(a[0], k[0], windows[0]);
  const pW = paddingFor(a[1], k[1], windows[1]);
  return kernels().conv2dTaps({
    batch: 1,
    inC: 1,
    inH: a[0],
    inW: a[1],
    outC: 1,
    outH: windows[0].length,
    outW: windows[1].length,
    kH: k[0],
    kW: k[1],
    strideH: 1,
    strideW: 1,
    padH: pH[0],
    padW: pW[0],
    dilH: 1,
    dilW: 1,
    groups: 1,
  });
}

/** Reverses the order of the outputs of a 1-D product list. */
function reverseOutputs(p: Products): Products {
  const n = p.start.length - 1;
  const start = new Int32Array(n + 1);
  const xIndex = new Int32Array(p.xIndex.length);
  const wIndex = new Int32Array(p.wIndex.length);
  let t = 0;
  for (let o = n - 1; o >= 0; o--) {
    for (let s = p.start[o]; s < p.start[o + 1]; s++, t++) {
      xIndex[t] = p.xIndex[s];
      wIndex[t] = p.wIndex[s];
    }
    start[n - o] = t;
  }
  return { start, xIndex, wIndex };
}

/**
 * Which of x and w each product's factors come from: the computation runs on (a, k) where a may be
 * w (swapped) and k may be flipped; a flip of the whole array reverses its flat order.
 */
function toXW(p: Products, swapped: boolean, flipped: boolean, kSize: number): Products {
  const kIndex = flipped ? p.wIndex.map((j) => kSize - 1 - j) : p.wIndex;
  return swapped ? { start: p.start, xIndex: kIndex, wIndex: p.xIndex } : { start: p.start, xIndex: p.xIndex, wIndex: kIndex };
}

/** Common checks: tensors of the expected rank, not empty, a known mode; returns them in one dtype. */
function signalOperands(op: string, xArg: Tensor, wArg: Tensor, mode: SignalMode, ndim: number): [Tensor, Tensor] {
  const x = checkTensor(op, 'x', xArg);
  const w = checkTensor(op, 'w', wArg);
  if (x.ndim !== ndim || w.ndim !== ndim) {
    throw new Error(`${op}: x and w must be ${ndim}-D, got x ${fmt(x.shape)} and w ${fmt(w.shape)}`);
  }
  if (x.size === 0 || w.size === 0) throw new Error(`${op}: x ${fmt(x.shape)} and w ${fmt(w.shape)} must not be empty`);
  if (!MODES.includes(mode)) throw new Error(`${op}: unknown mode '${String(mode)}' (use 'full', 'same' or 'valid')`);
  requireFloating(op, { x, w });
  const dtype = promoteTypes(x.dtype, w.dtype);
  return [cast(x, dtype), cast(w, dtype)];
}

/**
 * The 1-D window [start, start+length) of the full correlation of a with k (k flipped for a
 * convolution), fused or expanded, reversed at the end if asked.
 */
function signal1d(x: Tensor, w: Tensor, swapped: boolean, flipped: boolean, win: Window, reversed: boolean, opts: SignalOptions): Tensor {
  const [a, k] = swapped ? [w, x] : [x, w];
  const windows: [Window, Window] = [{ start: 0, length: 1 }, win];
  if (opts.expand) {
    let products = toXW(correlationProducts([1, a.size], [1, k.size], windows), swapped, flipped, k.size);
    if (reversed) products = reverseOutputs(products);
    return sumOfProducts(x, w, products, [win.length]);
  }
  const k2 = reshape(flipped ? flip(k) : k, [1, k.size]);
  const y = reshape(correlationWindow(reshape(a, [1, a.size]), k2, windows), [win.length]);
  return reversed ? flip(y) : y;
}

/**
 * Discrete linear convolution of two 1-D signals, numpy.convolve: y[n] = Σ_k x[k]·w[n − k].
 * 'full' has length |x|+|w|−1, 'same' max(|x|,|w|), 'valid' max − min + 1.
 * @example tg.convolve(tg.tensor([0, 1, 2, 3, 4]), tg.tensor([1, -1, 2]))   // [0,1,1,3,5,2,8]
 */
export function convolve(x: Tensor, w: Tensor, mode: SignalMode = 'full', opts: SignalOptions = {}): Tensor {
  const [xs, ws] = signalOperands('convolve', x, w, mode, 1);
  // numpy runs with the longer signal as the input (ties: x); convolution commutes.
  const swapped = ws.size > xs.size;
  const n1 = Math.max(xs.size, ws.size);
  const n2 = Math.min(xs.size, ws.size);
  const win = windowOf(mode, n1, n2, Math.floor((n2 - 1) / 2));
  return signal1d(xs, ws, swapped, true, win, false, opts);
}

/**
 * Cross-correlation of two 1-D signals, numpy.correlate: c[k] = Σ_n x[n + k]·w[n], indexed as numpy
 * does, 'valid' by default. When w is longer than x, numpy correlates (w, x) and reverses the result
 * (Note [numpy and scipy edge cases]).
 * @example tg.correlate(tg.tensor([1, 2, 3]), tg.tensor([0, 1, 0.5]), 'same')   // [2,3.5,3]
 */
export function correlate(x: Tensor, w: Tensor, mode: SignalMode = 'valid', opts: SignalOptions = {}): Tensor {
  const [xs, ws] = signalOperands('correlate', x, w, mode, 1);
  const swapped = ws.size > xs.size;
  const n1 = Math.max(xs.size, ws.size);
  const n2 = Math.min(xs.size, ws.size);
  const win = windowOf(mode, n1, n2, n2 - 1 - Math.floor(n2 / 2));
  return signal1d(xs, ws, swapped, false, win, swapped, opts);
}

/**
 * 2-D convolution of two matrices, scipy.signal.convolve2d with zero fill: the kernel is flipped on
 * both axes. 'same' keeps x's shape; 'valid' needs one input at least as large as the other on both axes.
 * @example tg.convolve2d(image, tg.tensor([[0, 1], [1, 0]]), 'valid')
 */
export function convolve2d(x: Tensor, w: Tensor, mode: SignalMode = 'full', opts: SignalOptions = {}): Tensor {
  const [xs, ws] = signalOperands('convolve2d', x, w, mode, 2);
  let swapped = false;
  if (mode === 'valid') {
    const xLarger = xs.shape.every((n, d) => n >= ws.shape[d]);
    const wLarger = ws.shape.every((n, d) => n >= xs.shape[d]);
    if (!xLarger && !wLarger) {
      throw new Error(
        `convolve2d: in 'valid' mode one input must be at least as large as the other in every dimension, ` +
          `got x ${fmt(xs.shape)} and w ${fmt(ws.shape)}`,
      );
    }
    swapped = !xLarger;
  }
  const [a, v] = swapped ? [ws, xs] : [xs, ws];
  const windows = [0, 1].map((d) => windowOf(mode, a.shape[d], v.shape[d], Math.floor((v.shape[d] - 1) / 2))) as [Window, Window];
  if (opts.expand) {
    const products = toXW(correlationProducts(a.shape, v.shape, windows), swapped, true, v.size);
    return sumOfProducts(xs, ws, products, [windows[0].length, windows[1].length]);
  }
  return correlationWindow(a, flip(v), windows);
}

declare module '../tensor/tensor' {
  interface Tensor {
    convolve(w: Tensor, mode?: SignalMode, opts?: SignalOptions): Tensor;
    correlate(w: Tensor, mode?: SignalMode, opts?: SignalOptions): Tensor;
    convolve2d(w: Tensor, mode?: SignalMode, opts?: SignalOptions): Tensor;
  }
}
