/**
 * @file Batch normalisation (SPEC §4) with PyTorch's semantics.
 *
 * Note [fused batch norm]: with the batch's own statistics (training, or eval without running
 * statistics) batch norm is one primitive whose forward and backward are single fused kernels
 * (src/kernels/js/normalization.ts): the composition of ten broadcast ops it replaces read x ten times
 * and allocated as many tensors. Its backward rule has two forms with one meaning: while the backward
 * is itself being recorded (createGraph, for second derivatives) it is written with differentiable
 * ops, recomputing the statistics from x so they carry their own dependence on x; otherwise the fused
 * kernel computes the same gradients directly. gradcheck and gradgradcheck cover both forms.
 * In eval mode with running statistics batch norm stays a composition: an affine map of x, which
 * the ONNX exporter writes as its elementwise pieces.
 */
import { composite } from '../autograd/scope';
import { isGradEnabled } from '../autograd/mode';
import { defineOp } from './names';
import { BatchNormStats, kernels } from '../kernels';
import { allocateUnfilled, Storage } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { sum } from './broadcast';
import { add, div, mul, sqrt, sub } from './elementwise';
import { constant, requireFloating } from './operands';
import { mean } from './reduce';
import { reshape } from './shape';

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

interface BatchNormAttrs {
  eps: number;
  /** x viewed as [n, c, s]. */
  n: number;
  c: number;
  s: number;
  hasWeight: boolean;
  hasBias: boolean;
}

/** Every axis but the channel axis 1. */
const statAxes = (x: Tensor) => x.shape.map((_, d) => d).filter((d) => d !== 1);
/** [1, C, 1, ...]: a per-channel tensor that broadcasts against x. */
const statShape = (x: Tensor) => x.shape.map((n, d) => (d === 1 ? n : 1));

/** Note [fused batch norm]: the backward as differentiable ops, statistics recomputed from x. */
function recordedGrads(gy: Tensor, x: Tensor, w: Tensor | null, eps: number): [Tensor, Tensor | null, Tensor | null] {
  const axes = statAxes(x);
  const perChannel = statShape(x);
  const centered = sub(x, mean(x, axes, true));
  const invstd = div(1, sqrt(add(mean(mul(centered, centered), axes, true), eps)));
  const xhat = mul(centered, invstd);
  const gxhat = w === null ? gy : mul(gy, reshape(w, perChannel));
  const gx = mul(invstd, sub(sub(gxhat, mean(gxhat, axes, true)), mul(xhat, mean(mul(gxhat, xhat), axes, true))));
  const channels = [x.shape[1]];
  return [gx, w === null ? null : reshape(sum(mul(gy, xhat), axes), channels), reshape(sum(gy, axes), channels)];
}

const batchNormP = defineOp<BatchNormAttrs, BatchNormStats>('batchNorm', {
  forward: ([x, ...affine], a) => {
    const weight = a.hasWeight ? affine[0].data : null;
    const bias = a.hasBias ? affine[a.hasWeight ? 1 : 0].data : null;
    const y = allocateUnfilled(x.dtype, x.size);
    const saved = kernels().batchNormForward(x.data, a.n, a.c, a.s, weight, bias, a.eps, y);
    return { y: new Tensor(y, x.shape), saved };
  },
  backward: (gy, [x, ...affine], _y, a, stats) => {
    const w = a.hasWeight ? affine[0] : null;
    const b = a.hasBias ? affine[a.hasWeight ? 1 : 0] : null;
    if (isGradEnabled()) {
      const [gx, gw, gb] = recordedGrads(gy, x, w, a.eps);
      return [x.requiresGrad ? gx : null, ...(w ? [w.requiresGrad ? gw : null] : []), ...(b ? [b.requiresGrad ? gb : null] : [])];
    }
    const gx = x.requiresGrad ? allocateUnfilled(x.dtype, x.size) : null;
    const gw = w?.requiresGrad ? allocateUnfilled(w.dtype, w.size) : null;
    const gb = b?.requiresGrad ? allocateUnfilled(b.dtype, b.size) : null;
    kernels().batchNormBackward(gy.data, x.data, a.n, a.c, a.s, stats, w === null ? null : w.data, gx, gw, gb);
    const wrap = (g: Storage | null, like: Tensor) => (g === null ? null : constant(g, like.shape));
    return [wrap(gx, x), ...(w ? [wrap(gw, w)] : []), ...(b ? [wrap(gb, b)] : [])];
  },
  describe: ({ eps }) => `eps=${eps}`,
});

/**
 * Batch normalisation over every axis but the channel axis 1, with PyTorch's semantics: in training
 * (and in eval mode when there are no running statistics) x is normalised with the batch mean and
 * the biased batch variance; in training the running statistics are updated in place with
 * running = (1 - momentum)·running + momentum·batch, using the UNBIASED variance.
 */
export function batchNorm(x: Tensor, opts: BatchNormOptions = {}): Tensor {
  if (!(x instanceof Tensor)) throw new Error('batchNorm: expected a Tensor input');
  // Drawn as one node, in training (the fused primitive and its casts) and in eval mode (a dozen ops) alike.
  const mode = (opts.training ?? true) ? '' : 'eval';
  return composite('batchNorm', mode, [x, opts.weight, opts.bias], () => batchNormBody(x, opts));
}

function batchNormBody(x: Tensor, opts: BatchNormOptions): Tensor {
  requireFloating('batchNorm', {
    input: x,
    weight: opts.weight,
    bias: opts.bias,
    runningMean: opts.runningMean,
    runningVar: opts.runningVar,
  });
  if (x.ndim < 2 || x.ndim > 4) {
    throw new Error(`batchNorm: expected input [N,C], [N,C,L] or [N,C,H,W], got ${fmt(x.shape)}`);
  }
  const { weight, bias, runningMean, runningVar } = opts;
  const training = opts.training ?? true;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const channels = x.shape[1];
  const check = (name: string, t: Tensor | null | undefined): Tensor | null => {
    if (!t) return null;
    if (t.ndim !== 1 || t.shape[0] !== channels) {
      throw new Error(`batchNorm: ${name} of shape ${fmt(t.shape)} does not match the ${channels} channels of input ${fmt(x.shape)}`);
    }
    return t;
  };
  const w = check('weight', weight);
  const b = check('bias', bias);
  const rm = check('runningMean', runningMean);
  const rv = check('runningVar', runningVar);
  if ((rm === null) !== (rv === null)) {
    throw new Error(`batchNorm: pass both runningMean and runningVar or neither (input ${fmt(x.shape)})`);
  }
  if (!(eps >= 0)) throw new Error(`batchNorm: eps must be non-negative, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new Error(`batchNorm: momentum must be in [0,1], got ${momentum}`);

  if (!training && rm !== null && rv !== null) {
    const perChannel = statShape(x);
    const xhat = div(sub(x, reshape(rm, perChannel)), sqrt(add(reshape(rv, perChannel), eps)));
    const scaled = w ? mul(xhat, reshape(w, perChannel)) : xhat;
    return b ? add(scaled, reshape(b, perChannel)) : scaled;
  }
  const count = x.size / channels;
  if (training && count <= 1) {
    throw new Error(`batchNorm: expected more than 1 value per channel when training, got input ${fmt(x.shape)}`);
  }
  // The fused kernel takes one dtype; mixed ones meet in float64 first, as every binary op's do.
  const dtype = [x, w, b].some((t) => t !== null && t.dtype === 'float64') ? 'float64' : 'float32';
  const [xd, wd, bd] = [x, w, b].map((t) => (t === null ? null : t.dtype === dtype ? t : t.cast(dtype)));
  const n = x.shape[0];
  const attrs: BatchNormAttrs = { eps, n, c: channels, s: n === 0 ? 0 : count / n, hasWeight: wd !== null, hasBias: bd !== null };
  const { y, saved } = batchNormP.applyWithSaved([xd!, ...(wd ? [wd] : []), ...(bd ? [bd] : [])], attrs);
  if (training && rm !== null && rv !== null) updateRunning(rm, rv, saved!, attrs.c, momentum, count);
  return y;
}

/** running = (1 - momentum)·running + momentum·batch, the variance unbiased (PyTorch's rule). */
function updateRunning(rm: Tensor, rv: Tensor, stats: BatchNormStats, channels: number, momentum: number, count: number): void {
  const unbiased = count / (count - 1);
  for (let ch = 0; ch < channels; ch++) {
    rm.data[ch] = (1 - momentum) * rm.data[ch] + momentum * stats.mean[ch];
    rv.data[ch] = (1 - momentum) * rv.data[ch] + momentum * stats.variance[ch] * unbiased;
  }
}

declare module '../tensor/tensor' {
  interface Tensor {
    batchNorm(opts?: BatchNormOptions): Tensor;
  }
}
