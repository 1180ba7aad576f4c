/**
 * Gradient tests as a first-class use (issue #32): tg.testing.assertGradcheck / assertGradgradcheck
 * throw with the blamed op, the worst elements (analytic vs numeric, with indices) and a hint; the
 * result prints as a summary; tapegrad/jest's matchers (src/testing/jest.ts) fail with that text.
 */
import * as tg from '../src';
import { gradientMatchers } from '../src/testing/jest';

const f64 = (data: number[], shape?: number[]) => tg.tensor(data, { shape, dtype: 'float64', requiresGrad: true });

/** x³ with a wrong backward (2x where 3x² belongs). */
const wrongCube = tg.definePrimitive('testing_wrong_cube', {
  forward: ([x]) => tg.noGrad(() => tg.mul(tg.mul(x, x), x)),
  backward: (gy, [x]) => [tg.mul(gy, tg.mul(x, 2))],
});
/** x³ with a right first derivative whose backward reads values as a constant (not differentiable). */
const opaqueCube = tg.definePrimitive('testing_opaque_cube', {
  forward: ([x]) => tg.noGrad(() => tg.mul(tg.mul(x, x), x)),
  backward: (gy, [x]) => [
    tg.mul(
      gy,
      tg.constant(
        Float64Array.from(x.data, (v) => 3 * v * v),
        x.shape,
      ),
    ),
  ],
});
const cubeWrong = (x: tg.Tensor) => wrongCube.apply([x], undefined).sum();

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

describe('tg.testing.assertGradcheck', () => {
  test('passes quietly and returns the result, which prints as a one-line summary', () => {
    const r = tg.testing.assertGradcheck(
      (x, w) => tg.matmul(x, w).tanh(),
      [f64([1, 2, 3, 4, 5, 6], [2, 3]), f64([0.1, -0.2, 0.3], [3, 1])],
    );
    expect(r.ok).toBe(true);
    expect(String(r)).toMatch(/^gradcheck passed: 9 comparisons, max abs error [\d.e-]+, max rel error [\d.e-]+$/);
    expect(`${r}`).toBe(r.toString());
    // The record still compares as SPEC's plain object.
    expect(r).toMatchObject({ ok: true, blame: null, failures: [], worst: [] });
  });

  test('a wrong rule: the message names the op, the worst elements largest first with their indices, and a hint', () => {
    // d(x³)/dx = 3x², the rule says 2x: the error at element i is |gy|·|3x²−2x| = |gy|·(1, 8, 21) for x = (1, 2, 3),
    // so element [2] is worst, then [1], then [0]; analytic/numeric = 2/(3x).
    const e = thrown(() => tg.testing.assertGradcheck(cubeWrong, [f64([1, 2, 3])]));
    const lines = e.message.split('\n');
    expect(lines[0]).toMatch(
      /^assertGradcheck: gradcheck failed: 3 of 3 comparisons disagree \(max abs error [\d.e-]+, max rel error [\d.e-]+\)$/,
    );
    expect(lines[1]).toMatch(
      /^ {2}blamed op: testing_wrong_cube \(node #\d+, inputs \[3\]\): its own backward disagrees with finite differences of its forward for input 0/,
    );
    expect(lines[2]).toBe('  worst elements (analytic vs numeric):');
    expect(lines.slice(3, 6).map((l) => /^ {4}input 0 \[3\] element (\d) at \[(\d)\]: analytic/.exec(l)?.slice(1))).toEqual([
      ['2', '2'],
      ['1', '1'],
      ['0', '0'],
    ]);
    expect(lines[6]).toMatch(/^ {2}hint: the backward rule of testing_wrong_cube is wrong for its input 0: .*gy/);
    const result = (e as Error & { result: tg.GradcheckResult }).result;
    expect(result.worst.map((w) => w.index)).toEqual([[2], [1], [0]]);
    result.worst.forEach((w) => {
      const x = w.index![0] + 1;
      expect(w.analytic / w.numeric).toBeCloseTo(2 / (3 * x), 6);
      expect(w.absError).toBeCloseTo(Math.abs(w.analytic - w.numeric), 12);
    });
  });

  test('indices are in the input’s own shape: element 5 of a [2,3] input is at [1,2]', () => {
    const x = f64([1, 1, 1, 1, 1, 3], [2, 3]);
    const e = thrown(() => tg.testing.assertGradcheck(cubeWrong, [x], { atol: 0, rtol: 0.2 }));
    // Only where 2x and 3x² differ by more than 20%: x = 3 (element 5) fails, x = 1 (2 vs 3) fails too; 3·9 vs 6 is worst.
    expect(e.message).toMatch(/\n {4}input 0 \[2,3\] element 5 at \[1,2\]: analytic /);
    expect(e.message.indexOf('element 5 at [1,2]')).toBeLessThan(e.message.indexOf('element 0 at [0,0]'));
  });

  test('when every rule is right on its own, no op is blamed and the hint says where else to look', () => {
    const fn = (x: tg.Tensor) =>
      tg
        .mul(
          x,
          tg.constant(
            Float64Array.from(x.data, (v) => 2 * v),
            x.shape,
          ),
        )
        .sum();
    const e = thrown(() => tg.testing.assertGradcheck(fn, [f64([0.5, -1])]));
    expect(e.message).toMatch(/\n {2}blamed op: none \(every op of the graph passes its own check\)\n/);
    expect(e.message).toMatch(/\n {2}hint: every op passes its own check, so the fault is in how fn uses them: a non-differentiable step/);
  });

  test('fastMode says it compared along random directions, and the hint suggests running without it', () => {
    const fn = (x: tg.Tensor) =>
      tg
        .mul(
          x,
          tg.constant(
            Float64Array.from(x.data, (v) => 2 * v),
            x.shape,
          ),
        )
        .sum();
    const e = thrown(() => tg.testing.assertGradcheck(fn, [f64([0.5, -1, 2])], { fastMode: true }));
    expect(e.message).toMatch(/^assertGradcheck: gradcheck failed: 4 of 4 comparisons along random directions disagree/);
    expect(e.message).toMatch(/\n {4}(input 0 \[3\] )?random direction \d: analytic /);
    expect(e.message).toMatch(/run without it to see single elements$/);
  });

  test('bad arguments are Errors naming the assertion', () => {
    expect(() => tg.testing.assertGradcheck(42 as never, [f64([1])])).toThrow(
      /^assertGradcheck: fn must be a function of the input tensors, got number$/,
    );
    expect(() => tg.testing.assertGradcheck(cubeWrong, f64([1]) as never)).toThrow(/^assertGradcheck: inputs must be an array of tensors/);
    expect(() => tg.testing.assertGradgradcheck(cubeWrong, [f64([1]), [1] as never])).toThrow(
      /^assertGradgradcheck: inputs\[1\] is not a Tensor/,
    );
  });
});

describe('tg.testing.assertGradgradcheck', () => {
  test('a backward that is right but not differentiable fails at second order, naming the op', () => {
    const fn = (x: tg.Tensor) => opaqueCube.apply([x], undefined);
    expect(tg.testing.assertGradcheck(fn, [f64([0.5, 2])]).ok).toBe(true);
    const e = thrown(() => tg.testing.assertGradgradcheck(fn, [f64([0.5, 2])]));
    expect(e.message).toMatch(/^assertGradgradcheck: gradgradcheck failed: 2 of 2 comparisons disagree/);
    expect(e.message).toMatch(/\n {2}blamed op: testing_opaque_cube /);
    // d/dx of the gradient 3x²·gy is 6x·gy; the opaque rule gives 0.
    expect(e.message).toMatch(/\n {4}d\(grad of input 0\)\/dinput 0 \[2\] element 1 at \[1\]: analytic 0 vs numeric /);
  });

  test('passes for a smooth composite, and the summary says gradgradcheck', () => {
    const r = tg.testing.assertGradgradcheck((x) => tg.sigmoid(x).mul(x).sum(), [f64([0.3, -0.7])]);
    expect(String(r)).toMatch(/^gradgradcheck passed: 2 comparisons/);
  });
});

describe('tapegrad/jest matchers', () => {
  const x = () => f64([0.5, -1.5, 2]);

  test('toPassGradcheck and toPassGradgradcheck pass for correct functions', () => {
    expect((v: tg.Tensor) => tg.tanh(v).sum()).toPassGradcheck([x()]);
    expect((v: tg.Tensor) => tg.tanh(v).sum()).toPassGradgradcheck([x()], { atol: 1e-5 });
  });

  test('a failure is jest’s failure, with the blamed op and the worst elements in its message', () => {
    expect(() => expect(cubeWrong).toPassGradcheck([x()])).toThrow(
      /toPassGradcheck: gradcheck failed: 3 of 3 comparisons[\s\S]*blamed op: testing_wrong_cube[\s\S]*element 2 at \[2\]/,
    );
    expect(cubeWrong).not.toPassGradcheck([x()]);
  });

  test('.not on a passing function fails and says it passed', () => {
    expect(() => expect((v: tg.Tensor) => v.sum()).not.toPassGradcheck([x()])).toThrow(
      /expected fn not to pass gradcheck, but it did:\ngradcheck passed/,
    );
  });

  test('the matchers are exported for expect.extend, and check their arguments', () => {
    expect(Object.keys(gradientMatchers)).toEqual(['toPassGradcheck', 'toPassGradgradcheck']);
    expect(() => gradientMatchers.toPassGradcheck('f', [x()])).toThrow(/^toPassGradcheck: fn must be a function/);
    const r = gradientMatchers.toPassGradcheck(cubeWrong, [x()]);
    expect(r.pass).toBe(false);
    expect(r.message()).toMatch(/^toPassGradcheck: gradcheck failed/);
  });

  test('they are typed: a wrong argument is a compile error', () => {
    const fn = (v: tg.Tensor) => v.sum();
    // @ts-expect-error inputs must be tensors
    expect(() => expect(fn).toPassGradcheck(42)).toThrow(/inputs must be an array/);
    // @ts-expect-error gradgradcheck takes no order
    expect(fn).toPassGradgradcheck([x()], { order: 2 });
  });
});
