/**
 * @file Gradient cases for the convolution family: conv1d/conv2d/convTranspose2d with every option
 * (stride, padding, dilation, groups, depthwise, bias or none, outputPadding, unbatched input),
 * convolve/correlate/convolve2d in every mode and both input orders, the expanded graphs, and pooling.
 *
 * Convolutions are bilinear, so with x and w both checked, order 2 runs the cross terms through
 * the backward rules' own primitives. The `vjp` rows make gy an input as well, so every argument of
 * conv2dWeight and convTranspose2d as used by backward rules is differentiated. Linear ops (pooling,
 * an expanded graph's pick and assemble) are checked squared, so their gradient depends on x and
 * order 2 runs the backward of the backward. Random inputs keep max pooling away from ties.
 */
import * as tg from '../../index';
import type { Tensor } from '../../index';
import type { OpCase } from '../op-case';
import { builtin } from '../op-case';

const r = tg.rng('cases:conv');
/** A float64 leaf with seeded normal values that requires grad. */
const leaf = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad: true });

const square = (y: Tensor) => tg.mul(y, y);
/**
 * The input and weight gradients of f at (x, w) against gy, as one flat tensor. Recording stays on
 * while gradcheck's numeric pass runs under noGrad: the inner grad needs a graph.
 */
function vjp(f: (x: Tensor, w: Tensor) => Tensor, x: Tensor, w: Tensor, gy: Tensor): Tensor {
  return tg.enableGrad(() => {
    const [gx, gw] = tg.grad(f(x, w), [x, w], { gradOutputs: [gy], createGraph: true });
    return tg.concat([tg.reshape(gx!, [-1]), tg.reshape(gw!, [-1])]);
  });
}

const conv2dCase = (label: string, x: number[], w: number[], bias: boolean, opts: tg.ConvOptions): OpCase => ({
  name: `conv2d ${label}`,
  inputs: () => (bias ? [leaf(x), leaf(w), leaf([w[0]])] : [leaf(x), leaf(w)]),
  fn: (xs, ws, b) => tg.conv2d(xs, ws, b ?? null, opts),
});

const conv1dCase = (label: string, x: number[], w: number[], bias: boolean, opts: tg.ConvOptions): OpCase => ({
  name: `conv1d ${label}`,
  inputs: () => (bias ? [leaf(x), leaf(w), leaf([w[0]])] : [leaf(x), leaf(w)]),
  fn: (xs, ws, b) => tg.conv1d(xs, ws, b ?? null, opts),
});

/** With outputPadding ≥ stride, the input gradient is a conv2d sliced to size (slice, and pad at order 2). */
const transposeCase = (label: string, x: number[], w: number[], bias: boolean, opts: tg.ConvTransposeOptions, sliced = false): OpCase => ({
  name: `convTranspose2d ${label}`,
  inputs: () => (bias ? [leaf(x), leaf(w), leaf([w[1] * (opts.groups ?? 1)])] : [leaf(x), leaf(w)]),
  fn: (xs, ws, b) => tg.convTranspose2d(xs, ws, b ?? null, opts),
});

const signalCase = (op: 'convolve' | 'correlate' | 'convolve2d', mode: tg.SignalMode, x: number[], w: number[]): OpCase => ({
  name: `${op} ${mode} x ${tg.fmt(x)} w ${tg.fmt(w)}`,
  inputs: () => [leaf(x), leaf(w)],
  fn: (xs, ws) => tg[op](xs, ws, mode),
});

const poolCase = (
  op: 'maxPool1d' | 'maxPool2d' | 'avgPool1d' | 'avgPool2d',
  label: string,
  x: number[],
  kernel: tg.SpatialOption,
  opts: tg.PoolOptions,
): OpCase => ({
  name: `${op} ${label} (squared)`,
  inputs: () => [leaf(x)],
  fn: (xs) => square(tg[op](xs, kernel, opts)),
});

export const convCases: OpCase[] = [
  // ---- conv2d ----
  conv2dCase('bias', [2, 3, 4, 4], [2, 3, 3, 3], true, {}),
  conv2dCase('stride=2 pad=1 (the tutorial layer)', [1, 3, 5, 5], [2, 3, 3, 3], true, { stride: 2, padding: 1 }),
  conv2dCase('stride=[2,1] pad=[0,1] no bias', [1, 2, 5, 4], [3, 2, 2, 3], false, { stride: [2, 1], padding: [0, 1] }),
  conv2dCase('dilation=2 pad=2', [1, 2, 5, 5], [2, 2, 3, 3], true, { dilation: 2, padding: 2 }),
  conv2dCase('dilation=[1,2] stride=[1,3]', [1, 1, 4, 8], [2, 1, 2, 2], false, { dilation: [1, 2], stride: [1, 3] }),
  conv2dCase('groups=2', [2, 4, 4, 4], [4, 2, 2, 2], true, { groups: 2 }),
  conv2dCase('depthwise groups=3 multiplier 2 pad=1', [1, 3, 4, 4], [6, 1, 3, 3], true, { groups: 3, padding: 1 }),
  conv2dCase('1x1 pointwise', [2, 4, 3, 3], [3, 4, 1, 1], true, {}),
  conv2dCase('stride=2 dilation=2 groups=2 pad=[1,2]', [1, 4, 7, 6], [2, 2, 2, 3], true, {
    stride: 2,
    dilation: 2,
    groups: 2,
    padding: [1, 2],
  }),
  conv2dCase('padding wider than the kernel', [1, 1, 2, 2], [2, 1, 2, 2], true, { padding: 3, stride: 2 }),
  conv2dCase('unbatched [C,H,W]', [2, 4, 4], [3, 2, 3, 3], true, { padding: 1 }),
  {
    name: 'conv2d vjp: gradients of x and w as functions of x, w and gy',
    inputs: () => [leaf([1, 2, 5, 5]), leaf([4, 1, 3, 3]), leaf([1, 4, 2, 3])],
    fn: (x, w, gy) => vjp((a, b) => tg.conv2d(a, b, null, { stride: [2, 1], padding: [0, 1], dilation: [1, 2], groups: 2 }), x, w, gy),
  },

  // ---- conv1d ----
  conv1dCase('bias', [2, 2, 7], [3, 2, 3], true, {}),
  conv1dCase('stride=2 pad=1 dilation=2 groups=2', [1, 4, 9], [4, 2, 3], true, { stride: 2, padding: 1, dilation: 2, groups: 2 }),
  conv1dCase('depthwise unbatched [C,L]', [3, 6], [3, 1, 2], false, { groups: 3, padding: [1] }),

  // ---- convTranspose2d ----
  transposeCase('bias', [1, 2, 3, 3], [2, 3, 2, 2], true, {}),
  transposeCase('stride=2 pad=1 outputPadding=1', [2, 2, 3, 3], [2, 2, 3, 3], true, { stride: 2, padding: 1, outputPadding: 1 }),
  transposeCase('groups=2 dilation=2 stride=[2,1] outputPadding=[1,0]', [1, 4, 3, 2], [4, 1, 2, 2], true, {
    groups: 2,
    dilation: 2,
    stride: [2, 1],
    outputPadding: [1, 0],
  }),
  transposeCase('dilation=3 outputPadding=2 (≥ stride)', [1, 2, 3, 3], [2, 2, 2, 2], false, { dilation: 3, outputPadding: 2 }, true),
  transposeCase('unbatched', [2, 3, 3], [2, 1, 3, 3], false, { stride: 2, padding: 1 }),
  {
    name: 'convTranspose2d vjp: gradients of x and w as functions of x, w and gy',
    inputs: () => [leaf([1, 2, 2, 2]), leaf([2, 2, 2, 2]), leaf([1, 4, 7, 7])],
    fn: (x, w, gy) => vjp((a, b) => tg.convTranspose2d(a, b, null, { dilation: 3, outputPadding: 2, groups: 2 }), x, w, gy),
  },

  {
    // maxPool's third-order rule: scatterAddFlat's backward is this gather.
    name: "gatherFlat (max pooling's routing of gradients), squared",
    inputs: () => [leaf([2, 3])],
    fn: (x) => square(builtin('gatherFlat').apply([x], { index: Int32Array.from([5, 0, 3, 3]), shape: [4] })),
  },

  // ---- convolve, correlate, convolve2d ----
  // 'same' pads asymmetrically exactly when the shorter (kernel) length is even
  ...(['full', 'same', 'valid'] as const).flatMap((mode) => {
    return [
      signalCase('convolve', mode, [7], [3]),
      signalCase('convolve', mode, [6], [4]),
      signalCase('convolve', mode, [4], [7]),
      signalCase('correlate', mode, [7], [3]),
      signalCase('correlate', mode, [6], [4]),
      signalCase('correlate', mode, [4], [7]),
      signalCase('convolve2d', mode, [4, 5], [2, 3]),
      signalCase('convolve2d', mode, [2, 3], [3, 4]),
    ];
  }),
  signalCase('convolve2d', 'same', [3, 5], [4, 2]),

  // ---- expanded graphs ----
  {
    name: 'convolve expand (the tutorial graph, squared)',
    inputs: () => [leaf([5]), leaf([3])],
    fn: (x, w) => square(tg.convolve(x, w, 'full', { expand: true })),
  },
  {
    name: 'convolve same expand, w longer',
    inputs: () => [leaf([3]), leaf([4])],
    fn: (x, w) => tg.convolve(x, w, 'same', { expand: true }),
  },
  {
    name: 'correlate same expand, w longer (reversed, squared)',
    inputs: () => [leaf([2]), leaf([5])],
    fn: (x, w) => square(tg.correlate(x, w, 'same', { expand: true })),
  },
  {
    name: 'convolve2d valid expand, w larger',
    inputs: () => [leaf([2, 2]), leaf([3, 4])],
    fn: (x, w) => tg.convolve2d(x, w, 'valid', { expand: true }),
  },
  {
    name: 'conv1d expand stride=2 pad=1 bias (squared)',
    inputs: () => [leaf([1, 2, 6]), leaf([2, 2, 3]), leaf([2])],
    fn: (x, w, b) => square(tg.conv1d(x, w, b, { stride: 2, padding: 1, expand: true })),
  },
  {
    name: 'conv2d expand stride=2 pad=1 groups=2 dilation=[1,2] bias',
    inputs: () => [leaf([1, 2, 4, 5]), leaf([2, 1, 2, 2]), leaf([2])],
    fn: (x, w, b) => tg.conv2d(x, w, b, { stride: 2, padding: 1, groups: 2, dilation: [1, 2], expand: true }),
  },

  // ---- pooling ----
  poolCase('maxPool2d', 'kernel=2', [2, 2, 4, 4], 2, {}),
  poolCase('maxPool2d', 'kernel=[3,2] stride=[2,1] pad=1', [1, 2, 5, 4], [3, 2], { stride: [2, 1], padding: 1 }),
  poolCase('maxPool2d', 'kernel=3 stride=1 pad=1 (overlapping windows)', [1, 1, 4, 4], 3, { stride: 1, padding: 1 }),
  poolCase('maxPool2d', 'unbatched', [2, 4, 4], 2, { stride: 1 }),
  poolCase('maxPool1d', 'kernel=3 stride=2 pad=1', [2, 2, 7], 3, { stride: 2, padding: 1 }),
  poolCase('avgPool2d', 'kernel=2', [2, 2, 4, 4], 2, {}),
  poolCase('avgPool2d', 'kernel=3 stride=1 pad=1', [1, 2, 4, 4], 3, { stride: 1, padding: 1 }),
  poolCase('avgPool2d', 'kernel=[2,3] stride=[1,2] pad=[1,1]', [1, 1, 4, 5], [2, 3], { stride: [1, 2], padding: [1, 1] }),
  poolCase('avgPool1d', 'kernel=4 stride=3 pad=2', [1, 2, 9], 4, { stride: 3, padding: 2 }),
  poolCase('avgPool1d', 'unbatched', [2, 6], 2, {}),
];
