/**
 * @file XOR, the smallest problem a network needs a hidden layer for: two inputs, one hidden layer
 * of 4 units, two classes. Trained from 20 seeds with tanh and with relu hidden units, to show how
 * often each gets every point right — and what a solved network predicts.
 *
 * Run: npx ts-node examples/xor-mlp.ts        (TAPEGRAD_SMOKE=1: fewer seeds and steps)
 */
import * as tg from '../src';

const { nn, optim } = tg;

const X = tg.tensor([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const LABELS = [0, 1, 1, 0];

type Activation = 'tanh' | 'relu';

function mlp(activation: Activation, rng: tg.Rng): tg.nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(2, 4, { rng }),
    activation === 'tanh' ? new nn.Tanh() : new nn.ReLU(),
    new nn.Linear(4, 2, { rng }),
  );
}

/**
 * Full-batch training; returns the final loss, the predicted probability of class 1 per point, and
 * how many hidden units switch: are on (pre-activation > 0) for some of the four points and off for others.
 */
function fit(activation: Activation, seed: number, steps: number): { loss: number; p1: number[]; switching: number } {
  const model = mlp(activation, tg.rng(`xor-${seed}`));
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
  let loss = Infinity;
  for (let step = 0; step < steps; step++) {
    const l = tg.crossEntropy(model.forward(X), LABELS);
    optimizer.zeroGrad();
    l.backward();
    optimizer.step();
    loss = l.item();
  }
  const probs = tg.noGrad(() => tg.softmax(model.forward(X)));
  const hidden = tg.noGrad(() => model[0].forward(X)); // [4 points, 4 units]
  const on = (u: number) => [0, 1, 2, 3].filter((i) => hidden.data[4 * i + u] > 0).length;
  const switching = [0, 1, 2, 3].filter((u) => on(u) > 0 && on(u) < 4).length;
  return { loss, p1: [0, 1, 2, 3].map((i) => probs.data[2 * i + 1]), switching };
}

const solves = (p1: number[]) => p1.every((p, i) => (p > 0.5 ? 1 : 0) === LABELS[i]);

export interface XorResult {
  activation: Activation;
  solved: number;
  seeds: number;
  /** Probability of class 1 for (0,0), (0,1), (1,0), (1,1) from the first seed that solved it. */
  example: number[] | null;
  /** Mean number of hidden units that switch between the points, in the runs that failed and in those that solved it. */
  switchingWhenFailed: number;
  switchingWhenSolved: number;
}

export function main(opts: { smoke?: boolean; log?: (line: string) => void } = {}): XorResult[] {
  const log = opts.log ?? console.log;
  const seeds = opts.smoke ? 3 : 20;
  const steps = opts.smoke ? 100 : 300;
  const results: XorResult[] = [];
  for (const activation of ['tanh', 'relu'] as const) {
    const runs = Array.from({ length: seeds }, (_, seed) => fit(activation, seed, steps));
    const solved = runs.filter((r) => solves(r.p1));
    const failed = runs.filter((r) => !solves(r.p1));
    const example = solved.length > 0 ? solved[0].p1 : null;
    const result = {
      activation,
      solved: solved.length,
      seeds,
      example,
      switchingWhenFailed: meanSwitching(failed),
      switchingWhenSolved: meanSwitching(solved),
    };
    log(`${activation}: ${solved.length} of ${seeds} seeds classify all four points`);
    if (example) log(`  P(class 1) for (0,0) (0,1) (1,0) (1,1): ${example.map((p) => p.toFixed(3)).join('  ')}`);
    if (activation === 'relu') {
      // A relu net is linear wherever no unit switches, and no linear function separates XOR.
      log(
        `  relu units that are on for some points and off for others: ${result.switchingWhenSolved.toFixed(1)} on average` +
          ` in the runs that solved it, ${failed.length > 0 ? result.switchingWhenFailed.toFixed(1) : '-'} in those that did not;`,
      );
      log('  a unit that is off for every point passes no gradient, one that is on for every point acts linearly,');
      log('  and with too few units in between the net is (nearly) linear on the four points, where XOR is out of reach.');
    }
    results.push(result);
  }
  return results;
}

function meanSwitching(runs: { switching: number }[]): number {
  return runs.length === 0 ? 0 : runs.reduce((s, r) => s + r.switching, 0) / runs.length;
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1' });
