/**
 * @file The types that cross the Kernels boundary (src/kernels/kernels.ts), which every
 * implementation reads: a convolution's and a pooling's geometry (and the byte layout the WebAssembly
 * kernels read them in, from abi.ts), batch-norm statistics, the optimisers' step hyper-parameters,
 * the taps an expanded convolution draws, and the check of a product's addend.
 */
import * as layout from './abi';

/**
 * A convolution in the conv2d direction: input [batch, inC, inH, inW] → output [batch, outC, outH,
 * outW] with weight [outC, inC/groups, kH, kW]. convTranspose2d runs the same geometry backwards
 * (its input lives in the output space). `padH`/`padW` are the padding before the first row and
 * column; outH/outW are given, so padding after may differ (the signal ops use that).
 */
export interface ConvGeometry {
  batch: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilH: number;
  dilW: number;
  groups: number;
}

/** Where each field sits in the WebAssembly kernels' copy (src/kernels/abi.ts): a field without an offset does not compile. */
export const CONV_LAYOUT: Readonly<Record<keyof ConvGeometry, number>> = {
  batch: layout.GEO_BATCH,
  inC: layout.GEO_IN_C,
  inH: layout.GEO_IN_H,
  inW: layout.GEO_IN_W,
  outC: layout.GEO_OUT_C,
  outH: layout.GEO_OUT_H,
  outW: layout.GEO_OUT_W,
  kH: layout.GEO_K_H,
  kW: layout.GEO_K_W,
  strideH: layout.GEO_STRIDE_H,
  strideW: layout.GEO_STRIDE_W,
  padH: layout.GEO_PAD_H,
  padW: layout.GEO_PAD_W,
  dilH: layout.GEO_DIL_H,
  dilW: layout.GEO_DIL_W,
  groups: layout.GEO_GROUPS,
};
export const CONV_GEOMETRY_BYTES = layout.GEO_BYTES;

/** The same for a PoolGeometry (src/kernels/js/pool.ts). */
export const POOL_LAYOUT: Readonly<Record<keyof PoolGeometry, number>> = {
  planes: layout.POOL_PLANES,
  inH: layout.POOL_IN_H,
  inW: layout.POOL_IN_W,
  outH: layout.POOL_OUT_H,
  outW: layout.POOL_OUT_W,
  kH: layout.POOL_K_H,
  kW: layout.POOL_K_W,
  strideH: layout.POOL_STRIDE_H,
  strideW: layout.POOL_STRIDE_W,
  padH: layout.POOL_PAD_H,
  padW: layout.POOL_PAD_W,
};
export const POOL_GEOMETRY_BYTES = layout.POOL_BYTES;

/** Multiply-adds of one convolution pass over the batch. */
export function convMacs(g: ConvGeometry): number {
  return g.batch * g.outC * g.outH * g.outW * (g.inC / g.groups) * g.kH * g.kW;
}

/** What the forward hands its backward (and the running statistics), one entry per channel. */
export interface BatchNormStats {
  mean: Float64Array;
  /** 1 / sqrt(biased variance + eps). */
  invstd: Float64Array;
  /** The biased (population) variance of the batch. */
  variance: Float64Array;
}

export interface SgdStep {
  wd: number;
  momentum: number;
  /** 1 - dampening. */
  keep: number;
  lr: number;
  nesterov: boolean;
  /** The momentum buffer is new: it takes the gradient as it is. */
  first: boolean;
}

export interface AdamStep {
  /** L2 weight decay added to the gradient (Adam). */
  wd: number;
  /** The parameter's factor before the update: 1 - lr·weightDecay for AdamW's decoupled decay, else 1. */
  decay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 - β1^t). */
  stepSize: number;
  /** √(1 - β2^t). */
  correction2: number;
}

export interface RmspropStep {
  wd: number;
  alpha: number;
  eps: number;
  lr: number;
  /** The momentum factor; the buffer is used only when it is positive. */
  momentum: number;
}

export interface AdagradStep {
  wd: number;
  eps: number;
  /** lr / (1 + (t - 1)·lrDecay). */
  clr: number;
}

/** x [planes, inH, inW] pooled by a kH×kW window with stride and zero padding before each axis. */
export interface PoolGeometry {
  /** batch · channels: pooling treats every plane alike. */
  planes: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
}

/**
 * Which products make each output element, for building an expanded graph: output o is the sum of
 * x[xIndex[t]] · w[wIndex[t]] for t in [start[o], start[o+1]). Products with padding are left out.
 */
export interface ConvTaps {
  start: Int32Array;
  xIndex: Int32Array;
  wIndex: Int32Array;
}

/** Layer norm's per-row statistics (Note [fused layer norm] in src/ops/norms.ts). */
export interface LayerNormStats {
  mean: Float64Array;
  /** 1 / sqrt(biased variance + eps). */
  rstd: Float64Array;
}

/**
 * Whether an addend of `length` elements has anything to add to a product of `count`: false for an
 * empty product, an Error when it does not repeat evenly over it (an empty addend would never end
 * the kernels' loops). Both implementations of `Kernels.gemm` and `gemmBatched` check with it.
 */
export function addendRepeats(length: number, count: number): boolean {
  if (count === 0) return false;
  if (length === 0 || count % length !== 0) {
    throw new Error(`gemm: an addend of ${length} elements does not repeat evenly over a product of ${count}`);
  }
  return true;
}

/**
 * The sizes of a fused attention call (Note [fused attention] in src/ops/attention.ts): `count`
 * entries, each q [L,E], k [S,E], v [S,Ev] and out [L,Ev], contiguous one after another.
 */
export interface AttentionShape {
  count: number;
  L: number;
  S: number;
  E: number;
  Ev: number;
  /** Multiplies q·kᵀ. */
  scale: number;
  /** Query i sees keys 0..i only (top-left aligned). */
  causal: boolean;
}
