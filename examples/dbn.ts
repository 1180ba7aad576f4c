/**
 * @file A deep belief network on the 8×8 digits, as a PyTorch user writes one: two restricted
 * Boltzmann machines pre-trained greedily with contrastive divergence (CD-1) on binarised digits,
 * then stacked into a classifier (each RBM's weights initialise a Linear + Sigmoid layer, an output
 * layer is added) and fine-tuned with cross-entropy. CD is written through the free energy
 * F(v) = −b·v − Σ softplus(W v + c): the loss mean F(v_data) − mean F(v_model) has the CD update as its
 * gradient, so backward() computes it. What `tapegrad train --model dbn` trains
 * (src/train/families/dbn.ts; its PyTorch mirror is examples/torch/dbn.py).
 *
 * Run: npx ts-node examples/dbn.ts   (about 30 s; TAPEGRAD_SMOKE=1: a few epochs)
 */
import * as tg from '../src';

const { nn, optim, data } = tg;

/** Bernoulli visible and hidden units; weight [hidden, visible] as a Linear layer's. */
export class RBM extends nn.Module {
  readonly weight: tg.Tensor;
  readonly visibleBias: tg.Tensor;
  readonly hiddenBias: tg.Tensor;

  constructor(visible: number, hidden: number, rng: tg.Rng) {
    super();
    this.weight = nn.parameter(tg.randn([hidden, visible], { rng }).mul(0.01));
    this.visibleBias = nn.parameter(tg.zeros([visible]));
    this.hiddenBias = nn.parameter(tg.zeros([hidden]));
  }

  forward(v: tg.Tensor): tg.Tensor {
    return tg.sigmoid(tg.linear(v, this.weight, this.hiddenBias)); // p(h = 1 | v)
  }

  visibleProbabilities(h: tg.Tensor): tg.Tensor {
    return tg.sigmoid(tg.matmul(h, this.weight).add(this.visibleBias)); // p(v = 1 | h)
  }

  freeEnergy(v: tg.Tensor): tg.Tensor {
    return tg
      .matmul(v, this.visibleBias.reshape([-1, 1]))
      .reshape([-1])
      .neg()
      .sub(tg.softplus(tg.linear(v, this.weight, this.hiddenBias)).sum(1));
  }
}

/** A Bernoulli sample of p: 1 where a uniform draw is below p. */
const sample = (p: tg.Tensor, rng: tg.Rng) => tg.lt(tg.rand(p.shape, { rng }), p).to('float32');

/** One CD-1 step on a batch: a Gibbs step v → h → v without a graph, then the free-energy gap's gradient. */
export function cd1(rbm: RBM, optimizer: tg.optim.Optimizer, v0: tg.Tensor, rng: tg.Rng): number {
  const v1 = tg.noGrad(() => sample(rbm.visibleProbabilities(sample(rbm.forward(v0), rng)), rng));
  const loss = rbm.freeEnergy(v0).mean().sub(rbm.freeEnergy(v1).mean());
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  return tg.noGrad(() => rbm.visibleProbabilities(rbm.forward(v0)).sub(v0).square().mean().item()); // reconstruction error
}

export function main(opts: { smoke?: boolean; log?: (line: string) => void } = {}): { testAccuracy: number; reconErrors: number[] } {
  const log = opts.log ?? console.log;
  const rng = tg.rng(0);
  const { train, test } = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng });
  const x = train.images.reshape([-1, 64]);
  const labels = tg.tensor(train.labels, { dtype: 'int32' });
  const [pretrainEpochs, fineTuneEpochs] = opts.smoke ? [2, 3] : [10, 20];
  const sizes = [64, 256, 256];

  // Greedy pre-training: each RBM learns the hidden probabilities of the one below it.
  const rbms: RBM[] = [];
  const reconErrors: number[] = [];
  let input = tg.gt(x, 0.5).to('float32'); // binarised digits
  for (let l = 0; l + 1 < sizes.length; l++) {
    const rbm = new RBM(sizes[l], sizes[l + 1], rng);
    const optimizer = new optim.SGD(rbm.parameters(), { lr: 0.1, momentum: 0.9 });
    const loader = new data.DataLoader(new data.TensorDataset(input), { batchSize: 32, shuffle: true, rng });
    for (let epoch = 1; epoch <= pretrainEpochs; epoch++) {
      let recon = 0;
      for (const [v0] of loader) recon += cd1(rbm, optimizer, v0, rng);
      reconErrors.push(recon / loader.length);
    }
    log(`RBM ${l + 1} (${sizes[l]}→${sizes[l + 1]}): reconstruction error ${reconErrors[reconErrors.length - 1].toFixed(4)}`);
    rbms.push(rbm);
    input = tg.noGrad(() => rbm.forward(input));
  }

  // Fine-tuning: the RBMs' weights start the classifier's hidden layers.
  const layers: tg.nn.Module[] = [];
  rbms.forEach((rbm, l) => {
    const linear = new nn.Linear(sizes[l], sizes[l + 1], { rng });
    tg.noGrad(() => {
      linear.weight.data.set(rbm.weight.data);
      linear.bias!.data.set(rbm.hiddenBias.data);
    });
    layers.push(linear, new nn.Sigmoid());
  });
  const model = new nn.Sequential(new nn.Flatten(), ...layers, new nn.Linear(256, 10, { rng }));
  const loader = new data.DataLoader(new data.TensorDataset(x, labels), { batchSize: 32, shuffle: true, rng });
  const optimizer = new optim.Adam(model.parameters(), { lr: 3e-3 });
  const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: fineTuneEpochs * loader.length });
  let testAccuracy = 0;
  for (let epoch = 1; epoch <= fineTuneEpochs; epoch++) {
    model.train();
    for (const [xb, yb] of loader) {
      const loss = tg.crossEntropy(model.forward(xb), yb);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      scheduler.step();
    }
    model.eval();
    const logits = tg.noGrad(() => model.forward(test.images));
    testAccuracy = tg
      .argmax(logits, 1)
      .eq(tg.tensor(test.labels, { dtype: 'int32' }))
      .to('float32')
      .mean()
      .item();
  }
  log(`fine-tuned ${fineTuneEpochs} epochs: test accuracy ${(100 * testAccuracy).toFixed(1)}%`);
  return { testAccuracy, reconErrors };
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1' });
