/**
 * @file Statistics and norms (SPEC §14): var, std and logsumexp are compositions; `norm` is a
 * primitive because its gradient at a zero norm must be 0 (PyTorch's choice), where the composition
 * sqrt(Σx²) would divide 0 by 0.
 *
 * Note [norm at zero]: for p-norms (p ∉ {1, ±inf, 0}) the gradient is
 * gy · sign(x)·|x|^(p−1) / y^(p−1), as torch.linalg.vector_norm's backward: 0 where x = 0 (also for
 * p < 1, where the true derivative is infinite) and 0 for a whole group whose norm is 0. Both masks
 * select from inputs made safe first (x = 0 → 1, y = 0 → 1), so no branch computes 0·inf and the
 * second derivative stays finite (Note [where's gradient] in compare.ts).
 */
import { noGrad } from '../autograd/mode';
import { defineOp } from './names';
import { kernels } from '../kernels';
import { allocateUnfilled } from '../tensor/dtype';
import { fmt, normalizeAxes, reducedShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Axes, describeReduce, expand, sum, unreduce } from './broadcast';
import { eq, isFinite, ne, where } from './compare';
import { abs, add, div, log, mul, pow, sqrt, sub, exp } from './elementwise';
import { amax, amin } from './extrema';
import { cast, constant, requireFloating, stopGradient, toFloating } from './operands';
import { max, mean } from './reduce';
import { reshape } from './shape';

export interface VarOptions {
  /** Subtracted from the count in the divisor: 1 (the default) is Bessel's correction, 0 the population variance. */
  correction?: number;
  keepDims?: boolean;
}

/** The variance over `axis` (all axes when undefined): Σ(x − mean)² / (N − correction), as torch.var. */
export function variance(x: Tensor, axis?: Axes, opts: VarOptions = {}): Tensor {
  return varianceOf('var', x, axis, opts);
}

function varianceOf(op: string, x: Tensor, axis: Axes | undefined, opts: VarOptions): Tensor {
  requireFloating(op, { x });
  const { correction = 1, keepDims = false } = opts;
  if (typeof correction !== 'number' || !Number.isFinite(correction)) {
    throw new Error(`${op}: correction must be a finite number, got ${String(correction)} (x ${fmt(x.shape)})`);
  }
  const axes = normalizeAxes(op, axis, x.shape);
  const n = axes.reduce((k, a) => k * x.shape[a], 1);
  const d = sub(x, mean(x, axes, true));
  return div(sum(mul(d, d), axes, keepDims), Math.max(n - correction, 0));
}

/** The standard deviation over `axis`: sqrt(var), with the same options. */
export function std(x: Tensor, axis?: Axes, opts: VarOptions = {}): Tensor {
  return sqrt(varianceOf('std', x, axis, opts));
}

/** log Σ exp(x) over `axis` (all axes when undefined), shifted by the maximum so that nothing overflows. */
export function logsumexp(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  const xf = toFloating(x);
  const axes = normalizeAxes('logsumexp', axis, x.shape);
  if (xf.size === 0) return log(sum(exp(xf), axes, keepDims));
  // As softmax's shift: its gradient cancels, so it stays out of the graph; an infinite maximum shifts by 0.
  const m = stopGradient(max(xf, axes, true));
  const shift = noGrad(() => where(isFinite(m), m, 0));
  const y = add(log(sum(exp(sub(xf, shift)), axes, true)), shift);
  return keepDims ? y : reshape(y, reducedShape(x.shape, axes, false));
}

interface NormAttrs {
  p: number;
  axes: number[];
  keepDims: boolean;
}

/** Note [norm at zero]. */
const normP = defineOp<NormAttrs>('norm', {
  forward: ([x], { p, axes, keepDims }) =>
    noGrad(() => {
      const y = p === 2 ? sqrt(sum(mul(x, x), axes, keepDims)) : pow(sum(pow(abs(x), p), axes, keepDims), 1 / p);
      return new Tensor(y.data, y.shape);
    }),
  backward: (gy, [x], y, { p, axes }) => {
    const kept = (t: Tensor) => expand(unreduce(t, x, axes), x.shape);
    const yk = kept(y);
    const zeroNorm = eq(yk, 0);
    const ySafe = where(zeroNorm, 1, yk);
    if (p === 2) return [where(zeroNorm, 0, div(mul(kept(gy), x), ySafe))];
    const zero = eq(x, 0);
    const xSafe = where(zero, 1, x);
    const sign = constant(kernels().unary('sign', x.data, allocateUnfilled(x.dtype, x.size)), x.shape);
    const scaled = where(zero, 0, mul(sign, pow(abs(xSafe), p - 1)));
    return [where(zeroNorm, 0, div(mul(kept(gy), scaled), pow(ySafe, p - 1)))];
  },
  describe: (a) => `p=${a.p} ${describeReduce(a)}`,
});

/**
 * The p-norm over `axis` (all axes when undefined), as torch.linalg.vector_norm: p = 2 (default),
 * 1, Infinity (the largest |x|; ties share the gradient), -Infinity (the smallest), 0 (the count of
 * nonzeros, no gradient) or any other p, (Σ|x|^p)^(1/p). The gradient at a zero norm is 0.
 */
export function norm(x: Tensor, p = 2, axis?: Axes, keepDims = false): Tensor {
  requireFloating('norm', { x });
  if (typeof p !== 'number' || Number.isNaN(p)) throw new Error(`norm: p must be a number, got ${String(p)} (x ${fmt(x.shape)})`);
  const axes = normalizeAxes('norm', axis, x.shape);
  if (p === 1) return sum(abs(x), axes, keepDims);
  if (p === Infinity) return amax(abs(x), axes, keepDims);
  if (p === -Infinity) return amin(abs(x), axes, keepDims);
  if (p === 0) return sum(cast(ne(x, 0), x.dtype), axes, keepDims);
  return normP.apply([x], { p, axes, keepDims });
}

// `var` is a reserved word, so the function is `variance` inside the library; users call tg.var and x.var.
export { variance as var };

declare module '../tensor/tensor' {
  interface Tensor {
    var(axis?: Axes, opts?: VarOptions): Tensor;
    std(axis?: Axes, opts?: VarOptions): Tensor;
    logsumexp(axis?: Axes, keepDims?: boolean): Tensor;
    norm(p?: number, axis?: Axes, keepDims?: boolean): Tensor;
  }
}
