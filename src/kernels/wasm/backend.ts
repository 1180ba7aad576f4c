/**
 * @file The WebAssembly implementation of `Kernels`, and the one place that decides, call by call,
 * whether a kernel runs in WebAssembly or in TypeScript.
 *
 * Note [eligibility]: a call runs in WebAssembly when every operand is float32 and the call is large
 * enough that the copies into and out of the arena cost less than the SIMD loop saves (the minimums
 * below, measured on the bench workloads); float64, tiny, empty or unsupported calls — and any call
 * whose operands do not fit the 2 GiB memory (a RangeError from the arena) — run the TypeScript
 * kernel, which gives the same results to float32 rounding.
 */
import type { Storage } from '../../tensor/dtype';
import { permutedView } from '../../tensor/shape';
import { convMacs, ConvGeometry } from '../types';
import type { BinaryOp, Kernels, UnaryOp } from '../kernels';
import type { PoolGeometry } from '../types';
import { conv2dForwardWasm, conv2dWeightGradWasm, convTranspose2dForwardWasm } from './conv';
import { BINARY_OPS, binaryWasm, UNARY_OPS, unaryWasm, WasmBinary, WasmUnary } from './elementwise';
import { gemmBatchedWasm, gemmWasm } from './gemm';
import { attentionBackwardWasm, attentionForwardWasm, attentionMacs } from './attention';
import { stridedCopyWasm, stridedSpan } from './movement';
import {
  batchNormBackwardWasm,
  batchNormForwardWasm,
  layerNormBackwardWasm,
  layerNormForwardWasm,
  maskPositiveWasm,
} from './normalization';
import { adagradStepWasm, adamStepWasm, rmspropStepWasm, sgdStepWasm } from './optimizers';
import { maxPool2dWasm, scatterAddFlatWasm } from './pool';
import { AxisLayout, gatherAxisWasm, scatterAddAxisWasm } from './indexing';
import { compareWasm, indexAddWasm, indexSelectWasm, SelectLayout, whereWasm } from './select';
import type { Runtime } from './runtime';
import { geluBackwardWasm, geluWasm, logSoftmaxBackwardWasm, logSoftmaxWasm, softmaxBackwardWasm, softmaxWasm } from './activations';
import {
  gruSequenceBackwardWasm,
  gruSequenceForwardWasm,
  gruSequenceMacs,
  lstmSequenceBackwardWasm,
  lstmSequenceForwardWasm,
  lstmSequenceMacs,
} from './recurrent';

/** Note [eligibility]: the smallest calls worth sending to WebAssembly. */
export const WASM_MIN = {
  /** Multiply-adds of a GEMM. */
  gemmMacs: 2048,
  /** Elements of an elementwise op or a max-pooling input. */
  elements: 4096,
} as const;

/**
 * Note [selection thresholds]: comparisons, `where` and index selection compute almost nothing per
 * element, so the WebAssembly call costs mostly its copies into and out of the arena; it wins because
 * its loops are branch-free (a TypeScript `a[i] < b[i] ? 1 : 0` or `cond[i] ? a[i] : b[i]` mispredicts
 * on every other element of unordered data) and copy whole rows. Measured by hand (scratch script,
 * median of 300 alternating calls on a loaded 2-core machine), WebAssembly is behind at 256 elements
 * and ahead from about 1024 (×1.2–3.5, ×25–40 at 1M: docs/performance.md); the thresholds sit one
 * doubling above that. indexSelect rows longer than `indexSelectRow` stay in TypeScript: there each
 * row is one TypedArray.set, as fast as memory.copy, and the copies in and out only add (×1.0 at
 * rows of 256, ×0.4–0.6 at rows of 1024–4096; rows of 128 still gain ×1.8). Sizes count the
 * output's elements; for indexAdd, the incoming gradient's and the output's together.
 *
 * None of them splits over worker threads. For comparisons and `where` the loop is a quarter of the
 * call (`lt` at 1M: 0.25 of 0.93 ms), the rest copies only the calling thread can do, which are
 * slower into shared memory (Note [serial arena]). The index kernels take a range of rows so that
 * they could split (indexAdd by destination rows, each range scanning the whole index, which keeps
 * the order repeats add up in), but split over 2 threads they measured slower than on one at every
 * size from 64K to 1M elements (×0.1–0.98, on the loaded 2-core machine), so they run on one.
 */
export const WASM_SELECT_MIN = {
  compare: 2048,
  where: 2048,
  indexSelect: 2048,
  /** The longest indexSelect row (elements after the axis) sent to WebAssembly. */
  indexSelectRow: 128,
  indexAdd: 2048,
} as const;

/**
 * Note [gelu threshold]: GELU computes an erf (or an exponential) per element, so its TypeScript loop
 * costs far more per element than the copies into and out of the arena, and WebAssembly wins on
 * much smaller calls than the other elementwise kernels: the smallest call sent there, in elements.
 * Measured by hand (scratch script, medians of 15 rounds, the loaded 2-core machine), forward and
 * backward each: exact, WebAssembly ahead from 8 elements (×1.1–1.4 at 8, ×2 at 16, ×3 at 64,
 * ×6–9 at 512K); tanh form, behind at 8 and even at 16, ahead from 32 (×1.2 at 32, ×1.3–3 at 64,
 * ×4–6 at 512K). The threshold sits one doubling above the tanh form's break-even.
 */
export const WASM_GELU_MIN = 64;

/**
 * softmax runs in WebAssembly for float32 along the last axis (contiguous rows) from this many
 * elements: an exponential per element makes the TypeScript pass slow, as GELU's (Note [gelu
 * threshold]). Measured by hand as GELU's (rows of 64, medians of 15 rounds, the loaded machine): the
 * forward ahead from 64 elements (×2.2 at 64, ×4 at 256K), the backward (no exponential) behind at
 * 64, even at 128 and ahead from 256 (×1.5 at 256, ×4 at 256K). The threshold is the backward's.
 */
export const WASM_SOFTMAX_MIN = 256;

/**
 * Fused attention runs in WebAssembly for float32 from this many multiply-adds (count·L·S·(E + Ev)):
 * the TypeScript loops compute an exponential per score and read k and v a row per query, so they are
 * behind from a few entries of 8×8 on; below, a call is too short for the copies to matter either way.
 */
export const WASM_ATTENTION_MIN_MACS = 4096;

/**
 * Note [LSTM sequence threshold]: the smallest LSTM sequence call, counted in its hidden-to-hidden
 * multiply-adds T·B·4H·H, sent to WebAssembly. Measured by hand (scratch script, forward + backward
 * of one call, median of 5 rounds, 1 thread, float32, on the shared 2-core machine) at T = 10:
 * TypeScript is ahead at 160 MACs (B 1, H 2: 3.1 µs against 9.6 µs, the copies and the packing of
 * W_hh) and behind from 640 (B 1, H 4: ×1.4; 1,280: ×2.3; 10K: ×3.5–4.4; 330K: ×6.4; at W8's size,
 * 294M MACs, 1.23 s against 59 ms: ×21). The threshold sits one doubling above the crossing. Tests
 * move it (an object, not a constant) to check the choice at the threshold and either side of it.
 */
export const WASM_SEQUENCE_MIN = { lstmMacs: 1024 };

/**
 * Whether a strided copy's source span (all of it goes into the arena) is at most twice its output:
 * a transpose or a broadcast is; a narrow slice of a wide matrix is not, and stays in TypeScript.
 */
function spanFits(offset: number, strides: readonly number[], shape: readonly number[], n: number): boolean {
  const [lo, hi] = stridedSpan(offset, strides, shape);
  return hi - lo + 1 <= 2 * n;
}

type F32 = Float32Array;

function allFloat32(...arrays: (Storage | null)[]): boolean {
  for (const a of arrays) if (a !== null && !(a instanceof Float32Array)) return false;
  return true;
}

/**
 * The WebAssembly version when the call is eligible (Note [eligibility]), else the TypeScript one;
 * also the TypeScript one when the operands exceed WebAssembly's 2 GiB memory: a RangeError from the
 * arena says nothing was written yet, and the TypeScript kernels have no such limit.
 */
function viaWasm<T>(eligible: boolean, fast: () => T, slow: () => T): T {
  if (!eligible) return slow();
  try {
    return fast();
  } catch (e) {
    if (e instanceof RangeError) return slow();
    throw e;
  }
}

/**
 * Whether an operand fills the output by repeating as one block: it is a scalar, or broadcasts only
 * along leading axes (a bias against a batch of rows). The WebAssembly binary kernel takes these.
 */
function repeats(x: Storage, shape: readonly number[], outShape: readonly number[]): boolean {
  if (x.length === 1) return true;
  const lead = outShape.length - shape.length;
  let i = 0;
  while (i < shape.length && shape[i] === 1 && outShape[lead + i] !== 1) i++;
  for (; i < shape.length; i++) if (shape[i] !== outShape[lead + i]) return false;
  return true;
}

/**
 * The [outer, n, inner] / [outer, m, inner] layout of an axis gather or scatter when the index spans
 * x on every other axis (and src, for a scatter, is the index's shape): the case the WebAssembly
 * kernels take. Null otherwise.
 */
function axisLayout(xShape: readonly number[], axis: number, indexShape: readonly number[], srcShape = indexShape): AxisLayout | null {
  if (indexShape.length !== xShape.length || srcShape.length !== indexShape.length) return null;
  for (let d = 0; d < xShape.length; d++) {
    if (srcShape[d] !== indexShape[d] || (d !== axis && indexShape[d] !== xShape[d])) return null;
  }
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= xShape[d];
  let inner = 1;
  for (let d = axis + 1; d < xShape.length; d++) inner *= xShape[d];
  return { outer, n: xShape[axis], m: indexShape[axis], inner };
}

/** x [..shape] viewed as [outer, n, inner] around `axis`. */
function selectLayout(shape: readonly number[], axis: number): SelectLayout {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { outer, n: shape[axis], inner };
}

/** Storage whose 4-byte elements the bit-copying kernels (where, indexSelect) move unchanged. */
const fourByte = (x: Storage): x is Float32Array | Int32Array => x instanceof Float32Array || x instanceof Int32Array;

const hasUnary = (op: UnaryOp): op is WasmUnary => op in UNARY_OPS;
const hasBinary = (op: BinaryOp): op is WasmBinary => op in BINARY_OPS;

/** Convolutions with no output or no input (batch 0, zero channels) have nothing to compute in WebAssembly. */
const emptyConv = (g: ConvGeometry) => convMacs(g) === 0 || g.inC * g.inH * g.inW === 0;

export function createWasmKernels(rt: Runtime, js: Kernels): Kernels {
  const stridedCopy: Kernels['stridedCopy'] = (x, offset, strides, shape, out) =>
    viaWasm(
      out.length >= WASM_MIN.elements && allFloat32(x, out) && spanFits(offset, strides, shape, out.length),
      () => stridedCopyWasm(rt.serial, x as Float32Array, offset, strides, shape, out as Float32Array),
      () => js.stridedCopy(x, offset, strides, shape, out),
    );
  return {
    ...js,
    info: { kernels: rt.variant === 'relaxed' ? 'wasm-relaxed-simd' : 'wasm-simd', threads: rt.threads },

    gemm(a, aOff, b, bOff, out, oOff, m, k, n, accumulate = false, transA = false, transB = false, addend = null) {
      viaWasm(
        m * n * k >= WASM_MIN.gemmMacs && allFloat32(a, b, out, addend),
        () =>
          gemmWasm(
            rt,
            a as Float32Array,
            aOff,
            b as Float32Array,
            bOff,
            out as Float32Array,
            oOff,
            m,
            k,
            n,
            accumulate,
            transA,
            transB,
            addend as Float32Array | null,
          ),
        () => js.gemm(a, aOff, b, bOff, out, oOff, m, k, n, accumulate, transA, transB, addend),
      );
    },

    conv2dForward: (x, w, bias, g, y) =>
      viaWasm(
        !emptyConv(g) && allFloat32(x, w, bias, y),
        () => conv2dForwardWasm(rt, x as Float32Array, w as Float32Array, bias as Float32Array | null, g, y as Float32Array),
        () => js.conv2dForward(x, w, bias, g, y),
      ),

    convTranspose2dForward: (x, w, bias, g, y) =>
      viaWasm(
        !emptyConv(g) && allFloat32(x, w, bias, y),
        () => convTranspose2dForwardWasm(rt, x as Float32Array, w as Float32Array, bias as Float32Array | null, g, y as Float32Array),
        () => js.convTranspose2dForward(x, w, bias, g, y),
      ),

    conv2dWeightGrad: (x, gy, g, gw) =>
      viaWasm(
        !emptyConv(g) && allFloat32(x, gy, gw),
        () => conv2dWeightGradWasm(rt, x as Float32Array, gy as Float32Array, g, gw as Float32Array),
        () => js.conv2dWeightGrad(x, gy, g, gw),
      ),

    // Strided copies and transposes (assembly/movement.ts): the attention's head splits and merges.
    stridedCopy,
    transpose: (x, shape, perm, out) => {
      const view = permutedView(shape, perm);
      return stridedCopy(x, 0, view.strides, view.shape, out);
    },

    unary: (op, x, out) =>
      viaWasm(
        hasUnary(op) && x.length >= WASM_MIN.elements && allFloat32(x, out),
        () => unaryWasm(rt.serial, op as WasmUnary, x as Float32Array, out as Float32Array),
        () => js.unary(op, x, out),
      ),

    binary: (op, a, aShape, b, bShape, outShape, out) =>
      viaWasm(
        hasBinary(op) &&
          out.length >= WASM_MIN.elements &&
          allFloat32(a, b, out) &&
          (a.length === out.length || b.length === out.length) &&
          repeats(a, aShape, outShape) &&
          repeats(b, bShape, outShape),
        () => binaryWasm(rt.serial, op as WasmBinary, a as Float32Array, b as Float32Array, out as Float32Array),
        () => js.binary(op, a, aShape, b, bShape, outShape, out),
      ),

    maskPositive: (g, x, out) =>
      viaWasm(
        x.length >= WASM_MIN.elements && allFloat32(g, x, out),
        () => maskPositiveWasm(rt.serial, g as Float32Array, x as Float32Array, out as Float32Array),
        () => js.maskPositive(g, x, out),
      ),

    batchNormForward: (x, n, c, s, weight, bias, eps, y) =>
      viaWasm(
        x.length >= WASM_MIN.elements && allFloat32(x, weight, bias, y),
        () =>
          batchNormForwardWasm(
            rt.serial,
            x as Float32Array,
            n,
            c,
            s,
            weight as Float32Array | null,
            bias as Float32Array | null,
            eps,
            y as Float32Array,
          ),
        () => js.batchNormForward(x, n, c, s, weight, bias, eps, y),
      ),

    batchNormBackward: (gy, x, n, c, s, stats, weight, gx, gweight, gbias) =>
      viaWasm(
        x.length >= WASM_MIN.elements && allFloat32(gy, x, weight, gx, gweight, gbias),
        () =>
          batchNormBackwardWasm(
            rt.serial,
            gy as Float32Array,
            x as Float32Array,
            n,
            c,
            s,
            stats,
            weight as Float32Array | null,
            gx as Float32Array | null,
            gweight as Float32Array | null,
            gbias as Float32Array | null,
          ),
        () => js.batchNormBackward(gy, x, n, c, s, stats, weight, gx, gweight, gbias),
      ),

    sgdStep: (x, grad, buf, h) =>
      viaWasm(
        x.length >= WASM_MIN.elements && allFloat32(x, grad, buf),
        () => sgdStepWasm(rt.serial, x as Float32Array, grad as Float32Array, buf as Float32Array | null, h),
        () => js.sgdStep(x, grad, buf, h),
      ),

    adamStep: (x, grad, m, v, vmax, h) =>
      viaWasm(
        x.length >= WASM_MIN.elements && allFloat32(x, grad, m, v, vmax),
        () =>
          adamStepWasm(
            rt.serial,
            x as Float32Array,
            grad as Float32Array,
            m as Float32Array,
            v as Float32Array,
            vmax as Float32Array | null,
            h,
          ),
        () => js.adamStep(x, grad, m, v, vmax, h),
      ),

    rmspropStep: (x, grad, sq, gAvg, buf, h) =>
      viaWasm(
        x.length >= WASM_MIN.elements && allFloat32(x, grad, sq, gAvg, buf),
        () =>
          rmspropStepWasm(
            rt.serial,
            x as Float32Array,
            grad as Float32Array,
            sq as Float32Array,
            gAvg as Float32Array | null,
            buf as Float32Array | null,
            h,
          ),
        () => js.rmspropStep(x, grad, sq, gAvg, buf, h),
      ),

    adagradStep: (x, grad, sum, h) =>
      viaWasm(
        x.length >= WASM_MIN.elements && allFloat32(x, grad, sum),
        () => adagradStepWasm(rt.serial, x as Float32Array, grad as Float32Array, sum as Float32Array, h),
        () => js.adagradStep(x, grad, sum, h),
      ),

    maxPool2d: (x: Storage, g: PoolGeometry, y: Storage, argmax: Int32Array) =>
      viaWasm(
        x.length >= WASM_MIN.elements && y.length > 0 && allFloat32(x, y),
        () => maxPool2dWasm(rt.serial, x as Float32Array, g, y as Float32Array, argmax),
        () => js.maxPool2d(x, g, y, argmax),
      ),

    gatherAxis(x, xShape, axis, index, indexShape, out) {
      const layout = axisLayout(xShape, axis, indexShape);
      return viaWasm(
        layout !== null && index.length >= WASM_MIN.elements && allFloat32(x, out),
        () => gatherAxisWasm(rt.serial, x as Float32Array, index, out as Float32Array, layout!),
        () => js.gatherAxis(x, xShape, axis, index, indexShape, out),
      );
    },

    scatterAddAxis(src, srcShape, axis, index, indexShape, xShape, out) {
      const layout = axisLayout(xShape, axis, indexShape, srcShape);
      return viaWasm(
        layout !== null && index.length >= WASM_MIN.elements && allFloat32(src, out),
        () => scatterAddAxisWasm(rt.serial, src as Float32Array, index, out as Float32Array, layout!),
        () => js.scatterAddAxis(src, srcShape, axis, index, indexShape, xShape, out),
      );
    },

    scatterAddFlat: (g: Storage, index: Int32Array, out: Storage) =>
      viaWasm(
        out.length >= WASM_MIN.elements && index.length === g.length && allFloat32(g, out),
        () => scatterAddFlatWasm(rt.serial, g as Float32Array, index, out as Float32Array),
        () => js.scatterAddFlat(g, index, out),
      ),

    // Comparisons, where and index selection (Note [selection thresholds]).
    compare: (op, a, aShape, b, bShape, outShape, out) =>
      viaWasm(
        out.length >= WASM_SELECT_MIN.compare && allFloat32(a, b) && repeats(a, aShape, outShape) && repeats(b, bShape, outShape),
        () => compareWasm(rt.serial, op, a as Float32Array, b as Float32Array, out),
        () => js.compare(op, a, aShape, b, bShape, outShape, out),
      ),

    where: (cond, condShape, a, aShape, b, bShape, outShape, out) =>
      viaWasm(
        out.length >= WASM_SELECT_MIN.where &&
          fourByte(out) &&
          a.constructor === out.constructor &&
          b.constructor === out.constructor &&
          repeats(cond, condShape, outShape) &&
          repeats(a, aShape, outShape) &&
          repeats(b, bShape, outShape),
        () => whereWasm(rt.serial, cond, a as Float32Array, b as Float32Array, out as Float32Array),
        () => js.where(cond, condShape, a, aShape, b, bShape, outShape, out),
      ),

    indexSelect(x, shape, axis, index, out) {
      const layout = selectLayout(shape, axis);
      return viaWasm(
        out.length >= WASM_SELECT_MIN.indexSelect &&
          layout.inner <= WASM_SELECT_MIN.indexSelectRow &&
          fourByte(x) &&
          x.constructor === out.constructor,
        () => indexSelectWasm(rt.serial, x as Float32Array, layout, index, out as Float32Array),
        () => js.indexSelect(x, shape, axis, index, out),
      );
    },

    // An LSTM layer-direction's whole recurrence (Note [LSTM sequence threshold]).
    lstmSequenceForward: (gatesX, whh, h0, c0, t, b, h, y, saved) =>
      viaWasm(
        lstmSequenceMacs(t, b, h) >= WASM_SEQUENCE_MIN.lstmMacs && allFloat32(gatesX, whh, h0, c0, y, saved),
        () =>
          lstmSequenceForwardWasm(
            rt,
            gatesX as Float32Array,
            whh as Float32Array,
            h0 as Float32Array,
            c0 as Float32Array,
            t,
            b,
            h,
            y as Float32Array,
            saved as Float32Array | null,
          ),
        () => js.lstmSequenceForward(gatesX, whh, h0, c0, t, b, h, y, saved),
      ),

    lstmSequenceBackward: (gy, saved, whh, c0, t, b, h, gGates, gh0, gc0) =>
      viaWasm(
        lstmSequenceMacs(t, b, h) >= WASM_SEQUENCE_MIN.lstmMacs && allFloat32(gy, saved, whh, c0, gGates, gh0, gc0),
        () =>
          lstmSequenceBackwardWasm(
            rt,
            gy as Float32Array,
            saved as Float32Array,
            whh as Float32Array,
            c0 as Float32Array,
            t,
            b,
            h,
            gGates as Float32Array,
            gh0 as Float32Array,
            gc0 as Float32Array,
          ),
        () => js.lstmSequenceBackward(gy, saved, whh, c0, t, b, h, gGates, gh0, gc0),
      ),

    // A GRU layer-direction's whole recurrence (the same threshold, Note [LSTM sequence threshold]).
    gruSequenceForward: (gi, whh, bhh, h0, t, b, h, y, saved) =>
      viaWasm(
        gruSequenceMacs(t, b, h) >= WASM_SEQUENCE_MIN.lstmMacs && allFloat32(gi, whh, bhh, h0, y, saved),
        () =>
          gruSequenceForwardWasm(
            rt,
            gi as Float32Array,
            whh as Float32Array,
            bhh as Float32Array,
            h0 as Float32Array,
            t,
            b,
            h,
            y as Float32Array,
            saved as Float32Array | null,
          ),
        () => js.gruSequenceForward(gi, whh, bhh, h0, t, b, h, y, saved),
      ),

    gruSequenceBackward: (gy, saved, y, h0, whh, t, b, h, ggi, ggh, gh0) =>
      viaWasm(
        gruSequenceMacs(t, b, h) >= WASM_SEQUENCE_MIN.lstmMacs && allFloat32(gy, saved, y, h0, whh, ggi, ggh, gh0),
        () =>
          gruSequenceBackwardWasm(
            rt,
            gy as Float32Array,
            saved as Float32Array,
            y as Float32Array,
            h0 as Float32Array,
            whh as Float32Array,
            t,
            b,
            h,
            ggi as Float32Array,
            ggh as Float32Array,
            gh0 as Float32Array,
          ),
        () => js.gruSequenceBackward(gy, saved, y, h0, whh, t, b, h, ggi, ggh, gh0),
      ),

    indexAdd(g, shape, axis, index, out) {
      return viaWasm(
        g.length + out.length >= WASM_SELECT_MIN.indexAdd && allFloat32(g, out),
        () => indexAddWasm(rt.serial, g as Float32Array, selectLayout(shape, axis), index, out as Float32Array),
        () => js.indexAdd(g, shape, axis, index, out),
      );
    },

    // GELU, fused (Note [gelu threshold]).
    gelu: (approximate, x, out, slope = null) =>
      viaWasm(
        x.length >= WASM_GELU_MIN && allFloat32(x, out, slope),
        () => geluWasm(rt, approximate, x as Float32Array, out as Float32Array, slope as Float32Array | null),
        () => js.gelu(approximate, x, out, slope),
      ),

    geluBackward: (approximate, gy, x, out) =>
      viaWasm(
        x.length >= WASM_GELU_MIN && allFloat32(gy, x, out),
        () => geluBackwardWasm(rt, approximate, gy as Float32Array, x as Float32Array, out as Float32Array),
        () => js.geluBackward(approximate, gy, x, out),
      ),

    // softmax along the last axis (Note [fused softmax] in src/ops/softmax.ts).
    softmaxForward: (x, outer, n, inner, y) =>
      viaWasm(
        inner === 1 && x.length >= WASM_SOFTMAX_MIN && allFloat32(x, y),
        () => softmaxWasm(rt, x as Float32Array, outer, n, y as Float32Array),
        () => js.softmaxForward(x, outer, n, inner, y),
      ),

    softmaxBackward: (gy, y, outer, n, inner, gx) =>
      viaWasm(
        inner === 1 && y.length >= WASM_SOFTMAX_MIN && allFloat32(gy, y, gx),
        () => softmaxBackwardWasm(rt, gy as Float32Array, y as Float32Array, outer, n, gx as Float32Array),
        () => js.softmaxBackward(gy, y, outer, n, inner, gx),
      ),

    // Scaled dot-product attention, fused (Note [fused attention] in src/ops/attention.ts).
    attentionForward: (q, k, v, mask, shape, out, stats) =>
      viaWasm(
        attentionMacs(shape) >= WASM_ATTENTION_MIN_MACS && allFloat32(q, k, v, mask, out, stats),
        () => attentionForwardWasm(rt, q as F32, k as F32, v as F32, mask as F32 | null, shape, out as F32, stats as F32),
        () => js.attentionForward(q, k, v, mask, shape, out, stats),
      ),

    attentionBackward: (gy, q, k, v, mask, stats, shape, gq, gk, gv) =>
      viaWasm(
        attentionMacs(shape) >= WASM_ATTENTION_MIN_MACS && allFloat32(gy, q, k, v, mask, stats, gq, gk, gv),
        () =>
          attentionBackwardWasm(
            rt,
            gy as F32,
            q as F32,
            k as F32,
            v as F32,
            mask as F32 | null,
            stats as F32,
            shape,
            gq as F32,
            gk as F32,
            gv as F32,
          ),
        () => js.attentionBackward(gy, q, k, v, mask, stats, shape, gq, gk, gv),
      ),

    // Layer norm, fused (Note [fused layer norm] in src/ops/norms.ts): the TypeScript kernel's bits.
    layerNormForward: (x, rows, cols, weight, bias, eps, y) =>
      viaWasm(
        x.length >= WASM_MIN.elements && allFloat32(x, weight, bias, y),
        () =>
          layerNormForwardWasm(
            rt.serial,
            x as Float32Array,
            rows,
            cols,
            weight as Float32Array | null,
            bias as Float32Array | null,
            eps,
            y as Float32Array,
          ),
        () => js.layerNormForward(x, rows, cols, weight, bias, eps, y),
      ),

    layerNormBackward: (gy, x, rows, cols, stats, weight, gx, gweight, gbias) =>
      viaWasm(
        x.length >= WASM_MIN.elements && allFloat32(gy, x, weight, gx, gweight, gbias),
        () =>
          layerNormBackwardWasm(
            rt.serial,
            gy as Float32Array,
            x as Float32Array,
            rows,
            cols,
            stats,
            weight as Float32Array | null,
            gx as Float32Array | null,
            gweight as Float32Array | null,
            gbias as Float32Array | null,
          ),
        () => js.layerNormBackward(gy, x, rows, cols, stats, weight, gx, gweight, gbias),
      ),

    // log-softmax along the last axis (Note [float32 log-softmax] in assembly/softmax.ts).
    logSoftmaxForward: (x, outer, n, inner, y) =>
      viaWasm(
        inner === 1 && x.length >= WASM_SOFTMAX_MIN && allFloat32(x, y),
        () => logSoftmaxWasm(rt, x as Float32Array, outer, n, y as Float32Array),
        () => js.logSoftmaxForward(x, outer, n, inner, y),
      ),

    logSoftmaxBackward: (gy, y, outer, n, inner, gx) =>
      viaWasm(
        inner === 1 && y.length >= WASM_SOFTMAX_MIN && allFloat32(gy, y, gx),
        () => logSoftmaxBackwardWasm(rt, gy as Float32Array, y as Float32Array, outer, n, gx as Float32Array),
        () => js.logSoftmaxBackward(gy, y, outer, n, inner, gx),
      ),

    // Batched products (Note [batched products] in src/ops/matmul.ts): eligible as their whole work.
    gemmBatched(a, aOffsets, b, bOffsets, out, m, k, n, transA, transB, addend = null) {
      viaWasm(
        aOffsets.length * m * n * k >= WASM_MIN.gemmMacs && allFloat32(a, b, out, addend),
        () =>
          gemmBatchedWasm(
            rt,
            a as Float32Array,
            aOffsets,
            b as Float32Array,
            bOffsets,
            out as Float32Array,
            m,
            k,
            n,
            transA,
            transB,
            addend as Float32Array | null,
          ),
        () => js.gemmBatched(a, aOffsets, b, bOffsets, out, m, k, n, transA, transB, addend),
      );
    },
  };
}
