/** @file The creation functions that take a tensor first, as Tensor methods (`x.zerosLike()`, `p.bernoulli()`). */
import type { RandomOptions, TensorOptions } from '../tensor/create';
import {
  bernoulli,
  fullLike,
  multinomial,
  MultinomialOptions,
  onesLike,
  randLike,
  randnLike,
  RngOptions,
  zerosLike,
} from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';
import { installMethods } from './methods';

installMethods({ zerosLike, onesLike, fullLike, randnLike, randLike, bernoulli, multinomial });

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
