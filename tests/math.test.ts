/** SPEC §14's elementwise math: hand values, integer inputs, the step functions' zero gradients, clamp, lerp, errors. */
import * as tg from '../src';
import { erf, erfc, roundHalfEven } from '../src/kernels/js/special';

const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });

function expectClose(actual: tg.Tensor | null, expected: tg.NestedArray, digits = 12) {
  const flat = (v: tg.NestedArray): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  const want = flat(expected);
  const got = Array.from(actual!.data);
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => (Number.isFinite(w) ? expect(got[i]).toBeCloseTo(w, digits) : expect(got[i]).toBe(w)));
}

describe('unary math', () => {
  test('values match Math in float64', () => {
    const x = f64([-0.7, 0.2, 0.9]);
    const cases: [(t: tg.Tensor) => tg.Tensor, (v: number) => number][] = [
      [tg.sin, Math.sin],
      [tg.cos, Math.cos],
      [tg.tan, Math.tan],
      [tg.asin, Math.asin],
      [tg.acos, Math.acos],
      [tg.atan, Math.atan],
      [tg.sinh, Math.sinh],
      [tg.cosh, Math.cosh],
      [tg.log1p, Math.log1p],
      [tg.expm1, Math.expm1],
      [(t) => t.abs().log2(), (v) => Math.log2(Math.abs(v))],
      [(t) => t.abs().log10(), (v) => Math.log10(Math.abs(v))],
      [tg.square, (v) => v * v],
      [(t) => t.abs().rsqrt(), (v) => 1 / Math.sqrt(Math.abs(v))],
      [tg.reciprocal, (v) => 1 / v],
    ];
    for (const [f, g] of cases) expect(Array.from(f(x).data)).toEqual([-0.7, 0.2, 0.9].map(g));
    expect(tg.log2(f64([8, 1024])).toArray()).toEqual([3, 10]);
    expect(tg.log10(f64([1000])).toArray()).toEqual([3]);
  });

  test('erf and erfc: known values, symmetry, tails (Note [erf])', () => {
    // Reference values from Python's math.erf / math.erfc.
    const known: [number, number, number][] = [
      [0.5, 0.5204998778130465, 0.4795001221869535],
      [1, 0.8427007929497149, 0.15729920705028513],
      [2, 0.9953222650189527, 0.004677734981047266],
      [3.5, 0.9999992569016276, 7.43098372341412e-7],
      [6, 1, 2.1519736712498913e-17],
    ];
    for (const [x, e, c] of known) {
      expect(Math.abs(erf(x) - e)).toBeLessThanOrEqual(2e-15 * e);
      expect(Math.abs(erfc(x) - c)).toBeLessThanOrEqual(2e-15 * c);
      expect(erf(-x)).toBe(-erf(x));
      expect(Math.abs(erfc(-x) - (2 - c))).toBeLessThanOrEqual(4e-16);
    }
    expect([erf(0), erf(Infinity), erf(-Infinity), erfc(Infinity), erfc(-Infinity)]).toEqual([0, 1, -1, 0, 2]);
    expect(erf(NaN)).toBeNaN();
    expectClose(tg.erf(f64([0, 1])), [0, 0.8427007929497149], 15);
    expectClose(f64([1]).erfc(), [0.15729920705028513], 15);
  });

  test('round halves to even; floor, ceil, trunc, sign', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 0.49999999999999994].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 0]);
    const x = tg.tensor([-1.5, -0.5, 0.5, 1.5, 2.7]);
    expect(tg.round(x).toArray()).toEqual([-2, -0, 0, 2, 3]);
    expect(tg.floor(x).toArray()).toEqual([-2, -1, 0, 1, 2]);
    expect(x.ceil().toArray()).toEqual([-1, -0, 1, 2, 3]);
    expect(x.trunc().toArray()).toEqual([-1, -0, 0, 1, 2]);
    expect(tg.sign(tg.tensor([-3, 0, 2])).toArray()).toEqual([-1, 0, 1]);
    const i = tg.tensor([-3, 4], { dtype: 'int32' });
    expect([i.floor().dtype, i.sign().toArray(), i.sin().dtype]).toEqual(['int32', [-1, 1], 'float32']);
  });

  test('the step functions have zero gradients, as zeros (Note [steps])', () => {
    for (const f of [tg.sign, tg.floor, tg.ceil, tg.round, tg.trunc]) {
      const x = f64([0.3, -1.7], true);
      f(x)
        .mul(f64([5, 7]))
        .sum()
        .backward();
      expect(x.grad!.toArray()).toEqual([0, 0]);
    }
  });

  test('hand gradients: sin, erf, log1p', () => {
    const x = f64([0.5], true);
    tg.sin(x).backward();
    expectClose(x.grad, [Math.cos(0.5)]);
    const e = f64([1], true);
    tg.erf(e).backward();
    expectClose(e.grad, [(2 / Math.sqrt(Math.PI)) * Math.exp(-1)]);
    const l = f64([3], true);
    l.log1p().backward();
    expectClose(l.grad, [0.25]);
  });
});

describe('binary math', () => {
  test('atan2 quadrants and broadcasting', () => {
    const y = tg.atan2(f64([1, 1, -1, -1]), f64([1, -1, 1, -1]));
    expectClose(y, [Math.PI / 4, (3 * Math.PI) / 4, -Math.PI / 4, (-3 * Math.PI) / 4], 15);
    expect(tg.atan2(f64([[0], [1]]), f64([1, 0])).shape).toEqual([2, 2]);
    expect(tg.atan2(tg.tensor([1], { dtype: 'int32' }), tg.tensor([1], { dtype: 'int32' })).dtype).toBe('float32');
    const a = f64([1], true);
    const b = f64([2], true);
    tg.atan2(a, b).backward();
    expectClose(a.grad, [2 / 5]);
    expectClose(b.grad, [-1 / 5]);
  });

  test('fmod keeps the sign of a, remainder the sign of b; integers stay int32', () => {
    const a = f64([5.5, -5.5, 5.5, -5.5]);
    const b = f64([2, 2, -2, -2]);
    expect(tg.fmod(a, b).toArray()).toEqual([1.5, -1.5, 1.5, -1.5]);
    expect(tg.remainder(a, b).toArray()).toEqual([1.5, 0.5, -0.5, -1.5]);
    const i = tg.tensor([7, -7], { dtype: 'int32' });
    expect([i.fmod(3).dtype, i.fmod(3).toArray(), i.remainder(3).toArray()]).toEqual(['int32', [1, -1], [1, 2]]);
    expect(() => i.remainder(0)).toThrow('remainder: integer division by zero (a [2] int32, b [] int32)');
    expect(() => tg.fmod(i, tg.tensor([1, 0], { dtype: 'int32' }))).toThrow('fmod: integer division by zero (a [2] int32, b [2] int32)');
    expect(tg.fmod(f64([1]), 0).item()).toBeNaN();
  });

  test('fmod and remainder gradients: 1 to a, −trunc(a/b) or −floor(a/b) to b', () => {
    const a = f64([-5.5], true);
    const b = f64([2], true);
    tg.fmod(a, b).backward();
    expect([a.grad!.item(), b.grad!.item()]).toEqual([1, 2]);
    const c = f64([-5.5], true);
    const d = f64([2], true);
    tg.remainder(c, d).backward();
    expect([c.grad!.item(), d.grad!.item()]).toEqual([1, 3]);
  });
});

describe('clamp', () => {
  test('numbers, one-sided, tensors, and lo > hi as PyTorch (Note [clamp])', () => {
    const x = tg.tensor([-2, -1, 0, 1, 2]);
    expect(tg.clamp(x, -1, 1).toArray()).toEqual([-1, -1, 0, 1, 1]);
    expect(x.clamp(0).toArray()).toEqual([0, 0, 0, 1, 2]);
    expect(x.clamp(undefined, 0).toArray()).toEqual([-2, -1, 0, 0, 0]);
    expect(x.clamp(null, 0).toArray()).toEqual([-2, -1, 0, 0, 0]);
    expect(x.clamp(tg.tensor([0, 0, 0, 0, 5]), 3).toArray()).toEqual([0, 0, 0, 1, 3]);
    expect(x.clamp(1, -1).toArray()).toEqual([-1, -1, -1, -1, -1]);
    expect(tg.clamp(tg.tensor([NaN]), 0, 1).item()).toBeNaN();
    const i = tg.tensor([1, 5], { dtype: 'int32' });
    expect([i.clamp(2, 4).dtype, i.clamp(2, 4).toArray(), i.clamp(1.5).dtype]).toEqual(['int32', [2, 4], 'float32']);
    expect(() => tg.clamp(x)).toThrow('clamp: at least one of min and max must be given (x [5])');
  });

  test('gradient 1 on [min, max] inclusive; a tensor bound gets it where taken', () => {
    const x = f64([-2, -1, 0, 1, 2], true);
    tg.clamp(x, -1, 1)
      .mul(f64([1, 2, 3, 4, 5]))
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([0, 2, 3, 4, 0]);
    const lo = f64([0, 0], true);
    const y = f64([-1, 1], true);
    tg.clamp(y, lo).sum().backward();
    expect(lo.grad!.toArray()).toEqual([1, 0]);
    expect(y.grad!.toArray()).toEqual([0, 1]);
  });
});

describe('lerp', () => {
  test('values at both ends exact; weights as numbers or tensors', () => {
    const a = f64([1, 10]);
    const b = f64([3, 20]);
    expect(tg.lerp(a, b, 0).toArray()).toEqual([1, 10]);
    expect(tg.lerp(a, b, 1).toArray()).toEqual([3, 20]);
    expect(a.lerp(b, 0.25).toArray()).toEqual([1.5, 12.5]);
    expect(tg.lerp(a, b, f64([0.5, 0.1])).toArray()).toEqual([2, 11]);
    expect(tg.lerp(tg.tensor([0.1]), 0.3, 1).item()).toBe(Math.fround(0.3));
    expect(() => tg.lerp(tg.tensor([1], { dtype: 'int32' }), tg.tensor([2], { dtype: 'int32' }), 0.5)).toThrow(
      'lerp: int32 tensors are not supported (a [1] int32, b [1] int32)',
    );
  });

  test('gradients: 1 − w to a, w to b, b − a to w', () => {
    const a = f64([1], true);
    const b = f64([5], true);
    const w = f64([0.75], true);
    tg.lerp(a, b, w).backward();
    expect([a.grad!.item(), b.grad!.item(), w.grad!.item()]).toEqual([0.25, 0.75, 4]);
  });
});

describe('errors name the op and dtype', () => {
  test('shapes that do not broadcast', () => {
    expect(() => tg.atan2(tg.ones([2]), tg.ones([3]))).toThrow('atan2: shapes [2] and [3] cannot be broadcast together');
  });
});

test('expectClose is not vacuous', () => {
  expect(() => expectClose(f64([1]), [2])).toThrow();
});
