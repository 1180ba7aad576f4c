/** SPEC §14's reductions: argmax/argmin, min, max/minWithIndices, amax/amin, prod, cumsum, cumprod, var, std, norm, logsumexp. */
import * as tg from '../src';

const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });

function expectClose(actual: tg.Tensor | null, expected: tg.NestedArray, digits = 12) {
  const flat = (v: tg.NestedArray): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  const want = flat(expected);
  const got = Array.from(actual!.data);
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => (Number.isFinite(w) ? expect(got[i]).toBeCloseTo(w, digits) : expect(got[i]).toBe(w)));
}

describe('argmax and argmin', () => {
  const x = tg.tensor([
    [1, 5, 5],
    [7, 0, 7],
  ]);

  test('along an axis, ties to the first index, int32, keepDims', () => {
    const a = tg.argmax(x, 1);
    expect([a.dtype, a.toArray()]).toEqual(['int32', [1, 0]]);
    expect(x.argmax(0).toArray()).toEqual([1, 0, 1]);
    expect(x.argmin(1).toArray()).toEqual([0, 1]);
    expect(x.argmin(0, true).toArray()).toEqual([[0, 1, 0]]);
    expect(x.argmax(-1, true).shape).toEqual([2, 1]);
  });

  test('without an axis: the index into the flattened tensor', () => {
    expect(tg.argmax(x).toArray()).toBe(3);
    expect(tg.argmin(x).toArray()).toBe(4);
    expect(tg.argmax(x).shape).toEqual([]);
    expect(tg.argmax(x, undefined, true).shape).toEqual([1, 1]);
    expect(tg.argmax(tg.tensor(3)).toArray()).toBe(0);
  });

  test('int32 and bool inputs, NaN counts as the largest, no node', () => {
    expect(tg.argmin(tg.tensor([3, -2147483648, 5], { dtype: 'int32' })).toArray()).toBe(1);
    expect(tg.argmax(tg.tensor([false, true, true])).toArray()).toBe(1);
    expect(tg.argmin(tg.tensor([true, false, false])).toArray()).toBe(1);
    expect(tg.argmax(tg.tensor([1, NaN, 3])).toArray()).toBe(1);
    const w = tg.tensor([1, 2], { requiresGrad: true });
    expect(w.argmax().node).toBeNull();
  });

  test('empty tensors and bad axes throw', () => {
    expect(() => tg.argmax(tg.zeros([0]))).toThrow('argmax: cannot take the maximum of an empty tensor [0]');
    expect(() => tg.argmin(tg.zeros([2, 0]), 0)).toThrow('argmin: cannot take the minimum of an empty tensor [2,0]');
    expect(() => tg.argmax(x, 2)).toThrow('argmax: axis 2 is out of range for shape [2,3]');
  });
});

describe('min, maxWithIndices, minWithIndices', () => {
  test('min as max: values and the gradient to the first minimum', () => {
    const x = f64(
      [
        [3, 1, 1],
        [0, 2, -4],
      ],
      true,
    );
    const m = tg.min(x, 1);
    expect(m.toArray()).toEqual([1, -4]);
    m.mul(f64([2, 3]))
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 2, 0],
      [0, 0, 3],
    ]);
    expect(tg.min(x).item()).toBe(-4);
    expect(x.min(0, true).toArray()).toEqual([[0, 1, -4]]);
    const i = tg.tensor([4, -2147483648, 9], { dtype: 'int32' }).min();
    expect([i.dtype, i.item()]).toEqual(['int32', -2147483648]);
    expect(tg.tensor([true, false]).min().toArray()).toBe(false);
    expect(() => tg.min(tg.zeros([2, 0]), 1)).toThrow('min: cannot reduce over axis 1 of size 0 in shape [2,0]');
  });

  test('values and int32 indices together; values are differentiable', () => {
    const x = f64(
      [
        [1, 9, 9],
        [4, 2, 0],
      ],
      true,
    );
    const { values, indices } = tg.maxWithIndices(x, 1);
    expect(values.toArray()).toEqual([9, 4]);
    expect([indices.dtype, indices.toArray()]).toEqual(['int32', [1, 0]]);
    values.sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 1, 0],
      [1, 0, 0],
    ]);
    const low = x.minWithIndices(0, true);
    expect(low.values.toArray()).toEqual([[1, 2, 0]]);
    expect(low.indices.toArray()).toEqual([[0, 1, 1]]);
    expect(() => tg.maxWithIndices(x, undefined as never)).toThrow('maxWithIndices: axis must be a number, got undefined (x [2,3])');
  });
});

describe('amax and amin', () => {
  test('ties share the gradient equally; values exact', () => {
    const x = f64(
      [
        [1, 3, 3],
        [2, 2, 2],
      ],
      true,
    );
    const y = tg.amax(x, 1);
    expect(y.toArray()).toEqual([3, 2]);
    y.mul(f64([6, 3]))
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 3, 3],
      [1, 1, 1],
    ]);
    const z = f64([0.1, 0.1, 0.1, -5], true);
    const m = z.amax();
    expect(m.item()).toBe(0.1);
    m.backward();
    expectClose(z.grad, [1 / 3, 1 / 3, 1 / 3, 0], 15);
    const w = f64([[4, -1, -1]], true);
    const lo = tg.amin(w, [0, 1], true);
    expect(lo.toArray()).toEqual([[-1]]);
    lo.sum().backward();
    expect(w.grad!.toArray()).toEqual([[0, 0.5, 0.5]]);
  });

  test('infinities and NaN, int32', () => {
    expect(tg.amax(tg.tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(tg.amax(tg.tensor([1, Infinity])).item()).toBe(Infinity);
    expect(tg.amin(tg.tensor([1, -Infinity])).item()).toBe(-Infinity);
    expect(tg.amax(tg.tensor([1, NaN])).item()).toBeNaN();
    const i = tg.amax(tg.tensor([[3, 7]], { dtype: 'int32' }), 1);
    expect([i.dtype, i.toArray()]).toEqual(['int32', [7]]);
    expect(() => tg.amax(tg.zeros([0]))).toThrow('amax: cannot reduce over axis 0 of size 0 in shape [0]');
  });
});

describe('prod, cumsum, cumprod', () => {
  test('hand values over axes, int32 and bool', () => {
    const x = tg.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tg.prod(x).item()).toBe(720);
    expect(x.prod(1).toArray()).toEqual([6, 120]);
    expect(x.prod(0, true).toArray()).toEqual([[4, 10, 18]]);
    expect(tg.cumsum(x, 1).toArray()).toEqual([
      [1, 3, 6],
      [4, 9, 15],
    ]);
    expect(x.cumsum(0).toArray()).toEqual([
      [1, 2, 3],
      [5, 7, 9],
    ]);
    expect(tg.cumprod(x, -1).toArray()).toEqual([
      [1, 2, 6],
      [4, 20, 120],
    ]);
    const i = tg.tensor([2, 3, 4], { dtype: 'int32' });
    expect([i.prod().dtype, i.prod().item(), i.cumsum(0).dtype]).toEqual(['int32', 24, 'int32']);
    const b = tg.tensor([true, false, true]);
    expect([b.cumsum(0).dtype, b.cumsum(0).toArray()]).toEqual(['int32', [1, 1, 2]]);
    expect(tg.prod(tg.zeros([2, 0]), 1).toArray()).toEqual([1, 1]);
    expect(tg.cumsum(tg.tensor(5), 0).toArray()).toBe(5);
  });

  test('prod gradient: Π others, exact with one zero and with two', () => {
    const x = f64([2, 3, 4], true);
    x.prod().backward();
    expect(x.grad!.toArray()).toEqual([12, 8, 6]);
    const z = f64([2, 0, 4], true);
    z.prod().backward();
    expect(z.grad!.toArray()).toEqual([0, 8, 0]);
    const zz = f64([0, 3, 0], true);
    zz.prod().backward();
    expect(zz.grad!.toArray()).toEqual([0, 0, 0]);
    const rows = f64(
      [
        [0, 2],
        [3, 5],
      ],
      true,
    );
    rows
      .prod(1)
      .mul(f64([10, 1]))
      .sum()
      .backward();
    expect(rows.grad!.toArray()).toEqual([
      [20, 0],
      [5, 3],
    ]);
  });

  test('cumsum gradient is the reverse running sum; cumprod gradient with a zero', () => {
    const x = f64([1, 2, 3], true);
    x.cumsum(0)
      .mul(f64([1, 10, 100]))
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([111, 110, 100]);
    // y = [a, ab, abc] with a=2, b=0, c=5; gy = [1, 1, 1]:
    // d/da = 1 + b + bc = 1; d/db = a + ac = 12; d/dc = ab = 0.
    const z = f64([2, 0, 5], true);
    z.cumprod(0).sum().backward();
    expect(z.grad!.toArray()).toEqual([1, 12, 0]);
  });

  test('bad axes throw', () => {
    expect(() => tg.cumsum(tg.ones([2]), 1)).toThrow('cumsum: axis 1 is out of range for shape [2]');
    expect(() => tg.cumprod(tg.ones([2]), undefined as never)).toThrow('cumprod: axis must be a number, got undefined (x [2])');
  });
});

describe('var, std, logsumexp, norm', () => {
  test('var and std with correction and keepDims', () => {
    const x = f64([
      [1, 2, 3, 4],
      [2, 2, 2, 2],
    ]);
    expectClose(tg.var(x, 1), [5 / 3, 0]);
    expectClose(x.var(1, { correction: 0 }), [1.25, 0]);
    expectClose(tg.std(x, 1, { keepDims: true }), [[Math.sqrt(5 / 3)], [0]]);
    expectClose(tg.var(x), [(1.5 + 0.5 * 0.5 * 4 + 1.5 * 1.5 + 4 * 0.25 * 0 + 4 * 0.25) / 7 + 0], 1);
    expect(tg.var(f64([3])).item()).toBeNaN();
    expect(() => tg.var(tg.ones([2], { dtype: 'int32' }))).toThrow('var: int32 tensors are not supported (x [2] int32)');
  });

  test('logsumexp is stable and exact for infinities', () => {
    expectClose(tg.logsumexp(f64([1000, 1000]), 0), [1000 + Math.log(2)]);
    expectClose(tg.logsumexp(f64([[0, Math.log(3)]]), 1, true), [[Math.log(4)]]);
    expect(tg.logsumexp(f64([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(tg.logsumexp(f64([1, Infinity])).item()).toBe(Infinity);
    const x = f64([0, Math.log(3)], true);
    x.logsumexp(0).backward();
    expectClose(x.grad, [0.25, 0.75]);
  });

  test('norm for p = 2, 1, inf, -inf, 0 and 3', () => {
    const x = f64([3, -4, 0]);
    expect(tg.norm(x).item()).toBe(5);
    expect(x.norm(1).item()).toBe(7);
    expect(x.norm(Infinity).item()).toBe(4);
    expect(x.norm(-Infinity).item()).toBe(0);
    expect(x.norm(0).item()).toBe(2);
    expectClose(x.norm(3), [Math.cbrt(27 + 64)]);
    expectClose(
      tg.norm(
        f64([
          [3, 4],
          [6, 8],
        ]),
        2,
        1,
        true,
      ),
      [[5], [10]],
    );
  });

  test('norm gradients, and 0 at a zero norm as PyTorch', () => {
    const x = f64([3, -4], true);
    x.norm().backward();
    expectClose(x.grad, [0.6, -0.8]);
    for (const p of [2, 3, 0.5, 1]) {
      const z = f64([0, 0], true);
      z.norm(p).backward();
      expect(z.grad!.toArray()).toEqual([0, 0]);
    }
    const y = f64([1, 2], true);
    y.norm(3).backward();
    const n = Math.cbrt(9);
    expectClose(y.grad, [1 / (n * n), 4 / (n * n)]);
    expect(() => tg.norm(tg.ones([2], { dtype: 'bool' }))).toThrow('norm: bool tensors are not supported (x [2] bool)');
  });
});
