/** @file Matrix product: 2-D, and batched over leading axes that broadcast. */
import { definePrimitive } from '../autograd/primitive';
import { broadcastStrides } from '../kernels/elementwise';
import { gemm } from '../kernels/matmul';
import { allocate } from '../tensor/dtype';
import { broadcastShapes, fmt, sizeOf, stridesOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { installMethods } from './methods';
import { operands } from './operands';
import { sumTo } from './reduce';
import { reshape, transposeLast2 } from './shape';

const matmulP = definePrimitive('matmul', {
  forward: ([a, b]) => {
    const n = a.shape[a.ndim - 2];
    const k = a.shape[a.ndim - 1];
    const m = b.shape[b.ndim - 1];
    const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = allocate(a.dtype, sizeOf(batch) * n * m);
    const sa = broadcastStrides(a.shape.slice(0, -2), batch);
    const sb = broadcastStrides(b.shape.slice(0, -2), batch);
    const so = stridesOf(batch);
    for (let t = 0; t < sizeOf(batch); t++) {
      let ia = 0;
      let ib = 0;
      for (let d = 0, r = t; d < batch.length; d++) {
        const i = Math.floor(r / so[d]);
        r -= i * so[d];
        ia += i * sa[d];
        ib += i * sb[d];
      }
      gemm(a.data, ia * n * k, b.data, ib * k * m, out, t * n * m, n, k, m);
    }
    return new Tensor(out, [...batch, n, m]);
  },
  backward: (gy, [a, b]) => [
    a.requiresGrad ? sumTo(matmul(gy, transposeLast2(b)), a.shape) : null,
    b.requiresGrad ? sumTo(matmul(transposeLast2(a), gy), b.shape) : null,
  ],
});

/**
 * a @ b for [..., n, k] @ [..., k, m], the leading axes broadcasting. A 1-D operand is treated as a
 * row (left) or column (right) vector and that axis is dropped from the result, as in NumPy.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  [a, b] = operands('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both operands need at least one dimension, got ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  }
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
  if (a2.shape[a2.ndim - 1] !== b2.shape[b2.ndim - 2]) {
    throw new Error(`matmul: inner dimensions do not match: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  }
  broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const y = matmulP.apply([a2, b2], undefined);
  if (a.ndim > 1 && b.ndim > 1) return y;
  const shape = [...y.shape];
  if (b.ndim === 1) shape.pop();
  if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
  return reshape(y, shape);
}

installMethods({ matmul });

declare module '../tensor/tensor' {
  interface Tensor {
    matmul(b: Tensor): Tensor;
  }
}
