/**
 * @file Layers as functions (SPEC §4): linear, dropout and batchNorm, each a composition of
 * primitives with no backward code of its own.
 */
import { noGrad } from '../autograd/mode';
import { defaultRng, Rng } from '../random/rng';
import { allocate } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add, div, mul, sqrt, sub } from './elementwise';
import { matmul } from './matmul';
import { installMethods } from './methods';
import { constant } from './operands';
import { mean } from './reduce';
import { reshape, transpose } from './shape';

/** x @ weight^T + bias, for x [..., in], weight [out, in], bias [out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const shapes = `(input ${fmt(x.shape)}, weight ${fmt(weight.shape)}${bias ? `, bias ${fmt(bias.shape)}` : ''})`;
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-d [out,in] ${shapes}`);
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== weight.shape[1]) {
    throw new Error(`linear: input features ${x.ndim === 0 ? 'missing' : x.shape[x.ndim - 1]} do not match weight in-features ${weight.shape[1]} ${shapes}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new Error(`linear: bias must be [${weight.shape[0]}] to match weight out-features ${shapes}`);
  }
  const y = matmul(x, transpose(weight));
  return bias ? add(y, bias) : y;
}

export interface DropoutOptions {
  training?: boolean;
  rng?: Rng;
}

/**
 * Inverted dropout: each element is zeroed with probability p and the kept ones are scaled by
 * 1/(1-p), so E[y] = x and evaluation needs no rescaling. The mask is a constant, so the gradient
 * flows through exactly the elements that were kept, scaled the same way.
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: probability p must be in [0,1], got ${p} (input ${fmt(x.shape)})`);
  if (!(opts.training ?? true) || p === 0) return x;
  const g = opts.rng ?? defaultRng();
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const mask = allocate(x.dtype, x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = g.next() < p ? 0 : scale;
  return mul(x, constant(mask, x.shape));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over every axis but the channel axis 1, with PyTorch's semantics: in training
 * (and in eval mode when there are no running statistics) x is normalised with the batch mean and
 * the biased batch variance; in training the running statistics are updated in place with
 * running = (1 - momentum)·running + momentum·batch, using the UNBIASED variance.
 */
export function batchNorm(x: Tensor, opts: BatchNormOptions = {}): Tensor {
  if (x.ndim < 2 || x.ndim > 4) {
    throw new Error(`batchNorm: expected input [N,C], [N,C,L] or [N,C,H,W], got ${fmt(x.shape)}`);
  }
  const { weight, bias, runningMean, runningVar } = opts;
  const training = opts.training ?? true;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const channels = x.shape[1];
  const statShape = x.shape.map((n, d) => (d === 1 ? n : 1));
  const axes = x.shape.map((_, d) => d).filter((d) => d !== 1);
  const perChannel = (name: string, t: Tensor | null | undefined): Tensor | null => {
    if (!t) return null;
    if (t.ndim !== 1 || t.shape[0] !== channels) {
      throw new Error(`batchNorm: ${name} of shape ${fmt(t.shape)} does not match the ${channels} channels of input ${fmt(x.shape)}`);
    }
    return reshape(t, statShape);
  };
  const w = perChannel('weight', weight);
  const b = perChannel('bias', bias);
  const rm = perChannel('runningMean', runningMean);
  const rv = perChannel('runningVar', runningVar);
  if ((rm === null) !== (rv === null)) {
    throw new Error(`batchNorm: pass both runningMean and runningVar or neither (input ${fmt(x.shape)})`);
  }
  if (!(eps >= 0)) throw new Error(`batchNorm: eps must be non-negative, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm: momentum must be in [0,1], got ${momentum}`);

  let xhat: Tensor;
  if (training || rm === null || rv === null) {
    const count = x.size / channels;
    if (training && count <= 1) {
      throw new Error(`batchNorm: expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
    }
    const mu = mean(x, axes, true);
    const centered = sub(x, mu);
    const variance = mean(mul(centered, centered), axes, true);
    xhat = div(centered, sqrt(add(variance, eps)));
    if (training && runningMean && runningVar) {
      noGrad(() => {
        runningMean.data.set(add(mul(runningMean, 1 - momentum), mul(reshape(mu, [channels]), momentum)).data);
        const unbiased = mul(reshape(variance, [channels]), count / (count - 1));
        runningVar.data.set(add(mul(runningVar, 1 - momentum), mul(unbiased, momentum)).data);
      });
    }
  } else {
    xhat = div(sub(x, rm), sqrt(add(rv, eps)));
  }
  const scaled = w ? mul(xhat, w) : xhat;
  return b ? add(scaled, b) : scaled;
}

installMethods({ linear, dropout, batchNorm });

declare module '../tensor/tensor' {
  interface Tensor {
    linear(weight: Tensor, bias?: Tensor | null): Tensor;
    dropout(p: number, opts?: DropoutOptions): Tensor;
    batchNorm(opts?: BatchNormOptions): Tensor;
  }
}
