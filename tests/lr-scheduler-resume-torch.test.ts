/**
 * Resuming schedules as PyTorch resumes them (Debian's torch 1.13, the CI's): the `lastEpoch` option
 * (PyTorch's last_epoch, Note [resuming with lastEpoch] in src/optim/lr-scheduler.ts), step(epoch)
 * (PyTorch's deprecated jump, the closed form where there is one), and state dicts of the schedulers
 * whose PyTorch dicts carry code (LambdaLR's functions, CyclicLR's scale function) or keys another
 * PyTorch version writes, loaded both ways.
 */
import * as tg from '../src';
import { runTorch } from './torch-harness';

const S = tg.optim.lrScheduler;
type Opt = tg.optim.SGD;
type Sched = { step(epoch?: number): void; stateDict(): Record<string, unknown>; loadStateDict(sd: Record<string, unknown>): void };

const LRS = [0.1, 0.05];
const N = (n: number): null[] => new Array(n).fill(null);
/** Python: what a scheduler that ran before would have left in the groups. */
const RECORDED = "for g in opt.param_groups: g['initial_lr'] = g['lr']\n";
const recorded = (o: Opt) => o.paramGroups.forEach((g) => (g.initialLr = g.lr));

interface Case {
  label: string;
  ts: (o: Opt) => Sched;
  /** Python that sets `sched` from `opt` (torch.optim.lr_scheduler is `S`). */
  py: string;
  /** One entry per step: null is step(), a number step(epoch). */
  steps: (number | null)[];
  /** Record only the lrs (torch 1.13 and 2 differ on a resumed CyclicLR's momenta). */
  lrOnly?: boolean;
}

const CASES: Case[] = [
  {
    label: 'StepLR, lastEpoch 5',
    ts: (o) => (recorded(o), new S.StepLR(o, { stepSize: 3, lastEpoch: 5 })),
    py: RECORDED + 'sched = S.StepLR(opt, 3, last_epoch=5)',
    steps: N(10),
  },
  {
    label: 'MultiStepLR, lastEpoch 5',
    ts: (o) => (recorded(o), new S.MultiStepLR(o, { milestones: [3, 6, 9], lastEpoch: 5 })),
    py: RECORDED + 'sched = S.MultiStepLR(opt, [3, 6, 9], last_epoch=5)',
    steps: N(8),
  },
  {
    label: 'CosineAnnealingLR, lastEpoch 3 (the closed form on the first step)',
    ts: (o) => (recorded(o), new S.CosineAnnealingLR(o, { tMax: 10, lastEpoch: 3 })),
    py: RECORDED + 'sched = S.CosineAnnealingLR(opt, 10, last_epoch=3)',
    steps: N(15),
  },
  {
    label: 'LinearLR, lastEpoch 2',
    ts: (o) => (recorded(o), new S.LinearLR(o, { lastEpoch: 2 })),
    py: RECORDED + 'sched = S.LinearLR(opt, last_epoch=2)',
    steps: N(8),
  },
  {
    label: 'LambdaLR, lastEpoch 4',
    ts: (o) => (recorded(o), new S.LambdaLR(o, (e) => 0.9 ** e, { lastEpoch: 4 })),
    py: RECORDED + 'sched = S.LambdaLR(opt, lambda e: 0.9 ** e, last_epoch=4)',
    steps: N(5),
  },
  {
    label: 'MultiplicativeLR, lastEpoch 4',
    ts: (o) => (recorded(o), new S.MultiplicativeLR(o, () => 0.9, { lastEpoch: 4 })),
    py: RECORDED + 'sched = S.MultiplicativeLR(opt, lambda e: 0.9, last_epoch=4)',
    steps: N(5),
  },
  {
    label: 'PolynomialLR, ConstantLR and ExponentialLR, lastEpoch 2',
    ts: (o) => {
      recorded(o);
      const subs = [
        new S.PolynomialLR(o, { totalIters: 6, lastEpoch: 2 }),
        new S.ConstantLR(o, { lastEpoch: 2 }),
        new S.ExponentialLR(o, { gamma: 0.5, lastEpoch: 2 }),
      ];
      return new S.ChainedScheduler(subs) as unknown as Sched;
    },
    py:
      RECORDED +
      'sched = S.ChainedScheduler([S.PolynomialLR(opt, total_iters=6, last_epoch=2), S.ConstantLR(opt, last_epoch=2), S.ExponentialLR(opt, 0.5, last_epoch=2)])',
    steps: N(6),
  },
  {
    label: 'CosineAnnealingWarmRestarts, lastEpoch 5',
    ts: (o) => (recorded(o), new S.CosineAnnealingWarmRestarts(o, { t0: 3, tMult: 2, lastEpoch: 5 })),
    py: RECORDED + 'sched = S.CosineAnnealingWarmRestarts(opt, 3, T_mult=2, last_epoch=5)',
    steps: N(12),
  },
  {
    label: 'OneCycleLR resumed after 5 steps of another',
    ts: (o) => {
      const first = new S.OneCycleLR(o, { maxLr: [1, 0.5], totalSteps: 20 });
      for (let i = 0; i < 5; i++) first.step();
      return new S.OneCycleLR(o, { maxLr: [1, 0.5], totalSteps: 20, lastEpoch: 5 });
    },
    py: 'a = S.OneCycleLR(opt, [1.0, 0.5], total_steps=20)\nfor i in range(5): a.step()\nsched = S.OneCycleLR(opt, [1.0, 0.5], total_steps=20, last_epoch=5)',
    steps: N(13),
  },
  {
    label: 'CyclicLR resumed after 4 steps of another',
    ts: (o) => {
      const first = new S.CyclicLR(o, { baseLr: 0.01, maxLr: [0.1, 0.2], stepSizeUp: 3 });
      for (let i = 0; i < 4; i++) first.step();
      return new S.CyclicLR(o, { baseLr: 0.01, maxLr: [0.1, 0.2], stepSizeUp: 3, lastEpoch: 4 });
    },
    py: 'a = S.CyclicLR(opt, 0.01, [0.1, 0.2], step_size_up=3)\nfor i in range(4): a.step()\nsched = S.CyclicLR(opt, 0.01, [0.1, 0.2], step_size_up=3, last_epoch=4)',
    steps: N(8),
    lrOnly: true,
  },
  {
    label: 'SequentialLR, lastEpoch 4',
    ts: (o) => {
      recorded(o);
      const subs = [new S.ConstantLR(o, { factor: 0.5, totalIters: 2 }), new S.ExponentialLR(o, { gamma: 0.9 })];
      return new S.SequentialLR(o, { schedulers: subs, milestones: [3], lastEpoch: 4 });
    },
    py:
      RECORDED +
      'sched = S.SequentialLR(opt, [S.ConstantLR(opt, factor=0.5, total_iters=2), S.ExponentialLR(opt, 0.9)], milestones=[3], last_epoch=4)',
    steps: N(6),
  },
  {
    label: 'StepLR step(epoch)',
    ts: (o) => new S.StepLR(o, { stepSize: 2 }),
    py: 'sched = S.StepLR(opt, 2)',
    steps: [5, null, null, 1],
  },
  {
    label: 'MultiStepLR step(epoch), a milestone twice',
    ts: (o) => new S.MultiStepLR(o, { milestones: [2, 4, 4] }),
    py: 'sched = S.MultiStepLR(opt, [2, 4, 4])',
    steps: [4, null, 1, null, 3],
  },
  {
    label: 'CosineAnnealingLR step(epoch)',
    ts: (o) => new S.CosineAnnealingLR(o, { tMax: 10 }),
    py: 'sched = S.CosineAnnealingLR(opt, 10)',
    steps: [3, null, 7, null],
  },
  {
    label: 'PolynomialLR step(epoch)',
    ts: (o) => new S.PolynomialLR(o, { totalIters: 4, power: 2 }),
    py: 'sched = S.PolynomialLR(opt, total_iters=4, power=2.0)',
    steps: [2, 3, null, 9, 1],
  },
  {
    label: 'LambdaLR step(epoch), a fractional epoch',
    ts: (o) => new S.LambdaLR(o, (e) => 1 / (1 + e)),
    py: 'sched = S.LambdaLR(opt, lambda e: 1 / (1 + e))',
    steps: [2.5, null, 7],
  },
  {
    label: 'OneCycleLR step(epoch) (no closed form: its formula at that step)',
    ts: (o) => new S.OneCycleLR(o, { maxLr: 1, totalSteps: 10 }),
    py: 'sched = S.OneCycleLR(opt, 1.0, total_steps=10)',
    steps: [5, null, 2],
  },
];

const SCRIPT = `
import warnings
from torch.optim import lr_scheduler as S
warnings.simplefilter('ignore')
out = []
for c in job['cases']:
    params = [torch.zeros(2, requires_grad=True) for _ in job['lrs']]
    opt = torch.optim.SGD([dict(params=[p], lr=lr) for p, lr in zip(params, job['lrs'])], lr=0.1, momentum=0.9)
    scope = dict(S=S, opt=opt)
    exec(c['py'], scope)
    sched = scope['sched']
    rec = lambda: [v for g in opt.param_groups for v in ([g['lr']] if c['lrOnly'] else [g['lr'], g['momentum']])]
    seq = [rec()]
    for a in c['steps']:
        opt.step()
        if a is None: sched.step()
        else: sched.step(a)
        seq.append(rec())
    out.append(seq)
emit(out)
`;

function makeOptimizer(): Opt {
  const params = LRS.map(() => tg.zeros([2], { requiresGrad: true, dtype: 'float64' }));
  return new tg.optim.SGD(
    params.map((p, i) => ({ params: [p], lr: LRS[i] })),
    { lr: 0.1, momentum: 0.9 },
  );
}

const record = (o: Opt, lrOnly = false) => o.paramGroups.flatMap((g) => (lrOnly ? [g.lr] : [g.lr, g.momentum]));

function expectSequence(actual: number[][], expected: number[][], label: string) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, t) =>
    row.forEach((v, j) => {
      const err = Math.abs(v - expected[t][j]) / Math.max(1e-300, Math.abs(expected[t][j]));
      if (!(err <= 1e-13 || v === expected[t][j])) throw new Error(`${label}: record ${t}, value ${j}: ${v} vs torch ${expected[t][j]}`);
    }),
  );
}

let torch: number[][][];
beforeAll(() => {
  torch = runTorch(SCRIPT, { lrs: LRS, cases: CASES.map((c) => ({ py: c.py, steps: c.steps, lrOnly: c.lrOnly ?? false })) });
}, 120_000);

test.each(CASES.map((c, i) => [c.label, c, i] as const))("%s: PyTorch's lrs and momenta", (label, c, i) => {
  const o = makeOptimizer();
  const s = c.ts(o);
  const seq = [record(o, c.lrOnly)];
  for (const a of c.steps) {
    o.step();
    if (a === null) s.step();
    else s.step(a);
    seq.push(record(o, c.lrOnly));
  }
  expectSequence(seq, torch[i], label);
});

test('lastEpoch without the initialLr an earlier scheduler records throws, naming the scheduler and the group', () => {
  expect(() => new S.StepLR(makeOptimizer(), { stepSize: 3, lastEpoch: 5 })).toThrow(
    /^StepLR: lastEpoch 5 resumes a schedule, but parameter group 0 has no initialLr \(PyTorch's initial_lr/,
  );
  const o = makeOptimizer();
  recorded(o);
  expect(() => new S.OneCycleLR(o, { maxLr: 1, totalSteps: 20, lastEpoch: 5 })).toThrow(
    /^OneCycleLR: lastEpoch 5 resumes a schedule, but parameter group 0 has no maxLr/,
  );
  expect(() => new S.ExponentialLR(o, { gamma: 0.5, lastEpoch: -2 })).toThrow(
    /^ExponentialLR: lastEpoch must be an integer >= -1, got -2$/,
  );
  expect(() => new S.StepLR(o, { stepSize: 1 }).step(-1)).toThrow(/^StepLR: epoch must be a non-negative number, got -1$/);
});

test('ConstantLR with factor 0 throws at totalIters rather than setting the lr to NaN (PyTorch divides by zero there)', () => {
  const o = makeOptimizer();
  const s = new S.ConstantLR(o, { factor: 0, totalIters: 2 });
  s.step();
  expect(o.paramGroups.map((g) => g.lr)).toEqual([0, 0]);
  expect(() => s.step()).toThrow(/^ConstantLR: factor 0 cannot be undone at totalIters 2/);
});

test('OneCycleLR with a phase of no steps throws where PyTorch divides by zero, rather than setting NaN lrs', () => {
  const script = `
from torch.optim import lr_scheduler as S
out = []
for n, pct, three in job['cases']:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    try:
        S.OneCycleLR(opt, 1.0, total_steps=n, pct_start=float(pct), three_phase=three)
        out.append('ok')
    except ZeroDivisionError:
        out.append('ZeroDivisionError')
emit(out)
`;
  const cases: [number, number, boolean][] = [
    [10, 0.1, false],
    [20, 0.05, true],
    [1, 1, false],
    [2, 0.5, true],
    [10, 0.3, false],
  ];
  expect(runTorch(script, { cases })).toEqual(['ZeroDivisionError', 'ZeroDivisionError', 'ZeroDivisionError', 'ZeroDivisionError', 'ok']);
  for (const [n, pct, three] of cases.slice(0, 4)) {
    expect(() => new S.OneCycleLR(makeOptimizer(), { maxLr: 1, totalSteps: n, pctStart: pct, threePhase: three })).toThrow(
      /^OneCycleLR: phase \d of [23] starts and ends at step -?\d+ .* so step 0 would divide by zero/,
    );
  }
  expect(new S.OneCycleLR(makeOptimizer(), { maxLr: 1, totalSteps: 10, pctStart: 0.3 }).getLastLr()).toEqual(
    [0.04, 0.04].map((v) => expect.closeTo(v, 15)),
  );
});

describe("state dicts of the schedulers whose PyTorch dicts carry code, and other PyTorch versions' keys", () => {
  interface SdCase {
    label: string;
    ts: (o: Opt) => Sched;
    py: string;
  }
  const SD: SdCase[] = [
    { label: 'LambdaLR', ts: (o) => new S.LambdaLR(o, (e) => 0.9 ** e), py: 'S.LambdaLR(opt, lambda e: 0.9 ** e)' },
    {
      label: 'MultiplicativeLR',
      ts: (o) => new S.MultiplicativeLR(o, (e) => (e % 2 ? 0.9 : 1.05)),
      py: 'S.MultiplicativeLR(opt, lambda e: 0.9 if e % 2 else 1.05)',
    },
    {
      label: 'CyclicLR',
      ts: (o) => new S.CyclicLR(o, { baseLr: 0.01, maxLr: [0.1, 0.2], stepSizeUp: 3 }),
      py: 'S.CyclicLR(opt, 0.01, [0.1, 0.2], step_size_up=3)',
    },
  ];
  /**
   * For each case: torch's state dict after 4 steps (the weak reference dropped, as JSON needs) and
   * its 6 next records; and tapegrad's dict (sent in `ours`), loaded into a fresh torch scheduler
   * after 4 steps, and the 6 records torch goes on with.
   */
  const SD_SCRIPT = `
import warnings
from torch.optim import lr_scheduler as S
warnings.simplefilter('ignore')
def fresh(c):
    params = [torch.zeros(2, requires_grad=True) for _ in job['lrs']]
    opt = torch.optim.SGD([dict(params=[p], lr=lr) for p, lr in zip(params, job['lrs'])], lr=0.1, momentum=0.9)
    return opt, eval(c, dict(S=S, opt=opt))
def records(opt, sched):
    out = []
    for _ in range(6):
        opt.step(); sched.step()
        out.append([v for g in opt.param_groups for v in (g['lr'], g['momentum'])])
    return out
out = []
for c, ours in zip(job['cases'], job['ours']):
    opt, sched = fresh(c)
    for _ in range(4):
        opt.step(); sched.step()
    sd = {k: v for k, v in sched.state_dict().items() if k != '_scale_fn_ref'}
    groups = [dict(lr=g['lr'], momentum=g['momentum']) for g in opt.param_groups]
    theirs = records(opt, sched)
    opt2, sched2 = fresh(c)
    sched2.load_state_dict(ours['sd'])
    for g, saved in zip(opt2.param_groups, ours['groups']): g.update(saved)
    out.append(dict(keys=sorted(sched.state_dict().keys()), sd=sd, groups=groups, theirs=theirs, after_ours=records(opt2, sched2)))
emit(out)
`;

  function fourSteps(c: SdCase): { o: Opt; s: Sched } {
    const o = makeOptimizer();
    const s = c.ts(o);
    for (let i = 0; i < 4; i++) {
      o.step();
      s.step();
    }
    return { o, s };
  }

  function records(o: Opt, s: Sched): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < 6; i++) {
      o.step();
      s.step();
      out.push(record(o));
    }
    return out;
  }

  let results: {
    keys: string[];
    sd: Record<string, unknown>;
    groups: { lr: number; momentum: number }[];
    theirs: number[][];
    after_ours: number[][];
  }[];
  let ourRecords: number[][][];
  beforeAll(() => {
    const ours = SD.map((c) => {
      const { o, s } = fourSteps(c);
      return { sd: JSON.parse(JSON.stringify(s.stateDict())), groups: o.paramGroups.map((g) => ({ lr: g.lr, momentum: g.momentum })) };
    });
    ourRecords = SD.map((c) => {
      const { o, s } = fourSteps(c);
      return records(o, s);
    });
    results = runTorch(SD_SCRIPT, { lrs: LRS, cases: SD.map((c) => c.py), ours });
  }, 120_000);

  test.each(SD.map((c, i) => [c.label, c, i] as const))(
    '%s: the keys PyTorch writes, and its dict loads into tapegrad and goes on',
    (label, c, i) => {
      const r = results[i];
      const { o, s } = fourSteps(c);
      // use_beta1: torch 2's key (CyclicLR cycling Adam's beta1), which 1.13 does not write; _scale_fn_ref: a weak reference.
      const ours = Object.keys(s.stateDict()).filter((k) => k !== 'use_beta1');
      expect(ours.sort()).toEqual(r.keys.filter((k) => k !== '_scale_fn_ref'));
      const o2 = makeOptimizer();
      const s2 = c.ts(o2);
      s2.loadStateDict(r.sd);
      o2.paramGroups.forEach((g, j) => Object.assign(g, r.groups[j]));
      expectSequence(records(o2, s2), r.theirs, label);
      expect(o.paramGroups.length).toBe(2);
    },
  );

  test.each(SD.map((c, i) => [c.label, i] as const))(
    "%s: tapegrad's dict loads into PyTorch, which goes on as tapegrad does",
    (label, i) => {
      expectSequence(results[i].after_ours, ourRecords[i], label);
      expectSequence(ourRecords[i], results[i].theirs, label);
    },
  );

  test('the keys torch 2 adds (_is_initial, _anneal_func_type, default_min_lr, _scale_fn_custom) load and are ignored; a foreign key still throws', () => {
    const o = makeOptimizer();
    const step = new S.StepLR(o, { stepSize: 3 });
    step.loadStateDict({ ...step.stateDict(), _is_initial: false });
    const cyclic = new S.CyclicLR(makeOptimizer(), { baseLr: 0.01, maxLr: 0.1 });
    cyclic.loadStateDict({ ...cyclic.stateDict(), _is_initial: false, _scale_fn_custom: null });
    const oneCycle = new S.OneCycleLR(makeOptimizer(), { maxLr: 1, totalSteps: 10 });
    oneCycle.loadStateDict({ ...oneCycle.stateDict(), _anneal_func_type: 'cos', _is_initial: false });
    const plateau = new S.ReduceLROnPlateau(makeOptimizer());
    plateau.loadStateDict({ ...plateau.stateDict(), default_min_lr: 0 });
    const lambda = new S.LambdaLR(makeOptimizer(), () => 1);
    expect(lambda.stateDict().lr_lambdas).toEqual([null, null]);
    expect(() => step.loadStateDict({ lr_lambdas: [null] })).toThrow(/^StepLR\.loadStateDict: unknown key 'lr_lambdas'/);
  });
});
