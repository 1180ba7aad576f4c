/**
 * End to end: the ten-line training script. A seeded MLP trained with SGD on the bundled digits
 * classifies a held-out 20% split, and the same seed reproduces the run bit for bit.
 */
import * as tg from '../src';

const { nn, optim, data } = tg;

function train(seed: string): { losses: number[]; accuracy: number } {
  const g = tg.rng(seed);
  const { train: trainSet, test } = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng: g });
  const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(64, 64, { rng: g }), new nn.ReLU(), new nn.Linear(64, 10, { rng: g }));
  const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const losses: number[] = [];
  for (let epoch = 0; epoch < 10; epoch++) {
    for (const indices of data.batches(trainSet.labels.length, 32, { rng: g })) {
      const batch = data.gather(trainSet, indices);
      opt.zeroGrad();
      const loss = tg.crossEntropy(model.forward(batch.images), batch.labels);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
  }
  model.eval();
  const logits = tg.noGrad(() => model.forward(test.images));
  let correct = 0;
  for (let i = 0; i < test.labels.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits.data[i * 10 + c] > logits.data[i * 10 + best]) best = c;
    if (best === test.labels[i]) correct++;
  }
  return { losses, accuracy: correct / test.labels.length };
}

describe('training an MLP on the digits', () => {
  const first = train('tapegrad mlp');

  test('reaches at least 95% accuracy on the held-out 20%', () => {
    expect(first.accuracy).toBeGreaterThanOrEqual(0.95);
    // The loss really fell: the last epoch's mean is a small fraction of the first batches'.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(first.losses.slice(-45))).toBeLessThan(mean(first.losses.slice(0, 10)) / 10);
  });

  test('two runs with the same seed give identical loss sequences; another seed does not', () => {
    expect(train('tapegrad mlp').losses).toEqual(first.losses);
    expect(train('another seed').losses).not.toEqual(first.losses);
  });
});
