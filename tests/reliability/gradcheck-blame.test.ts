/**
 * Issue #31, item 9: gradcheck's blame names the right input in fast mode. A custom op whose
 * gradient is wrong only for its second input is blamed on input 1, whatever the mode, and the
 * failure line names that input.
 */
import * as tg from '../../src';

const randn = (shape: number[], seed: number) => tg.randn(shape, { dtype: 'float64', rng: tg.rng(seed), requiresGrad: true });

/** a·b elementwise, whose gradient for b is gy·a·2 instead of gy·a: the planted bug, in input 1 only. */
const wrongInB = tg.definePrimitive('test_wrong_in_b', {
  forward: ([a, b]) => tg.noGrad(() => tg.mul(a, b)),
  backward: (gy, [a, b]) => [tg.mul(gy, b), tg.mul(gy, tg.mul(a, 2))],
});
/** The same with the bug in input 0. */
const wrongInA = tg.definePrimitive('test_wrong_in_a', {
  forward: ([a, b]) => tg.noGrad(() => tg.mul(a, b)),
  backward: (gy, [a, b]) => [tg.mul(gy, tg.mul(b, 3)), tg.mul(gy, a)],
});

describe.each([
  ['fast mode', { fastMode: true }, 50],
  ['full Jacobian', {}, 6],
  ['large inputs (random directions by size)', { fullJacobianLimit: 10 }, 50],
])('%s', (_label, opts, n) => {
  test('a rule wrong only for its second input is blamed on input 1', () => {
    const r = tg.gradcheck((a, b) => wrongInB.apply([a, b], undefined).sum(), [randn([n], 1), randn([n], 2)], opts);
    expect(r.ok).toBe(false);
    expect(r.blame).not.toBeNull();
    expect(r.blame!.op).toBe('test_wrong_in_b');
    expect(r.blame!.inputIndex).toBe(1);
    expect(r.blame!.inputShapes).toEqual([[n], [n]]);
    expect(r.failures.every((f) => /^input 1 /.test(f))).toBe(true);
  });

  test('a rule wrong only for its first input is blamed on input 0', () => {
    const r = tg.gradcheck((a, b) => wrongInA.apply([a, b], undefined).sum(), [randn([n], 3), randn([n], 4)], opts);
    expect(r.ok).toBe(false);
    expect(r.blame!.inputIndex).toBe(0);
    expect(r.failures.every((f) => /^input 0 /.test(f))).toBe(true);
  });
});

test('fast mode still passes a right two-input rule (the per-input directions add no false alarm)', () => {
  const r = tg.gradcheck((a, b) => tg.mul(a, tg.tanh(b)).sum(), [randn([300], 5), randn([300], 6)], { fastMode: true });
  expect(r.ok).toBe(true);
  expect(r.blame).toBeNull();
});

test('a wrong rule for the second input, deep in a graph, is blamed there in fast mode', () => {
  const r = tg.gradcheck(
    (a, b) => tg.tanh(wrongInB.apply([tg.sigmoid(a), tg.exp(b.mul(0.1))], undefined)).sum(),
    [randn([40], 7), randn([40], 8)],
    { fastMode: true },
  );
  expect(r.ok).toBe(false);
  expect(r.blame!.op).toBe('test_wrong_in_b');
  expect(r.blame!.inputIndex).toBe(1);
});
