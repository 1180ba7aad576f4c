/** Elementwise ops (SPEC §2): hand-derived values and gradients, broadcasting, dtype rules, kinks. */
import * as tg from '../src';

const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });

function expectClose(actual: tg.Tensor | null, expected: tg.NestedArray, digits = 10) {
  const flat = (v: tg.NestedArray): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  const want = flat(expected);
  const got = Array.from(actual!.data);
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
}

describe('binary ops: values', () => {
  const a = f64([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = f64([10, 20, 30]);
  test.each([
    [
      'add',
      tg.add,
      [
        [11, 22, 33],
        [14, 25, 36],
      ],
    ],
    [
      'sub',
      tg.sub,
      [
        [-9, -18, -27],
        [-6, -15, -24],
      ],
    ],
    [
      'mul',
      tg.mul,
      [
        [10, 40, 90],
        [40, 100, 180],
      ],
    ],
    [
      'div',
      tg.div,
      [
        [0.1, 0.1, 0.1],
        [0.4, 0.25, 0.2],
      ],
    ],
  ] as const)('%s broadcasts [2,3] with [3]', (_n, op, expected) => {
    const y = op(a, b);
    expect(y.shape).toEqual([2, 3]);
    expectClose(y, expected as unknown as tg.NestedArray);
  });

  test('pow, maximum, minimum', () => {
    expectClose(tg.pow(f64([2, 3, 4]), f64([3, 0.5, -1])), [8, Math.sqrt(3), 0.25]);
    expectClose(tg.maximum(f64([1, 5, -2]), f64([3, 4, -2])), [3, 5, -2]);
    expectClose(tg.minimum(f64([1, 5, -2]), f64([3, 4, -3])), [1, 4, -3]);
  });

  test('broadcasting both ways: [2,1,3] + [4,1] gives [2,4,3]', () => {
    const x = tg.arange(6).reshape([2, 1, 3]);
    const y = tg.arange(4).mul(10).reshape([4, 1]);
    const z = x.add(y);
    expect(z.shape).toEqual([2, 4, 3]);
    const arr = z.toArray() as number[][][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) expect(arr[i][j][k]).toBe(3 * i + k + 10 * j);
  });

  test('numbers are accepted on either side', () => {
    const x = f64([1, 2]);
    expectClose(tg.sub(10, x), [9, 8]);
    expectClose(x.div(4), [0.25, 0.5]);
    expectClose(tg.pow(2, x), [2, 4]);
    expect(tg.add(2, 3).item()).toBe(5);
    expect(tg.add(2, 3).shape).toEqual([]);
  });

  test("0-d with 0-d stays 0-d; 0-d with a tensor takes the tensor's shape", () => {
    expect(tg.mul(tg.tensor(2), tg.tensor(3)).shape).toEqual([]);
    expect(tg.mul(tg.tensor(2), tg.ones([2, 3])).shape).toEqual([2, 3]);
  });

  test('zero-size operands broadcast to zero-size results', () => {
    expect(tg.add(tg.zeros([0, 3]), tg.ones([3])).shape).toEqual([0, 3]);
    expect(tg.add(tg.zeros([2, 0]), tg.ones([2, 1])).shape).toEqual([2, 0]);
  });
});

describe('dtype rules', () => {
  test("a plain number takes the tensor's dtype: f32.add(2) stays float32", () => {
    expect(tg.ones([2]).add(2).dtype).toBe('float32');
    expect(tg.mul(3, tg.ones([2])).dtype).toBe('float32');
    expect(tg.ones([2], { dtype: 'float64' }).add(2).dtype).toBe('float64');
  });

  test('two dtypes promote to float64; one dtype stays', () => {
    const f32 = tg.ones([2]);
    const f64t = tg.ones([2], { dtype: 'float64' });
    expect(f32.add(f64t).dtype).toBe('float64');
    expect(f64t.mul(f32).dtype).toBe('float64');
    expect(f32.add(f32).dtype).toBe('float32');
    expect(tg.maximum(f32, f64t).dtype).toBe('float64');
  });

  test('unary ops keep the dtype', () => {
    expect(tg.exp(tg.ones([1])).dtype).toBe('float32');
    expect(tg.tanh(tg.ones([1], { dtype: 'float64' })).dtype).toBe('float64');
  });

  test('cast converts and its gradient comes back in the input dtype', () => {
    const x = tg.tensor([1.5, 2], { requiresGrad: true });
    const y = x.cast('float64');
    expect(y.dtype).toBe('float64');
    expect(tg.cast(x, 'float32')).toBe(x);
    y.mul(y).sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expectClose(x.grad, [3, 4]);
  });
});

describe('unary ops: values', () => {
  test.each([
    ['neg', tg.neg, [-0.5, 2], [0.5, -2]],
    ['exp', tg.exp, [0, 1], [1, Math.E]],
    ['log', tg.log, [1, Math.E], [0, 1]],
    ['sqrt', tg.sqrt, [4, 2], [2, Math.SQRT2]],
    ['abs', tg.abs, [-3, 2], [3, 2]],
    ['relu', tg.relu, [-3, 2], [0, 2]],
    ['tanh', tg.tanh, [0, 1], [0, Math.tanh(1)]],
    ['sigmoid', tg.sigmoid, [0, 2], [0.5, 1 / (1 + Math.exp(-2))]],
  ] as const)('%s', (_n, op, x, y) => {
    expectClose(op(f64([...x])), [...y]);
  });

  test('sigmoid is stable for large |x|', () => {
    const y = tg.sigmoid(tg.tensor([-1000, -50, 50, 1000]));
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    expect(y.data[0]).toBe(0);
    expect(y.data[3]).toBe(1);
    expect(y.data[1]).toBeCloseTo(Math.exp(-50), 25);
  });

  test('methods mirror the functions', () => {
    const x = f64([0.5, 1.5]);
    expectClose(
      x.exp().log().sqrt().tanh().sigmoid().neg().abs().relu(),
      tg.relu(tg.abs(tg.neg(tg.sigmoid(tg.tanh(tg.sqrt(tg.log(tg.exp(x)))))))).toArray(),
    );
  });
});

describe('gradients by hand', () => {
  test('binary rules, with the broadcast input summed back', () => {
    const a = f64(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      true,
    );
    const b = f64([1, 2, 4], true);
    const gy = f64([
      [1, -1, 2],
      [0.5, 3, -2],
    ]);
    a.mul(b).backward(gy);
    expectClose(a.grad, [
      [1, -2, 8],
      [0.5, 6, -8],
    ]);
    // Σ over rows of gy · a
    expectClose(b.grad, [1 + 2, -2 + 15, 6 - 12]);
  });

  test('div: d/da = gy/b, d/db = -gy·a/b²', () => {
    const a = f64([3, -2], true);
    const b = f64([2, 4], true);
    a.div(b).backward(f64([1, 2]));
    expectClose(a.grad, [0.5, 0.5]);
    expectClose(b.grad, [-3 / 4, (2 * 2) / 16]);
  });

  test('pow: d/da = b·a^(b-1), d/db = a^b·ln a', () => {
    const a = f64([2, 3], true);
    const b = f64([3, 2], true);
    a.pow(b).sum().backward();
    expectClose(a.grad, [12, 6]);
    expectClose(b.grad, [8 * Math.log(2), 9 * Math.log(3)]);
  });

  test('pow at a = 0: d/db is 0 (as PyTorch), not NaN', () => {
    const a = f64([0, 0], true);
    const b = f64([2, 3], true);
    a.pow(b).sum().backward();
    expectClose(b.grad, [0, 0]);
    expectClose(a.grad, [0, 0]);
  });

  test('unary rules', () => {
    const at = (f: (t: tg.Tensor) => tg.Tensor) => {
      const v = f64([0.5, 2], true);
      return tg.grad(f(v).sum(), [v])[0];
    };
    expectClose(at(tg.neg), [-1, -1]);
    expectClose(at(tg.exp), [Math.exp(0.5), Math.exp(2)]);
    expectClose(at(tg.log), [2, 0.5]);
    expectClose(at(tg.sqrt), [1 / (2 * Math.sqrt(0.5)), 1 / (2 * Math.SQRT2)]);
    expectClose(at(tg.tanh), [1 - Math.tanh(0.5) ** 2, 1 - Math.tanh(2) ** 2]);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    expectClose(at(tg.sigmoid), [s(0.5) * (1 - s(0.5)), s(2) * (1 - s(2))]);
  });

  test("kinks: relu'(0) = 0, abs'(0) = 0, maximum/minimum split a tie equally", () => {
    const x = f64([-1, 0, 2], true);
    x.relu().sum().backward();
    expectClose(x.grad, [0, 0, 1]);
    const y = f64([-1, 0, 2], true);
    y.abs().sum().backward();
    expectClose(y.grad, [-1, 0, 1]);
    const a = f64([1, 2, 3], true);
    const b = f64([3, 2, 1], true);
    tg.maximum(a, b).sum().backward();
    expectClose(a.grad, [0, 0.5, 1]);
    expectClose(b.grad, [1, 0.5, 0]);
    const c = f64([1, 2, 3], true);
    const e = f64([3, 2, 1], true);
    tg.minimum(c, e).sum().backward();
    expectClose(c.grad, [1, 0.5, 0]);
    expectClose(e.grad, [0, 0.5, 1]);
  });

  test('a 0-d operand broadcast against a tensor gets the summed gradient', () => {
    const s = f64(2, true);
    const x = f64(
      [
        [1, 2],
        [3, 4],
      ],
      true,
    );
    s.mul(x).sum().backward();
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad!.item()).toBe(10);
    expectClose(x.grad, [
      [2, 2],
      [2, 2],
    ]);
  });
});

test('maximum and minimum give the whole gradient to both sides where either is NaN, half each on a tie (PyTorch’s derivative)', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [op, f] of [
      ['maximum', tg.maximum],
      ['minimum', tg.minimum],
    ] as const) {
      const a = tg.tensor([NaN, 1, 2, 3, 5], { dtype, requiresGrad: true });
      const b = tg.tensor([0, NaN, 2, 4, 1], { dtype, requiresGrad: true });
      f(a, b).sum().backward();
      // Column 3: 3 vs 4 (b wins a maximum, a a minimum); column 4: 5 vs 1 (the other way).
      const [wa, wb] =
        op === 'maximum'
          ? [
              [1, 1, 0.5, 0, 1],
              [1, 1, 0.5, 1, 0],
            ]
          : [
              [1, 1, 0.5, 1, 0],
              [1, 1, 0.5, 0, 1],
            ];
      expect([op, dtype, Array.from(a.grad!.data), Array.from(b.grad!.data)]).toEqual([op, dtype, wa, wb]);
    }
  }
});
