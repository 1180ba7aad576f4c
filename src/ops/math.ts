/**
 * @file SPEC §14's elementwise math: unary primitives (trigonometric, hyperbolic, erf, logs, the
 * rounding family), binary primitives (atan2, fmod, remainder), and compositions where they are
 * exact (square, rsqrt, reciprocal, clamp, lerp).
 *
 * Note [steps]: sign, floor, ceil, round and trunc are constant between their steps, so their
 * gradient is 0 everywhere (PyTorch's convention at the steps too): the rule returns zeros, not
 * null, so x.grad is a zero tensor as in PyTorch. fmod's and remainder's gradients in b carry the
 * step function trunc(a/b) (floor(a/b)) as a constant, as PyTorch's do.
 *
 * Note [clamp]: clamp(x, lo, hi) = where(t > hi, hi, t) with t = where(x < lo, lo, x): the gradient
 * to x is 1 on [lo, hi] inclusive (PyTorch's), a tensor bound gets it where it is the one taken,
 * NaN in x stays NaN, and lo > hi gives hi everywhere, as torch.clamp.
 */
import { allocate } from '../tensor/dtype';
import { kernels } from '../kernels';
import { broadcastShapes, fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { gt, lt, where } from './compare';
import { abs, add, binary, div, exp, mul, neg, sqrt, sub, unary } from './elementwise';
import { constant, operands, requireFloating, TensorLike } from './operands';

/** A zero gradient in gy's shape and dtype (Note [steps]). */
const zeros = (gy: Tensor) => constant(allocate(gy.dtype, gy.size), gy.shape);

export const sin = unary('sin', (gy, x) => mul(gy, cos(x)));
export const cos = unary('cos', (gy, x) => neg(mul(gy, sin(x))));
export const tan = unary('tan', (gy, _x, y) => mul(gy, add(mul(y, y), 1)));
export const asin = unary('asin', (gy, x) => div(gy, sqrt(sub(1, mul(x, x)))));
export const acos = unary('acos', (gy, x) => neg(div(gy, sqrt(sub(1, mul(x, x))))));
export const atan = unary('atan', (gy, x) => div(gy, add(mul(x, x), 1)));
export const sinh = unary('sinh', (gy, x) => mul(gy, cosh(x)));
export const cosh = unary('cosh', (gy, x) => mul(gy, sinh(x)));
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
export const erf = unary('erf', (gy, x) => mul(gy, mul(exp(neg(mul(x, x))), TWO_OVER_SQRT_PI)));
export const erfc = unary('erfc', (gy, x) => mul(gy, mul(exp(neg(mul(x, x))), -TWO_OVER_SQRT_PI)));
export const log1p = unary('log1p', (gy, x) => div(gy, add(x, 1)));
export const expm1 = unary('expm1', (gy, _x, y) => mul(gy, add(y, 1)));
export const log2 = unary('log2', (gy, x) => div(gy, mul(x, Math.LN2)));
export const log10 = unary('log10', (gy, x) => div(gy, mul(x, Math.LN10)));

// Note [steps]: integer inputs keep their dtype, as in PyTorch.
export const sign = unary('sign', zeros, 'keep');
export const floor = unary('floor', zeros, 'keep');
export const ceil = unary('ceil', zeros, 'keep');
/** Rounds half to even, as PyTorch (round(0.5) = 0, round(1.5) = 2). */
export const round = unary('round', zeros, 'keep');
export const trunc = unary('trunc', zeros, 'keep');

export function square(x: Tensor): Tensor {
  return mul(x, x);
}

export function rsqrt(x: Tensor): Tensor {
  return div(1, sqrt(x));
}

export function reciprocal(x: Tensor): Tensor {
  return div(1, x);
}

/** A constant f(a, b) in the broadcast shape of a and b (the step factors of Note [steps]). */
function stepOf(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const shape = broadcastShapes('step', a.shape, b.shape);
  return constant(kernels().binaryWith(a.data, a.shape, b.data, b.shape, shape, allocate(a.dtype, sizeOf(shape)), f), shape);
}

/** The angle of the point (b, a), in (−π, π], elementwise (broadcast): Math.atan2(a, b). */
export const atan2 = binary('atan2', {
  a: (gy, a, b) => div(mul(gy, b), add(mul(a, a), mul(b, b))),
  b: (gy, a, b) => neg(div(mul(gy, a), add(mul(a, a), mul(b, b)))),
});

/** C's fmod: a − trunc(a/b)·b, with the sign of a. */
export const fmod = binary('fmod', {
  a: (gy) => gy,
  b: (gy, a, b) =>
    neg(
      mul(
        gy,
        stepOf(a, b, (x, y) => Math.trunc(x / y)),
      ),
    ),
});

/** Python's %: a − floor(a/b)·b, with the sign of b (torch.remainder). */
export const remainder = binary('remainder', {
  a: (gy) => gy,
  b: (gy, a, b) =>
    neg(
      mul(
        gy,
        stepOf(a, b, (x, y) => Math.floor(x / y)),
      ),
    ),
});

/** x limited to [min, max] (either may be omitted; numbers or tensors, broadcast) (Note [clamp]). */
export function clamp(x: Tensor, min?: TensorLike | null, max?: TensorLike | null): Tensor {
  const lo = min ?? undefined;
  const hi = max ?? undefined;
  if (lo === undefined && hi === undefined) throw new Error(`clamp: at least one of min and max must be given (x ${fmt(x.shape)})`);
  const t = lo === undefined ? x : where(lt(x, lo), lo, x);
  return hi === undefined ? t : where(gt(t, hi), hi, t);
}

/**
 * a + w·(b − a), as torch.lerp computes it: for |w| ≥ 0.5 from the b end, b − (b − a)·(1 − w), so
 * that w = 1 gives b exactly. w is a number or a tensor (broadcast); differentiable in a, b and w.
 */
export function lerp(a: Tensor, b: TensorLike, w: TensorLike): Tensor {
  const [x, y] = operands('lerp', a, b);
  requireFloating('lerp', { a: x, b: y, ...(w instanceof Tensor ? { w } : {}) });
  const d = sub(y, x);
  if (typeof w === 'number') return Math.abs(w) < 0.5 ? add(x, mul(d, w)) : sub(y, mul(d, 1 - w));
  return where(lt(abs(w), 0.5), add(x, mul(d, w)), sub(y, mul(d, sub(1, w))));
}

declare module '../tensor/tensor' {
  interface Tensor {
    sin(): Tensor;
    cos(): Tensor;
    tan(): Tensor;
    asin(): Tensor;
    acos(): Tensor;
    atan(): Tensor;
    sinh(): Tensor;
    cosh(): Tensor;
    erf(): Tensor;
    erfc(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    log2(): Tensor;
    log10(): Tensor;
    sign(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    trunc(): Tensor;
    square(): Tensor;
    rsqrt(): Tensor;
    reciprocal(): Tensor;
    atan2(b: TensorLike): Tensor;
    fmod(b: TensorLike): Tensor;
    remainder(b: TensorLike): Tensor;
    clamp(min?: TensorLike | null, max?: TensorLike | null): Tensor;
    lerp(b: TensorLike, w: TensorLike): Tensor;
  }
}
