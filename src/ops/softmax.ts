/** @file softmax and logSoftmax, composed from primitives with the log-sum-exp shift for stability. */
import { composite } from '../autograd/scope';
import { normalizeAxis } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { exp, log, mul, sub } from './elementwise';
import { requireFloating, stopGradient } from './operands';
import { max, sum } from './reduce';

/**
 * log softmax = x - m - log Σ exp(x - m), with m the max along the axis behind stopGradient: the shift
 * cancels mathematically, so no gradient needs to flow through it, and exp never overflows.
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireFloating('logSoftmax', { x });
  const a = normalizeAxis('logSoftmax', axis, x.ndim, x.shape);
  // An empty tensor has nothing to normalise: an empty result of its shape, as in PyTorch (the max
  // of an empty axis, which the shift needs, does not exist).
  if (x.size === 0) return mul(x, 0);
  // Drawn as one node (Note [composite scopes] in src/autograd/scope.ts).
  return composite('logSoftmax', axisWords(a, x), [x], () => {
    const shifted = sub(x, stopGradient(max(x, a, true)));
    return sub(shifted, log(sum(exp(shifted), a, true)));
  });
}

export function softmax(x: Tensor, axis = -1): Tensor {
  requireFloating('softmax', { x });
  const a = normalizeAxis('softmax', axis, x.ndim, x.shape);
  return composite('softmax', axisWords(a, x), [x], () => exp(logSoftmax(x, a)));
}

/** The axis in a composite's label, left out when it is the last (the default). */
function axisWords(a: number, x: Tensor): string {
  return a === x.ndim - 1 ? '' : `axis=${a}`;
}

declare module '../tensor/tensor' {
  interface Tensor {
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
  }
}
