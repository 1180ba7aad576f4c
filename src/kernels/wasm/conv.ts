/**
 * @file The WebAssembly convolution kernels (float32) behind `Kernels.conv*` (src/kernels/wasm/backend.ts). The operands go
 * into the arena once and the result comes out once; in between, either each thread takes ranges of
 * images (im2col into its own scratch, then the GEMM micro-kernel, all inside WebAssembly; or, for a
 * shallow input's forward, the direct tiles of assembly/shallow.ts), or — on the direct path, one
 * output channel per group — threads take output rows, column ranges or blocks of taps of the direct
 * kernels (assembly/direct.ts).
 */
import { CONV_GEOMETRY_BYTES, CONV_LAYOUT, ConvGeometry, convMacs as macs } from '../types';
import { copyIn, copyOut } from './operands';
import { unitRanges } from './parallel';
import type { Runtime } from './runtime';

/** Rounds up to 64 bytes; arithmetic, not bitwise, since sizes may pass 2^31 (the arena then refuses them). */
const align64 = (bytes: number) => Math.ceil(bytes / 64) * 64;

/** Copies the geometry into the arena at the offsets the kernels read (src/kernels/abi.ts). */
function writeGeometry(rt: Runtime, g: ConvGeometry): number {
  const at = rt.reserve(CONV_GEOMETRY_BYTES);
  const i32 = rt.i32;
  for (const field of Object.keys(CONV_LAYOUT) as (keyof ConvGeometry)[]) i32[(at + CONV_LAYOUT[field]) >> 2] = g[field];
  return at;
}

/** `count` ranges [n0, n1) of images, as even as they come. */
function imageRanges(batch: number, count: number): [number, number][] {
  count = Math.max(1, Math.min(batch, count));
  const ranges: [number, number][] = [];
  for (let t = 0; t < count; t++) ranges.push([Math.floor((t * batch) / count), Math.floor(((t + 1) * batch) / count)]);
  return ranges.filter(([n0, n1]) => n1 > n0);
}

/**
 * Image ranges as chunks: single images (up to 64 ranges) when threads share the work, so that a
 * worker descheduled by a busy machine leaves at most one image for the others to wait on.
 */
function imageChunks(batch: number, threads: number, ...lead: number[]): number[][] {
  return imageRanges(batch, threads === 1 ? 1 : 64).map(([n0, n1]) => [...lead, n0, n1]);
}

/**
 * Partial weight gradients: one per range of images, at most PARTIALS of them (enough ranges to
 * balance two to four threads) and at most PARTIALS_BYTES in all.
 */
const PARTIALS = 16;
const PARTIALS_BYTES = 32 << 20;

/** [start, end) ranges covering [0, count) in multiples of `unit`, a few per thread. */
function ranges(count: number, threads: number, unit: number): [number, number][] {
  return unitRanges(count, threads === 1 ? 1 : 4 * threads, unit);
}

/**
 * The direct kernels (assembly/direct.ts) serve one output channel per group with column stride 1
 * (the transposed direct path needs row stride 1 too: see flippedGeometry).
 */
function fitsDirectKernels(g: ConvGeometry): boolean {
  return g.outC === g.groups && g.strideW === 1;
}

/**
 * Shallow inputs (assembly/shallow.ts): few weights per output channel (cg·kH·kW) and few output
 * channels per group, where im2col + GEMM spends more on a thin column matrix and short tiles than on
 * arithmetic. Measured against the GEMM path, 2 threads, batch 32, one process alternating the two:
 * 1×5×5 → 6 on 28×28 (W7's first layer) 0.63× the time, 3×5×5 → 8 on 32×32 0.72×; with 16 or 32
 * output channels it is 0.84–1.07× (GEMM tiles fill up), with 150 weights 1.46×.
 */
const SHALLOW_MAX_WEIGHTS = 80;
const SHALLOW_MAX_CHANNELS = 8;

/** Few weights and output channels per group (more than one: else the direct path), column stride 1. */
function isShallow(g: ConvGeometry): boolean {
  const kg = g.outC / g.groups;
  return g.strideW === 1 && kg > 1 && kg <= SHALLOW_MAX_CHANNELS && (g.inC / g.groups) * g.kH * g.kW <= SHALLOW_MAX_WEIGHTS;
}

/**
 * A stride-1 transposed convolution as a plain correlation: gy (the output space) correlated with
 * the 180°-rotated kernel, padded by (k − 1)·d − p, gives the input space. Channels swap roles.
 * Only for stride 1: the geometry it returns has stride 1 whatever g's, so a caller checks g's first.
 */
function flippedGeometry(g: ConvGeometry): ConvGeometry {
  return {
    batch: g.batch,
    inC: g.outC,
    inH: g.outH,
    inW: g.outW,
    outC: g.inC,
    outH: g.inH,
    outW: g.inW,
    kH: g.kH,
    kW: g.kW,
    strideH: 1,
    strideW: 1,
    padH: (g.kH - 1) * g.dilH - g.padH,
    padW: (g.kW - 1) * g.dilW - g.padW,
    dilH: g.dilH,
    dilW: g.dilW,
    groups: g.groups,
  };
}

/**
 * Column ranges [c0, c1) of an output row, a few per thread, with every boundary on the 32-column
 * grid of Note [column blocks] in assembly/direct.ts (anchored at the interior start, padW), so a
 * column is computed the same way however many threads share the row.
 */
function columnRanges(g: ConvGeometry, threads: number): [number, number][] {
  const start = Math.min(g.outW, Math.max(0, g.padW));
  const units = Math.ceil((g.outW - start) / 32);
  const parts = Math.max(1, Math.min(units, threads === 1 ? 1 : 4 * threads));
  const bounds = [0];
  for (let t = 1; t < parts; t++) bounds.push(Math.min(g.outW, start + Math.floor((t * units) / parts) * 32));
  bounds.push(g.outW);
  const out: [number, number][] = [];
  for (let t = 0; t + 1 < bounds.length; t++) if (bounds[t + 1] > bounds[t]) out.push([bounds[t], bounds[t + 1]]);
  return out;
}

/**
 * Runs directForward over the whole output of geometry `run` (written at `geo`): by output rows when
 * there are enough of them, else by column ranges of every row (a single long signal).
 */
function runDirect(
  rt: Runtime,
  run: ConvGeometry,
  geo: number,
  px: number,
  pw: number,
  pb: number,
  py: number,
  flip: boolean,
  threads: number,
): void {
  const rows = run.batch * run.outC * run.outH;
  const chunks =
    rows >= 4 * threads || threads === 1
      ? ranges(rows, threads, 1).map(([r0, r1]) => [geo, px, pw, pb, py, r0, r1, 0, run.outW, flip ? 1 : 0])
      : columnRanges(run, threads).map(([c0, c1]) => [geo, px, pw, pb, py, 0, rows, c0, c1, flip ? 1 : 0]);
  rt.runChunks('directForward', chunks, threads, 0, 0);
}

/**
 * Whether assembly/winograd.ts computes geometry g: a 3×3, stride-1, undilated, ungrouped correlation
 * whose input, placed at its padding, fits the padded plane of the output's 2×2 tiles (padding after
 * the input may be larger than before, as the signal ops make it, but not smaller than the tiles reach).
 */
export function fitsWinograd(g: ConvGeometry): boolean {
  return (
    g.kH === 3 &&
    g.kW === 3 &&
    g.strideH === 1 &&
    g.strideW === 1 &&
    g.dilH === 1 &&
    g.dilW === 1 &&
    g.groups === 1 &&
    g.padH >= 0 &&
    g.padW >= 0 &&
    g.padH + g.inH <= 2 * Math.ceil(g.outH / 2) + 2 &&
    g.padW + g.inW <= 2 * Math.ceil(g.outW / 2) + 2
  );
}

/**
 * Note [winograd]: float32 3×3 stride-1 convolutions with enough channels run Winograd F(2×2, 3×3)
 * (assembly/winograd.ts) instead of im2col + GEMM: 16 multiplies per 2×2 outputs and channel pair
 * instead of 36, so 2.25× fewer GEMM multiply-adds, for a transform of the input tiles and of the
 * output tiles, each linear in the channels. The input gradient (and convTranspose2d's forward) is a
 * 3×3 stride-1 correlation too (flippedGeometry: the kernel rotated, channels swapped, padding 2 − p)
 * and takes the same kernel; the weight gradient stays on im2col + GEMM.
 *
 * The rule, from by-hand measurements (scratch script calling conv2dForwardWasm /
 * convTranspose2dForwardWasm with `winograd` forced either way, alternating the two in each of 7
 * rounds, median of the last 6; batch 32, 2 threads, relaxed SIMD, on the shared 2-core machine at
 * load 15–19, so ±30% between runs), time relative to im2col + GEMM:
 *   W1, 16 → 32 on 32×32: forward 0.54×, input gradient 0.73×, forward + backward 0.77× (the weight
 *     gradient unchanged); 16 → 8 on 32×32: 0.41× / 0.34×; 16 → 16 on 16×16: 0.58× / 0.57×;
 *     before the xiBytes fix also 32 → 32 on 8×8 and 16×16, 64 → 64 on 16×16 and 32×32: 0.6–0.8×.
 *   8 input channels, forward: 8 → 16 on 32×32 1.03× and 0.52×, 8 → 8 on 16×16 1.00–1.08×, on 32×32
 *     1.06×; 4 → 8 1.24–1.34× — with a GEMM depth of 4 or 8 the 4×8 micro-kernel's loop is too short
 *     to pay for the transforms, and im2col's depth is 9× larger.
 *   8 channels, input gradient: 0.59–0.72× (8 → 8), 0.67–0.68× (8 → 16), 0.80–0.86× (4 → 8): the
 *     transposed im2col path's col2im makes it the slower baseline.
 * Hence: the forward direction with at least 16 input and 8 output channels, the transposed
 * direction with at least 8 on both sides of its correlation.
 *
 * Error: float32 Winograd is not direct summation. Per output, |ŷ − y| ≤ (C + 8)·u·E to first order
 * (u = 2⁻²⁴, C the correlation's input channels), where E is the algorithm run on absolute values,
 * Σ_c |Aᵀ|(|G||g||Gᵀ| ⊙ |Bᵀ||d||B|)|A| (+ |bias|): the input transform's two levels of sums (γ₂), the
 * transformed weight rounded once from float64 (u), the GEMM over C (γ_C), the output transform's
 * two levels of three-term sums and the bias (γ₅). E is at most 17 times the direct bound's Σ|x||w|
 * on W1-shaped random data (the transforms' growth), but the GEMM's depth is C instead of 9·C, so
 * the measured error is no worse: on 2 × 16→32 × 32×32, max |ŷ − y| = 0.20·u·E = 2.0·u·Σ|x||w|
 * (im2col + GEMM: 3.8·u·Σ|x||w|), rms 5.0e−8 against 6.9e−8. tests/winograd.test.ts checks the bound
 * against a float64 loop. float64 never comes here: it runs the TypeScript kernels' exact path.
 */
export function winogradPays(g: ConvGeometry, transposed = false): boolean {
  return fitsWinograd(g) && g.inC >= (transposed ? 8 : 16) && g.outC >= 8;
}

/**
 * Runs assembly/winograd.ts for geometry `run` (written at `geo`): the weights at pw transformed once
 * here (flip: w is the transposed convolution's, read rotated and with its channels swapped), then
 * threads take images.
 */
function runWinograd(
  rt: Runtime,
  run: ConvGeometry,
  geo: number,
  pw: number,
  flip: boolean,
  px: number,
  pb: number,
  py: number,
  threads: number,
): void {
  const pu = rt.reserve(align64(64 * run.inC * run.outC));
  rt.exports.winogradWeights(pw, run.inC, run.outC, flip ? 1 : 0, pu);
  const stride = align64(rt.exports.winogradScratchBytes(geo));
  const work = rt.reserve(stride * threads);
  rt.runChunks('winogradForward', imageChunks(run.batch, threads, geo, px, pu, pb, py), threads, work, stride);
}

/** y = conv2d(x, w) + bias (see conv2dForward in src/kernels/js/conv.ts). */
export function conv2dForwardWasm(
  rt: Runtime,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  g: ConvGeometry,
  y: Float32Array,
  winograd = winogradPays(g),
): Float32Array {
  rt.reset();
  const geo = writeGeometry(rt, g);
  const px = copyIn(rt, x);
  const pw = copyIn(rt, w);
  const pb = copyIn(rt, bias);
  const py = rt.reserve(4 * y.length);
  const threads = rt.threadsFor(macs(g));
  if (fitsDirectKernels(g)) {
    runDirect(rt, g, geo, px, pw, pb, py, false, threads);
  } else if (winograd && fitsWinograd(g)) {
    runWinograd(rt, g, geo, pw, false, px, pb, py, threads);
  } else {
    // Threads take images either way; a shallow input's run directly, others through im2col + GEMM.
    const shallow = isShallow(g);
    const stride = align64(shallow ? rt.exports.shallowScratchBytes(geo) : rt.exports.convScratchBytes(geo));
    const work = rt.reserve(stride * threads);
    const chunks = imageChunks(g.batch, threads, geo, px, pw, pb, py);
    rt.runChunks(shallow ? 'shallowForward' : 'conv2dForward', chunks, threads, work, stride);
  }
  return copyOut(rt, py, y);
}

/**
 * The transposed convolution (conv2d's input gradient, convTranspose2d's forward): x in the output
 * space, y in the input space of geometry g (see convTranspose2dForward in src/kernels/js/conv.ts).
 */
export function convTranspose2dForwardWasm(
  rt: Runtime,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  g: ConvGeometry,
  y: Float32Array,
  winograd = winogradPays(flippedGeometry(g), true),
): Float32Array {
  rt.reset();
  const direct = fitsDirectKernels(g) && g.strideH === 1;
  // Note [winograd]: a 3×3 stride-1 transposed convolution is the correlation of flippedGeometry.
  // flippedGeometry is that correlation only at stride 1 (it drops the stride): a strided one takes
  // im2col + GEMM (a stride-2 layer's input gradient went through Winograd here and came out wrong).
  const flipped = !direct && winograd && g.strideH === 1 && g.strideW === 1 && fitsWinograd(flippedGeometry(g));
  const geo = writeGeometry(rt, direct || flipped ? flippedGeometry(g) : g);
  const px = copyIn(rt, x);
  const pw = copyIn(rt, w);
  const pb = copyIn(rt, bias);
  const py = rt.reserve(4 * y.length);
  const threads = rt.threadsFor(macs(g));
  if (direct) {
    runDirect(rt, flippedGeometry(g), geo, px, pw, pb, py, true, threads);
  } else if (flipped) {
    runWinograd(rt, flippedGeometry(g), geo, pw, true, px, pb, py, threads);
  } else {
    const stride = align64(rt.exports.convScratchBytes(geo));
    const work = rt.reserve(stride * threads);
    rt.runChunks('conv2dInputGrad', imageChunks(g.batch, threads, geo, px, pw, pb, py), threads, work, stride);
  }
  return copyOut(rt, py, y);
}

/** gw = the correlation of x with gy (see conv2dWeightGrad in src/kernels/js/conv.ts). */
export function conv2dWeightGradWasm(rt: Runtime, x: Float32Array, gy: Float32Array, g: ConvGeometry, gw: Float32Array): Float32Array {
  rt.reset();
  const geo = writeGeometry(rt, g);
  const px = copyIn(rt, x);
  const pgy = copyIn(rt, gy);
  const threads = rt.threadsFor(macs(g));
  if (fitsDirectKernels(g)) {
    const pgw = rt.reserve(4 * gw.length);
    const tasks = rt.exports.directWeightGradTasks(geo);
    rt.runChunks(
      'directWeightGrad',
      ranges(tasks, threads, 1).map(([t0, t1]) => [geo, px, pgy, pgw, t0, t1]),
      threads,
      0,
      0,
    );
    return copyOut(rt, pgw, gw);
  }
  // Each range of images adds into its own partial gradient and the partials are summed in order:
  // the ranges depend only on the batch (not on threads or timing), so neither does the rounding.
  const images = imageRanges(g.batch, Math.max(1, Math.min(PARTIALS, Math.floor(PARTIALS_BYTES / (4 * gw.length)))));
  // No images (batch 0): the sum over the batch is empty, so the gradient is zero.
  if (images.length === 0) return gw.fill(0);
  const partialStride = align64(4 * gw.length);
  const partials = rt.reserve(partialStride * images.length);
  const stride = align64(rt.exports.weightGradScratchBytes(geo));
  const work = rt.reserve(stride * threads);
  const f32 = rt.f32;
  f32.fill(0, partials >> 2, (partials + partialStride * images.length) >> 2);
  rt.runChunks(
    'conv2dWeightGrad',
    images.map(([n0, n1], i) => [geo, px, pgy, partials + i * partialStride, n0, n1]),
    threads,
    work,
    stride,
  );
  rt.exports.addPartials(partials, partialStride, images.length, gw.length);
  return copyOut(rt, partials, gw);
}
