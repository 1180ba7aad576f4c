/**
 * @file The tutorial "Deep learning and convolution basics", in order, computed by tapegrad: 1-D
 * convolution by hand (flip, slide, multiply, sum) beside tg.convolve, 'full' / 'same' / 'valid',
 * MATLAB's padarray on the 5×5×3 input, the convolution as a graph and the input and weight
 * gradients read off it, 2-D convolution, stride and the output-size formula, and the worked
 * 5×5×3 layer with K = 2 filters, stride 2, pad 1 — with its gradients checked against backward().
 *
 * Run: npx ts-node examples/tutorial.ts [graph.svg]   (default runs/tutorial/conv1d-expanded.svg)
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as tg from '../src';

type Log = (line: string) => void;

const show = (t: tg.Tensor) => JSON.stringify(t.toArray());

/** Largest absolute difference between two tensors of one shape. */
function maxDiff(a: tg.Tensor, b: tg.Tensor): number {
  if (!tg.sameShape(a.shape, b.shape)) throw new Error(`maxDiff: shapes ${tg.fmt(a.shape)} and ${tg.fmt(b.shape)} differ`);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

/**
 * Full 1-D convolution the tutorial's way: flip w, then at each step n slide it one sample further
 * along x and add up the products where the two overlap (samples outside x count as zero).
 */
export function convolveByHand(x: number[], w: number[], log?: Log): number[] {
  const flipped = [...w].reverse();
  const steps = x.length + w.length - 1;
  const y: number[] = [];
  for (let n = 0; n < steps; n++) {
    const products: string[] = [];
    let sum = 0;
    // The flipped kernel's first sample sits over x[n - (|w| - 1)].
    for (let j = 0; j < flipped.length; j++) {
      const i = n - (flipped.length - 1) + j;
      if (i < 0 || i >= x.length) continue;
      sum += x[i] * flipped[j];
      products.push(`${x[i]}·${flipped[j]}`);
    }
    const inside = n >= w.length - 1 && n < x.length;
    log?.(`  step ${n + 1}: ${products.join(' + ')} = ${sum}${inside ? '   (window inside x: valid)' : ''}`);
    y.push(sum);
  }
  return y;
}

/** The output size of a convolution along one axis: (W − F + 2P)/S + 1 (floored, as the layers do). */
export function outputSize(w: number, f: number, p: number, s: number): number {
  return Math.floor((w - f + 2 * p) / s) + 1;
}

/** The tutorial's input volume x(:,:,c), channel by channel as its MATLAB session prints it. */
export const TUTORIAL_X = [
  [
    [1, 1, 0, 2, 0],
    [2, 2, 2, 2, 1],
    [0, 0, 0, 2, 1],
    [2, 2, 2, 2, 1],
    [2, 0, 2, 2, 1],
  ],
  [
    [2, 1, 0, 0, 0],
    [0, 2, 0, 1, 0],
    [1, 0, 1, 2, 0],
    [1, 2, 0, 2, 1],
    [1, 2, 1, 2, 2],
  ],
  [
    [2, 1, 1, 2, 2],
    [1, 1, 1, 0, 0],
    [2, 0, 1, 0, 2],
    [0, 2, 0, 2, 1],
    [0, 0, 2, 1, 0],
  ],
];

/** Prints a [H,W] matrix as MATLAB does, one row a line. */
function printMatrix(m: tg.Tensor, log: Log): void {
  for (const row of m.toArray() as number[][]) log('  ' + row.map((v) => String(v).padStart(3)).join(''));
}

export interface TutorialResult {
  full: number[];
  valid: number[];
  byHand: number[];
  padded: number[];
  gx: number[];
  gw: number[];
  /** The 2-D filter by hand and by tg.convolve2d. */
  filter2d: { byHand: number[][]; convolve2d: number[][] };
  layerShape: number[];
  /** The layer's centre output by hand and by tg.conv2d. */
  centre: { byHand: number; conv2d: number };
  /** max |derived − backward()| over the 1-D and 2-D input, weight and bias gradients. */
  gradientError: number;
  graphFile: string;
}

export async function main(
  graphFile = path.join('runs', 'tutorial', 'conv1d-expanded.svg'),
  log: Log = console.log,
): Promise<TutorialResult> {
  log('1. Convolution of two signals: flip one, slide it over the other, multiply and sum');
  const xs = [0, 1, 2, 3, 4];
  const ws = [1, -1, 2];
  log(`  x = (${xs}), w = (${ws}), w flipped = (${[...ws].reverse()})`);
  const byHand = convolveByHand(xs, ws, log);
  const x = tg.tensor(xs, { requiresGrad: true, name: 'x' });
  const w = tg.tensor(ws, { requiresGrad: true, name: 'w' });
  const full = tg.convolve(x, w);
  log(`  by hand:               ${JSON.stringify(byHand)}`);
  log(`  tg.convolve(x, w):     ${show(full)}   (numpy.convolve gives the same)`);
  log(`  tg.convolve(w, x):     ${show(tg.convolve(w, x))}   (conv(a,b) == conv(b,a))`);

  log('\n2. Output sizes: full |x|+|w|-1, same |x|, valid |x|-|w|+1 (InputSize - KernelSize + 1)');
  for (const mode of ['full', 'same', 'valid'] as const) {
    const y = tg.convolve(x, w, mode);
    log(`  ${mode.padEnd(5)} ${show(y).padEnd(18)} length ${y.shape[0]}`);
  }
  const valid = tg.convolve(x, w, 'valid');

  log("\n3. Padding: MATLAB's padarray(x, [1 1]) is tg.pad(x, [1, 1]) on the 5×5×3 input");
  const volume = tg.transpose(tg.tensor(TUTORIAL_X), [1, 2, 0]); // [H,W,C], as MATLAB stores x(:,:,c)
  const padded = tg.pad(volume, [1, 1]);
  log(`  x is ${tg.fmt(volume.shape)}, padarray(x, [1 1]) is ${tg.fmt(padded.shape)}; ans(:,:,1) =`);
  const channel = (v: tg.Tensor, c: number) => tg.reshape(tg.slice(tg.transpose(v, [2, 0, 1]), [c], [c + 1]), [v.shape[0], v.shape[1]]);
  printMatrix(channel(padded, 0), log);

  log('\n4. Convolution as a computational graph: one multiply node per product x_i·w_j');
  const xe = tg.tensor(xs, { requiresGrad: true, name: 'x' });
  const we = tg.tensor(ws, { requiresGrad: true, name: 'w' });
  const ye = tg.convolve(xe, we, 'valid', { expand: true });
  ye.name = 'y';
  const gy = tg.tensor([1, 2, 3]);
  ye.backward(gy);
  // Read off the graph: y_k = Σ_j x[k+2-j]·w[j], so dL/dx[i] collects gy_k·w[j] over the products that
  // use x[i] — the full convolution of gy with w flipped — and dL/dw[j] collects gy_k·x[k+2-j],
  // the correlation of x with gy read backwards.
  const gxDerived = tg.convolve(gy, tg.flip(w), 'full');
  const gwDerived = tg.flip(tg.correlate(x, gy, 'valid'));
  valid.backward(gy);
  log(`  y = ${show(ye)}, dL/dy = ${show(gy)}`);
  log(`  dL/dx: expanded graph ${show(xe.grad!)}, fused backward ${show(x.grad!)}, convolve(dL/dy, flip(w), 'full') ${show(gxDerived)}`);
  log(`  dL/dw: expanded graph ${show(we.grad!)}, fused backward ${show(w.grad!)}, flip(correlate(x, dL/dy)) ${show(gwDerived)}`);
  let gradientError = Math.max(
    maxDiff(xe.grad!, gxDerived),
    maxDiff(x.grad!, gxDerived),
    maxDiff(we.grad!, gwDerived),
    maxDiff(w.grad!, gwDerived),
  );
  fs.mkdirSync(path.dirname(path.resolve(graphFile)), { recursive: true });
  await tg.viz.writeGraph(graphFile, ye, { values: true, grads: true, title: "y = convolve(x, w, 'valid'), dL/dy = (1, 2, 3)" });
  log(`  the graph, with values and gradients: ${graphFile}`);

  log('\n5. 2-D convolution as an image filter: flip the kernel, slide it over the image');
  const image = channel(volume, 0);
  const kernel = tg.tensor([
    [1, 0],
    [0, -1],
  ]);
  const flipped = tg.flip(kernel).toArray() as number[][];
  const img = image.toArray() as number[][];
  const byHand2d = img
    .slice(0, -1)
    .map((row, r) =>
      row
        .slice(0, -1)
        .map(
          (_, c) =>
            flipped[0][0] * img[r][c] + flipped[0][1] * img[r][c + 1] + flipped[1][0] * img[r + 1][c] + flipped[1][1] * img[r + 1][c + 1],
        ),
    );
  const filtered = tg.convolve2d(image, kernel, 'valid');
  log(`  kernel [[1,0],[0,-1]] (a diagonal edge detector) over channel 1, 'valid' (scipy.signal.convolve2d):`);
  printMatrix(filtered, log);
  log(`  by hand the same: ${JSON.stringify(byHand2d) === show(filtered)}`);

  log('\n6. Stride: the window moves S pixels; kernel 2 with stride 2 halves each dimension');
  const four = tg.reshape(tg.arange(16), [1, 1, 4, 4]);
  const halved = tg.conv2d(four, tg.ones([1, 1, 2, 2]), null, { stride: 2 });
  log(`  [1,1,4,4] with a 2×2 kernel, stride 2 -> ${tg.fmt(halved.shape)}: ${show(halved)}`);
  log('  output size (W - F + 2P)/S + 1, checked against conv2d:');
  for (const [size, f, p, s] of [
    [5, 3, 1, 2],
    [4, 2, 0, 2],
    [7, 3, 0, 1],
    [7, 3, 1, 1],
    [32, 5, 2, 1],
    [28, 5, 0, 1],
  ]) {
    const y = tg.conv2d(tg.zeros([1, 1, size, size]), tg.zeros([1, 1, f, f]), null, { stride: s, padding: p });
    log(
      `  W=${size} F=${f} P=${p} S=${s}: (${size} - ${f} + ${2 * p})/${s} + 1 = ${outputSize(size, f, p, s)}, conv2d gives ${y.shape[3]}`,
    );
  }

  log('\n7. The worked layer: input 5×5×3, K = 2 filters of 3×3×3, stride 2, pad 1, one bias per filter');
  const r = tg.rng('tutorial-layer');
  const input = tg.tensor([TUTORIAL_X], { requiresGrad: true, name: 'x' }); // [1,3,5,5]
  const weight = tg.tensor(
    Array.from({ length: 2 * 3 * 3 * 3 }, () => r.int(3) - 1),
    { shape: [2, 3, 3, 3], requiresGrad: true, name: 'w' },
  );
  const bias = tg.tensor([1, 0], { requiresGrad: true, name: 'bias' });
  const out = tg.conv2d(input, weight, bias, { stride: 2, padding: 1 });
  log(`  output size (5 - 3 + 2)/2 + 1 = ${outputSize(5, 3, 1, 2)}: y is ${tg.fmt(out.shape)} (3×3×2)`);
  // The centre output by hand: filter w0 over the padded input's 3×3×3 window at rows and columns
  // 2..4 (position 1 times stride 2), plus b0. Network "convolution" is cross-correlation: the
  // filter is not flipped.
  const xp = tg
    .pad(input, [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
    ])
    .toArray() as number[][][][];
  const wv = weight.toArray() as number[][][][];
  let centre = bias.data[0];
  for (let c = 0; c < 3; c++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) centre += xp[0][c][2 + i][2 + j] * wv[0][c][i][j];
  log(`  y[0,0,1,1] by hand: the window of padded x times w0, summed, plus b0 = ${centre}; conv2d: ${out.data[4]}`);
  for (let k = 0; k < 2; k++) {
    log(`  output channel ${k}:`);
    printMatrix(tg.reshape(tg.slice(out, [0, k], [1, k + 1]), [3, 3]), log);
  }

  log("\n8. The layer's gradients, derived as in 1-D, against backward()");
  const gOut = tg.reshape(tg.arange(18), [1, 2, 3, 3]); // any dL/dy will do
  out.backward(gOut);
  // dL/dx: every output spreads gy·w back over its window — the transposed convolution of gy with w.
  const gxLayer = tg.convTranspose2d(gOut, weight.detach(), null, { stride: 2, padding: 1 });
  // dL/dw: the correlation of the padded x with gy, whose samples sit `stride` apart (dilation 2);
  // one channel of x against one channel of gy at a time, hence the transposes.
  const gwLayer = tg.transpose(
    tg.conv2d(tg.transpose(input.detach(), [1, 0, 2, 3]), tg.transpose(gOut, [1, 0, 2, 3]), null, { padding: 1, dilation: 2 }),
    [1, 0, 2, 3],
  );
  // dL/db_k: each output of filter k adds b_k once.
  const gbLayer = tg.sum(gOut, [0, 2, 3]);
  log(`  dL/dx = convTranspose2d(dL/dy, w, stride 2, pad 1): max |difference| ${maxDiff(input.grad!, gxLayer)}`);
  log(`  dL/dw = correlation of x with dL/dy (dilation 2):   max |difference| ${maxDiff(weight.grad!, gwLayer)}`);
  log(`  dL/db = sum of dL/dy per filter = ${show(gbLayer)}: max |difference| ${maxDiff(bias.grad!, gbLayer)}`);
  gradientError = Math.max(gradientError, maxDiff(input.grad!, gxLayer), maxDiff(weight.grad!, gwLayer), maxDiff(bias.grad!, gbLayer));

  return {
    full: Array.from(full.data),
    valid: Array.from(valid.data),
    byHand,
    padded: padded.shape.slice(),
    gx: Array.from(xe.grad!.data),
    gw: Array.from(we.grad!.data),
    filter2d: { byHand: byHand2d, convolve2d: filtered.toArray() as number[][] },
    layerShape: out.shape.slice(),
    centre: { byHand: centre, conv2d: out.data[4] },
    gradientError,
    graphFile,
  };
}

if (require.main === module) {
  main(process.argv[2]).catch((e: Error) => {
    console.error(`tutorial: ${e.message}`);
    process.exitCode = 1;
  });
}
