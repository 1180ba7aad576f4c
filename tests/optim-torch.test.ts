/**
 * Every optimiser against torch.optim, in float64, over 30 steps of seeded random gradients (their
 * scale changing from step to step, so AMSGrad's maximum and Adagrad's sums matter), for each option
 * that changes the update, with parameter groups and a learning rate changed mid-run. Then the
 * state dict: key for key PyTorch's, and PyTorch's own dict loaded into tapegrad continues the run
 * exactly as PyTorch continues it. Float32 steps are checked against the float64 loop.
 */
import * as tg from '../src';
import { stateDictToPlain } from '../src/optim/optimizer';
import { encodeTensor, runTorch, TensorJson } from './torch-harness';

type Name = 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';

interface Case {
  label: string;
  name: Name;
  /** tapegrad's options (camelCase). */
  opts: Record<string, unknown>;
  /** Per-group overrides (camelCase); absent: one list of tensors. */
  groups?: Record<string, unknown>[];
}

const CASES: Case[] = [
  { label: 'SGD plain', name: 'SGD', opts: { lr: 0.1 } },
  { label: 'SGD momentum', name: 'SGD', opts: { lr: 0.05, momentum: 0.9 } },
  { label: 'SGD momentum, dampening, weight decay', name: 'SGD', opts: { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01 } },
  { label: 'SGD nesterov, weight decay', name: 'SGD', opts: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.1 } },
  { label: 'SGD maximize', name: 'SGD', opts: { lr: 0.05, momentum: 0.5, maximize: true } },
  { label: 'Adam defaults', name: 'Adam', opts: {} },
  { label: 'Adam weight decay', name: 'Adam', opts: { lr: 0.02, weightDecay: 0.1, betas: [0.8, 0.99], eps: 1e-6 } },
  { label: 'Adam amsgrad', name: 'Adam', opts: { lr: 0.02, amsgrad: true } },
  { label: 'Adam amsgrad, weight decay, maximize', name: 'Adam', opts: { lr: 0.02, amsgrad: true, weightDecay: 0.05, maximize: true } },
  { label: 'AdamW defaults', name: 'AdamW', opts: {} },
  { label: 'AdamW weight decay 0.1', name: 'AdamW', opts: { lr: 0.03, weightDecay: 0.1 } },
  { label: 'AdamW amsgrad', name: 'AdamW', opts: { lr: 0.03, amsgrad: true, betas: [0.7, 0.95] } },
  { label: 'RMSprop defaults', name: 'RMSprop', opts: {} },
  { label: 'RMSprop centered', name: 'RMSprop', opts: { lr: 0.01, centered: true } },
  { label: 'RMSprop momentum, weight decay', name: 'RMSprop', opts: { lr: 0.01, momentum: 0.9, weightDecay: 0.05, alpha: 0.9 } },
  { label: 'RMSprop centered, momentum, maximize', name: 'RMSprop', opts: { lr: 0.01, momentum: 0.5, centered: true, maximize: true } },
  { label: 'Adagrad defaults', name: 'Adagrad', opts: {} },
  { label: 'Adagrad lrDecay, weight decay', name: 'Adagrad', opts: { lr: 0.1, lrDecay: 0.05, weightDecay: 0.1 } },
  {
    label: 'Adagrad initialAccumulatorValue, eps, maximize',
    name: 'Adagrad',
    opts: { lr: 0.1, initialAccumulatorValue: 0.5, eps: 1e-3, maximize: true },
  },
  { label: 'SGD groups', name: 'SGD', opts: { lr: 0.05, momentum: 0.9 }, groups: [{}, { lr: 0.01, momentum: 0.5, weightDecay: 0.1 }] },
  { label: 'Adam groups', name: 'Adam', opts: { lr: 0.01 }, groups: [{ betas: [0.5, 0.9] }, { lr: 0.05, amsgrad: true }] },
  { label: 'AdamW groups', name: 'AdamW', opts: { lr: 0.01 }, groups: [{ weightDecay: 0.5 }, {}] },
  { label: 'RMSprop groups', name: 'RMSprop', opts: { lr: 0.01 }, groups: [{ centered: true }, { momentum: 0.9 }] },
  { label: 'Adagrad groups', name: 'Adagrad', opts: { lr: 0.1 }, groups: [{ lrDecay: 0.1 }, { lr: 0.05 }] },
];

const SHAPES = [[3, 4], [5]];
const STEPS = 30;
const MORE = 10;
/** The step before which every group's lr is halved (as a scheduler or a user would). */
const LR_CHANGE = 17;

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const snakeOpts = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [snake(k), v]));

function initialParams(label: string, dtype: tg.DType = 'float64'): tg.Tensor[] {
  const g = tg.rng(`params ${label}`);
  return SHAPES.map((s) => leaf(tg.randn(s, { rng: g, dtype })));
}

function leaf(t: tg.Tensor): tg.Tensor {
  t.requiresGrad = true;
  return t;
}

/** Gradients for every step: normal, scaled by a factor that rises and falls. */
function gradients(label: string, steps: number): tg.Tensor[][] {
  const g = tg.rng(`grads ${label}`);
  return Array.from({ length: steps }, (_, t) => SHAPES.map((s) => tg.mul(tg.randn(s, { rng: g, dtype: 'float64' }), 0.2 + (t % 7))));
}

function build(c: Case, params: tg.Tensor[]): tg.optim.Optimizer {
  const input = c.groups === undefined ? params : c.groups.map((o, i) => ({ params: [params[i]], ...o }));
  const make = { SGD: tg.optim.SGD, Adam: tg.optim.Adam, AdamW: tg.optim.AdamW, RMSprop: tg.optim.RMSprop, Adagrad: tg.optim.Adagrad }[
    c.name
  ];
  return new (make as any)(input, { lr: 0.01, ...c.opts });
}

/** Runs grads[from..to) through opt; the parameters' values after each step. */
function run(opt: tg.optim.Optimizer, params: tg.Tensor[], grads: tg.Tensor[][], from: number, to: number): number[][][] {
  const out: number[][][] = [];
  for (let t = from; t < to; t++) {
    if (t === LR_CHANGE) for (const g of opt.paramGroups) g.lr /= 2;
    params.forEach((p, i) => (p.grad = tg.tensor(grads[t][i].data.slice(), { shape: [...p.shape], dtype: p.dtype })));
    opt.step();
    out.push(params.map((p) => Array.from(p.data)));
  }
  return out;
}

const SCRIPT = `
out = []
for c in job['cases']:
    params = [tensor_from(p).requires_grad_(True) for p in c['params']]
    grads = [[tensor_from(g) for g in step] for step in c['grads']]
    cls = getattr(torch.optim, c['name'])
    groups = params if c['groups'] is None else [dict(params=[params[i]], **g) for i, g in enumerate(c['groups'])]
    opts = dict(c['opts'])
    if 'betas' in opts: opts['betas'] = tuple(opts['betas'])
    for g in (c['groups'] or []):
        if 'betas' in g: g['betas'] = tuple(g['betas'])
    opt = cls(groups, foreach=False, **opts)
    traj = []
    saved = None
    for t, step in enumerate(grads):
        if t == job['lrChange']:
            for g in opt.param_groups: g['lr'] /= 2
        for p, g in zip(params, step): p.grad = g.clone()
        opt.step()
        traj.append([p.detach().reshape(-1).tolist() for p in params])
        if t == job['steps'] - 1:
            saved = opt.state_dict()
            saved = json.loads(json.dumps(_conv(saved)))
    out.append(dict(traj=traj, state_dict=saved))
emit(out)
`;

const TOL = 1e-12;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = TOL) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i]));
    if (!(err <= tol)) throw new Error(`${what}[${i}]: ${actual[i]} vs torch ${expected[i]} (relative error ${err})`);
  }
}

interface TorchResult {
  traj: number[][][];
  state_dict: { state: Record<string, Record<string, TensorJson | number>>; param_groups: Record<string, unknown>[] };
}

let torch: TorchResult[];

beforeAll(() => {
  const cases = CASES.map((c) => ({
    name: c.name,
    opts: snakeOpts({ lr: 0.01, ...c.opts }),
    groups: c.groups?.map(snakeOpts) ?? null,
    params: initialParams(c.label).map(encodeTensor),
    grads: gradients(c.label, STEPS + MORE).map((step) => step.map(encodeTensor)),
  }));
  torch = runTorch<TorchResult[]>(SCRIPT, { cases, steps: STEPS, lrChange: LR_CHANGE });
}, 120_000);

describe.each(CASES.map((c, i) => [c.label, c, i] as const))('%s', (_label, c, i) => {
  test(`${STEPS} steps match torch.optim.${c.name} step for step, then its state dict key for key`, () => {
    const params = initialParams(c.label);
    const grads = gradients(c.label, STEPS);
    const opt = build(c, params);
    const traj = run(opt, params, grads, 0, STEPS);
    traj.forEach((step, t) => step.forEach((values, j) => expectClose(values, torch[i].traj[t][j], `step ${t + 1}, parameter ${j}`)));

    const ours = opt.stateDict();
    const theirs = torch[i].state_dict;
    expect(Object.keys(ours.state).sort()).toEqual(
      Object.keys(theirs.state)
        .filter((k) => hasState(theirs.state[k]))
        .sort(),
    );
    for (const [k, entry] of Object.entries(ours.state)) {
      const expected = Object.entries(theirs.state[k]).filter(([, v]) => v !== null);
      expect(Object.keys(entry).sort()).toEqual(expected.map(([key]) => key).sort());
      for (const [key, v] of expected) {
        const mine = entry[key];
        if (typeof v === 'number' || v.shape.length === 0) expect(mine).toBe(typeof v === 'number' ? v : v.data[0]);
        else expectClose((mine as tg.Tensor).data, v.data as number[], `state ${k}.${key}`);
      }
    }
    expect(ours.param_groups.length).toBe(theirs.param_groups.length);
    ours.param_groups.forEach((g, gi) => {
      for (const [key, v] of Object.entries(g)) expect([key, theirs.param_groups[gi][key]]).toEqual([key, v]);
    });
  });

  test(`PyTorch's state dict loaded after ${STEPS} steps continues as PyTorch does`, () => {
    const params = SHAPES.map((s, j) => leaf(tg.tensor(torch[i].traj[STEPS - 1][j], { shape: s, dtype: 'float64' })));
    const opt = build(c, params);
    opt.loadStateDict(torch[i].state_dict as unknown as tg.optim.OptimizerStateDict);
    const grads = gradients(c.label, STEPS + MORE);
    const traj = run(opt, params, grads, STEPS, STEPS + MORE);
    traj.forEach((step, t) =>
      step.forEach((values, j) => expectClose(values, torch[i].traj[STEPS + t][j], `step ${STEPS + t + 1}, parameter ${j}`)),
    );
  });
});

function hasState(entry: Record<string, unknown>): boolean {
  return Object.values(entry).some((v) => v !== null);
}

describe('state dicts', () => {
  test('stateDict → loadStateDict into a fresh optimizer continues bit for bit (our own round trip, JSON included)', () => {
    for (const c of CASES) {
      const whole = initialParams(c.label);
      const grads = gradients(c.label, 20);
      const a = build(c, whole);
      run(a, whole, grads, 0, 20);

      const cut = initialParams(c.label);
      const b = build(c, cut);
      run(b, cut, grads, 0, 10);
      const json = JSON.parse(JSON.stringify(stateDictToPlain(b.stateDict())));
      const resumed = cut.map((p) => leaf(tg.tensor(p.data.slice(), { shape: [...p.shape], dtype: 'float64' })));
      const b2 = build(c, resumed);
      b2.loadStateDict(json);
      run(b2, resumed, grads, 10, 20);
      resumed.forEach((p, j) => expect([c.label, Array.from(p.data)]).toEqual([c.label, Array.from(whole[j].data)]));
    }
  });

  test('the state dict holds copies: stepping after stateDict() leaves the dict as it was', () => {
    const p = leaf(tg.tensor([1, 2], { dtype: 'float64' }));
    const opt = new tg.optim.Adam([p], { lr: 0.1 });
    p.grad = tg.tensor([1, 1], { dtype: 'float64' });
    opt.step();
    const sd = opt.stateDict();
    const before = Array.from((sd.state[0].exp_avg as tg.Tensor).data);
    opt.step();
    expect(Array.from((sd.state[0].exp_avg as tg.Tensor).data)).toEqual(before);
    expect(sd.state[0].step).toBe(1);
    expect(sd.param_groups).toEqual([
      { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, maximize: false, params: [0] },
    ]);
  });

  test('loading the state dict of another optimizer or other parameters throws', () => {
    const p = leaf(tg.tensor([1, 2], { dtype: 'float64' }));
    const q = leaf(tg.tensor([3], { dtype: 'float64' }));
    const adam = new tg.optim.Adam([p], { lr: 0.1 });
    p.grad = tg.tensor([1, 1], { dtype: 'float64' });
    adam.step();
    const sgd = new tg.optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    expect(() => sgd.loadStateDict(adam.stateDict())).toThrow(
      /^SGD\.loadStateDict: group 0 of the dict has no 'momentum' \(a state dict of another optimizer\?\)$/,
    );
    const adamW = new tg.optim.AdamW([p]);
    const rms = new tg.optim.RMSprop([p]);
    expect(() => rms.loadStateDict(adamW.stateDict())).toThrow(/^RMSprop\.loadStateDict: group 0 of the dict has no 'alpha'/);
    const sd = adam.stateDict();
    const rmsLike = { state: { 0: { step: 1, exp_avg: sd.state[0].exp_avg } }, param_groups: rms.stateDict().param_groups };
    expect(() => rms.loadStateDict(rmsLike)).toThrow(
      /^RMSprop\.loadStateDict: parameter 0's state has 'exp_avg', which RMSprop does not keep \(a state dict of another optimizer\?\)$/,
    );
    const two = new tg.optim.Adam([p, q]);
    expect(() => two.loadStateDict(adam.stateDict())).toThrow(
      /^Adam\.loadStateDict: group 0 of the dict has 1 parameters, the optimizer's 2$/,
    );
    const groups = new tg.optim.Adam([{ params: [p] }, { params: [q] }]);
    expect(() => groups.loadStateDict(adam.stateDict())).toThrow(/^Adam\.loadStateDict: the dict has 1 parameter groups, the optimizer 2$/);
    const other = new tg.optim.Adam([q]);
    expect(() => other.loadStateDict(adam.stateDict())).toThrow(
      /^Adam\.loadStateDict: exp_avg of parameter 0 has shape \[2\], the parameter \[1\]$/,
    );
    expect(() => adam.loadStateDict({} as tg.optim.OptimizerStateDict)).toThrow(/^Adam\.loadStateDict: expected \{state, param_groups\}$/);
  });

  test('loadStateDict restores the groups’ hyper-parameters, as PyTorch', () => {
    const p = leaf(tg.tensor([1, 2], { dtype: 'float64' }));
    const a = new tg.optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    a.paramGroups[0].lr = 0.025;
    const b = new tg.optim.SGD([p], { lr: 0.5, momentum: 0.1 });
    b.loadStateDict(a.stateDict());
    expect([b.paramGroups[0].lr, b.paramGroups[0].momentum]).toEqual([0.025, 0.9]);
  });
});

describe('parameter groups', () => {
  test('group options override the defaults; paramGroups lists every option', () => {
    const [p, q] = initialParams('groups');
    const opt = new tg.optim.SGD([{ params: [p] }, { params: [q], lr: 0.5, nesterov: true }], { lr: 0.1, momentum: 0.9 });
    expect(opt.paramGroups.map(({ params, ...o }) => [params.length, o])).toEqual([
      [1, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false }],
      [1, { lr: 0.5, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true, maximize: false }],
    ]);
    expect(opt.params).toEqual([p, q]);
  });

  test('addParamGroup adds parameters with the defaults and updates them from the next step', () => {
    const p = leaf(tg.tensor([1], { dtype: 'float64' }));
    const q = leaf(tg.tensor([1], { dtype: 'float64' }));
    const opt = new tg.optim.SGD([p], { lr: 0.1 });
    opt.addParamGroup({ params: [q], lr: 0.5 });
    p.grad = tg.tensor([1], { dtype: 'float64' });
    q.grad = tg.tensor([1], { dtype: 'float64' });
    opt.step();
    expect([p.data[0], q.data[0]]).toEqual([0.9, 0.5]);
  });

  test('bad groups and options throw, naming the optimizer and the group', () => {
    const [p, q] = initialParams('bad groups');
    expect(() => new tg.optim.Adam([{ params: [p] }, { params: [p] }])).toThrow(
      /^Adam: parameter 1 of shape \[3,4\] appears in more than one group$/,
    );
    expect(() => new tg.optim.Adam([{ params: [p] }, { params: [q], lr: -1 }])).toThrow(
      /^Adam \(parameter group 1\): lr must be a non-negative number, got -1$/,
    );
    expect(() => new tg.optim.Adam([{ params: [p], momentum: 0.9 } as never])).toThrow(
      /^Adam: parameter group 0 has an unknown option 'momentum' \(options: lr, betas, eps, weightDecay, amsgrad, maximize\)$/,
    );
    expect(() => new tg.optim.Adam([{ params: [] }])).toThrow(/^Adam: parameter group 0 has an empty parameter list$/);
    expect(() => new tg.optim.AdamW([p], { lr: -0.1 })).toThrow(/^AdamW: lr must be a non-negative number, got -0.1$/);
    expect(() => new tg.optim.AdamW([p], { betas: [1, 0.9] })).toThrow(/^AdamW: betas\[0\] must be in \[0,1\), got 1$/);
    expect(() => new tg.optim.RMSprop([p], { alpha: -1 })).toThrow(/^RMSprop: alpha must be a non-negative number, got -1$/);
    expect(() => new tg.optim.RMSprop([p], { momentum: -1 })).toThrow(/^RMSprop: momentum must be a non-negative number, got -1$/);
    expect(() => new tg.optim.Adagrad([p], { lrDecay: -1 })).toThrow(/^Adagrad: lrDecay must be a non-negative number, got -1$/);
    expect(() => new tg.optim.Adagrad([p], { eps: -1 })).toThrow(/^Adagrad: eps must be a non-negative number, got -1$/);
    expect(() => new tg.optim.Adagrad([p], { weightDecay: -1 })).toThrow(/^Adagrad: weightDecay must be a non-negative number, got -1$/);
    expect(() => new tg.optim.SGD([{ params: [p], nesterov: true }], { lr: 0.1 })).toThrow(
      /^SGD \(parameter group 0\): nesterov momentum needs momentum > 0 and dampening 0, got momentum 0, dampening 0$/,
    );
  });
});

describe('float32 steps (the fused loops) against the float64 loop', () => {
  test.each(CASES.filter((c) => c.groups === undefined).map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const p64 = initialParams(c.label);
    const p32 = p64.map((p) => leaf(tg.tensor(p.data.slice(), { shape: [...p.shape], dtype: 'float32' })));
    const grads = gradients(c.label, STEPS);
    const o64 = build(c, p64);
    const o32 = build(c, p32);
    for (let t = 0; t < STEPS; t++) {
      p64.forEach((p, j) => (p.grad = grads[t][j]));
      p32.forEach((p, j) => (p.grad = tg.tensor(grads[t][j].data, { shape: [...p.shape], dtype: 'float32' })));
      o64.step();
      o32.step();
    }
    expect(p32[0].dtype).toBe('float32');
    p32.forEach((p, j) => expectClose(p.data, p64[j].data, `${c.label} float32 parameter ${j}`, 2e-5));
  });
});
