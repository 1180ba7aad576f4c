/**
 * @file Three interleaved spirals (CS231n's classic toy set, drawn from a seeded generator), which
 * no linear classifier separates, learned by a small MLP — once with tanh hidden units and once with
 * relu — with loss and accuracy along the way and each net's decision regions drawn in the terminal.
 *
 * Run: npx ts-node examples/spiral.ts        (TAPEGRAD_SMOKE=1: fewer steps)
 */
import * as tg from '../src';

const { nn, optim } = tg;

const CLASSES = 3;
const PER_CLASS = 100;

/** Points [3·100, 2] on three arms of a spiral, with noisy angles, and their arm as the label. */
export function spiral(rng: tg.Rng): { x: tg.Tensor; labels: Int32Array } {
  const xy: number[] = [];
  const labels = new Int32Array(CLASSES * PER_CLASS);
  for (let c = 0; c < CLASSES; c++) {
    for (let i = 0; i < PER_CLASS; i++) {
      const r = i / (PER_CLASS - 1);
      const t = c * 4 + 4 * r + 0.2 * rng.normal();
      xy.push(r * Math.sin(t), r * Math.cos(t));
      labels[c * PER_CLASS + i] = c;
    }
  }
  return { x: tg.tensor(xy, { shape: [CLASSES * PER_CLASS, 2] }), labels };
}

type Activation = 'tanh' | 'relu';

function mlp(activation: Activation, rng: tg.Rng): tg.nn.Sequential {
  const act = () => (activation === 'tanh' ? new nn.Tanh() : new nn.ReLU());
  return new nn.Sequential(
    new nn.Linear(2, 32, { rng }),
    act(),
    new nn.Linear(32, 32, { rng }),
    act(),
    new nn.Linear(32, CLASSES, { rng }),
  );
}

function predict(model: tg.nn.Module, x: tg.Tensor): Int32Array {
  const logits = tg.noGrad(() => model.forward(x));
  return tg.argmax(logits, 1).data as Int32Array;
}

/** The class the model picks at each cell of a grid over [-1,1]², as one character per class. */
function regions(model: tg.nn.Module, cols = 36, rows = 16): string[] {
  const xy: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) xy.push(-1 + (2 * (c + 0.5)) / cols, 1 - (2 * (r + 0.5)) / rows);
  const classes = predict(model, tg.tensor(xy, { shape: [rows * cols, 2] }));
  return Array.from({ length: rows }, (_, r) => Array.from(classes.subarray(r * cols, (r + 1) * cols), (k) => '.o#'[k]).join(''));
}

export interface SpiralResult {
  activation: Activation;
  losses: number[];
  accuracy: number;
}

export function main(opts: { smoke?: boolean; log?: (line: string) => void } = {}): SpiralResult[] {
  const log = opts.log ?? console.log;
  const { x, labels } = spiral(tg.rng('spiral'));
  const steps = opts.smoke ? 30 : 600;
  const results: SpiralResult[] = [];
  const pictures: string[][] = [];
  for (const activation of ['tanh', 'relu'] as const) {
    const model = mlp(activation, tg.rng('spiral-init'));
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
    const losses: number[] = [];
    for (let step = 1; step <= steps; step++) {
      const loss = tg.crossEntropy(model.forward(x), labels);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    const predicted = predict(model, x);
    const accuracy = predicted.filter((k, i) => k === labels[i]).length / labels.length;
    const at = [0, Math.floor(steps / 10), Math.floor(steps / 2), steps - 1];
    log(
      `${activation}: loss ${at.map((s) => `${losses[s].toFixed(3)} (step ${s + 1})`).join(', ')}; training accuracy ${(100 * accuracy).toFixed(1)}%`,
    );
    results.push({ activation, losses, accuracy });
    pictures.push(regions(model));
  }
  log(`\ndecision regions over [-1,1]² (classes . o #):   tanh${' '.repeat(32)}relu`);
  pictures[0].forEach((row, i) => log(`  ${row}    ${pictures[1][i]}`));
  log('\ntanh draws smooth curved boundaries; relu nets are piecewise linear, so theirs are made of straight pieces.');
  return results;
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1' });
