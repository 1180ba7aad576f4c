/**
 * @file embedding (SPEC §15): rows of a weight table picked by int32 indices, through the flat-index
 * gather, whose backward (a scatter-add) accumulates the gradient of repeated indices.
 *
 * Note [padding row]: PyTorch's paddingIdx row takes no gradient, yet its value is still looked up
 * (it is zero only as initialised). The lookups at padding positions therefore read the table behind
 * stopGradient and the others read it directly; a constant mask picks, per position, which of the
 * two gathers holds — so the padding row gets exactly zero gradient, at every order.
 */
import { allocate } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkTensor } from './arguments';
import { add, mul } from './elementwise';
import { gatherFlat } from './flat-index';
import { constant, stopGradient } from './operands';

export interface EmbeddingOptions {
  /** The row that receives no gradient (negative counts from the end). */
  paddingIdx?: number | null;
}

/**
 * weight [num, dim] looked up at int32 indices of any shape: the result is [...indices.shape, dim].
 * @example tg.embedding(tg.tensor([[0, 2]], { dtype: 'int32' }), w)   // w [3,4] -> [1,2,4]
 */
export function embedding(indices: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  checkTensor('embedding', 'indices', indices);
  checkTensor('embedding', 'weight', weight);
  if (indices.dtype !== 'int32') {
    throw new Error(`embedding: indices must be an int32 tensor, got ${indices.dtype} ${fmt(indices.shape)} (weight ${fmt(weight.shape)})`);
  }
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be [num, dim], got ${fmt(weight.shape)} (indices ${fmt(indices.shape)})`);
  const [num, dim] = weight.shape;
  let pad: number | null = opts.paddingIdx ?? null;
  if (pad !== null) {
    if (!Number.isInteger(pad) || pad < -num || pad >= num) {
      throw new Error(`embedding: paddingIdx ${pad} is out of range for ${num} embeddings (weight ${fmt(weight.shape)})`);
    }
    if (pad < 0) pad += num;
  }
  const n = indices.size;
  const flat = new Int32Array(n * dim);
  let padded = 0;
  for (let i = 0; i < n; i++) {
    const k = indices.data[i];
    if (k < 0 || k >= num) {
      throw new Error(
        `embedding: index ${k} is out of range for ${num} embeddings (indices ${fmt(indices.shape)}, weight ${fmt(weight.shape)})`,
      );
    }
    if (k === pad) padded++;
    for (let j = 0; j < dim; j++) flat[i * dim + j] = k * dim + j;
  }
  const shape = [...indices.shape, dim];
  const y = gatherFlat(weight, flat, shape);
  if (padded === 0 || !weight.requiresGrad) return y;
  // Note [padding row].
  const keep = allocate(weight.dtype, n * dim);
  for (let i = 0; i < n; i++) if (indices.data[i] !== pad) keep.fill(1, i * dim, (i + 1) * dim);
  const drop = allocate(weight.dtype, n * dim).map((_, i) => 1 - keep[i]);
  return add(mul(y, constant(keep, shape)), mul(gatherFlat(stopGradient(weight), flat, shape), constant(drop, shape)));
}

declare module '../tensor/tensor' {
  interface Tensor {
    embedding(weight: Tensor, opts?: EmbeddingOptions): Tensor;
  }
}
