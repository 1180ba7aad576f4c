/**
 * gradcheck itself (SPEC §6): it passes right rules and, what makes every gradient test meaningful,
 * it fails wrong ones and says which input and element disagreed.
 */
import * as tg from '../src';

const square = (x: tg.Tensor) =>
  new tg.Tensor(
    x.data.map((v) => v * v),
    x.shape,
  );

/** d(x²)/dx written as 3x: wrong everywhere but at 0. */
const wrongSquare = tg.definePrimitive('test_wrongSquare', {
  forward: ([x]) => square(x),
  backward: (gy, [x]) => [tg.mul(gy, x).mul(3)],
});

/** Right for gy = 1 only: forgets to multiply by the incoming gradient. */
const forgetsGy = tg.definePrimitive('test_forgetsGy', {
  forward: ([x]) => square(x),
  backward: (_gy, [x]) => [tg.mul(x, 2)],
});

/** Right first derivative, but computed from raw values, so its own derivative is lost (zero). */
const rawBackward = tg.definePrimitive('test_rawBackwardSquare', {
  forward: ([x]) => square(x),
  backward: (gy, [x]) => [
    tg.mul(
      gy,
      new tg.Tensor(
        x.data.map((v) => 2 * v),
        x.shape,
      ),
    ),
  ],
});

const input = (values: number[], requiresGrad = true) => tg.tensor(values, { dtype: 'float64', requiresGrad });

describe('gradcheck', () => {
  test('passes right rules, at orders 1 and 2, with tiny reported errors', () => {
    const r = tg.rng('gc');
    const a = tg.randn([3, 4], { rng: r, requiresGrad: true });
    const b = tg.randn([4, 2], { rng: r, requiresGrad: true });
    const result = tg.gradcheck((x, w) => tg.tanh(tg.matmul(x, w)), [a, b], { order: 2 });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.maxAbsError).toBeLessThan(1e-7);
    expect(result.maxRelError).toBeLessThan(1e-5);
  });

  test('fails a wrong rule and names the input and element', () => {
    const result = tg.gradcheck((x) => wrongSquare.apply([x], undefined), [input([1, -2, 0.5])]);
    expect(result.ok).toBe(false);
    expect(result.failures).toHaveLength(3);
    expect(result.failures[0]).toMatch(/^input 0 \[3\] element 0: analytic -?[\d.e-]+ vs numeric -?[\d.e-]+$/);
    expect(result.failures[2]).toMatch(/^input 0 \[3\] element 2:/);
    expect(result.maxAbsError).toBeGreaterThan(0.1);
    expect(result.maxRelError).toBeCloseTo(0.5, 5);
  });

  test('names the right input when only the second one is wrong', () => {
    const result = tg.gradcheck((a, b) => tg.add(tg.sum(a), tg.sum(wrongSquare.apply([b], undefined))), [input([1, 2]), input([0.7])]);
    expect(result.ok).toBe(false);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatch(/^input 1 \[1\] element 0:/);
  });

  test('catches a rule that ignores the incoming gradient (gy is random, not ones)', () => {
    const result = tg.gradcheck((x) => forgetsGy.apply([x], undefined), [input([1, -2, 0.5, 3])]);
    expect(result.ok).toBe(false);
  });

  test('order 2 catches a backward that cannot be differentiated; order 1 does not', () => {
    const fn = (x: tg.Tensor) => rawBackward.apply([x], undefined);
    expect(tg.gradcheck(fn, [input([1, -2, 0.5])]).ok).toBe(true);
    const second = tg.gradcheck(fn, [input([1, -2, 0.5])], { order: 2 });
    expect(second.ok).toBe(false);
    expect(second.failures[0]).toMatch(/^d\(grad of input 0\)\/dinput 0 \[3\] element 0: analytic 0 vs numeric/);
  });

  test('large inputs are checked along random directions, which also catch a wrong rule', () => {
    const x = tg.randn([30], { rng: tg.rng('dirs'), requiresGrad: true });
    expect(tg.gradcheck((v) => tg.tanh(v), [x], { fullJacobianLimit: 10 }).ok).toBe(true);
    const bad = tg.gradcheck((v) => wrongSquare.apply([v], undefined), [x], { fullJacobianLimit: 10 });
    expect(bad.ok).toBe(false);
    expect(bad.failures[0]).toMatch(/^input 0 \[30\] random direction 0:/);
  });

  test("checks only inputs that require grad and leaves the callers' tensors unchanged", () => {
    const x = input([0.3, 0.4]);
    const c = input([1, 2], false);
    const result = tg.gradcheck((a, b) => wrongSquare.apply([tg.mul(a, 0)], undefined).add(b.mul(a)), [x, c]);
    // The wrong rule only ever sees 0, where 3x and 2x agree.
    expect(result.ok).toBe(true);
    expect(Array.from(x.data)).toEqual([0.3, 0.4]);
    expect(x.dtype).toBe('float64');
  });

  test('float32 inputs are checked in float64', () => {
    const x = tg.tensor([0.3, -1.2], { requiresGrad: true });
    const result = tg.gradcheck((v) => tg.exp(v), [x]);
    expect(result.ok).toBe(true);
    expect(result.maxAbsError).toBeLessThan(1e-8);
  });

  test('throws when no input requires grad', () => {
    expect(() => tg.gradcheck((v) => tg.exp(v), [input([1], false)])).toThrow('gradcheck: no input requires grad');
  });
});
