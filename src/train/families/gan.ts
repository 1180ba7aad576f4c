/**
 * @file `tapegrad train --model gan` (SPEC §17, issue #27): a DCGAN-style generator and
 * discriminator (src/train/families/gan-model.ts) trained against each other on the digits (8×8) or
 * Fashion-MNIST (28×28, --dataset fashion-mnist), with binary cross-entropy on logits and one Adam
 * per network (betas 0.5, 0.999, as DCGAN). The run writes `samples.idx` — 256 generated images in
 * the IDX format `loadIdx` reads — and its report shows a grid of samples, the samples of one fixed
 * noise batch after every epoch, and the two losses and D's outputs per epoch.
 *
 * One training step, as PyTorch's DCGAN tutorial: z ~ N(0, I) from the run's 'noise' generator,
 * fake = G(z); the discriminator steps on BCE(D(real), 1) + BCE(D(fake.detach()), 0) (real and fake
 * through D as two batches, so each has its own batch-norm statistics); then the generator steps on
 * the non-saturating loss BCE(D(fake), 1).
 *
 * Note [the GAN's §9 options]: --lr is both networks' learning rate, --epochs and --batch-size as
 * usual (the last partial batch is dropped: batch norm needs the full batch); --clip-grad-norm clips
 * each network's gradients before its own step; --scheduler none|cosine (cosine: both learning rates
 * decay to 0 over the run, stepped every batch). The optimiser is Adam: --optimizer anything else is
 * refused. The hyper-parameter `momentum` is Adam's β1 (as OneCycleLR calls β1 "momentum"), 0.5 in
 * the defaults; `weightDecay` is Adam's (L2) weight decay, and `cropPadding`/`flipP` augment the real
 * images (all three off by default).
 */
import * as data from '../../data';
import type { ImageSet } from '../../data';
import { noGrad } from '../../autograd';
import { clipGradNorm_ } from '../../nn/utils/clip';
import { bceWithLogits } from '../../ops/losses';
import { narrow } from '../../ops/rearrange';
import { concat } from '../../ops/shape';
import { sigmoid } from '../../ops/elementwise';
import { Adam } from '../../optim/adam';
import { CosineAnnealingLR, type LRScheduler } from '../../optim/lr-scheduler';
import type { Rng } from '../../random/rng';
import { ones, randn, zeros } from '../../tensor/create';
import { Tensor } from '../../tensor/tensor';
import { escapeXml, lineChart } from '../chart';
import type { Family, FamilyContext, FamilyOptions, FamilyRun, ReportSection, SampleOptions, SampleResult } from '../family';
import { findIdxFiles } from '../idx-files';
import type { Hyper } from '../options';
import { idxImageBytes, imageGridPng } from '../image-files';
import { Discriminator, Generator, type GanShape } from './gan-model';

/** How many images `samples.idx` holds. */
export const SAMPLE_FILE_COUNT = 256;
/** How many images of one fixed noise batch the report shows after each epoch. */
const EPOCH_ROW = 16;
/** The noise length and the narrower layer's channels when run.json does not say otherwise. */
export const GAN_LATENT = 32;
export const GAN_WIDTH = 32;

/** [0, 1] → [-1, 1] (Note [GAN pixel range]), into a new tensor of `dtype`. */
export function toTanhRange(unit: Tensor, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const out = dtype === 'float64' ? new Float64Array(unit.size) : new Float32Array(unit.size);
  for (let i = 0; i < out.length; i++) out[i] = 2 * Number(unit.data[i]) - 1;
  return new Tensor(out, unit.shape);
}

/** [-1, 1] → [0, 1], clamped, as a Float32Array (what samples.idx, the PNGs and `sample` carry). */
export function toUnitRange(y: Tensor): Float32Array {
  return Float32Array.from(y.data as ArrayLike<number>, (v) => Math.min(1, Math.max(0, (v + 1) / 2)));
}

export interface GanStepResult {
  /** BCE(D(real), 1) + BCE(D(fake), 0), before the discriminator's step. */
  dLoss: number;
  /** BCE(D(fake), 1) after the discriminator's step, before the generator's. */
  gLoss: number;
  /** The mean of sigmoid(D(real)) and of sigmoid(D(fake)) in the discriminator's step. */
  dReal: number;
  dFake: number;
}

/** The two networks, their optimisers and one adversarial training step (the one the CLI, the example and the parity test run). */
export class GanTrainer {
  constructor(
    readonly generator: Generator,
    readonly discriminator: Discriminator,
    readonly optG: Adam,
    readonly optD: Adam,
    readonly clipGradNorm: number | null = null,
  ) {}

  /** One step on `real` images [N,1,S,S] in [-1, 1] with noise `z` [N, latent] (see the file header). */
  step(real: Tensor, z: Tensor): GanStepResult {
    const { generator: g, discriminator: d } = this;
    if (real.shape[0] !== z.shape[0]) {
      throw new Error(`gan: ${real.shape[0]} real images but ${z.shape[0]} noise vectors (real [${real.shape}], z [${z.shape}])`);
    }
    g.train();
    d.train();
    const n = real.shape[0];
    const isReal = ones([n], { dtype: real.dtype });
    const isFake = zeros([n], { dtype: real.dtype });
    const fake = g.forward(z);

    this.optD.zeroGrad();
    const realLogits = d.forward(real);
    const fakeLogits = d.forward(fake.detach());
    const dLoss = bceWithLogits(realLogits, isReal).add(bceWithLogits(fakeLogits, isFake));
    dLoss.backward();
    if (this.clipGradNorm !== null) clipGradNorm_(d.parameters(), this.clipGradNorm);
    this.optD.step();

    this.optG.zeroGrad();
    const gLoss = bceWithLogits(d.forward(fake), isReal);
    gLoss.backward();
    if (this.clipGradNorm !== null) clipGradNorm_(g.parameters(), this.clipGradNorm);
    this.optG.step();

    const meanProb = (logits: Tensor) => noGrad(() => sigmoid(logits.detach()).mean().item());
    return { dLoss: dLoss.item(), gLoss: gLoss.item(), dReal: meanProb(realLogits), dFake: meanProb(fakeLogits) };
  }
}

/** How many images evaluation puts through a network at once (Fashion-MNIST's 10,000 test images would need gigabytes in one). */
const EVAL_CHUNK = 500;

/** f over the first axis of x in chunks of EVAL_CHUNK, the results concatenated (eval mode: each row's output is its own). */
function inChunks(f: (x: Tensor) => Tensor, x: Tensor): Tensor {
  const n = x.shape[0];
  if (n <= EVAL_CHUNK) return f(x);
  const parts: Tensor[] = [];
  for (let start = 0; start < n; start += EVAL_CHUNK) parts.push(f(narrow(x, 0, start, Math.min(EVAL_CHUNK, n - start))));
  return concat(parts, 0);
}

/** The losses and D's mean outputs on held-out real images and generated ones, in eval mode without a graph. */
export function evaluateGan(g: Generator, d: Discriminator, real: Tensor, z: Tensor): GanStepResult {
  g.eval();
  d.eval();
  return noGrad(() => {
    const realLogits = inChunks((x) => d.forward(x), real);
    const fakeLogits = inChunks((zz) => d.forward(g.forward(zz)), z);
    const isReal = ones([real.shape[0]], { dtype: real.dtype });
    const isFake = zeros([z.shape[0]], { dtype: real.dtype });
    return {
      dLoss: bceWithLogits(realLogits, isReal).add(bceWithLogits(fakeLogits, isFake)).item(),
      gLoss: bceWithLogits(fakeLogits, ones([z.shape[0]], { dtype: real.dtype })).item(),
      dReal: sigmoid(realLogits).mean().item(),
      dFake: sigmoid(fakeLogits).mean().item(),
    };
  });
}

/** Generated images in [0, 1] for `count` noise vectors from `rng`, in eval mode (batch norm's running statistics). */
export function generate(g: Generator, count: number, rng: Rng): { data: Float32Array; count: number; height: number; width: number } {
  if (!Number.isInteger(count) || count < 1) throw new Error(`gan: the sample count must be a positive integer, got ${count}`);
  g.eval();
  const y = noGrad(() => g.forward(randn([count, g.shape.latent], { rng })));
  return { data: toUnitRange(y), count, height: g.shape.side, width: g.shape.side };
}

/** One PNG data URI of images in [0, 1] laid out `perRow` to a row (pixel 0 black, 1 white, as `tapegrad sample` draws them). */
function gridUri(pixels: Float32Array, count: number, side: number, perRow: number): string {
  return `data:image/png;base64,${imageGridPng({ data: pixels, count, height: side, width: side }, perRow).toString('base64')}`;
}

function img(uri: string, alt: string, scale: number, width: number, height: number): string {
  return `<img src="${uri}" alt="${escapeXml(alt)}" width="${width * scale}" height="${height * scale}" style="image-rendering: pixelated" />`;
}

const GAN_DEFAULTS: Record<string, Hyper> = {
  // 80 epochs of 22 batches: recognisable digits of every class (scripts/check-gan.ts) in about 2 minutes.
  digits: {
    epochs: 80,
    batchSize: 64,
    lr: 2e-3,
    momentum: 0.5,
    weightDecay: 0,
    cropPadding: 0,
    flipP: 0,
    optimizer: 'adam',
    scheduler: 'none',
    clipGradNorm: null,
  },
  // DCGAN's own learning rate; one epoch of 60000 images already gives recognisable clothes.
  'fashion-mnist': {
    epochs: 1,
    batchSize: 64,
    lr: 2e-4,
    momentum: 0.5,
    weightDecay: 0,
    cropPadding: 0,
    flipP: 0,
    optimizer: 'adam',
    scheduler: 'none',
    clipGradNorm: null,
  },
};

function loadImages(opts: FamilyOptions, splitRng: Rng): { train: ImageSet; test: ImageSet } {
  let train: ImageSet;
  let test: ImageSet;
  if (opts.dataset === 'digits') {
    ({ train, test } = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng: splitRng }));
  } else if (opts.dataset === 'fashion-mnist') {
    if (opts.dataDir === null) throw new Error('gan: --dataset fashion-mnist needs --data-dir DIR with the IDX files');
    const files = findIdxFiles(opts.dataDir);
    train = data.loadIdx(files.trainImages, files.trainLabels);
    test = data.loadIdx(files.testImages, files.testLabels);
  } else {
    throw new Error(`gan: unknown dataset '${opts.dataset}' (expected ${gan.datasets.join(' or ')})`);
  }
  const head = (set: ImageSet) =>
    opts.limit === null || opts.limit >= set.labels.length
      ? set
      : data.gather(
          set,
          Int32Array.from({ length: opts.limit }, (_, i) => i),
        );
  return { train: head(train), test: head(test) };
}

function checkOptions(opts: FamilyOptions): void {
  if (opts.optimizer !== 'adam') throw new Error(`gan: trains both networks with Adam; --optimizer ${opts.optimizer} is not supported`);
  const scheduler = opts.scheduler ?? 'none';
  if (scheduler !== 'none' && scheduler !== 'cosine') throw new Error(`gan: --scheduler must be none or cosine, got ${scheduler}`);
  if (!(opts.momentum >= 0 && opts.momentum < 1)) throw new Error(`gan: momentum (Adam's beta1) must be in [0,1), got ${opts.momentum}`);
}

function createGan(opts: FamilyOptions, ctx: FamilyContext): FamilyRun {
  checkOptions(opts);
  const splitRng = ctx.rng('split');
  const initRng = ctx.rng('init');
  const shuffleRng = ctx.rng('shuffle');
  const augmentRng = ctx.rng('augment');
  const noiseRng = ctx.rng('noise');
  const fixedRng = ctx.rng('fixed-noise');

  const { train, test } = loadImages(opts, splitRng);
  const [, channels, side, sideW] = train.images.shape;
  if (channels !== 1 || side !== sideW) throw new Error(`gan: expects square one-channel images, got [${train.images.shape}]`);
  const saved = ctx.saved ?? {};
  const shape: GanShape = {
    side,
    latent: typeof saved.latent === 'number' ? saved.latent : GAN_LATENT,
    width: typeof saved.width === 'number' ? saved.width : GAN_WIDTH,
  };
  const generator = new Generator(shape, { rng: initRng });
  const discriminator = new Discriminator(shape, { rng: initRng });
  const adam = { lr: opts.lr, betas: [opts.momentum, 0.999] as [number, number], weightDecay: opts.weightDecay };
  const optG = new Adam(generator.parameters(), adam);
  const optD = new Adam(discriminator.parameters(), adam);
  const trainer = new GanTrainer(generator, discriminator, optG, optD, opts.clipGradNorm ?? null);

  const n = train.labels.length;
  if (n < 2) throw new Error(`gan: needs at least 2 training images (batch norm), got ${n}`);
  const batchSize = Math.min(opts.batchSize, n);
  const batchesPerEpoch = Math.floor(n / batchSize);
  const schedulers: Record<string, LRScheduler> = {};
  if ((opts.scheduler ?? 'none') === 'cosine') {
    schedulers.generator = new CosineAnnealingLR(optG, { tMax: opts.epochs * batchesPerEpoch });
    schedulers.discriminator = new CosineAnnealingLR(optD, { tMax: opts.epochs * batchesPerEpoch });
  }

  // Fixed noise, drawn once here so a rebuilt run (eval, sample, --resume) has the same: the
  // per-epoch row of the report, the held-out fakes of evaluate(), and samples.idx.
  const rowNoise = randn([EPOCH_ROW, shape.latent], { rng: fixedRng });
  const evalNoise = randn([Math.max(1, test.labels.length), shape.latent], { rng: fixedRng });
  const fileNoise = randn([SAMPLE_FILE_COUNT, shape.latent], { rng: fixedRng });
  const graphNoise = randn([2, shape.latent], { rng: fixedRng });
  const testReal = toTanhRange(test.images);

  const history: { epoch: number; dLoss: number; gLoss: number; dReal: number; dFake: number; row: Float32Array }[] = [];
  const fromNoise = (z: Tensor): Float32Array => {
    generator.eval();
    return toUnitRange(noGrad(() => inChunks((zz) => generator.forward(zz), z)));
  };
  const last = (): ReturnType<typeof evaluateGan> => evaluateGan(generator, discriminator, testReal, evalNoise);

  return {
    modules: { generator, discriminator },
    optimizers: { generator: optG, discriminator: optD },
    schedulers,
    description:
      `DCGAN: generator ${shape.latent} → ${2 * shape.width}×${side / 4}² → ${shape.width}×${side / 2}² → 1×${side}² ` +
      `(${generator.parameters().reduce((s, p) => s + p.size, 0)} parameters), discriminator 1×${side}² → ${shape.width} → ${2 * shape.width} → 1 ` +
      `(${discriminator.parameters().reduce((s, p) => s + p.size, 0)} parameters)`,
    dataDescription: `${n} train / ${test.labels.length} test images [1,${side},${side}]`,
    unit: 'images',
    batchesPerEpoch,

    async trainEpoch(epoch, onBatch) {
      let dSum = 0;
      let gSum = 0;
      let rSum = 0;
      let fSum = 0;
      let done = 0;
      for (const idx of data.batches(n, batchSize, { rng: shuffleRng, dropLast: true })) {
        let unit = data.gather(train, idx).images;
        if (opts.cropPadding > 0) unit = data.augment.randomCrop(unit, { padding: opts.cropPadding, rng: augmentRng });
        if (opts.flipP > 0) unit = data.augment.flipHorizontal(unit, { p: opts.flipP, rng: augmentRng });
        const z = randn([idx.length, shape.latent], { rng: noiseRng });
        const r = trainer.step(toTanhRange(unit), z);
        for (const s of Object.values(schedulers)) s.step();
        dSum += r.dLoss;
        gSum += r.gLoss;
        rSum += r.dReal;
        fSum += r.dFake;
        done++;
        if (await onBatch(done, { loss: dSum / done, examples: done * batchSize })) return null;
      }
      const metrics = { dLoss: dSum / done, gLoss: gSum / done, dReal: rSum / done, dFake: fSum / done };
      history.push({ epoch, ...metrics, row: fromNoise(rowNoise) });
      return { trainLoss: metrics.dLoss, ...metrics };
    },

    evaluate() {
      const e = last();
      return { testDLoss: e.dLoss, testGLoss: e.gLoss, testDReal: e.dReal, testDFake: e.dFake };
    },
    headline: 'testDFake',

    summary() {
      const e = last();
      return {
        testDLoss: e.dLoss,
        testGLoss: e.gLoss,
        testDReal: e.dReal,
        testDFake: e.dFake,
        samples: 'samples.idx',
        sampleCount: SAMPLE_FILE_COUNT,
      };
    },

    async report(): Promise<ReportSection[]> {
      const sections: ReportSection[] = [];
      const samples = fromNoise(fileNoise);
      const shown = Math.min(64, SAMPLE_FILE_COUNT);
      const scale = side <= 8 ? 6 : 2;
      const gridSide = (k: number) => k * (side + 1) + 1;
      sections.push({
        title: 'Generated samples',
        html:
          `<p>The first ${shown} of the ${SAMPLE_FILE_COUNT} images in samples.idx (generated from fixed noise, batch norm in eval mode).</p>` +
          `<p>${img(gridUri(samples.subarray(0, shown * side * side), shown, side, 8), 'generated samples', scale, gridSide(8), gridSide(shown / 8))}</p>`,
      });
      if (history.length > 0) {
        // At most 12 epochs, spread over the run and always including the last.
        const picks =
          history.length <= 12 ? history : Array.from({ length: 12 }, (_, i) => history[Math.round((i * (history.length - 1)) / 11)]);
        const rows = picks
          .map(
            (h) =>
              `<tr><td>${h.epoch}</td><td>${img(gridUri(h.row, EPOCH_ROW, side, EPOCH_ROW), `samples after epoch ${h.epoch}`, scale, gridSide(EPOCH_ROW), gridSide(1))}</td></tr>`,
          )
          .join('');
        const resumed =
          history[0].epoch > 1
            ? ` Epochs 1 to ${history[0].epoch - 1} ran before this run was resumed; their samples and losses are not shown here (metrics.json has their losses).`
            : '';
        sections.push({
          title: 'Samples from fixed noise after each epoch',
          html: `<p>The same ${EPOCH_ROW} noise vectors through the generator after each epoch.${resumed}</p><table><thead><tr><th>epoch</th><th>samples</th></tr></thead><tbody>${rows}</tbody></table>`,
        });
        sections.push({
          title: 'Discriminator and generator',
          html:
            lineChart({
              title: 'Training losses per epoch',
              yLabel: 'BCE',
              series: [
                { name: 'D loss (real + fake)', color: '#1f77b4', values: history.map((h) => h.dLoss) },
                { name: 'G loss', color: '#d62728', values: history.map((h) => h.gLoss) },
              ],
            }) +
            lineChart({
              title: "D's mean output per epoch",
              yLabel: 'sigmoid(D(x))',
              yRange: [0, 1],
              series: [
                { name: 'D(real)', color: '#2ca02c', values: history.map((h) => h.dReal) },
                { name: 'D(fake)', color: '#ff7f0e', values: history.map((h) => h.dFake) },
              ],
            }),
        });
      }
      const e = last();
      sections.push({
        title: 'Held-out check',
        html:
          `<p>On the ${test.labels.length} test images and as many generated ones: ` +
          `D(real) ${e.dReal.toFixed(3)}, D(fake) ${e.dFake.toFixed(3)}, D loss ${e.dLoss.toFixed(3)}, G loss ${e.gLoss.toFixed(3)}. ` +
          'At the equilibrium both outputs are 0.5 and the D loss is 2 ln 2 ≈ 1.386.</p>',
      });
      return sections;
    },

    files() {
      const s = fromNoise(fileNoise);
      return [{ name: 'samples.idx', content: idxImageBytes({ data: s, count: SAMPLE_FILE_COUNT, height: side, width: side }) }];
    },

    spec() {
      return { latent: shape.latent, width: shape.width };
    },

    sample(o: SampleOptions): SampleResult {
      return { images: generate(generator, o.count, o.rng) };
    },

    graphInput() {
      return { module: generator, input: graphNoise };
    },
  };
}

export const gan: Family = {
  name: 'gan',
  datasets: ['digits', 'fashion-mnist'],
  defaults(dataset) {
    const d = GAN_DEFAULTS[dataset];
    if (d === undefined) throw new Error(`gan: unknown dataset '${dataset}' (expected ${Object.keys(GAN_DEFAULTS).join(' or ')})`);
    return { ...d };
  },
  create: createGan,
};
