/**
 * @file LayerNorm, GroupNorm, InstanceNorm1d and InstanceNorm2d: modules over the functions in
 * src/ops/norms.ts with PyTorch's parameters (weight ones, bias zeros), buffers and printing.
 */
import { groupNorm, instanceNorm, layerNorm } from '../ops/norms';
import { reshape } from '../ops/shape';
import { ones, zeros } from '../tensor/create';
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Module, ModuleOptions, parameter } from './module';
import { pyBool, pyFloat, pyTuple } from './repr';

export interface LayerNormLayerOptions extends ModuleOptions {
  eps?: number;
  /** Learnable weight (ones) and bias (zeros) of normalizedShape; default true. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, whether there is a bias; default true. */
  bias?: boolean;
}

/** Normalises over the trailing `normalizedShape` axes (torch.nn.LayerNorm). */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormLayerOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0 || !this.normalizedShape.every((n) => Number.isInteger(n) && n > 0)) {
      throw new Error(`LayerNorm: normalizedShape must be positive sizes, got ${JSON.stringify(normalizedShape)}`);
    }
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? parameter(ones(this.normalizedShape, { dtype: opts.dtype })) : null;
    this.bias = affine && (opts.bias ?? true) ? parameter(zeros(this.normalizedShape, { dtype: opts.dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    if (x.ndim < k || !sameShape(x.shape.slice(x.ndim - k), this.normalizedShape)) {
      throw new Error(`LayerNorm: input ${fmt(x.shape)} does not end with normalizedShape ${fmt(this.normalizedShape)}`);
    }
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.weight !== null)}`;
  }
}

export interface GroupNormLayerOptions extends ModuleOptions {
  eps?: number;
  /** Learnable per-channel weight (ones) and bias (zeros); default true. */
  affine?: boolean;
}

/** Normalises groups of channels (torch.nn.GroupNorm). */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    opts: GroupNormLayerOptions = {},
  ) {
    super();
    if (!Number.isInteger(numGroups) || numGroups < 1 || !Number.isInteger(numChannels) || numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    }
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? true;
    this.weight = affine ? parameter(ones([numChannels], { dtype: opts.dtype })) : null;
    this.bias = affine ? parameter(zeros([numChannels], { dtype: opts.dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 2 || x.shape[1] !== this.numChannels) {
      throw new Error(`GroupNorm: expected input [N,${this.numChannels},...], got ${fmt(x.shape)}`);
    }
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.weight !== null)}`;
  }
}

export interface InstanceNormLayerOptions extends ModuleOptions {
  eps?: number;
  momentum?: number;
  /** Learnable per-channel weight and bias; default false, as PyTorch. */
  affine?: boolean;
  /** Keep running statistics, used in eval mode; default false, as PyTorch. */
  trackRunningStats?: boolean;
}

abstract class InstanceNorm extends Module {
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  /** The running statistics under PyTorch's names (state-dict keys `running_mean`, ...; Note [state dict names]). */
  readonly running_mean!: Tensor | null;
  readonly running_var!: Tensor | null;
  /** PyTorch keeps this buffer for instance norm too, and never advances it. */
  readonly num_batches_tracked!: Tensor | null;

  constructor(
    readonly numFeatures: number,
    opts: InstanceNormLayerOptions,
    private readonly spatialDims: number,
    private readonly inputNames: string,
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new Error(`${this.constructor.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    }
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    const affine = opts.affine ?? false;
    this.weight = affine ? parameter(ones([numFeatures], { dtype: opts.dtype })) : null;
    this.bias = affine ? parameter(zeros([numFeatures], { dtype: opts.dtype })) : null;
    const track = opts.trackRunningStats ?? false;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype: opts.dtype }) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures], { dtype: opts.dtype }) : null);
    this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int32' }) : null);
  }

  /** The running mean under its earlier name. */
  get runningMean(): Tensor | null {
    return this.running_mean;
  }

  /** The running variance under its earlier name. */
  get runningVar(): Tensor | null {
    return this.running_var;
  }

  protected override legacyStateDictNames(): Record<string, { name?: string; absentIn?: ArrayLike<number> }> {
    return { running_mean: { name: 'runningMean' }, running_var: { name: 'runningVar' }, num_batches_tracked: { absentIn: [0] } };
  }

  forward(x: Tensor): Tensor {
    const d = this.spatialDims;
    const unbatched = x.ndim === d + 1;
    if ((x.ndim !== d + 2 && !unbatched) || x.shape[unbatched ? 0 : 1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}: expected input ${this.inputNames} with C = ${this.numFeatures}, got ${fmt(x.shape)}`);
    }
    const x4 = unbatched ? reshape(x, [1, ...x.shape]) : x;
    const track = this.running_mean !== null;
    const y = instanceNorm(x4, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.running_mean,
      runningVar: this.running_var,
      useInputStats: this.training || !track,
      momentum: this.momentum,
      eps: this.eps,
    });
    return unbatched ? reshape(y, x.shape) : y;
  }

  override extraRepr(): string {
    return (
      `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, ` +
      `affine=${pyBool(this.weight !== null)}, track_running_stats=${pyBool(this.running_mean !== null)}`
    );
  }
}

/** Instance norm over [N,C,L] (or unbatched [C,L]). */
export class InstanceNorm1d extends InstanceNorm {
  constructor(numFeatures: number, opts: InstanceNormLayerOptions = {}) {
    super(numFeatures, opts, 1, '[N,C,L] or [C,L]');
  }
}

/** Instance norm over [N,C,H,W] (or unbatched [C,H,W]). */
export class InstanceNorm2d extends InstanceNorm {
  constructor(numFeatures: number, opts: InstanceNormLayerOptions = {}) {
    super(numFeatures, opts, 2, '[N,C,H,W] or [C,H,W]');
  }
}
