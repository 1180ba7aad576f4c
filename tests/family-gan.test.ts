/**
 * @file The GAN family (src/train/families/gan.ts): PyTorch parity of its training step over 20
 * steps in float64 (examples/torch/gan.py), its networks, the IDX writer behind samples.idx, the
 * FamilyRun itself, and scripts/check-gan.ts's histogram.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import { encodeIdxImages, parseIdxImages } from '../src/data/idx';
import type { FamilyOptions, FamilyRun } from '../src/train/family';
import { FAMILIES } from '../src/train/families';
import { gan, GanTrainer, toTanhRange, toUnitRange, SAMPLE_FILE_COUNT } from '../src/train/families/gan';
import { checkGanShape, Discriminator, Generator } from '../src/train/families/gan-model';
import { classHistogram } from '../scripts/check-gan';
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

  test('pixel ranges: [0,1] → [-1,1] and back, clamped', () => {
    expect(Array.from(toTanhRange(tg.tensor([0, 0.25, 1])).data)).toEqual([-1, -0.5, 1]);
    expect(Array.from(toUnitRange(tg.tensor([-1, 0, 0.5, 1.5, -3])))).toEqual([0, 0.5, 0.75, 1, 0]);
  });
});

describe('gan: the IDX writer behind samples.idx', () => {
  test('hand-derived bytes: magic 0x00000803, big-endian dims, round(255·v) clamped', () => {
    const bytes = encodeIdxImages([0, 0.5, 1, 1.2, -0.1, 0.002], 1, 2, 3);
    expect(Array.from(bytes)).toEqual([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 128, 255, 255, 0, 1]);
  });

  test('parseIdxImages reads it back to within 1/510', () => {
    const pixels = Float32Array.from({ length: 3 * 4 * 4 }, (_, i) => ((i * 37) % 101) / 100);
    const back = parseIdxImages(encodeIdxImages(pixels, 3, 4, 4), 'samples.idx');
    expect(back.shape).toEqual([3, 1, 4, 4]);
    back.data.forEach((v, i) => expect(Math.abs(v - pixels[i])).toBeLessThanOrEqual(1 / 510 + 1e-7));
  });

  test('errors name the problem', () => {
    expect(() => encodeIdxImages([0, 1], 1, 2, 2)).toThrow(/encodeIdxImages: 2 pixels do not fill 1 images of 2x2 \(4 pixels\)/);
    expect(() => encodeIdxImages([0], 1.5, 1, 1)).toThrow(/encodeIdxImages: count must be a non-negative integer, got 1.5/);
    expect(() => encodeIdxImages([NaN], 1, 1, 1)).toThrow(/encodeIdxImages: pixel 0 is NaN/);
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
    expect(() => gan.create(options({ momentum: 1 }), context(0))).toThrow(/gan: --momentum is Adam's beta1 and must be in \[0,1\), got 1/);
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
