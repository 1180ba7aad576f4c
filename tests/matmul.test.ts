/** matmul (SPEC §2): 2-D, batched with broadcast, 1-D operands as in NumPy; values against naive loops. */
import * as tg from '../src';

const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });

/** The textbook triple loop on nested arrays. */
function naive(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, p) => s + v * b[p][j], 0)));
}

describe('matmul', () => {
  test('2-D by hand', () => {
    const y = tg.matmul(
      f64([
        [1, 2],
        [3, 4],
      ]),
      f64([
        [5, 6],
        [7, 8],
      ]),
    );
    expect(y.toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(
      f64([[1, 2, 3]])
        .matmul(f64([[1], [2], [3]]))
        .toArray(),
    ).toEqual([[14]]);
  });

  test('odd sizes agree with a naive triple loop', () => {
    const r = tg.rng('mm');
    for (const [n, k, m] of [
      [1, 1, 1],
      [5, 7, 3],
      [9, 4, 11],
      [4, 1, 6],
    ]) {
      const a = tg.randn([n, k], { rng: r, dtype: 'float64' });
      const b = tg.randn([k, m], { rng: r, dtype: 'float64' });
      const want = naive(a.toArray() as number[][], b.toArray() as number[][]).flat();
      tg.matmul(a, b).data.forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
    }
  });

  test('batched with broadcast: [2,1,2,3] @ [3,3,2] is [2,3,2,2], each block a plain product', () => {
    const r = tg.rng('batch');
    const a = tg.randn([2, 1, 2, 3], { rng: r, dtype: 'float64' });
    const b = tg.randn([3, 3, 2], { rng: r, dtype: 'float64' });
    const y = tg.matmul(a, b);
    expect(y.shape).toEqual([2, 3, 2, 2]);
    const A = a.toArray() as number[][][][];
    const B = b.toArray() as number[][][];
    const Y = y.toArray() as number[][][][];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        naive(A[i][0], B[j])
          .flat()
          .forEach((v, t) => expect(Y[i][j].flat()[t]).toBeCloseTo(v, 12));
      }
    }
  });

  test('1-D operands: a row on the left, a column on the right, and that axis dropped', () => {
    const v = f64([1, 2, 3]);
    const m = f64([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    expect(tg.matmul(v, m).toArray()).toEqual([4, 5]);
    expect(tg.matmul(m.transpose(), v).toArray()).toEqual([4, 5]);
    const dot = tg.matmul(v, v);
    expect(dot.shape).toEqual([]);
    expect(dot.item()).toBe(14);
    const batched = tg.matmul(v, tg.stack([m, m.mul(2)]));
    expect(batched.shape).toEqual([2, 2]);
    expect(batched.toArray()).toEqual([
      [4, 5],
      [8, 10],
    ]);
    expect(tg.matmul(tg.stack([m.transpose(), m.transpose()]), v).shape).toEqual([2, 2]);
  });

  test('gradients: ga = gy bᵀ, gb = aᵀ gy, broadcast batch axes summed', () => {
    const a = f64(
      [
        [1, 2],
        [3, 4],
      ],
      true,
    );
    const b = f64(
      [
        [5, 6],
        [7, 8],
      ],
      true,
    );
    const gy = f64([
      [1, 0],
      [2, -1],
    ]);
    tg.matmul(a, b).backward(gy);
    expect(a.grad!.toArray()).toEqual(
      naive(
        [
          [1, 0],
          [2, -1],
        ],
        [
          [5, 7],
          [6, 8],
        ],
      ),
    );
    expect(b.grad!.toArray()).toEqual(
      naive(
        [
          [1, 3],
          [2, 4],
        ],
        [
          [1, 0],
          [2, -1],
        ],
      ),
    );

    const w = f64(
      [
        [1, 2],
        [3, 4],
      ],
      true,
    );
    const xs = f64([[[1, 0]], [[0, 1]], [[1, 1]]]); // [3,1,2] @ [2,2]
    tg.matmul(xs, w).sum().backward();
    // Σ over the batch of xᵀ·1
    expect(w.grad!.toArray()).toEqual([
      [2, 2],
      [2, 2],
    ]);
  });

  test('mixed dtypes promote; k = 0 gives zeros', () => {
    expect(tg.matmul(tg.ones([2, 2]), tg.ones([2, 2], { dtype: 'float64' })).dtype).toBe('float64');
    expect(tg.matmul(tg.zeros([2, 0]), tg.zeros([0, 3])).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
});
