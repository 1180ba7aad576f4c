/**
 * @file Pooling: maxPool1d/2d and avgPool1d/2d with PyTorch semantics (floor mode; padding at most
 * half the kernel; average pooling counts padded zeros). 1-D pooling is 2-D pooling of height 1.
 *
 * Max pooling's gradient goes to the first maximal element of each window (row-major), through a
 * flat-index scatter whose own backward is the matching gather, so second derivatives are exact
 * (and zero in x, max pooling being piecewise linear). Average pooling's backward is its adjoint,
 * another kernel-backed primitive whose backward is average pooling again.
 */
import type { Primitive } from '../autograd/primitive';
import { defineOp } from './names';
import { kernels } from '../kernels';
import type { PoolGeometry } from '../kernels';
import { allocate, allocateUnfilled } from '../tensor/dtype';
import { fmt, sizeOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkTensor, spatialOption, SpatialOption, rejectUnknownOptions } from './arguments';
import { requireFloating } from './operands';
import { reshape } from './shape';
import { scatterAddFlat } from './flat-index';

export interface PoolOptions {
  /** Defaults to the kernel size. */
  stride?: SpatialOption;
  padding?: SpatialOption;
}

interface PoolAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

/** x's last two axes are pooled; every leading axis is a plane of its own. */
function poolGeometry(xShape: readonly number[], a: PoolAttrs): PoolGeometry {
  const nd = xShape.length;
  const inH = xShape[nd - 2];
  const inW = xShape[nd - 1];
  return {
    planes: sizeOf(xShape.slice(0, nd - 2)),
    inH,
    inW,
    outH: Math.floor((inH + 2 * a.padding[0] - a.kernel[0]) / a.stride[0]) + 1,
    outW: Math.floor((inW + 2 * a.padding[1] - a.kernel[1]) / a.stride[1]) + 1,
    kH: a.kernel[0],
    kW: a.kernel[1],
    strideH: a.stride[0],
    strideW: a.stride[1],
    padH: a.padding[0],
    padW: a.padding[1],
  };
}

const pooledShape = (xShape: readonly number[], g: PoolGeometry) => [...xShape.slice(0, -2), g.outH, g.outW];

function describePool(a: PoolAttrs): string {
  const pair = (p: readonly number[]) => (p[0] === p[1] ? `${p[0]}` : `[${p[0]},${p[1]}]`);
  const parts = [`kernel=${pair(a.kernel)}`];
  if (a.stride[0] !== a.kernel[0] || a.stride[1] !== a.kernel[1]) parts.push(`stride=${pair(a.stride)}`);
  if (a.padding[0] !== 0 || a.padding[1] !== 0) parts.push(`pad=${pair(a.padding)}`);
  return parts.join(' ');
}

// ---- pooling primitives ----------------------------------------------------------------------------

const maxPool2dP = defineOp<PoolAttrs, Int32Array>('maxPool2d', {
  forward: ([x], a) => {
    const g = poolGeometry(x.shape, a);
    const shape = pooledShape(x.shape, g);
    const y = allocateUnfilled(x.dtype, sizeOf(shape));
    const argmax = new Int32Array(y.length);
    kernels().maxPool2d(x.data, g, y, argmax);
    return { y: new Tensor(y, shape), saved: argmax };
  },
  backward: (gy, [x], _y, _a, argmax) => [scatterAddFlat(gy, argmax, x.shape)],
  describe: describePool,
});

const avgPool2dP: Primitive<PoolAttrs> = defineOp<PoolAttrs>('avgPool2d', {
  forward: ([x], a) => {
    const g = poolGeometry(x.shape, a);
    const shape = pooledShape(x.shape, g);
    return new Tensor(kernels().avgPool2d(x.data, g, allocate(x.dtype, sizeOf(shape))), shape);
  },
  backward: (gy, [x], _y, a) => [avgPool2dAdjointP.apply([gy], { ...a, inShape: x.shape })],
  describe: describePool,
});

/** The adjoint of avgPool2d: spreads each gy element evenly over its window. */
const avgPool2dAdjointP: Primitive<PoolAttrs & { inShape: readonly number[] }> = defineOp<PoolAttrs & { inShape: readonly number[] }>(
  'avgPool2dAdjoint',
  {
    forward: ([gy], a) => {
      const gx = allocate(gy.dtype, sizeOf(a.inShape));
      kernels().avgPool2dAdjoint(gy.data, poolGeometry(a.inShape, a), gx);
      return new Tensor(gx, a.inShape);
    },
    backward: (gg, _xs, _y, a) => [avgPool2dP.apply([gg], { kernel: a.kernel, stride: a.stride, padding: a.padding })],
    describe: describePool,
  },
);

// ---- public ops ----------------------------------------------------------------------------------

/** Checks a pooling call as PyTorch does and returns the 2-D attributes (1-D: height 1). */
function preparePool(op: string, dims: 1 | 2, xArg: Tensor, kernelArg: SpatialOption, opts: PoolOptions): { x: Tensor; attrs: PoolAttrs } {
  const x = checkTensor(op, 'input', xArg);
  requireFloating(op, { input: x });
  const names = dims === 1 ? 'L' : 'H,W';
  if (x.ndim !== dims + 2 && x.ndim !== dims + 1) {
    throw new Error(`${op}: expected input [N,C,${names}] (or unbatched [C,${names}]), got ${fmt(x.shape)}`);
  }
  const context = () => `input ${fmt(x.shape)}`;
  rejectUnknownOptions(op, opts, ['stride', 'padding'], context);
  const kernel = spatialOption(op, 'kernel', kernelArg, dims, 1, 1, context);
  const stride = opts.stride === undefined ? kernel : spatialOption(op, 'stride', opts.stride, dims, 1, 1, context);
  const padding = spatialOption(op, 'padding', opts.padding, dims, 0, 0, context);
  if (padding.some((p, d) => p > Math.floor(kernel[d] / 2))) {
    throw new Error(`${op}: padding ${fmt(padding)} must be at most half the kernel ${fmt(kernel)} (${context()})`);
  }
  const spatial = x.shape.slice(x.ndim - dims);
  if (spatial.some((n, d) => kernel[d] > n + 2 * padding[d])) {
    throw new Error(
      `${op}: kernel ${fmt(kernel)} is larger than the padded input ${fmt(spatial.map((n, d) => n + 2 * padding[d]))} ` +
        `(${context()}, padding ${fmt(padding)})`,
    );
  }
  const to2d = (p: number[], fill: number): [number, number] => (dims === 1 ? [fill, p[0]] : [p[0], p[1]]);
  return {
    x: dims === 1 ? reshape(x, [...x.shape.slice(0, -1), 1, x.shape[x.ndim - 1]]) : x,
    attrs: { kernel: to2d(kernel, 1), stride: to2d(stride, 1), padding: to2d(padding, 0) },
  };
}

function pool(op: string, dims: 1 | 2, p: Primitive<PoolAttrs, any>, x: Tensor, kernel: SpatialOption, opts: PoolOptions): Tensor {
  const prepared = preparePool(op, dims, x, kernel, opts);
  const y = p.apply([prepared.x], prepared.attrs);
  return dims === 1 ? reshape(y, [...y.shape.slice(0, -2), y.shape[y.ndim - 1]]) : y;
}

/**
 * Max over kernel windows of input [N,C,H,W] (or [C,H,W]); the gradient goes to each window's first
 * maximal element. `kernel`, `stride` (default: kernel) and `padding` are a number or [h, w].
 * @example tg.maxPool2d(x, 2)   // [1,3,4,4] -> [1,3,2,2]
 */
export function maxPool2d(x: Tensor, kernel: SpatialOption, opts: PoolOptions = {}): Tensor {
  return pool('maxPool2d', 2, maxPool2dP, x, kernel, opts);
}

/**
 * Mean over kernel windows of input [N,C,H,W] (or [C,H,W]); padded positions count as zeros.
 * @example tg.avgPool2d(x, 3, { stride: 1, padding: 1 })   // keeps H and W
 */
export function avgPool2d(x: Tensor, kernel: SpatialOption, opts: PoolOptions = {}): Tensor {
  return pool('avgPool2d', 2, avgPool2dP, x, kernel, opts);
}

/**
 * Max over kernel windows of input [N,C,L] (or [C,L]).
 * @example tg.maxPool1d(x, 2)   // [1,1,6] -> [1,1,3]
 */
export function maxPool1d(x: Tensor, kernel: SpatialOption, opts: PoolOptions = {}): Tensor {
  return pool('maxPool1d', 1, maxPool2dP, x, kernel, opts);
}

/**
 * Mean over kernel windows of input [N,C,L] (or [C,L]); padded positions count as zeros.
 * @example tg.avgPool1d(x, 2)   // [1,1,6] -> [1,1,3]
 */
export function avgPool1d(x: Tensor, kernel: SpatialOption, opts: PoolOptions = {}): Tensor {
  return pool('avgPool1d', 1, avgPool2dP, x, kernel, opts);
}

declare module '../tensor/tensor' {
  interface Tensor {
    maxPool1d(kernel: SpatialOption, opts?: PoolOptions): Tensor;
    maxPool2d(kernel: SpatialOption, opts?: PoolOptions): Tensor;
    avgPool1d(kernel: SpatialOption, opts?: PoolOptions): Tensor;
    avgPool2d(kernel: SpatialOption, opts?: PoolOptions): Tensor;
  }
}
