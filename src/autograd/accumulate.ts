/**
 * @file The two primitives the engine itself needs, defined here so the engine reaches no op by
 * name: `accumulate` sums the gradients that meet at a tensor, `convertGradient` gives a seed
 * gradient its output's dtype. Both are recorded under createGraph like any op, so higher-order
 * gradients flow through them.
 */
import { kernels } from '../kernels';
import { allocate, DType } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { definePrimitive, Primitive } from './primitive';

/** a + b for two gradients of one tensor (same shape and dtype). */
export const accumulate: Primitive = definePrimitive('accumulate', {
  forward: ([a, b]) => new Tensor(kernels().binary('add', a.data, a.shape, b.data, b.shape, a.shape, allocate(a.dtype, a.size)), a.shape),
  backward: (gy, [a, b]) => [a.requiresGrad ? gy : null, b.requiresGrad ? gy : null],
});

/** The gradient in another dtype; its backward converts back. */
export const convertGradient: Primitive<{ dtype: DType }> = definePrimitive<{ dtype: DType }>('convertGradient', {
  forward: ([x], { dtype }) => {
    const data = allocate(dtype, x.size);
    data.set(x.data);
    return new Tensor(data, x.shape);
  },
  backward: (gy, [x]) => [convertGradient.apply([gy], { dtype: x.dtype })],
  describe: ({ dtype }) => dtype,
});
