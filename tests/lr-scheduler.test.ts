/**
 * Every scheduler against torch.optim.lr_scheduler: the lr of each parameter group (and the
 * momentum or Adam's beta1 that OneCycleLR and CyclicLR cycle) after construction and after each of
 * 60–100 steps, with two groups of different lrs, chained and sequential schedulers, and
 * ReduceLROnPlateau fed a metric sequence. Then stateDict round trips mid-run, initialLr, and errors.
 */
import * as tg from '../src';
import { runTorch } from './torch-harness';

const S = tg.optim.lrScheduler;
type Opt = tg.optim.Optimizer;
type Sched = {
  step(metric: number): void;
  getLastLr(): number[];
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>): void;
};

interface Case {
  label: string;
  optimizer: 'SGD' | 'Adam';
  steps: number;
  ts: (opt: Opt) => Sched;
  /** Python that sets `sched` from `opt` (torch.optim.lr_scheduler is `S`). */
  py: string;
  metrics?: number[];
}

/** A metric that improves, stalls, wobbles within the threshold, improves again. */
const PLATEAU = Array.from({ length: 60 }, (_, i) =>
  i < 10 ? 1 - i * 0.05 : i < 30 ? 0.55 + (i % 3) * 1e-6 : i < 40 ? 0.5 - (i - 30) * 0.01 : 0.4,
);

const CASES: Case[] = [
  {
    label: 'StepLR',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) => new S.StepLR(o, { stepSize: 7, gamma: 0.5 }),
    py: 'sched = S.StepLR(opt, step_size=7, gamma=0.5)',
  },
  {
    label: 'MultiStepLR (a milestone twice)',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) => new S.MultiStepLR(o, { milestones: [10, 25, 25, 40], gamma: 0.3 }),
    py: 'sched = S.MultiStepLR(opt, milestones=[10, 25, 25, 40], gamma=0.3)',
  },
  {
    label: 'ExponentialLR',
    optimizer: 'Adam',
    steps: 60,
    ts: (o) => new S.ExponentialLR(o, { gamma: 0.95 }),
    py: 'sched = S.ExponentialLR(opt, gamma=0.95)',
  },
  {
    label: 'CosineAnnealingLR past tMax',
    optimizer: 'SGD',
    steps: 100,
    ts: (o) => new S.CosineAnnealingLR(o, { tMax: 20, etaMin: 0.001 }),
    py: 'sched = S.CosineAnnealingLR(opt, T_max=20, eta_min=0.001)',
  },
  {
    label: 'CosineAnnealingLR etaMin 0',
    optimizer: 'Adam',
    steps: 60,
    ts: (o) => new S.CosineAnnealingLR(o, { tMax: 10 }),
    py: 'sched = S.CosineAnnealingLR(opt, T_max=10)',
  },
  { label: 'LinearLR defaults', optimizer: 'SGD', steps: 60, ts: (o) => new S.LinearLR(o), py: 'sched = S.LinearLR(opt)' },
  {
    label: 'LinearLR decreasing',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) => new S.LinearLR(o, { startFactor: 0.9, endFactor: 0.1, totalIters: 12 }),
    py: 'sched = S.LinearLR(opt, start_factor=0.9, end_factor=0.1, total_iters=12)',
  },
  {
    label: 'ConstantLR',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) => new S.ConstantLR(o, { factor: 0.5, totalIters: 8 }),
    py: 'sched = S.ConstantLR(opt, factor=0.5, total_iters=8)',
  },
  {
    label: 'PolynomialLR',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) => new S.PolynomialLR(o, { totalIters: 30, power: 2 }),
    py: 'sched = S.PolynomialLR(opt, total_iters=30, power=2.0)',
  },
  {
    label: 'LambdaLR, one function per group',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) => new S.LambdaLR(o, [(e) => 1 / (1 + e), (e) => 0.5 * (e % 5)]),
    py: 'sched = S.LambdaLR(opt, [lambda e: 1 / (1 + e), lambda e: 0.5 * (e % 5)])',
  },
  {
    label: 'MultiplicativeLR',
    optimizer: 'Adam',
    steps: 60,
    ts: (o) => new S.MultiplicativeLR(o, (e) => (e % 2 ? 0.9 : 1.05)),
    py: 'sched = S.MultiplicativeLR(opt, lambda e: 0.9 if e % 2 else 1.05)',
  },
  {
    label: 'OneCycleLR on SGD momentum',
    optimizer: 'SGD',
    steps: 80,
    ts: (o) => new S.OneCycleLR(o, { maxLr: [0.5, 0.2], totalSteps: 81 }),
    py: 'sched = S.OneCycleLR(opt, max_lr=[0.5, 0.2], total_steps=81)',
  },
  {
    label: "OneCycleLR on Adam's beta1, three phases, linear",
    optimizer: 'Adam',
    steps: 60,
    ts: (o) =>
      new S.OneCycleLR(o, { maxLr: 0.01, epochs: 6, stepsPerEpoch: 10, threePhase: true, annealStrategy: 'linear', pctStart: 0.25 }),
    py: "sched = S.OneCycleLR(opt, max_lr=0.01, epochs=6, steps_per_epoch=10, three_phase=True, anneal_strategy='linear', pct_start=0.25)",
  },
  {
    label: 'OneCycleLR without momentum cycling',
    optimizer: 'SGD',
    steps: 50,
    ts: (o) => new S.OneCycleLR(o, { maxLr: 1, totalSteps: 50, cycleMomentum: false, divFactor: 10, finalDivFactor: 100 }),
    py: 'sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=50, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0)',
  },
  {
    label: 'CyclicLR triangular2',
    optimizer: 'SGD',
    steps: 80,
    ts: (o) => new S.CyclicLR(o, { baseLr: 0.01, maxLr: [0.1, 0.2], stepSizeUp: 10, stepSizeDown: 5, mode: 'triangular2' }),
    py: "sched = S.CyclicLR(opt, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=10, step_size_down=5, mode='triangular2')",
  },
  {
    label: 'CyclicLR exp_range',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) =>
      new S.CyclicLR(o, { baseLr: 0.001, maxLr: 0.1, stepSizeUp: 7, mode: 'exp_range', gamma: 0.97, baseMomentum: 0.7, maxMomentum: 0.95 }),
    py: "sched = S.CyclicLR(opt, base_lr=0.001, max_lr=0.1, step_size_up=7, mode='exp_range', gamma=0.97, base_momentum=0.7, max_momentum=0.95)",
  },
  {
    label: 'CosineAnnealingWarmRestarts tMult 2',
    optimizer: 'SGD',
    steps: 100,
    ts: (o) => new S.CosineAnnealingWarmRestarts(o, { t0: 5, tMult: 2, etaMin: 0.01 }),
    py: 'sched = S.CosineAnnealingWarmRestarts(opt, T_0=5, T_mult=2, eta_min=0.01)',
  },
  {
    label: 'CosineAnnealingWarmRestarts tMult 1',
    optimizer: 'Adam',
    steps: 60,
    ts: (o) => new S.CosineAnnealingWarmRestarts(o, { t0: 7 }),
    py: 'sched = S.CosineAnnealingWarmRestarts(opt, T_0=7)',
  },
  {
    label: 'SequentialLR: linear warm-up, then cosine',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) =>
      new S.SequentialLR(o, {
        schedulers: [new S.LinearLR(o, { startFactor: 0.1, totalIters: 5 }), new S.CosineAnnealingLR(o, { tMax: 30 })],
        milestones: [5],
      }),
    py: 'sched = S.SequentialLR(opt, schedulers=[S.LinearLR(opt, start_factor=0.1, total_iters=5), S.CosineAnnealingLR(opt, T_max=30)], milestones=[5])',
  },
  {
    label: 'SequentialLR of three',
    optimizer: 'Adam',
    steps: 60,
    ts: (o) =>
      new S.SequentialLR(o, {
        schedulers: [
          new S.ConstantLR(o, { factor: 0.2, totalIters: 4 }),
          new S.ExponentialLR(o, { gamma: 0.9 }),
          new S.StepLR(o, { stepSize: 5, gamma: 0.5 }),
        ],
        milestones: [10, 30],
      }),
    py: 'sched = S.SequentialLR(opt, schedulers=[S.ConstantLR(opt, factor=0.2, total_iters=4), S.ExponentialLR(opt, gamma=0.9), S.StepLR(opt, step_size=5, gamma=0.5)], milestones=[10, 30])',
  },
  {
    label: 'ChainedScheduler: constant warm-up times exponential decay',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) => new S.ChainedScheduler([new S.ConstantLR(o, { factor: 0.1, totalIters: 3 }), new S.ExponentialLR(o, { gamma: 0.9 })]),
    py: 'sched = S.ChainedScheduler([S.ConstantLR(opt, factor=0.1, total_iters=3), S.ExponentialLR(opt, gamma=0.9)])',
  },
  {
    label: 'ChainedScheduler: cosine and steps',
    optimizer: 'SGD',
    steps: 60,
    ts: (o) => new S.ChainedScheduler([new S.CosineAnnealingLR(o, { tMax: 15 }), new S.StepLR(o, { stepSize: 10, gamma: 0.5 })]),
    py: 'sched = S.ChainedScheduler([S.CosineAnnealingLR(opt, T_max=15), S.StepLR(opt, step_size=10, gamma=0.5)])',
  },
  {
    label: 'ReduceLROnPlateau min, rel, cooldown',
    optimizer: 'SGD',
    steps: 60,
    metrics: PLATEAU,
    ts: (o) => new S.ReduceLROnPlateau(o, { patience: 3, cooldown: 2, factor: 0.5 }),
    py: 'sched = S.ReduceLROnPlateau(opt, patience=3, cooldown=2, factor=0.5)',
  },
  {
    label: 'ReduceLROnPlateau max, abs, minLr per group',
    optimizer: 'Adam',
    steps: 60,
    metrics: PLATEAU.map((m) => -m),
    ts: (o) =>
      new S.ReduceLROnPlateau(o, { mode: 'max', thresholdMode: 'abs', threshold: 0.02, patience: 2, factor: 0.3, minLr: [0.01, 0.004] }),
    py: "sched = S.ReduceLROnPlateau(opt, mode='max', threshold_mode='abs', threshold=0.02, patience=2, factor=0.3, min_lr=[0.01, 0.004])",
  },
];

const LRS = [0.1, 0.05];

function makeOptimizer(kind: 'SGD' | 'Adam'): Opt {
  const params = [tg.zeros([2], { requiresGrad: true, dtype: 'float64' }), tg.zeros([3], { requiresGrad: true, dtype: 'float64' })];
  const groups = params.map((p, i) => ({ params: [p], lr: LRS[i] }));
  return kind === 'SGD' ? new tg.optim.SGD(groups, { lr: 0.1, momentum: 0.9 }) : new tg.optim.Adam(groups);
}

/** Per record: each group's lr, then its momentum (SGD) or beta1 (Adam). */
function record(opt: Opt): number[] {
  return opt.paramGroups.flatMap((g) => [g.lr, (g.momentum as number | undefined) ?? (g.betas as number[])[0]]);
}

function run(c: Case, opt: Opt, sched: Sched, from: number, to: number): number[][] {
  const out: number[][] = [];
  for (let t = from; t < to; t++) {
    opt.step();
    if (c.metrics) sched.step(c.metrics[t]);
    else (sched as unknown as { step(): void }).step();
    out.push(record(opt));
  }
  return out;
}

const SCRIPT = `
import torch.optim.lr_scheduler as S
out = []
for c in job['cases']:
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = [dict(params=[p], lr=lr) for p, lr in zip(params, job['lrs'])]
    opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9) if c['optimizer'] == 'SGD' else torch.optim.Adam(groups)
    scope = dict(S=S, opt=opt)
    exec(c['py'], scope)
    sched = scope['sched']
    rec = lambda: [v for g in opt.param_groups for v in (g['lr'], g['momentum'] if 'momentum' in g else g['betas'][0])]
    seq = [rec()]
    for t in range(c['steps']):
        opt.step()
        if c['metrics'] is not None: sched.step(c['metrics'][t])
        else: sched.step()
        seq.append(rec())
    out.append(seq)
emit(out)
`;

let torch: number[][][];

beforeAll(() => {
  torch = runTorch<number[][][]>(SCRIPT, {
    lrs: LRS,
    cases: CASES.map((c) => ({ optimizer: c.optimizer, py: c.py, steps: c.steps, metrics: c.metrics ?? null })),
  });
}, 120_000);

/** Same arithmetic as PyTorch; only Math.cos and ** may round differently from C's cos and pow, in the last bit. */
function expectSequence(actual: number[][], expected: number[][], label: string) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, t) =>
    row.forEach((v, j) => {
      const err = Math.abs(v - expected[t][j]) / Math.max(1e-300, Math.abs(expected[t][j]));
      if (!(err <= 1e-13 || v === expected[t][j])) throw new Error(`${label}: record ${t}, value ${j}: ${v} vs torch ${expected[t][j]}`);
    }),
  );
}

describe.each(CASES.map((c, i) => [c.label, c, i] as const))('%s', (label, c, i) => {
  test(`the lr sequence of ${c.steps} steps is PyTorch's`, () => {
    const opt = makeOptimizer(c.optimizer);
    const sched = c.ts(opt);
    expectSequence([record(opt), ...run(c, opt, sched, 0, c.steps)], torch[i], label);
    expect(sched.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
  });

  test('stateDict after 25 steps, loaded (through JSON) into a fresh optimizer and scheduler, continues the sequence', () => {
    const opt = makeOptimizer(c.optimizer);
    const sched = c.ts(opt);
    run(c, opt, sched, 0, 25);
    const saved = JSON.parse(JSON.stringify({ opt: opt.stateDict(), sched: sched.stateDict() }));
    const opt2 = makeOptimizer(c.optimizer);
    const sched2 = c.ts(opt2);
    opt2.loadStateDict(saved.opt);
    sched2.loadStateDict(saved.sched);
    expectSequence(run(c, opt2, sched2, 25, c.steps), torch[i].slice(26), label);
  });
});

describe('scheduler basics', () => {
  test('a scheduler records initialLr once and takes its first step at construction (lastEpoch 0)', () => {
    const opt = makeOptimizer('SGD');
    const a = new S.StepLR(opt, { stepSize: 2 });
    expect([a.lastEpoch, a.baseLrs, opt.paramGroups.map((g) => g.initialLr)]).toEqual([0, LRS, LRS]);
    a.step();
    a.step();
    expect(a.getLastLr()).toEqual([0.1 * 0.1, 0.05 * 0.1]);
    // A second scheduler keeps the recorded initialLr as its base (PyTorch's setdefault).
    const b = new S.ExponentialLR(opt, { gamma: 0.5 });
    expect(b.baseLrs).toEqual(LRS);
    expect(opt.stateDict().param_groups[0].initial_lr).toBe(0.1);
  });

  test('CosineAnnealingLR: the recursive form reaches etaMin at tMax and climbs back after', () => {
    const opt = makeOptimizer('SGD');
    const s = new S.CosineAnnealingLR(opt, { tMax: 4, etaMin: 0.02 });
    const lrs = [opt.paramGroups[0].lr];
    for (let i = 0; i < 8; i++) {
      s.step();
      lrs.push(opt.paramGroups[0].lr);
    }
    // 0.02 + 0.08·(1 + cos(πt/4))/2 for t = 0..8.
    const closed = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((t) => 0.02 + (0.08 * (1 + Math.cos((Math.PI * t) / 4))) / 2);
    lrs.forEach((v, t) => expect(v).toBeCloseTo(closed[t], 14));
  });

  test("ChainedScheduler is built as torch 1.13's (schedulers), torch 2's (schedulers, optimizer) or SequentialLR's (optimizer, {schedulers}), stepping alike", () => {
    const run = (make: (o: Opt) => { step(): void; getLastLr(): number[] }) => {
      const o = makeOptimizer('SGD');
      const s = make(o);
      return Array.from({ length: 6 }, () => (s.step(), s.getLastLr()));
    };
    const subs = (o: Opt) => [new S.StepLR(o, { stepSize: 2, gamma: 0.5 }), new S.ExponentialLR(o, { gamma: 0.9 })];
    const plain = run((o) => new S.ChainedScheduler(subs(o)));
    expect(run((o) => new S.ChainedScheduler(subs(o), o))).toEqual(plain);
    expect(run((o) => new S.ChainedScheduler(o, { schedulers: subs(o) }))).toEqual(plain);
    expect(plain[1]).toEqual(LRS.map((lr) => expect.closeTo(lr * 0.5 * 0.9 ** 2, 15)));
    const other = makeOptimizer('SGD');
    expect(() => new S.ChainedScheduler(subs(makeOptimizer('SGD')), other)).toThrow(
      /^ChainedScheduler: scheduler 0 belongs to another optimizer$/,
    );
    expect(() => new S.ChainedScheduler(other, {} as never)).toThrow(/^ChainedScheduler: schedulers must be a non-empty list$/);
  });

  test('LambdaLR and MultiplicativeLR also take their functions as {lrLambda, lastEpoch}', () => {
    const lrs = (make: (o: Opt) => { step(): void }) => {
      const o = makeOptimizer('SGD');
      const s = make(o);
      return Array.from({ length: 4 }, () => (s.step(), o.paramGroups.map((g) => g.lr)));
    };
    const f = (e: number) => 0.5 ** e;
    expect(lrs((o) => new S.LambdaLR(o, { lrLambda: f }))).toEqual(lrs((o) => new S.LambdaLR(o, f)));
    expect(lrs((o) => new S.MultiplicativeLR(o, { lrLambda: [f, f] }))).toEqual(lrs((o) => new S.MultiplicativeLR(o, f)));
    const o = makeOptimizer('SGD');
    o.paramGroups.forEach((g) => (g.initialLr = g.lr));
    expect(new S.LambdaLR(o, { lrLambda: f, lastEpoch: 2 }).lastEpoch).toBe(3);
    expect(() => new S.LambdaLR(makeOptimizer('SGD'), { lrLambda: 3 } as never)).toThrow(
      /^LambdaLR: lr function 0 is not a function, got 3$/,
    );
  });

  test("an option a scheduler does not take (PyTorch's snake_case, a misspelling) throws naming it, rather than silently being the default", () => {
    const opt = makeOptimizer('SGD');
    expect(() => new S.CosineAnnealingLR(opt, { tMax: 10, eta_min: 0.01 } as never)).toThrow(
      /^CosineAnnealingLR: unknown option 'eta_min' \(options: tMax, etaMin, lastEpoch\)$/,
    );
    expect(() => new S.StepLR(opt, { stepSize: 2, gama: 0.5 } as never)).toThrow(/^StepLR: unknown option 'gama'/);
    expect(() => new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 9, pct_start: 0.1 } as never)).toThrow(
      /^OneCycleLR: unknown option 'pct_start'/,
    );
    expect(() => new S.CyclicLR(opt, { baseLr: 0.1, maxLr: 1, step_size_up: 4 } as never)).toThrow(
      /^CyclicLR: unknown option 'step_size_up'/,
    );
    expect(() => new S.ReduceLROnPlateau(opt, { min_lr: 0.1 } as never)).toThrow(/^ReduceLROnPlateau: unknown option 'min_lr'/);
    expect(() => new S.LambdaLR(opt, (e) => e, { last_epoch: 3 } as never)).toThrow(
      /^LambdaLR: unknown option 'last_epoch' \(options: lastEpoch\)$/,
    );
    expect(
      () => new S.SequentialLR(opt, { schedulers: [new S.StepLR(opt, { stepSize: 1 })], milestones: [], last_epoch: 0 } as never),
    ).toThrow(/^SequentialLR: unknown option 'last_epoch'/);
    expect(new S.StepLR(opt, { stepSize: 2, verbose: false } as never).lastEpoch).toBe(0);
  });

  test('ReduceLROnPlateau takes a one-element tensor as the metric', () => {
    const opt = makeOptimizer('SGD');
    const s = new S.ReduceLROnPlateau(opt, { patience: 0 });
    s.step(tg.tensor([1]));
    s.step(tg.tensor([2]));
    expect(s.getLastLr()).toEqual([0.1 * 0.1, 0.05 * 0.1].map((v) => expect.closeTo(v, 15)));
  });

  test('bad arguments throw, naming the scheduler', () => {
    const opt = makeOptimizer('SGD');
    const adagrad = new tg.optim.Adagrad([tg.zeros([1], { requiresGrad: true })]);
    expect(() => new S.StepLR({} as Opt, { stepSize: 1 })).toThrow(/^StepLR: expected an optimizer, got Object$/);
    expect(() => new S.StepLR(opt, { stepSize: 0 })).toThrow(/^StepLR: stepSize must be a positive integer, got 0$/);
    expect(() => new S.CosineAnnealingLR(opt, {} as never)).toThrow(/^CosineAnnealingLR: tMax must be a positive number, got undefined$/);
    expect(() => new S.LinearLR(opt, { startFactor: 2 })).toThrow(/^LinearLR: startFactor must be in \(0,1\], got 2$/);
    expect(() => new S.LambdaLR(opt, [(e) => e])).toThrow(/^LambdaLR: expected 2 lr functions \(one per parameter group\), got 1$/);
    expect(() => new S.OneCycleLR(opt, { maxLr: 1 })).toThrow(/^OneCycleLR: give either totalSteps or epochs and stepsPerEpoch$/);
    expect(() => new S.OneCycleLR(opt, { maxLr: [1, 2, 3], totalSteps: 5 })).toThrow(
      /^OneCycleLR: expected 2 values for maxLr \(one per parameter group\), got 3$/,
    );
    expect(() => new S.OneCycleLR(adagrad, { maxLr: 1, totalSteps: 5 })).toThrow(
      /^OneCycleLR: cycleMomentum needs an optimizer with momentum or betas; Adagrad has neither$/,
    );
    const once = new S.OneCycleLR(makeOptimizer('SGD'), { maxLr: 1, totalSteps: 2 });
    once.step();
    once.step();
    expect(() => once.step()).toThrow(/^OneCycleLR: tried to step 4 times; totalSteps is 2$/);
    expect(() => new S.CosineAnnealingWarmRestarts(opt, { t0: 2, tMult: 0.5 })).toThrow(
      /^CosineAnnealingWarmRestarts: tMult must be an integer >= 1, got 0.5$/,
    );
    expect(() => new S.SequentialLR(opt, { schedulers: [new S.StepLR(opt, { stepSize: 1 })], milestones: [3] })).toThrow(
      /^SequentialLR: expected 0 milestones for 1 schedulers, got 1$/,
    );
    expect(() => new S.ChainedScheduler([new S.StepLR(opt, { stepSize: 1 }), new S.StepLR(makeOptimizer('SGD'), { stepSize: 1 })])).toThrow(
      /^ChainedScheduler: scheduler 1 belongs to another optimizer than scheduler 0$/,
    );
    expect(() => new S.ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/^ReduceLROnPlateau: factor must be in \[0,1\), got 1$/);
    expect(() => new S.ReduceLROnPlateau(opt, { mode: 'mid' as never })).toThrow(
      /^ReduceLROnPlateau: mode must be 'min' or 'max', got mid$/,
    );
    expect(() => new S.ReduceLROnPlateau(opt).step('x' as never)).toThrow(
      /^ReduceLROnPlateau: step needs the metric, a number or a one-element tensor, got x$/,
    );
    expect(() => new S.StepLR(opt, { stepSize: 1 }).loadStateDict({ t_max: 3 })).toThrow(
      /^StepLR\.loadStateDict: unknown key 't_max' \(a state dict of another scheduler\?\)$/,
    );
  });
});
