/**
 * @file Elementwise primitives. Binary ops broadcast with NumPy rules.
 *
 * Note [broadcast reduction]: a binary rule returns gradients in the output's (broadcast) shape and
 * `binary()` sums each back to its input's shape with `sumTo` — the one place that reduction lives,
 * so each rule reads like the math.
 *
 * Note [kinks]: as in PyTorch, relu'(0) = 0, abs'(0) = 0, and maximum/minimum split the gradient
 * equally between tied inputs and give it whole to both where either is NaN (PyTorch's derivative:
 * the gradient, halved on a tie, zeroed only where the input loses). Such piecewise factors are constants (masks), whose own derivative
 * is zero almost everywhere, so higher-order gradients stay right.
 */
import { defineOp, PrimitiveName } from './names';
import { BinaryOp, kernels, UnaryOp } from '../kernels';
import { allocate, allocateUnfilled, isFloating } from '../tensor/dtype';
import { broadcastShapes, fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { cast, constant, operands, TensorLike, toFloating } from './operands';
import { sumTo } from './broadcast';

/** d(loss)/da and d(loss)/db from gy, in the output's shape; each runs only when its input needs it. */
export interface BinaryGrads {
  a: (gy: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor;
  b: (gy: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor;
}

/**
 * Note [integer arithmetic]: add, sub, mul, pow, maximum and minimum of int32 tensors give int32 (as
 * PyTorch; the kernels compute in doubles and int32 storage wraps, as C does), `div` divides truly in
 * float32. Bool operands compute in int32 and come back as bool, so add and maximum are a logical
 * or, mul and minimum a logical and; subtracting or negating bools throws, as in PyTorch.
 */
function integerOperands(op: BinaryOp, a: Tensor, b: Tensor): { a: Tensor; b: Tensor; bool: boolean } {
  if (isFloating(a.dtype)) return { a, b, bool: false };
  if (op === 'div' || op === 'atan2') return { a: cast(a, 'float32'), b: cast(b, 'float32'), bool: false };
  if ((op === 'fmod' || op === 'remainder') && b.data.includes(0)) {
    throw new Error(`${op}: integer division by zero (a ${fmt(a.shape)} ${a.dtype}, b ${fmt(b.shape)} ${b.dtype})`);
  }
  if (op === 'pow' && b.data.some((v) => v < 0)) {
    throw new Error(
      `pow: integers to negative integer powers are not allowed (a ${fmt(a.shape)} ${a.dtype}, b ${fmt(b.shape)} ${b.dtype})`,
    );
  }
  if (a.dtype === 'int32') return { a, b, bool: false };
  if (op === 'sub') {
    throw new Error(`sub: subtracting bool tensors is not supported (a ${fmt(a.shape)} bool, b ${fmt(b.shape)} bool); use logicalXor`);
  }
  return { a: cast(a, 'int32'), b: cast(b, 'int32'), bool: op !== 'pow' };
}

export function binary(op: BinaryOp & PrimitiveName, grads: BinaryGrads) {
  const p = defineOp(op, {
    forward: ([a, b]) => {
      const shape = broadcastShapes(op, a.shape, b.shape);
      return new Tensor(kernels().binary(op, a.data, a.shape, b.data, b.shape, shape, allocateUnfilled(a.dtype, sizeOf(shape))), shape);
    },
    backward: (gy, [a, b], y) => [
      a.requiresGrad ? sumTo(grads.a(gy, a, b, y), a.shape) : null,
      b.requiresGrad ? sumTo(grads.b(gy, a, b, y), b.shape) : null,
    ],
  });
  return (a: TensorLike, b: TensorLike): Tensor => {
    const [x, y] = operands(op, a, b);
    if (isFloating(x.dtype)) return p.apply([x, y], undefined);
    const int = integerOperands(op, x, y);
    const out = p.apply([int.a, int.b], undefined);
    return int.bool ? cast(out, 'bool') : out;
  };
}

/**
 * maximum's or minimum's derivative in `x` against `y` (Note [kinks]): a constant in their broadcast
 * shape, 0 where y wins, ½ on a tie, 1 where x wins or either is NaN.
 */
function slope(op: 'maximumSlope' | 'minimumSlope', x: Tensor, y: Tensor): Tensor {
  const shape = broadcastShapes(op, x.shape, y.shape);
  return constant(kernels().binary(op, x.data, x.shape, y.data, y.shape, shape, allocateUnfilled(x.dtype, sizeOf(shape))), shape);
}

/** A constant op(x): the piecewise factors of Note [kinks]. */
function mapConstant(x: Tensor, op: UnaryOp): Tensor {
  return constant(kernels().unary(op, x.data, allocateUnfilled(x.dtype, x.size)), x.shape);
}

export const add = binary('add', { a: (gy) => gy, b: (gy) => gy });
export const sub = binary('sub', { a: (gy) => gy, b: (gy) => neg(gy) });
export const mul = binary('mul', { a: (gy, _a, b) => mul(gy, b), b: (gy, a) => mul(gy, a) });
export const div = binary('div', {
  a: (gy, _a, b) => div(gy, b),
  b: (gy, _a, b, y) => neg(div(mul(gy, y), b)),
});

export const pow = binary('pow', {
  a: (gy, a, b) => mul(gy, mul(b, pow(a, sub(b, 1)))),
  // d(a^b)/db = a^b · log a; where a == 0 PyTorch takes 0 rather than 0 · (-inf).
  b: (gy, a, _b, y) =>
    mul(
      gy,
      mul(
        y,
        log(
          add(
            a,
            constant(
              kernels().mapWith(a.data, allocate(a.dtype, a.size), (v) => (v === 0 ? 1 : 0)),
              a.shape,
            ),
          ),
        ),
      ),
    ),
});

export const maximum = binary('maximum', {
  a: (gy, a, b) => mul(gy, slope('maximumSlope', a, b)),
  b: (gy, a, b) => mul(gy, slope('maximumSlope', b, a)),
});

export const minimum = binary('minimum', {
  a: (gy, a, b) => mul(gy, slope('minimumSlope', a, b)),
  b: (gy, a, b) => mul(gy, slope('minimumSlope', b, a)),
});

/**
 * `integers`: what an int32 or bool input does — 'keep' its dtype (neg, abs, relu, as PyTorch), or
 * 'float' it to float32 first (exp, log and the other transcendental maps, as PyTorch promotes them).
 */
export function unary(
  op: UnaryOp & PrimitiveName,
  grad: (gy: Tensor, x: Tensor, y: Tensor) => Tensor,
  integers: 'keep' | 'float' = 'float',
) {
  const p = defineOp(op, {
    forward: ([x]) => new Tensor(kernels().unary(op, x.data, allocateUnfilled(x.dtype, x.size)), x.shape),
    backward: (gy, [x], y) => [grad(gy, x, y)],
  });
  return (x: Tensor): Tensor => {
    if (integers === 'float') return p.apply([toFloating(x)], undefined);
    if (op === 'neg' && x.dtype === 'bool')
      throw new Error(`neg: negating a bool tensor is not supported (x ${fmt(x.shape)} bool); use logicalNot`);
    return p.apply([x], undefined);
  };
}

export const neg = unary('neg', (gy) => neg(gy), 'keep');
export const exp = unary('exp', (gy, _x, y) => mul(gy, y));
export const log = unary('log', (gy, x) => div(gy, x));
export const sqrt = unary('sqrt', (gy, _x, y) => div(gy, mul(y, 2)));
export const abs = unary('abs', (gy, x) => mul(gy, mapConstant(x, 'sign')), 'keep');
/**
 * relu's backward, gy times relu's mask, in one pass instead of a mask and a product. The mask is a
 * constant (Note [kinks]), so the rule's own gradient is the same mask again and none for x.
 */
const reluGradP = defineOp('reluGrad', {
  forward: ([gy, x]) => new Tensor(kernels().maskPositive(gy.data, x.data, allocateUnfilled(gy.dtype, gy.size)), gy.shape),
  backward: (ggx, [gy, x]) => [gy.requiresGrad ? reluGrad(ggx, x) : null, null],
});
const reluGrad = (gy: Tensor, x: Tensor): Tensor => reluGradP.apply([gy, x], undefined);

// relu propagates NaN, and its mask passes the gradient there (src/kernels/js/elementwise.ts UNARY).
export const relu = unary('relu', (gy, x) => reluGrad(gy, x), 'keep');
export const tanh = unary('tanh', (gy, _x, y) => mul(gy, sub(1, mul(y, y))));
export const sigmoid = unary('sigmoid', (gy, _x, y) => mul(gy, mul(y, sub(1, y))));

declare module '../tensor/tensor' {
  interface Tensor {
    add(y: TensorLike): Tensor;
    sub(y: TensorLike): Tensor;
    mul(y: TensorLike): Tensor;
    div(y: TensorLike): Tensor;
    pow(y: TensorLike): Tensor;
    maximum(y: TensorLike): Tensor;
    minimum(y: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    relu(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
  }
}
