/** The engine (SPEC §6): backward, grad, accumulation, graph freeing, grad modes and higher-order gradients. */
import * as tg from '../src';

const f64 = (data: tg.NestedArray, requiresGrad = true) => tg.tensor(data, { dtype: 'float64', requiresGrad });
const values = (t: tg.Tensor | null) => Array.from(t!.data);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 10) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i], digits);
}

describe('backward', () => {
  test('reused interior nodes: b = a + a; c = b + b gives dc/da = 4', () => {
    const a = f64(3);
    const b = a.add(a);
    const c = b.add(b);
    c.backward();
    expect(a.grad!.item()).toBe(4);
  });

  test('a diamond: z = x² · 3x has dz/dx = 9x²', () => {
    const x = f64(2);
    const left = x.mul(x);
    const right = x.mul(3);
    left.mul(right).backward();
    expect(x.grad!.item()).toBeCloseTo(36, 12);
  });

  test('a leaf that is its own output gets gradient 1', () => {
    const x = f64(5);
    x.backward();
    expect(x.grad!.item()).toBe(1);
  });

  test('gradients accumulate into .grad across two backward calls', () => {
    const x = f64([1, 2]);
    x.mul(x).sum().backward();
    expectClose(values(x.grad), [2, 4]);
    x.mul(3).sum().backward();
    expectClose(values(x.grad), [5, 7]);
  });

  test('retainGraph lets the same graph run backward twice', () => {
    const x = f64([1, 2]);
    const y = x.tanh().sum();
    y.backward(undefined, { retainGraph: true });
    const once = values(x.grad);
    y.backward();
    expectClose(
      values(x.grad),
      once.map((v) => 2 * v),
    );
  });

  test('non-leaf .grad stays null unless retainGrad', () => {
    const x = f64([1, 2]);
    const h = x.mul(2);
    const kept = x.mul(3).retainGrad();
    h.add(kept).mul(h).sum().backward();
    expect(h.grad).toBeNull();
    // d/dkept of sum((h + kept) · h) = h = 2x
    expectClose(values(kept.grad), [2, 4]);
    // dL/dh = 2h + kept = 7x, so dL/dx = 2·7x + 3·2x = 20x
    expectClose(values(x.grad), [20, 40]);
  });

  test('an explicit gradient weights the outputs, in any dtype', () => {
    const x = tg.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x);
    y.backward(tg.tensor([1, 0.5, -1], { dtype: 'float64' }));
    expect(x.grad!.dtype).toBe('float32');
    expectClose(values(x.grad), [2, 2, -6], 6);
  });

  test('stored gradients own their storage (no aliasing between leaves or with the seed)', () => {
    const a = tg.tensor([1, 2], { requiresGrad: true });
    const b = tg.tensor([3, 4], { requiresGrad: true });
    const seed = tg.tensor([1, 1]);
    a.add(b).backward(seed);
    expect(a.grad!.data).not.toBe(b.grad!.data);
    expect(a.grad!.data).not.toBe(seed.data);
    a.grad!.data[0] = 100;
    expect(b.grad!.data[0]).toBe(1);
    expect(seed.data[0]).toBe(1);
  });

  test("a gradient has its tensor's dtype through mixed-dtype ops", () => {
    const x32 = tg.tensor([1, 2], { requiresGrad: true });
    const x64 = tg.tensor([3, 4], { dtype: 'float64', requiresGrad: true });
    const y = x32.mul(x64);
    expect(y.dtype).toBe('float64');
    y.sum().backward();
    expect(x32.grad!.dtype).toBe('float32');
    expect(x64.grad!.dtype).toBe('float64');
    expect(values(x32.grad)).toEqual([3, 4]);
    expect(values(x64.grad)).toEqual([1, 2]);
  });

  test('tensors that do not require grad get no gradient and no node', () => {
    const x = f64([1, 2]);
    const c = f64([5, 6], false);
    const y = x.mul(c);
    expect(c.mul(2).requiresGrad).toBe(false);
    expect(c.mul(2).isLeaf).toBe(true);
    y.sum().backward();
    expect(c.grad).toBeNull();
  });

  test('a chain of 100 000 ops runs forward and backward without a stack overflow', () => {
    const x = f64(0.5);
    let y = x;
    for (let i = 0; i < 100000; i++) y = i % 2 === 0 ? y.mul(1.00001) : y.add(1e-6);
    y.backward();
    expect(x.grad!.item()).toBeCloseTo(Math.pow(1.00001, 50000), 8);
    let expected = 0.5;
    for (let i = 0; i < 100000; i++) expected = i % 2 === 0 ? expected * 1.00001 : expected + 1e-6;
    expect(y.item()).toBeCloseTo(expected, 8);
  });
});

describe('freed graphs', () => {
  test('backward through a freed graph names the node and says to pass retainGraph', () => {
    const x = f64([1, 2]);
    const y = x.tanh().sum();
    y.backward();
    expect(() => y.backward()).toThrow(
      /^backward: the graph through sum \(node #\d+, output \[\]\) was freed by an earlier backward; pass \{retainGraph: true\}/,
    );
  });

  test('a freed graph is refused before any gradient is accumulated', () => {
    const x = f64([1, 2]);
    const c = f64([3, 4]);
    const h = x.exp();
    h.sum().backward();
    const before = values(x.grad);
    expect(() => h.mul(c).sum().backward()).toThrow(/graph through exp \(node #\d+, output \[2\]\) was freed/);
    expect(c.grad).toBeNull();
    expect(values(x.grad)).toEqual(before);
  });

  test('grad frees the graph unless retainGraph, and names itself in the error', () => {
    const x = f64([1, 2]);
    const y = x.mul(x).sum();
    tg.grad(y, [x]);
    expect(() => tg.grad(y, [x])).toThrow(/^grad: the graph through sum \(node #\d+, output \[\]\) was freed.*\{retainGraph: true\}/);
    const z = x.mul(x).sum();
    tg.grad(z, [x], { retainGraph: true });
    expectClose(values(tg.grad(z, [x])[0]), [2, 4]);
  });
});

describe('tg.grad', () => {
  test('returns gradients without touching .grad', () => {
    const x = f64([1, 2, 3]);
    const [g] = tg.grad(x.mul(x).sum(), [x]);
    expectClose(values(g), [2, 4, 6]);
    expect(x.grad).toBeNull();
  });

  test('gradOutputs weight each output; several outputs add up', () => {
    const x = f64([1, 2]);
    const y1 = x.mul(2);
    const y2 = x.mul(x);
    const [g] = tg.grad([y1, y2], [x], { gradOutputs: [f64([1, 10], false), f64([3, -1], false)] });
    // 2·[1,10] + 2x·[3,-1]
    expectClose(values(g), [2 + 6, 20 - 4]);
  });

  test('interior inputs get the total derivative', () => {
    const x = f64(3);
    const y = x.mul(2);
    const z = x.mul(y);
    const [gx, gy] = tg.grad(z, [x, y]);
    expect(gx!.item()).toBeCloseTo(4 * 3, 12);
    expect(gy!.item()).toBeCloseTo(3, 12);
  });

  test('gradients with respect to an interior tensor need nothing above it, even a freed graph', () => {
    const x = f64([1, 2]);
    const h = x.exp();
    h.sum().backward();
    const [gh] = tg.grad(h.mul(h).sum(), [h]);
    expectClose(values(gh), [2 * Math.E, 2 * Math.exp(2)]);
  });

  test('zero-size tensors flow forward and backward', () => {
    const x = tg.zeros([0, 3], { requiresGrad: true });
    const w = tg.ones([3, 2], { requiresGrad: true });
    x.matmul(w).tanh().softmax().sum().add(x.max(1).sum()).backward();
    expect(x.grad!.shape).toEqual([0, 3]);
    expect(w.grad!.toArray()).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  test('an unused input throws unless allowUnused, which gives null', () => {
    const x = f64([1, 2]);
    const unused = f64([3]);
    const y = x.sum();
    expect(() => tg.grad(y, [x, unused], { retainGraph: true })).toThrow(
      'grad: input 1 of shape [1] was not used to compute the outputs; pass {allowUnused: true} to get null for it',
    );
    const [gx, gu] = tg.grad(y, [x, unused], { allowUnused: true });
    expect(values(gx)).toEqual([1, 1]);
    expect(gu).toBeNull();
  });

  test('an input that does not require grad throws', () => {
    const x = f64([1, 2]);
    const c = f64([1, 2], false);
    expect(() => tg.grad(x.mul(c).sum(), [c])).toThrow('grad: input 0 of shape [2] does not require grad');
  });

  test('a wrong number of gradOutputs throws', () => {
    const x = f64([1, 2]);
    expect(() => tg.grad(x.sum(), [x], { gradOutputs: [] })).toThrow('grad: 0 gradOutputs given for 1 outputs');
  });

  test('createGraph records the backward so it can be differentiated; backward of it fills .grad', () => {
    const x = f64([0.5, -1]);
    const [g] = tg.grad(x.pow(3).sum(), [x], { createGraph: true });
    expect(g!.requiresGrad).toBe(true);
    expectClose(values(g), [3 * 0.25, 3]);
    g!.sum().backward();
    expectClose(values(x.grad), [6 * 0.5, -6]);
  });

  test('without createGraph the returned gradient is a constant', () => {
    const x = f64([0.5]);
    const [g] = tg.grad(x.pow(3).sum(), [x]);
    expect(g!.requiresGrad).toBe(false);
  });
});

describe('grad modes', () => {
  test('noGrad records nothing; enableGrad records inside it', () => {
    const x = f64([1, 2]);
    const y = tg.noGrad(() => x.mul(2));
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    const z = tg.noGrad(() => tg.enableGrad(() => x.mul(2)));
    expect(z.requiresGrad).toBe(true);
    expect(tg.isGradEnabled()).toBe(true);
  });

  test('the mode is restored when fn throws', () => {
    expect(() =>
      tg.noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tg.isGradEnabled()).toBe(true);
  });

  test("noGrad returns fn's value", () => {
    expect(tg.noGrad(() => 42)).toBe(42);
  });
});

/** d^k/dx^k of sum(f(x)), elementwise, by k nested grads with createGraph. */
function derivative(f: (x: tg.Tensor) => tg.Tensor, x: tg.Tensor, k: number): tg.Tensor {
  let y = f(x);
  for (let i = 0; i < k; i++) y = tg.grad(y.sum(), [x], { createGraph: true })[0]!;
  return y;
}

describe('higher-order gradients match closed forms', () => {
  const xs = [-1.3, -0.4, 0.2, 0.9, 1.7];
  const pos = [0.3, 0.8, 1.5, 2.4];

  test("tanh'' = -2 tanh (1 - tanh²)", () => {
    const t = xs.map(Math.tanh);
    expectClose(
      values(derivative(tg.tanh, f64(xs), 2)),
      t.map((v) => -2 * v * (1 - v * v)),
    );
  });

  test("tanh''' = -2 (1 - tanh²)(1 - 3 tanh²)", () => {
    const t = xs.map(Math.tanh);
    expectClose(
      values(derivative(tg.tanh, f64(xs), 3)),
      t.map((v) => -2 * (1 - v * v) * (1 - 3 * v * v)),
    );
  });

  test("sigmoid'' = s (1 - s)(1 - 2s)", () => {
    const s = xs.map((v) => 1 / (1 + Math.exp(-v)));
    expectClose(
      values(derivative(tg.sigmoid, f64(xs), 2)),
      s.map((v) => v * (1 - v) * (1 - 2 * v)),
    );
  });

  test("exp'' = exp", () => {
    expectClose(values(derivative(tg.exp, f64(xs), 2)), xs.map(Math.exp));
  });

  test("log'' = -1/x², log''' = 2/x³", () => {
    expectClose(
      values(derivative(tg.log, f64(pos), 2)),
      pos.map((v) => -1 / (v * v)),
    );
    expectClose(
      values(derivative(tg.log, f64(pos), 3)),
      pos.map((v) => 2 / (v * v * v)),
    );
  });

  test("(x^p)'' = p (p-1) x^(p-2), and (x⁴)''' = 24x", () => {
    expectClose(
      values(derivative((x) => x.pow(2.5), f64(pos), 2)),
      pos.map((v) => 2.5 * 1.5 * Math.pow(v, 0.5)),
    );
    expectClose(
      values(derivative((x) => x.pow(4), f64(xs), 3)),
      xs.map((v) => 24 * v),
      9,
    );
  });

  test('pow: d²/db² a^b = a^b ln²a and d²/da db = a^(b-1) (1 + b ln a)', () => {
    const a = f64(1.7);
    const b = f64(0.6);
    const [gb] = tg.grad(a.pow(b), [b], { createGraph: true });
    const [gbb, gba] = tg.grad(gb!, [b, a]);
    const la = Math.log(1.7);
    expect(gbb!.item()).toBeCloseTo(Math.pow(1.7, 0.6) * la * la, 12);
    expect(gba!.item()).toBeCloseTo(Math.pow(1.7, -0.4) * (1 + 0.6 * la), 12);
  });

  test('div: d²/db² a/b = 2a/b³ and d²/da db = -1/b²', () => {
    const a = f64(1.5);
    const b = f64(-0.7);
    const [gb] = tg.grad(a.div(b), [b], { createGraph: true });
    const [gbb, gba] = tg.grad(gb!, [b, a]);
    expect(gbb!.item()).toBeCloseTo((2 * 1.5) / Math.pow(-0.7, 3), 12);
    expect(gba!.item()).toBeCloseTo(-1 / (0.7 * 0.7), 12);
  });

  test('a Hessian-vector product through matmul + tanh matches a finite difference of gradients', () => {
    const r = tg.rng('hvp');
    const x = tg.randn([3, 4], { rng: r, dtype: 'float64' });
    const c = tg.randn([3, 2], { rng: r, dtype: 'float64' });
    const w0 = tg.randn([4, 2], { rng: r, dtype: 'float64' });
    const v = tg.randn([4, 2], { rng: r, dtype: 'float64' });
    const f = (w: tg.Tensor) => tg.tanh(tg.matmul(x, w)).mul(c).sum();
    const gradAt = (w: tg.Tensor) => tg.grad(f(w), [w])[0]!;

    const w = tg.tensor(w0.data, { shape: [4, 2], dtype: 'float64', requiresGrad: true });
    const [g] = tg.grad(f(w), [w], { createGraph: true });
    const [hv] = tg.grad(g!.mul(v).sum(), [w]);

    const eps = 1e-6;
    const shifted = (s: number) => tg.tensor(w0.add(v.mul(s)).data, { shape: [4, 2], dtype: 'float64', requiresGrad: true });
    const fd = gradAt(shifted(eps))
      .sub(gradAt(shifted(-eps)))
      .div(2 * eps);
    expectClose(values(hv), values(fd), 6);
    expect(Math.max(...values(hv).map(Math.abs))).toBeGreaterThan(1e-2);
  });
});
