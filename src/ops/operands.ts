/**
 * @file How arguments become tensors: dtypes promote bool < int32 < float32 < float64 (Note [dtypes]
 * in src/tensor/dtype.ts); a plain number takes a float operand's dtype, and beside an int32 or bool
 * one gives int32 when it is an integer and float32 when it is not.
 */
import { defineOp } from './names';
import { scalar } from '../tensor/create';
import { allocate, convertInto, DType, isDType, isFloating, promoteTypes, scalarDType, Storage } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';

export type TensorLike = Tensor | number;

/**
 * Changes dtype: float to int32 truncates toward 0, anything to bool is x ≠ 0. Between float dtypes
 * the gradient flows back in the input's dtype; an int32 or bool result records no node.
 */
const castP = defineOp<{ dtype: DType }>('cast', {
  forward: ([x], { dtype }) => new Tensor(convertInto(x.data, allocate(dtype, x.size)), x.shape),
  backward: (gy, [x]) => [cast(gy, x.dtype)],
  describe: ({ dtype }) => dtype,
});

export function cast(x: Tensor, dtype: DType): Tensor {
  if (!isDType(dtype)) throw new Error(`cast: unknown dtype ${String(dtype)} (use 'float32', 'float64', 'int32' or 'bool')`);
  return x.dtype === dtype ? x : castP.apply([x], { dtype });
}

/** x in `dtype` (PyTorch's `x.to(dtype)`): the same tensor when it already is. */
export function to(x: Tensor, dtype: DType): Tensor {
  return cast(x, dtype);
}

export function asTensor(op: string, x: TensorLike, dtype: DType = 'float32'): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number') return scalar(x, dtype);
  throw new Error(`${op}: expected a Tensor or a number, got ${typeof x}`);
}

/** Two operands of one dtype, promoted (Note [dtypes]). */
export function operands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (a instanceof Tensor && b instanceof Tensor) {
    const dtype = promoteTypes(a.dtype, b.dtype);
    return [cast(a, dtype), cast(b, dtype)];
  }
  if (a instanceof Tensor) return withNumber(op, a, b, false);
  if (b instanceof Tensor) return withNumber(op, b, a, true);
  return [asTensor(op, a), asTensor(op, b)];
}

/** A tensor and a number: the number takes a float tensor's dtype; beside int32/bool see scalarDType. */
function withNumber(op: string, t: Tensor, n: TensorLike, numberFirst: boolean): [Tensor, Tensor] {
  if (typeof n !== 'number') throw new Error(`${op}: expected a Tensor or a number, got ${typeof n}`);
  const dtype = scalarDType(t.dtype, n);
  const x = cast(t, dtype);
  const s = scalar(n, dtype);
  return numberFirst ? [s, x] : [x, s];
}

/** x in its own dtype when that is floating point, else in float32: how exp or log take an int32 or bool tensor. */
export function toFloating(x: Tensor): Tensor {
  return isFloating(x.dtype) ? x : cast(x, 'float32');
}

/**
 * Throws unless every given tensor is floating point: for ops that PyTorch runs on floats only
 * (convolution, pooling, softmax, normalisation). `named` pairs each tensor with its argument's name.
 */
export function requireFloating(op: string, named: Record<string, Tensor | null | undefined>): void {
  const entries = Object.entries(named).filter((e): e is [string, Tensor] => e[1] instanceof Tensor);
  const bad = entries.find(([, t]) => !isFloating(t.dtype));
  if (bad === undefined) return;
  const list = entries.map(([name, t]) => `${name} ${fmt(t.shape)} ${t.dtype}`).join(', ');
  throw new Error(`${op}: ${bad[1].dtype} tensors are not supported (${list})`);
}

/**
 * A copy of x with storage of its own that stays in the graph (PyTorch's clone): the gradient passes
 * through unchanged. Writing into the copy (an optimiser's step, `data.set`) leaves x as it was.
 */
const cloneP = defineOp('clone', {
  forward: ([x]) => new Tensor(x.data.slice(), x.shape),
  backward: (gy) => [gy],
});

export function clone(x: Tensor): Tensor {
  return cloneP.apply([x], undefined);
}

/**
 * The identity whose gradient is zero (jax.lax.stop_gradient): unlike `noGrad`, it stays in the
 * graph, so a value computed from the input — logsumexp's shift — is recomputed when the graph is
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
export function constant(data: Storage, shape: readonly number[]): Tensor {
  return new Tensor(data, shape);
}

declare module '../tensor/tensor' {
  interface Tensor {
    cast(dtype: DType): Tensor;
    to(dtype: DType): Tensor;
    /** A copy with storage of its own, still in the graph (PyTorch's clone). */
    clone(): Tensor;
  }
}
