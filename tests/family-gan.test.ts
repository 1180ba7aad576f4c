/**
 * @file The GAN family (src/train/families/gan.ts): PyTorch parity of its training step over 20
 * steps in float64 (examples/torch/gan.py), its networks, the FamilyRun itself, scripts/check-gan.ts's
 * histogram, and short runs end to end through the CLI (train, eval, sample, --resume, check-gan).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import { parseIdxImages } from '../src/data/idx';
import type { FamilyOptions, FamilyRun } from '../src/train/family';
import { FAMILIES } from '../src/train/families';
import { evaluateGan, gan, GanTrainer, toTanhRange, toUnitRange, SAMPLE_FILE_COUNT } from '../src/train/families/gan';
import { checkGanShape, Discriminator, Generator } from '../src/train/families/gan-model';
import { checkGan, classHistogram, main as checkGanMain } from '../scripts/check-gan';
import { run as evalCli } from '../src/cli/eval';
import { run as sampleCli } from '../src/cli/sample';
import { run as trainCli } from '../src/cli/train';
import { trainSession } from '../src/train/session';
import { capture } from './cli-capture';
import { requireTorch, TORCH_PYTHON } from './torch-harness';
import { parseXml } from './viz-helpers';

const MIRROR = path.join(__dirname, '..', 'examples', 'torch', 'gan.py');

function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tapegrad-gan-${tag}-`));
}

/** A FamilyContext as the session gives one: a generator per purpose from the seed. */
function context(seed: number, saved: Record<string, unknown> | null = null) {
  return { rng: (purpose: string) => tg.rng(`${seed}:${purpose}`), saved };
}

function options(over: Partial<FamilyOptions> = {}): FamilyOptions {
  return { ...gan.defaults('digits'), model: 'gan', dataset: 'digits', dataDir: null, textFile: null, seed: 0, limit: null, ...over };
}

/** The state dict of both networks as one map of tensors, keys prefixed as the session saves them. */
function savedWeights(modules: Record<string, tg.nn.Module>): Record<string, tg.Tensor> {
  const out: Record<string, tg.Tensor> = {};
  for (const [name, m] of Object.entries(modules)) {
    for (const [key, v] of Object.entries(m.stateDict())) {
      const dtype = key.endsWith('num_batches_tracked') ? 'int32' : 'float64';
      out[`${name}.${key}`] = tg.tensor(v.data, { shape: v.shape, dtype });
    }
  }
  return out;
}

describe('gan: PyTorch parity (examples/torch/gan.py)', () => {
  test('20 training steps in float64 give the same D and G losses to 1e-9, and the same state-dict keys', () => {
    requireTorch();
    const steps = 20;
    const batch = 16;
    const hyper = gan.defaults('digits');
    const shape = { side: 8, latent: 32, width: 32 };
    const rng = tg.rng('gan-parity');
    const generator = new Generator(shape, { rng, dtype: 'float64' });
    const discriminator = new Discriminator(shape, { rng, dtype: 'float64' });
    const dir = tmpDir('parity');
    tg.save(path.join(dir, 'weights.safetensors'), savedWeights({ generator, discriminator }));

    const digits = tg.data.loadDigits();
    const batches: Record<string, tg.Tensor> = {};
    for (let i = 0; i < steps; i++) {
      const idx = Int32Array.from({ length: batch }, () => rng.int(digits.labels.length));
      batches[`real_${i}`] = toTanhRange(tg.data.gather(digits, idx).images, 'float64');
      batches[`z_${i}`] = tg.randn([batch, shape.latent], { rng, dtype: 'float64' });
    }
    tg.save(path.join(dir, 'batches.safetensors'), batches);
    fs.writeFileSync(path.join(dir, 'job.json'), JSON.stringify({ ...shape, lr: hyper.lr, beta1: hyper.momentum, steps }));

    // The family's own step: GanTrainer with the defaults' Adam settings.
    const adam = { lr: hyper.lr, betas: [hyper.momentum, 0.999] as [number, number] };
    const trainer = new GanTrainer(
      generator,
      discriminator,
      new tg.optim.Adam(generator.parameters(), adam),
      new tg.optim.Adam(discriminator.parameters(), adam),
    );
    const ours = { dLoss: [] as number[], gLoss: [] as number[], dReal: [] as number[], dFake: [] as number[] };
    for (let i = 0; i < steps; i++) {
      const r = trainer.step(batches[`real_${i}`], batches[`z_${i}`]);
      for (const k of ['dLoss', 'gLoss', 'dReal', 'dFake'] as const) ours[k].push(r[k]);
    }

    const py = spawnSync(TORCH_PYTHON, [MIRROR, '--parity', dir], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    if (py.status !== 0) throw new Error(`examples/torch/gan.py failed (exit ${py.status}):\n${py.stderr}`);
    const theirs = JSON.parse(py.stdout) as typeof ours & { keys: { generator: string[]; discriminator: string[] } };

    expect(theirs.keys.generator).toEqual(Object.keys(generator.stateDict()));
    expect(theirs.keys.discriminator).toEqual(Object.keys(discriminator.stateDict()));
    for (const k of ['dLoss', 'gLoss', 'dReal', 'dFake'] as const) {
      expect(theirs[k]).toHaveLength(steps);
      theirs[k].forEach((v, i) => {
        const rel = Math.abs(ours[k][i] - v) / Math.max(Math.abs(v), 1e-300);
        if (!(rel <= 1e-9)) throw new Error(`${k} at step ${i + 1}: tapegrad ${ours[k][i]}, torch ${v} (relative ${rel})`);
      });
    }
    // The losses moved: the networks trained (a frozen pair would also agree).
    expect(new Set(ours.gLoss.map((v) => v.toFixed(6))).size).toBe(steps);
  });
});

describe('gan: networks', () => {
  const shape = { side: 8, latent: 5, width: 3 };

  test('the generator maps noise [N,latent] to images [N,1,8,8] in [-1,1]; the discriminator to logits [N]', () => {
    const rng = tg.rng(1);
    const g = new Generator(shape, { rng });
    const d = new Discriminator(shape, { rng });
    const y = g.forward(tg.randn([4, 5], { rng }));
    expect(y.shape).toEqual([4, 1, 8, 8]);
    expect(Math.max(...Array.from(y.data, Math.abs))).toBeLessThanOrEqual(1);
    expect(d.forward(y).shape).toEqual([4]);
    // 28×28: 7 → 14 → 28.
    const g28 = new Generator({ side: 28, latent: 5, width: 3 }, { rng });
    expect(g28.forward(tg.randn([2, 5], { rng })).shape).toEqual([2, 1, 28, 28]);
  });

  test('state-dict keys are the Sequential ones PyTorch names', () => {
    const g = new Generator(shape, { rng: tg.rng(1) });
    expect(Object.keys(g.stateDict())).toEqual([
      'main.0.weight',
      'main.1.weight',
      'main.1.bias',
      'main.1.running_mean',
      'main.1.running_var',
      'main.1.num_batches_tracked',
      'main.3.weight',
      'main.4.weight',
      'main.4.bias',
      'main.4.running_mean',
      'main.4.running_var',
      'main.4.num_batches_tracked',
      'main.6.weight',
    ]);
    // [in, out, k, k] for transposed convolutions: latent → 2w with k = side/4.
    expect(g.stateDict()['main.0.weight'].shape).toEqual([5, 6, 2, 2]);
  });

  test('DCGAN init: conv weights have std near 0.02, batch-norm weights mean near 1 and zero bias', () => {
    const d = new Discriminator({ side: 8, latent: 4, width: 64 }, { rng: tg.rng(2) });
    const w = Array.from(d.main.stateDict()['2.weight'].data);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    const bn = d.main.stateDict();
    expect(Math.abs(bn['3.weight'].data.reduce((s, v) => s + v, 0) / 128 - 1)).toBeLessThan(0.01);
    expect(bn['3.bias'].data.every((v) => v === 0)).toBe(true);
  });

  test('bad shapes and inputs are errors that name them', () => {
    expect(() => checkGanShape({ side: 10, latent: 2, width: 2 })).toThrow(/gan: the image side must be a multiple of 4, got 10/);
    expect(() => checkGanShape({ side: 8, latent: 0, width: 2 })).toThrow(/gan: latent must be a positive integer, got 0/);
    const g = new Generator(shape, { rng: tg.rng(1) });
    expect(() => g.forward(tg.zeros([2, 4]))).toThrow(/Generator: expected noise \[N,5\], got \[2,4\]/);
    const d = new Discriminator(shape, { rng: tg.rng(1) });
    expect(() => d.forward(tg.zeros([2, 1, 4, 4]))).toThrow(/Discriminator: expected images \[N,1,8,8\], got \[2,1,4,4\]/);
  });

  test('evaluateGan puts large sets through in chunks with the same result as one batch (eval mode)', () => {
    const rng = tg.rng(4);
    const g = new Generator(shape, { rng, dtype: 'float64' });
    const d = new Discriminator(shape, { rng, dtype: 'float64' });
    const real = tg.rand([1100, 1, 8, 8], { rng, dtype: 'float64' });
    const z = tg.randn([1050, 5], { rng, dtype: 'float64' });
    const e = evaluateGan(g, d, real, z);
    const whole = tg.noGrad(() => ({ real: d.forward(real), fake: d.forward(g.forward(z)) }));
    expect(e.dReal).toBeCloseTo(tg.sigmoid(whole.real).mean().item(), 12);
    expect(e.dFake).toBeCloseTo(tg.sigmoid(whole.fake).mean().item(), 12);
    expect(e.gLoss).toBeCloseTo(tg.bceWithLogits(whole.fake, tg.ones([1050], { dtype: 'float64' })).item(), 12);
  });

  test('pixel ranges: [0,1] → [-1,1] and back, clamped', () => {
    expect(Array.from(toTanhRange(tg.tensor([0, 0.25, 1])).data)).toEqual([-1, -0.5, 1]);
    expect(Array.from(toUnitRange(tg.tensor([-1, 0, 0.5, 1.5, -3])))).toEqual([0, 0.5, 0.75, 1, 0]);
  });
});

describe('gan: the FamilyRun', () => {
  let run: FamilyRun;
  const epochs: Record<string, number>[] = [];

  beforeAll(async () => {
    run = gan.create(options({ limit: 100, batchSize: 32, epochs: 2 }), context(3));
    for (let e = 1; e <= 2; e++) {
      const calls: number[] = [];
      const m = await run.trainEpoch(e, async (done) => {
        calls.push(done);
        return false;
      });
      expect(calls).toEqual([1, 2, 3]);
      epochs.push(m!);
    }
  });

  test('is registered, trains both networks with Adam and reports D and G per epoch', () => {
    expect(FAMILIES.gan).toBe(gan);
    expect(Object.keys(run.modules)).toEqual(['generator', 'discriminator']);
    expect(Object.keys(run.optimizers)).toEqual(['generator', 'discriminator']);
    expect(run.batchesPerEpoch).toBe(3);
    expect(run.dataDescription).toBe('100 train / 100 test images [1,8,8]');
    for (const m of epochs) {
      expect(Object.keys(m).sort()).toEqual(['dFake', 'dLoss', 'dReal', 'gLoss', 'trainLoss']);
      expect(m.dLoss).toBeGreaterThan(0);
      expect(m.dReal).toBeGreaterThan(0);
      expect(m.dReal).toBeLessThan(1);
    }
  });

  test('evaluate gives held-out D and G numbers, the same on every call', () => {
    const e = run.evaluate();
    expect(Object.keys(e).sort()).toEqual(['testDFake', 'testDLoss', 'testDReal', 'testGLoss']);
    expect(run.evaluate()).toEqual(e);
    expect(e).toHaveProperty(run.headline);
    // D's loss is BCE on real (target 1) plus BCE on fake (target 0): at least −ln D(real) − ln(1 − D(fake)) by Jensen.
    expect(e.testDLoss).toBeGreaterThanOrEqual(-Math.log(e.testDReal) - Math.log(1 - e.testDFake) - 1e-6);
  });

  test('files() writes 256 generated images as IDX that parseIdxImages reads', () => {
    const files = run.files!();
    expect(files.map((f) => f.name)).toEqual(['samples.idx']);
    const images = parseIdxImages(files[0].content as Uint8Array, 'samples.idx');
    expect(images.shape).toEqual([SAMPLE_FILE_COUNT, 1, 8, 8]);
    // Deterministic: the same fixed noise and weights give the same bytes.
    expect(Buffer.from(run.files!()[0].content as Uint8Array).equals(Buffer.from(files[0].content as Uint8Array))).toBe(true);
  });

  test('sample() gives count images in [0,1] from the rng it is given', () => {
    const opts = { prompt: '', length: 0, temperature: 1, count: 5, rng: tg.rng(9) };
    const s = run.sample!(opts);
    if (!('images' in s)) throw new Error('expected images');
    expect([s.images.count, s.images.height, s.images.width, s.images.data.length]).toEqual([5, 8, 8, 320]);
    expect(s.images.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    const again = run.sample!({ ...opts, rng: tg.rng(9) });
    expect('images' in again && Array.from(again.images.data)).toEqual(Array.from(s.images.data));
    expect(() => run.sample!({ ...opts, count: 0 })).toThrow(/gan: the sample count must be a positive integer, got 0/);
  });

  test('report: the sample grid, one row per epoch, the loss curves; well-formed', async () => {
    const sections = await run.report();
    expect(sections.map((s) => s.title)).toEqual([
      'Generated samples',
      'Samples from fixed noise after each epoch',
      'Discriminator and generator',
      'Held-out check',
    ]);
    const html = sections.map((s) => s.html).join('');
    expect((html.match(/<img /g) ?? []).length).toBe(1 + 2);
    expect(html).toContain('D loss (real + fake)');
    expect(html).toContain('D(fake)');
    for (const s of sections) expect(() => parseXml(`<div>${s.html}</div>`)).not.toThrow();
  });

  test('rebuilt from the same options and seed it is the same network (Note [a family is rebuilt from its options])', () => {
    const a = gan.create(options({ limit: 40 }), context(5));
    const b = gan.create(options({ limit: 40 }), context(5, a.spec()));
    expect(a.spec()).toEqual({ latent: 32, width: 32 });
    expect(b.modules.generator.stateDict()).toEqual(a.modules.generator.stateDict());
    expect(b.files!()[0].content).toEqual(a.files!()[0].content);
  });

  test('options it cannot honour are errors naming them', () => {
    expect(() => gan.create(options({ optimizer: 'sgd' }), context(0))).toThrow(
      /gan: trains both networks with Adam; --optimizer sgd is not supported/,
    );
    expect(() => gan.create(options({ scheduler: 'onecycle' }), context(0))).toThrow(
      /gan: --scheduler must be none or cosine, got onecycle/,
    );
    expect(() => gan.create(options({ momentum: 1 }), context(0))).toThrow(/gan: momentum \(Adam's beta1\) must be in \[0,1\), got 1/);
    expect(() => gan.create(options({ limit: 1 }), context(0))).toThrow(/gan: needs at least 2 training images \(batch norm\), got 1/);
    expect(() => gan.create(options({ dataset: 'fashion-mnist' }), context(0))).toThrow(
      /gan: --dataset fashion-mnist needs --data-dir DIR/,
    );
    expect(() => gan.defaults('text')).toThrow(/gan: unknown dataset 'text'/);
  });
});

describe('check-gan: the class histogram', () => {
  test('hand-derived: argmax counts, mean top probability, classes hit, largest share', () => {
    const probs = tg.tensor([
      [0.7, 0.2, 0.1],
      [0.1, 0.8, 0.1],
      [0.6, 0.3, 0.1],
      [0.2, 0.3, 0.5],
    ]);
    const h = classHistogram(probs);
    expect(h.counts).toEqual([2, 1, 1]);
    expect(h.meanConfidence).toBeCloseTo((0.7 + 0.8 + 0.6 + 0.5) / 4, 6);
    expect(h.classesHit).toBe(3);
    expect(h.largestShare).toBe(0.5);
    // One collapsed mode.
    const collapsed = classHistogram(
      tg.tensor([
        [0.1, 0.9],
        [0.2, 0.8],
      ]),
    );
    expect([collapsed.counts, collapsed.classesHit, collapsed.largestShare]).toEqual([[0, 2], 1, 1]);
    expect(() => classHistogram(tg.tensor([1, 2]))).toThrow(/classHistogram: expected probabilities \[N,classes\] with N > 0, got \[2\]/);
  });
});

// ---- end to end, through the CLI -----------------------------------------------------------------

describe('gan through the CLI: train, eval, sample, --resume, check-gan', () => {
  let tmp: string;
  let dir: string;
  let trainOut: string[];
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const args = (out: string) => ['--model', 'gan', '--limit', '128', '--epochs', '2', '--batch-size', '32', '--seed', '1', '--out', out];

  beforeAll(async () => {
    tmp = tmpDir('cli');
    dir = path.join(tmp, 'run');
    const r = await capture(() => trainCli(args(dir)));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    trainOut = r.out;
  }, 120_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('writes the run directory with samples.idx: 256 generated images loadIdx-format', () => {
    for (const f of ['run.json', 'checkpoint.json', 'model.safetensors', 'metrics.json', 'timings.json', 'report.html', 'samples.idx'])
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    const spec = JSON.parse(read('run.json'));
    expect(spec).toMatchObject({ family: 'gan', saved: { latent: 32, width: 32 } });
    expect(spec.options).toMatchObject({
      model: 'gan',
      dataset: 'digits',
      epochs: 2,
      batchSize: 32,
      lr: 2e-3,
      optimizer: 'adam',
      limit: 128,
    });
    const images = parseIdxImages(fs.readFileSync(path.join(dir, 'samples.idx')), 'samples.idx');
    expect(images.shape).toEqual([256, 1, 8, 8]);
    const keys = Object.keys(tg.load(path.join(dir, 'model.safetensors')));
    expect(keys).toContain('generator.main.0.weight');
    expect(keys).toContain('discriminator.main.3.running_var');
    expect(keys.every((k) => /^(generator|discriminator)\.main\.\d\./.test(k))).toBe(true);
    expect(trainOut.filter((l) => /^epoch \d\/2: trainLoss \d\.\d{4}, dLoss .*gLoss .*testDFake \d\.\d{4}/.test(l))).toHaveLength(2);
    expect(trainOut.some((l) => /^testDFake \d\.\d{4} after 2 epochs/.test(l))).toBe(true);
  });

  test('metrics.json: D and G per epoch and the held-out numbers', () => {
    const m = JSON.parse(read('metrics.json'));
    expect(m.epochs).toHaveLength(2);
    for (const e of m.epochs)
      expect(Object.keys(e).sort()).toEqual([
        'dFake',
        'dLoss',
        'dReal',
        'epoch',
        'gLoss',
        'testDFake',
        'testDLoss',
        'testDReal',
        'testGLoss',
        'trainLoss',
      ]);
    expect(m).toMatchObject({ model: 'gan', samples: 'samples.idx', sampleCount: 256 });
    for (const k of ['testDLoss', 'testGLoss', 'testDReal', 'testDFake']) expect(m[k]).toBeCloseTo(m.epochs[1][k], 5);
  });

  test("report.html holds the family's sections: the sample grid, the per-epoch rows and the D/G curves", () => {
    const html = read('report.html');
    for (const title of ['Generated samples', 'Samples from fixed noise after each epoch', 'Discriminator and generator', 'Held-out check'])
      expect(html).toContain(`>${title}</h2>`);
    expect((html.match(/<img src="data:image\/png;base64,/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('Training losses per epoch');
  });

  test('eval rebuilds the run and prints the held-out numbers train ended with', async () => {
    const r = await capture(() => evalCli([dir]));
    expect(r.code).toBe(0);
    const m = JSON.parse(read('metrics.json'));
    for (const k of ['testDFake', 'testDReal', 'testDLoss', 'testGLoss']) {
      const line = r.out.find((l) => l.startsWith(`${k} `));
      expect(Number(line!.split(' ')[1])).toBeCloseTo(m[k], 4);
    }
  });

  test('sample writes --count images as IDX or a PNG grid, the same for the same --seed', async () => {
    const idx = path.join(tmp, 's.idx');
    const r = await capture(() => sampleCli([dir, '--count', '10', '--out', idx, '--seed', '4']));
    expect(r).toMatchObject({ code: 0, out: [`wrote 10 images of 8x8 to ${idx}`] });
    const first = fs.readFileSync(idx);
    expect(parseIdxImages(first, idx).shape).toEqual([10, 1, 8, 8]);
    await capture(() => sampleCli([dir, '--count', '10', '--out', idx, '--seed', '4']));
    expect(fs.readFileSync(idx).equals(first)).toBe(true);
    await capture(() => sampleCli([dir, '--count', '10', '--out', idx, '--seed', '5']));
    expect(fs.readFileSync(idx).equals(first)).toBe(false);
    const png = path.join(tmp, 's.png');
    expect((await capture(() => sampleCli([dir, '--count', '20', '--out', png]))).code).toBe(0);
    expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    const text = await capture(() => sampleCli([dir, '--prompt', 'x']));
    expect(text).toMatchObject({
      code: 2,
      err: ['tapegrad sample: --prompt and --length are for text models; an image model writes --count images'],
    });
  });

  test('a run interrupted mid-epoch and resumed ends on the same bits as one run', async () => {
    const cut = path.join(tmp, 'cut');
    const io = {
      log: () => {},
      liveStream: null,
      shouldStop: (() => {
        let batches = 0;
        return () => ++batches > 6; // 4 batches per epoch: stop during the second
      })(),
      beforeWrite: () => {},
      kernels: 'test',
    };
    const opts = { ...options({ limit: 128, epochs: 2, batchSize: 32, seed: 1 }), out: cut };
    expect(await trainSession(gan, opts, io)).toBe(130);
    const r = await capture(() => trainCli(['--resume', cut]));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`resuming ${cut} after epoch 1 of 2`);
    expect(fs.readFileSync(path.join(cut, 'model.safetensors')).equals(fs.readFileSync(path.join(dir, 'model.safetensors')))).toBe(true);
    expect(fs.readFileSync(path.join(cut, 'samples.idx')).equals(fs.readFileSync(path.join(dir, 'samples.idx')))).toBe(true);
    expect(fs.readFileSync(path.join(cut, 'metrics.json'), 'utf8')).toBe(read('metrics.json'));
    expect(fs.readFileSync(path.join(cut, 'report.html'), 'utf8')).toContain('Epochs 1 to 1 ran before this run was resumed');
  }, 120_000);

  test('options the family cannot honour are refused before anything is written', async () => {
    const never = path.join(tmp, 'never');
    await expect(trainCli(['--model', 'gan', '--optimizer', 'sgd', '--out', never])).rejects.toThrow(
      'gan: trains both networks with Adam; --optimizer sgd is not supported',
    );
    await expect(trainCli(['--model', 'gan', '--scheduler', 'step', '--out', never])).rejects.toThrow(
      'gan: --scheduler must be none or cosine, got step',
    );
    expect(fs.existsSync(never)).toBe(false);
  });

  test('scripts/check-gan.ts classifies samples.idx with a cnn run: a histogram over the 10 classes and the mean confidence', async () => {
    const cnn = path.join(tmp, 'cnn');
    expect((await capture(() => trainCli(['--model', 'cnn', '--epochs', '1', '--limit', '200', '--out', cnn]))).code).toBe(0);
    const r = await capture(() => checkGanMain(['--cnn', cnn, '--gan', dir]));
    expect([0, 1]).toContain(r.code);
    expect(r.out[0]).toBe('256 samples classified:');
    const rows = r.out.slice(1, 11);
    expect(rows.map((l) => l.trim().split(/\s+/)[0])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(rows.map((l) => Number(l.trim().split(/\s+/)[1])).reduce((a, b) => a + b, 0)).toBe(256);
    expect(r.out[11]).toMatch(/^classes hit: \d+ of 10 \(need 8\); largest class \d+\.\d% of the samples$/);
    expect(r.out[12]).toMatch(/^mean confidence \(top probability\): 0\.\d{3} \(need 0\.8\)$/);
    expect(r.out[13]).toBe(r.code === 0 ? 'PASS: recognisable, not one collapsed mode' : 'FAIL');
    expect(() => checkGan(cnn, cnn)).toThrow(/check-gan: .*samples\.idx does not exist/);
  }, 120_000);
});
