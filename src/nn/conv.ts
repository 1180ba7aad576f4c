/**
 * @file Convolution and pooling layers: modules over tg.conv1d/conv2d and the pooling ops, with
 * PyTorch's initialisation (fan-in = in-channels/groups × kernel size).
 */
import { rejectUnknownOptions } from '../ops/arguments';
import { conv1d, conv2d, SpatialOption } from '../ops/conv';
import { avgPool1d, avgPool2d, maxPool1d, maxPool2d, PoolOptions } from '../ops/pool';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { biasBound, InitOptions, kaimingUniformBound, uniformParameter } from './init';
import { Module, ModuleOptions } from './module';
import { pyBool, pyIntOrTuple, pyTuple } from './repr';

export interface ConvLayerOptions extends InitOptions {
  stride?: SpatialOption;
  padding?: SpatialOption;
  dilation?: SpatialOption;
  groups?: number;
  bias?: boolean;
}

abstract class ConvNd extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernel: number[];
  readonly stride: SpatialOption;
  readonly padding: SpatialOption;
  readonly dilation: SpatialOption;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernel: SpatialOption,
    dims: 1 | 2,
    opts: ConvLayerOptions,
  ) {
    super();
    const layer = this.constructor.name;
    rejectUnknownOptions(layer, opts, ['stride', 'padding', 'dilation', 'groups', 'bias', 'rng', 'dtype']);
    for (const [what, n] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${layer}: ${what} must be a positive integer, got ${n}`);
    }
    this.kernel = typeof kernel === 'number' ? new Array<number>(dims).fill(kernel) : [...kernel];
    if (this.kernel.length !== dims || !this.kernel.every((k) => Number.isInteger(k) && k > 0)) {
      throw new Error(`${layer}: kernel must be a positive integer${dims === 2 ? ' or [h, w] pair' : ''}, got ${JSON.stringify(kernel)}`);
    }
    this.groups = opts.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups <= 0 || inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(
        `${layer}: groups ${this.groups} must be a positive integer dividing inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    }
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    const fanIn = (inChannels / this.groups) * sizeOf(this.kernel);
    this.weight = uniformParameter([outChannels, inChannels / this.groups, ...this.kernel], kaimingUniformBound(fanIn), opts);
    this.bias = (opts.bias ?? true) ? uniformParameter([outChannels], biasBound(fanIn), opts) : null;
  }

  protected get convOptions() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  override extraRepr(): string {
    return convRepr(this.inChannels, this.outChannels, this.kernel, this.convOptions, this.bias !== null);
  }
}

/** PyTorch's _ConvNd.extra_repr: options at their defaults are left out; sizes are tuples. */
export function convRepr(
  inChannels: number,
  outChannels: number,
  kernel: readonly number[],
  o: { stride: SpatialOption; padding: SpatialOption; dilation: SpatialOption; groups: number; outputPadding?: SpatialOption },
  bias: boolean,
): string {
  const tuple = (v: SpatialOption) => (typeof v === 'number' ? kernel.map(() => v) : [...v]);
  const parts = [`${inChannels}, ${outChannels}, kernel_size=${pyTuple(kernel)}, stride=${pyTuple(tuple(o.stride))}`];
  if (tuple(o.padding).some((p) => p !== 0)) parts.push(`padding=${pyTuple(tuple(o.padding))}`);
  if (tuple(o.dilation).some((d) => d !== 1)) parts.push(`dilation=${pyTuple(tuple(o.dilation))}`);
  if (o.outputPadding !== undefined && tuple(o.outputPadding).some((p) => p !== 0)) {
    parts.push(`output_padding=${pyTuple(tuple(o.outputPadding))}`);
  }
  if (o.groups !== 1) parts.push(`groups=${o.groups}`);
  if (!bias) parts.push(`bias=${pyBool(false)}`);
  return parts.join(', ');
}

/** 1-D convolution: input [N, inChannels, L], weight [outChannels, inChannels/groups, kernel]. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernel: number, opts: ConvLayerOptions = {}) {
    super(inChannels, outChannels, kernel, 1, opts);
  }

  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, this.convOptions);
  }
}

/** 2-D convolution: input [N, inChannels, H, W], weight [outChannels, inChannels/groups, kh, kw]. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernel: SpatialOption, opts: ConvLayerOptions = {}) {
    super(inChannels, outChannels, kernel, 2, opts);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.convOptions);
  }
}

type PoolFn = (x: Tensor, kernel: SpatialOption, opts?: PoolOptions) => Tensor;

/** A pooling layer: the functional op it applies, with its kernel and options. */
abstract class PoolLayer extends Module {
  protected abstract readonly pool: PoolFn;

  constructor(
    readonly kernel: SpatialOption,
    readonly opts: PoolOptions & ModuleOptions = {},
  ) {
    super();
    rejectUnknownOptions(this.constructor.name, opts, ['stride', 'padding', 'rng', 'dtype']);
  }

  forward(x: Tensor): Tensor {
    return this.pool(x, this.kernel, { stride: this.opts.stride, padding: this.opts.padding });
  }

  /** MaxPool1d/2d and AvgPool2d keep sizes as given; AvgPool1d makes them 1-tuples (PyTorch's _single). */
  override extraRepr(): string {
    const single = this instanceof AvgPool1d;
    const size = (v: SpatialOption) => (single && typeof v === 'number' ? pyTuple([v]) : pyIntOrTuple(v));
    const base = `kernel_size=${size(this.kernel)}, stride=${size(this.opts.stride ?? this.kernel)}, padding=${size(this.opts.padding ?? 0)}`;
    return this instanceof MaxPool1d || this instanceof MaxPool2d ? `${base}, dilation=1, ceil_mode=${pyBool(false)}` : base;
  }
}

/** Max pooling over [N,C,H,W]; stride defaults to the kernel. */
export class MaxPool2d extends PoolLayer {
  protected readonly pool = maxPool2d;
}
/** Average pooling over [N,C,H,W] (padding counts zeros); stride defaults to the kernel. */
export class AvgPool2d extends PoolLayer {
  protected readonly pool = avgPool2d;
}
/** Max pooling over [N,C,L]. */
export class MaxPool1d extends PoolLayer {
  protected readonly pool = maxPool1d;
}
/** Average pooling over [N,C,L]. */
export class AvgPool1d extends PoolLayer {
  protected readonly pool = avgPool1d;
}
