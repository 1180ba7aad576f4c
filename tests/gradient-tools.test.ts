/**
 * SPEC §11's gradient tools: gradcheck's blame and kinks, fastMode, gradgradcheck, detectAnomaly,
 * tensor hooks and tg.func — against hand-derived values and the independent reference loops of
 * tests/reference-loops.ts.
 */
import * as tg from '../src';
import { conv2dRef } from './reference-loops';

const f64 = (data: number[], shape?: number[], requiresGrad = true) => tg.tensor(data, { shape, dtype: 'float64', requiresGrad });
const randn = (shape: number[], seed: number) => tg.randn(shape, { dtype: 'float64', rng: tg.rng(seed), requiresGrad: true });

/** x³ with a wrong backward (2x where 3x² belongs): the planted bug. */
const wrongCube = tg.definePrimitive('test_wrong_cube', {
  forward: ([x]) => tg.noGrad(() => tg.mul(tg.mul(x, x), x)),
  backward: (gy, [x]) => [tg.mul(gy, tg.mul(x, 2))],
});
/** x³ with a right first derivative whose backward is not differentiable (it reads values as a constant). */
const opaqueCube = tg.definePrimitive('test_opaque_cube', {
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

describe('gradcheck blame (Note [blame])', () => {
  test('a wrong rule deep inside a composed function is named: op, node id, input index and shapes', () => {
    const fn = (x: tg.Tensor, w: tg.Tensor) => {
      const h = tg.add(tg.relu(x), 0.5); // a correct rule that receives a wrong gradient from below
      const c = wrongCube.apply([h], undefined);
      return tg.tanh(tg.matmul(c, w)).sum();
    };
    const r = tg.gradcheck(fn, [randn([3, 4], 1), randn([4, 2], 2)]);
    expect(r.ok).toBe(false);
    expect(r.blame).not.toBeNull();
    expect(r.blame!.op).toBe('test_wrong_cube');
    expect(r.blame!.inputIndex).toBe(0);
    expect(r.blame!.inputShapes).toEqual([[3, 4]]);
    expect(r.blame!.maxAbsError).toBeGreaterThan(1e-3);
    // The node id is the one in the graph gradcheck built: a node of that op.
    expect(Number.isInteger(r.blame!.nodeId) && r.blame!.nodeId > 0).toBe(true);
  });

  test('every rule right on its own but the function is not differentiable as written: blame is null', () => {
    // A constant made from x's values cuts the gradient path: the output's gradient is wrong,
    // yet mul's rule is right for the inputs it saw.
    const r = tg.gradcheck(
      (x) =>
        tg
          .mul(
            x,
            tg.constant(
              Float64Array.from(x.data, (v) => 2 * v),
              x.shape,
            ),
          )
          .sum(),
      [randn([4], 3)],
    );
    expect(r.ok).toBe(false);
    expect(r.blame).toBeNull();
  });

  test('a passing check has no blame', () => {
    const r = tg.gradcheck((x) => tg.tanh(x).sum(), [randn([5], 4)]);
    expect(r).toMatchObject({ ok: true, blame: null, failures: [] });
  });
});

describe('kinks are reported as kinks, not as failures of the rule (Note [kinks])', () => {
  test.each([
    ['relu at 0', (x: tg.Tensor) => tg.relu(x), [0, 1.5, -2]],
    ['abs at 0 (abs′(0) = 0, the mean of ±1)', (x: tg.Tensor) => tg.abs(x), [0, 0.5]],
    ['max with a tie', (x: tg.Tensor) => tg.max(x), [2, 2, 1]],
    ['maximum with a tie (split equally)', (x: tg.Tensor) => tg.maximum(x, 1), [1, 3]],
  ] as [string, (x: tg.Tensor) => tg.Tensor, number[]][])('%s', (_label, fn, data) => {
    const r = tg.gradcheck(fn, [f64(data)]);
    expect(r.ok).toBe(true);
    expect(r.kinks.length).toBeGreaterThanOrEqual(1);
    expect(r.kinks[0]).toMatch(/a kink \(one-sided derivatives/);
  });

  test('a wrong value at a kink is still a failure', () => {
    const badRelu = tg.definePrimitive('test_bad_relu', {
      forward: ([x]) => tg.noGrad(() => tg.relu(x)),
      backward: (gy) => [tg.mul(gy, 5)],
    });
    const r = tg.gradcheck((x) => badRelu.apply([x], undefined), [f64([0, 1])]);
    expect(r.ok).toBe(false);
    expect(r.blame!.op).toBe('test_bad_relu');
  });
});

describe('fastMode (PyTorch fast_mode): random projections instead of the full Jacobian', () => {
  test('passes a right rule and catches a wrong one on an input too large for the full Jacobian', () => {
    const x = randn([5000], 5);
    expect(tg.gradcheck((v) => tg.tanh(v).mul(v).sum(), [x], { fastMode: true }).ok).toBe(true);
    const bad = tg.gradcheck((v) => wrongCube.apply([v], undefined).sum(), [x], { fastMode: true });
    expect(bad.ok).toBe(false);
    expect(bad.failures[0]).toMatch(/random direction/);
    expect(bad.blame!.op).toBe('test_wrong_cube');
  });
});

describe('gradgradcheck', () => {
  test('second derivatives through matmul and tanh pass', () => {
    const r = tg.gradgradcheck((x, w) => tg.tanh(tg.matmul(x, w)), [randn([2, 3], 6), randn([3, 2], 7)]);
    expect(r.ok).toBe(true);
    expect(r.blame).toBeNull();
  });

  test('a backward that is right but not differentiable fails the second order only, and its primitive is blamed', () => {
    const x = randn([4], 8);
    expect(tg.gradcheck((v) => opaqueCube.apply([v], undefined), [x]).ok).toBe(true);
    const r = tg.gradgradcheck((v) => opaqueCube.apply([v], undefined), [x]);
    expect(r.ok).toBe(false);
    // The rule's own backward, differentiated, misses the 6x its constant hides.
    expect(r.blame).toMatchObject({ op: 'test_opaque_cube', inputIndex: 0, inputShapes: [[4]] });
    expect(tg.gradcheck((v) => opaqueCube.apply([v], undefined), [x], { order: 2 }).ok).toBe(false);
  });
});

describe('detectAnomaly', () => {
  test('a non-finite forward output names the op, its shapes, the pass and where the op was called', () => {
    const x = f64([1, 0], [2], false);
    expect(() => tg.detectAnomaly(() => tg.log(x))).toThrow(
      /^detectAnomaly: log \(inputs \[2\]\) produced -Infinity in its forward output \[2\] at element 1; the op was called at\n.*gradient-tools\.test\.ts/s,
    );
  });

  test('a non-finite backward gradient names the rule, the input and the creation stack', () => {
    const x = f64([4, 0]);
    let caught: Error | undefined;
    try {
      tg.detectAnomaly(() => {
        const y = tg.sqrt(x); // sqrt'(0) = 1/(2·0): infinite
        y.sum().backward();
      });
    } catch (e) {
      caught = e as Error;
    }
    expect(caught?.message).toMatch(
      /^detectAnomaly: the backward of sqrt \(node #\d+, inputs \[2\], output \[2\]\) returned Infinity in the gradient of input 0 at element 1; the op was called at\n/,
    );
    expect(caught?.message).toMatch(/gradient-tools\.test\.ts/);
    expect(x.grad).toBeNull();
  });

  test('outside it nothing is checked and no stack is recorded; it returns fn’s value', () => {
    const y = tg.log(f64([0]));
    expect(y.data[0]).toBe(-Infinity);
    expect(y.node!.stack).toBeUndefined();
    expect(tg.detectAnomaly(() => 42)).toBe(42);
    const inside = tg.detectAnomaly(() => tg.exp(f64([1])));
    expect(typeof inside.node!.stack).toBe('string');
    expect(tg.isGradEnabled()).toBe(true);
  });
});

describe('tensor.registerHook', () => {
  test('on a leaf: a returned tensor replaces the gradient stored in .grad; hooks run in registration order', () => {
    const x = f64([1, 2]);
    const seen: string[] = [];
    x.registerHook((g) => {
      seen.push(`first ${g.toArray()}`);
      return tg.mul(g, 10);
    });
    x.registerHook((g) => {
      seen.push(`second ${g.toArray()}`);
    });
    tg.mul(x, 3).sum().backward();
    expect(seen).toEqual(['first 3,3', 'second 30,30']);
    expect(x.grad!.toArray()).toEqual([30, 30]);
  });

  test('on an intermediate: sees the gradient summed over all paths, and what it returns flows on', () => {
    const x = f64([2]);
    const h = tg.mul(x, x);
    const seen: number[] = [];
    h.registerHook((g) => {
      seen.push(g.item());
      return tg.mul(g, 0.5);
    });
    tg.add(h, tg.mul(h, 2)).sum().backward();
    expect(seen).toEqual([3]);
    // d/dx = 0.5 · 3 · 2x
    expect(x.grad!.item()).toBe(6);
    expect(h.grad).toBeNull();
  });

  test('remove() detaches a hook; tg.grad runs hooks too; bad hooks and bad targets are errors', () => {
    const x = f64([1]);
    const handle = x.registerHook((g) => tg.mul(g, 100));
    expect(tg.grad(tg.mul(x, 2), [x])[0]!.item()).toBe(200);
    handle.remove();
    expect(tg.grad(tg.mul(x, 2), [x])[0]!.item()).toBe(2);
    expect(() => f64([1], [1], false).registerHook(() => undefined)).toThrow('registerHook: the tensor of shape [1] does not require grad');
    const y = f64([1, 2]);
    y.registerHook(() => f64([1], [1], false));
    expect(() => tg.mul(y, 2).sum().backward()).toThrow('registerHook: a hook on a tensor of shape [2] returned a gradient of shape [1]');
  });
});

describe('tg.func', () => {
  test('vjp and jvp of a 2×2 matrix product, by hand: vᵀA and A·t; no .grad touched', () => {
    const A = f64([1, 2, 3, 4], [2, 2], false);
    const fn = (x: tg.Tensor) => tg.matmul(A, x);
    const x = f64([5, 6], [2, 1]);
    const { output, grads } = tg.func.vjp(fn, [x], [f64([1, -1], [2, 1], false)]);
    expect(output.toArray()).toEqual([[17], [39]]);
    expect(grads[0].toArray()).toEqual([[-2], [-2]]);
    const { tangent } = tg.func.jvp(fn, [x], [f64([1, 0], [2, 1], false)]);
    expect(tangent.toArray()).toEqual([[1], [3]]);
    expect(x.grad).toBeNull();
    expect(() => tg.func.vjp(fn, [x])).toThrow('vjp: the output has shape [2,1]; pass cotangents');
    expect(() => tg.func.jvp(fn, [x], [f64([1], [1])])).toThrow('jvp: tangents 0 has shape [1], expected [2,1]');
  });

  test('jacobian shapes [...out, ...in] and values: elementwise square gives diag(2x); an unused input gives zeros', () => {
    const x = f64([1, 2, 3]);
    const z = f64([7]);
    const [jx, jz] = tg.func.jacobian((a, _b) => tg.mul(a, a), [x, z]);
    expect(jx.shape).toEqual([3, 3]);
    expect(jx.toArray()).toEqual([
      [2, 0, 0],
      [0, 4, 0],
      [0, 0, 6],
    ]);
    expect(jz.shape).toEqual([3, 1]);
    expect(jz.toArray()).toEqual([[0], [0], [0]]);
    // A 0-d output: the Jacobian has the input's shape.
    expect(tg.func.jacobian((a) => tg.sum(tg.mul(a, a)), [x])[0].toArray()).toEqual([2, 4, 6]);
  });

  test('jacobian of conv2d with respect to its input and weight equals the matrices the reference loop defines', () => {
    const s = {
      n: 1,
      c: 2,
      h: 4,
      w: 4,
      k: 2,
      fh: 2,
      fw: 3,
      stride: [2, 1] as [number, number],
      padding: [1, 1] as [number, number],
      dilation: [1, 1] as [number, number],
      groups: 1,
    };
    const x = randn([1, 2, 4, 4], 11);
    const w = randn([2, 2, 2, 3], 12);
    const [jx, jw] = tg.func.jacobian((a, b) => tg.conv2d(a, b, null, { stride: s.stride, padding: s.padding }), [x, w]);
    const ref = conv2dRef(s, x.data, w.data, null);
    expect(jx.shape).toEqual([...ref.shape, 1, 2, 4, 4]);
    expect(jw.shape).toEqual([...ref.shape, 2, 2, 2, 3]);
    // Row o of the Jacobian is the gradient of output o: the reference loop with a one-hot gy.
    for (let o = 0; o < ref.y.length; o++) {
      const e = new Float64Array(ref.y.length);
      e[o] = 1;
      const r = conv2dRef(s, x.data, w.data, null, e);
      const rowX = Array.from(jx.data.subarray(o * x.size, (o + 1) * x.size));
      const rowW = Array.from(jw.data.subarray(o * w.size, (o + 1) * w.size));
      rowX.forEach((v, i) => expect(v).toBeCloseTo(r.gx[i], 12));
      rowW.forEach((v, i) => expect(v).toBeCloseTo(r.gw[i], 12));
    }
  });

  test('jacobian of maxPool2d is the 0/1 matrix that picks each window’s first maximum', () => {
    const x = f64([1, 5, 2, 5, 0, 3, 4, 3, 9, 9, 1, 0, 2, 8, 8, 7], [1, 1, 4, 4]);
    const [j] = tg.func.jacobian((a) => tg.maxPool2d(a, 2), [x]);
    expect(j.shape).toEqual([1, 1, 2, 2, 1, 1, 4, 4]);
    // Windows (row-major): {1,5,0,3} → index 1; {2,5,4,3} → index 3 (first 5); {9,9,2,8} → index 8; {1,0,8,7} → index 14.
    const picks = [1, 3, 8, 14];
    for (let o = 0; o < 4; o++) for (let i = 0; i < 16; i++) expect(j.data[o * 16 + i]).toBe(i === picks[o] ? 1 : 0);
  });

  test('jacobian with createGraph can be differentiated again: d/dx Σ J(x²) = Σ 2 = 2 per element of the diagonal', () => {
    const x = f64([1, 2]);
    const [j] = tg.func.jacobian((a) => tg.mul(tg.mul(a, a), a), [x], { createGraph: true });
    // J = diag(3x²); Σ J = 3(x0² + x1²); its gradient is 6x.
    const [g] = tg.grad(tg.sum(j), [x]);
    expect(g!.toArray()).toEqual([6, 12]);
    expect(x.grad).toBeNull();
  });

  test('hessian blocks [i][j] and hvp, by hand: f(x, y) = Σ x²·y', () => {
    const x = f64([1, 2]);
    const y = f64([3, 4]);
    const fn = (a: tg.Tensor, b: tg.Tensor) => tg.sum(tg.mul(tg.mul(a, a), b));
    const h = tg.func.hessian(fn, [x, y]);
    expect(h[0][0].shape).toEqual([2, 2]);
    expect(h[0][0].toArray()).toEqual([
      [6, 0],
      [0, 8],
    ]); // 2y on the diagonal
    expect(h[0][1].toArray()).toEqual([
      [2, 0],
      [0, 4],
    ]); // 2x
    expect(h[1][0].toArray()).toEqual([
      [2, 0],
      [0, 4],
    ]);
    expect(h[1][1].toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const { output, hvp } = tg.func.hvp(fn, [x, y], [f64([1, 0], [2], false), f64([0, 1], [2], false)]);
    expect(output.item()).toBe(3 + 16);
    // H·v = [H00·v0 + H01·v1, H10·v0 + H11·v1]
    expect(hvp[0].toArray()).toEqual([6, 4]);
    expect(hvp[1].toArray()).toEqual([2, 0]);
    expect(x.grad).toBeNull();
    expect(() => tg.func.hessian((a) => tg.mul(a, a), [x])).toThrow('hessian: fn must return a one-element tensor, got shape [2]');
  });

  test('jvp equals the Jacobian times the tangent, through conv2d and tanh', () => {
    const x = randn([1, 1, 4, 4], 13);
    const w = randn([2, 1, 3, 3], 14);
    const fn = (a: tg.Tensor) => tg.tanh(tg.conv2d(a, w, null, { padding: 1 }));
    const t = randn([1, 1, 4, 4], 15);
    const { tangent } = tg.func.jvp(fn, [x], [t]);
    const [j] = tg.func.jacobian(fn, [x]);
    const out = tangent.size;
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < x.size; i++) s += j.data[o * x.size + i] * t.data[i];
      expect(tangent.data[o]).toBeCloseTo(s, 12);
    }
  });
});
