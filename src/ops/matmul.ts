/** @file Matrix product: 2-D, and batched over leading axes that broadcast. */
import { defineOp } from './names';
import { kernels } from '../kernels';
import { allocateUnfilled } from '../tensor/dtype';
import { broadcastShapes, broadcastStrides, fmt, sizeOf, stridesOf, tryBroadcastShapes } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { operands } from './operands';
import { sumTo } from './broadcast';
import { add } from './elementwise';
import { reshape } from './shape';

/**
 * Which operands the product reads with their last two axes swapped. The backward's products use
 * it, so they cost no transposed copies: the GEMM kernels read transposed operands directly.
 */
interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
  /** A third input is added to the product (Note [product epilogue]); drawn as "+ addend". */
  plus?: boolean;
}

/*
 * Note [product epilogue]: a linear layer's bias and an attention's additive mask are added to the
 * product inside this primitive — an optional third input, the addend, whose shape (leading 1s
 * aside) is a trailing block of the product's, repeated over its leading axes — instead of by an
 * add of their own. The kernels add it while the product is still in WebAssembly memory, which
 * saves the add kernel's copies of the product in and out and one product-sized allocation (a
 * transformer layer's six biases and its mask). The same roundings as matmul then add: the product
 * is formed first, then fl(y + addend) once per element. The addend's gradient is the add's, gy
 * summed to its shape — PyTorch's addmm and baddbmm.
 */
/**
 * Note [folded batches]: a product of a batched a [..., n, k] with a 2-D b (a linear layer on a
 * sequence, [batch, time, features] @ weightᵀ) is one GEMM of all the batch's rows, [B·n, k] @ [k, m]
 * — a's rows are contiguous — instead of B GEMMs that each copy b into WebAssembly memory again. Its
 * backward's b-gradient is likewise one product, a's rows against gy's ([B·n, k]ᵀ @ [B·n, m]), rather
 * than B per-batch products summed by sumTo. The same dot products either way in the forward (each
 * output is one row of a against one column of b); the b-gradient's float64 sums run in a different
 * order (one long sum over B·n rather than B sums of n).
 */
const matmulP = defineOp<MatmulAttrs | undefined>('matmul', {
  forward: ([a, b, addend], attrs) => {
    const transA = attrs?.transA ?? false;
    const transB = attrs?.transB ?? false;
    const n = a.shape[a.ndim - (transA ? 1 : 2)];
    const k = a.shape[a.ndim - (transA ? 2 : 1)];
    const m = b.shape[b.ndim - (transB ? 2 : 1)];
    const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = allocateUnfilled(a.dtype, sizeOf(batch) * n * m);
    if (b.ndim === 2 && !transA) {
      // Every batch entry's rows in one GEMM (Note [folded batches]).
      kernels().gemm(a.data, 0, b.data, 0, out, 0, sizeOf(batch) * n, k, m, false, false, transB, addend?.data ?? null);
      return new Tensor(out, [...batch, n, m]);
    }
    const sa = broadcastStrides(a.shape.slice(0, -2), batch);
    const sb = broadcastStrides(b.shape.slice(0, -2), batch);
    const so = stridesOf(batch);
    const count = sizeOf(batch);
    const aOffsets = new Array<number>(count);
    const bOffsets = new Array<number>(count);
    for (let t = 0; t < count; t++) {
      let ia = 0;
      let ib = 0;
      for (let d = 0, r = t; d < batch.length; d++) {
        const i = Math.floor(r / so[d]);
        r -= i * so[d];
        ia += i * sa[d];
        ib += i * sb[d];
      }
      aOffsets[t] = ia * n * k;
      bOffsets[t] = ib * k * m;
    }
    // Note [batched products]: one call for the whole batch, so the WebAssembly kernels copy each
    // operand in and the result out once (attention's products are 64 small GEMMs a layer), not once
    // per entry. The same products, entry by entry.
    kernels().gemmBatched(a.data, aOffsets, b.data, bOffsets, out, n, k, m, transA, transB, addend?.data ?? null);
    return new Tensor(out, [...batch, n, m]);
  },
  // With y = op(a) @ op(b): d op(a) = gy @ op(b)ᵀ and d op(b) = op(a)ᵀ @ gy, transposed back where op transposed.
  backward: (gy, [a, b, addend], _y, attrs) => {
    const transA = attrs?.transA ?? false;
    const transB = attrs?.transB ?? false;
    const grads = [
      a.requiresGrad ? sumTo(transA ? product(b, gy, transB, true) : product(gy, b, false, !transB), a.shape) : null,
      b.requiresGrad ? weightGrad(gy, a, b, transA, transB) : null,
    ];
    // The addend's, as an add's (Note [product epilogue]).
    if (addend !== undefined) grads.push(addend.requiresGrad ? sumTo(gy, addend.shape) : null);
    return grads;
  },
  describe: (attrs) =>
    attrs === undefined
      ? ''
      : [attrs.transA ? 'transA' : '', attrs.transB ? 'transB' : '', attrs.plus ? '+ addend' : ''].filter((s) => s).join(' '),
});

/** b's gradient: op(a)ᵀ @ gy summed to b's shape; for a 2-D b under a batched a, one product of all rows (Note [folded batches]). */
function weightGrad(gy: Tensor, a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  if (b.ndim === 2 && a.ndim > 2 && !transA) {
    const rows = (t: Tensor) => reshape(t, [sizeOf(t.shape.slice(0, -1)), t.shape[t.ndim - 1]]);
    return transB ? product(rows(gy), rows(a), true, false) : product(rows(a), rows(gy), true, false);
  }
  return sumTo(transB ? product(gy, a, true, transA) : product(a, gy, !transA, false), b.shape);
}

/** op(a) @ op(b) as one recorded product (no transposed copies). */
export function product(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  return matmulP.apply([a, b], transA || transB ? { transA, transB } : undefined);
}

/**
 * op(a) @ op(b) + addend as one recorded product (Note [product epilogue]), or null when the addend
 * does not qualify — another dtype than the product's, or a shape that is not a trailing block of the
 * product's repeated over its leading axes — and the caller adds it the ordinary way. a and b share
 * a float dtype and their batch axes broadcast (the callers checked).
 */
export function productPlus(a: Tensor, b: Tensor, transA: boolean, transB: boolean, addend: Tensor): Tensor | null {
  if (addend.dtype !== a.dtype || a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'float64')) return null;
  const n = a.shape[a.ndim - (transA ? 1 : 2)];
  const m = b.shape[b.ndim - (transB ? 2 : 1)];
  const batch = tryBroadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (batch === null) return null;
  const outShape = [...batch, n, m];
  // The product keeps its own shape; an addend with more axes than it has would widen an add's.
  if (addend.ndim > outShape.length) return null;
  let lead = 0;
  while (lead < addend.ndim && addend.shape[lead] === 1) lead++;
  const block = addend.shape.slice(lead);
  const tail = outShape.slice(outShape.length - block.length);
  if (sizeOf(block) === 0 || block.some((size, d) => size !== tail[d])) return null;
  return matmulP.apply([a, b, addend], { transA, transB, plus: true });
}

/**
 * a @ b for [..., n, k] @ [..., k, m], the leading axes broadcasting. A 1-D operand is treated as a
 * row (left) or column (right) vector and that axis is dropped from the result, as in NumPy.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dtype === 'bool' || b.dtype === 'bool') {
    throw new Error(`matmul: bool tensors are not supported (a ${fmt(a.shape)} ${a.dtype}, b ${fmt(b.shape)} ${b.dtype})`);
  }
  [a, b] = operands('matmul', a, b);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new Error(`matmul: both operands need at least one dimension, got ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  }
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
  if (a2.shape[a2.ndim - 1] !== b2.shape[b2.ndim - 2]) {
    throw new Error(`matmul: inner dimensions do not match: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  }
  if (tryBroadcastShapes(a2.shape.slice(0, -2), b2.shape.slice(0, -2)) === null) {
    throw new Error(`matmul: batch dimensions do not broadcast: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  }
  const y = matmulP.apply([a2, b2], undefined);
  if (a.ndim > 1 && b.ndim > 1) return y;
  const shape = [...y.shape];
  if (b.ndim === 1) shape.pop();
  if (a.ndim === 1) shape.splice(shape.length - (b.ndim === 1 ? 1 : 2), 1);
  return reshape(y, shape);
}

/**
 * a @ bᵀ for a [..., n, k] and b [m, k] stored as it is (a linear layer's weight): the product reads
 * b transposed, with no transposed copy of it in the forward or the backward. With an `addend` (the
 * layer's bias), a @ bᵀ + addend: inside the product when it qualifies (Note [product epilogue]), an
 * add after it when it does not.
 */
export function matmulTransposed(a: Tensor, b: Tensor, addend: Tensor | null = null): Tensor {
  [a, b] = operands('matmul', a, b);
  if (b.ndim !== 2 || a.ndim === 0 || a.shape[a.ndim - 1] !== b.shape[1]) {
    throw new Error(`matmul: inner dimensions do not match: ${fmt(a.shape)} @ ${fmt(b.shape)}ᵀ`);
  }
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
  // A 1-d a drops the product's row axis, which an addend with as many axes as the product would keep.
  const fused = addend !== null && addend.ndim <= a.ndim ? productPlus(a2, b, false, true, addend) : null;
  const y = fused ?? product(a2, b, false, true);
  const shaped = a.ndim === 1 ? reshape(y, [b.shape[0]]) : y;
  return addend === null || fused !== null ? shaped : add(shaped, addend);
}

declare module '../tensor/tensor' {
  interface Tensor {
    matmul(b: Tensor): Tensor;
  }
}
