/**
 * @file Multi-head attention and the Transformer encoder, as torch.nn has them: the same parameters
 * under the same names (`in_proj_weight`, `in_proj_bias`, `out_proj.weight`; `q_proj_weight`,
 * `k_proj_weight`, `v_proj_weight` when kdim/vdim differ from embedDim; `self_attn`, `linear1`,
 * `linear2`, `norm1`, `norm2` in the encoder layer; `layers.0.…` in the encoder), the same
 * initialisation (Xavier-uniform projections, zero biases) and the same mask conventions: here a bool
 * mask is TRUE where attention is NOT allowed (Note [attention masks] in src/ops/attention.ts).
 */
import { composite } from '../autograd/scope';
import { defaultRng, Rng } from '../random/rng';
import { zeros } from '../tensor/create';
import { FloatDType } from '../tensor/dtype';
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { rejectUnknownOptions } from '../ops/arguments';
import { additiveMask, attend, checkMaskDType, isBoolTensor } from '../ops/attention';
import { gelu } from '../ops/activations';
import { add, relu } from '../ops/elementwise';
import { linear } from '../ops/layers';
import { cast } from '../ops/operands';
import { mean } from '../ops/reduce';
import { reshape, slice, squeeze, transpose, unsqueeze } from '../ops/shape';
import { uniformParameter } from './init';
import { ModuleList } from './containers';
import { Dropout, Linear } from './layers';
import { LayerNorm } from './norms';
import { AnyModule, Module, ModuleOptions, parameter } from './module';

export interface MultiheadAttentionOptions extends ModuleOptions {
  /** Dropout on the attention weights while training; default 0. */
  dropout?: number;
  /** in_proj_bias and out_proj.bias; default true. */
  bias?: boolean;
  /** Inputs and output [N, L, E] rather than [L, N, E]. */
  batchFirst?: boolean;
  /** Key features; default embedDim. */
  kdim?: number;
  /** Value features; default embedDim. */
  vdim?: number;
}

export interface MultiheadAttentionForwardOptions {
  /** [N, S] ([S] unbatched): bool TRUE = this key is padding, ignore it; float: added. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S]: bool TRUE = may NOT attend; float: added. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads ([N, L, S]); false gives [N, numHeads, L, S]. */
  averageAttnWeights?: boolean;
  /** Without attnMask: query i attends to keys 0..i only. With attnMask, a hint (the mask is used). */
  isCausal?: boolean;
}

/** Xavier-uniform (Glorot) for a [fanOut, fanIn] weight, as torch.nn.init.xavier_uniform_. */
function xavierParameter(shape: [number, number], opts: { rng: Rng; dtype?: FloatDType }): Tensor {
  return uniformParameter(shape, Math.sqrt(6 / (shape[0] + shape[1])), opts);
}

/** MultiheadAttention's output projection: a Linear under the class name PyTorch prints for it. */
class NonDynamicallyQuantizableLinear extends Linear {}

/** Multi-head attention (torch.nn.MultiheadAttention): forward(query, key, value, opts) -> [output, weights | null]. */
export class MultiheadAttention extends Module<Tensor, [Tensor, Tensor | null]> {
  readonly in_proj_weight: Tensor | null = null;
  readonly q_proj_weight: Tensor | null = null;
  readonly k_proj_weight: Tensor | null = null;
  readonly v_proj_weight: Tensor | null = null;
  readonly in_proj_bias: Tensor | null;
  readonly out_proj: Linear;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly headDim: number;
  private readonly rng: Rng | undefined;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    opts: MultiheadAttentionOptions = {},
  ) {
    super();
    const name = 'MultiheadAttention';
    rejectUnknownOptions(name, opts, ['dropout', 'bias', 'batchFirst', 'kdim', 'vdim', 'rng', 'dtype']);
    if (!Number.isInteger(embedDim) || embedDim < 1) throw new Error(`${name}: embedDim must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads < 1) throw new Error(`${name}: numHeads must be a positive integer, got ${numHeads}`);
    if (embedDim % numHeads !== 0) throw new Error(`${name}: embedDim ${embedDim} is not divisible by numHeads ${numHeads}`);
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new Error(`${name}: dropout must be in [0,1], got ${this.dropout}`);
    this.batchFirst = opts.batchFirst ?? false;
    this.headDim = embedDim / numHeads;
    this.rng = opts.rng;
    const init = { rng: opts.rng ?? defaultRng(), dtype: opts.dtype };
    const E = embedDim;
    if (this.kdim === E && this.vdim === E) {
      this.in_proj_weight = xavierParameter([3 * E, E], init);
    } else {
      this.q_proj_weight = xavierParameter([E, E], init);
      this.k_proj_weight = xavierParameter([E, this.kdim], init);
      this.v_proj_weight = xavierParameter([E, this.vdim], init);
    }
    const bias = opts.bias ?? true;
    this.in_proj_bias = bias ? parameter(zeros([3 * E], { dtype: opts.dtype })) : null;
    this.out_proj = new NonDynamicallyQuantizableLinear(E, E, { bias, rng: init.rng, dtype: opts.dtype });
    if (this.out_proj.bias) this.out_proj.bias.data.fill(0);
  }

  /** The projection weights and biases of q, k and v (slices of the packed in_proj when there is one). */
  private projections(): [Tensor, Tensor | null][] {
    const E = this.embedDim;
    const b = this.in_proj_bias;
    const part = (i: number) => (b ? slice(b, [i * E], [(i + 1) * E]) : null);
    const w = this.in_proj_weight;
    const ws = w ? [0, 1, 2].map((i) => slice(w, [i * E], [(i + 1) * E])) : [this.q_proj_weight!, this.k_proj_weight!, this.v_proj_weight!];
    return ws.map((wi, i) => [wi, part(i)]);
  }

  forward(query: Tensor, key: Tensor, value: Tensor, opts: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const name = 'MultiheadAttention';
    const shapes = `(query ${fmt(query.shape)}, key ${fmt(key.shape)}, value ${fmt(value.shape)})`;
    if (query.ndim !== 2 && query.ndim !== 3) throw new Error(`${name}: query must be 2-d (unbatched) or 3-d ${shapes}`);
    if (key.ndim !== query.ndim || value.ndim !== query.ndim)
      throw new Error(`${name}: query, key and value must have the same number of axes ${shapes}`);
    // The whole attention drawn as one node, named as the user called it; the projections' parameters
    // stay outside it, in the module's frame (Note [composite scopes] in src/autograd/scope.ts).
    const p = this.training ? this.dropout : 0;
    const masked = opts.attnMask || opts.isCausal || opts.keyPaddingMask;
    const words = [`heads=${this.numHeads}`, masked ? 'masked' : '', p > 0 ? `dropout=${p}` : ''].filter((w) => w !== '').join(' ');
    const args = [query, key, value, opts.attnMask ?? null, opts.keyPaddingMask ?? null];
    return composite('multiheadAttention', words, args, () => this.attention(query, key, value, p, opts, shapes));
  }

  /** forward's body, drawn as one node. */
  private attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    p: number,
    opts: MultiheadAttentionForwardOptions,
    shapes: string,
  ): [Tensor, Tensor | null] {
    const name = 'MultiheadAttention';
    const unbatched = query.ndim === 2;
    const toNLE = (t: Tensor) => (unbatched ? unsqueeze(t, 0) : this.batchFirst ? t : transpose(t, [1, 0, 2]));
    const q0 = toNLE(query);
    const k0 = toNLE(key);
    const v0 = toNLE(value);
    const [N, L, E] = q0.shape;
    const S = k0.shape[1];
    if (E !== this.embedDim) throw new Error(`${name}: query embedding size ${E} does not match embedDim ${this.embedDim} ${shapes}`);
    if (k0.shape[2] !== this.kdim) throw new Error(`${name}: key size ${k0.shape[2]} does not match kdim ${this.kdim} ${shapes}`);
    if (v0.shape[2] !== this.vdim) throw new Error(`${name}: value size ${v0.shape[2]} does not match vdim ${this.vdim} ${shapes}`);
    if (k0.shape[0] !== N || v0.shape[0] !== N) throw new Error(`${name}: query, key and value must have the same batch size ${shapes}`);
    if (v0.shape[1] !== S) throw new Error(`${name}: key and value must have the same sequence length ${shapes}`);

    const H = this.numHeads;
    const hd = this.headDim;
    const dtype = q0.dtype;
    const [[wq, bq], [wk, bk], [wv, bv]] = this.projections();
    // [N, T, E] -> [N, H, T, hd]
    const heads = (t: Tensor) => transpose(reshape(t, [N, t.shape[1], H, hd]), [0, 2, 1, 3]);
    const q = heads(linear(q0, wq, bq));
    const k = heads(linear(k0, wk, bk));
    const v = heads(linear(v0, wv, bv));

    let mask: Tensor | null = null;
    const am = opts.attnMask ?? null;
    if (am !== null) {
      checkMaskDType(name, 'attnMask', am, shapes);
      const ok2 = [L, S];
      const ok3 = [unbatched ? H : N * H, L, S];
      if (!sameShape(am.shape, ok2) && !sameShape(am.shape, ok3)) {
        throw new Error(`${name}: attnMask ${fmt(am.shape)} must be ${fmt(ok2)} or ${fmt(ok3)} ${shapes}`);
      }
      const m = isBoolTensor(am) ? additiveMask(am, true, dtype) : cast(am, dtype);
      mask = am.ndim === 3 ? reshape(m, [N, H, L, S]) : m;
    }
    // isCausal without attnMask: query i sees keys 0..i (with attnMask it is only a hint).
    const causal = am === null && opts.isCausal === true;
    const kpm = opts.keyPaddingMask ?? null;
    if (kpm !== null) {
      checkMaskDType(name, 'keyPaddingMask', kpm, shapes);
      const expected = unbatched ? [S] : [N, S];
      if (!sameShape(kpm.shape, expected)) throw new Error(`${name}: keyPaddingMask ${fmt(kpm.shape)} must be ${fmt(expected)} ${shapes}`);
      const m = reshape(isBoolTensor(kpm) ? additiveMask(kpm, true, dtype) : cast(kpm, dtype), [N, 1, 1, S]);
      mask = mask === null ? m : add(mask, m);
    }

    const needWeights = opts.needWeights ?? true;
    const { y, weights } = attend(q, k, v, {
      mask,
      causal,
      scale: 1 / Math.sqrt(hd),
      p,
      rng: this.rng,
      zeroBlockedRows: false,
      needWeights,
    });
    // [N, H, L, hd] -> [N, L, E]
    const merged = reshape(transpose(y, [0, 2, 1, 3]), [N, L, E]);
    const projected = this.out_proj.forward(merged);
    const out = unbatched ? squeeze(projected, 0) : this.batchFirst ? projected : transpose(projected, [1, 0, 2]);
    if (!needWeights || weights === null) return [out, null];
    const w = (opts.averageAttnWeights ?? true) ? mean(weights, 1) : weights;
    return [out, unbatched ? squeeze(w, 0) : w];
  }
}

// ---- the Transformer encoder ------------------------------------------------------------------

export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

export interface TransformerEncoderLayerOptions extends ModuleOptions {
  dimFeedforward?: number;
  dropout?: number;
  /** 'relu' (default), 'gelu' (exact, erf-based) or a function of a tensor. */
  activation?: TransformerActivation;
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm (x + sa(norm1(x))) rather than post-norm (norm1(x + sa(x))). */
  normFirst?: boolean;
  /** Biases in the linear layers, attention and norms; default true. */
  bias?: boolean;
}

export interface TransformerEncoderLayerForwardOptions {
  /** [S, S] or [N·nhead, S, S]: bool TRUE = may NOT attend; float: added. */
  srcMask?: Tensor | null;
  /** [N, S]: bool TRUE = padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention when srcMask is omitted (a hint when it is given). */
  isCausal?: boolean;
}

/** One encoder layer (torch.nn.TransformerEncoderLayer): self-attention and a feed-forward block. */
export class TransformerEncoderLayer extends Module {
  readonly self_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly normFirst: boolean;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly activation: TransformerActivation;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    readonly opts: TransformerEncoderLayerOptions = {},
  ) {
    super();
    rejectUnknownOptions('TransformerEncoderLayer', opts, [
      'dimFeedforward',
      'dropout',
      'activation',
      'layerNormEps',
      'batchFirst',
      'normFirst',
      'bias',
      'rng',
      'dtype',
    ]);
    const p = opts.dropout ?? 0.1;
    const dff = opts.dimFeedforward ?? 2048;
    const bias = opts.bias ?? true;
    const rng = opts.rng ?? defaultRng();
    const activation = opts.activation ?? 'relu';
    if (activation !== 'relu' && activation !== 'gelu' && typeof activation !== 'function') {
      throw new Error(`TransformerEncoderLayer: unknown activation '${String(activation)}' (use 'relu', 'gelu' or a function)`);
    }
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst: opts.batchFirst, rng, dtype: opts.dtype });
    this.linear1 = new Linear(dModel, dff, { bias, rng, dtype: opts.dtype });
    this.dropout = new Dropout(p, { rng });
    this.linear2 = new Linear(dff, dModel, { bias, rng, dtype: opts.dtype });
    this.normFirst = opts.normFirst ?? false;
    const norm = { eps: opts.layerNormEps ?? 1e-5, bias, dtype: opts.dtype };
    this.norm1 = new LayerNorm(dModel, norm);
    this.norm2 = new LayerNorm(dModel, norm);
    this.dropout1 = new Dropout(p, { rng });
    this.dropout2 = new Dropout(p, { rng });
    this.activation = activation;
  }

  private selfAttention(x: Tensor, o: TransformerEncoderLayerForwardOptions): Tensor {
    const [y] = this.self_attn.forward(x, x, x, {
      attnMask: o.srcMask,
      keyPaddingMask: o.srcKeyPaddingMask,
      isCausal: o.isCausal,
      needWeights: false,
    });
    return this.dropout1.forward(y);
  }

  private feedForward(x: Tensor): Tensor {
    const h = this.linear1.forward(x);
    const a = this.activation === 'relu' ? relu(h) : this.activation === 'gelu' ? gelu(h) : this.activation(h);
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(a)));
  }

  forward(src: Tensor, o: TransformerEncoderLayerForwardOptions = {}): Tensor {
    if ((src.ndim !== 2 && src.ndim !== 3) || src.shape[src.ndim - 1] !== this.dModel) {
      throw new Error(
        `TransformerEncoderLayer: expected src [S, N, ${this.dModel}] (or unbatched [S, ${this.dModel}]), got ${fmt(src.shape)}`,
      );
    }
    let x = src;
    if (this.normFirst) {
      x = add(x, this.selfAttention(this.norm1.forward(x), o));
      return add(x, this.feedForward(this.norm2.forward(x)));
    }
    x = this.norm1.forward(add(x, this.selfAttention(x, o)));
    return this.norm2.forward(add(x, this.feedForward(x)));
  }

  /** A deep copy (PyTorch's copy.deepcopy): the same options, parameter values and training mode. */
  copy(): TransformerEncoderLayer {
    const twin = new TransformerEncoderLayer(this.dModel, this.nhead, this.opts);
    const mine = this.namedParameters();
    // The layer may have been converted since it was made (layer.double()).
    twin.to(mine[0][1].dtype as FloatDType);
    twin.namedParameters().forEach(([, p], i) => p.data.set(mine[i][1].data));
    twin.train(this.training);
    return twin;
  }
}

export interface TransformerEncoderOptions extends ModuleOptions {
  /** A final normalisation module (e.g. a layer norm), applied after the last layer. */
  norm?: Module | null;
  /** PyTorch's switches for its fast paths (nested tensors, mask checks): taken and ignored. */
  enableNestedTensor?: boolean;
  maskCheck?: boolean;
}

export interface TransformerEncoderForwardOptions {
  mask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

/** A stack of numLayers deep copies of `encoderLayer` (torch.nn.TransformerEncoder): `layers.0.…`. */
export class TransformerEncoder extends Module {
  /** The copies, as PyTorch's ModuleList (printed and named `layers.0`, …). */
  readonly layers: ModuleList;
  readonly norm: AnyModule | null;

  constructor(
    encoderLayer: TransformerEncoderLayer,
    readonly numLayers: number,
    opts: TransformerEncoderOptions = {},
  ) {
    super();
    // PyTorch's enableNestedTensor and maskCheck only choose its fast paths: taken and ignored.
    rejectUnknownOptions('TransformerEncoder', opts, ['norm', 'enableNestedTensor', 'maskCheck', 'rng', 'dtype']);
    if (!(encoderLayer instanceof TransformerEncoderLayer))
      throw new Error('TransformerEncoder: encoderLayer must be a TransformerEncoderLayer');
    if (!Number.isInteger(numLayers) || numLayers < 1)
      throw new Error(`TransformerEncoder: numLayers must be a positive integer, got ${numLayers}`);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.copy()));
    this.norm = opts.norm ?? null;
    if (opts.dtype !== undefined) this.to(opts.dtype);
  }

  forward(src: Tensor, o: TransformerEncoderForwardOptions = {}): Tensor {
    let x = src;
    for (const layer of this.layers)
      x = layer.forward(x, { srcMask: o.mask, srcKeyPaddingMask: o.srcKeyPaddingMask, isCausal: o.isCausal });
    return this.norm ? this.norm.forward(x) : x;
  }
}
