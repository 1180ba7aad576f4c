/**
 * @file What TypeScript and AssemblyScript must agree on, written once: the byte offsets of the
 * fields of a `ConvGeometry` and of a `PoolGeometry` (src/kernels/types.ts) as the WebAssembly
 * kernels read them (i32 in a row), and the op codes of the elementwise kernels. This file is both
 * TypeScript and AssemblyScript — assembly/ imports it — so the writer (src/kernels/wasm/) and the
 * readers share one list. Keep it to plain integer constants.
 */

// Elementwise op codes (assembly/elementwise.ts; src/kernels/wasm/elementwise.ts).
export const UNARY_RELU = 0;
export const UNARY_NEG = 1;
export const UNARY_LOG = 2;
export const UNARY_SIGMOID = 3;
export const BINARY_ADD = 0;
export const BINARY_SUB = 1;
export const BINARY_MUL = 2;
export const BINARY_DIV = 3;
export const BINARY_MAXIMUM = 4;
export const BINARY_MINIMUM = 5;
export const BINARY_MAXIMUM_SLOPE = 6;
export const BINARY_MINIMUM_SLOPE = 7;

// Comparison and logical op codes (assembly/select.ts; src/kernels/wasm/select.ts).
export const COMPARE_EQ = 0;
export const COMPARE_NE = 1;
export const COMPARE_LT = 2;
export const COMPARE_LE = 3;
export const COMPARE_GT = 4;
export const COMPARE_GE = 5;
export const COMPARE_AND = 6;
export const COMPARE_OR = 7;
export const COMPARE_XOR = 8;

export const GEO_BATCH = 0;
export const GEO_IN_C = 4;
export const GEO_IN_H = 8;
export const GEO_IN_W = 12;
export const GEO_OUT_C = 16;
export const GEO_OUT_H = 20;
export const GEO_OUT_W = 24;
export const GEO_K_H = 28;
export const GEO_K_W = 32;
export const GEO_STRIDE_H = 36;
export const GEO_STRIDE_W = 40;
export const GEO_PAD_H = 44;
export const GEO_PAD_W = 48;
export const GEO_DIL_H = 52;
export const GEO_DIL_W = 56;
export const GEO_GROUPS = 60;
/** Bytes the geometry takes. */
export const GEO_BYTES = 64;

export const POOL_PLANES = 0;
export const POOL_IN_H = 4;
export const POOL_IN_W = 8;
export const POOL_OUT_H = 12;
export const POOL_OUT_W = 16;
export const POOL_K_H = 20;
export const POOL_K_W = 24;
export const POOL_STRIDE_H = 28;
export const POOL_STRIDE_W = 32;
export const POOL_PAD_H = 36;
export const POOL_PAD_W = 40;
/** Bytes the pooling geometry takes. */
export const POOL_BYTES = 44;
