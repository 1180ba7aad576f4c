/**
 * @file Elementwise primitives. Binary ops broadcast with NumPy rules.
 *
 * Note [broadcast reduction]: a binary rule returns gradients in the output's (broadcast) shape and
 * `binary()` sums each back to its input's shape with `sumTo` — the one place that reduction lives,
 * so each rule reads like the math.
 *
 * Note [kinks]: as in PyTorch, relu'(0) = 0, abs'(0) = 0, and maximum/minimum split the gradient
 * equally between tied inputs. Such piecewise factors are constants (masks), whose own derivative
 * is zero almost everywhere, so higher-order gradients stay right.
 */
import { definePrimitive } from '../autograd/primitive';
import * as kernels from '../kernels/elementwise';
import { allocate } from '../tensor/dtype';
import { broadcastShapes, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { installMethods } from './methods';
import { constant, operands, TensorLike } from './operands';
import { sumTo } from './reduce';

/** d(loss)/da and d(loss)/db from gy, in the output's shape; each runs only when its input needs it. */
interface BinaryGrads {
  a: (gy: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor;
  b: (gy: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor;
}

function binaryForward(op: string, a: Tensor, b: Tensor, f: (x: number, y: number) => number, fast?: kernels.FastBinary): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = allocate(a.dtype, sizeOf(shape));
  kernels.binary(a.data, a.shape, b.data, b.shape, shape, out, f, fast);
  return new Tensor(out, shape);
}

/** `fast`: the kernel's WebAssembly version of f, if it has one (src/kernels/elementwise.ts). */
function binary(op: string, f: (x: number, y: number) => number, grads: BinaryGrads, fast?: kernels.FastBinary) {
  const p = definePrimitive(op, {
    forward: ([a, b]) => binaryForward(op, a, b, f, fast),
    backward: (gy, [a, b], y) => [
      a.requiresGrad ? sumTo(grads.a(gy, a, b, y), a.shape) : null,
      b.requiresGrad ? sumTo(grads.b(gy, a, b, y), b.shape) : null,
    ],
  });
  return (a: TensorLike, b: TensorLike): Tensor => p.apply(operands(op, a, b), undefined);
}

/** A constant in the broadcast shape of a and b, computed from their values. */
function maskOf(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const m = binaryForward('mask', a, b, f);
  return constant(m.data, m.shape);
}

function mapConstant(x: Tensor, f: (v: number) => number, fast?: kernels.FastUnary): Tensor {
  return constant(kernels.map(x.data, allocate(x.dtype, x.size), f, fast), x.shape);
}

export const add = binary('add', (x, y) => x + y, { a: (gy) => gy, b: (gy) => gy }, 'add');
export const sub = binary('sub', (x, y) => x - y, { a: (gy) => gy, b: (gy) => neg(gy) }, 'sub');
export const mul = binary('mul', (x, y) => x * y, { a: (gy, _a, b) => mul(gy, b), b: (gy, a) => mul(gy, a) }, 'mul');
export const div = binary('div', (x, y) => x / y, {
  a: (gy, _a, b) => div(gy, b),
  b: (gy, _a, b, y) => neg(div(mul(gy, y), b)),
}, 'div');

export const pow = binary('pow', Math.pow, {
  a: (gy, a, b) => mul(gy, mul(b, pow(a, sub(b, 1)))),
  // d(a^b)/db = a^b · log a; where a == 0 PyTorch takes 0 rather than 0 · (-inf).
  b: (gy, a, _b, y) => mul(gy, mul(y, log(add(a, mapConstant(a, (v) => (v === 0 ? 1 : 0)))))),
});

export const maximum = binary('maximum', (x, y) => (x > y || x !== x ? x : y), {
  a: (gy, a, b) => mul(gy, maskOf(a, b, (x, y) => (x > y ? 1 : x === y ? 0.5 : 0))),
  b: (gy, a, b) => mul(gy, maskOf(a, b, (x, y) => (y > x ? 1 : x === y ? 0.5 : 0))),
});

export const minimum = binary('minimum', (x, y) => (x < y || x !== x ? x : y), {
  a: (gy, a, b) => mul(gy, maskOf(a, b, (x, y) => (x < y ? 1 : x === y ? 0.5 : 0))),
  b: (gy, a, b) => mul(gy, maskOf(a, b, (x, y) => (y < x ? 1 : x === y ? 0.5 : 0))),
});

function unary(op: string, f: (v: number) => number, grad: (gy: Tensor, x: Tensor, y: Tensor) => Tensor, fast?: kernels.FastUnary) {
  const p = definePrimitive(op, {
    forward: ([x]) => new Tensor(kernels.map(x.data, allocate(x.dtype, x.size), f, fast), x.shape),
    backward: (gy, [x], y) => [grad(gy, x, y)],
  });
  return (x: Tensor): Tensor => p.apply([x], undefined);
}

/** 1 / (1 + e^-v) without overflow for large |v|. */
function stableSigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

export const neg = unary('neg', (v) => -v, (gy) => neg(gy));
export const exp = unary('exp', Math.exp, (gy, _x, y) => mul(gy, y));
export const log = unary('log', Math.log, (gy, x) => div(gy, x));
export const sqrt = unary('sqrt', Math.sqrt, (gy, _x, y) => div(gy, mul(y, 2)));
export const abs = unary('abs', Math.abs, (gy, x) => mul(gy, mapConstant(x, Math.sign)));
export const relu = unary('relu', (v) => (v > 0 ? v : 0), (gy, x) => mul(gy, mapConstant(x, (v) => (v > 0 ? 1 : 0), 'positive')), 'relu');
export const tanh = unary('tanh', Math.tanh, (gy, _x, y) => mul(gy, sub(1, mul(y, y))));
export const sigmoid = unary('sigmoid', stableSigmoid, (gy, _x, y) => mul(gy, mul(y, sub(1, y))));

installMethods({ add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, abs, relu, tanh, sigmoid });

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
