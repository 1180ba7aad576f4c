/**
 * @file `tapegrad train --model dbn` (issue #27): a deep belief network. Two restricted Boltzmann
 * machines (Bernoulli visible and hidden units) are pre-trained greedily, one after the other, with
 * contrastive divergence (CD-k) on binarised images (pixel > 0.5); the second RBM learns the first's
 * hidden probabilities. Then the stack becomes a classifier — each RBM's weights and hidden biases
 * initialise a Linear layer followed by a sigmoid, and a softmax output layer is added — and the whole
 * network is fine-tuned with cross-entropy on the [0, 1] pixels.
 *
 * Note [CD through the free energy]: an RBM's CD-k update is not written by hand. With the free energy
 * F(v) = −b·v − Σ_j softplus(c_j + W_j·v), the loss mean F(v_data) − mean F(v_k), where v_k is the
 * visible sample after k Gibbs steps and is a constant (drawn without a graph), has the gradient
 * ∂/∂W = −(E[p(h|v_data) v_dataᵀ] − E[p(h|v_k) v_kᵀ]), ∂/∂b = −(E[v_data] − E[v_k]), ∂/∂c = −(E[p(h|v_data)]
 * − E[p(h|v_k)]): exactly the negative of the CD-k update. So autograd computes the update and any
 * optimiser (here SGD with momentum) applies it. Bernoulli draws compare uniforms with the
 * probabilities (u < p), the uniforms coming from the run's 'gibbs' generator (or, in the parity
 * test, handed in), so PyTorch given the same uniforms draws the same samples.
 *
 * Note [how the epochs are shared]: pre-training is part of the run. With E epochs (--epochs) and L
 * RBMs, each RBM pre-trains for p = ⌊E / 2L⌋ epochs — epochs 1…p train the first RBM, p+1…2p the
 * second — and epochs pL+1…E fine-tune (so E ≥ 2L). The first fine-tuning epoch copies the RBMs into
 * the classifier. Every epoch ends in a checkpoint like any other, so --resume continues mid
 * pre-training or mid fine-tuning, and a resumed run equals the uninterrupted one. Pre-training epochs
 * report the CD loss (`cdLoss`, the free-energy gap) and the reconstruction error (`reconError`, the
 * mean squared difference between the data and p(v|h) one Gibbs step away); fine-tuning epochs
 * report `trainLoss` and `trainAccuracy`. Every epoch is evaluated on the test set: `testLoss` and
 * `testAccuracy` are those of the classifier as it stands (its initialisation until fine-tuning
 * starts), and while pre-training `testReconError` is the current RBM's reconstruction error on the
 * test images.
 */
import { backward } from '../../autograd/grad';
import { noGrad } from '../../autograd/mode';
import * as data from '../../data';
import { ModuleList } from '../../nn/containers';
import { Linear, Sequential, Sigmoid } from '../../nn/layers';
import { Module, ModuleOptions, parameter } from '../../nn/module';
import { softplus } from '../../ops/activations';
import { sum } from '../../ops/broadcast';
import { lt } from '../../ops/compare';
import { add, neg, sigmoid, sub } from '../../ops/elementwise';
import { linear } from '../../ops/layers';
import { square } from '../../ops/math';
import { matmul } from '../../ops/matmul';
import { cast } from '../../ops/operands';
import { mean } from '../../ops/reduce';
import { reshape } from '../../ops/shape';
import { softmax } from '../../ops/softmax';
import type { LRScheduler } from '../../optim/lr-scheduler';
import type { Optimizer } from '../../optim/optimizer';
import { SGD } from '../../optim/sgd';
import { defaultRng, Rng } from '../../random/rng';
import { rand } from '../../tensor/create';
import { allocate } from '../../tensor/dtype';
import { Tensor } from '../../tensor/tensor';
import { lineChart } from '../chart';
import type { Family, FamilyContext, FamilyOptions, FamilyRun, ReportSection } from '../family';
import type { Hyper } from '../options';
import { makeOptimizer, makeScheduler } from '../optimizers';
import { filterGrid } from '../report';
import {
  classifierEpoch,
  ClassifierEvaluation,
  confusionSection,
  evaluateClassifier,
  loadClassifierData,
  misclassifiedSection,
} from './classify';

/** Where Bernoulli draws get their uniforms: a tensor of `shape` in [0, 1) of `dtype`. */
export type UniformSource = (shape: readonly number[], dtype: 'float32' | 'float64') => Tensor;

/** Uniforms from a generator. */
export function uniformsFrom(rng: Rng): UniformSource {
  return (shape, dtype) => rand(shape, { rng, dtype });
}

/** A sample of Bernoulli(p), elementwise: 1 where u < p (u from `uniform`), else 0; p's dtype, no graph. */
export function bernoulliFrom(p: Tensor, uniform: UniformSource): Tensor {
  return cast(lt(uniform(p.shape, p.dtype as 'float32' | 'float64'), p), p.dtype);
}

/**
 * A restricted Boltzmann machine with Bernoulli visible and hidden units. `weight` is [hidden,
 * visible] (a Linear layer's layout, so it initialises one as it is); state-dict keys `weight`,
 * `visibleBias`, `hiddenBias`. Weights start N(0, 0.01²), biases at zero (Hinton's guide).
 */
export class RBM extends Module<Tensor, Tensor> {
  readonly weight: Tensor;
  readonly visibleBias: Tensor;
  readonly hiddenBias: Tensor;

  constructor(
    readonly visible: number,
    readonly hidden: number,
    opts: ModuleOptions = {},
  ) {
    super();
    for (const [what, n] of [
      ['visible', visible],
      ['hidden', hidden],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`RBM: ${what} must be a positive integer, got ${n}`);
    }
    const dtype = opts.dtype ?? 'float32';
    const g = opts.rng ?? defaultRng();
    const w = allocate(dtype, hidden * visible);
    for (let i = 0; i < w.length; i++) w[i] = 0.01 * g.normal();
    this.weight = parameter(new Tensor(w, [hidden, visible]));
    this.visibleBias = parameter(new Tensor(allocate(dtype, visible), [visible]));
    this.hiddenBias = parameter(new Tensor(allocate(dtype, hidden), [hidden]));
  }

  /** p(h = 1 | v) = sigmoid(W v + c), [N, hidden]. */
  hiddenProbabilities(v: Tensor): Tensor {
    return sigmoid(linear(v, this.weight, this.hiddenBias));
  }

  /** p(v = 1 | h) = sigmoid(Wᵀ h + b), [N, visible]. */
  visibleProbabilities(h: Tensor): Tensor {
    return sigmoid(add(matmul(h, this.weight), this.visibleBias));
  }

  /** F(v) = −b·v − Σ_j softplus(c_j + W_j·v), one value per row of v [N, visible]: [N]. */
  freeEnergy(v: Tensor): Tensor {
    if (v.ndim !== 2 || v.shape[1] !== this.visible) {
      throw new Error(`RBM.freeEnergy: expected v [N,${this.visible}], got [${v.shape.join(',')}]`);
    }
    const visibleTerm = reshape(linear(v, reshape(this.visibleBias, [1, this.visible])), [v.shape[0]]);
    return neg(add(visibleTerm, sum(softplus(linear(v, this.weight, this.hiddenBias)), 1)));
  }

  /** The hidden probabilities: what the next RBM of a stack learns from. */
  forward(v: Tensor): Tensor {
    return this.hiddenProbabilities(v);
  }
}

/**
 * CD-k on a batch v0 [N, visible] (Note [CD through the free energy]): k Gibbs steps v → h → v drawn
 * without a graph (uniforms for h, then for v, at every step), then the loss mean F(v0) − mean F(v_k)
 * whose gradient is the CD-k update. Also gives the reconstruction error mean (p(v|h₀) − v0)².
 */
export function contrastiveDivergence(rbm: RBM, v0: Tensor, k: number, uniform: UniformSource): { loss: Tensor; reconError: number } {
  if (!Number.isInteger(k) || k < 1) throw new Error(`contrastiveDivergence: k must be a positive integer, got ${k}`);
  let reconError = 0;
  const vk = noGrad(() => {
    let v = v0;
    for (let step = 0; step < k; step++) {
      const h = bernoulliFrom(rbm.hiddenProbabilities(v), uniform);
      const pv = rbm.visibleProbabilities(h);
      if (step === 0) reconError = mean(square(sub(pv, v0))).item();
      v = bernoulliFrom(pv, uniform);
    }
    return v;
  });
  return { loss: sub(mean(rbm.freeEnergy(v0)), mean(rbm.freeEnergy(vk))), reconError };
}

/** One CD-k step of `rbm` on a batch: the loss's gradient (the CD update) applied by `optimizer`. */
export function rbmStep(
  rbm: RBM,
  optimizer: Optimizer,
  v0: Tensor,
  k: number,
  uniform: UniformSource,
): { loss: number; reconError: number } {
  const { loss, reconError } = contrastiveDivergence(rbm, v0, k, uniform);
  optimizer.zeroGrad();
  backward(loss);
  optimizer.step();
  return { loss: loss.item(), reconError };
}

/**
 * The deep belief network: its RBMs (`rbms.0`, `rbms.1`, …) and the classifier they initialise
 * (`classifier`: Linear → Sigmoid per RBM, then the output Linear). forward(x) gives the classifier's
 * logits for images [N, C, H, W] (or rows [N, features]) with pixels in [0, 1].
 */
export class DeepBeliefNet extends Module<Tensor, Tensor> {
  readonly rbms: ModuleList;
  readonly classifier: Sequential;

  constructor(
    readonly sizes: readonly number[],
    readonly classes: number,
    opts: ModuleOptions = {},
  ) {
    super();
    if (sizes.length < 2)
      throw new Error(`DeepBeliefNet: sizes needs the input size and at least one hidden size, got [${sizes.join(',')}]`);
    const rbms: RBM[] = [];
    const layers: Module[] = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      rbms.push(new RBM(sizes[l], sizes[l + 1], opts));
      layers.push(new Linear(sizes[l], sizes[l + 1], opts), new Sigmoid());
    }
    layers.push(new Linear(sizes[sizes.length - 1], classes, opts));
    this.rbms = new ModuleList(rbms);
    this.classifier = new Sequential(...layers);
  }

  rbm(l: number): RBM {
    return this.rbms[l] as RBM;
  }

  get depth(): number {
    return this.sizes.length - 1;
  }

  /** What RBM l learns from: v0 through the hidden probabilities of the RBMs below it (no graph). */
  rbmInput(v0: Tensor, l: number): Tensor {
    return noGrad(() => {
      let v = v0;
      for (let i = 0; i < l; i++) v = this.rbm(i).hiddenProbabilities(v);
      return v;
    });
  }

  /** Copies each RBM's weight and hidden bias into its Linear layer of the classifier (fine-tuning starts from them). */
  initialiseClassifier(): void {
    for (let l = 0; l < this.depth; l++) {
      const layer = this.classifier[2 * l] as Linear;
      layer.weight.data.set(this.rbm(l).weight.data);
      layer.bias!.data.set(this.rbm(l).hiddenBias.data);
    }
  }

  forward(x: Tensor): Tensor {
    const features = x.size / Math.max(1, x.shape[0]);
    if (features !== this.sizes[0]) {
      throw new Error(`DeepBeliefNet: expected ${this.sizes[0]} pixels per example, got [${x.shape.join(',')}]`);
    }
    return this.classifier.forward(reshape(x, [x.shape[0], this.sizes[0]]));
  }
}

/** Gibbs steps per CD update. */
export const CD_K = 1;
/** Pre-training's SGD: fixed, the command line's --lr and --optimizer are fine-tuning's. */
export const PRETRAIN = { lr: 0.1, momentum: 0.9 } as const;

/** The hidden sizes on each dataset. */
function hiddenSizes(dataset: string): number[] {
  return dataset === 'fashion-mnist' ? [500, 500] : [256, 256];
}

/** Note [how the epochs are shared]: pre-training epochs per RBM. */
export function pretrainEpochs(epochs: number, depth: number): number {
  const p = Math.floor(epochs / (2 * depth));
  if (p < 1)
    throw new Error(`dbn: --epochs ${epochs} is too few: ${depth} RBMs need at least ${2 * depth} (half pre-train, half fine-tune)`);
  return p;
}

/** The binarised pixels, [N, pixels]: 1 where a pixel in [0, 1] is above one half. */
export function binarise(images: Tensor): Tensor {
  const n = images.shape[0];
  const out = allocate(images.dtype as 'float32' | 'float64', images.size);
  for (let i = 0; i < out.length; i++) out[i] = images.data[i] > 0.5 ? 1 : 0;
  return new Tensor(out, [n, images.size / Math.max(1, n)]);
}

export function dbnDefaults(dataset: string): Hyper {
  const base = {
    momentum: 0.9,
    weightDecay: 0,
    cropPadding: 0,
    flipP: 0,
    optimizer: 'adam',
    scheduler: 'cosine',
    clipGradNorm: null,
  } as const;
  if (dataset === 'fashion-mnist') return { ...base, epochs: 8, batchSize: 64, lr: 1e-3 };
  return { ...base, epochs: 40, batchSize: 32, lr: 3e-3 };
}

/** Each RBM's weights as images (one per hidden unit, the first `count`), for the report. */
function rbmFilters(rbm: RBM, height: number, width: number, count: number) {
  return Array.from({ length: Math.min(count, rbm.hidden) }, (_, j) => ({
    width,
    height,
    values: rbm.weight.data.subarray(j * rbm.visible, (j + 1) * rbm.visible),
  }));
}

export function createDbn(opts: FamilyOptions, ctx: FamilyContext): FamilyRun {
  // The RBMs see the pixels in [0, 1]: no standardisation (mean 0, std 1 leaves them as they are).
  const loaded = loadClassifierData('dbn', opts, { mean: 0, std: 1 });
  const { train, test, classNames, imageShape } = loaded;
  const pixels = imageShape.reduce((a, b) => a * b, 1);
  const sizes = [pixels, ...hiddenSizes(opts.dataset)];
  const model = new DeepBeliefNet(sizes, classNames.length, { rng: ctx.rng('init') });
  const depth = model.depth;
  const p = pretrainEpochs(opts.epochs, depth);
  const fineTuneEpochs = opts.epochs - p * depth;
  const shuffle = ctx.rng('shuffle');
  const augment = ctx.rng('augment');
  const uniform = uniformsFrom(ctx.rng('gibbs'));
  const rbmOptimizers: Optimizer[] = Array.from({ length: depth }, (_, l) => new SGD(model.rbm(l).parameters(), { ...PRETRAIN }));
  const optimizer = makeOptimizer(opts, model.classifier.parameters());
  const batches = Math.ceil(train.labels.length / opts.batchSize);
  const scheduler = makeScheduler(opts, optimizer, fineTuneEpochs * batches);
  const binaryTrain = binarise(train.images);
  const binaryTest = binarise(test.images);
  const parameters = model.parameters().reduce((n, t) => n + t.size, 0);
  /** Reconstruction errors of the epochs this process pre-trained: [rbm][epoch within it] (train, test). */
  const recon: { train: number; test: number; epoch: number }[][] = Array.from({ length: depth }, () => []);
  let last: ClassifierEvaluation | null = null;
  let lastEpoch: number | null = null;
  const evaluated = (): ClassifierEvaluation => (last ??= evaluateClassifier(model, test, classNames.length));
  const pretraining = (epoch: number | null) => epoch !== null && epoch <= p * depth;

  async function pretrainEpoch(epoch: number, onBatch: (done: number, stats: { loss: number; examples: number }) => Promise<boolean>) {
    const l = Math.floor((epoch - 1) / p);
    const rbm = model.rbm(l);
    const input = model.rbmInput(binaryTrain, l);
    model.train();
    let lossSum = 0;
    let reconSum = 0;
    let seen = 0;
    let done = 0;
    const rows = { images: input, labels: new Int32Array(input.shape[0]) };
    for (const idx of data.batches(input.shape[0], opts.batchSize, { rng: shuffle })) {
      const v0 = data.gather(rows, idx).images;
      const step = rbmStep(rbm, rbmOptimizers[l], v0, CD_K, uniform);
      lossSum += step.loss * idx.length;
      reconSum += step.reconError * idx.length;
      seen += idx.length;
      done++;
      if (await onBatch(done, { loss: lossSum / seen, examples: seen })) return null;
    }
    return { cdLoss: lossSum / seen, reconError: reconSum / seen };
  }

  /** The current RBM's reconstruction error on the test images: mean (p(v|p(h|v)) − v)², no sampling. */
  function testReconError(l: number): number {
    return noGrad(() => {
      const v = model.rbmInput(binaryTest, l);
      const rbm = model.rbm(l);
      return mean(square(sub(rbm.visibleProbabilities(rbm.hiddenProbabilities(v)), v))).item();
    });
  }

  return {
    modules: { model },
    optimizers: { ...Object.fromEntries(rbmOptimizers.map((o, l) => [`rbm${l}`, o])), model: optimizer },
    schedulers: scheduler !== null ? { model: scheduler as unknown as LRScheduler } : {},
    description:
      `DBN: ${depth} RBMs ${sizes.join('→')} pre-trained with CD-${CD_K} (SGD lr ${PRETRAIN.lr}, momentum ${PRETRAIN.momentum}, ` +
      `${p} epochs each), then fine-tuned as ${sizes.join('→')}→${classNames.length} with sigmoids for ${fineTuneEpochs} epochs; ` +
      `${parameters} parameters`,
    dataDescription: `${train.labels.length} train / ${test.labels.length} test images [${imageShape.join(',')}], binarised (pixel > 0.5) for pre-training`,
    unit: 'images',
    batchesPerEpoch: batches,
    headline: 'testAccuracy',
    classNames,

    async trainEpoch(epoch, onBatch) {
      last = null;
      lastEpoch = epoch;
      if (pretraining(epoch)) {
        const result = await pretrainEpoch(epoch, onBatch);
        if (result !== null) {
          const l = Math.floor((epoch - 1) / p);
          recon[l].push({ epoch, train: result.reconError, test: testReconError(l) });
        }
        return result;
      }
      if (epoch === p * depth + 1) noGrad(() => model.initialiseClassifier());
      return classifierEpoch(model, optimizer, train, opts, { shuffle, augment }, { clipGradNorm: opts.clipGradNorm, scheduler }, onBatch);
    },

    evaluate() {
      last = null;
      const r = evaluated();
      const metrics: Record<string, number> = { testLoss: r.loss, testAccuracy: r.accuracy };
      if (pretraining(lastEpoch)) metrics.testReconError = testReconError(Math.floor((lastEpoch! - 1) / p));
      return metrics;
    },

    summary() {
      const r = evaluated();
      return { testAccuracy: r.accuracy, classNames, confusion: r.confusion };
    },

    async report() {
      const r = evaluated();
      const [, h, w] = imageShape;
      const sections: ReportSection[] = [
        {
          title: 'First RBM filters',
          html:
            `<p class="note">The weights of the first ${Math.min(64, sizes[1])} of the first RBM's ${sizes[1]} hidden units, each as a ${h}×${w} image ` +
            '(as it stands after fine-tuning: the first Linear layer started from it), stretched from its minimum (black) to its maximum (white).</p>\n' +
            filterGrid(rbmFilters(model.rbm(0), h, w, 64)),
        },
        reconSection(recon, p),
        confusionSection(classNames, r),
        misclassifiedSection(test, classNames, r),
      ];
      return sections;
    },

    spec() {
      // imageShape and pixelScale: what `predict` needs to read image files for this run (raw pixel × pixelScale → [0, 1]).
      return {
        architecture: 'DeepBeliefNet',
        sizes,
        classes: classNames.length,
        cdK: CD_K,
        pretrainEpochsPerRbm: p,
        imageShape,
        pixelScale: loaded.pixelScale,
      };
    },

    predict(images: Tensor): Tensor {
      model.eval();
      return noGrad(() => softmax(model.forward(images), 1));
    },

    graphInput() {
      return { module: model, input: data.gather(test, [0]).images };
    },
  };
}

/** The reconstruction error per pre-training epoch, one curve per RBM (train and test). */
function reconSection(recon: { train: number; test: number; epoch: number }[][], perRbm: number): ReportSection {
  if (recon.some((rows) => rows.length !== perRbm)) {
    return {
      title: 'Reconstruction error during pre-training',
      html:
        '<p class="note">This process resumed the run after some of its pre-training; the reconstruction error of every pre-training epoch ' +
        'is in the training curves above and in metrics.json (reconError on the training images, testReconError on the test images).</p>',
    };
  }
  const series = recon.flatMap((rows, l) => [
    { name: `RBM ${l + 1} train`, color: ['#1f77b4', '#2ca02c', '#9467bd'][l % 3], values: rows.map((r) => r.train) },
    { name: `RBM ${l + 1} test`, color: ['#d62728', '#ff7f0e', '#8c564b'][l % 3], values: rows.map((r) => r.test) },
  ]);
  const rows = recon.flatMap((r, l) =>
    r.map((e) => `<tr><td>${e.epoch}</td><td>${l + 1}</td><td>${e.train.toFixed(5)}</td><td>${e.test.toFixed(5)}</td></tr>`),
  );
  return {
    title: 'Reconstruction error during pre-training',
    html:
      '<p class="note">Mean squared difference between the binarised data and p(v|h) one Gibbs step away, per pre-training epoch of each RBM (x: the epoch within that RBM\'s pre-training).</p>\n' +
      lineChart({ title: 'Reconstruction error', yLabel: 'mean squared error', series }) +
      `\n<table class="epochs">\n<tr><th>epoch</th><th>RBM</th><th>train</th><th>test</th></tr>\n${rows.join('\n')}\n</table>`,
  };
}

export const dbnFamily: Family = {
  name: 'dbn',
  datasets: ['digits', 'fashion-mnist'],
  defaults: dbnDefaults,
  create: createDbn,
};
