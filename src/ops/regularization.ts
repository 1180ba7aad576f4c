/**
 * @file Weight regularisation (SPEC §5): the L2 and L1 penalties a loss adds, and max-norm, the
 * constraint applied to the weights after each step.
 */
import { noGrad } from '../autograd/mode';
import { scalar } from '../tensor/create';
import { allocate } from '../tensor/dtype';
import { fmt, normalizeAxis } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { abs, add, mul, sqrt } from './elementwise';
import { constant } from './operands';
import { sum } from './reduce';

/** coefficient · Σ over params of Σ term(w); 0 for an empty list. */
function penalty(op: string, params: readonly Tensor[], lambda: number, coefficient: number, term: (w: Tensor) => Tensor): Tensor {
  if (!Array.isArray(params)) throw new Error(`${op}: params must be an array of tensors`);
  if (!Number.isFinite(lambda)) throw new Error(`${op}: lambda must be a finite number, got ${lambda}`);
  if (params.length === 0) return scalar(0);
  let total: Tensor | null = null;
  for (const w of params) {
    if (!(w instanceof Tensor)) throw new Error(`${op}: every param must be a Tensor`);
    const s = sum(term(w));
    total = total === null ? s : add(total, s);
  }
  return mul(total as Tensor, coefficient);
}

/** 0.5 · λ · Σ w², so its gradient is λ · w (the tutorial's weight decay). */
export function l2Penalty(params: readonly Tensor[], lambda: number): Tensor {
  return penalty('l2Penalty', params, lambda, 0.5 * lambda, (w) => mul(w, w));
}

/** λ · Σ |w|; the gradient at w = 0 is 0 (abs'(0) = 0). */
export function l1Penalty(params: readonly Tensor[], lambda: number): Tensor {
  return penalty('l1Penalty', params, lambda, lambda, abs);
}

/**
 * Max-norm constraint, torch.renorm(weight, 2, axis, c) done in place: each slice weight[i] along
 * `axis` whose L2 norm exceeds c is scaled by c / (norm + 1e-7), as torch does; the others are left
 * alone. Runs without recording and returns `weight`.
 */
export function maxNorm(weight: Tensor, c: number, axis = 0): Tensor {
  if (!(c >= 0)) throw new Error(`maxNorm: c must be a non-negative number, got ${c} (weight ${fmt(weight.shape)})`);
  if (weight.ndim === 0) throw new Error(`maxNorm: weight needs at least one axis, got ${fmt(weight.shape)}`);
  const a = normalizeAxis('maxNorm', axis, weight.ndim, weight.shape);
  const others = weight.shape.map((_, d) => d).filter((d) => d !== a);
  noGrad(() => {
    const norms = sqrt(sum(mul(weight, weight), others, true));
    const factors = allocate(weight.dtype, norms.size);
    for (let i = 0; i < factors.length; i++) factors[i] = norms.data[i] > c ? c / (norms.data[i] + 1e-7) : 1;
    weight.data.set(mul(weight, constant(factors, norms.shape)).data);
  });
  return weight;
}

declare module '../tensor/tensor' {
  interface Tensor {
    maxNorm(c: number, axis?: number): Tensor;
  }
}
