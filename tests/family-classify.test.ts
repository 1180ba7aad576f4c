/**
 * The classifier families of issue #27: `--model rnn|lstm|gru` on images (src/train/families/
 * recurrent-digits.ts) and `--model dbn` (src/train/families/dbn.ts). PyTorch parity of their real
 * training steps (20 steps in float64 through the mirror scripts in examples/torch/, from the same
 * initial weights and batches — and, for the RBMs' contrastive divergence, the same uniforms), the
 * RBM's free energy and CD update by hand, and the FamilyRuns themselves: metrics, summary, report,
 * predict, determinism and the DBN's epoch schedule.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import type { FamilyContext, FamilyOptions } from '../src/train/family';
import { classifierStep, loadClassifierData } from '../src/train/families/classify';
import {
  bernoulliFrom,
  binarise,
  contrastiveDivergence,
  createDbn,
  dbnDefaults,
  dbnFamily,
  DeepBeliefNet,
  PRETRAIN,
  pretrainEpochs,
  RBM,
  rbmStep,
  UniformSource,
} from '../src/train/families/dbn';
import {
  createSequenceClassifier,
  SequenceClassifier,
  sequenceClassifierDefaults,
  SequenceKind,
} from '../src/train/families/recurrent-digits';
import { makeOptimizer, makeScheduler } from '../src/train/optimizers';
import { main } from '../src/cli/main';
import { loadSession, SessionIo, trainSession } from '../src/train/session';
import { capture } from './cli-capture';
import { requireTorch, TORCH_PYTHON } from './torch-harness';
import { checkWellFormed } from './well-formed';
import { writeFashionIdx } from './idx-fixture';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-family-classify-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const STEPS = 20;
const BATCH = 32;

function context(seed: number): FamilyContext {
  return { rng: (purpose) => tg.rng(`${seed}:${purpose}`), saved: null };
}

function options(model: string, hyper: ReturnType<typeof dbnDefaults>, extra: Partial<FamilyOptions> = {}): FamilyOptions {
  return { ...hyper, model, dataset: 'digits', dataDir: null, textFile: null, seed: 0, limit: null, ...extra };
}

/** Runs a mirror script in its parity mode (Note [torch parity never skips]: fails without torch). */
function runMirror<T>(script: string, job: Record<string, unknown>): T {
  requireTorch();
  const jobFile = path.join(tmp, `${path.basename(script, '.py')}-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const r = spawnSync(TORCH_PYTHON, [path.join(ROOT, 'examples', 'torch', script), '--parity', jobFile], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

function expectClose(actual: number[], expected: number[], rtol = 1e-9): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => {
    const scale = Math.max(Math.abs(expected[i]), 1e-300);
    if (!(Math.abs(a - expected[i]) <= rtol * scale)) throw new Error(`value ${i}: tapegrad ${a}, PyTorch ${expected[i]} (rtol ${rtol})`);
  });
}

/** The first `count` shuffled batches of a set, as float64 images and int32 labels. */
function batchesOf(set: tg.data.ImageSet, count: number, seed: string): { x: tg.Tensor; y: Int32Array }[] {
  const out: { x: tg.Tensor; y: Int32Array }[] = [];
  for (const idx of tg.data.batches(set.labels.length, BATCH, { rng: tg.rng(seed) })) {
    if (out.length === count) break;
    const b = tg.data.gather(set, idx);
    out.push({ x: b.images.to('float64'), y: b.labels });
  }
  return out;
}

const stateTensors = (m: tg.nn.Module) => Object.fromEntries(m.namedParameters());

describe('PyTorch parity, 20 steps in float64 (examples/torch/digits_rnn.py)', () => {
  test.each<[SequenceKind, number | null]>([
    ['lstm', null],
    ['gru', null],
    ['rnn', 1],
  ])('%s on the digits (gradient clipping %p): the family model, optimiser and schedule', (kind, clip) => {
    const hyper = { ...sequenceClassifierDefaults(kind, 'digits'), clipGradNorm: clip };
    const opts = options(kind, hyper);
    const run = createSequenceClassifier(kind, opts, context(0));
    const model = run.modules.model.to('float64') as SequenceClassifier;
    const weights = path.join(tmp, `${kind}-weights.safetensors`);
    tg.save(weights, stateTensors(model));
    const { train } = loadClassifierData(kind, opts);
    const batches = batchesOf(train, STEPS, `parity-${kind}`);
    const batchFile = path.join(tmp, `${kind}-batches.safetensors`);
    tg.save(
      batchFile,
      Object.fromEntries(batches.flatMap((b, i) => [[`x${i}`, b.x] as const, [`y${i}`, tg.tensor(b.y, { dtype: 'int32' })] as const])),
    );
    const optimizer = makeOptimizer(hyper, model.parameters());
    const scheduler = makeScheduler(hyper, optimizer, STEPS);
    const losses = batches.map((b) => classifierStep(model, optimizer, b.x, b.y, { clipGradNorm: clip, scheduler }).loss);

    const torch = runMirror<{ keys: string[]; losses: number[] }>('digits_rnn.py', {
      kind,
      inputSize: 8,
      hiddenSize: model.hiddenSize,
      classes: 10,
      weights,
      batches: batchFile,
      steps: STEPS,
      totalSteps: STEPS,
      optimizer: hyper.optimizer,
      lr: hyper.lr,
      momentum: hyper.momentum,
      weightDecay: hyper.weightDecay,
      scheduler: hyper.scheduler,
      clipGradNorm: clip,
    });
    expect(torch.keys).toEqual(Object.keys(model.stateDict()).sort());
    expectClose(losses, torch.losses);
    // The run learns: the loss falls over the 20 steps.
    expect(losses[STEPS - 1]).toBeLessThan(losses[0]);
  });
});

describe('PyTorch parity of the deep belief network (examples/torch/dbn.py)', () => {
  test('20 CD-1 steps on each RBM with the same uniforms, then 20 fine-tuning steps, in float64', () => {
    const hyper = dbnDefaults('digits');
    const opts = options('dbn', hyper);
    const run = createDbn(opts, context(0));
    const model = run.modules.model.to('float64') as DeepBeliefNet;
    const weights = path.join(tmp, 'dbn-weights.safetensors');
    tg.save(weights, stateTensors(model));
    const { train } = loadClassifierData('dbn', opts, { mean: 0, std: 1 });
    const batches = batchesOf(train, STEPS, 'parity-dbn');
    const files: Record<string, tg.Tensor> = {};
    batches.forEach((b, i) => {
      files[`v${i}`] = binarise(b.x);
      files[`x${i}`] = b.x;
      files[`y${i}`] = tg.tensor(b.y, { dtype: 'int32' });
    });
    // The uniforms of every Gibbs step: for h, then for v.
    const g = tg.rng('parity-uniforms');
    for (let l = 0; l < model.depth; l++)
      for (let i = 0; i < STEPS; i++) {
        files[`u${l}_${i}_0`] = tg.rand([BATCH, model.sizes[l + 1]], { rng: g, dtype: 'float64' });
        files[`u${l}_${i}_1`] = tg.rand([BATCH, model.sizes[l]], { rng: g, dtype: 'float64' });
      }
    const batchFile = path.join(tmp, 'dbn-batches.safetensors');
    tg.save(batchFile, files);

    const cd: number[] = [];
    const recon: number[] = [];
    for (let l = 0; l < model.depth; l++) {
      const rbm = model.rbm(l);
      const optimizer = new tg.optim.SGD(rbm.parameters(), { ...PRETRAIN });
      for (let i = 0; i < STEPS; i++) {
        const queue = [files[`u${l}_${i}_0`], files[`u${l}_${i}_1`]];
        const uniform: UniformSource = (shape) => {
          const u = queue.shift()!;
          expect(u.shape).toEqual([...shape]);
          return u;
        };
        const step = rbmStep(rbm, optimizer, model.rbmInput(files[`v${i}`], l), 1, uniform);
        cd.push(step.loss);
        recon.push(step.reconError);
      }
    }
    tg.noGrad(() => model.initialiseClassifier());
    const optimizer = makeOptimizer(hyper, model.classifier.parameters());
    const scheduler = makeScheduler(hyper, optimizer, STEPS);
    const fineTune = batches.map((b) => classifierStep(model, optimizer, b.x, b.y, { scheduler }).loss);

    const torch = runMirror<{ keys: string[]; cd: number[]; recon: number[]; fineTune: number[] }>('dbn.py', {
      sizes: model.sizes,
      classes: 10,
      weights,
      batches: batchFile,
      cdSteps: STEPS,
      fineTuneSteps: STEPS,
      optimizer: hyper.optimizer,
      lr: hyper.lr,
      weightDecay: hyper.weightDecay,
    });
    expect(torch.keys).toEqual(Object.keys(model.stateDict()).sort());
    expectClose(cd, torch.cd);
    expectClose(recon, torch.recon);
    expectClose(fineTune, torch.fineTune);
    // Pre-training reconstructs better as it goes, for each RBM; fine-tuning lowers the loss.
    expect(recon[STEPS - 1]).toBeLessThan(recon[0]);
    expect(recon[2 * STEPS - 1]).toBeLessThan(recon[STEPS]);
    expect(fineTune[STEPS - 1]).toBeLessThan(fineTune[0]);
  });
});

describe('the RBM', () => {
  /** A 2-visible, 2-hidden RBM with the given weight [2,2], visible bias b and hidden bias c, in float64. */
  function rbm2x2(w: number[], b: number[], c: number[]): RBM {
    const r = new RBM(2, 2, { dtype: 'float64', rng: tg.rng(1) });
    r.weight.data.set(w);
    r.visibleBias.data.set(b);
    r.hiddenBias.data.set(c);
    return r;
  }
  const softplus = (z: number) => Math.log(1 + Math.exp(z));
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

  test('free energy F(v) = −b·v − Σ_j softplus(c_j + W_j·v), by hand on a 2×2 RBM', () => {
    // W = [[1, −1], [0.5, 2]] (rows: hidden units), b = [0.1, −0.2], c = [0.3, −0.4].
    const r = rbm2x2([1, -1, 0.5, 2], [0.1, -0.2], [0.3, -0.4]);
    const v = tg.tensor([1, 0, 0, 1, 1, 1, 0, 0], { shape: [4, 2], dtype: 'float64' });
    const f = r.freeEnergy(v).toArray() as number[];
    // v = [1,0]: −0.1 − softplus(0.3 + 1) − softplus(−0.4 + 0.5)
    expect(f[0]).toBeCloseTo(-0.1 - softplus(1.3) - softplus(0.1), 14);
    // v = [0,1]: 0.2 − softplus(0.3 − 1) − softplus(−0.4 + 2)
    expect(f[1]).toBeCloseTo(0.2 - softplus(-0.7) - softplus(1.6), 14);
    // v = [1,1]: 0.1 − softplus(0.3) − softplus(2.1)
    expect(f[2]).toBeCloseTo(0.1 - softplus(0.3) - softplus(2.1), 14);
    // v = [0,0]: −softplus(0.3) − softplus(−0.4)
    expect(f[3]).toBeCloseTo(-softplus(0.3) - softplus(-0.4), 14);
    // p(h|v) and p(v|h), by hand.
    expect((r.hiddenProbabilities(v).toArray() as number[][])[0]).toEqual([sigmoid(1.3), sigmoid(0.1)].map((p) => expect.closeTo(p, 14)));
    const h = tg.tensor([[1, 0]], { dtype: 'float64' });
    expect((r.visibleProbabilities(h).toArray() as number[][])[0]).toEqual([sigmoid(1.1), sigmoid(-1.2)].map((p) => expect.closeTo(p, 14)));
  });

  test('CD-1 through the free energy: its gradient is the classic CD-1 update, and the step moves towards the data', () => {
    const r = rbm2x2([1, -1, 0.5, 2], [0.1, -0.2], [0.3, -0.4]);
    const v0 = tg.tensor([1, 0, 0, 1], { shape: [2, 2], dtype: 'float64' });
    // Uniforms: h0 from u_h, then v1 from u_v (u < p draws a 1).
    const uh = tg.tensor([0.5, 0.9, 0.2, 0.1], { shape: [2, 2], dtype: 'float64' });
    const uv = tg.tensor([0.3, 0.99, 0.95, 0.05], { shape: [2, 2], dtype: 'float64' });
    const queue = [uh, uv];
    const { loss, reconError } = contrastiveDivergence(r, v0, 1, () => queue.shift()!);
    // By hand: p(h|v0) row 0 = σ(1.3), σ(0.1) = 0.786, 0.525 → h = [1, 0] (0.5 < 0.786, 0.9 > 0.525);
    // row 1 = σ(−0.7), σ(1.6) = 0.332, 0.832 → h = [1, 1]. p(v|h) row 0 = σ(1.1), σ(−1.2) = 0.750, 0.231
    // → v1 = [1, 0]; row 1 = σ(1.6), σ(0.8) = 0.832, 0.690 → v1 = [0, 1]: v1 = v0.
    const ph0 = [
      [sigmoid(1.3), sigmoid(0.1)],
      [sigmoid(-0.7), sigmoid(1.6)],
    ];
    const pv = [
      [sigmoid(1.1), sigmoid(-1.2)],
      [sigmoid(1.6), sigmoid(0.8)],
    ];
    expect(reconError).toBeCloseTo(((pv[0][0] - 1) ** 2 + pv[0][1] ** 2 + pv[1][0] ** 2 + (pv[1][1] - 1) ** 2) / 4, 14);
    // Here v1 equals v0 row for row: the free-energy gap and every gradient are zero.
    expect(loss.item()).toBeCloseTo(0, 14);
    tg.backward(loss);
    for (const p of r.parameters()) expect(Math.max(...Array.from(p.grad!.data, Math.abs))).toBeLessThan(1e-14);

    // A chain that moves: uniforms that turn every visible unit off.
    const r2 = rbm2x2([1, -1, 0.5, 2], [0.1, -0.2], [0.3, -0.4]);
    const q2 = [uh, tg.fullLike(uv, 0.999999)];
    const lr = 0.1;
    const opt = new tg.optim.SGD(r2.parameters(), { lr });
    const before = r2.parameters().map((p) => Array.from(p.data));
    rbmStep(r2, opt, v0, 1, () => q2.shift()!);
    const vk = [
      [0, 0],
      [0, 0],
    ];
    const phk = [
      [sigmoid(0.3), sigmoid(-0.4)],
      [sigmoid(0.3), sigmoid(-0.4)],
    ];
    const v0rows = [
      [1, 0],
      [0, 1],
    ];
    // The classic CD-1 update: ΔW_jk = lr (⟨p(h_j|v0) v0_k⟩ − ⟨p(h_j|vk) vk_k⟩), Δb = lr (⟨v0⟩ − ⟨vk⟩), Δc = lr (⟨p(h|v0)⟩ − ⟨p(h|vk)⟩).
    const mean2 = (f: (n: number) => number) => (f(0) + f(1)) / 2;
    const dW = [0, 1].flatMap((j) => [0, 1].map((k) => lr * mean2((n) => ph0[n][j] * v0rows[n][k] - phk[n][j] * vk[n][k])));
    const db = [0, 1].map((k) => lr * mean2((n) => v0rows[n][k] - vk[n][k]));
    const dc = [0, 1].map((j) => lr * mean2((n) => ph0[n][j] - phk[n][j]));
    const after = r2.parameters().map((p) => Array.from(p.data));
    [dW, db, dc].forEach((delta, i) => delta.forEach((d, e) => expect(after[i][e] - before[i][e]).toBeCloseTo(d, 14)));
    // Towards the data: the visible biases of units the data turns on rise, the data's free energy falls.
    expect(db.every((d) => d > 0)).toBe(true);
    const untrained = rbm2x2([1, -1, 0.5, 2], [0.1, -0.2], [0.3, -0.4]);
    expect(tg.mean(r2.freeEnergy(v0)).item()).toBeLessThan(tg.mean(untrained.freeEnergy(v0)).item());
  });

  test('Bernoulli draws compare uniforms with the probabilities; binarise thresholds at one half', () => {
    const p = tg.tensor([0, 0.25, 0.5, 1], { dtype: 'float64' });
    expect(Array.from(bernoulliFrom(p, () => tg.fullLike(p, 0.3)).data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(bernoulliFrom(p, () => tg.fullLike(p, 0)).data)).toEqual([0, 1, 1, 1]);
    expect(bernoulliFrom(p, () => tg.fullLike(p, 0)).dtype).toBe('float64');
    const images = tg.tensor([0, 0.5, 0.5625, 1], { shape: [1, 1, 2, 2] });
    expect(binarise(images).shape).toEqual([1, 4]);
    expect(Array.from(binarise(images).data)).toEqual([0, 0, 1, 1]);
  });

  test('errors name the op and the shapes', () => {
    const r = new RBM(4, 3);
    expect(() => r.freeEnergy(tg.zeros([2, 5]))).toThrow(/^RBM.freeEnergy: expected v \[N,4\], got \[2,5\]$/);
    expect(() => new RBM(0, 3)).toThrow(/^RBM: visible must be a positive integer, got 0$/);
    expect(() => contrastiveDivergence(r, tg.zeros([2, 4]), 0, () => tg.zeros([1]))).toThrow(
      /^contrastiveDivergence: k must be a positive integer, got 0$/,
    );
    expect(() => new DeepBeliefNet([64], 10)).toThrow(
      /^DeepBeliefNet: sizes needs the input size and at least one hidden size, got \[64\]$/,
    );
    expect(() => new DeepBeliefNet([4, 3], 2).forward(tg.zeros([2, 5]))).toThrow(
      /^DeepBeliefNet: expected 4 pixels per example, got \[2,5\]$/,
    );
    expect(() => pretrainEpochs(3, 2)).toThrow(/^dbn: --epochs 3 is too few: 2 RBMs need at least 4 \(half pre-train, half fine-tune\)$/);
    expect(() => createDbn(options('dbn', { ...dbnDefaults('digits'), epochs: 3 }), context(0))).toThrow(/^dbn: --epochs 3 is too few/);
  });

  test('state-dict keys: the RBMs and the classifier they initialise, as the PyTorch mirror names them', () => {
    const m = new DeepBeliefNet([64, 16, 8], 10);
    expect(Object.keys(m.stateDict())).toEqual([
      'rbms.0.weight',
      'rbms.0.visibleBias',
      'rbms.0.hiddenBias',
      'rbms.1.weight',
      'rbms.1.visibleBias',
      'rbms.1.hiddenBias',
      'classifier.0.weight',
      'classifier.0.bias',
      'classifier.2.weight',
      'classifier.2.bias',
      'classifier.4.weight',
      'classifier.4.bias',
    ]);
    tg.noGrad(() => m.initialiseClassifier());
    expect(Array.from((m.classifier[2] as tg.nn.Linear).weight.data)).toEqual(Array.from(m.rbm(1).weight.data));
    expect(Array.from((m.classifier[0] as tg.nn.Linear).bias!.data)).toEqual(Array.from(m.rbm(0).hiddenBias.data));
  });
});

describe('the sequence classifier', () => {
  test('reads an image row by row: the logits are Linear(last hidden state of the LSTM over the rows)', () => {
    const m = new SequenceClassifier('lstm', 8, 5, 3, { dtype: 'float64', rng: tg.rng(2) });
    const x = tg.randn([2, 1, 8, 8], { rng: tg.rng(3), dtype: 'float64' });
    const lstm = m.rnn as tg.nn.LSTM;
    const [out] = lstm.forward(x.reshape([2, 8, 8]));
    const last = tg.index(out, null, -1);
    expect(Array.from(m.forward(x).data)).toEqual(Array.from(m.fc.forward(last).data));
    expect(Object.keys(m.stateDict())).toEqual([
      'rnn.weight_ih_l0',
      'rnn.weight_hh_l0',
      'rnn.bias_ih_l0',
      'rnn.bias_hh_l0',
      'fc.weight',
      'fc.bias',
    ]);
  });

  test('errors', () => {
    const m = new SequenceClassifier('gru', 8, 4, 10);
    expect(() => m.forward(tg.zeros([2, 1, 8, 7]))).toThrow(
      /^SequenceClassifier: expected images \[N,1,H,8\] or sequences \[N,T,8\], got \[2,1,8,7\]$/,
    );
    expect(() => new SequenceClassifier('tcn' as SequenceKind, 8, 4, 10)).toThrow(/kind must be rnn, lstm or gru, got 'tcn'/);
    expect(() =>
      createSequenceClassifier('lstm', options('lstm', sequenceClassifierDefaults('lstm', 'digits'), { dataset: 'text' }), context(0)),
    ).toThrow(/^lstm: cannot classify the dataset 'text' \(digits or fashion-mnist\)$/);
    expect(() =>
      createSequenceClassifier(
        'lstm',
        options('lstm', sequenceClassifierDefaults('lstm', 'digits'), { dataset: 'fashion-mnist' }),
        context(0),
      ),
    ).toThrow(/^lstm: --dataset fashion-mnist needs --data-dir DIR/);
  });
});

describe('the FamilyRuns', () => {
  const never = async () => false;

  test('gru: two epochs on 300 images — metrics, summary, report, predict; the same seed gives the same bits', async () => {
    const opts = options('gru', { ...sequenceClassifierDefaults('gru', 'digits'), epochs: 2 }, { limit: 300 });
    const runs = [createSequenceClassifier('gru', opts, context(4)), createSequenceClassifier('gru', opts, context(4))];
    const seen: number[] = [];
    const first = await runs[0].trainEpoch(1, async (done, stats) => {
      seen.push(done);
      expect(stats.examples).toBe(Math.min(300, done * 32));
      expect(stats.accuracy).toBeGreaterThanOrEqual(0);
      return false;
    });
    expect(seen).toEqual(Array.from({ length: runs[0].batchesPerEpoch }, (_, i) => i + 1));
    expect(Object.keys(first!).sort()).toEqual(['trainAccuracy', 'trainLoss']);
    expect(await runs[1].trainEpoch(1, never)).toEqual(first);
    await runs[0].trainEpoch(2, never);
    const test = runs[0].evaluate();
    expect(Object.keys(test).sort()).toEqual(['testAccuracy', 'testLoss']);
    expect(test.testAccuracy).toBeGreaterThan(0.3);
    expect(runs[0].headline).toBe('testAccuracy');
    expect(runs[0].unit).toBe('images');
    expect(runs[0].dataDescription).toBe('300 train / 300 test images [1,8,8] as 8 steps of 8 features');
    const summary = runs[0].summary() as { testAccuracy: number; classNames: string[]; confusion: number[][] };
    expect(summary.testAccuracy).toBe(test.testAccuracy);
    expect(summary.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(summary.confusion.flat().reduce((a, b) => a + b, 0)).toBe(300);
    expect(summary.confusion.reduce((n, row, i) => n + row[i], 0) / 300).toBe(test.testAccuracy);
    const sections = await runs[0].report();
    expect(sections.map((s) => s.title)).toEqual(['Confusion matrix (test set)', 'Misclassified test images']);
    for (const s of sections) checkWellFormed(`<div>${s.html}</div>`);
    expect(sections[1].html).toMatch(/<figcaption>\d → \d \(\d+\.\d\d%\)<\/figcaption>/);
    // predict: probabilities for images in [0, 1], rows summing to one, and the eval's predictions.
    const images = tg.data.gather(tg.data.loadDigits(), [0, 1, 2]).images;
    const p = runs[0].predict!(images);
    expect(p.shape).toEqual([3, 10]);
    for (let i = 0; i < 3; i++) expect(Array.from(p.data.subarray(i * 10, i * 10 + 10)).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(runs[0].classNames).toEqual(summary.classNames);
    // A Ctrl-C (onBatch answering true) drops the epoch.
    expect(await runs[1].trainEpoch(2, async () => true)).toBeNull();
    const graph = runs[0].graphInput!();
    expect((graph.input as tg.Tensor).shape).toEqual([1, 1, 8, 8]);
  });

  test('dbn: epochs 1…p pre-train the first RBM, then the second, then fine-tuning starts from them', async () => {
    // Short pre-training leaves the sigmoid layers slow to fine-tune: the full training set, so 4 epochs learn.
    const opts = options('dbn', { ...dbnDefaults('digits'), epochs: 6 });
    const run = createDbn(opts, context(2));
    const model = run.modules.model as DeepBeliefNet;
    // E = 6, 2 RBMs: p = ⌊6 / 4⌋ = 1; epoch 1 the first RBM, epoch 2 the second, epochs 3–6 fine-tune.
    expect(run.spec()).toMatchObject({ architecture: 'DeepBeliefNet', sizes: [64, 256, 256], pretrainEpochsPerRbm: 1, cdK: 1 });
    expect(Object.keys(run.optimizers)).toEqual(['rbm0', 'rbm1', 'model']);
    const rbm0 = Array.from(model.rbm(0).weight.data);
    const rbm1 = Array.from(model.rbm(1).weight.data);
    const e1 = await run.trainEpoch(1, never);
    expect(Object.keys(e1!).sort()).toEqual(['cdLoss', 'reconError']);
    expect(Object.keys(run.evaluate()).sort()).toEqual(['testAccuracy', 'testLoss', 'testReconError']);
    expect(Array.from(model.rbm(0).weight.data)).not.toEqual(rbm0);
    expect(Array.from(model.rbm(1).weight.data)).toEqual(rbm1);
    const afterFirst = Array.from(model.rbm(0).weight.data);
    await run.trainEpoch(2, never);
    expect(Array.from(model.rbm(0).weight.data)).toEqual(afterFirst);
    expect(Array.from(model.rbm(1).weight.data)).not.toEqual(rbm1);
    const rbmWeights = Array.from(model.rbm(1).weight.data);
    let checked = false;
    const e3 = await run.trainEpoch(3, async () => {
      // After the first fine-tuning step the second layer has moved only a little from the RBM it copied.
      if (!checked) {
        const w = (model.classifier[2] as tg.nn.Linear).weight.data;
        expect(Math.max(...Array.from(w, (v, i) => Math.abs(v - rbmWeights[i])))).toBeLessThan(0.05);
        checked = true;
      }
      return false;
    });
    expect(checked).toBe(true);
    expect(Object.keys(e3!).sort()).toEqual(['trainAccuracy', 'trainLoss']);
    expect(Object.keys(run.evaluate()).sort()).toEqual(['testAccuracy', 'testLoss']);
    await run.trainEpoch(4, never);
    await run.trainEpoch(5, never);
    await run.trainEpoch(6, never);
    const test = run.evaluate();
    expect(test.testAccuracy).toBeGreaterThan(0.5);
    const sections = await run.report();
    expect(sections.map((s) => s.title)).toEqual([
      'First RBM filters',
      'Reconstruction error during pre-training',
      'Confusion matrix (test set)',
      'Misclassified test images',
    ]);
    for (const s of sections) checkWellFormed(`<div>${s.html}</div>`);
    expect(sections[0].html.match(/<img /g)).toHaveLength(64);
    expect(sections[1].html).toMatch(/<svg/);
    const p = run.predict!(tg.data.gather(tg.data.loadDigits(), [0]).images);
    expect(p.shape).toEqual([1, 10]);
  });
});

describe('end to end through the CLI and the training session', () => {
  const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  const quietIo = (stopAfter = Infinity): SessionIo & { lines: string[] } => {
    const lines: string[] = [];
    let batches = 0;
    return {
      lines,
      log: (l) => void lines.push(l),
      liveStream: null,
      shouldStop: () => ++batches > stopAfter,
      beforeWrite: () => {},
      kernels: 'test',
    };
  };

  test('lstm: train writes the run, metrics.json and the report; eval prints the accuracy train printed; the saved run predicts', async () => {
    const dir = path.join(tmp, 'lstm-run');
    const t = await capture(() => main(['train', '--model', 'lstm', '--limit', '200', '--epochs', '2', '--out', dir]));
    expect(t.err).toEqual([]);
    expect(t.code).toBe(0);
    const headline = t.out.find((l) => l.startsWith('test accuracy'))!;
    expect(headline).toMatch(/^test accuracy \d+\.\d\d% after 2 epochs/);
    expect(fs.readdirSync(dir).sort()).toEqual([
      'checkpoint.json',
      'checkpoint.safetensors',
      'metrics.json',
      'model.safetensors',
      'report.html',
      'run.json',
      'timings.json',
    ]);
    const metrics = JSON.parse(read(dir, 'metrics.json'));
    expect(metrics).toMatchObject({
      dataset: 'digits',
      model: 'lstm',
      seed: 0,
      hyperparameters: { epochs: 2, optimizer: 'adam', lr: 0.01 },
    });
    expect(metrics.epochs.map((e: object) => Object.keys(e))).toEqual([
      ['epoch', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy'],
      ['epoch', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy'],
    ]);
    expect(metrics.testAccuracy).toBe(metrics.epochs[1].testAccuracy);
    expect(headline).toContain(`${(100 * metrics.testAccuracy).toFixed(2)}%`);
    expect(metrics.classNames).toHaveLength(10);
    expect(metrics.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(200);
    const html = read(dir, 'report.html');
    checkWellFormed(html);
    for (const id of ['curves', 'confusion-matrix-test-set', 'misclassified-test-images', 'graph'])
      expect(html).toContain(`<h2 id="${id}">`);
    expect(html).toContain('<svg');

    const e = await capture(() => main(['eval', dir]));
    expect(e.code).toBe(0);
    expect(e.out[1]).toBe(headline.match(/^test accuracy \d+\.\d\d%/)![0]);
    expect(e.out.some((l) => /rows: true class, columns: predicted/.test(l))).toBe(true);

    const saved = loadSession(dir);
    const images = tg.data.gather(tg.data.loadDigits(), [0, 1]).images;
    const p = saved.run.predict!(images);
    expect(p.shape).toEqual([2, 10]);
    expect(saved.spec.saved).toMatchObject({ imageShape: [1, 8, 8], pixelScale: 1 / 16, hiddenSize: 64 });
    // tapegrad predict --json on the saved run: a CSV row of raw 0–16 pixels, classified as the run classifies it.
    const csv = path.join(tmp, 'two-digits.csv');
    fs.writeFileSync(
      csv,
      [0, 1].map((i) => Array.from(images.data.subarray(i * 64, (i + 1) * 64), (v) => Math.round(v * 16)).join(',')).join('\n'),
    );
    const pr = await capture(() => main(['predict', dir, csv, '--json']));
    expect(pr.code).toBe(0);
    const lines = pr.out.map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.file, l.index])).toEqual([
      [csv, 0],
      [csv, 1],
    ]);
    lines.forEach((l, i) => {
      const row = Array.from(p.data.subarray(i * 10, i * 10 + 10));
      expect(l.probabilities).toEqual(row);
      expect(l.class).toBe(String(row.indexOf(Math.max(...row))));
    });
  });

  test('dbn: stopped mid pre-training, then mid fine-tuning, resumed each time — the same metrics.json and weights as one run', async () => {
    const opts = (out: string) => ({ ...options('dbn', { ...dbnDefaults('digits'), epochs: 4 }, { limit: 200 }), out });
    const whole = path.join(tmp, 'dbn-whole');
    const cut = path.join(tmp, 'dbn-cut');
    expect(await trainSession(dbnFamily, opts(whole), quietIo())).toBe(0);
    // 200 images in batches of 32: 7 batches an epoch. Epoch 1 pre-trains the first RBM, 2 the second, 3–4 fine-tune.
    const first = quietIo(10);
    expect(await trainSession(dbnFamily, opts(cut), first)).toBe(130);
    expect(first.lines).toContain(`interrupted during epoch 2; checkpoint (after 1 epoch) written to ${path.join(cut, 'checkpoint.json')}`);
    const second = quietIo(10);
    expect(await trainSession(dbnFamily, { ...opts(cut), resumeFrom: cut }, second)).toBe(130);
    expect(second.lines).toContain(
      `interrupted during epoch 3; checkpoint (after 2 epochs) written to ${path.join(cut, 'checkpoint.json')}`,
    );
    const r = await capture(() => main(['train', '--resume', cut]));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`resuming ${cut} after epoch 2 of 4`);
    expect(fs.readFileSync(path.join(cut, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(whole, 'model.safetensors')));
    expect(read(cut, 'metrics.json')).toBe(read(whole, 'metrics.json'));
    const metrics = JSON.parse(read(whole, 'metrics.json'));
    expect(metrics.epochs.map((e: object) => Object.keys(e).sort())).toEqual([
      ['cdLoss', 'epoch', 'reconError', 'testAccuracy', 'testLoss', 'testReconError'],
      ['cdLoss', 'epoch', 'reconError', 'testAccuracy', 'testLoss', 'testReconError'],
      ['epoch', 'testAccuracy', 'testLoss', 'trainAccuracy', 'trainLoss'],
      ['epoch', 'testAccuracy', 'testLoss', 'trainAccuracy', 'trainLoss'],
    ]);
    // The uninterrupted run's report draws the reconstruction error of every pre-training epoch; the resumed one says where it is.
    const html = read(whole, 'report.html');
    checkWellFormed(html);
    for (const id of ['first-rbm-filters', 'reconstruction-error-during-pre-training', 'confusion-matrix-test-set'])
      expect(html).toContain(`<h2 id="${id}">`);
    expect(html).toMatch(/<tr><td>2<\/td><td>2<\/td><td>0\.\d{5}<\/td><td>0\.\d{5}<\/td><\/tr>/);
    expect(read(cut, 'report.html')).toContain('This process resumed the run after some of its pre-training');
    const e = await capture(() => main(['eval', whole]));
    expect(e.out[1]).toBe(`test accuracy ${(100 * metrics.testAccuracy).toFixed(2)}%`);
    // tapegrad predict on the saved DBN: an IDX file of two digits (bytes k/255), top two classes.
    const digits = tg.data.gather(tg.data.loadDigits(), [3, 4]).images;
    const idx = path.join(tmp, 'dbn-two.idx');
    fs.writeFileSync(
      idx,
      Buffer.concat([
        Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 8]),
        Buffer.from(Array.from(digits.data, (v) => Math.round(v * 255))),
      ]),
    );
    const pr = await capture(() => main(['predict', whole, idx, '--top', '2']));
    expect(pr.code).toBe(0);
    expect(pr.out).toHaveLength(2);
    pr.out.forEach((l, i) =>
      expect(l).toMatch(new RegExp(`^${idx.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\[${i}\\]: \\d  \\d: \\d+\\.\\d%  \\d: \\d+\\.\\d%$`)),
    );
  });
});

describe('on Fashion-MNIST-format IDX files (--dataset fashion-mnist --data-dir DIR)', () => {
  test('gru reads 28 steps of 28 pixels; dbn pre-trains 784→500→500; both name the classes', async () => {
    const dataDir = writeFashionIdx(tmp, 64, 20);
    const seq = createSequenceClassifier(
      'gru',
      options('gru', sequenceClassifierDefaults('gru', 'fashion-mnist'), { dataset: 'fashion-mnist', dataDir }),
      context(0),
    );
    expect(seq.dataDescription).toBe('64 train / 20 test images [1,28,28] as 28 steps of 28 features');
    expect(seq.spec()).toMatchObject({ inputSize: 28, steps: 28, hiddenSize: 128, pixelScale: 1 / 255 });
    expect(seq.classNames![9]).toBe('Ankle boot');
    expect(Object.keys((await seq.trainEpoch(1, async () => false))!)).toEqual(['trainLoss', 'trainAccuracy']);
    expect(seq.predict!(tg.zeros([2, 1, 28, 28])).shape).toEqual([2, 10]);

    const dbn = createDbn(
      options('dbn', { ...dbnDefaults('fashion-mnist'), batchSize: 32 }, { dataset: 'fashion-mnist', dataDir }),
      context(0),
    );
    expect(dbn.spec()).toMatchObject({ sizes: [784, 500, 500], pretrainEpochsPerRbm: 2 });
    expect(Object.keys((await dbn.trainEpoch(1, async () => false))!)).toEqual(['cdLoss', 'reconError']);
    const sections = await dbn.report();
    expect(sections[0].html).toContain('each as a 28×28 image');
  });
});
