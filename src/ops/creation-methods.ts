/** @file The declarations of the creation functions that take a tensor first as Tensor methods (`x.zerosLike()`, `p.bernoulli()`; installed in tensor-methods.ts). */
import type { RandomOptions, TensorOptions } from '../tensor/create';
import type { MultinomialOptions, RngOptions } from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';

declare module '../tensor/tensor' {
  interface Tensor {
    zerosLike(opts?: Omit<TensorOptions, 'shape'>): Tensor;
    onesLike(opts?: Omit<TensorOptions, 'shape'>): Tensor;
    fullLike(value: number | boolean, opts?: Omit<TensorOptions, 'shape'>): Tensor;
    randnLike(opts?: RandomOptions): Tensor;
    randLike(opts?: RandomOptions): Tensor;
    bernoulli(opts?: RngOptions): Tensor;
    multinomial(numSamples: number, opts?: MultinomialOptions): Tensor;
  }
}
