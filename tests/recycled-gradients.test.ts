/**
 * Note [recycled gradients]: the storage of gradients a backward pass is done with is reused by
 * later allocations. These tests run passes whose gradients alias one another (a rule giving gy to
 * two inputs, passing it through, reshaping it), keep some (hooks, grad() results, .grad), then
 * allocate and compute again: whatever was handed back must have been invisible, so everything
 * seen before must still hold its values.
 */
import * as tg from '../src';
import { setBackwardRecorder } from '../src/autograd/engine';
import { POOL_MIN_ELEMENTS, takePooled } from '../src/tensor/storage-pool';

const N = POOL_MIN_ELEMENTS + 3;
const r = tg.rng('recycled');
const big = (requiresGrad = true) => tg.randn([N], { rng: r, requiresGrad });
/** Some allocation and arithmetic of the sizes that were handed back, to overwrite them if they were live. */
const churn = () => {
  for (let i = 0; i < 4; i++)
    tg.add(tg.randn([N], { rng: r }), 1)
      .mul(3)
      .relu();
};
const values = (t: tg.Tensor) => Array.from(t.data);

test('a backward pass hands the storage of its intermediate gradients back to the pool', () => {
  while (takePooled('float32', N, true) !== null);
  const x = big();
  x.mul(2).relu().mul(3).sum().backward();
  expect(takePooled('float32', N, true)).not.toBeNull();
});

test('one gradient given to two inputs (add), and to the same input twice, survives the churn', () => {
  const a = big();
  const b = big();
  a.add(b).mul(2).sum().backward();
  // add hands its gy to u and v; u's rule then allocates while v's gradient is still pending.
  const c = big();
  const d = big();
  c.mul(3).add(d.mul(5)).mul(2).sum().backward();
  const x = big();
  x.add(x).mul(x).sum().backward();
  const want = values(x).map((v) => Math.fround(4 * v));
  churn();
  expect(values(a.grad!)).toEqual(new Array(N).fill(2));
  expect(values(b.grad!)).toEqual(new Array(N).fill(2));
  expect(values(c.grad!)).toEqual(new Array(N).fill(6));
  expect(values(d.grad!)).toEqual(new Array(N).fill(10));
  expect(values(x.grad!)).toEqual(want);
});

test('gradients a hook saw and grad() returned are never reused', () => {
  const x = big();
  const h = x.mul(3);
  const seen: tg.Tensor[] = [];
  h.registerHook((g) => {
    seen.push(g);
    return g.mul(2);
  });
  h.relu().sum().backward();
  const hookValues = values(seen[0]);
  const xGrad = values(x.grad!);
  const y = big();
  const [gy] = tg.grad(y.reshape([1, N]).mul(5).sum(), [y]);
  const gyValues = values(gy!);
  for (let i = 0; i < 3; i++) {
    churn();
    big().mul(7).relu().sum().backward();
  }
  expect(values(seen[0])).toEqual(hookValues);
  expect(values(x.grad!)).toEqual(xGrad);
  expect(values(gy!)).toEqual(gyValues);
  expect(gyValues).toEqual(new Array(N).fill(5));
});

test('a primitive whose backward returns its gy, or an input, unchanged does not lose either', () => {
  const through = tg.definePrimitive('recycled_test_through', {
    forward: ([x]) => new tg.Tensor(x.data.slice(), x.shape),
    backward: (gy) => [gy],
  });
  const giveInput = tg.definePrimitive('recycled_test_input', {
    forward: ([x, w]) => tg.noGrad(() => tg.mul(x, w)),
    backward: (_gy, [x, w]) => [w, x],
  });
  const x = big();
  const w = big(false);
  w.requiresGrad = true;
  const wBefore = values(w);
  const xBefore = values(x);
  giveInput
    .apply([through.apply([x], undefined), w], undefined)
    .sum()
    .backward();
  churn();
  expect(values(w)).toEqual(wBefore);
  expect(values(x)).toEqual(xBefore);
  expect(values(x.grad!)).toEqual(wBefore);
  expect(values(w.grad!)).toEqual(xBefore);
});

test('a seed gradient passed to backward is never reused, even when a rule passes it through', () => {
  const x = big();
  const seed = tg.randn([N], { rng: r });
  const before = values(seed);
  // add hands the seed itself to x as its gradient: the engine must not pool storage it did not make.
  x.add(0).backward(seed);
  churn();
  x.add(0).mul(2).relu().sum().backward();
  churn();
  expect(values(seed)).toEqual(before);
});

test('training gives the same weights with reuse as without it (a backward recorder turns reuse off)', () => {
  const run = () => {
    const model = new tg.nn.Sequential(
      new tg.nn.Linear(64, 96, { rng: tg.rng('m') }),
      new tg.nn.ReLU(),
      new tg.nn.Linear(96, 10, { rng: tg.rng('m2') }),
    );
    const opt = new tg.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const data = tg.randn([128, 64], { rng: tg.rng('d') });
    const labels = Int32Array.from({ length: 128 }, (_, i) => i % 10);
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      tg.crossEntropy(model.forward(data), labels).backward();
      opt.step();
    }
    return model.parameters().map(values);
  };
  const before = setBackwardRecorder({ tensor: () => undefined, rule: () => undefined });
  let without: number[][];
  try {
    without = run();
  } finally {
    setBackwardRecorder(before);
  }
  churn();
  expect(run()).toEqual(without);
});

describe('Note [gradients taken over]: a leaf keeps the storage of a gradient only its pass allocated and held', () => {
  /** A primitive whose backward allocates one fresh gradient and gives it to `copies` inputs, remembering it. */
  const made: tg.Tensor[] = [];
  const fresh = tg.definePrimitive('recycled_test_fresh', {
    forward: ([x]) => tg.noGrad(() => tg.mul(x, 2)),
    backward: (gy, inputs) => {
      const g = tg.noGrad(() => tg.mul(gy, 2));
      made.push(g);
      return inputs.map(() => g);
    },
  });

  test('a matmul weight gradient becomes .grad without a copy, and keeps its values through later passes', () => {
    const a = tg.randn([64, 96], { rng: r, requiresGrad: true });
    const w = tg.randn([96, 80], { rng: r, requiresGrad: true });
    made.length = 0;
    fresh
      .apply([a.matmul(w)], undefined)
      .sum()
      .backward();
    // w's gradient (aᵀ·gy, 96·80 elements) was allocated by matmul's rule and went to w alone.
    const want = values(w.grad!);
    for (let i = 0; i < 3; i++) {
      churn();
      tg.randn([96, 80], { rng: r, requiresGrad: true }).mul(3).relu().sum().backward();
      tg.randn([64, 96], { rng: r })
        .matmul(tg.randn([96, 80], { rng: r, requiresGrad: true }))
        .sum()
        .backward();
    }
    expect(values(w.grad!)).toEqual(want);
  });

  test('the gradient a rule allocated goes to the leaf itself', () => {
    const x = big();
    made.length = 0;
    fresh.apply([x], undefined).sum().backward();
    expect(made).toHaveLength(1);
    expect(x.grad!.data).toBe(made[0].data);
    expect(values(x.grad!)).toEqual(new Array(N).fill(2));
  });

  test('one gradient given to two leaves: one of them copies, so updating one .grad in place leaves the other', () => {
    const two = tg.definePrimitive('recycled_test_fresh_two', {
      forward: ([x, y]) => tg.noGrad(() => tg.add(x, y)),
      backward: (gy, inputs) => {
        const g = tg.noGrad(() => tg.mul(gy, 2));
        made.push(g);
        return inputs.map(() => g);
      },
    });
    const x = big();
    const y = big();
    made.length = 0;
    two.apply([x, y], undefined).sum().backward();
    expect(x.grad!.data).not.toBe(y.grad!.data);
    expect([x.grad!.data, y.grad!.data].filter((d) => d === made[0].data)).toHaveLength(1);
    (x.grad!.data as Float32Array).fill(7);
    churn();
    expect(values(y.grad!)).toEqual(new Array(N).fill(2));
  });

  test('a gradient a hook saw, a seed, forward storage, or one below the pooling size is copied', () => {
    const x = big();
    let seen: tg.Tensor | null = null;
    x.registerHook((g) => {
      seen = g;
    });
    made.length = 0;
    fresh.apply([x], undefined).sum().backward();
    expect(x.grad!.data).not.toBe(seen!.data);
    expect(x.grad!.data).not.toBe(made[0].data);

    const s = big();
    const seed = tg.randn([N], { rng: r });
    s.backward(seed);
    expect(s.grad!.data).not.toBe(seed.data);

    // A rule that gives an input (forward storage, allocated before the pass) as a gradient.
    const giveOther = tg.definePrimitive('recycled_test_give_other', {
      forward: ([u, v]) => tg.noGrad(() => tg.mul(u, v)),
      backward: (_gy, [u, v]) => [v, u],
    });
    const u = big();
    const v = big();
    giveOther.apply([u, v], undefined).sum().backward();
    expect(u.grad!.data).not.toBe(v.data);
    expect(v.grad!.data).not.toBe(u.data);

    const small = tg.randn([8], { rng: r, requiresGrad: true });
    made.length = 0;
    fresh.apply([small], undefined).sum().backward();
    expect(small.grad!.data).not.toBe(made[0].data);
  });
});
