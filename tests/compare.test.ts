/** Comparisons, logical ops, all/any, where and maskedFill (SPEC §14): hand values, broadcasting, gradients, errors. */
import * as tg from '../src';

const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });

describe('comparisons', () => {
  test('each comparison, with broadcasting and numbers, gives bool', () => {
    const a = tg.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tg.tensor([3, 2, 1]);
    expect(tg.eq(a, b).toArray()).toEqual([
      [false, true, false],
      [false, false, false],
    ]);
    expect(a.ne(b).toArray()).toEqual([
      [true, false, true],
      [true, true, true],
    ]);
    expect(a.lt(b).toArray()).toEqual([
      [true, false, false],
      [false, false, false],
    ]);
    expect(a.le(2).toArray()).toEqual([
      [true, true, false],
      [false, false, false],
    ]);
    expect(tg.gt(4, a).toArray()).toEqual([
      [true, true, true],
      [false, false, false],
    ]);
    expect(a.ge(b.reshape([3, 1]).slice([0], [2])).toArray()).toEqual([
      [false, false, true],
      [true, true, true],
    ]);
    expect(a.eq(b).dtype).toBe('bool');
  });

  test('mixed dtypes compare by value; NaN equals nothing; int32 against a fraction', () => {
    const i = tg.tensor([1, 2, 3], { dtype: 'int32' });
    expect(i.eq(tg.tensor([1, 2.5, 3], { dtype: 'float64' })).toArray()).toEqual([true, false, true]);
    expect(i.lt(2.5).toArray()).toEqual([true, true, false]);
    const n = tg.tensor([NaN, 1]);
    expect(n.eq(n).toArray()).toEqual([false, true]);
    expect(n.ne(n).toArray()).toEqual([true, false]);
    expect(
      tg
        .tensor([true, false])
        .eq(tg.tensor([1, 1], { dtype: 'int32' }))
        .toArray(),
    ).toEqual([true, false]);
  });

  test('comparisons are not differentiable: no node, no gradient', () => {
    const x = tg.tensor([1, 2], { requiresGrad: true });
    const c = x.gt(1);
    expect([c.requiresGrad, c.node]).toEqual([false, null]);
  });

  test('shapes that do not broadcast throw naming the op', () => {
    expect(() => tg.eq(tg.ones([2, 3]), tg.ones([2]))).toThrow('eq: shapes [2,3] and [2] cannot be broadcast together');
    expect(() => tg.logicalAnd(tg.ones([3]), tg.ones([2]))).toThrow('logicalAnd: shapes [3] and [2] cannot be broadcast together');
  });
});

describe('logical ops, isNan, isFinite, all, any', () => {
  const p = tg.tensor([true, true, false, false]);
  const q = tg.tensor([true, false, true, false]);

  test('and, or, xor, not on bools; any dtype reads nonzero as true', () => {
    expect(tg.logicalAnd(p, q).toArray()).toEqual([true, false, false, false]);
    expect(p.logicalOr(q).toArray()).toEqual([true, true, true, false]);
    expect(p.logicalXor(q).toArray()).toEqual([false, true, true, false]);
    expect(tg.logicalNot(p).toArray()).toEqual([false, false, true, true]);
    const f = tg.tensor([0, -2, 0.5, NaN]);
    expect(f.logicalNot().toArray()).toEqual([true, false, false, false]);
    expect(f.logicalAnd(tg.tensor([3, 3, 0, 1], { dtype: 'int32' })).toArray()).toEqual([false, true, false, true]);
    expect(tg.logicalOr(f, 0).toArray()).toEqual([false, true, true, true]);
  });

  test('isNan and isFinite', () => {
    const x = tg.tensor([1, NaN, Infinity, -Infinity, -0]);
    expect(tg.isNan(x).toArray()).toEqual([false, true, false, false, false]);
    expect(x.isFinite().toArray()).toEqual([true, false, false, false, true]);
    const i = tg.tensor([1, 2], { dtype: 'int32' });
    expect([i.isNan().toArray(), i.isFinite().toArray()]).toEqual([
      [false, false],
      [true, true],
    ]);
  });

  test('all and any, over everything, an axis, with keepDims; empty axes as PyTorch', () => {
    const m = tg.tensor([
      [true, false, true],
      [true, true, true],
    ]);
    expect(tg.all(m).toArray()).toBe(false);
    expect(tg.any(m).toArray()).toBe(true);
    expect(m.all(1).toArray()).toEqual([false, true]);
    expect(m.all(0).toArray()).toEqual([true, false, true]);
    expect(m.any(-1, true).toArray()).toEqual([[true], [true]]);
    expect(m.all(undefined, true).shape).toEqual([1, 1]);
    expect(tg.tensor([0, 2, -1]).all().toArray()).toBe(false);
    expect(tg.tensor([0, 0], { dtype: 'int32' }).any().toArray()).toBe(false);
    expect(tg.zeros([0]).all().toArray()).toBe(true);
    expect(tg.zeros([0]).any().toArray()).toBe(false);
    expect(tg.all(m).dtype).toBe('bool');
    expect(() => m.all(2)).toThrow('all: axis 2 is out of range for shape [2,3]');
  });
});

describe('where', () => {
  test('selects elementwise with broadcasting; numbers are accepted', () => {
    const c = tg.tensor([true, false, true]);
    expect(tg.where(c, tg.tensor([1, 2, 3]), tg.tensor([10, 20, 30])).toArray()).toEqual([1, 20, 3]);
    expect(
      tg
        .where(
          tg.tensor([[true], [false]]),
          tg.tensor([1, 2]),
          tg.tensor([
            [5, 6],
            [7, 8],
          ]),
        )
        .toArray(),
    ).toEqual([
      [1, 2],
      [7, 8],
    ]);
    const both = tg.where(c, 1, 0);
    expect([both.dtype, both.toArray()]).toEqual(['int32', [1, 0, 1]]);
    expect(tg.where(c, 0.5, 0).dtype).toBe('float32');
    expect(tg.where(c, f64([1, 2, 3]), 0).dtype).toBe('float64');
    expect(c.where(tg.tensor([1, 2, 3], { dtype: 'int32' }), tg.tensor([4, 5, 6], { dtype: 'int32' })).toArray()).toEqual([1, 5, 3]);
    expect(tg.where(c, tg.tensor([1, 2, 3], { dtype: 'int32' }), 0.5).toArray()).toEqual([1, 0.5, 3]);
  });

  test('the gradient goes to the branch taken; a branch not taken gets zeros and runs its rule, as PyTorch', () => {
    const a = f64([1, 2, 3], true);
    const b = f64([[4, 5, 6]], true);
    const c = tg.tensor([true, false, true]);
    tg.where(c, a, b)
      .mul(f64([2, 3, 4]))
      .sum()
      .backward();
    expect(a.grad!.toArray()).toEqual([2, 0, 4]);
    expect(b.grad!.toArray()).toEqual([[0, 3, 0]]);

    // Note [where's gradient]: sqrt's rule divides the zero it gets by sqrt(-1) = NaN, as in PyTorch;
    // masking the input instead keeps the gradient clean.
    const x = f64([-1, 4], true);
    tg.where(x.gt(0), x.sqrt(), 0).sum().backward();
    expect(x.grad!.toArray()).toEqual([NaN, 0.25]);
    x.grad = null;
    tg.where(x.gt(0), tg.where(x.gt(0), x, 1).sqrt(), 0)
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([0, 0.25]);
    const inf = f64([1, 2], true);
    tg.where(tg.tensor([true, false]), inf, 0)
      .mul(Infinity)
      .sum()
      .backward();
    expect(inf.grad!.toArray()).toEqual([Infinity, 0]);
  });

  test('a broadcast branch sums its gradient back', () => {
    const a = f64(2, true);
    tg.where(tg.tensor([true, true, false]), a, f64([0, 0, 0]))
      .sum()
      .backward();
    expect(a.grad!.item()).toBe(2);
  });

  test('a condition that is not bool, or shapes that do not broadcast, throw', () => {
    expect(() => tg.where(tg.tensor([1, 0]), tg.ones([2]), tg.zeros([2]))).toThrow(
      'where: the condition must be a bool tensor, got float32 (cond [2], a [2], b [2])',
    );
    expect(() => tg.where(tg.tensor([true, false]), tg.ones([3]), 0)).toThrow(
      'where: shapes cannot be broadcast together (cond [2], a [3], b number)',
    );
  });
});

describe('maskedFill', () => {
  test("fills where the mask is true, keeping x's dtype and shape", () => {
    const x = tg.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(x.maskedFill(tg.tensor([true, false, true]), -1).toArray()).toEqual([
      [-1, 2, -1],
      [-1, 5, -1],
    ]);
    const i = tg.tensor([1, 2], { dtype: 'int32' }).maskedFill(tg.tensor([false, true]), 7.9);
    expect([i.dtype, i.toArray()]).toEqual(['int32', [1, 7]]);
    expect(tg.maskedFill(x, x.gt(4), -Infinity).toArray()).toEqual([
      [1, 2, 3],
      [4, -Infinity, -Infinity],
    ]);
  });

  test('the gradient is zero where filled, and flows to a tensor value from every filled place', () => {
    const x = f64([1, 2, 3], true);
    const v = f64(0.5, true);
    x.maskedFill(tg.tensor([true, false, true]), v)
      .mul(f64([2, 3, 4]))
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([0, 3, 0]);
    expect(v.grad!.item()).toBe(6);
  });

  test('a mask that is not bool, or that does not broadcast to x, throws', () => {
    const x = tg.ones([2, 3]);
    expect(() => x.maskedFill(tg.tensor([1, 0, 1]), 0)).toThrow('maskedFill: the mask must be a bool tensor, got float32');
    expect(() => x.maskedFill(tg.ones([2, 2, 3], { dtype: 'bool' }), 0)).toThrow('maskedFill: mask [2,2,3] does not broadcast to x [2,3]');
    expect(() => x.maskedFill(tg.ones([2], { dtype: 'bool' }), 0)).toThrow('maskedFill: mask [2] does not broadcast to x [2,3]');
    expect(() => x.maskedFill(tg.ones([3], { dtype: 'bool' }), tg.ones([2]))).toThrow(
      'maskedFill: value must be a number or a one-element tensor, got [2] (x [2,3])',
    );
  });
});

describe('compare and where kernels against a float64 reference loop', () => {
  test('broadcast shapes and every comparison op', () => {
    const r = tg.rng('compare-kernels');
    const a = tg.randn([3, 1, 4], { rng: r }).mul(2).to('int32').to('float32');
    const b = tg.randn([5, 1], { rng: r }).mul(2).to('int32').to('float32');
    const ops = { eq: (x: number, y: number) => x === y, lt: (x: number, y: number) => x < y, ge: (x: number, y: number) => x >= y };
    for (const [name, f] of Object.entries(ops)) {
      const y = (tg as unknown as Record<string, (p: tg.Tensor, q: tg.Tensor) => tg.Tensor>)[name](a, b);
      expect(y.shape).toEqual([3, 5, 4]);
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 5; j++)
          for (let k = 0; k < 4; k++) {
            expect(y.data[i * 20 + j * 4 + k]).toBe(f(a.data[i * 4 + k], b.data[j]) ? 1 : 0);
          }
    }
  });
});
