/**
 * @file e^x on four float32 lanes, the one exponential the GELU, softmax and LSTM/GRU kernels share.
 *
 * Note [float32 exp without tables]: no library Math function is called — AssemblyScript's expf reads
 * lookup tables from static data, which the kernels' memories do not keep (Note [no static data in
 * the kernels], src/kernels/wasm/runtime.ts). This is Cephes' expf: a Cody–Waite range reduction
 * (x = n·ln 2 + r, ln 2 in two parts so n·LN2_HI is exact), a degree-6 minimax polynomial for e^r,
 * and 2ⁿ built in the exponent bits. Arguments above 88 give e^88 (the largest power of two the
 * exponent bits hold is 2¹²⁷); below −87.33654, where e^x is no longer a normal float32, it gives 0;
 * NaN gives NaN (f32x4.min and max carry it). Measured against Math in float64 on 4,000 points of
 * [−90, 90] (tests/recurrent-sequence-wasm.test.ts): relative error 7.7e-8 where e^x is a normal
 * float32 (bound tested: 1.5e-7). `madd` fuses in the relaxed build (assembly/simd.ts), so the two
 * builds may differ in the last bit.
 */
import { madd } from './simd';

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const MAX: f32 = 88.0;
const MIN: f32 = -87.33654;

// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  const c = f32x4.max(f32x4.min(x, f32x4.splat(MAX)), f32x4.splat(MIN));
  const n = f32x4.nearest(f32x4.mul(c, f32x4.splat(LOG2E)));
  let r = f32x4.sub(c, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, scale), f32x4.lt(x, f32x4.splat(MIN)));
}
