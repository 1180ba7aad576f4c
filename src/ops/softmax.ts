/** @file softmax and logSoftmax, each a fused primitive with the log-sum-exp shift for stability (Note [fused softmax]). */
import { composite } from '../autograd/scope';
import { isGradEnabled } from '../autograd/mode';
import { kernels } from '../kernels';
import { allocateUnfilled } from '../tensor/dtype';
import { defineOp } from './names';
import { normalizeAxis } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { exp, mul, sub } from './elementwise';
import { requireFloating } from './operands';
import { sum } from './reduce';

/**
 * log softmax = x − m − log Σ exp(x − m) along the axis, m the line's max: the shift cancels
 * mathematically and keeps exp from overflowing. One fused primitive (Note [fused softmax]), drawn as
 * the composite `logSoftmax` the user called.
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireFloating('logSoftmax', { x });
  const a = normalizeAxis('logSoftmax', axis, x.ndim, x.shape);
  // An empty tensor has nothing to normalise: an empty result of its shape, as in PyTorch (the max
  // of an empty axis, which the shift needs, does not exist).
  if (x.size === 0) return mul(x, 0);
  // Drawn as one node (Note [composite scopes] in src/autograd/scope.ts) holding the fused primitive.
  return composite('logSoftmax', axisWords(a, x), [x], () => logSoftmaxP.apply([x], { axis: a }));
}

/** x viewed as [outer, n, inner] around `axis`. */
function lines(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { outer, n: shape[axis], inner };
}

/**
 * Note [fused softmax]: softmax is one primitive, e^(x − max)/Σ e^(x − max) along its axis in one
 * pass per line (float64 sums), not exp of the log-softmax composition: attention applies it to its
 * largest tensor, [batch, heads, L, S], where the composition's seven passes (max, subtract, exp,
 * sum, log, subtract, exp) and their backward were a tenth of a transformer step. Its backward has
 * two forms with one meaning, as batch norm's (Note [fused batch norm] in src/ops/normalization.ts):
 * gx = y·(gy − Σ gy·y) written with differentiable ops while a backward is itself being recorded
 * (createGraph, for second derivatives; y carries its own dependence on x), the fused kernel
 * otherwise. It is still drawn as the composite `softmax` the user called, now holding one node.
 */
const softmaxP = defineOp<{ axis: number }>('softmax', {
  forward: ([x], { axis }) => {
    const { outer, n, inner } = lines(x.shape, axis);
    return new Tensor(kernels().softmaxForward(x.data, outer, n, inner, allocateUnfilled(x.dtype, x.size)), x.shape);
  },
  backward: (gy, _xs, y, { axis }) => {
    if (isGradEnabled()) return [mul(y, sub(gy, sum(mul(gy, y), axis, true)))];
    const { outer, n, inner } = lines(y.shape, axis);
    return [new Tensor(kernels().softmaxBackward(gy.data, y.data, outer, n, inner, allocateUnfilled(y.dtype, y.size)), y.shape)];
  },
  describe: ({ axis }) => `axis=${axis}`,
});

/**
 * log-softmax as one primitive (Note [fused softmax]): the composition's max, subtract, exp, sum, log
 * and subtract are one pass per line, float64 within the line, and its backward is
 * gx = gy − e^y·Σ gy — written with ops while a backward is being recorded, the fused kernel otherwise.
 * Every classifier's and language model's cross-entropy starts here. float64 results are those of
 * the composition, bit for bit (the same operations in the same order); float32 ones are rounded
 * once instead of after each step — or, for rows along the last axis large enough for WebAssembly,
 * within the bound of Note [float32 log-softmax] (assembly/softmax.ts).
 */
const logSoftmaxP = defineOp<{ axis: number }>('logSoftmax', {
  forward: ([x], { axis }) => {
    const { outer, n, inner } = lines(x.shape, axis);
    return new Tensor(kernels().logSoftmaxForward(x.data, outer, n, inner, allocateUnfilled(x.dtype, x.size)), x.shape);
  },
  backward: (gy, _xs, y, { axis }) => {
    if (isGradEnabled()) return [sub(gy, mul(exp(y), sum(gy, axis, true)))];
    const { outer, n, inner } = lines(y.shape, axis);
    return [new Tensor(kernels().logSoftmaxBackward(gy.data, y.data, outer, n, inner, allocateUnfilled(y.dtype, y.size)), y.shape)];
  },
  describe: ({ axis }) => `axis=${axis}`,
});

export function softmax(x: Tensor, axis = -1): Tensor {
  requireFloating('softmax', { x });
  const a = normalizeAxis('softmax', axis, x.ndim, x.shape);
  if (x.size === 0) return mul(x, 0);
  // Drawn as one node (Note [composite scopes] in src/autograd/scope.ts) holding the fused primitive.
  return composite('softmax', axisWords(a, x), [x], () => softmaxP.apply([x], { axis: a }));
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
