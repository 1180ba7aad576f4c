/**
 * @file Loss modules named as PyTorch names them (SPEC §15): each holds its function's options and
 * its `forward(input, target)` calls the function. Class weights and posWeight are buffers, as in
 * PyTorch (they are in the state dict), and follow `module.to(dtype)`.
 */
import { mseLoss, Targets } from '../ops/loss';
import {
  bceLoss,
  BceWithLogitsOptions,
  bceWithLogits,
  ClassLossOptions,
  cosineEmbeddingLoss,
  cosineSimilarity,
  crossEntropy,
  CrossEntropyOptions,
  HuberOptions,
  huberLoss,
  KlDivOptions,
  klDiv,
  l1Loss,
  LossReductionOptions,
  MarginOptions,
  marginRankingLoss,
  nllLoss,
  SmoothL1Options,
  smoothL1Loss,
  TripletMarginOptions,
  tripletMarginLoss,
  WeightedLossOptions,
} from '../ops/losses';
import { allocate } from '../tensor/dtype';
import { Tensor } from '../tensor/tensor';
import { Module, ModuleOptions } from './module';

type Options<T> = T & ModuleOptions;

/** A class-weight buffer in the module's dtype when one is given (a copy: the caller's tensor is left alone). */
function buffer(t: Tensor | null | undefined, dtype: ModuleOptions['dtype']): Tensor | null {
  if (t === null || t === undefined) return null;
  if (dtype === undefined || t.dtype === dtype) return t;
  const data = allocate(dtype, t.size);
  data.set(t.data);
  return new Tensor(data, t.shape);
}

/** Options without the tensors, which the loss modules keep as buffers. */
function plain<T extends object>(opts: T): T {
  const {
    dtype: _dtype,
    rng: _rng,
    weight: _weight,
    posWeight: _posWeight,
    ...rest
  } = opts as T & ModuleOptions & { weight?: unknown; posWeight?: unknown };
  return rest as T;
}

export class CrossEntropyLoss extends Module<Tensor, Tensor> {
  readonly weight!: Tensor | null;
  constructor(readonly opts: Options<CrossEntropyOptions> = {}) {
    super();
    this.registerBuffer('weight', buffer(opts.weight, opts.dtype));
  }
  forward(input: Tensor, target: Targets): Tensor {
    return crossEntropy(input, target, { ...plain(this.opts), weight: this.weight });
  }
}

export class NLLLoss extends Module<Tensor, Tensor> {
  readonly weight!: Tensor | null;
  constructor(readonly opts: Options<ClassLossOptions> = {}) {
    super();
    this.registerBuffer('weight', buffer(opts.weight, opts.dtype));
  }
  forward(input: Tensor, target: Targets): Tensor {
    return nllLoss(input, target, { ...plain(this.opts), weight: this.weight });
  }
}

export class BCELoss extends Module<Tensor, Tensor> {
  readonly weight!: Tensor | null;
  constructor(readonly opts: Options<WeightedLossOptions> = {}) {
    super();
    this.registerBuffer('weight', buffer(opts.weight, opts.dtype));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return bceLoss(input, target, { ...plain(this.opts), weight: this.weight });
  }
}

export class BCEWithLogitsLoss extends Module<Tensor, Tensor> {
  readonly weight!: Tensor | null;
  /** PyTorch's buffer name (state-dict key `pos_weight`). */
  readonly pos_weight!: Tensor | null;
  constructor(readonly opts: Options<BceWithLogitsOptions> = {}) {
    super();
    this.registerBuffer('weight', buffer(opts.weight, opts.dtype));
    this.registerBuffer('pos_weight', buffer(opts.posWeight, opts.dtype));
  }
  get posWeight(): Tensor | null {
    return this.pos_weight;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return bceWithLogits(input, target, { ...plain(this.opts), weight: this.weight, posWeight: this.posWeight });
  }
}

export class MSELoss extends Module<Tensor, Tensor> {
  constructor(readonly opts: Options<LossReductionOptions> = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, plain(this.opts));
  }
}

export class L1Loss extends Module<Tensor, Tensor> {
  constructor(readonly opts: Options<LossReductionOptions> = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, plain(this.opts));
  }
}

export class SmoothL1Loss extends Module<Tensor, Tensor> {
  constructor(readonly opts: Options<SmoothL1Options> = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, plain(this.opts));
  }
}

export class HuberLoss extends Module<Tensor, Tensor> {
  constructor(readonly opts: Options<HuberOptions> = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, plain(this.opts));
  }
}

export class KLDivLoss extends Module<Tensor, Tensor> {
  constructor(readonly opts: Options<KlDivOptions> = {}) {
    super();
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, plain(this.opts));
  }
}

export class CosineEmbeddingLoss extends Module<Tensor, Tensor> {
  constructor(readonly opts: Options<MarginOptions> = {}) {
    super();
  }
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return cosineEmbeddingLoss(x1, x2, y, plain(this.opts));
  }
}

export class MarginRankingLoss extends Module<Tensor, Tensor> {
  constructor(readonly opts: Options<MarginOptions> = {}) {
    super();
  }
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return marginRankingLoss(x1, x2, y, plain(this.opts));
  }
}

export class TripletMarginLoss extends Module<Tensor, Tensor> {
  constructor(readonly opts: Options<TripletMarginOptions> = {}) {
    super();
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginLoss(anchor, positive, negative, plain(this.opts));
  }
}

/**
 * cosineSimilarity(x1, x2, axis, eps) as a module: `{axis = 1, eps = 1e-8}`, or the function's
 * positional arguments, `new CosineSimilarity(0, 1e-6)`, as PyTorch's `nn.CosineSimilarity(dim, eps)`.
 */
export class CosineSimilarity extends Module<Tensor, Tensor> {
  readonly axis: number;
  readonly eps: number;
  constructor(axisOrOpts: number | Options<{ axis?: number; eps?: number }> = {}, eps?: number | ModuleOptions, _opts: ModuleOptions = {}) {
    super();
    const opts = typeof axisOrOpts === 'number' ? { axis: axisOrOpts, eps: typeof eps === 'number' ? eps : undefined } : axisOrOpts;
    this.axis = opts.axis ?? 1;
    this.eps = opts.eps ?? 1e-8;
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return cosineSimilarity(x1, x2, this.axis, this.eps);
  }
}
