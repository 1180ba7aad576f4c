/**
 * Scheduler state dicts are PyTorch's (Note [PyTorch's state-dict keys] in src/optim/lr-scheduler.ts):
 * the same keys as Debian's torch writes, and a state dict torch wrote after a few steps, loaded into
 * a fresh tapegrad scheduler, continues with the learning rates torch's own scheduler goes on to give.
 */
import * as tg from '../src';
import { runTorch } from './torch-harness';

const S = tg.optim.lrScheduler;
type Sched = {
  step(): void;
  getLastLr(): number[];
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>): void;
};

interface Case {
  name: string;
  torch: string;
  make(o: tg.optim.SGD): Sched;
  /** Keys one torch version has and another not (or code, not state): left out of the comparison. */
  versionKeys?: string[];
}

const CASES: Case[] = [
  { name: 'StepLR', torch: 'L.StepLR(o, 3, gamma=0.5)', make: (o) => new S.StepLR(o, { stepSize: 3, gamma: 0.5 }) },
  {
    name: 'MultiStepLR',
    torch: 'L.MultiStepLR(o, [2, 5], gamma=0.3)',
    make: (o) => new S.MultiStepLR(o, { milestones: [2, 5], gamma: 0.3 }),
  },
  { name: 'ExponentialLR', torch: 'L.ExponentialLR(o, 0.9)', make: (o) => new S.ExponentialLR(o, { gamma: 0.9 }) },
  {
    name: 'CosineAnnealingLR',
    torch: 'L.CosineAnnealingLR(o, 7, eta_min=0.01)',
    make: (o) => new S.CosineAnnealingLR(o, { tMax: 7, etaMin: 0.01 }),
  },
  {
    name: 'LinearLR',
    torch: 'L.LinearLR(o, start_factor=0.25, total_iters=6)',
    make: (o) => new S.LinearLR(o, { startFactor: 0.25, totalIters: 6 }),
  },
  {
    name: 'ConstantLR',
    torch: 'L.ConstantLR(o, factor=0.5, total_iters=3)',
    make: (o) => new S.ConstantLR(o, { factor: 0.5, totalIters: 3 }),
  },
  {
    name: 'PolynomialLR',
    torch: 'L.PolynomialLR(o, total_iters=8, power=2.0)',
    make: (o) => new S.PolynomialLR(o, { totalIters: 8, power: 2 }),
  },
  {
    name: 'CosineAnnealingWarmRestarts',
    torch: 'L.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.001)',
    make: (o) => new S.CosineAnnealingWarmRestarts(o, { t0: 3, tMult: 2, etaMin: 0.001 }),
  },
  {
    name: 'OneCycleLR',
    torch: 'L.OneCycleLR(o, 1.0, total_steps=12)',
    make: (o) => new S.OneCycleLR(o, { maxLr: 1.0, totalSteps: 12 }),
    versionKeys: ['anneal_func', 'anneal_strategy', '_anneal_func_type'],
  },
  {
    name: 'SequentialLR',
    torch: 'L.SequentialLR(o, [L.LinearLR(o, start_factor=0.5, total_iters=3), L.ExponentialLR(o, 0.8)], [3])',
    make: (o) =>
      new S.SequentialLR(o, {
        schedulers: [new S.LinearLR(o, { startFactor: 0.5, totalIters: 3 }), new S.ExponentialLR(o, { gamma: 0.8 })],
        milestones: [3],
      }),
  },
];

const SCRIPT = `
from torch.optim import lr_scheduler as L
out = []
for c in job['cases']:
    p = [torch.nn.Parameter(torch.zeros(1))]
    o = torch.optim.SGD(p, lr=0.1, momentum=0.9)
    s = eval(c)
    for _ in range(4):
        o.step(); s.step()
    sd = {k: v for k, v in s.state_dict().items() if not callable(v)}
    if '_schedulers' in sd:
        sd['_schedulers'] = [{k: v for k, v in x.items() if not callable(v)} for x in sd['_schedulers']]
    lrs = []
    for _ in range(6):
        o.step(); s.step(); lrs.append(s.get_last_lr()[0])
    out.append({'keys': sorted(s.state_dict().keys()), 'sd': sd, 'lrs': lrs})
emit(out)
`;

let torch: { keys: string[]; sd: Record<string, unknown>; lrs: number[] }[];
beforeAll(() => {
  torch = runTorch(SCRIPT, { cases: CASES.map((c) => c.torch) });
});

const optimizer = () => new tg.optim.SGD([tg.zeros([1], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });

describe.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
  const c = CASES[i];
  test('writes the keys PyTorch writes', () => {
    const skip = new Set(c.versionKeys ?? []);
    const ours = Object.keys(c.make(optimizer()).stateDict())
      .filter((k) => !skip.has(k))
      .sort();
    expect(ours).toEqual(torch[i].keys.filter((k) => !skip.has(k)));
  });

  test("loads PyTorch's state dict and goes on with PyTorch's learning rates", () => {
    const o = optimizer();
    const s = c.make(o);
    // The optimiser's lr is part of its own state dict in PyTorch; here the scheduler's last lr carries it.
    s.loadStateDict(torch[i].sd);
    o.paramGroups[0].lr = (torch[i].sd._last_lr as number[])[0];
    const lrs: number[] = [];
    for (let k = 0; k < 6; k++) {
      o.step();
      s.step();
      lrs.push(s.getLastLr()[0]);
    }
    lrs.forEach((lr, k) => expect(Math.abs(lr - torch[i].lrs[k])).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(torch[i].lrs[k]))));
  });
});

test('a state dict of another scheduler is still refused, naming the key', () => {
  expect(() => new S.StepLR(optimizer(), { stepSize: 1 }).loadStateDict({ T_max: 3 })).toThrow(
    /^StepLR\.loadStateDict: unknown key 'T_max' \(a state dict of another scheduler\?\)$/,
  );
});
