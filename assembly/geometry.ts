/**
 * @file Byte offsets of the fields of a convolution geometry as the kernels read it: 16 i32 written
 * by src/kernels/wasm/conv.ts in the order of `ConvGeometry` (src/kernels/conv.ts).
 */

// @ts-ignore: decorator
@inline export const GEO_BATCH = 0;
// @ts-ignore: decorator
@inline export const GEO_IN_C = 4;
// @ts-ignore: decorator
@inline export const GEO_IN_H = 8;
// @ts-ignore: decorator
@inline export const GEO_IN_W = 12;
// @ts-ignore: decorator
@inline export const GEO_OUT_C = 16;
// @ts-ignore: decorator
@inline export const GEO_OUT_H = 20;
// @ts-ignore: decorator
@inline export const GEO_OUT_W = 24;
// @ts-ignore: decorator
@inline export const GEO_K_H = 28;
// @ts-ignore: decorator
@inline export const GEO_K_W = 32;
// @ts-ignore: decorator
@inline export const GEO_STRIDE_H = 36;
// @ts-ignore: decorator
@inline export const GEO_STRIDE_W = 40;
// @ts-ignore: decorator
@inline export const GEO_PAD_H = 44;
// @ts-ignore: decorator
@inline export const GEO_PAD_W = 48;
// @ts-ignore: decorator
@inline export const GEO_DIL_H = 52;
// @ts-ignore: decorator
@inline export const GEO_DIL_W = 56;
// @ts-ignore: decorator
@inline export const GEO_GROUPS = 60;

