/**
 * @file Layers as functions (SPEC §4): linear and dropout, each a composition of primitives with no
 * backward code of its own (batchNorm, a fused primitive, is in normalization.ts).
 */
import { composite } from '../autograd/scope';
import { defaultRng, Rng } from '../random/rng';
import { allocate } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add, mul } from './elementwise';
import { matmulTransposed } from './matmul';
import { constant } from './operands';

/** x @ weight^T + bias, for x [..., in], weight [out, in], bias [out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const shapes = `(input ${fmt(x.shape)}, weight ${fmt(weight.shape)}${bias ? `, bias ${fmt(bias.shape)}` : ''})`;
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-d [out,in] ${shapes}`);
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new Error(
      `linear: input features ${x.ndim === 0 ? 'missing' : x.shape[x.ndim - 1]} do not match weight in-features ${weight.shape[1]} ${shapes}`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new Error(`linear: bias must be [${weight.shape[0]}] to match weight out-features ${shapes}`);
  }
  // Drawn as one node, x @ weightᵀ + bias (Note [composite scopes] in src/autograd/scope.ts).
  // The bias goes into the product where it can (Note [product epilogue] in matmul.ts).
  return composite('linear', '', [x, weight, bias], () => matmulTransposed(x, weight, bias ?? null));
}

export interface DropoutOptions {
  training?: boolean;
  rng?: Rng;
}

/**
 * Inverted dropout: each element is zeroed with probability p and the kept ones are scaled by
 * 1/(1-p), so E[y] = x and evaluation needs no rescaling. The mask is a constant, so the gradient
 * flows through exactly the elements that were kept, scaled the same way.
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: probability p must be in [0,1], got ${p} (input ${fmt(x.shape)})`);
  if (!(opts.training ?? true) || p === 0) return x;
  const g = opts.rng ?? defaultRng();
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const mask = allocate(x.dtype, x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = g.next() < p ? 0 : scale;
  return mul(x, constant(mask, x.shape));
}

declare module '../tensor/tensor' {
  interface Tensor {
    linear(weight: Tensor, bias?: Tensor | null): Tensor;
    dropout(p: number, opts?: DropoutOptions): Tensor;
  }
}
