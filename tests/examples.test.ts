/**
 * The examples run: each example's main() in-process in its small (smoke) size, with its results
 * checked — the tutorial's numbers, gradcheck verdicts, learning beyond chance — and each file once
 * as a script, `ts-node examples/<name>.ts` with TAPEGRAD_SMOKE=1, as a user runs it.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as autoencoder from '../examples/autoencoder';
import * as charLstm from '../examples/char-lstm';
import * as charTransformer from '../examples/char-transformer';
import * as customOp from '../examples/custom-op';
import * as dbn from '../examples/dbn';
import * as digitsCnn from '../examples/digits-cnn';
import * as digitsLstm from '../examples/digits-lstm';
import * as ganExample from '../examples/gan';
import * as regularisation from '../examples/regularisation';
import * as spiral from '../examples/spiral';
import * as testingGradients from '../examples/testing-gradients';
import * as tutorial from '../examples/tutorial';
import * as vae from '../examples/vae';
import * as xorMlp from '../examples/xor-mlp';
import * as tg from '../src';

const ROOT = path.join(__dirname, '..');
const EXAMPLES = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.ts'))
  .sort();

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-examples-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Collects what an example prints. */
function recorder(): { log: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (line) => void lines.push(line), lines };
}

test('every example in examples/ is covered here', () => {
  expect(EXAMPLES).toEqual([
    'autoencoder.ts',
    'char-lstm.ts',
    'char-transformer.ts',
    'custom-op.ts',
    'dbn.ts',
    'digits-cnn.ts',
    'digits-lstm.ts',
    'gan.ts',
    'regularisation.ts',
    'spiral.ts',
    'testing-gradients.ts',
    'tutorial.ts',
    'vae.ts',
    'xor-mlp.ts',
  ]);
});

describe('tutorial.ts', () => {
  let result: tutorial.TutorialResult;
  let lines: string[];
  const graph = () => path.join(tmp, 'graphs', 'conv1d-expanded.svg');

  beforeAll(async () => {
    const r = recorder();
    result = await tutorial.main(graph(), r.log);
    lines = r.lines;
  });

  test("convolution by hand equals tg.convolve: (0,1,1,3,5,2,8), 'valid' (1,3,5)", () => {
    expect(result.byHand).toEqual([0, 1, 1, 3, 5, 2, 8]);
    expect(result.full).toEqual([0, 1, 1, 3, 5, 2, 8]);
    expect(result.valid).toEqual([1, 3, 5]);
    expect(lines).toContain('  step 4: 1·2 + 2·-1 + 3·1 = 3   (window inside x: valid)');
  });

  test('padarray(x, [1 1]) on the 5×5×3 input is 7×7×3, printed as MATLAB prints ans(:,:,1)', () => {
    expect(result.padded).toEqual([7, 7, 3]);
    const at = lines.findIndex((l) => l.includes('ans(:,:,1)'));
    expect(lines.slice(at + 1, at + 3)).toEqual(['    0  0  0  0  0  0  0', '    0  1  1  0  2  0  0']);
  });

  test('the gradients read off the 1-D graph are (2,3,5,-1,3) and (20,14,8), and every derived gradient matches backward()', () => {
    expect(result.gx).toEqual([2, 3, 5, -1, 3]);
    expect(result.gw).toEqual([20, 14, 8]);
    expect(result.gradientError).toBe(0);
  });

  test('the 2-D filter by hand equals tg.convolve2d, and the layer gives 3×3×2 with its centre by hand', () => {
    expect(result.filter2d.byHand).toEqual(result.filter2d.convolve2d);
    expect(result.filter2d.convolve2d[0]).toEqual([1, 1, 2, -1]);
    expect(result.layerShape).toEqual([1, 2, 3, 3]);
    expect(result.centre.byHand).toBe(result.centre.conv2d);
    expect(lines.filter((l) => /W=\d+ F=\d+ P=\d+ S=\d+: .* = (\d+), conv2d gives \1$/.test(l))).toHaveLength(6);
  });

  test('writes the expanded graph as SVG, one multiply node per product', () => {
    const svg = fs.readFileSync(graph(), 'utf8');
    expect(svg).toMatch(/^<\?xml|^<svg/);
    expect(svg.match(/>mul</g)?.length).toBe(9);
  });
});

describe('custom-op.ts', () => {
  let result: customOp.CustomOpResult;
  beforeAll(() => {
    result = customOp.main(recorder().log);
  });

  test('softplus and clamp pass gradcheck to first and second order', () => {
    for (const r of [result.softplus.order1, result.softplus.order2, result.clamp.order1, result.clamp.order2]) {
      expect(r.failures).toEqual([]);
      expect(r.ok).toBe(true);
    }
  });

  test('the rule that forgets gy fails gradcheck', () => {
    expect(result.forgetful.ok).toBe(false);
    expect(result.forgetful.failures[0]).toMatch(/^input 0 \[3,4\] element 0: analytic/);
  });

  test('the new ops appear in graphs with their attributes', () => {
    expect(result.dot).toContain('example.softplus');
    expect(result.dot).toContain('example.clamp');
    expect(result.dot).toContain('lo=0 hi=1');
  });

  test('the ops behave: softplus(0) = log 2, no overflow, clamp clips and checks its bounds', () => {
    const f64 = (values: number[]) => tg.tensor(values, { dtype: 'float64' });
    expect(customOp.softplus(f64([0, 1000])).toArray()).toEqual([expect.closeTo(Math.log(2), 12), 1000]);
    expect(customOp.clamp(f64([-1, 0.25, 2]), 0, 1).toArray()).toEqual([0, 0.25, 1]);
    expect(() => customOp.clamp(tg.tensor([1]), 1, 0)).toThrow('clamp: lo 1 must not exceed hi 0 (input [1])');
  });
});

describe('xor-mlp.ts (smoke size)', () => {
  test('tanh solves XOR from every seed; relu reports how many of its seeds did', () => {
    const [tanh, relu] = xorMlp.main({ smoke: true, log: recorder().log });
    expect(tanh).toMatchObject({ activation: 'tanh', seeds: 3, solved: 3 });
    const [p00, p01, p10, p11] = tanh.example!;
    expect([p00 < 0.5, p01 > 0.5, p10 > 0.5, p11 < 0.5]).toEqual([true, true, true, true]);
    expect(relu.activation).toBe('relu');
    // The seeds are fixed, so the count is too: relu solves 2 of the 3 (a dead unit stalls the third).
    expect(relu).toMatchObject({ seeds: 3, solved: 2 });
  });
});

describe('spiral.ts (smoke size)', () => {
  test('both nets lower the loss and beat chance (1/3) on the training spiral', () => {
    const results = spiral.main({ smoke: true, log: recorder().log });
    expect(results.map((r) => r.activation)).toEqual(['tanh', 'relu']);
    for (const r of results) {
      expect(r.losses[r.losses.length - 1]).toBeLessThan(0.8 * r.losses[0]);
      expect(r.accuracy).toBeGreaterThan(0.45);
    }
  });

  test('the spiral data: 3 arms of 100 points inside the unit disc', () => {
    const { x, labels } = spiral.spiral(tg.rng('spiral'));
    expect(x.shape).toEqual([300, 2]);
    expect(Array.from(labels.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Math.max(...Array.from(x.data, Math.abs))).toBeLessThanOrEqual(1);
  });
});

describe('digits-cnn.ts (smoke size)', () => {
  test('20 batches of the user-script training loop already beat chance (10%) clearly', () => {
    const { testAccuracy } = digitsCnn.main({ smoke: true, log: recorder().log });
    expect(testAccuracy).toBeGreaterThan(0.3);
  });

  test('the net maps 8×8 digits to 10 logits, with and without batch norm', () => {
    for (const batchNorm of [true, false]) {
      const net = digitsCnn.buildNet({ batchNorm });
      expect(net.forward(tg.zeros([2, 1, 8, 8])).shape).toEqual([2, 10]);
      expect(net.namedParameters().some(([name]) => name === '1.weight')).toBe(batchNorm);
    }
  });
});

describe('char-lstm.ts and char-transformer.ts (smoke size)', () => {
  test.each([
    ['char-lstm', charLstm.main],
    ['char-transformer', charTransformer.main],
  ])('%s: 20 batches take the loss from ln V (uniform) towards the unigram entropy; a sample continues the prompt', (_name, main) => {
    const r = main({ smoke: true, log: recorder().log });
    expect(r.losses).toHaveLength(20);
    const V = 137; // the characters of data/tapegrad-tutorial.txt
    expect(Math.abs(r.losses[0] - Math.log(V))).toBeLessThan(1.5); // an untrained model is near uniform
    expect(r.valLoss).toBeLessThan(r.losses[0] - 1);
    expect(r.unigramLoss).toBeCloseTo(3.2927, 3);
    expect(r.text.startsWith('The gradient')).toBe(true);
    expect(r.text.length).toBeGreaterThan('The gradient'.length + 50);
  });
});

describe('digits-lstm.ts (smoke size)', () => {
  test('2 epochs on 300 images of the LSTM reading rows beat chance (10%) clearly', () => {
    const r = recorder();
    const { testAccuracy } = digitsLstm.main({ smoke: true, log: r.log });
    expect(testAccuracy).toBeGreaterThan(0.25);
    expect(r.lines[r.lines.length - 1]).toMatch(/^300 training sequences, 2 epochs in \d+\.\d s; test accuracy \d+\.\d%$/);
  });

  test('the model reads [N,1,8,8] as 8 steps of 8 features and gives 10 logits', () => {
    const model = new digitsLstm.DigitsLstm(16, tg.rng(1));
    expect(model.forward(tg.zeros([3, 1, 8, 8])).shape).toEqual([3, 10]);
    expect(model.namedParameters().map(([name]) => name)).toEqual([
      'lstm.weight_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'fc.weight',
      'fc.bias',
    ]);
  });
});

describe('dbn.ts (smoke size)', () => {
  test('pre-training lowers the reconstruction error of each RBM; fine-tuning the stack beats chance clearly', () => {
    const { testAccuracy, reconErrors } = dbn.main({ smoke: true, log: recorder().log });
    expect(reconErrors).toHaveLength(4);
    expect(reconErrors[1]).toBeLessThan(reconErrors[0]);
    expect(reconErrors[3]).toBeLessThan(reconErrors[2]);
    expect(testAccuracy).toBeGreaterThan(0.4);
  });

  test('CD-1 through the free energy moves the visible biases towards the data', () => {
    const rng = tg.rng(2);
    const rbm = new dbn.RBM(4, 3, rng);
    const v0 = tg.tensor([[1, 1, 0, 0]]).expand([16, 4]);
    const optimizer = new tg.optim.SGD(rbm.parameters(), { lr: 0.1 });
    for (let i = 0; i < 20; i++) dbn.cd1(rbm, optimizer, v0, rng);
    const b = Array.from(rbm.visibleBias.data);
    expect(b[0]).toBeGreaterThan(0);
    expect(b[1]).toBeGreaterThan(0);
    expect(b[2]).toBeLessThan(0);
    expect(b[3]).toBeLessThan(0);
  });
});

describe('gan.ts (smoke size)', () => {
  test('5 epochs of the DCGAN loop: finite losses, 64 samples in [-1,1] whose mean image moved toward the mean digit', () => {
    const r = ganExample.main({ smoke: true, log: recorder().log });
    expect(Number.isFinite(r.dLoss) && Number.isFinite(r.gLoss)).toBe(true);
    expect(r.samples.shape).toEqual([64, 1, 8, 8]);
    expect(Math.max(...Array.from(r.samples.data, Math.abs))).toBeLessThanOrEqual(1);
    // Untrained, tanh of small weights is mid-grey everywhere (≈ 0), far from the mean digit's dark border and bright middle.
    expect(r.meanImageDistanceBefore).toBeGreaterThan(0.4);
    expect(r.meanImageDistanceAfter).toBeLessThan(0.6 * r.meanImageDistanceBefore);
  });

  test('the networks: noise [N,32] → [N,1,8,8] → logits [N]', () => {
    const rng = tg.rng(1);
    const images = ganExample.buildGenerator(rng).forward(tg.randn([3, 32], { rng }));
    expect(images.shape).toEqual([3, 1, 8, 8]);
    expect(ganExample.buildDiscriminator(rng).forward(images).shape).toEqual([3]);
  });
});

describe('regularisation.ts (smoke size)', () => {
  test('trains each setting and reports train and test accuracy and loss; the regularisers change the run; a rerun is identical', () => {
    const results = regularisation.main({ smoke: true, log: recorder().log });
    expect(results.map((r) => r.name)).toEqual(['none', 'all three']);
    for (const r of results) {
      for (const v of [r.trainAccuracy, r.testAccuracy]) expect(v >= 0 && v <= 1).toBe(true);
      // Ten classes: an untrained net's loss is near ln 10; a broken one is far from it or not finite.
      expect(Math.abs(r.trainLoss - Math.log(10))).toBeLessThan(0.5);
      expect(Math.abs(r.testLoss - Math.log(10))).toBeLessThan(0.5);
      expect(r.testAccuracies).toEqual([r.testAccuracy]);
    }
    // Dropout, L2 and augmentation act: the two settings train differently from the same seed.
    expect(results[1].trainLoss).not.toBe(results[0].trainLoss);
    expect(regularisation.main({ smoke: true, log: recorder().log })).toEqual(results);
  });
});

describe('testing-gradients.ts', () => {
  test('the composite and the custom primitive pass; the planted bug is named, with its worst elements and a hint', () => {
    const r = recorder();
    const result = testingGradients.main(r.log);
    expect(result.composite.ok).toBe(true);
    expect(result.primitive.ok).toBe(true);
    expect(result.message).toMatch(/^assertGradcheck: gradcheck failed: 6 of 6 comparisons disagree/);
    expect(result.message).toMatch(/\n {2}blamed op: example\.smoothAbsWrong \(node #\d+, inputs \[2,1\]\)/);
    // The bug flips the sign where the matmul's output is negative: analytic = −numeric.
    expect(result.message).toMatch(/\n {4}input 1 \[2,1\] element 0 at \[0,0\]: analytic /);
    const worst = /analytic (\S+) vs numeric (\S+)/.exec(result.message.split('\n')[3])!;
    expect(Number(worst[1])).toBeCloseTo(-Number(worst[2]), 5);
    expect(result.message).toMatch(/\n {2}hint: the backward rule of example\.smoothAbsWrong is wrong for its input 0/);
    expect(r.lines[0]).toMatch(/^softplus \(composite\): gradcheck passed: 4 comparisons/);
  });
});

// ---- as scripts --------------------------------------------------------------------------------

const run = promisify(execFile);

test('each example runs as a script: npx ts-node examples/<name>.ts (TAPEGRAD_SMOKE=1)', async () => {
  const tsNode = path.join(ROOT, 'node_modules', '.bin', 'ts-node');
  // Two at a time: all at once, a dozen ts-node processes on two cores overran their time limit
  // whenever anything else ran beside them.
  const outputs: (readonly [string, string])[] = [];
  const queue = [...EXAMPLES];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const args = ['--transpile-only', path.join('examples', file), ...(file === 'tutorial.ts' ? [path.join(tmp, 'script.svg')] : [])];
      const { stdout } = await run(tsNode, args, { cwd: ROOT, env: { ...process.env, TAPEGRAD_SMOKE: '1' }, timeout: 180_000 });
      outputs.push([file, stdout] as const);
    }
  };
  await Promise.all([worker(), worker()]);
  const first = Object.fromEntries(outputs.map(([file, stdout]) => [file, stdout.split('\n')[0]]));
  expect(first).toEqual({
    'autoencoder.ts': expect.stringMatching(/^epoch 3: train MSE 0\.\d{4}, test MSE 0\.\d{4}$/),
    'char-lstm.ts': expect.stringMatching(/^epoch 1: train loss \d\.\d{3}, validation loss \d\.\d{3} nats\/char$/),
    'char-transformer.ts': expect.stringMatching(/^epoch 1: train loss \d\.\d{3}, validation loss \d\.\d{3} nats\/char$/),
    'custom-op.ts': 'softplus(0) = 0.6931 (log 2 = 0.6931)',
    'dbn.ts': expect.stringMatching(/^RBM 1 \(64→256\): reconstruction error 0\.\d{4}$/),
    'digits-cnn.ts': expect.stringMatching(/^epoch 1: train loss \d\.\d{3}, test accuracy \d+\.\d%$/),
    'digits-lstm.ts': expect.stringMatching(/^epoch 1: train loss \d\.\d{3}, test accuracy \d+\.\d%$/),
    'gan.ts': expect.stringMatching(/^epoch 5: D loss \d\.\d{3}, G loss \d\.\d{3}$/),
    'regularisation.ts': '64 training images, 360 test images, 2 epochs; means of 1 seeds',
    'spiral.ts': expect.stringMatching(/^tanh: loss 1\.\d{3} \(step 1\)/),
    'testing-gradients.ts': expect.stringMatching(/^softplus \(composite\): gradcheck passed: 4 comparisons/),
    'tutorial.ts': '1. Convolution of two signals: flip one, slide it over the other, multiply and sum',
    'vae.ts': expect.stringMatching(/^epoch 5: train loss \d+\.\d{2} nats per image$/),
    'xor-mlp.ts': 'tanh: 3 of 3 seeds classify all four points',
  });
  expect(fs.existsSync(path.join(tmp, 'script.svg'))).toBe(true);
}, 900_000);

test('an example copied out of the repository runs with npx ts-node -P tsconfig.scripts.json (the configuration the examples name)', async () => {
  const tsNode = path.join(ROOT, 'node_modules', '.bin', 'ts-node');
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-scratch-'));
  try {
    // As a user's copy: its own directory, no tsconfig.json near it; tapegrad from its sources here (the package test runs the packed one).
    const source = fs.readFileSync(path.join(ROOT, 'examples', 'testing-gradients.ts'), 'utf8');
    const src = path.join(ROOT, 'src').split(path.sep).join('/');
    fs.writeFileSync(path.join(outside, 'testing-gradients.ts'), source.replace("from '../src'", `from '${src}'`));
    expect(source).toContain('npx ts-node -P node_modules/tapegrad/tsconfig.scripts.json');
    const { stdout } = await run(tsNode, ['-P', path.join(ROOT, 'tsconfig.scripts.json'), '--transpile-only', 'testing-gradients.ts'], {
      cwd: outside,
      timeout: 120_000,
    });
    expect(stdout.split('\n')[0]).toMatch(/^softplus \(composite\): gradcheck passed/);
    expect(stdout).toMatch(/blamed op: example\.smoothAbsWrong/);
  } finally {
    fs.rmSync(outside, { recursive: true, force: true });
  }
}, 120_000);

describe('autoencoder.ts (smoke size)', () => {
  test('3 epochs already reconstruct the test digits at under half the error of the mean training image', () => {
    const r = recorder();
    const { testMse, meanImageMse } = autoencoder.main({ smoke: true, log: r.log });
    expect(meanImageMse).toBeGreaterThan(0.05);
    expect(testMse).toBeLessThan(0.5 * meanImageMse);
    expect(r.lines[r.lines.length - 1]).toMatch(/^test MSE 0\.\d{4} against 0\.\d{4} for the mean training image/);
  });

  test('the network maps [N,1,8,8] to [N,1,8,8] in (0, 1) through a code of [16,2,2]', () => {
    const net = autoencoder.buildAutoencoder(tg.rng(0));
    const x = tg.rand([2, 1, 8, 8], { rng: tg.rng(1) });
    const y = net.forward(x);
    expect(y.shape).toEqual([2, 1, 8, 8]);
    expect(Array.from(y.data).every((v) => v > 0 && v < 1)).toBe(true);
    const encoder = new tg.nn.Sequential(...Array.from({ length: 6 }, (_, i) => net[i]));
    expect(encoder.forward(x).shape).toEqual([2, 16, 2, 2]);
  });
});

describe('vae.ts (smoke size)', () => {
  test('5 epochs: test reconstructions beat the mean image, and 64 samples from N(0, I) are written as a PNG grid', () => {
    const out = path.join(tmp, 'vae-samples.png');
    const { testMse, meanImageMse, testLoss, samples } = vae.main({ smoke: true, out, log: recorder().log });
    expect(testMse).toBeLessThan(meanImageMse);
    // 64 pixels of BCE: below the 64·ln 2 ≈ 44.4 nats of answering 0.5 everywhere.
    expect(testLoss).toBeLessThan(64 * Math.LN2);
    expect(samples.shape).toEqual([64, 1, 8, 8]);
    expect(fs.readFileSync(out).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  test('the loss of a posterior equal to the prior and logits 0 is 64·ln 2 per image (KL 0)', () => {
    const x = tg.rand([3, 1, 8, 8], { rng: tg.rng(2) });
    const loss = vae.vaeLoss(tg.zeros([3, 1, 8, 8]), tg.zeros([3, 8]), tg.zeros([3, 8]), x);
    expect(loss.item()).toBeCloseTo(64 * Math.LN2, 4);
  });
});
