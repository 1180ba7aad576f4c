/** Reductions (SPEC §2): sum, mean, max over axis lists, negative axes, keepDims, 0-d results; sumTo. */
import * as tg from '../src';

const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });
// x[i][j][k] = 100i + 10j + k, shape [2,3,2]
const cube = () =>
  tg.tensor(
    [
      [
        [0, 1],
        [10, 11],
        [20, 21],
      ],
      [
        [100, 101],
        [110, 111],
        [120, 121],
      ],
    ],
    { dtype: 'float64' },
  );

describe('sum', () => {
  test('a full reduction is 0-d', () => {
    const y = cube().sum();
    expect(y.shape).toEqual([]);
    expect(y.item()).toBe(2 * (0 + 1 + 10 + 11 + 20 + 21) + 6 * 100);
  });

  test('one axis, an axis list, negative axes', () => {
    expect(tg.sum(cube(), 0).toArray()).toEqual([
      [100, 102],
      [120, 122],
      [140, 142],
    ]);
    expect(cube().sum(1).toArray()).toEqual([
      [30, 33],
      [330, 333],
    ]);
    expect(cube().sum(-1).toArray()).toEqual([
      [1, 21, 41],
      [201, 221, 241],
    ]);
    expect(cube().sum([0, -1]).toArray()).toEqual([1 + 201, 21 + 221, 41 + 241]);
    expect(cube().sum([2, 0]).toArray()).toEqual([202, 242, 282]);
  });

  test('keepDims keeps reduced axes as size 1', () => {
    expect(cube().sum(1, true).shape).toEqual([2, 1, 2]);
    expect(cube().sum(undefined, true).shape).toEqual([1, 1, 1]);
    expect(cube().sum([0, 2], true).toArray()).toEqual([[[202], [242], [282]]]);
  });

  test('0-d input and empty axis lists', () => {
    expect(tg.tensor(5).sum().item()).toBe(5);
    expect(tg.tensor(5).sum().shape).toEqual([]);
    expect(cube().sum([]).toArray()).toEqual(cube().toArray());
  });

  test('zero-size: empty sums are 0', () => {
    expect(tg.zeros([0, 3]).sum().item()).toBe(0);
    expect(tg.zeros([0, 3]).sum(0).toArray()).toEqual([0, 0, 0]);
    expect(tg.zeros([0, 3]).sum(1).shape).toEqual([0]);
  });

  test('leading axes: each column summed row by row in float64, rounded once (every row count around the 8-row blocks)', () => {
    // The kernel adds eight rows into each column at once; the sums must keep the bits of the plain
    // row-by-row float64 loop, whatever the number of rows left over.
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 1e4;
    for (const rows of [1, 7, 8, 9, 15, 16, 17, 35]) {
      for (const dtype of ['float32', 'float64'] as const) {
        const cols = 13;
        const x = tg.tensor(Array.from({ length: rows * cols }, next), { shape: [rows, 1, cols], dtype });
        const expected = new Float64Array(cols);
        for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) expected[j] += x.data[r * cols + j];
        const want = dtype === 'float32' ? Array.from(Float32Array.from(expected)) : Array.from(expected);
        expect(Array.from(x.sum([0, 1]).data)).toEqual(want);
      }
    }
    // int32 sums exactly; the result keeps the dtype.
    const ints = tg.tensor(
      Array.from({ length: 11 * 3 }, (_, i) => i - 16),
      { shape: [11, 3], dtype: 'int32' },
    );
    expect(ints.sum(0).toArray()).toEqual(
      [0, 1, 2].map((j) => Array.from({ length: 11 }, (_, r) => r * 3 + j - 16).reduce((a, b) => a + b)),
    );
  });

  test('gradient broadcasts gy back over the reduced axes', () => {
    const x = f64(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      true,
    );
    x.sum(0).backward(f64([1, 2, 3]));
    expect(x.grad!.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    const z = f64(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      true,
    );
    z.sum(-1, true).backward(f64([[10], [20]]));
    expect(z.grad!.toArray()).toEqual([
      [10, 10, 10],
      [20, 20, 20],
    ]);
  });
});

describe('mean', () => {
  test('values and shapes', () => {
    expect(cube().mean().item()).toBeCloseTo((2 * 63 + 600) / 12, 12);
    expect(cube().mean(1).toArray()).toEqual([
      [10, 11],
      [110, 111],
    ]);
    expect(cube().mean([0, -1], true).shape).toEqual([1, 3, 1]);
    expect(cube().mean([0, -1], true).toArray()).toEqual([[[50.5], [60.5], [70.5]]]);
  });

  test('gradient is 1/count', () => {
    const x = f64(
      [
        [1, 2],
        [3, 4],
      ],
      true,
    );
    x.mean().backward();
    expect(x.grad!.toArray()).toEqual([
      [0.25, 0.25],
      [0.25, 0.25],
    ]);
  });
});

describe('max', () => {
  test('values, axes, keepDims', () => {
    const x = f64([
      [3, 9, 1],
      [7, 2, 8],
    ]);
    expect(x.max().item()).toBe(9);
    expect(x.max().shape).toEqual([]);
    expect(x.max(0).toArray()).toEqual([7, 9, 8]);
    expect(x.max(-1).toArray()).toEqual([9, 8]);
    expect(x.max(1, true).toArray()).toEqual([[9], [8]]);
    expect(cube().max([0, 2]).toArray()).toEqual([101, 111, 121]);
  });

  test('the gradient goes to the maximal element of each group', () => {
    const x = f64(
      [
        [3, 9, 1],
        [7, 2, 8],
      ],
      true,
    );
    x.max(0).backward(f64([1, 2, 3]));
    expect(x.grad!.toArray()).toEqual([
      [0, 2, 0],
      [1, 0, 3],
    ]);
  });

  test('ties: the gradient goes to the first maximal element (row-major)', () => {
    const x = f64(
      [
        [5, 1, 5],
        [5, 5, 0],
      ],
      true,
    );
    x.max().backward();
    expect(x.grad!.toArray()).toEqual([
      [1, 0, 0],
      [0, 0, 0],
    ]);
    const y = f64(
      [
        [5, 1, 5],
        [2, 7, 7],
      ],
      true,
    );
    y.max(1).sum().backward();
    expect(y.grad!.toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });

  test('NaN wins, as in NumPy', () => {
    expect(Number.isNaN(f64([1, NaN, 3]).max().item())).toBe(true);
  });

  test('trailing axes: each row scanned in order, the first maximum and the first NaN win (value and index)', () => {
    // Rows with ties, NaNs (first, middle, last, several), -Infinity only and single elements,
    // against a plain scan of each row.
    const rows = [
      [3, 1, 3, 2],
      [NaN, 5, NaN, 7],
      [1, 2, NaN, 9],
      [1, 2, 3, NaN],
      [-Infinity, -Infinity, -Infinity, -Infinity],
      [-0, 0, -1, -2],
    ];
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tg.tensor(rows, { dtype, requiresGrad: true });
      const y = tg.max(x, 1);
      const want = rows.map((r) => {
        let at = 0;
        for (let i = 1; i < r.length; i++) if (r[i] > r[at] || (Number.isNaN(r[i]) && !Number.isNaN(r[at]))) at = i;
        return at;
      });
      expect(Array.from(y.data)).toEqual(want.map((at, o) => rows[o][at]));
      y.sum().backward();
      expect(x.grad!.toArray()).toEqual(rows.map((r, o) => r.map((_, i) => (i === want[o] ? 1 : 0))));
    }
    // Two trailing axes form one run; int32 keeps its dtype.
    const ints = tg.tensor(
      [
        [
          [4, 9],
          [9, 1],
        ],
        [
          [-3, -8],
          [-1, -9],
        ],
      ],
      { dtype: 'int32' },
    );
    expect(tg.max(ints, [1, 2]).toArray()).toEqual([9, -1]);
    expect(ints.max([1, 2]).dtype).toBe('int32');
  });

  test('an empty batch of groups is fine; an empty group throws', () => {
    expect(tg.zeros([0, 3]).max(1).shape).toEqual([0]);
    expect(() => tg.zeros([0, 3]).max(0)).toThrow('max: cannot reduce over axis 0 of size 0 in shape [0,3]');
    expect(() => tg.zeros([0, 3]).max()).toThrow('max: cannot reduce over axis 0 of size 0 in shape [0,3]');
  });
});

describe('sumTo', () => {
  test('sums a broadcast shape back down', () => {
    const g = tg.ones([2, 4, 3]);
    expect(tg.sumTo(g, [4, 1]).toArray()).toEqual([[6], [6], [6], [6]]);
    expect(tg.sumTo(g, [2, 1, 3]).toArray()).toEqual([[[4, 4, 4]], [[4, 4, 4]]]);
    expect(tg.sumTo(g, []).item()).toBe(24);
    expect(tg.sumTo(g, [2, 4, 3])).toBe(g);
  });

  test('refuses a shape that does not broadcast to the gradient', () => {
    expect(() => tg.sumTo(tg.ones([2, 3]), [2])).toThrow('sumTo: shape [2,3] does not broadcast from [2]');
  });
});
