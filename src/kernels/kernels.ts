/**
 * @file The one boundary between the ops and the loops that do their arithmetic: every kernel an op
 * calls is a method of `Kernels`. Two implementations stand behind it — the TypeScript loops
 * (`jsKernels`, the reference and the fallback, and the float64 path) and the WebAssembly SIMD
 * kernels (src/kernels/wasm/backend.ts, float32 above a size where they pay) — and src/kernels/index.ts
 * decides, in one place, which one runs.
 *
 * Kernels are plain functions on typed arrays: they allocate nothing the caller sees, write into
 * `out`, and know nothing of tensors or autograd. A kernel writes every element of `out` (gemm with
 * `accumulate` adds to it instead), so callers may hand it unfilled storage (Note [unfilled storage]
 * in src/tensor/dtype.ts).
 */
import type { Storage } from '../tensor/dtype';
import type { ConvGeometry, ConvTaps } from './types';
import type { BatchNormStats } from './types';
import type { AdagradStep, AdamStep, RmspropStep, SgdStep } from './types';
import type { PoolGeometry } from './types';
import type { LayerNormStats } from './types';
import type { AttentionShape } from './types';

/** Unary maps, by name; each backend implements all of them (WebAssembly some, delegating the rest). */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'sign'
  | 'relu'
  | 'tanh'
  | 'sigmoid'
  // SPEC §14's math (src/ops/math.ts)
  | 'sin'
  | 'cos'
  | 'tan'
  | 'asin'
  | 'acos'
  | 'atan'
  | 'sinh'
  | 'cosh'
  | 'erf'
  | 'erfc'
  | 'log1p'
  | 'expm1'
  | 'log2'
  | 'log10'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'trunc';

/** GELU's two forms: x·Φ(x) exactly, or the tanh approximation (Note [fused gelu] in src/ops/activations.ts). */
export type GeluApproximation = 'none' | 'tanh';

/** Broadcasting binary ops, by name. */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'atan2'
  | 'fmod'
  | 'remainder'
  // maximum's and minimum's derivative in x (Note [kinks] in src/ops/elementwise.ts): 0 where x loses, ½ on a tie, else 1 (NaN too, as PyTorch).
  | 'maximumSlope'
  | 'minimumSlope';

/** Comparisons and logical ops, by name: each gives 1 or 0 (bool storage). */
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'and' | 'or' | 'xor';

/** Inclusive scans along an axis (cumsum, cumprod). */
export type ScanOp = 'sum' | 'prod';

/** What runs: SPEC §10's `tg.backend()`. */
export interface BackendInfo {
  kernels: 'wasm-relaxed-simd' | 'wasm-simd' | 'js';
  /** Threads a large kernel call may split over (1 for the TypeScript kernels). */
  threads: number;
  /** Why the WebAssembly kernels are not running, when they are not (absent when they are). */
  reason?: string;
}

export interface Kernels {
  readonly info: BackendInfo;

  /**
   * out[m,n] (+)= op(a)[m,k] @ op(b)[k,n], each at the given offsets; `accumulate` keeps out's
   * contents. a is stored [m,k] row-major, or [k,m] when `transA`; b is [k,n], or [n,k] when `transB`.
   * Then, with an `addend` whose length divides m·n, out[oOff + i] += addend[i mod addend.length]
   * (a bias on every row: Note [product epilogue] in src/ops/matmul.ts).
   */
  gemm(
    a: Storage,
    aOff: number,
    b: Storage,
    bOff: number,
    out: Storage,
    oOff: number,
    m: number,
    k: number,
    n: number,
    accumulate?: boolean,
    transA?: boolean,
    transB?: boolean,
    addend?: Storage | null,
  ): void;

  /** y [batch, outC, outH, outW] = conv2d(x [batch, inC, inH, inW], w [outC, inC/groups, kH, kW]) + bias. */
  conv2dForward(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage;
  /**
   * The transposed convolution, the adjoint of conv2dForward in its input: x lives in the output
   * space of g, y in its input space; bias is per input-space channel.
   */
  convTranspose2dForward(x: Storage, w: Storage, bias: Storage | null, g: ConvGeometry, y: Storage): Storage;
  /** gw [outC, inC/groups, kH, kW]: the correlation of x with gy, summed over the batch. */
  conv2dWeightGrad(x: Storage, gy: Storage, g: ConvGeometry, gw: Storage): Storage;

  /** out[i] = op(x[i]). */
  unary(op: UnaryOp, x: Storage, out: Storage): Storage;
  /** out = a op b over the NumPy broadcast shape `outShape`. */
  binary(
    op: BinaryOp,
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    outShape: readonly number[],
    out: Storage,
  ): Storage;

  /** out = a op b (1 or 0) over the NumPy broadcast shape `outShape`; a and b share a dtype. */
  compare(
    op: CompareOp,
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    outShape: readonly number[],
    out: Uint8Array,
  ): Uint8Array;
  /** out = cond ? a : b over the NumPy broadcast shape `outShape`; a, b and out share a dtype. */
  where(
    cond: Uint8Array,
    condShape: readonly number[],
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    outShape: readonly number[],
    out: Storage,
  ): Storage;
  /** The inclusive scan (running sum or product) of x along `axis`, into out of x's shape. */
  scan(op: ScanOp, x: Storage, shape: readonly number[], axis: number, out: Storage): Storage;

  /** out[i] = g[i] where x[i] > 0 or is NaN, else 0: relu's backward (g, x and out of one size). */
  maskPositive(g: Storage, x: Storage, out: Storage): Storage;
  /**
   * out[i] = f(x[i]) for an elementwise function the interface has no named op for (rare ops,
   * masks): a plain TypeScript loop in every implementation, since f is a JavaScript closure.
   */
  mapWith(x: Storage, out: Storage, f: (v: number) => number): Storage;
  /** out = f(a, b) over the broadcast of aShape and bShape to outShape; f a JavaScript closure, as mapWith. */
  binaryWith(
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    outShape: readonly number[],
    out: Storage,
    f: (x: number, y: number) => number,
  ): Storage;
  /** Which input and weight elements each output of a convolution sums (expanded graphs draw them). */
  conv2dTaps(g: ConvGeometry): ConvTaps;

  /** Sum over `axes` (sorted, distinct) into out (the kept shape); accumulates in float64. */
  sum(x: Storage, shape: readonly number[], axes: readonly number[], out: Storage): Storage;
  /** Max over `axes`; argmax[o] is the flat input index of the first maximal element; NaN wins. */
  max(x: Storage, shape: readonly number[], axes: readonly number[], out: Storage, argmax: Int32Array): Storage;

  /** Max over each window; argmax[o] is the flat index of the window's first maximum. */
  maxPool2d(x: Storage, g: PoolGeometry, y: Storage, argmax: Int32Array): Storage;
  /** Mean over each window, padding counted as zeros. */
  avgPool2d(x: Storage, g: PoolGeometry, y: Storage): Storage;
  /** The adjoint of avgPool2d. */
  avgPool2dAdjoint(gy: Storage, g: PoolGeometry, gx: Storage): Storage;
  /** y[o] = x[index[o]]. */
  gatherFlat(x: Storage, index: Int32Array, y: Storage): Storage;
  /** out = 0; out[index[o]] += g[o] (repeated indices add up). */
  scatterAddFlat(g: Storage, index: Int32Array, out: Storage): Storage;

  /** out (shape `shape`, row-major) = x read from `offset` with element strides `strides` (0 to broadcast). */
  stridedCopy(x: Storage, offset: number, strides: readonly number[], shape: readonly number[], out: Storage): Storage;
  /** out = x with its axes permuted by `perm`. */
  transpose(x: Storage, shape: readonly number[], perm: readonly number[], out: Storage): Storage;
  /** out[..., i, ...] = x[..., maps[axis][i], ...] per axis, `fill` where a map holds -1. */
  gatherAxes(x: Storage, inShape: readonly number[], maps: readonly Int32Array[], fill: number, out: Storage): Storage;
  /** The adjoint of gatherAxes (without fill): out[..., maps[axis][i], ...] += g[..., i, ...]. */
  scatterAddAxes(g: Storage, inShape: readonly number[], maps: readonly Int32Array[], out: Storage): Storage;
  /** The parts laid end to end along `axis`. */
  concat(parts: readonly Storage[], shapes: readonly (readonly number[])[], axis: number, out: Storage): Storage;

  /** out[p] = x[p with its `axis` coordinate replaced by index[p]] over the positions of indexShape (torch.gather). */
  gatherAxis(x: Storage, xShape: readonly number[], axis: number, index: Int32Array, indexShape: readonly number[], out: Storage): Storage;
  /** out (holding x, of xShape) gets src[p] added at p with axis coordinate index[p] (torch.scatter_add's update). */
  scatterAddAxis(
    src: Storage,
    srcShape: readonly number[],
    axis: number,
    index: Int32Array,
    indexShape: readonly number[],
    xShape: readonly number[],
    out: Storage,
  ): Storage;
  /** out = x with `axis` replaced by its slices index[0], index[1], … (torch.index_select). */
  indexSelect(x: Storage, shape: readonly number[], axis: number, index: Int32Array, out: Storage): Storage;
  /** The adjoint of indexSelect: out (of `shape`) = 0, then slice index[j] of `axis` += g's slice j. */
  indexAdd(g: Storage, shape: readonly number[], axis: number, index: Int32Array, out: Storage): Storage;
  /** Per line along `axis`, the stable sorting permutation (NaN greatest) into out (x's shape). */
  argsort(x: Storage, shape: readonly number[], axis: number, descending: boolean, out: Int32Array): Int32Array;

  /** Training-mode batch norm of x viewed as [n, c, s] into y, with the batch's float64 statistics. */
  batchNormForward(
    x: Storage,
    n: number,
    c: number,
    s: number,
    weight: Storage | null,
    bias: Storage | null,
    eps: number,
    y: Storage,
  ): BatchNormStats;
  /** The gradients of batchNormForward into those of gx, gweight, gbias that are not null. */
  batchNormBackward(
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
  ): void;

  /** One SGD step of a parameter x in place (and of its momentum buffer, when given). */
  sgdStep(x: Storage, grad: Storage, buf: Storage | null, h: SgdStep): void;
  /** One Adam or AdamW step of x in place, with its moments m and v (and AMSGrad's max of v, when given). */
  adamStep(x: Storage, grad: Storage, m: Storage, v: Storage, vmax: Storage | null, h: AdamStep): void;
  /** One RMSprop step of x in place, with its square average (and gradient average, momentum buffer, when given). */
  rmspropStep(x: Storage, grad: Storage, sq: Storage, gAvg: Storage | null, buf: Storage | null, h: RmspropStep): void;
  /** One Adagrad step of x in place, with its sum of squared gradients. */
  adagradStep(x: Storage, grad: Storage, sum: Storage, h: AdagradStep): void;

  // The recurrent cells' pointwise gate math (src/kernels/js/recurrent.ts, Note [fused recurrent cells]).
  /** LSTM: gates [b,4h] (i,f,g,o), c [b,h] → y [b,2h] = [h' | c']; saved [b,5h] (σi, σf, tanh g, σo, tanh c') unless null. */
  lstmCellForward(gates: Storage, c: Storage, b: number, h: number, y: Storage, saved: Storage | null): void;
  /** The gradients of lstmCellForward from gy [b,2h] into gGates [b,4h] and gc [b,h], each unless null. */
  lstmCellBackward(gy: Storage, saved: Storage, c: Storage, b: number, h: number, gGates: Storage | null, gc: Storage | null): void;
  /** GRU: gi, gh [b,3h] (r,z,n), state hp [b,h] → y [b,h]; saved [b,3h] (r, z, n) unless null. */
  gruCellForward(gi: Storage, gh: Storage, hp: Storage, b: number, h: number, y: Storage, saved: Storage | null): void;
  /** The gradients of gruCellForward from gy [b,h] into ggi, ggh [b,3h] and ghp [b,h], each unless null. */
  gruCellBackward(
    gy: Storage,
    saved: Storage,
    gh: Storage,
    hp: Storage,
    b: number,
    h: number,
    ggi: Storage | null,
    ggh: Storage | null,
    ghp: Storage | null,
  ): void;

  // GELU, fused (Note [fused gelu] in src/ops/activations.ts).
  /** out[i] = gelu(x[i]), exact or the tanh form; with `slope`, also slope[i] = gelu'(x[i]) (Note [saved gelu slope]). */
  gelu(approximate: GeluApproximation, x: Storage, out: Storage, slope?: Storage | null): Storage;
  /** out[i] = gy[i] · gelu'(x[i]) (gy, x and out of one size). */
  geluBackward(approximate: GeluApproximation, gy: Storage, x: Storage, out: Storage): Storage;

  // softmax and log-softmax, fused (Note [fused softmax] in src/ops/softmax.ts); x viewed as [outer, n, inner], the axis in the middle.
  /** y = softmax of x along the middle axis. */
  softmaxForward(x: Storage, outer: number, n: number, inner: number, y: Storage): Storage;
  /** gx = y·(gy − Σ gy·y) along the middle axis. */
  softmaxBackward(gy: Storage, y: Storage, outer: number, n: number, inner: number, gx: Storage): Storage;
  /** y = log softmax of x along the middle axis: (x − max) − log Σ e^(x − max). */
  logSoftmaxForward(x: Storage, outer: number, n: number, inner: number, y: Storage): Storage;
  /** gx = gy − e^y · Σ gy along the middle axis. */
  logSoftmaxBackward(gy: Storage, y: Storage, outer: number, n: number, inner: number, gx: Storage): Storage;

  // Layer norm, fused (Note [fused layer norm] in src/ops/norms.ts); x viewed as [rows, cols].
  /** y = (x − mean)·rstd·weight + bias per row, weight and bias per column (each optional). */
  layerNormForward(
    x: Storage,
    rows: number,
    cols: number,
    weight: Storage | null,
    bias: Storage | null,
    eps: number,
    y: Storage,
  ): LayerNormStats;
  /** The gradients of layerNormForward into those of gx, gweight, gbias that are not null. */
  layerNormBackward(
    gy: Storage,
    x: Storage,
    rows: number,
    cols: number,
    stats: LayerNormStats,
    weight: Storage | null,
    gx: Storage | null,
    gweight: Storage | null,
    gbias: Storage | null,
  ): void;

  // Scaled dot-product attention, fused (Note [fused attention] in src/ops/attention.ts); entries as AttentionShape says.
  /**
   * out = softmax(scale·q·kᵀ + mask)·v per entry (mask one [L,S] block for every entry, or null;
   * causal: query i sees keys 0..i), and stats [count, L, 2]: each row's max score and 1/Σ e^(s − max).
   */
  attentionForward(q: Storage, k: Storage, v: Storage, mask: Storage | null, shape: AttentionShape, out: Storage, stats: Storage): void;
  /** The gradients of attentionForward from gy [count, L, Ev] and its stats into gq, gk and gv. */
  attentionBackward(
    gy: Storage,
    q: Storage,
    k: Storage,
    v: Storage,
    mask: Storage | null,
    stats: Storage,
    shape: AttentionShape,
    gq: Storage,
    gk: Storage,
    gv: Storage,
  ): void;

  /**
   * gemm once per batch entry t: out[t·m·n..] = op(a)[m,k] @ op(b)[k,n] with a read from aOffsets[t]
   * and b from bOffsets[t] (Note [batched products] in src/ops/matmul.ts); then, with an `addend`
   * whose length divides out's, out[i] += addend[i mod addend.length] (an attention mask).
   */
  gemmBatched(
    a: Storage,
    aOffsets: readonly number[],
    b: Storage,
    bOffsets: readonly number[],
    out: Storage,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
    addend?: Storage | null,
  ): void;

  // An LSTM layer-direction's whole recurrence (src/kernels/js/recurrent-sequence.ts, Note [LSTM sequence primitive]).
  /** gatesX [T,B,4H], W_hh [4H,H], h0, c0 [B,H] → y [T+1,B,H] (every h, then the final c); saved [T·B·4H activations | T·B·H c's] unless null. */
  lstmSequenceForward(
    gatesX: Storage,
    whh: Storage,
    h0: Storage,
    c0: Storage,
    t: number,
    b: number,
    h: number,
    y: Storage,
    saved: Storage | null,
  ): void;
  /** GRU: gi [T,B,3H], W_hh [3H,H], b_hh [3H], h0 [B,H] → y [T,B,H]; saved [T,B,4H] (r, z, n, gh_n) unless null. */
  gruSequenceForward(
    gi: Storage,
    whh: Storage,
    bhh: Storage,
    h0: Storage,
    t: number,
    b: number,
    h: number,
    y: Storage,
    saved: Storage | null,
  ): void;
  /** The GRU's reverse recurrence from gy [T,B,H] into ggi, ggh [T,B,3H] and gh0 [B,H] (y: the forward's output). */
  gruSequenceBackward(
    gy: Storage,
    saved: Storage,
    y: Storage,
    h0: Storage,
    whh: Storage,
    t: number,
    b: number,
    h: number,
    ggi: Storage,
    ggh: Storage,
    gh0: Storage,
  ): void;
  /** The reverse recurrence from gy [T+1,B,H] into gGates [T,B,4H], gh0 and gc0 [B,H]. */
  lstmSequenceBackward(
    gy: Storage,
    saved: Storage,
    whh: Storage,
    c0: Storage,
    t: number,
    b: number,
    h: number,
    gGates: Storage,
    gh0: Storage,
    gc0: Storage,
  ): void;
}
