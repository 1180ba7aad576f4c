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
