/**
 * @file The one place the builds differ: `madd` is a fused multiply-add (relaxed SIMD, one
 * instruction on FMA hardware) in the relaxed builds (kernels-relaxed.wasm and its serial twin
 * kernels-serial-relaxed.wasm) and a multiply then an add in the plain ones (kernels.wasm,
 * kernels-serial.wasm). Either rounds within the float32 bounds the kernel tests allow.
 */

/** a·b + c, four lanes. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
