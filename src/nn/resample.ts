/**
 * @file Embedding, transposed convolutions, Upsample, adaptive pooling, channel and alpha dropout and
 * pixel (un)shuffling as modules (SPEC §15), with PyTorch's parameters, initialisation and printing.
 */
import { rejectUnknownOptions } from '../ops/arguments';
import { convTranspose1d, convTranspose2d, SpatialOption } from '../ops/conv';
import { embedding } from '../ops/embedding';
import {
  AdaptiveSize,
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  alphaDropout,
  dropout2d,
  interpolate,
  InterpolateMode,
  pixelShuffle,
  pixelUnshuffle,
} from '../ops/resample';
import { randn } from '../tensor/create';
import { sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { biasBound, kaimingUniformBound, uniformParameter } from './init';
import { Module, ModuleOptions, parameter } from './module';
import { convRepr } from './conv';
import { pyFloat, pyIntOrTuple, pyTuple } from './repr';

export interface EmbeddingLayerOptions extends ModuleOptions {
  /** This row starts at zero and takes no gradient (negative counts from the end). */
  paddingIdx?: number | null;
}

/** A table of `num` learned vectors of size `dim`, looked up by int32 indices (torch.nn.Embedding). */
export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: EmbeddingLayerOptions = {},
  ) {
    super();
    // PyTorch's maxNorm, scaleGradByFreq and sparse are not implemented: they throw rather than be ignored.
    rejectUnknownOptions('Embedding', opts, ['paddingIdx', 'rng', 'dtype']);
    for (const [what, n] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`Embedding: ${what} must be a positive integer, got ${n}`);
    }
    const pad = opts.paddingIdx ?? null;
    if (pad !== null && (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx ${pad} must be within [-${numEmbeddings}, ${numEmbeddings})`);
    }
    this.paddingIdx = pad === null ? null : pad < 0 ? pad + numEmbeddings : pad;
    // N(0, 1), as PyTorch, the padding row zeroed.
    const w = randn([numEmbeddings, embeddingDim], { rng: opts.rng, dtype: opts.dtype ?? 'float32' });
    if (this.paddingIdx !== null) w.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    this.weight = parameter(w);
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, padding_idx=${this.paddingIdx}`}`;
  }
}

export interface ConvTransposeLayerOptions extends ModuleOptions {
  stride?: SpatialOption;
  padding?: SpatialOption;
  outputPadding?: SpatialOption;
  dilation?: SpatialOption;
  groups?: number;
  bias?: boolean;
}

abstract class ConvTransposeNd extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernel: number[];
  readonly options: {
    stride: SpatialOption;
    padding: SpatialOption;
    outputPadding: SpatialOption;
    dilation: SpatialOption;
    groups: number;
  };

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernel: SpatialOption,
    dims: 1 | 2,
    opts: ConvTransposeLayerOptions,
  ) {
    super();
    const layer = this.constructor.name;
    rejectUnknownOptions(layer, opts, ['stride', 'padding', 'outputPadding', 'dilation', 'groups', 'bias', 'rng', 'dtype']);
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
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0 || inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(
        `${layer}: groups ${groups} must be a positive integer dividing inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    }
    this.options = {
      stride: opts.stride ?? 1,
      padding: opts.padding ?? 0,
      outputPadding: opts.outputPadding ?? 0,
      dilation: opts.dilation ?? 1,
      groups,
    };
    // PyTorch's layout [inC, outC/groups, …kernel]; its fan-in (for the init) is weight.size(1) × kernel.
    const fanIn = (outChannels / groups) * sizeOf(this.kernel);
    this.weight = uniformParameter([inChannels, outChannels / groups, ...this.kernel], kaimingUniformBound(fanIn), opts);
    this.bias = (opts.bias ?? true) ? uniformParameter([outChannels], biasBound(fanIn), opts) : null;
  }

  override extraRepr(): string {
    return convRepr(this.inChannels, this.outChannels, this.kernel, this.options, this.bias !== null);
  }
}

/** Transposed 1-D convolution: input [N, inC, L], weight [inC, outC/groups, kernel]. */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernel: number, opts: ConvTransposeLayerOptions = {}) {
    super(inChannels, outChannels, kernel, 1, opts);
  }

  forward(x: Tensor): Tensor {
    return convTranspose1d(x, this.weight, this.bias, this.options);
  }
}

/** Transposed 2-D convolution: input [N, inC, H, W], weight [inC, outC/groups, kh, kw]. */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernel: SpatialOption, opts: ConvTransposeLayerOptions = {}) {
    super(inChannels, outChannels, kernel, 2, opts);
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, this.options);
  }
}

export interface UpsampleOptions extends ModuleOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  alignCorners?: boolean;
}

/** interpolate as a module (torch.nn.Upsample). */
export class Upsample extends Module {
  constructor(readonly opts: UpsampleOptions = {}) {
    super();
    rejectUnknownOptions('Upsample', opts, ['size', 'scaleFactor', 'mode', 'alignCorners', 'rng', 'dtype']);
    if ((opts.size === undefined) === (opts.scaleFactor === undefined))
      throw new Error('Upsample: give exactly one of size and scaleFactor');
  }

  forward(x: Tensor): Tensor {
    const { size, scaleFactor, mode, alignCorners } = this.opts;
    return interpolate(x, { size, scaleFactor, mode, ...(alignCorners === undefined ? {} : { alignCorners }) });
  }

  override extraRepr(): string {
    const { size, scaleFactor } = this.opts;
    const info =
      scaleFactor !== undefined
        ? `scale_factor=${typeof scaleFactor === 'number' ? pyFloat(scaleFactor) : `(${scaleFactor.map(pyFloat).join(', ')})`}`
        : `size=${pyIntOrTuple(size!)}`;
    return `${info}, mode=${this.opts.mode ?? 'nearest'}`;
  }
}

/** An adaptive pooling module: its function and output size. */
abstract class AdaptivePool extends Module {
  constructor(
    readonly outputSize: AdaptiveSize,
    _opts: ModuleOptions = {},
  ) {
    super();
  }

  override extraRepr(): string {
    const s = this.outputSize;
    return `output_size=${s === null ? 'None' : typeof s === 'number' ? s : pyTuple(s)}`;
  }
}

export class AdaptiveAvgPool1d extends AdaptivePool {
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize as number);
  }
}

export class AdaptiveAvgPool2d extends AdaptivePool {
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}

export class AdaptiveMaxPool1d extends AdaptivePool {
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool1d(x, this.outputSize as number);
  }
}

export class AdaptiveMaxPool2d extends AdaptivePool {
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }
}

/** Whole-channel dropout while training, the identity after eval() (torch.nn.Dropout2d). */
export class Dropout2d extends Module {
  constructor(
    readonly p = 0.5,
    private readonly opts: ModuleOptions = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout2d: probability p must be in [0,1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, { training: this.training, rng: this.opts.rng });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}

/** Alpha dropout while training, the identity after eval() (torch.nn.AlphaDropout). */
export class AlphaDropout extends Module {
  constructor(
    readonly p = 0.5,
    private readonly opts: ModuleOptions = {},
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`AlphaDropout: probability p must be in [0,1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return alphaDropout(x, this.p, { training: this.training, rng: this.opts.rng });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}

export class PixelShuffle extends Module {
  constructor(
    readonly upscaleFactor: number,
    _opts: ModuleOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }

  override extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

export class PixelUnshuffle extends Module {
  constructor(
    readonly downscaleFactor: number,
    _opts: ModuleOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }

  override extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}
