/**
 * @file The fully connected, regularising and activation layers, and Sequential: thin modules over
 * the functional ops, with PyTorch's defaults and initialisation.
 */
import { Rng } from '../random/rng';
import { ones, zeros } from '../tensor/create';
import { DType } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { relu, sigmoid, tanh } from '../ops/elementwise';
import { dropout, linear } from '../ops/layers';
import { batchNorm } from '../ops/normalization';
import { flatten } from '../ops/shape';
import { biasBound, InitOptions, kaimingUniformBound, uniformParameter } from './init';
import { Module, ModuleOptions, parameter } from './module';
import { pyBool, pyFloat } from './repr';

export interface LinearOptions extends InitOptions {
  bias?: boolean;
}

/** y = x @ weight^T + bias, weight [out, in]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    checkCount('Linear', 'inFeatures', inFeatures);
    checkCount('Linear', 'outFeatures', outFeatures);
    this.weight = uniformParameter([outFeatures, inFeatures], kaimingUniformBound(inFeatures), opts);
    this.bias = (opts.bias ?? true) ? uniformParameter([outFeatures], biasBound(inFeatures), opts) : null;
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** Inverted dropout while training; the identity after eval(). */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    private readonly opts: ModuleOptions = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability p must be in [0,1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, rng: this.opts.rng });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}

export interface BatchNormLayerOptions {
  eps?: number;
  /** Default 0.1; null: the cumulative average of every batch so far, as PyTorch's momentum=None. */
  momentum?: number | null;
  /** Learnable per-channel weight (ones) and bias (zeros); default true. */
  affine?: boolean;
  /** Keep running statistics for eval mode; default true. */
  trackRunningStats?: boolean;
  dtype?: DType;
  rng?: Rng;
}

/**
 * Batch norm's state, under PyTorch's names (so state-dict keys are `bn.running_mean`, as torch
 * writes them): the learnable `weight` and `bias`, and the buffers `running_mean`, `running_var`
 * and `num_batches_tracked` (the number of training batches seen, which a null momentum turns into
 * the cumulative average's weight 1/n). Files from before the rename, with `runningMean` and
 * `runningVar`, still load (Note [state dict names]).
 */
abstract class BatchNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly running_mean!: Tensor | null;
  readonly running_var!: Tensor | null;
  /** An int32 scalar: the training batches seen since construction (null without running statistics). */
  readonly num_batches_tracked!: Tensor | null;
  readonly eps: number;
  readonly momentum: number | null;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormLayerOptions,
    private readonly inputShapes: readonly number[],
    private readonly inputNames: string,
  ) {
    super();
    checkCount(this.constructor.name, 'numFeatures', numFeatures);
    const dtype = opts.dtype;
    const affine = opts.affine ?? true;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (this.momentum !== null && !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`${this.constructor.name}: momentum must be in [0,1] or null, got ${this.momentum}`);
    }
    this.weight = affine ? parameter(ones([numFeatures], { dtype })) : null;
    this.bias = affine ? parameter(zeros([numFeatures], { dtype })) : null;
    const track = opts.trackRunningStats ?? true;
    this.registerBuffer('running_mean', track ? zeros([numFeatures], { dtype }) : null);
    this.registerBuffer('running_var', track ? ones([numFeatures], { dtype }) : null);
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
    if (!this.inputShapes.includes(x.ndim) || x.shape[1] !== this.numFeatures) {
      throw new Error(`${this.constructor.name}: expected input ${this.inputNames} with C = ${this.numFeatures}, got ${fmt(x.shape)}`);
    }
    // PyTorch's exponential_average_factor: the momentum, or 1/n for the cumulative average.
    const counter = this.training ? this.num_batches_tracked : null;
    const batches = counter === null ? 0 : counter.data[0] + 1;
    const momentum = this.momentum ?? (batches > 0 ? 1 / batches : 0);
    const y = batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.running_mean,
      runningVar: this.running_var,
      training: this.training,
      momentum,
      eps: this.eps,
    });
    if (counter !== null) counter.data[0] = batches;
    return y;
  }

  override extraRepr(): string {
    const affine = this.weight !== null;
    const track = this.running_mean !== null;
    const momentum = this.momentum === null ? 'None' : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${momentum}, affine=${pyBool(affine)}, track_running_stats=${pyBool(track)}`;
  }
}

/** Batch norm over [N,C] or [N,C,L]. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super(numFeatures, opts, [2, 3], '[N,C] or [N,C,L]');
  }
}

/** Batch norm over [N,C,H,W]. */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super(numFeatures, opts, [4], '[N,C,H,W]');
  }
}

export class ReLU extends Module {
  constructor(_opts: ModuleOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Tanh extends Module {
  constructor(_opts: ModuleOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  constructor(_opts: ModuleOptions = {}) {
    super();
  }

  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Merges the axes from startDim (default 1, keeping the batch axis) to endDim (default -1, the last) into one. */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
    _opts: ModuleOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Runs its modules in order; they are named 0, 1, … (so `seq[0]`, and `0.weight` in the state dict). */
export class Sequential extends Module {
  readonly [index: number]: Module;
  declare readonly length: number;

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new Error(`Sequential: argument ${i} is not a Module`);
      Object.defineProperty(this, i, { value: m, enumerable: true });
    });
    Object.defineProperty(this, 'length', { value: modules.length, enumerable: false });
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.length; i++) y = this[i].forward(y);
    return y;
  }
}

function checkCount(layer: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${layer}: ${what} must be a non-negative integer, got ${n}`);
}
