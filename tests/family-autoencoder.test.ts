/**
 * @file The `autoencoder` and `vae` families (issue #27): 20 training steps in float64 against the
 * PyTorch mirrors in examples/torch/ (same initial weights, batches and VAE noise), the pieces with
 * hand-derived values, and each FamilyRun driven directly (train, evaluate, summary, report, sample).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as tg from '../src';
import type { FamilyContext, FamilyOptions, FamilyRun } from '../src/train/family';
import {
  AUTOENCODER,
  autoencoderWidths,
  buildAutoencoder,
  buildVae,
  imageGridHtml,
  meanImageBaseline,
  pairRows,
  stepTools,
  VAE,
  vaeWidths,
} from '../src/train/families/autoencoder';
import { autoencoderStep, ConvAutoencoder, ConvVae, vaeLoss, vaeStep, vaeTerms } from '../src/train/families/autoencoder-model';
import { FAMILIES } from '../src/train/families';
import { run as evalCli } from '../src/cli/eval';
import { run as sampleCli } from '../src/cli/sample';
import { run as trainCli } from '../src/cli/train';
import { SessionIo, trainSession } from '../src/train/session';
import { capture } from './cli-capture';
import { requireTorch, TORCH_PYTHON } from './torch-harness';
import { parseXml } from './viz-helpers';

const ROOT = path.join(__dirname, '..');
const STEPS = 20;
const BATCH = 16;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-family-autoencoder-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs a mirror script on the weights and batches files; returns what it printed. */
function runMirror(script: string, weights: string, batches: string): { keys: string[]; losses: number[]; kl?: number[] } {
  requireTorch();
  const r = spawnSync(TORCH_PYTHON, [path.join(ROOT, 'examples', 'torch', script), weights, batches], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** STEPS batches of BATCH digits in float64, drawn in a seeded order. */
function digitBatches(): tg.Tensor[] {
  const images = tg.data.loadDigits().images;
  const order = tg.rng('family-autoencoder-batches').shuffle(Int32Array.from({ length: images.shape[0] }, (_, i) => i));
  const out: tg.Tensor[] = [];
  for (let s = 0; s < STEPS; s++) {
    const idx = order.subarray(s * BATCH, (s + 1) * BATCH);
    out.push(tg.data.gather({ images, labels: new Int32Array(images.shape[0]) }, idx).images.to('float64'));
  }
  return out;
}

function expectClose(ours: number[], theirs: number[]): void {
  expect(theirs).toHaveLength(ours.length);
  ours.forEach((v, i) => {
    const rel = Math.abs(v - theirs[i]) / Math.max(Math.abs(theirs[i]), 1e-300);
    if (!(rel <= 1e-9)) throw new Error(`step ${i + 1}: tapegrad ${v}, PyTorch ${theirs[i]} (relative difference ${rel})`);
  });
}

function parameterTensors(m: tg.nn.Module): Record<string, tg.Tensor> {
  return Object.fromEntries(m.namedParameters());
}

describe('PyTorch parity: 20 float64 steps from the same weights and batches', () => {
  test('autoencoder (examples/torch/autoencoder.py): every loss to 1e-9, and the same state-dict keys', () => {
    const hyper = AUTOENCODER.defaults('digits');
    const model = buildAutoencoder([1, 8, 8], tg.rng('parity-init'), 'float64');
    const weights = path.join(tmp, 'ae-weights.safetensors');
    tg.save(weights, parameterTensors(model));
    const xs = digitBatches();
    const { hidden, code } = autoencoderWidths([1, 8, 8]);
    const batches = path.join(tmp, 'ae-batches.safetensors');
    tg.save(
      batches,
      { x: tg.stack(xs) },
      { hidden: String(hidden), code: String(code), lr: String(hyper.lr), weightDecay: String(hyper.weightDecay), totalSteps: '100' },
    );
    const tools = stepTools(hyper, model.parameters(), 100);
    expect(tools.optimizer).toBeInstanceOf(tg.optim.Adam);
    expect(tools.scheduler).toBeInstanceOf(tg.optim.lrScheduler.CosineAnnealingLR);
    const losses = xs.map((x) => autoencoderStep(model, x, tools));
    const torch = runMirror('autoencoder.py', weights, batches);
    expect(torch.keys).toEqual(Object.keys(model.stateDict()));
    expectClose(losses, torch.losses);
    // The loss went down: the steps trained something.
    expect(losses[STEPS - 1]).toBeLessThan(losses[0]);
  });

  test('vae (examples/torch/vae.py), fed the same eps: every loss and KL term to 1e-9, and the same state-dict keys', () => {
    const hyper = VAE.defaults('digits');
    const model = buildVae([1, 8, 8], tg.rng('parity-init'), 'float64');
    const weights = path.join(tmp, 'vae-weights.safetensors');
    tg.save(weights, parameterTensors(model));
    const xs = digitBatches();
    const { hidden, latent } = vaeWidths([1, 8, 8]);
    const noise = tg.rng('parity-noise');
    const eps = xs.map(() => tg.randn([BATCH, latent], { rng: noise, dtype: 'float64' }));
    const batches = path.join(tmp, 'vae-batches.safetensors');
    tg.save(
      batches,
      { x: tg.stack(xs), eps: tg.stack(eps) },
      {
        hidden1: String(hidden[0]),
        hidden2: String(hidden[1]),
        lr: String(hyper.lr),
        weightDecay: String(hyper.weightDecay),
        totalSteps: '50',
      },
    );
    const tools = stepTools(hyper, model.parameters(), 50);
    const steps = xs.map((x, i) => vaeStep(model, x, eps[i], tools));
    const torch = runMirror('vae.py', weights, batches);
    expect(torch.keys).toEqual(Object.keys(model.stateDict()));
    expectClose(
      steps.map((s) => s.loss),
      torch.losses,
    );
    expectClose(
      steps.map((s) => s.kl),
      torch.kl!,
    );
    expect(steps[STEPS - 1].loss).toBeLessThan(steps[0].loss);
  });
});

describe('the pieces, by hand', () => {
  test('meanImageBaseline: the mean training image and the per-pixel MSE of predicting it', () => {
    const train = tg.tensor([0, 1, 1, 1], { shape: [2, 1, 1, 2] });
    const test = tg.tensor([1, 0], { shape: [1, 1, 1, 2] });
    const { mean, mse } = meanImageBaseline(train, test);
    expect(Array.from(mean)).toEqual([0.5, 1]);
    // ((1 − 0.5)² + (0 − 1)²) / 2
    expect(mse).toBeCloseTo(0.625, 15);
  });

  test('vaeTerms: KL(N(mu, σ²) ‖ N(0, 1)) and the BCE of logits 0 (ln 2 a pixel)', () => {
    const x = tg.tensor([0, 1, 0.25], { shape: [1, 1, 1, 3], dtype: 'float64' });
    const logits = tg.zeros([1, 1, 1, 3], { dtype: 'float64' });
    const mu = tg.tensor([[1, 2]], { dtype: 'float64' });
    const logvar = tg.tensor([[0, Math.log(2)]], { dtype: 'float64' });
    const { reconstruction, kl } = vaeTerms({ logits, mu, logvar }, x);
    expect(reconstruction.item()).toBeCloseTo(3 * Math.LN2, 14);
    // −½[(1 + 0 − 1 − 1) + (1 + ln 2 − 4 − 2)] = 3 − ln2 / 2
    expect(kl.item()).toBeCloseTo(3 - Math.LN2 / 2, 14);
    expect(
      vaeTerms({ logits, mu: tg.zeros([1, 2], { dtype: 'float64' }), logvar: tg.zeros([1, 2], { dtype: 'float64' }) }, x).kl.item(),
    ).toBeCloseTo(0, 15);
  });

  test('vaeLoss is (reconstruction + KL) per image', () => {
    const x = tg.tensor([0, 1, 0, 1], { shape: [2, 1, 1, 2], dtype: 'float64' });
    const logits = tg.zeros([2, 1, 1, 2], { dtype: 'float64' });
    const mu = tg.tensor([[1], [0]], { dtype: 'float64' });
    const logvar = tg.zeros([2, 1], { dtype: 'float64' });
    const { loss, kl } = vaeLoss({ logits, mu, logvar }, x);
    // BCE: 4 ln 2 over the batch; KL: ½ for the first image, 0 for the second; per image: halves.
    expect(kl.item()).toBeCloseTo(0.25, 15);
    expect(loss.item()).toBeCloseTo((4 * Math.LN2 + 0.5) / 2, 14);
  });

  test('the loss has gradients through the reparameterisation z = mu + eps·exp(logvar/2) and the decoder that pass gradcheck', () => {
    const model = buildVae([1, 4, 4], tg.rng('gc'), 'float64');
    const x = tg.rand([2, 1, 4, 4], { rng: tg.rng('gc-x'), dtype: 'float64' });
    const eps = tg.randn([2, 8], { rng: tg.rng('gc-eps'), dtype: 'float64', requiresGrad: true });
    const result = tg.gradcheck((e: tg.Tensor) => vaeLoss(model.run(x, e), x).loss, [eps]);
    expect(result.ok).toBe(true);
  });

  test('ConvAutoencoder maps images to images in [0, 1] of the same shape; ConvVae too, and refuses noise of the wrong shape', () => {
    const x = tg.rand([3, 1, 8, 8], { rng: tg.rng('shape') });
    const ae = buildAutoencoder([1, 8, 8], tg.rng(1));
    const y = ae.forward(x);
    expect(y.shape).toEqual([3, 1, 8, 8]);
    expect(Array.from(y.data).every((v) => v > 0 && v < 1)).toBe(true);
    const vae = buildVae([1, 8, 8], tg.rng(1));
    expect(vae.forward(x).shape).toEqual([3, 1, 8, 8]);
    expect(() => vae.run(x, tg.zeros([3, 5]))).toThrow(/ConvVae: noise eps \[3,5\] must be \[N,latent\] = \[3,8\] \(images \[3,1,8,8\]\)/);
  });

  test('forward without eps decodes z = mu: the same as run with eps = 0', () => {
    const vae = buildVae([1, 8, 8], tg.rng(2), 'float64');
    const x = tg.rand([2, 1, 8, 8], { rng: tg.rng('x'), dtype: 'float64' });
    const a = vae.forward(x);
    const b = vae.run(x, tg.zeros([2, 8], { dtype: 'float64' })).logits.sigmoid();
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  test('image shapes the two poolings cannot invert are refused, naming the shape', () => {
    expect(() => new ConvAutoencoder([1, 6, 6], { hidden: 4, code: 2 }, { rng: tg.rng(0) })).toThrow(
      /ConvAutoencoder: image height and width must be multiples of 4 .*got \[1,6,6\]/,
    );
    expect(() => new ConvVae([8, 8], { hidden: [4, 4], latent: 2 }, { rng: tg.rng(0) })).toThrow(
      /ConvVae: expected an image shape \[C,H,W\], got \[8,8\]/,
    );
    expect(() => new ConvVae([1, 8, 8], { hidden: [4, 4], latent: 0 }, { rng: tg.rng(0) })).toThrow(
      /ConvVae: latent size must be a positive integer, got 0/,
    );
  });

  test('pairRows puts each row of originals above the row of their reconstructions', () => {
    const a = tg.tensor([0, 1, 2, 3], { shape: [4, 1, 1, 1] });
    const r = tg.tensor([10, 11, 12, 13], { shape: [4, 1, 1, 1] });
    expect(Array.from(pairRows(a, r, 2).data)).toEqual([0, 1, 10, 11, 2, 3, 12, 13]);
    expect(Array.from(pairRows(a, r, 3).data)).toEqual([0, 1, 2, 10, 11, 12, 3, 13]);
  });

  test('imageGridHtml writes one well-formed <img/> whose PNG holds round(255·v) and refuses colour images', () => {
    const html = imageGridHtml(tg.tensor([0, 1, 0.5, 0.25], { shape: [1, 1, 2, 2] }), { nrow: 1, scale: 3, alt: 'a & b' });
    const el = parseXml(html);
    expect(el.name).toBe('img');
    expect(el.attrs.width).toBe('6');
    expect(el.attrs.alt).toBe('a & b');
    const png = PNG.sync.read(Buffer.from(el.attrs.src.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect([png.width, png.height]).toEqual([2, 2]);
    // round(255·0.5) = 128, round(255·0.25) = 64 (one image: makeGrid adds no padding).
    expect(Array.from({ length: 4 }, (_, i) => png.data[4 * i])).toEqual([0, 255, 128, 64]);
    expect(() => imageGridHtml(tg.zeros([1, 3, 2, 2]), { nrow: 1, scale: 1, alt: '' })).toThrow(
      /imageGridHtml: expected grey images \[N,1,H,W\], got \[1,3,2,2\]/,
    );
  });
});

/** The options the CLI would pass for `train --model NAME --limit N --epochs E`. */
function options(name: string, extra: Partial<FamilyOptions> = {}): FamilyOptions {
  const family = FAMILIES[name];
  return { ...family.defaults('digits'), model: name, dataset: 'digits', dataDir: null, textFile: null, seed: 0, limit: 200, ...extra };
}

function context(seed = 0): FamilyContext {
  const made = new Map<string, tg.Rng>();
  return {
    rng(purpose: string) {
      if (!made.has(purpose)) made.set(purpose, tg.rng(`${seed}:${purpose}`));
      return made.get(purpose)!;
    },
    saved: null,
  };
}

async function trainAll(run: FamilyRun, epochs: number): Promise<Record<string, number>[]> {
  const out: Record<string, number>[] = [];
  for (let e = 1; e <= epochs; e++) out.push((await run.trainEpoch(e, async () => false))!);
  return out;
}

/** A directory of the four IDX files of random 28×28 images (train: `nTrain`, t10k: `nTest`). */
function writeIdxDir(nTrain: number, nTest: number): string {
  const dir = fs.mkdtempSync(path.join(tmp, 'idx-'));
  const g = tg.rng('idx');
  const write = (name: string, magic: number, dims: number[]) => {
    const header = Buffer.alloc(4 + 4 * dims.length);
    header.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    const body = Buffer.from(Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => g.int(dims.length === 1 ? 10 : 256)));
    fs.writeFileSync(path.join(dir, name), Buffer.concat([header, body]));
  };
  write('train-images-idx3-ubyte', 0x803, [nTrain, 28, 28]);
  write('train-labels-idx1-ubyte', 0x801, [nTrain]);
  write('t10k-images-idx3-ubyte', 0x803, [nTest, 28, 28]);
  write('t10k-labels-idx1-ubyte', 0x801, [nTest]);
  return dir;
}

function reportXml(sections: { title: string; html: string }[]): void {
  for (const s of sections) parseXml(`<div>${s.html}</div>`);
}

describe('the families driven directly', () => {
  test('registered under their names, digits first then fashion-mnist', () => {
    expect(FAMILIES.autoencoder).toBe(AUTOENCODER);
    expect(FAMILIES.vae).toBe(VAE);
    expect(AUTOENCODER.datasets).toEqual(['digits', 'fashion-mnist']);
    expect(VAE.defaults('digits').optimizer).toBe('adam');
  });

  test('autoencoder: trains, beats the mean image, reports reconstructions, draws its graph, and refuses to sample', async () => {
    const run = AUTOENCODER.create(options('autoencoder', { epochs: 20 }), context());
    expect(run.dataDescription).toBe('200 train / 200 test images [1,8,8], pixels in [0, 1]');
    expect(run.batchesPerEpoch).toBe(Math.ceil(200 / 32));
    const epochs = await trainAll(run, 20);
    expect(epochs[19].trainLoss).toBeLessThan(epochs[0].trainLoss);
    const summary = run.summary() as { testMse: number; meanImageMse: number };
    expect(Object.keys(summary).sort()).toEqual(['meanImageMse', 'testMse']);
    expect(summary.testMse).toBeLessThan(0.8 * summary.meanImageMse);
    expect(run.evaluate()).toEqual({ testMse: summary.testMse });
    const sections = await run.report();
    expect(sections.map((s) => s.title)).toEqual(['Test images and their reconstructions']);
    reportXml(sections);
    expect(sections[0].html).toContain(summary.meanImageMse.toFixed(5));
    expect(() => run.sample!({ prompt: '', length: 0, temperature: 1, count: 4, rng: tg.rng(0) })).toThrow(
      /an autoencoder run does not sample: .*train --model vae to sample images/,
    );
    const g = run.graphInput!();
    expect(g.module).toBe(run.modules.model);
    expect((g.input as tg.Tensor).shape).toEqual([4, 1, 8, 8]);
  });

  test('the split is drawn from the seed: the same seed gives the same data and weights, another seed different ones', () => {
    const a = AUTOENCODER.create(options('autoencoder'), context(0));
    const b = AUTOENCODER.create(options('autoencoder'), context(0));
    const c = AUTOENCODER.create(options('autoencoder'), context(1));
    expect(a.summary()).toEqual(b.summary());
    expect(a.summary()).not.toEqual(c.summary());
  });

  test('an onBatch that returns true stops the epoch at once: trainEpoch returns null', async () => {
    const run = VAE.create(options('vae'), context());
    let calls = 0;
    const result = await run.trainEpoch(1, async (done) => {
      calls = done;
      return done === 2;
    });
    expect(result).toBeNull();
    expect(calls).toBe(2);
  });

  test('vae: trains, reports loss, KL and MSE, shows reconstructions, samples and a latent walk, and samples by the given generator', async () => {
    const run = VAE.create(options('vae', { epochs: 8, limit: null }), context());
    const epochs = await trainAll(run, 8);
    expect(Object.keys(epochs[0]).sort()).toEqual(['trainKl', 'trainLoss']);
    expect(epochs[7].trainLoss).toBeLessThan(epochs[0].trainLoss);
    const summary = run.summary() as Record<string, number>;
    expect(Object.keys(summary).sort()).toEqual(['meanImageMse', 'testKl', 'testLoss', 'testMse']);
    expect(summary.testMse).toBeLessThan(summary.meanImageMse);
    expect(summary.testKl).toBeGreaterThan(0);
    expect(summary.testLoss).toBeGreaterThan(summary.testKl);
    // Evaluation replays the same noise: two calls agree exactly.
    expect(run.evaluate()).toEqual(run.evaluate());
    const sections = await run.report();
    expect(sections.map((s) => s.title)).toEqual(['Test images and their reconstructions', 'Samples from N(0, I)', 'Latent-space walk']);
    reportXml(sections);
    const s1 = run.sample!({ prompt: '', length: 0, temperature: 1, count: 5, rng: tg.rng('s') });
    const s2 = run.sample!({ prompt: '', length: 0, temperature: 1, count: 5, rng: tg.rng('s') });
    if (!('images' in s1) || !('images' in s2)) throw new Error('vae sample should give images');
    expect(s1.images.count).toBe(5);
    expect([s1.images.height, s1.images.width]).toEqual([8, 8]);
    expect(s1.images.data).toHaveLength(5 * 64);
    expect(Array.from(s1.images.data).every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Array.from(s1.images.data)).toEqual(Array.from(s2.images.data));
    expect(() => run.sample!({ prompt: '', length: 0, temperature: 1, count: 0, rng: tg.rng('s') })).toThrow(
      /sample: --count must be a positive integer, got 0/,
    );
  });

  test('fashion-mnist needs a data directory; unknown datasets are named', () => {
    expect(() => VAE.create(options('vae', { dataset: 'fashion-mnist' }), context())).toThrow(
      /vae: --dataset fashion-mnist needs --data-dir DIR/,
    );
    expect(() => AUTOENCODER.create(options('autoencoder', { dataset: 'text' }), context())).toThrow(
      /autoencoder: unknown dataset 'text' \(choose digits or fashion-mnist\)/,
    );
  });

  test('MNIST-format IDX files (--limit 64): 28×28 images in [0, 1] and the narrower 28×28 networks', () => {
    const dir = writeIdxDir(70, 64);
    const run = AUTOENCODER.create(options('autoencoder', { dataset: 'fashion-mnist', dataDir: dir, limit: 64 }), context());
    expect(run.dataDescription).toBe('64 train / 64 test images [1,28,28], pixels in [0, 1]');
    const x = (run.graphInput!().input as tg.Tensor).data;
    expect(Math.max(...Array.from(x))).toBeLessThanOrEqual(1);
    expect(Math.max(...Array.from(x))).toBeGreaterThan(0.9);
    expect(run.description).toMatch(/code \[8,7,7\]/);
    expect(run.spec()).toEqual({ imageShape: [1, 28, 28], hidden: 16, code: 8 });
  });
});

const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

describe('through the CLI: tapegrad train --model autoencoder / vae, eval, sample, --resume', () => {
  let ae: string;
  let vae: string;
  beforeAll(async () => {
    ae = path.join(tmp, 'cli-ae');
    vae = path.join(tmp, 'cli-vae');
    const a = await capture(() => trainCli(['--model', 'autoencoder', '--limit', '500', '--epochs', '12', '--out', ae]));
    expect(a.err).toEqual([]);
    expect(a.code).toBe(0);
    expect(a.out.some((l) => /^testMse 0\.\d{4} after 12 epochs/.test(l))).toBe(true);
    const v = await capture(() => trainCli(['--model', 'vae', '--limit', '300', '--epochs', '2', '--out', vae]));
    expect(v.err).toEqual([]);
    expect(v.code).toBe(0);
  }, 120_000);

  test('the autoencoder run: its files, metrics.json well below the mean image, run.json naming the family', () => {
    for (const f of ['run.json', 'checkpoint.json', 'model.safetensors', 'metrics.json', 'timings.json', 'report.html'])
      expect(fs.existsSync(path.join(ae, f))).toBe(true);
    const spec = JSON.parse(read(ae, 'run.json'));
    expect(spec).toMatchObject({ family: 'autoencoder', saved: { imageShape: [1, 8, 8], hidden: 32, code: 16 } });
    expect(spec.options).toMatchObject({ model: 'autoencoder', dataset: 'digits', epochs: 12, limit: 500, optimizer: 'adam' });
    const metrics = JSON.parse(read(ae, 'metrics.json'));
    expect(metrics.epochs).toHaveLength(12);
    expect(metrics.meanImageMse).toBeGreaterThan(0.05);
    expect(metrics.testMse).toBeLessThan(0.5 * metrics.meanImageMse);
    expect(metrics.epochs[11].testMse).toBe(metrics.testMse);
    expect(Object.keys(tg.load(path.join(ae, 'model.safetensors'))).sort()).toEqual(
      Object.keys(buildAutoencoder([1, 8, 8], tg.rng(0)).stateDict()).sort(),
    );
  });

  test('the autoencoder report: well-formed, reconstructions beside the test images, and the graph', () => {
    const html = read(ae, 'report.html');
    parseXml(html.replace(/^<!DOCTYPE[^>]*>\s*/i, ''));
    expect(html).toMatch(/<h2 id="test-images-and-their-reconstructions">Test images and their reconstructions<\/h2>/);
    expect(html).toMatch(/<img class="pixels"[^>]*alt="test images and their reconstructions"/);
    expect(html).toMatch(/<div class="graph"><svg/);
    expect(html).toContain('ConvTranspose2d');
  });

  test("eval prints the saved model's testMse, equal to metrics.json; sample refuses an autoencoder, saying why", async () => {
    const r = await capture(() => evalCli([ae]));
    expect(r.code).toBe(0);
    const line = r.out.find((l) => l.startsWith('testMse '))!;
    expect(Number(line.split(' ')[1])).toBeCloseTo(JSON.parse(read(ae, 'metrics.json')).testMse, 4);
    const s = await capture(() => sampleCli([ae, '--count', '4', '--out', path.join(tmp, 'never.png')]));
    expect(s.code).toBe(2);
    expect(s.err[0]).toMatch(/^tapegrad sample: an autoencoder run does not sample: .*train --model vae/);
    expect(fs.existsSync(path.join(tmp, 'never.png'))).toBe(false);
  });

  test('the vae run: metrics.json has testMse, meanImageMse, testLoss and testKl; the report has samples and a latent walk', () => {
    const metrics = JSON.parse(read(vae, 'metrics.json'));
    for (const k of ['testMse', 'meanImageMse', 'testLoss', 'testKl']) expect(Number.isFinite(metrics[k])).toBe(true);
    expect(metrics.testKl).toBeGreaterThan(0);
    expect(metrics.epochs.map((e: Record<string, number>) => Object.keys(e).sort())[0]).toEqual(
      expect.arrayContaining(['epoch', 'trainKl', 'trainLoss', 'testLoss', 'testKl', 'testMse']),
    );
    const html = read(vae, 'report.html');
    parseXml(html.replace(/^<!DOCTYPE[^>]*>\s*/i, ''));
    for (const id of ['test-images-and-their-reconstructions', 'samples-from-n-0-i', 'latent-space-walk'])
      expect(html).toContain(`id="${id}"`);
  });

  test("vae: eval on the saved run gives metrics.json's testMse, testLoss and testKl (the same noise: Note [the same noise at every evaluation])", async () => {
    const r = await capture(() => evalCli([vae]));
    expect(r.code).toBe(0);
    const metrics = JSON.parse(read(vae, 'metrics.json'));
    for (const k of ['testMse', 'testLoss', 'testKl']) {
      const line = r.out.find((l) => l.startsWith(`${k} `));
      expect(line).toBeDefined();
      expect(Number(line!.split(' ')[1])).toBeCloseTo(metrics[k], 4);
    }
  });

  test('vae: sample --count N writes N images as IDX or as a PNG grid; the same seed gives the same bytes', async () => {
    const idx = path.join(tmp, 'vae-sample.idx');
    const r = await capture(() => sampleCli([vae, '--count', '5', '--out', idx, '--seed', '7']));
    expect(r).toMatchObject({ code: 0, out: [`wrote 5 images of 8x8 to ${idx}`] });
    const bytes = fs.readFileSync(idx);
    expect([bytes.readUInt32BE(0), bytes.readUInt32BE(4), bytes.readUInt32BE(8), bytes.readUInt32BE(12)]).toEqual([0x803, 5, 8, 8]);
    expect(bytes.length).toBe(16 + 5 * 64);
    const again = path.join(tmp, 'vae-sample-again.idx');
    await capture(() => sampleCli([vae, '--count', '5', '--out', again, '--seed', '7']));
    expect(fs.readFileSync(again)).toEqual(bytes);
    const other = path.join(tmp, 'vae-sample-other.idx');
    await capture(() => sampleCli([vae, '--count', '5', '--out', other, '--seed', '8']));
    expect(fs.readFileSync(other)).not.toEqual(bytes);
    const png = path.join(tmp, 'vae-sample.png');
    expect((await capture(() => sampleCli([vae, '--count', '16', '--out', png]))).code).toBe(0);
    const image = PNG.sync.read(fs.readFileSync(png));
    // 16 images of 8×8 in one row, a pixel of padding around each.
    expect([image.width, image.height]).toEqual([16 * 9 + 1, 10]);
  });

  test('vae: a run stopped mid-epoch and resumed ends on the same weights and metrics as one uninterrupted run', async () => {
    const io = (stopAfter = Infinity): SessionIo => {
      let batches = 0;
      return { log: () => {}, liveStream: null, shouldStop: () => ++batches > stopAfter, beforeWrite: () => {}, kernels: 'test' };
    };
    const opts = (out: string) => ({ ...options('vae', { epochs: 2, limit: 100 }), out });
    const whole = path.join(tmp, 'vae-whole');
    const cut = path.join(tmp, 'vae-cut');
    expect(await trainSession(VAE, opts(whole), io())).toBe(0);
    // 100 images in batches of 16: 7 batches an epoch; stop during the second.
    expect(await trainSession(VAE, opts(cut), io(9))).toBe(130);
    expect(JSON.parse(read(cut, 'checkpoint.json')).epoch).toBe(1);
    expect(fs.existsSync(path.join(cut, 'metrics.json'))).toBe(false);
    const r = await capture(() => trainCli(['--resume', cut]));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`resuming ${cut} after epoch 1 of 2`);
    expect(fs.readFileSync(path.join(cut, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(whole, 'model.safetensors')));
    expect(read(cut, 'metrics.json')).toBe(read(whole, 'metrics.json'));
  }, 60_000);
});
