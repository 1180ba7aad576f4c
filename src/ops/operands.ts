/** @file How arguments become tensors: plain numbers take the other operand's dtype; mixed dtypes meet in float64. */
import { defineOp } from './names';
import { scalar } from '../tensor/create';
import { allocate, DType, isDType, promoteTypes } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { installMethods } from './methods';

export type TensorLike = Tensor | number;

/** Changes dtype; the gradient flows back in the input's dtype. */
const castP = defineOp<{ dtype: DType }>('cast', {
  forward: ([x], { dtype }) => {
    const data = allocate(dtype, x.size);
    data.set(x.data);
    return new Tensor(data, x.shape);
  },
  backward: (gy, [x]) => [cast(gy, x.dtype)],
  describe: ({ dtype }) => dtype,
});

export function cast(x: Tensor, dtype: DType): Tensor {
  if (!isDType(dtype)) throw new Error(`cast: unknown dtype ${String(dtype)} (use 'float32' or 'float64')`);
  return x.dtype === dtype ? x : castP.apply([x], { dtype });
}

export function asTensor(op: string, x: TensorLike, dtype: DType = 'float32'): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') return scalar(x, dtype);
  throw new Error(`${op}: expected a Tensor or a number, got ${typeof x}`);
}

/** Two operands of one dtype. */
export function operands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (a instanceof Tensor && b instanceof Tensor) {
    const dtype = promoteTypes(a.dtype, b.dtype);
    return [cast(a, dtype), cast(b, dtype)];
  }
  if (a instanceof Tensor) return [a, asTensor(op, b, a.dtype)];
  if (b instanceof Tensor) return [asTensor(op, a, b.dtype), b];
  return [asTensor(op, a), asTensor(op, b)];
}

/**
 * The identity whose gradient is zero (jax.lax.stop_gradient): unlike `noGrad`, it stays in the
 * graph, so a value computed from the input — softmax's shift — is recomputed when the graph is
 * replayed on other inputs (an ONNX export), yet passes no gradient.
 */
const stopGradientP = defineOp('stopGradient', {
  forward: ([x]) => new Tensor(x.data, x.shape),
  backward: () => [null],
});

export function stopGradient(x: Tensor): Tensor {
  return stopGradientP.apply([x], undefined);
}

/** A tensor that is not part of any graph, e.g. a mask that routes a gradient. */
export function constant(data: Float32Array | Float64Array, shape: readonly number[]): Tensor {
  return new Tensor(data, shape);
}

installMethods({ cast });

declare module '../tensor/tensor' {
  interface Tensor {
    cast(dtype: DType): Tensor;
  }
}
