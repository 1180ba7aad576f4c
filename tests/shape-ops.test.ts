/**
 * The shape ops of SPEC §14/§18: split, chunk, unbind, narrow, repeat, tile, squeeze (all axes),
 * movedim, roll, flatten(startDim, endDim), unflatten, tril/triu, diagonal, outer, einsum, transpose's
 * two-axis form, permute and pad's reflect mode. Hand values and error messages here; gradients in
 * the op table (src/testing/cases/shape-ops.ts); PyTorch parity at the end.
 */
import * as tg from '../src';
import { mismatches, ParityCase, runParity } from './torch-parity';

const grid = (...shape: number[]) =>
  tg
    .arange(
      shape.reduce((a, b) => a * b, 1),
      { dtype: 'float64' },
    )
    .reshape(shape);
const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });

describe('split, chunk, unbind, narrow', () => {
  test('split by a size leaves a smaller last piece; by sizes follows them; negative axis', () => {
    expect(tg.split(tg.arange(5), 2).map((t) => t.toArray())).toEqual([[0, 1], [2, 3], [4]]);
    expect(
      grid(2, 5)
        .split([1, 4], -1)
        .map((t) => t.toArray()),
    ).toEqual([
      [[0], [5]],
      [
        [1, 2, 3, 4],
        [6, 7, 8, 9],
      ],
    ]);
  });

  test('chunk uses ceil(size / n) pieces and may return fewer than n', () => {
    expect(tg.chunk(tg.arange(5), 4).map((t) => t.shape[0])).toEqual([2, 2, 1]);
    expect(tg.chunk(tg.arange(6), 4).map((t) => t.shape[0])).toEqual([2, 2, 2]);
    expect(tg.chunk(grid(2, 3), 3, 1).map((t) => t.toArray())).toEqual([
      [[0], [3]],
      [[1], [4]],
      [[2], [5]],
    ]);
  });

  test('unbind removes the axis; narrow takes a window, start may be negative', () => {
    expect(tg.unbind(grid(2, 3), 1).map((t) => t.toArray())).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(grid(2, 5).narrow(1, -3, 2).toArray()).toEqual([
      [2, 3],
      [7, 8],
    ]);
  });

  test('gradients of the pieces land in their place', () => {
    const x = f64([1, 2, 3, 4, 5], true);
    const [a, b] = tg.split(x, [2, 3]);
    a.mul(10).sum().add(b.mul(b).sum()).backward();
    expect(x.grad!.toArray()).toEqual([10, 10, 6, 8, 10]);
  });

  test('bad input throws naming the op and the shape', () => {
    expect(() => tg.split(tg.arange(5), [2, 2])).toThrow('split: sizes [2,2] do not add up to axis 0 of size 5 (shape [5])');
    expect(() => tg.split(tg.arange(5), 0)).toThrow('split: size 0 must be a positive integer (shape [5], axis 0)');
    expect(() => tg.chunk(tg.arange(5), 0)).toThrow('chunk: number of chunks 0 must be a positive integer (shape [5])');
    expect(() => tg.narrow(tg.arange(5), 0, 3, 3)).toThrow('narrow: start 3 + length 3 exceeds axis 0 of size 5 (shape [5])');
    expect(() => tg.narrow(tg.arange(5), 0, -6, 1)).toThrow('narrow: start -6 is out of range for axis 0 of size 5 (shape [5])');
    expect(() => tg.unbind(grid(2, 3), 2)).toThrow('unbind: axis 2 is out of range for shape [2,3]');
    expect(() => tg.unbind(tg.scalar(1))).toThrow('unbind: cannot unbind a 0-d tensor');
  });
});

describe('repeat and tile', () => {
  test('repeat tiles each axis and may add leading axes', () => {
    expect(tg.tensor([1, 2]).repeat([2, 2]).toArray()).toEqual([
      [1, 2, 1, 2],
      [1, 2, 1, 2],
    ]);
    expect(
      tg
        .tensor([[1], [2]])
        .repeat([1, 3])
        .toArray(),
    ).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(tg.zeros([2, 3]).repeat([4, 1, 2]).shape).toEqual([4, 2, 6]);
  });

  test('tile pads short reps with leading ones; repeat refuses them', () => {
    expect(tg.tile(tg.tensor([[1, 2]]), [2]).toArray()).toEqual([[1, 2, 1, 2]]);
    expect(() => tg.repeat(tg.zeros([2, 3]), [2])).toThrow('repeat: 1 repeats [2] for shape [2,3]: need at least one per axis');
  });

  test('the gradient sums the copies', () => {
    const x = f64([1, 2], true);
    x.repeat([3, 2]).sum().backward();
    expect(x.grad!.toArray()).toEqual([6, 6]);
  });
});

describe('squeeze, unsqueeze, flatten, unflatten, movedim, transpose, permute', () => {
  test('squeeze without an axis drops every size-1 axis; with a list, those', () => {
    expect(tg.squeeze(tg.zeros([1, 2, 1, 3, 1])).shape).toEqual([2, 3]);
    expect(tg.zeros([1, 2, 1]).squeeze([0, -1]).shape).toEqual([2]);
    expect(tg.squeeze(tg.zeros([1, 1])).shape).toEqual([]);
    // As PyTorch: axes whose size is not 1 stay.
    expect(tg.squeeze(tg.zeros([1, 2]), [0, 1]).shape).toEqual([2]);
    expect(tg.zeros([2, 3]).squeeze(0).shape).toEqual([2, 3]);
    expect(() => tg.squeeze(tg.zeros([1, 2]), 2)).toThrow(/squeeze/);
  });

  test('flatten with an end axis; unflatten infers one -1', () => {
    expect(tg.flatten(tg.zeros([2, 3, 4, 5]), 1, 2).shape).toEqual([2, 12, 5]);
    expect(tg.zeros([2, 3, 4]).flatten(0, -2).shape).toEqual([6, 4]);
    expect(() => tg.flatten(tg.zeros([2, 3, 4]), 2, 1)).toThrow('flatten: startDim 2 comes after endDim 1 for shape [2,3,4]');
    expect(tg.unflatten(tg.zeros([2, 12]), -1, [3, -1]).shape).toEqual([2, 3, 4]);
    expect(() => tg.unflatten(tg.zeros([2, 12]), 1, [5, -1])).toThrow(
      'unflatten: sizes [5,-1] do not multiply to axis 1 of size 12 (shape [2,12])',
    );
  });

  test('movedim moves axes to positions; the others keep their order', () => {
    expect(tg.movedim(tg.zeros([2, 3, 4, 5]), 0, -1).shape).toEqual([3, 4, 5, 2]);
    expect(tg.zeros([2, 3, 4, 5]).movedim([0, 1], [3, 0]).shape).toEqual([3, 4, 5, 2]);
    expect(tg.movedim(grid(2, 3), 1, 0).toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(() => tg.movedim(tg.zeros([2, 3]), [0, 1], [1])).toThrow(
      'movedim: source [0,1] and destination [1] differ in length (shape [2,3])',
    );
  });

  test('transpose with two numbers swaps them; permute is the array form', () => {
    expect(tg.transpose(tg.zeros([2, 3, 4]), 0, -1).shape).toEqual([4, 3, 2]);
    expect(tg.zeros([2, 3, 4]).transpose(1, 2).shape).toEqual([2, 4, 3]);
    expect(tg.permute(tg.zeros([2, 3, 4]), [1, 2, 0]).shape).toEqual([3, 4, 2]);
    expect(tg.zeros([2, 3, 4]).permute([-1, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(() => tg.transpose(tg.zeros([2, 3]), 0, 2)).toThrow('transpose: axis 2 is out of range for shape [2,3]');
    expect(() => tg.permute(tg.zeros([2, 3]), [0, 0])).toThrow('permute: [0,0] is not a permutation of the axes of shape [2,3]');
  });
});

describe('roll', () => {
  test('elements move forward and wrap; without axes x rolls flattened', () => {
    expect(tg.roll(tg.arange(5), 2).toArray()).toEqual([3, 4, 0, 1, 2]);
    expect(tg.roll(tg.arange(5), -1).toArray()).toEqual([1, 2, 3, 4, 0]);
    expect(tg.roll(grid(2, 3), 1).toArray()).toEqual([
      [5, 0, 1],
      [2, 3, 4],
    ]);
    expect(grid(2, 3).roll([1, -1], [0, 1]).toArray()).toEqual([
      [4, 5, 3],
      [1, 2, 0],
    ]);
    expect(() => tg.roll(grid(2, 3), [1, 2], [0])).toThrow('roll: shifts [1,2] and axes [0] differ in length (shape [2,3])');
  });
});

describe('tril, triu, diagonal, outer', () => {
  test('tril/triu keep a band of the last two axes, with an offset', () => {
    expect(tg.tril(grid(3, 3)).toArray()).toEqual([
      [0, 0, 0],
      [3, 4, 0],
      [6, 7, 8],
    ]);
    expect(tg.triu(grid(2, 3), 1).toArray()).toEqual([
      [0, 1, 2],
      [0, 0, 5],
    ]);
    expect(tg.tril(grid(2, 2, 2), -1).toArray()).toEqual([
      [
        [0, 0],
        [2, 0],
      ],
      [
        [0, 0],
        [6, 0],
      ],
    ]);
  });

  test('tril zeroes infinities outside the band (no 0·Inf = NaN)', () => {
    expect(
      tg
        .tril(
          tg.tensor([
            [1, Infinity],
            [NaN, 2],
          ]),
        )
        .toArray(),
    ).toEqual([
      [1, 0],
      [NaN, 2],
    ]);
  });

  test('diagonal removes the two axes and appends the diagonal', () => {
    expect(tg.diagonal(grid(3, 3)).toArray()).toEqual([0, 4, 8]);
    expect(tg.diagonal(grid(3, 4), 1).toArray()).toEqual([1, 6, 11]);
    expect(tg.diagonal(grid(3, 4), -2).toArray()).toEqual([8]);
    expect(grid(2, 2, 3).diagonal(0, -1, 0).toArray()).toEqual([
      [0, 7],
      [3, 10],
    ]);
    expect(tg.diagonal(grid(2, 2), 5).shape).toEqual([0]);
    expect(() => tg.diagonal(grid(2, 2), 0, 1, -1)).toThrow('diagonal: axis1 and axis2 are both 1 (shape [2,2])');
    expect(() => tg.diagonal(tg.arange(3))).toThrow('diagonal: needs at least 2 axes, got shape [3]');
  });

  test('outer', () => {
    expect(tg.outer(tg.tensor([1, 2]), tg.tensor([3, 4, 5])).toArray()).toEqual([
      [3, 4, 5],
      [6, 8, 10],
    ]);
    expect(() => tg.outer(grid(2, 2), tg.arange(2))).toThrow('outer: needs two 1-D tensors, got [2,2] and [2]');
  });
});

describe('einsum', () => {
  test('matrix product, trace, transpose, batched, implicit output', () => {
    const a = grid(2, 3);
    const b = grid(3, 2);
    expect(tg.einsum('ij,jk->ik', a, b).toArray()).toEqual(tg.matmul(a, b).toArray());
    expect(tg.einsum('ij,jk', a, b).toArray()).toEqual(tg.matmul(a, b).toArray());
    expect(tg.einsum('ii', grid(3, 3)).item()).toBe(12);
    expect(tg.einsum('ii->i', grid(3, 3)).toArray()).toEqual([0, 4, 8]);
    expect(tg.einsum('ij->ji', a).toArray()).toEqual(a.transpose().toArray());
    expect(tg.einsum('i,j->ij', tg.tensor([1, 2]), tg.tensor([3, 4])).toArray()).toEqual([
      [3, 4],
      [6, 8],
    ]);
    expect(tg.einsum('bij,bjk->bik', grid(4, 2, 3), grid(4, 3, 5)).shape).toEqual([4, 2, 5]);
    expect(tg.einsum('...ij->...ji', grid(4, 2, 3)).shape).toEqual([4, 3, 2]);
    expect(tg.einsum('ba,Ab', grid(2, 3), grid(4, 2)).shape).toEqual([4, 3]);
    expect(tg.einsum('i,i->', tg.tensor([1, 2, 3]), tg.tensor([4, 5, 6])).item()).toBe(32);
  });

  test('bad specs throw naming the spec and the shapes', () => {
    expect(() => tg.einsum('ij,jk->ik', grid(2, 3), grid(4, 2))).toThrow(
      "einsum: label 'j' has sizes 3 and 4 (spec 'ij,jk->ik', operands [2,3], [4,2])",
    );
    expect(() => tg.einsum('ij->ik', grid(2, 3))).toThrow("einsum: output label 'k' appears in no operand");
    expect(() => tg.einsum('ijk', grid(2, 3))).toThrow("einsum: operand 0 has 2 axes but its term 'ijk' names 3");
    expect(() => tg.einsum('ij,jk', grid(2, 3))).toThrow('einsum: 2 operand terms but 1 tensors');
    expect(() => tg.einsum('i1', grid(2, 3))).toThrow("einsum: invalid character '1' in 'i1'");
    expect(() => tg.einsum('ij->ii', grid(2, 3))).toThrow("einsum: output 'ii' repeats a label");
  });
});

describe("pad mode 'reflect'", () => {
  test("mirrors about the edge without repeating it (PyTorch's reflect)", () => {
    expect(tg.pad(tg.tensor([1, 2, 3, 4]), [[2, 3]], { mode: 'reflect' }).toArray()).toEqual([3, 2, 1, 2, 3, 4, 3, 2, 1]);
    expect(tg.pad(tg.tensor([1, 2, 3]), [1], { mode: 'symmetric' }).toArray()).toEqual([1, 1, 2, 3, 3]);
  });

  test('a pad as wide as the axis throws, as in PyTorch', () => {
    expect(() => tg.pad(tg.tensor([1, 2, 3]), [[3, 0]], { mode: 'reflect' })).toThrow(
      'pad: reflect padding [3,0] of axis 0 must be less than its size 3 (shape [3])',
    );
  });
});

describe('PyTorch parity', () => {
  const r = tg.rng('shape-ops parity');
  const x = (...shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64' });
  const cases: ParityCase[] = [
    { name: 'split 2', torch: 'torch.split(xs[0], 2)', tg: (a) => tg.split(a, 2), inputs: [x(5, 3)] },
    { name: 'split sizes axis -1', torch: 'torch.split(xs[0], [1, 2], -1)', tg: (a) => a.split([1, 2], -1), inputs: [x(2, 3)] },
    { name: 'chunk 4 of 5', torch: 'torch.chunk(xs[0], 4)', tg: (a) => tg.chunk(a, 4), inputs: [x(5, 2)] },
    { name: 'chunk 3 axis 1', torch: 'torch.chunk(xs[0], 3, 1)', tg: (a) => a.chunk(3, 1), inputs: [x(2, 7)] },
    { name: 'unbind 1', torch: 'torch.unbind(xs[0], 1)', tg: (a) => tg.unbind(a, 1), inputs: [x(2, 3, 2)] },
    { name: 'narrow', torch: 'torch.narrow(xs[0], -1, -3, 2)', tg: (a) => a.narrow(-1, -3, 2), inputs: [x(2, 4)] },
    { name: 'repeat', torch: 'xs[0].repeat(2, 1, 3)', tg: (a) => a.repeat([2, 1, 3]), inputs: [x(2, 3)] },
    { name: 'tile short', torch: 'torch.tile(xs[0], (2,))', tg: (a) => tg.tile(a, [2]), inputs: [x(2, 3)] },
    { name: 'tile long', torch: 'torch.tile(xs[0], (2, 1, 2))', tg: (a) => tg.tile(a, [2, 1, 2]), inputs: [x(3)] },
    { name: 'squeeze all', torch: 'torch.squeeze(xs[0])', tg: (a) => tg.squeeze(a), inputs: [x(1, 3, 1, 2)] },
    { name: 'movedim', torch: 'torch.movedim(xs[0], (0, 2), (-1, 0))', tg: (a) => tg.movedim(a, [0, 2], [-1, 0]), inputs: [x(2, 3, 4, 5)] },
    { name: 'roll flat', torch: 'torch.roll(xs[0], 4)', tg: (a) => tg.roll(a, 4), inputs: [x(3, 3)] },
    { name: 'roll axes', torch: 'torch.roll(xs[0], (-1, 5), (0, -1))', tg: (a) => tg.roll(a, [-1, 5], [0, -1]), inputs: [x(3, 4)] },
    { name: 'flatten 1..2', torch: 'torch.flatten(xs[0], 1, 2)', tg: (a) => tg.flatten(a, 1, 2), inputs: [x(2, 3, 4, 2)] },
    { name: 'unflatten', torch: 'torch.unflatten(xs[0], 1, (2, -1))', tg: (a) => tg.unflatten(a, 1, [2, -1]), inputs: [x(3, 6)] },
    { name: 'tril -1', torch: 'torch.tril(xs[0], -1)', tg: (a) => tg.tril(a, -1), inputs: [x(2, 3, 4)] },
    { name: 'triu 2', torch: 'torch.triu(xs[0], 2)', tg: (a) => tg.triu(a, 2), inputs: [x(4, 5)] },
    { name: 'diagonal offset 1', torch: 'torch.diagonal(xs[0], 1)', tg: (a) => tg.diagonal(a, 1), inputs: [x(3, 4)] },
    { name: 'diagonal axes 2,0', torch: 'torch.diagonal(xs[0], -1, 2, 0)', tg: (a) => tg.diagonal(a, -1, 2, 0), inputs: [x(3, 2, 4)] },
    { name: 'outer', torch: 'torch.outer(xs[0], xs[1])', tg: (a, b) => tg.outer(a, b), inputs: [x(3), x(4)] },
    { name: 'transpose 0,-1', torch: 'torch.transpose(xs[0], 0, -1)', tg: (a) => tg.transpose(a, 0, -1), inputs: [x(2, 3, 4)] },
    { name: 'permute', torch: 'xs[0].permute(2, 0, 1)', tg: (a) => tg.permute(a, [2, 0, 1]), inputs: [x(2, 3, 4)] },
    {
      name: 'pad reflect',
      torch: "torch.nn.functional.pad(xs[0], (2, 1, 1, 2), mode='reflect')",
      // torch pads the last axis first; ours lists leading axes first.
      tg: (a) =>
        tg.pad(
          a,
          [
            [0, 0],
            [1, 2],
            [2, 1],
          ],
          { mode: 'reflect' },
        ),
      inputs: [x(2, 3, 4)],
    },
    {
      name: 'einsum matmul',
      torch: "torch.einsum('ij,jk->ik', *xs)",
      tg: (a, b) => tg.einsum('ij,jk->ik', a, b),
      inputs: [x(2, 3), x(3, 4)],
    },
    { name: 'einsum trace', torch: "torch.einsum('ii', *xs)", tg: (a) => tg.einsum('ii', a), inputs: [x(3, 3)] },
    { name: 'einsum diag', torch: "torch.einsum('ii->i', *xs)", tg: (a) => tg.einsum('ii->i', a), inputs: [x(3, 3)] },
    {
      name: 'einsum batched',
      torch: "torch.einsum('bij,bjk->bik', *xs)",
      tg: (a, b) => tg.einsum('bij,bjk->bik', a, b),
      inputs: [x(2, 2, 3), x(2, 3, 2)],
    },
    {
      name: 'einsum ellipsis broadcast',
      torch: "torch.einsum('...ij,...jk->...ik', *xs)",
      tg: (a, b) => tg.einsum('...ij,...jk->...ik', a, b),
      inputs: [x(2, 1, 2, 3), x(3, 3, 2)],
    },
    {
      name: 'einsum implicit 3 operands',
      torch: "torch.einsum('ij,jk,kl', *xs)",
      tg: (a, b, c) => tg.einsum('ij,jk,kl', a, b, c),
      inputs: [x(2, 3), x(3, 4), x(4, 2)],
    },
    {
      name: 'einsum sum over one operand, keep a shared batch',
      torch: "torch.einsum('bik,bk->b', *xs)",
      tg: (a, b) => tg.einsum('bik,bk->b', a, b),
      inputs: [x(3, 2, 4), x(3, 4)],
    },
    { name: 'einsum outer', torch: "torch.einsum('i,j->ji', *xs)", tg: (a, b) => tg.einsum('i,j->ji', a, b), inputs: [x(3), x(2)] },
    { name: 'einsum ellipsis summed', torch: "torch.einsum('i...->', *xs)", tg: (a) => tg.einsum('i...->', a), inputs: [x(2, 3)] },
    { name: 'einsum diagonal of 3', torch: "torch.einsum('iji->j', *xs)", tg: (a) => tg.einsum('iji->j', a), inputs: [x(3, 2, 3)] },
    {
      name: 'einsum bilinear',
      torch: "torch.einsum('bn,anm,bm->ba', *xs)",
      tg: (a, b, c) => tg.einsum('bn,anm,bm->ba', a, b, c),
      inputs: [x(2, 3), x(4, 3, 5), x(2, 5)],
    },
    {
      name: 'einsum broadcast size-1 letter',
      torch: "torch.einsum('i,i->i', *xs)",
      tg: (a, b) => tg.einsum('i,i->i', a, b),
      inputs: [x(1), x(3)],
    },
  ];

  test('values and gradients match torch', () => {
    expect(mismatches(runParity(cases, 'shape-ops'))).toEqual([]);
  });
});
