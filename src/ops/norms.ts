/**
 * @file Layer, group and instance normalisation (SPEC §15) with PyTorch's numerics: each group of
 * values is centred and divided by √(biased variance + eps), then scaled and shifted per element
 * (layerNorm) or per channel (groupNorm, instanceNorm). Layer norm is one fused primitive (Note [fused
 * layer norm]); group and instance norm are compositions of primitives, whose backward and every
 * higher derivative are the engine's.
 *
 * Note [instance norm running statistics]: PyTorch runs instance norm as batch norm over the input
 * viewed as one sample of N·C channels, with the running statistics repeated N times, and then
 * averages the N updated copies. So the running mean moves toward the mean over the batch of the
 * per-instance means, and the running variance toward the mean of the per-instance UNBIASED variances.
 */
import { isGradEnabled, noGrad } from '../autograd/mode';
import { kernels, LayerNormStats } from '../kernels';
import { allocateUnfilled } from '../tensor/dtype';
import { defineOp } from './names';
import { sum } from './broadcast';
import { fmt, sameShape, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkTensor } from './arguments';
import { add, div, mul, sqrt, sub } from './elementwise';
import { mean } from './reduce';
import { reshape } from './shape';

/** (x − mean) / √(var + eps) over `axes`, var biased. */
function normalize(x: Tensor, axes: number[], eps: number): Tensor {
  const centered = sub(x, mean(x, axes, true));
  return div(centered, sqrt(add(mean(mul(centered, centered), axes, true), eps)));
}

function checkEps(op: string, eps: number, x: Tensor): number {
  if (typeof eps !== 'number' || !(eps >= 0))
    throw new Error(`${op}: eps must be a non-negative number, got ${String(eps)} (input ${fmt(x.shape)})`);
  return eps;
}

/** y·weight + bias, with weight and bias reshaped to `shape` (each optional). */
function affine(y: Tensor, weight: Tensor | null, bias: Tensor | null, shape: readonly number[]): Tensor {
  const scaled = weight ? mul(y, reshape(weight, shape)) : y;
  return bias ? add(scaled, reshape(bias, shape)) : scaled;
}

export interface LayerNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/**
 * Normalises over the trailing axes `normalizedShape` (which x's shape must end with), then applies
 * weight and bias of that shape.
 * @example tg.layerNorm(x, [4])   // x [2,3,4]: each of the 6 rows of 4 normalised
 */
export function layerNorm(x: Tensor, normalizedShape: readonly number[] | number, opts: LayerNormOptions = {}): Tensor {
  checkTensor('layerNorm', 'input', x);
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  const k = shape.length;
  if (k === 0 || k > x.ndim || !sameShape(x.shape.slice(x.ndim - k), shape)) {
    throw new Error(`layerNorm: input ${fmt(x.shape)} does not end with normalizedShape ${fmt(shape)}`);
  }
  const eps = checkEps('layerNorm', opts.eps ?? 1e-5, x);
  for (const [name, t] of [
    ['weight', opts.weight],
    ['bias', opts.bias],
  ] as const) {
    if (t && !sameShape(t.shape, shape)) {
      throw new Error(`layerNorm: ${name} ${fmt(t.shape)} does not match normalizedShape ${fmt(shape)} (input ${fmt(x.shape)})`);
    }
  }
  const weight = opts.weight ?? null;
  const bias = opts.bias ?? null;
  const cols = sizeOf(shape);
  const attrs: LayerNormAttrs = { rows: cols === 0 ? 0 : x.size / cols, cols, k, eps, hasWeight: weight !== null, hasBias: bias !== null };
  return layerNormP.apply([x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])], attrs);
}

interface LayerNormAttrs {
  rows: number;
  cols: number;
  /** How many trailing axes are normalised. */
  k: number;
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
}

/**
 * Note [fused layer norm]: layer norm is one primitive whose forward and backward are a pass per row
 * each (src/kernels/js/layer-norm.ts): the composition it replaces (two means, a subtraction, a
 * square, a square root, a division, the affine map — and twice as many broadcast ops backward) was
 * a tenth of a transformer step, which normalises every position twice per layer. As batch norm's
 * (Note [fused batch norm] in src/ops/normalization.ts), its backward has two forms with one meaning:
 * the composition's gradient written with ops, the statistics recomputed from x, while a backward is
 * itself being recorded (createGraph); the fused kernel otherwise.
 */
const layerNormP = defineOp<LayerNormAttrs, LayerNormStats>('layerNorm', {
  forward: ([x, ...affine], a) => {
    const weight = a.hasWeight ? affine[0].data : null;
    const bias = a.hasBias ? affine[a.hasWeight ? 1 : 0].data : null;
    const y = allocateUnfilled(x.dtype, x.size);
    const saved = kernels().layerNormForward(x.data, a.rows, a.cols, weight, bias, a.eps, y);
    return { y: new Tensor(y, x.shape), saved };
  },
  backward: (gy, [x, ...affine], _y, a, stats) => {
    const w = a.hasWeight ? affine[0] : null;
    const b = a.hasBias ? affine[a.hasWeight ? 1 : 0] : null;
    const wants = (t: Tensor | null) => t !== null && t.requiresGrad;
    if (isGradEnabled()) {
      const axes = Array.from({ length: a.k }, (_, i) => x.ndim - a.k + i);
      const lead = Array.from({ length: x.ndim - a.k }, (_, i) => i);
      const centered = sub(x, mean(x, axes, true));
      const invstd = div(1, sqrt(add(mean(mul(centered, centered), axes, true), a.eps)));
      const xhat = mul(centered, invstd);
      const g = w === null ? gy : mul(gy, w);
      const gx = sub(sub(g, mean(g, axes, true)), mul(xhat, mean(mul(g, xhat), axes, true)));
      return [
        x.requiresGrad ? mul(gx, invstd) : null,
        ...(w ? [wants(w) ? sum(mul(gy, xhat), lead) : null] : []),
        ...(b ? [wants(b) ? sum(gy, lead) : null] : []),
      ];
    }
    const gx = x.requiresGrad ? allocateUnfilled(x.dtype, x.size) : null;
    const gw = wants(w) ? allocateUnfilled(w!.dtype, w!.size) : null;
    const gb = wants(b) ? allocateUnfilled(b!.dtype, b!.size) : null;
    kernels().layerNormBackward(gy.data, x.data, a.rows, a.cols, stats, w === null ? null : w.data, gx, gw, gb);
    return [
      gx === null ? null : new Tensor(gx, x.shape),
      ...(w ? [gw === null ? null : new Tensor(gw, w.shape)] : []),
      ...(b ? [gb === null ? null : new Tensor(gb, b.shape)] : []),
    ];
  },
  describe: (a) => `k=${a.k} eps=${a.eps}`,
});

export interface GroupNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/** [1, C, 1, …]: a per-channel tensor that broadcasts against x. */
const channelShape = (x: Tensor) => x.shape.map((n, d) => (d === 1 ? n : 1));

function checkChannelParam(op: string, name: string, t: Tensor | null | undefined, x: Tensor): Tensor | null {
  if (!t) return null;
  if (t.ndim !== 1 || t.shape[0] !== x.shape[1]) {
    throw new Error(`${op}: ${name} ${fmt(t.shape)} does not match the ${x.shape[1]} channels of input ${fmt(x.shape)}`);
  }
  return t;
}

/**
 * Splits the channels of x [N, C, …] into `numGroups` groups and normalises each group of each
 * sample over its channels and positions; weight and bias are per channel [C].
 */
export function groupNorm(x: Tensor, numGroups: number, opts: GroupNormOptions = {}): Tensor {
  checkTensor('groupNorm', 'input', x);
  if (x.ndim < 2) throw new Error(`groupNorm: expected input [N,C,...], got ${fmt(x.shape)}`);
  const [n, c] = x.shape;
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new Error(`groupNorm: numGroups ${numGroups} must be a positive integer dividing the ${c} channels (input ${fmt(x.shape)})`);
  }
  const eps = checkEps('groupNorm', opts.eps ?? 1e-5, x);
  const weight = checkChannelParam('groupNorm', 'weight', opts.weight, x);
  const bias = checkChannelParam('groupNorm', 'bias', opts.bias, x);
  const grouped = reshape(x, [n, numGroups, (c / numGroups) * sizeOf(x.shape.slice(2))]);
  return affine(reshape(normalize(grouped, [2], eps), x.shape), weight, bias, channelShape(x));
}

export interface InstanceNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  /** Normalise with each instance's own statistics (default true); false: with the running ones. */
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Normalises each channel of each sample of x [N, C, …] over its positions; weight and bias per
 * channel. With running statistics and useInputStats they are updated in place (Note [instance norm
 * running statistics]); with useInputStats false they normalise instead.
 */
export function instanceNorm(x: Tensor, opts: InstanceNormOptions = {}): Tensor {
  checkTensor('instanceNorm', 'input', x);
  if (x.ndim < 3)
    throw new Error(`instanceNorm: expected input [N,C,L] or [N,C,H,W] (with positions to normalise over), got ${fmt(x.shape)}`);
  const eps = checkEps('instanceNorm', opts.eps ?? 1e-5, x);
  const momentum = opts.momentum ?? 0.1;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
    throw new Error(`instanceNorm: momentum must be in [0,1], got ${String(momentum)} (input ${fmt(x.shape)})`);
  }
  const weight = checkChannelParam('instanceNorm', 'weight', opts.weight, x);
  const bias = checkChannelParam('instanceNorm', 'bias', opts.bias, x);
  const rm = checkChannelParam('instanceNorm', 'runningMean', opts.runningMean, x);
  const rv = checkChannelParam('instanceNorm', 'runningVar', opts.runningVar, x);
  if ((rm === null) !== (rv === null)) {
    throw new Error(`instanceNorm: pass both runningMean and runningVar or neither (input ${fmt(x.shape)})`);
  }
  const perChannel = channelShape(x);
  const axes = x.shape.slice(2).map((_, i) => i + 2);
  if (!(opts.useInputStats ?? true)) {
    if (rm === null || rv === null)
      throw new Error(`instanceNorm: useInputStats false needs runningMean and runningVar (input ${fmt(x.shape)})`);
    const y = div(sub(x, reshape(rm, perChannel)), sqrt(add(reshape(rv, perChannel), eps)));
    return affine(y, weight, bias, perChannel);
  }
  const count = sizeOf(x.shape.slice(2));
  if (count <= 1) throw new Error(`instanceNorm: expected more than 1 position per channel, got input ${fmt(x.shape)}`);
  if (rm !== null && rv !== null) updateRunning(x, rm, rv, momentum, count);
  return affine(normalize(x, axes, eps), weight, bias, perChannel);
}

/** Note [instance norm running statistics]. */
function updateRunning(x: Tensor, rm: Tensor, rv: Tensor, momentum: number, count: number): void {
  noGrad(() => {
    const [n, c] = x.shape;
    const d = x.data;
    for (let ch = 0; ch < c; ch++) {
      let meanSum = 0;
      let varSum = 0;
      for (let s = 0; s < n; s++) {
        const base = (s * c + ch) * count;
        let m = 0;
        for (let i = 0; i < count; i++) m += d[base + i];
        m /= count;
        let v = 0;
        for (let i = 0; i < count; i++) v += (d[base + i] - m) * (d[base + i] - m);
        meanSum += m;
        varSum += v / (count - 1);
      }
      rm.data[ch] = (1 - momentum) * rm.data[ch] + (momentum * meanSum) / n;
      rv.data[ch] = (1 - momentum) * rv.data[ch] + (momentum * varSum) / n;
    }
  });
}

declare module '../tensor/tensor' {
  interface Tensor {
    layerNorm(normalizedShape: readonly number[] | number, opts?: LayerNormOptions): Tensor;
    groupNorm(numGroups: number, opts?: GroupNormOptions): Tensor;
    instanceNorm(opts?: InstanceNormOptions): Tensor;
  }
}
