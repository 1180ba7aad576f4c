/**
 * @file The shape of a convolution as every kernel sees it, and its byte layout for WebAssembly.
 */
import * as layout from './geometry-layout';
import type { PoolGeometry } from './pool';

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

/** Where each field sits in the WebAssembly kernels' copy (src/kernels/geometry-layout.ts): a field without an offset does not compile. */
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

/** The same for a PoolGeometry (src/kernels/pool.ts). */
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
