// The playground's training worker: a small CNN on the bundled digits with tapegrad's browser
// module, off the page's main thread. It posts progress every few steps, a confusion matrix per
// epoch, and answers predictions for the drawing pad.
import * as tg from './tapegrad.mjs';

// Said first, so the page knows the module loaded before the data is parsed.
postMessage({ type: 'loading' });
const rng = tg.rng(0);
const { train, test } = tg.data.trainTestSplit(tg.data.loadDigits(), { testFraction: 0.2, rng });
// Standardise with the training set's mean and standard deviation.
const mean = tg.mean(train.images).item();
const std = Math.sqrt(tg.mean(tg.pow(tg.sub(train.images, mean), 2)).item());
const standardise = (x) => tg.div(tg.sub(x, mean), std);
const { nn } = tg;
const model = new nn.Sequential(
  new nn.Conv2d(1, 16, 3, { padding: 1, rng }),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Conv2d(16, 32, 3, { padding: 1, rng }),
  new nn.ReLU(),
  new nn.MaxPool2d(2),
  new nn.Flatten(),
  new nn.Linear(32 * 2 * 2, 10, { rng }),
);
let stop = false;

function filters() {
  const w = model.parameters()[0];
  return Array.from({ length: 16 }, (_, k) => Array.from(w.data.subarray(k * 9, k * 9 + 9)));
}

function evaluate() {
  model.eval();
  const logits = tg.noGrad(() => model.forward(standardise(test.images)));
  model.train();
  const confusion = Array.from({ length: 10 }, () => new Array(10).fill(0));
  let correct = 0;
  for (let i = 0; i < test.labels.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits.data[i * 10 + c] > logits.data[i * 10 + best]) best = c;
    confusion[test.labels[i]][best]++;
    if (best === test.labels[i]) correct++;
  }
  return { testAccuracy: correct / test.labels.length, confusion };
}

async function run(epochs, maxSteps) {
  const opt = new tg.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
  let step = 0;
  stop = false;
  for (let epoch = 1; epoch <= epochs && !stop; epoch++) {
    let since = performance.now();
    let seen = 0;
    for (const idx of tg.data.batches(train.labels.length, 32, { rng })) {
      const { images: xb, labels: yb } = tg.data.gather(train, idx);
      opt.zeroGrad();
      const logits = model.forward(standardise(xb));
      const loss = tg.crossEntropy(logits, yb);
      loss.backward();
      opt.step();
      step++;
      seen += idx.length;
      if (step % 5 === 0 || step === 1) {
        let correct = 0;
        for (let i = 0; i < idx.length; i++) {
          let best = 0;
          for (let c = 1; c < 10; c++) if (logits.data[i * 10 + c] > logits.data[i * 10 + best]) best = c;
          if (best === yb[i]) correct++;
        }
        const now = performance.now();
        postMessage({
          type: 'progress',
          step,
          loss: loss.item(),
          accuracy: correct / idx.length,
          imagesPerSecond: (1000 * seen) / (now - since),
          filters: filters(),
        });
        since = now;
        seen = 0;
        // Let 'stop' and 'predict' messages in.
        await new Promise((r) => setTimeout(r, 0));
      }
      if (stop || (maxSteps > 0 && step >= maxSteps)) break;
    }
    postMessage({ type: 'epoch', epoch, ...evaluate() });
    if (maxSteps > 0 && step >= maxSteps) break;
  }
  postMessage({ type: 'done', stopped: stop });
}

onmessage = ({ data }) => {
  try {
    if (data.type === 'train') void run(data.epochs, data.steps).catch((e) => postMessage({ type: 'error', message: e.message }));
    else if (data.type === 'stop') stop = true;
    else if (data.type === 'predict') {
      model.eval();
      const x = tg.tensor(data.pixels, { shape: [1, 1, 8, 8] });
      const p = tg.noGrad(() => tg.softmax(model.forward(standardise(x))));
      model.train();
      postMessage({ type: 'prediction', probabilities: Array.from(p.data) });
    }
  } catch (e) {
    postMessage({ type: 'error', message: e.message });
  }
};
postMessage({ type: 'ready', backend: tg.backend() });
