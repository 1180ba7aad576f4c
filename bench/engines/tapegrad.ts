/** @file tapegrad itself, through its public API only (what a user's training script would call). */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tg from '../../src';
import { buildModel } from '../../src/train/models';
import type { Engine } from '../engine';
import {
  CHAIN_ADD,
  CHAIN_MUL,
  CHAIN_OPS,
  Conv2dShape,
  convOut,
  randomArray,
  randomLabels,
  W1,
  W2,
  W3,
  W4,
  W5,
  W6,
  W7,
  W8,
  W9,
  W10,
  E2,
  WorkloadId,
} from '../workloads';

function rand(shape: number[], seed: number, requiresGrad = false): tg.Tensor {
  return tg.tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    { shape, requiresGrad },
  );
}

/** Forward, then backward with a fixed random upstream gradient into the inputs' .grad. */
function gradStep(f: () => tg.Tensor, inputs: tg.Tensor[], gy: tg.Tensor): () => void {
  return () => {
    for (const x of inputs) x.grad = null;
    f().backward(gy);
  };
}

function conv(s: Conv2dShape): () => void {
  const x = rand([s.n, s.c, s.h, s.w], 1, true);
  const w = rand([s.k, s.c, s.fh, s.fw], 2, true);
  const bias = s.bias ? rand([s.k], 4, true) : null;
  const gy = rand([s.n, s.k, convOut(s.h, s.fh, s.stride, s.padding), convOut(s.w, s.fw, s.stride, s.padding)], 3);
  const inputs = bias ? [x, w, bias] : [x, w];
  return gradStep(() => tg.conv2d(x, w, bias, { stride: s.stride, padding: s.padding }), inputs, gy);
}

/** LeNet-5 (ReLU, max pooling), a cross-entropy loss and one SGD step, as a training script writes it. */
function lenet(): () => void {
  const { nn } = tg;
  const model = new nn.Sequential(
    new nn.Conv2d(1, 6, 5, { padding: 2 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(6, 16, 5),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(400, 120),
    new nn.ReLU(),
    new nn.Linear(120, 84),
    new nn.ReLU(),
    new nn.Linear(84, W4.classes),
  );
  const opt = new tg.optim.SGD(model.parameters(), { lr: W4.lr });
  const images = rand([W4.batch, 1, W4.size, W4.size], 11);
  const labels = randomLabels(W4.batch, W4.classes, 7);
  return () => {
    opt.zeroGrad();
    tg.crossEntropy(model.forward(images), labels).backward();
    opt.step();
  };
}

/** The CLI's Fashion-MNIST network (src/train/models.ts LeNet5) and optimiser, one training step. */
function lenetBatchNorm(): () => void {
  const model = buildModel('cnn', [1, W7.size, W7.size], W7.classes, tg.rng('bench:W7'));
  model.train();
  const opt = new tg.optim.SGD(model.parameters(), { lr: W7.lr, momentum: W7.momentum, weightDecay: W7.weightDecay });
  const images = rand([W7.batch, 1, W7.size, W7.size], 11);
  const labels = randomLabels(W7.batch, W7.classes, 7);
  return () => {
    opt.zeroGrad();
    tg.crossEntropy(model.forward(images), labels).backward();
    opt.step();
  };
}

/** Token ids in [0, vocab) as an int32 tensor of `shape` (the deterministic fill, so every engine sees the same kind of data). */
function tokens(shape: number[], vocab: number, seed: number): tg.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tg.tensor(randomLabels(n, vocab, seed), { shape });
}

/** W8: an LSTM language model (time first, as PyTorch's default), cross-entropy on the next token, one Adam step. */
function lstmLanguageModel(): () => void {
  const { nn } = tg;
  const r = tg.rng('bench:W8');
  const embed = new nn.Embedding(W8.vocab, W8.embed, { rng: r });
  const lstm = new nn.LSTM(W8.embed, W8.hidden, { rng: r });
  const head = new nn.Linear(W8.hidden, W8.vocab, { rng: r });
  const params = [...embed.parameters(), ...lstm.parameters(), ...head.parameters()];
  const opt = new tg.optim.Adam(params, { lr: W8.lr });
  const x = tokens([W8.steps, W8.batch], W8.vocab, 21);
  const next = randomLabels(W8.steps * W8.batch, W8.vocab, 22);
  return () => {
    opt.zeroGrad();
    const [h] = lstm.forward(embed.forward(x));
    const logits = head.forward(h).reshape([W8.steps * W8.batch, W8.vocab]);
    tg.crossEntropy(logits, next).backward();
    opt.step();
  };
}

/** W9: a convolutional autoencoder reconstructing its input through sigmoid and binary cross-entropy, one Adam step. */
function convAutoencoder(): () => void {
  const { nn } = tg;
  const r = tg.rng('bench:W9');
  const up = { stride: 2, padding: 1, outputPadding: 1, rng: r };
  const model = new nn.Sequential(
    new nn.Conv2d(1, W9.c1, 3, { stride: 2, padding: 1, rng: r }),
    new nn.ReLU(),
    new nn.Conv2d(W9.c1, W9.c2, 3, { stride: 2, padding: 1, rng: r }),
    new nn.ReLU(),
    new nn.ConvTranspose2d(W9.c2, W9.c1, 3, up),
    new nn.ReLU(),
    new nn.ConvTranspose2d(W9.c1, 1, 3, up),
    new nn.Sigmoid(),
  );
  const opt = new tg.optim.Adam(model.parameters(), { lr: W9.lr });
  // Pixels in [0, 1], as BCE's targets must be.
  const images = rand([W9.batch, 1, W9.size, W9.size], 31).add(1).mul(0.5);
  return () => {
    opt.zeroGrad();
    tg.bceLoss(model.forward(images), images).backward();
    opt.step();
  };
}

/** W10: a GPT-style decoder (pre-norm encoder layers under a causal mask), cross-entropy on the next token, one AdamW step. */
function decoderTransformer(): () => void {
  const { nn } = tg;
  const r = tg.rng('bench:W10');
  const { batch, context, vocab, dModel } = W10;
  const embed = new nn.Embedding(vocab, dModel, { rng: r });
  const position = tg.nn.parameter(tg.randn([context, dModel], { rng: r }).mul(0.02));
  const layer = new nn.TransformerEncoderLayer(dModel, W10.heads, {
    dimFeedforward: W10.ff,
    dropout: 0,
    activation: (h) => tg.gelu(h),
    normFirst: true,
    batchFirst: true,
    rng: r,
  });
  const decoder = new nn.TransformerEncoder(layer, W10.layers, { norm: new nn.LayerNorm(dModel) });
  const head = new nn.Linear(dModel, vocab, { rng: r });
  const params = [...embed.parameters(), position, ...decoder.parameters(), ...head.parameters()];
  const opt = new tg.optim.AdamW(params, { lr: W10.lr, weightDecay: W10.weightDecay });
  const x = tokens([batch, context], vocab, 41);
  const next = randomLabels(batch * context, vocab, 42);
  return () => {
    opt.zeroGrad();
    const h = decoder.forward(embed.forward(x).add(position), { isCausal: true });
    tg.crossEntropy(head.forward(h).reshape([batch * context, vocab]), next).backward();
    opt.step();
  };
}

/**
 * One epoch of `tapegrad train ARGS --epochs 1` as a user runs it (the packaged CLI, in its own
 * process): the training seconds the run itself records in timings.json, and its metrics.json epoch.
 */
function cliEpoch(id: 'E1' | 'E2', args: string[]): { seconds: number; examplesPerSecond: number; metrics: Record<string, number> } {
  const root = path.join(__dirname, '..', '..');
  const cli = path.join(root, 'bin', 'tapegrad.js');
  if (!fs.existsSync(path.join(root, 'dist', 'cjs', 'index.js'))) throw new Error(`${id} runs the built CLI: npm run build first`);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-bench-'));
  try {
    const run = spawnSync(process.execPath, [cli, 'train', ...args, '--epochs', '1', '--out', out], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (run.status !== 0) throw new Error(`tapegrad train failed (exit ${run.status}): ${run.stderr.trim().split('\n').pop()}`);
    const epoch = JSON.parse(fs.readFileSync(path.join(out, 'timings.json'), 'utf8')).epochs[0];
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).epochs[0];
    return { seconds: epoch.trainSeconds, examplesPerSecond: epoch.examplesPerSecond, metrics };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** E1: one epoch of `tapegrad train --dataset fashion-mnist`. */
function fashionEpoch(dataDir: string): number {
  const e = cliEpoch('E1', ['--dataset', 'fashion-mnist', '--data-dir', dataDir]);
  process.stderr.write(
    `  epoch 1: train ${e.seconds.toFixed(1)}s (${Math.round(e.examplesPerSecond)} img/s), test acc ${(100 * e.metrics.testAccuracy).toFixed(2)}%\n`,
  );
  return e.seconds;
}

/** E2: one epoch of `tapegrad train --model lstm --dataset text` on the shipped text, whose length workloads.ts states. */
function textEpoch(): number {
  const chars = fs.readFileSync(path.join(__dirname, '..', '..', 'data', 'tapegrad-tutorial.txt'), 'utf8').length;
  if (chars !== E2.textCharacters)
    throw new Error(`E2: the shipped text has ${chars} characters, bench/workloads.ts says ${E2.textCharacters}`);
  const e = cliEpoch('E2', ['--model', 'lstm', '--dataset', 'text']);
  process.stderr.write(`  epoch 1: train ${e.seconds.toFixed(1)}s, valLoss ${e.metrics.valLoss.toFixed(3)}\n`);
  return e.seconds;
}

/** The W5 chain step (also timed with anomaly mode by bench/anomaly.ts). */
export function chain(): () => void {
  const x = tg.tensor([0.5], { requiresGrad: true });
  const cAdd = tg.tensor([CHAIN_ADD]);
  const cMul = tg.tensor([CHAIN_MUL]);
  return () => {
    x.grad = null;
    let y = x;
    for (let i = 0; i < W5.length; i++) {
      const op = CHAIN_OPS[i % 3];
      y = op === 'add' ? y.add(cAdd) : op === 'mul' ? y.mul(cMul) : y.tanh();
    }
    y.backward();
  };
}

export const engine: Engine = {
  label: 'tapegrad',
  describe() {
    const cpu = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'})`;
    const b = tg.backend();
    if (b.kernels === 'js') return `TypeScript kernels (WebAssembly off: ${b.reason}), Node ${process.versions.node}, ${cpu}`;
    const kind = b.kernels === 'wasm-relaxed-simd' ? 'relaxed-SIMD (fused multiply-add)' : '128-bit SIMD';
    return `WebAssembly ${kind} kernels on ${b.threads} thread(s), Node ${process.versions.node}, ${cpu}`;
  },
  epoch: fashionEpoch,
  textEpoch,
  setup(id: WorkloadId) {
    switch (id) {
      case 'W3': {
        const a = rand([W3.m, W3.k], 1, true);
        const b = rand([W3.k, W3.n], 2, true);
        return gradStep(() => a.matmul(b), [a, b], rand([W3.m, W3.n], 3));
      }
      case 'W1':
        return conv(W1);
      case 'W2':
        return conv(W2);
      case 'W4':
        return lenet();
      case 'W5':
        return chain();
      case 'W7':
        return lenetBatchNorm();
      case 'W8':
        return lstmLanguageModel();
      case 'W9':
        return convAutoencoder();
      case 'W10':
        return decoderTransformer();
      case 'E1':
      case 'E2':
        return null;
      case 'W6': {
        const x = rand([W6.samples], 1, true);
        const w = rand([W6.taps], 2, true);
        return gradStep(() => tg.convolve(x, w, 'valid'), [x, w], rand([W6.samples - W6.taps + 1], 3));
      }
    }
  },
};
