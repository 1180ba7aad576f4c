/**
 * @file Network convolutions with PyTorch semantics (cross-correlation): conv1d, conv2d and
 * convTranspose2d, with stride, padding, dilation, groups and an optional bias.
 *
 * Note [conv backward is conv]: three kernel-backed primitives close under differentiation.
 *   conv2d(x, w):           gx = convTranspose2d(gy, w),   gw = conv2dWeight(x, gy)
 *   convTranspose2d(x, w):  gx = conv2d(gy, w),            gw = conv2dWeight(gy, x)
 *   conv2dWeight(x, gy):    gx = convTranspose2d(gy, ggw), ggy = conv2d(x, ggw)
 * conv2dWeight is the correlation of x with gy (the weight gradient). Each rule is written with
 * the others, so createGraph records convolutions and second derivatives flow through them.
 *
 * Note [padding in the transpose]: conv2d maps every input height in a range of S values to the
 * same output height, so the transposed convolution cannot know which one to recover; outputPadding
 * (0 ≤ op < S) picks it. Backward rules compute it from the shape they must return, and slice a
 * conv2d result that comes out longer (possible when a transpose used outputPadding ≥ stride).
 */
import type { Primitive } from '../autograd/primitive';
import { composite } from '../autograd/scope';
import { defineOp } from './names';
import { kernels } from '../kernels';
import type { ConvGeometry } from '../kernels';
import { allocateUnfilled, DType, promoteTypes } from '../tensor/dtype';
import { fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { expandedConv2d } from './expanded';
import { cast, requireFloating } from './operands';
import { sum } from './reduce';
import { reshape, slice } from './shape';
import { checkTensor, spatialOption, SpatialOption, rejectUnknownOptions } from './arguments';

export type { SpatialOption } from './arguments';

export interface ConvOptions {
  stride?: SpatialOption;
  padding?: SpatialOption;
  dilation?: SpatialOption;
  groups?: number;
  /** Build the result from scalar multiply and add nodes (Note [expanded graphs] in expanded.ts). */
  expand?: boolean;
}

export interface ConvTransposeOptions {
  stride?: SpatialOption;
  padding?: SpatialOption;
  outputPadding?: SpatialOption;
  dilation?: SpatialOption;
  groups?: number;
}

/** The attributes of the 2-D primitives: each pair is [height, width]. */
export interface ConvAttrs {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

interface ConvTransposeAttrs extends ConvAttrs {
  outputPadding: [number, number];
}

interface ConvWeightAttrs extends ConvAttrs {
  kernel: [number, number];
}

// ---- geometry ----------------------------------------------------------------------------------

/** floor((n + 2p − d·(k−1) − 1) / s) + 1, the output length of a convolution along one axis. */
function convOutputSize(n: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** (n − 1)·s − 2p + d·(k − 1) + op + 1, the output length of a transposed convolution. */
function convTransposeOutputSize(n: number, k: number, s: number, p: number, d: number, op: number): number {
  return (n - 1) * s - 2 * p + d * (k - 1) + op + 1;
}

/** The conv2d-direction geometry between an input-space shape and an output-space shape. */
function geometry(inShape: readonly number[], outShape: readonly number[], kernel: readonly number[], a: ConvAttrs): ConvGeometry {
  return {
    batch: inShape[0],
    inC: inShape[1],
    inH: inShape[2],
    inW: inShape[3],
    outC: outShape[1],
    outH: outShape[2],
    outW: outShape[3],
    kH: kernel[0],
    kW: kernel[1],
    strideH: a.stride[0],
    strideW: a.stride[1],
    padH: a.padding[0],
    padW: a.padding[1],
    dilH: a.dilation[0],
    dilW: a.dilation[1],
    groups: a.groups,
  };
}

function describeConv(a: ConvAttrs & { outputPadding?: [number, number] }): string {
  const pair = (p: readonly number[]) => (p[0] === p[1] ? `${p[0]}` : `[${p[0]},${p[1]}]`);
  const parts: string[] = [];
  if (a.stride[0] !== 1 || a.stride[1] !== 1) parts.push(`stride=${pair(a.stride)}`);
  if (a.padding[0] !== 0 || a.padding[1] !== 0) parts.push(`pad=${pair(a.padding)}`);
  if (a.dilation[0] !== 1 || a.dilation[1] !== 1) parts.push(`dilation=${pair(a.dilation)}`);
  if (a.outputPadding && (a.outputPadding[0] !== 0 || a.outputPadding[1] !== 0)) parts.push(`outputPadding=${pair(a.outputPadding)}`);
  if (a.groups !== 1) parts.push(`groups=${a.groups}`);
  return parts.join(' ');
}

/** d(loss)/d(bias): gy summed over the batch and the spatial axes (trailing sum first: it is the fast one). */
function biasGrad(gy: Tensor): Tensor {
  // The plane size is spelled out: with batch 0, -1 could stand for any length.
  const plane = gy.shape.slice(2).reduce((a, b) => a * b, 1);
  return sum(sum(reshape(gy, [gy.shape[0], gy.shape[1], plane]), 2), 0);
}

const withBias = (x: Tensor, w: Tensor, bias: Tensor | null): Tensor[] => (bias === null ? [x, w] : [x, w, bias]);

/** Just the attributes every convolution shares (a transpose's outputPadding belongs to it alone). */
const shared = (a: ConvAttrs): ConvAttrs => ({ stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups });

// ---- primitives --------------------------------------------------------------------------------

const conv2dP: Primitive<ConvAttrs> = defineOp<ConvAttrs>('conv2d', {
  forward: ([x, w, bias], a) => {
    const shape = [
      x.shape[0],
      w.shape[0],
      convOutputSize(x.shape[2], w.shape[2], a.stride[0], a.padding[0], a.dilation[0]),
      convOutputSize(x.shape[3], w.shape[3], a.stride[1], a.padding[1], a.dilation[1]),
    ];
    const y = allocateUnfilled(x.dtype, sizeOf(shape));
    kernels().conv2dForward(x.data, w.data, bias ? bias.data : null, geometry(x.shape, shape, w.shape.slice(2), a), y);
    return new Tensor(y, shape);
  },
  backward: (gy, [x, w, bias], _y, a) => [
    x.requiresGrad ? convTranspose2dTo(gy, w, a, x.shape) : null,
    w.requiresGrad ? conv2dWeightP.apply([x, gy], { ...shared(a), kernel: [w.shape[2], w.shape[3]] }) : null,
    bias && bias.requiresGrad ? biasGrad(gy) : null,
  ],
  describe: describeConv,
});

const convTranspose2dP: Primitive<ConvTransposeAttrs> = defineOp<ConvTransposeAttrs>('convTranspose2d', {
  forward: ([x, w, bias], a) => {
    const shape = [
      x.shape[0],
      w.shape[1] * a.groups,
      convTransposeOutputSize(x.shape[2], w.shape[2], a.stride[0], a.padding[0], a.dilation[0], a.outputPadding[0]),
      convTransposeOutputSize(x.shape[3], w.shape[3], a.stride[1], a.padding[1], a.dilation[1], a.outputPadding[1]),
    ];
    const y = allocateUnfilled(x.dtype, sizeOf(shape));
    kernels().convTranspose2dForward(x.data, w.data, bias ? bias.data : null, geometry(shape, x.shape, w.shape.slice(2), a), y);
    return new Tensor(y, shape);
  },
  backward: (gy, [x, w, bias], _y, a) => [
    x.requiresGrad ? conv2dTo(gy, w, a, x.shape) : null,
    w.requiresGrad ? conv2dWeightP.apply([gy, x], { ...shared(a), kernel: [w.shape[2], w.shape[3]] }) : null,
    bias && bias.requiresGrad ? biasGrad(gy) : null,
  ],
  describe: describeConv,
});

/** The weight gradient of conv2d: the correlation of x (input space) with gy (output space). */
const conv2dWeightP: Primitive<ConvWeightAttrs> = defineOp<ConvWeightAttrs>('conv2dWeight', {
  forward: ([x, gy], a) => {
    const shape = [gy.shape[1], x.shape[1] / a.groups, a.kernel[0], a.kernel[1]];
    const gw = allocateUnfilled(x.dtype, sizeOf(shape));
    kernels().conv2dWeightGrad(x.data, gy.data, geometry(x.shape, gy.shape, a.kernel, a), gw);
    return new Tensor(gw, shape);
  },
  backward: (ggw, [x, gy], _y, a) => [
    x.requiresGrad ? convTranspose2dTo(gy, ggw, a, x.shape) : null,
    gy.requiresGrad ? conv2dTo(x, ggw, a, gy.shape) : null,
  ],
  describe: (a) => `kernel=${a.kernel[0]}x${a.kernel[1]}${describeConv(a) ? ' ' + describeConv(a) : ''}`,
});

/** conv2d(x, w) cut to `shape` (Note [padding in the transpose]). */
function conv2dTo(x: Tensor, w: Tensor, a: ConvAttrs, shape: readonly number[]): Tensor {
  const y = conv2dP.apply([x, w], shared(a));
  return y.shape[2] === shape[2] && y.shape[3] === shape[3] ? y : slice(y, [0, 0, 0, 0], shape);
}

/** convTranspose2d(x, w) with the outputPadding that makes its output `shape`. */
function convTranspose2dTo(x: Tensor, w: Tensor, a: ConvAttrs, shape: readonly number[]): Tensor {
  const natural = (d: 0 | 1) => convTransposeOutputSize(x.shape[2 + d], w.shape[2 + d], a.stride[d], a.padding[d], a.dilation[d], 0);
  const outputPadding: [number, number] = [shape[2] - natural(0), shape[3] - natural(1)];
  return convTranspose2dP.apply([x, w], { ...shared(a), outputPadding });
}

/**
 * The conv2d primitive without argument checks, for compositions that build valid arguments
 * themselves (the signal ops): x [N,C,H,W], w [K,C/groups,Fh,Fw], one dtype.
 */
export function applyConv2d(x: Tensor, w: Tensor, bias: Tensor | null, attrs: ConvAttrs): Tensor {
  return conv2dP.apply(withBias(x, w, bias), attrs);
}

/** The dtype every operand is cast to: float64 as soon as one of them is. */
function commonDType(xs: readonly (Tensor | null)[]): DType {
  return xs.reduce<DType>((t, x) => (x === null ? t : promoteTypes(t, x.dtype)), xs[0]!.dtype);
}

/** 'H' and 'W' for conv2d, 'L' for conv1d: how shapes are written in messages. */
const spatialNames = (dims: number) => (dims === 1 ? ['L'] : ['H', 'W']);

interface PreparedConv {
  /** The operands in one dtype, in the caller's shapes. */
  x: Tensor;
  w: Tensor;
  bias: Tensor | null;
  /** Their shapes as the 2-D primitives see them (unbatched inputs gain a batch of 1; 1-D a height of 1). */
  x4: number[];
  w4: number[];
  /** The 2-D attributes (a 1-D op is a height-1 2-D op). */
  attrs: ConvAttrs;
  /** The shape to give the result. */
  outShape: number[];
  /** The output's height and width as the 2-D primitives see it. */
  out2d: [number, number];
}

const CONV_OPTIONS = ['stride', 'padding', 'dilation', 'groups', 'expand'] as const;
const TRANSPOSE_OPTIONS = ['stride', 'padding', 'outputPadding', 'dilation', 'groups'] as const;

/**
 * Checks a conv1d/conv2d/convTranspose2d call against PyTorch's rules and brings it to the 2-D
 * primitives' form. Messages name the op and the shapes as the caller wrote them.
 */
function prepareConv(
  op: string,
  dims: 1 | 2,
  transposed: boolean,
  xArg: Tensor,
  wArg: Tensor,
  biasArg: Tensor | null | undefined,
  opts: ConvOptions & ConvTransposeOptions,
): PreparedConv & { outputPadding: [number, number] } {
  const x = checkTensor(op, 'input', xArg);
  const w = checkTensor(op, 'weight', wArg);
  const bias = biasArg === undefined || biasArg === null ? null : checkTensor(op, 'bias', biasArg);
  const names = spatialNames(dims);
  const shapes = () => `input ${fmt(x.shape)}, weight ${fmt(w.shape)}`;
  if (x.ndim !== dims + 2 && x.ndim !== dims + 1) {
    throw new Error(`${op}: expected input [N,C,${names.join(',')}] (or unbatched [C,${names.join(',')}]), got ${fmt(x.shape)}`);
  }
  const wLayout = transposed
    ? `[C,K/groups,${dims === 1 ? 'F' : names.map((n) => 'F' + n.toLowerCase()).join(',')}]`
    : `[K,C/groups,${dims === 1 ? 'F' : 'Fh,Fw'}]`;
  if (w.ndim !== dims + 2) throw new Error(`${op}: expected weight ${wLayout}, got ${fmt(w.shape)} (input ${fmt(x.shape)})`);
  rejectUnknownOptions(op, opts, transposed ? TRANSPOSE_OPTIONS : CONV_OPTIONS, shapes);
  const unbatched = x.ndim === dims + 1;
  const xShape = unbatched ? [1, ...x.shape] : [...x.shape];
  const stride = spatialOption(op, 'stride', opts.stride, dims, 1, 1, shapes);
  const padding = spatialOption(op, 'padding', opts.padding, dims, 0, 0, shapes);
  const dilation = spatialOption(op, 'dilation', opts.dilation, dims, 1, 1, shapes);
  const outputPadding = transposed
    ? spatialOption(op, 'outputPadding', opts.outputPadding, dims, 0, 0, shapes)
    : new Array<number>(dims).fill(0);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups} (${shapes()})`);

  const inC = xShape[1];
  // conv: weight [K, C/groups, ...]; transposed: weight [C, K/groups, ...].
  const outC = transposed ? w.shape[1] * groups : w.shape[0];
  if (transposed) {
    if (inC % groups !== 0) throw new Error(`${op}: groups ${groups} must divide the input channels ${inC} (${shapes()})`);
    if (w.shape[0] !== inC) throw new Error(`${op}: input channels ${inC} do not match weight input channels ${w.shape[0]} (${shapes()})`);
  } else {
    if (w.shape[0] % groups !== 0) throw new Error(`${op}: groups ${groups} must divide the output channels ${w.shape[0]} (${shapes()})`);
    if (inC % groups !== 0) throw new Error(`${op}: groups ${groups} must divide the input channels ${inC} (${shapes()})`);
    if (w.shape[1] * groups !== inC) {
      const weightChannels = groups === 1 ? `${w.shape[1]}` : `${w.shape[1]} × groups ${groups} = ${w.shape[1] * groups}`;
      throw new Error(`${op}: input channels ${inC} do not match weight channels ${weightChannels} (${shapes()})`);
    }
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outC)) {
    throw new Error(`${op}: bias of shape ${fmt(bias.shape)} does not match the ${outC} output channels (${shapes()})`);
  }
  const spatialIn = xShape.slice(2);
  const kernel = w.shape.slice(2);
  const spatialOut = spatialIn.map((n, d) => {
    if (transposed) {
      if (outputPadding[d] >= Math.max(stride[d], dilation[d])) {
        throw new Error(
          `${op}: outputPadding ${fmt(outputPadding)} must be smaller than the stride ${fmt(stride)} or the dilation ${fmt(dilation)} (${shapes()})`,
        );
      }
      const size = convTransposeOutputSize(n, kernel[d], stride[d], padding[d], dilation[d], outputPadding[d]);
      if (size < 1) {
        throw new Error(`${op}: the output would be empty (${names[d]} = ${size}): padding ${fmt(padding)} is too large (${shapes()})`);
      }
      return size;
    }
    const span = dilation[d] * (kernel[d] - 1) + 1;
    if (span > n + 2 * padding[d]) {
      const dilated = dilation.some((v) => v !== 1) ? ` (dilated ${kernel.map((k, e) => dilation[e] * (k - 1) + 1).join('x')})` : '';
      throw new Error(
        `${op}: kernel ${kernel.join('x')}${dilated} is larger than the padded input ${spatialIn.map((m, e) => m + 2 * padding[e]).join('x')} ` +
          `(${shapes()}, padding ${fmt(padding)})`,
      );
    }
    return convOutputSize(n, kernel[d], stride[d], padding[d], dilation[d]);
  });

  requireFloating(op, { input: x, weight: w, bias });
  const dtype = commonDType([x, w, bias]);
  const to2d = (p: number[], fill: number): [number, number] => (dims === 1 ? [fill, p[0]] : [p[0], p[1]]);
  const to4d = (shape: readonly number[]) => (dims === 1 ? [shape[0], shape[1], 1, shape[2]] : [...shape]);
  return {
    x: cast(x, dtype),
    w: cast(w, dtype),
    bias: bias === null ? null : cast(bias, dtype),
    x4: to4d(xShape),
    w4: to4d(w.shape),
    attrs: { stride: to2d(stride, 1), padding: to2d(padding, 0), dilation: to2d(dilation, 1), groups },
    outputPadding: to2d(outputPadding, 0),
    outShape: [...(unbatched ? [] : [xShape[0]]), outC, ...spatialOut],
    out2d: to2d(spatialOut, 1),
  };
}

// ---- public ops ----------------------------------------------------------------------------------

function convNd(op: string, dims: 1 | 2, x: Tensor, w: Tensor, bias: Tensor | null | undefined, opts: ConvOptions): Tensor {
  const p = prepareConv(op, dims, false, x, w, bias, opts);
  if (opts.expand) {
    // The expanded graph starts at the caller's own tensors: the 4-D view has the same flat layout.
    const g = geometry(p.x4, [p.x4[0], p.w4[0], ...p.out2d], p.w4.slice(2), p.attrs);
    return expandedConv2d(p.x, p.w, p.bias, g, p.outShape);
  }
  return reshape(conv2dP.apply(withBias(reshape(p.x, p.x4), reshape(p.w, p.w4), p.bias), p.attrs), p.outShape);
}

/**
 * 2-D convolution of input [N,C,H,W] (or unbatched [C,H,W]) with weight [K, C/groups, Fh, Fw], plus
 * bias [K]: cross-correlation, as torch.nn.functional.conv2d.
 * @example tg.conv2d(x, w, b, { stride: 2, padding: 1 })   // [1,3,5,5] * [2,3,3,3] -> [1,2,3,3]
 */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  return convNd('conv2d', 2, x, w, bias, opts);
}

/**
 * 1-D convolution of input [N,C,L] (or unbatched [C,L]) with weight [K, C/groups, F], plus bias [K].
 * @example tg.conv1d(x, w, null, { padding: 1 })   // [1,1,5] * [1,1,3] -> [1,1,5]
 */
export function conv1d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  // Drawn as one conv1d node, not as the reshape → conv2d → reshape it runs (Note [composite scopes]);
  // an expanded one is drawn as its scalars, which is what expand asks for.
  if (opts.expand) return convNd('conv1d', 1, x, w, bias, opts);
  return composite('conv1d', describeOptions(opts), [x, w, bias], () => convNd('conv1d', 1, x, w, bias, opts));
}

/** Options in words for a composite's label, e.g. `stride=2 padding=1` (defaults left out). */
function describeOptions(opts: ConvOptions): string {
  const parts: string[] = [];
  for (const key of ['stride', 'padding', 'dilation', 'groups'] as const) {
    const v = opts[key];
    if (v === undefined || (key === 'groups' ? v === 1 : v === (key === 'padding' ? 0 : 1))) continue;
    parts.push(`${key}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`);
  }
  return parts.join(' ');
}

/**
 * Transposed 2-D convolution (the adjoint of conv2d in its input): input [N,C,H,W] with weight
 * [C, K/groups, Fh, Fw] gives [N, K, (H−1)·S − 2P + D·(Fh−1) + outputPadding + 1, …], plus bias [K].
 * @example tg.convTranspose2d(x, w, null, { stride: 2, outputPadding: 1 })   // [1,2,3,3] * [2,3,3,3] -> [1,3,8,8]
 */
export function convTranspose2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  const p = prepareConv('convTranspose2d', 2, true, x, w, bias, opts);
  const y = convTranspose2dP.apply(withBias(reshape(p.x, p.x4), p.w, p.bias), { ...p.attrs, outputPadding: p.outputPadding });
  return reshape(y, p.outShape);
}

/**
 * Transposed 1-D convolution of input [N,C,L] (or [C,L]) with weight [C, K/groups, F], plus bias [K]:
 * convTranspose2d of height 1, as conv1d is conv2d of height 1.
 * @example tg.convTranspose1d(x, w, null, { stride: 2 })   // [1,2,4] * [2,3,3] -> [1,3,9]
 */
export function convTranspose1d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  const p = prepareConv('convTranspose1d', 1, true, x, w, bias, opts);
  const y = convTranspose2dP.apply(withBias(reshape(p.x, p.x4), reshape(p.w, p.w4), p.bias), {
    ...p.attrs,
    outputPadding: p.outputPadding,
  });
  return reshape(y, p.outShape);
}

declare module '../tensor/tensor' {
  interface Tensor {
    conv1d(w: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor;
    conv2d(w: Tensor, bias?: Tensor | null, opts?: ConvOptions): Tensor;
    convTranspose2d(w: Tensor, bias?: Tensor | null, opts?: ConvTransposeOptions): Tensor;
    convTranspose1d(w: Tensor, bias?: Tensor | null, opts?: ConvTransposeOptions): Tensor;
  }
}
