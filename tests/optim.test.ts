/**
 * Optimisers against trajectories computed by hand from torch.optim's update equations. Every case
 * minimises L(p) = Σ p², so the gradient is 2p, starting from p = 1 with lr = 0.1 unless stated.
 */
import * as tg from '../src';

type Make = (params: tg.Tensor[]) => tg.optim.Optimizer<unknown>;

/** p after each of `steps` steps of opt on Σ p². */
function trajectory(make: Make, p0: number[], steps = 3): number[][] {
  const p = tg.tensor(p0, { dtype: 'float64', requiresGrad: true });
  const opt = make([p]);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    opt.zeroGrad();
    tg.sum(tg.mul(p, p)).backward();
    opt.step();
    out.push(Array.from(p.data));
  }
  return out;
}

const expectTrajectory = (actual: number[][], expected: number[][]) => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 12)));
};

describe('SGD', () => {
  test('plain: p -= lr·g', () => {
    // 1 - 0.1·2 = 0.8; 0.8 - 0.1·1.6 = 0.64; 0.64 - 0.128 = 0.512.
    expectTrajectory(
      trajectory((ps) => new tg.optim.SGD(ps, { lr: 0.1 }), [1]),
      [[0.8], [0.64], [0.512]],
    );
  });

  test('momentum 0.9: buf = g on the first step, then 0.9·buf + g', () => {
    // Step 1: g = 2, buf = 2, p = 0.8. Step 2: g = 1.6, buf = 1.8 + 1.6 = 3.4, p = 0.8 - 0.34 = 0.46.
    // Step 3: g = 0.92, buf = 3.06 + 0.92 = 3.98, p = 0.46 - 0.398 = 0.062.
    expectTrajectory(
      trajectory((ps) => new tg.optim.SGD(ps, { lr: 0.1, momentum: 0.9 }), [1, -2]),
      [
        [0.8, -1.6],
        [0.46, -0.92],
        [0.062, -0.124],
      ],
    );
  });

  test('nesterov: the step is g + 0.9·buf', () => {
    // Step 1: g = 2, buf = 2, d = 2 + 1.8 = 3.8, p = 0.62. Step 2: g = 1.24, buf = 1.8 + 1.24 = 3.04,
    // d = 1.24 + 2.736 = 3.976, p = 0.2224. Step 3: g = 0.4448, buf = 2.736 + 0.4448 = 3.1808,
    // d = 0.4448 + 2.86272 = 3.30752, p = -0.108352.
    expectTrajectory(
      trajectory((ps) => new tg.optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }), [1]),
      [[0.62], [0.2224], [-0.108352]],
    );
  });

  test('weight decay adds weightDecay·p to the gradient', () => {
    // g = 2p + 0.5p = 2.5p, so p is multiplied by 1 - 0.25 = 0.75 each step.
    expectTrajectory(
      trajectory((ps) => new tg.optim.SGD(ps, { lr: 0.1, weightDecay: 0.5 }), [1]),
      [[0.75], [0.5625], [0.421875]],
    );
  });

  test('momentum, nesterov and weight decay together', () => {
    // Step 1: g = 2 + 0.1 = 2.1, buf = 2.1, d = 2.1 + 1.89 = 3.99, p = 0.601.
    // Step 2: g = 2.1·0.601 = 1.2621, buf = 1.89 + 1.2621 = 3.1521, d = 1.2621 + 2.83689 = 4.09899, p = 0.191101.
    // Step 3: g = 0.4013121, buf = 2.83689 + 0.4013121 = 3.2382021, d = 0.4013121 + 2.91438189 = 3.31569399, p = -0.140468399.
    expectTrajectory(
      trajectory((ps) => new tg.optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 }), [1]),
      [[0.601], [0.191101], [-0.140468399]],
    );
  });

  test('dampening scales the new gradient after the first step', () => {
    // Step 1: buf = 2 (no dampening on the first step), p = 0.8. Step 2: buf = 1.8 + 0.5·1.6 = 2.6, p = 0.54.
    // Step 3: buf = 2.34 + 0.5·1.08 = 2.88, p = 0.252.
    expectTrajectory(
      trajectory((ps) => new tg.optim.SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.5 }), [1]),
      [[0.8], [0.54], [0.252]],
    );
  });

  test('updates p.data in place, under noGrad; a parameter without a gradient is skipped', () => {
    const p = tg.tensor([1, 2], { requiresGrad: true });
    const q = tg.tensor([5], { requiresGrad: true });
    const data = p.data;
    const opt = new tg.optim.SGD([p, q], { lr: 0.5 });
    tg.sum(p).backward();
    opt.step();
    expect(p.data).toBe(data);
    expect(Array.from(p.data)).toEqual([0.5, 1.5]);
    expect(Array.from(q.data)).toEqual([5]);
    expect(p.node).toBeNull();
    expect(p.requiresGrad).toBe(true);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  test('bad hyper-parameters throw', () => {
    const p = tg.tensor([1], { requiresGrad: true });
    expect(() => new tg.optim.SGD([p], {} as tg.optim.SGDOptions)).toThrow('SGD: lr must be a non-negative number, got undefined');
    expect(() => new tg.optim.SGD([p], { lr: 0.1, nesterov: true })).toThrow(
      'SGD: nesterov momentum needs momentum > 0 and dampening 0, got momentum 0, dampening 0',
    );
    expect(() => new tg.optim.SGD([], { lr: 0.1 })).toThrow('SGD: got an empty parameter list');
    expect(() => new tg.optim.SGD([tg.mul(p, 2)], { lr: 0.1 })).toThrow(
      'SGD: parameter 0 of shape [1] is not a leaf tensor and cannot be optimised',
    );
  });
});

describe('Adam', () => {
  test('a step computed by hand: lr 0.01, betas (0.5, 0.9), eps 0.1', () => {
    // Step 1: g = 2, m = 0.5·0 + 0.5·2 = 1, v = 0.1·4 = 0.4; step size 0.01 / (1 - 0.5) = 0.02;
    // denominator sqrt(0.4) / sqrt(1 - 0.9) + 0.1 = 2 + 0.1 = 2.1; p = 1 - 0.02·1/2.1 = 0.990476190476...
    // Step 2: g = 1.98095238, m = 0.5 + 0.99047619 = 1.49047619, v = 0.36 + 0.1·g² = 0.752417234,
    // step size 0.01/0.75, denominator sqrt(0.752417234/0.19) + 0.1 = 2.08999767, p = 0.980967559813681.
    // Step 3 likewise: p = 0.971481494065007.
    expectTrajectory(
      trajectory((ps) => new tg.optim.Adam(ps, { lr: 0.01, betas: [0.5, 0.9], eps: 0.1 }), [1]),
      [[0.990476190476191], [0.980967559813681], [0.971481494065007]],
    );
  });

  test('defaults (betas 0.9, 0.999, eps 1e-8): the first step moves by lr, bias correction as PyTorch', () => {
    // Step 1: m = 0.2, v = 0.004, step size 0.1/0.1 = 1, denominator sqrt(0.004)/sqrt(0.001) + 1e-8 = 2 + 1e-8,
    // so p = 1 - 0.2/(2 + 1e-8) = 0.9000000005. Steps 2 and 3 from the same equations.
    expectTrajectory(
      trajectory((ps) => new tg.optim.Adam(ps, { lr: 0.1 }), [1]),
      [[0.9000000005], [0.800412228691793], [0.70158627294603]],
    );
    // The first step is about lr · sign(g) whatever the gradient's size.
    expect(trajectory((ps) => new tg.optim.Adam(ps, { lr: 0.1 }), [-20], 1)[0][0]).toBeCloseTo(-19.9, 6);
  });

  test('weight decay is L2 added to the gradient (torch.optim.Adam, not AdamW)', () => {
    // g = 2p + 0.1p = 2.1p: step 1 gives 1 - 0.21/(2.1 + 1e-8) = 0.90000000047619.
    expectTrajectory(
      trajectory((ps) => new tg.optim.Adam(ps, { lr: 0.1, weightDecay: 0.1 }), [1]),
      [[0.90000000047619], [0.800412228643195], [0.701586272871821]],
    );
  });

  test('float32 parameters stay float32 and train a model', () => {
    const model = new tg.nn.Linear(3, 1, { rng: tg.rng('adam model') });
    const opt = new tg.optim.Adam(model.parameters(), { lr: 0.05 });
    const x = tg.randn([16, 3], { rng: tg.rng('adam x') });
    const target = tg.matmul(x, tg.tensor([[1], [-2], [0.5]]));
    const losses: number[] = [];
    for (let i = 0; i < 100; i++) {
      opt.zeroGrad();
      const loss = tg.mseLoss(model.forward(x), target);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    expect(model.weight.dtype).toBe('float32');
    expect(losses[99]).toBeLessThan(losses[0] / 10);
  });

  test('bad hyper-parameters throw', () => {
    const p = tg.tensor([1], { requiresGrad: true });
    expect(() => new tg.optim.Adam([p], { betas: [0.9, 1] })).toThrow('Adam: betas[1] must be in [0,1), got 1');
    expect(() => new tg.optim.Adam([p], { lr: -1 })).toThrow('Adam: lr must be a non-negative number, got -1');
  });
});

describe('Note [fused updates]: the one-loop float32 updates equal the op-by-op formulas bit for bit', () => {
  const { add, mul, sub, div, sqrt } = tg;
  /** Random float32 parameters and gradients, the same for both sides. */
  const setup = (seed: string) => {
    const r = tg.rng(seed);
    // 4099: above the WebAssembly threshold, so the dispatching kernels run the WebAssembly step.
    const p = tg.randn([4099], { rng: r, requiresGrad: true });
    const grads = [0, 1, 2, 3].map(() => tg.randn([4099], { rng: r }));
    return { p, grads };
  };

  test.each([
    ['plain', { lr: 0.05 }],
    ['momentum and weight decay', { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 }],
    ['dampening', { lr: 0.03, momentum: 0.8, dampening: 0.3 }],
    ['nesterov', { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
  ] as [string, tg.optim.SGDOptions][])('SGD %s', (_label, o) => {
    const { p, grads } = setup('fused sgd');
    const opt = new tg.optim.SGD([p], o);
    let want = tg.tensor(p.data.slice(), { shape: p.shape });
    let buf: tg.Tensor | null = null;
    for (const [k, grad] of grads.entries()) {
      p.grad = tg.tensor(grad.data.slice(), { shape: grad.shape });
      opt.step();
      let g = o.weightDecay ? add(grad, mul(want, o.weightDecay)) : grad;
      if (o.momentum) {
        buf = k === 0 ? g : add(mul(buf!, o.momentum), mul(g, 1 - (o.dampening ?? 0)));
        g = o.nesterov ? add(g, mul(buf, o.momentum)) : buf;
      }
      want = sub(want, mul(g, o.lr));
      expect(Array.from(p.data)).toEqual(Array.from(want.data));
    }
  });

  test('Adam with weight decay', () => {
    const { p, grads } = setup('fused adam');
    const opt = new tg.optim.Adam([p], { lr: 0.01, weightDecay: 0.1, betas: [0.8, 0.99], eps: 1e-6 });
    let want = tg.tensor(p.data.slice(), { shape: p.shape });
    let m = tg.zeros(p.shape);
    let v = tg.zeros(p.shape);
    for (const [k, grad] of grads.entries()) {
      p.grad = tg.tensor(grad.data.slice(), { shape: grad.shape });
      opt.step();
      const t = k + 1;
      const g = add(grad, mul(want, 0.1));
      m = add(mul(m, 0.8), mul(g, 1 - 0.8));
      v = add(mul(v, 0.99), mul(mul(g, g), 1 - 0.99));
      const denom = add(div(sqrt(v), Math.sqrt(1 - 0.99 ** t)), 1e-6);
      want = sub(want, mul(div(m, denom), 0.01 / (1 - 0.8 ** t)));
      expect(Array.from(p.data)).toEqual(Array.from(want.data));
    }
  });
});

test("torch 2's decoupled_weight_decay group key loads into Adam (false) and AdamW (true); the other value is the other optimizer's dict", () => {
  const make = () => {
    const p = tg.tensor([1, -2], { dtype: 'float64', requiresGrad: true });
    return { p, adam: new tg.optim.Adam([p], { lr: 0.1, weightDecay: 0.1 }), adamW: new tg.optim.AdamW([p], { lr: 0.1 }) };
  };
  const a = make();
  a.p.grad = tg.tensor([0.5, 0.25], { dtype: 'float64' });
  a.adam.step();
  a.adamW.step();
  const withKey = (sd: tg.optim.OptimizerStateDict, v: boolean) => ({
    ...sd,
    param_groups: sd.param_groups.map((g) => ({ ...g, decoupled_weight_decay: v })),
  });
  const b = make();
  b.adam.loadStateDict(withKey(a.adam.stateDict(), false));
  b.adamW.loadStateDict(withKey(a.adamW.stateDict(), true));
  expect(b.adam.stateDict()).toEqual(a.adam.stateDict());
  expect(b.adamW.stateDict()).toEqual(a.adamW.stateDict());
  expect(() => b.adam.loadStateDict(withKey(a.adam.stateDict(), true))).toThrow(
    /^Adam\.loadStateDict: group 0 of the dict has decoupled_weight_decay true, which is AdamW's update, not Adam's \(a state dict of AdamW\?\)$/,
  );
  expect(() => b.adamW.loadStateDict(withKey(a.adamW.stateDict(), false))).toThrow(
    /^AdamW\.loadStateDict: group 0 of the dict has decoupled_weight_decay false/,
  );
  expect(() =>
    b.adam.loadStateDict({ ...a.adam.stateDict(), param_groups: [{ ...a.adam.stateDict().param_groups[0], nesterov: false }] }),
  ).toThrow(/^Adam\.loadStateDict: group 0 of the dict has 'nesterov', which Adam does not take/);
});

test("step(closure) calls the closure first and returns its loss, as PyTorch's; zeroGrad(false) leaves zero gradients (torch 1.13's default), zeroGrad() none", () => {
  const p = tg.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
  const opt = new tg.optim.SGD([p], { lr: 0.5 });
  const loss = opt.step(() => {
    opt.zeroGrad();
    const l = p.mul(p).sum(); // gradient 2p = [2, 4]
    l.backward();
    return l;
  });
  expect(loss.item()).toBe(5);
  expect(Array.from(p.data)).toEqual([0, 0]);
  expect(opt.step()).toBeUndefined();
  expect(() => opt.step(3 as never)).toThrow(/^SGD\.step: the closure must be a function that returns the loss, got number$/);
  opt.zeroGrad(false);
  expect([p.grad!.shape, Array.from(p.grad!.data)]).toEqual([[2], [0, 0]]);
  opt.zeroGrad();
  expect(p.grad).toBeNull();
  const lin = new tg.nn.Linear(2, 1);
  lin
    .forward(tg.ones([1, 2]))
    .sum()
    .backward();
  lin.zeroGrad(false);
  expect(lin.parameters().map((q) => Array.from(q.grad!.data))).toEqual([[0, 0], [0]]);
  lin.zeroGrad();
  expect(lin.parameters().map((q) => q.grad)).toEqual([null, null]);
});

test("an option an optimizer does not take (a misspelling, PyTorch's snake_case) throws naming it rather than silently being the default; PyTorch's implementation flags are taken", () => {
  const p = tg.zeros([2], { requiresGrad: true });
  expect(() => new tg.optim.SGD([p], { lr: 0.1, weight_decay: 0.1 } as never)).toThrow(
    /^SGD: unknown option 'weight_decay' \(options: lr, momentum, dampening, weightDecay, nesterov, maximize\)$/,
  );
  expect(() => new tg.optim.Adam([p], { lr: 0.1, momentum: 0.9 } as never)).toThrow(
    /^Adam: unknown option 'momentum' \(options: lr, betas/,
  );
  expect(() => new tg.optim.AdamW([p], { amsGrad: true } as never)).toThrow(/^AdamW: unknown option 'amsGrad'/);
  expect(() => new tg.optim.RMSprop([p], { beta: 0.9 } as never)).toThrow(/^RMSprop: unknown option 'beta'/);
  expect(() => new tg.optim.Adagrad([p], { lr_decay: 0.1 } as never)).toThrow(/^Adagrad: unknown option 'lr_decay'/);
  expect(new tg.optim.Adam([p], { foreach: false, fused: false } as never).paramGroups[0].lr).toBe(1e-3);
});
