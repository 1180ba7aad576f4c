/** Movement ops (SPEC §2): reshape, expand, transpose, flatten, squeeze, flip, pad, slice, concat, stack. */
import * as tg from '../src';

const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });
const grid = (rows: number, cols: number) => tg.arange(rows * cols, { dtype: 'float64' }).reshape([rows, cols]);

describe('reshape', () => {
  test('row-major, with one -1 inferred', () => {
    const x = tg.arange(6);
    expect(x.reshape([2, 3]).toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(x.reshape([3, -1]).shape).toEqual([3, 2]);
    expect(x.reshape([-1]).shape).toEqual([6]);
    expect(tg.reshape(tg.tensor([[7]]), []).shape).toEqual([]);
    expect(tg.zeros([0, 3]).reshape([-1, 3]).shape).toEqual([0, 3]);
  });

  test('the gradient is reshaped back', () => {
    const x = f64([1, 2, 3, 4], true);
    x.reshape([2, 2]).backward(
      f64([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(x.grad!.toArray()).toEqual([1, 2, 3, 4]);
  });
});

describe('expand', () => {
  test('copies along broadcast axes; the gradient sums them', () => {
    const x = f64([[1], [2]], true);
    const y = x.expand([3, 2, 2]);
    expect(y.toArray()).toEqual([
      [
        [1, 1],
        [2, 2],
      ],
      [
        [1, 1],
        [2, 2],
      ],
      [
        [1, 1],
        [2, 2],
      ],
    ]);
    y.sum().backward();
    expect(x.grad!.toArray()).toEqual([[6], [6]]);
  });
});

describe('transpose and flatten', () => {
  test('default reverses the axes', () => {
    const x = tg.arange(24).reshape([2, 3, 4]);
    const y = x.transpose();
    expect(y.shape).toEqual([4, 3, 2]);
    expect((y.toArray() as number[][][])[3][2][1]).toBe(12 + 8 + 3);
  });

  test('a permutation, also with negative entries', () => {
    const x = tg.arange(24).reshape([2, 3, 4]);
    const y = tg.transpose(x, [1, -1, 0]);
    expect(y.shape).toEqual([3, 4, 2]);
    const xa = x.toArray() as number[][][];
    const ya = y.toArray() as number[][][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) expect(ya[j][k][i]).toBe(xa[i][j][k]);
  });

  test('transpose gradient applies the inverse permutation', () => {
    const x = f64([[[1, 2, 3]], [[4, 5, 6]]], true); // [2,1,3]
    const gy = tg.arange(6, { dtype: 'float64' }).reshape([3, 2, 1]);
    x.transpose([2, 0, 1]).backward(gy);
    expect(x.grad!.toArray()).toEqual([[[0, 2, 4]], [[1, 3, 5]]]);
  });

  test('transposeLast2 swaps the matrix axes of each batch item', () => {
    expect(tg.transposeLast2(grid(2, 3)).toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(tg.arange(12).reshape([2, 2, 3]).transposeLast2().shape).toEqual([2, 3, 2]);
  });

  test('flatten, squeeze, unsqueeze', () => {
    const x = tg.zeros([2, 3, 4]);
    expect(tg.flatten(x).shape).toEqual([2, 12]);
    expect(x.flatten(0).shape).toEqual([24]);
    expect(x.flatten(-1).shape).toEqual([2, 3, 4]);
    expect(tg.flatten(tg.tensor(1)).shape).toEqual([1]);
    expect(tg.squeeze(tg.zeros([2, 1, 3]), 1).shape).toEqual([2, 3]);
    expect(tg.unsqueeze(tg.zeros([2, 3]), -1).shape).toEqual([2, 3, 1]);
    expect(tg.unsqueeze(tg.zeros([2, 3]), 0).shape).toEqual([1, 2, 3]);
  });
});

describe('flip', () => {
  test('all axes by default, or the given ones', () => {
    const x = grid(2, 3);
    expect(x.flip().toArray()).toEqual([
      [5, 4, 3],
      [2, 1, 0],
    ]);
    expect(tg.flip(x, [0]).toArray()).toEqual([
      [3, 4, 5],
      [0, 1, 2],
    ]);
    expect(x.flip([-1]).toArray()).toEqual([
      [2, 1, 0],
      [5, 4, 3],
    ]);
  });

  test('the gradient is flipped back', () => {
    const x = f64([1, 2, 3], true);
    x.flip().backward(f64([10, 20, 30]));
    expect(x.grad!.toArray()).toEqual([30, 20, 10]);
  });
});

describe('pad', () => {
  test("the tutorial's MATLAB padarray(x,[1 1]) on its 5×5×3 array", () => {
    // x(:,:,k) in MATLAB is channel k, so x[i][j][k] = channels[k][i][j]: a [5,5,3] tensor.
    const channels = [
      [
        [1, 1, 0, 2, 0],
        [2, 2, 2, 2, 1],
        [0, 0, 0, 2, 1],
        [2, 2, 2, 2, 1],
        [2, 0, 2, 2, 1],
      ],
      [
        [2, 1, 0, 0, 0],
        [0, 2, 0, 1, 0],
        [1, 0, 1, 2, 0],
        [1, 2, 0, 2, 1],
        [1, 2, 1, 2, 2],
      ],
      [
        [2, 1, 1, 2, 2],
        [1, 1, 1, 0, 0],
        [2, 0, 1, 0, 2],
        [0, 2, 0, 2, 1],
        [0, 0, 2, 1, 0],
      ],
    ];
    const printed = [
      [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 1, 0, 2, 0, 0],
        [0, 2, 2, 2, 2, 1, 0],
        [0, 0, 0, 0, 2, 1, 0],
        [0, 2, 2, 2, 2, 1, 0],
        [0, 2, 0, 2, 2, 1, 0],
        [0, 0, 0, 0, 0, 0, 0],
      ],
      [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 2, 1, 0, 0, 0, 0],
        [0, 0, 2, 0, 1, 0, 0],
        [0, 1, 0, 1, 2, 0, 0],
        [0, 1, 2, 0, 2, 1, 0],
        [0, 1, 2, 1, 2, 2, 0],
        [0, 0, 0, 0, 0, 0, 0],
      ],
      [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 2, 1, 1, 2, 2, 0],
        [0, 1, 1, 1, 0, 0, 0],
        [0, 2, 0, 1, 0, 2, 0],
        [0, 0, 2, 0, 2, 1, 0],
        [0, 0, 0, 2, 1, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
      ],
    ];
    const hwc = (ch: number[][][]) => ch[0].map((row, i) => row.map((_, j) => ch.map((c) => c[i][j])));
    const x = tg.tensor(hwc(channels));
    expect(x.shape).toEqual([5, 5, 3]);
    const y = tg.pad(x, [1, 1]);
    expect(y.shape).toEqual([7, 7, 3]);
    expect(y.toArray()).toEqual(hwc(printed));
  });

  test('[before, after] pairs per leading axis, constant value', () => {
    expect(
      grid(2, 2)
        .pad(
          [
            [1, 0],
            [0, 2],
          ],
          9,
        )
        .toArray(),
    ).toEqual([
      [9, 9, 9, 9],
      [0, 1, 9, 9],
      [2, 3, 9, 9],
    ]);
    expect(
      grid(2, 2)
        .pad([[0, 1]], { value: -1 })
        .toArray(),
    ).toEqual([
      [0, 1],
      [2, 3],
      [-1, -1],
    ]);
    expect(
      grid(2, 2)
        .pad([[0, 1]], { mode: 'constant', value: 4 })
        .toArray(),
    ).toEqual([
      [0, 1],
      [2, 3],
      [4, 4],
    ]);
    expect(grid(2, 2).pad([])).toEqual(grid(2, 2));
  });

  // Expected rows are numpy.pad(x, (7, 5), mode) with mode edge / symmetric / wrap (MATLAB's
  // replicate / symmetric / circular): pads wider than the axis keep repeating the pattern.
  test.each([
    ['constant', [9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 9, 9, 9]],
    ['replicate', [1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3]],
    ['symmetric', [1, 1, 2, 3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1, 2]],
    ['circular', [3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2]],
  ] as const)('%s mode, pads wider than the axis', (mode, expected) => {
    expect(
      tg
        .tensor([1, 2, 3])
        .pad([[7, 5]], { mode, value: 9 })
        .toArray(),
    ).toEqual(expected);
  });

  test('modes on two axes at once (numpy.pad symmetric / wrap)', () => {
    const x = tg.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      x
        .pad(
          [
            [3, 1],
            [2, 5],
          ],
          { mode: 'symmetric' },
        )
        .toArray(),
    ).toEqual([
      [4, 3, 3, 4, 4, 3, 3, 4, 4],
      [4, 3, 3, 4, 4, 3, 3, 4, 4],
      [2, 1, 1, 2, 2, 1, 1, 2, 2],
      [2, 1, 1, 2, 2, 1, 1, 2, 2],
      [4, 3, 3, 4, 4, 3, 3, 4, 4],
      [4, 3, 3, 4, 4, 3, 3, 4, 4],
    ]);
    expect(
      x
        .pad(
          [
            [3, 1],
            [2, 5],
          ],
          { mode: 'circular' },
        )
        .toArray(),
    ).toEqual([
      [3, 4, 3, 4, 3, 4, 3, 4, 3],
      [1, 2, 1, 2, 1, 2, 1, 2, 1],
      [3, 4, 3, 4, 3, 4, 3, 4, 3],
      [1, 2, 1, 2, 1, 2, 1, 2, 1],
      [3, 4, 3, 4, 3, 4, 3, 4, 3],
      [1, 2, 1, 2, 1, 2, 1, 2, 1],
    ]);
  });

  test('gradients: constant padding drops the border; other modes add each copy back to its source', () => {
    const x = f64([1, 2, 3], true);
    x.pad([[1, 2]], 5).backward(f64([10, 1, 2, 3, 20, 30]));
    expect(x.grad!.toArray()).toEqual([1, 2, 3]);
    const count = (mode: tg.PadMode) => {
      const v = f64([1, 2, 3], true);
      v.pad([[7, 5]], { mode })
        .sum()
        .backward();
      return v.grad!.toArray();
    };
    // How often each element appears in the rows of the table test above.
    expect(count('replicate')).toEqual([8, 1, 6]);
    expect(count('symmetric')).toEqual([6, 5, 4]);
    expect(count('circular')).toEqual([5, 5, 5]);
  });

  test('constant padding of an empty axis gives the fill value', () => {
    expect(
      tg
        .zeros([0, 2])
        .pad([[1, 1]], 3)
        .toArray(),
    ).toEqual([
      [3, 3],
      [3, 3],
    ]);
  });
});

describe('slice', () => {
  const x = grid(4, 3);

  test('ranges on leading axes; later axes are kept whole', () => {
    expect(tg.slice(x, [1, 0], [3, 2]).toArray()).toEqual([
      [3, 4],
      [6, 7],
    ]);
    expect(x.slice([2], [4]).toArray()).toEqual([
      [6, 7, 8],
      [9, 10, 11],
    ]);
  });

  test('negative indices count from the end, as in Python', () => {
    expect(x.slice([-3, -2], [-1, 3]).toArray()).toEqual([
      [4, 5],
      [7, 8],
    ]);
  });

  test('ends and starts are clamped; an empty range gives a zero-size tensor', () => {
    expect(x.slice([-10, 1], [10, 100]).toArray()).toEqual([
      [1, 2],
      [4, 5],
      [7, 8],
      [10, 11],
    ]);
    const empty = x.slice([3, 0], [1, 3]);
    expect(empty.shape).toEqual([0, 3]);
    expect(x.slice([5], [7]).shape).toEqual([0, 3]);
  });

  test('the gradient lands in the sliced window, zeros elsewhere', () => {
    const v = f64(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      true,
    );
    v.slice([1, -2], [2, 3]).backward(f64([[7, 8]]));
    expect(v.grad!.toArray()).toEqual([
      [0, 0, 0],
      [0, 7, 8],
    ]);
    const w = f64([1, 2], true);
    w.slice([1], [1]).sum().backward();
    expect(w.grad!.toArray()).toEqual([0, 0]);
  });
});

describe('concat and stack', () => {
  test('concat along an existing axis, negative allowed', () => {
    const a = grid(2, 2);
    const b = tg.tensor([[9], [8]], { dtype: 'float64' });
    expect(tg.concat([a, b], -1).toArray()).toEqual([
      [0, 1, 9],
      [2, 3, 8],
    ]);
    expect(tg.concat([a, a]).toArray()).toEqual([
      [0, 1],
      [2, 3],
      [0, 1],
      [2, 3],
    ]);
    expect(tg.concat([tg.zeros([0, 2]), grid(1, 2)]).toArray()).toEqual([[0, 1]]);
  });

  test('mixed dtypes promote to float64', () => {
    expect(tg.concat([tg.ones([1]), tg.ones([1], { dtype: 'float64' })]).dtype).toBe('float64');
    expect(tg.concat([tg.ones([1]), tg.ones([2])]).dtype).toBe('float32');
  });

  test('the gradient is split back into the parts', () => {
    const a = f64([[1, 2]], true);
    const b = f64(
      [
        [3, 3],
        [4, 4],
      ],
      true,
    );
    tg.concat([a, b]).backward(
      f64([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    expect(a.grad!.toArray()).toEqual([[1, 2]]);
    expect(b.grad!.toArray()).toEqual([
      [3, 4],
      [5, 6],
    ]);
  });

  test('stack along a new axis, negative allowed; 0-d tensors stack into a vector', () => {
    const a = tg.tensor([1, 2]);
    const b = tg.tensor([3, 4]);
    expect(tg.stack([a, b]).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(tg.stack([a, b], -1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(tg.stack([a, b], 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(tg.stack([tg.tensor(1), tg.tensor(2)]).toArray()).toEqual([1, 2]);
  });
});
