/**
 * @file `npm run bench:anomaly`: what anomaly mode costs (Note [anomaly cost] in
 * src/autograd/anomaly.ts). The W5 chain (2000 tiny ops forward and backward) and the W4 LeNet
 * step, each with detectAnomaly off and on, interleaved in one process so the machine's noise hits
 * both alike; medians and the on/off ratio. Off is every normal run: one integer test per op.
 */
import * as tg from '../src';
import { FULL, median, QUICK, timeSteps } from './measure';
import { chain } from './engines/tapegrad';
import { W5 } from './workloads';

function convStep(): () => void {
  const x = tg.randn([32, 8, 28, 28], { rng: tg.rng(1) });
  const w = tg.randn([16, 8, 3, 3], { rng: tg.rng(2), requiresGrad: true });
  return () => {
    w.grad = null;
    tg.conv2d(x, w, null, { padding: 1 }).relu().sum().backward();
  };
}

const opts = process.argv.includes('--quick') ? QUICK : FULL;
for (const [name, make, work, unit] of [
  ['W5 chain', chain, W5.length, 'op/s'],
  ['conv2d+relu step', convStep, 1, 'step/s'],
] as const) {
  const step = make();
  const off: number[] = [];
  const on: number[] = [];
  for (let round = 0; round < 3; round++) {
    off.push(...timeSteps(step, opts));
    on.push(...timeSteps(() => tg.detectAnomaly(step), opts));
  }
  const rate = (t: number[]) => work / median(t);
  const fmt = (v: number) => (v >= 1000 ? `${Math.round(v).toLocaleString('en-US')}` : v.toFixed(1));
  console.log(
    `${name}: anomaly off ${fmt(rate(off))} ${unit}, on ${fmt(rate(on))} ${unit} (on/off ${(rate(on) / rate(off)).toFixed(2)}×; medians of ${off.length} and ${on.length} runs)`,
  );
}
