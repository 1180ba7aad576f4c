/**
 * ONNX export of the shape, indexing and sorting ops of SPEC §14 (Gather, GatherElements,
 * ScatterElements with add, TopK, Pad reflect, and the movement ops the compositions are made of),
 * each run in onnxruntime (tests/onnx-runner.js) against tapegrad on inputs other than the sample.
 */
import * as tg from '../src';
import { onnxRunner } from './onnx-harness';

jest.setTimeout(120_000);

const r = tg.rng('onnx-indexing');
const randn = (shape: number[]) => tg.randn(shape, { rng: r });
const ints = (values: number[], shape = [values.length]) => tg.tensor(values, { shape, dtype: 'int32' });

const runOnnx = onnxRunner('onnx-indexing');

/** Exports fn on `sample`, runs it on each input in onnxruntime, and compares with tapegrad. */
function check(fn: (x: tg.Tensor) => tg.Tensor, sample: tg.Tensor, runs: tg.Tensor[], dynamicBatch = true): void {
  const bytes = tg.onnx.toOnnx(fn, sample, { dynamicBatch });
  const results = runOnnx(bytes, runs);
  runs.forEach((x, k) => {
    const want = tg.noGrad(() => fn(x));
    expect(results[k].dims).toEqual(want.shape);
    results[k].data.forEach((v, i) => expect(Math.abs(v - want.data[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want.data[i]))));
  });
}

test('topk and sort recompute the order for every input (TopK)', () => {
  check((x) => tg.topk(x, 2).values.add(tg.sort(x, -1, { descending: true }).values.sum(-1, true)), randn([2, 5]), [
    randn([2, 5]),
    randn([3, 5]),
  ]);
  check((x) => tg.sort(x, 1).values, randn([2, 4]), [randn([4, 4])]);
});

test('indexSelect (Gather), batch preserved off the batch axis', () => {
  check((x) => tg.indexSelect(x, 1, ints([2, 0, 2])).mul(2), randn([2, 3, 2]), [randn([5, 3, 2])]);
});

test('gather, scatterAdd, index, tril, diagonal (GatherElements, ScatterElements add, flat Gather/Scatter) at the sample shape', () => {
  const idx = ints([1, 0, 2, 2, 1, 0], [2, 3]);
  check((x) => tg.gather(x, 1, idx), randn([2, 3]), [randn([2, 3])], false);
  check((x) => tg.scatterAdd(x, 1, ints([2, 2], [2, 1]), x.mul(3)), randn([2, 3]), [randn([2, 3])], false);
  check((x) => tg.index(x, ints([1, 0]), null, [null, null, 2]), randn([2, 3, 4]), [randn([2, 3, 4])], false);
  check((x) => tg.tril(x, -1).add(tg.triu(x, 1).mul(2)), randn([3, 3]), [randn([3, 3])], false);
  check((x) => tg.diagonal(x, 1), randn([3, 4]), [randn([3, 4])], false);
  check((x) => tg.indexPut(x, [ints([0, 0])], x.index(1), { accumulate: true }), randn([2, 3]), [randn([2, 3])], false);
});

test('shape compositions: split, chunk, repeat, roll, movedim, einsum, pad reflect', () => {
  check((x) => tg.concat(tg.chunk(x, 2, 1).reverse(), 1), randn([2, 4]), [randn([3, 4])]);
  check((x) => tg.repeat(x, [1, 2]).add(tg.roll(tg.tile(x, [2]), 1, 1)), randn([2, 3]), [randn([4, 3])]);
  check((x) => tg.movedim(x, 1, 2), randn([2, 3, 4]), [randn([3, 3, 4])]);
  check((x) => tg.einsum('bij,bkj->bik', x, x), randn([2, 3, 4]), [randn([5, 3, 4])]);
  check(
    (x) =>
      tg.pad(
        x,
        [
          [0, 0],
          [2, 1],
        ],
        { mode: 'reflect' },
      ),
    randn([2, 4]),
    [randn([3, 4])],
  );
});

test('an index on the batch axis with a dynamic batch throws, naming the op', () => {
  expect(() => tg.onnx.toOnnx((x) => tg.gather(x, 1, ints([0, 1], [2, 1])), randn([2, 3]))).toThrow(
    'toOnnx: gather (a constant index of the sample batch size) moves the batch axis',
  );
});
