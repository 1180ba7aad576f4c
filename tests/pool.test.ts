/**
 * Pooling: values by hand, PyTorch's conventions (stride defaults to the kernel, floor mode, padded
 * zeros counted by the average, padding never the maximum), the max gradient going to the first
 * maximal element, and errors naming op and shapes.
 */
import * as tg from '../src';

const t = (values: tg.NestedArray) => tg.tensor(values, { dtype: 'float64' });
const grid = (h: number, w: number) => tg.reshape(tg.arange(h * w, { dtype: 'float64' }), [1, 1, h, w]);

describe('maxPool2d', () => {
  test('kernel 2 (stride defaults to 2) halves each dimension', () => {
    expect(tg.maxPool2d(grid(4, 4), 2).toArray()).toEqual([
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    expect(grid(4, 6).maxPool2d(2).shape).toEqual([1, 1, 2, 3]);
  });

  test('rectangular kernel, stride and padding as [h, w]', () => {
    // kernel [2,3], stride [2,1], padding [0,1]: output [2, 4]; window (oh, ow) covers rows 2oh..2oh+1, cols ow−1..ow+1
    const y = tg.maxPool2d(grid(4, 4), [2, 3], { stride: [2, 1], padding: [0, 1] });
    expect(y.toArray()).toEqual([
      [
        [
          [5, 6, 7, 7],
          [13, 14, 15, 15],
        ],
      ],
    ]);
  });

  test('padding is never the maximum, even of negative inputs', () => {
    const x = tg.neg(tg.add(grid(2, 2), 1)); // [[-1,-2],[-3,-4]]
    expect(tg.maxPool2d(x, 2, { stride: 1, padding: 1 }).toArray()).toEqual([
      [
        [
          [-1, -1, -2],
          [-1, -1, -2],
          [-3, -3, -4],
        ],
      ],
    ]);
  });

  test('the gradient goes to the first maximal element of each window (row-major)', () => {
    const x = t([
      [
        [
          [1, 3, 3, 0],
          [3, 2, 1, 3],
          [0, 0, 5, 5],
          [0, 0, 5, 5],
        ],
      ],
    ]);
    x.requiresGrad = true;
    tg.maxPool2d(x, 2).backward(
      t([
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]),
    );
    // window (0,0): 3 at (0,1) first; (0,1): 3 at (0,2) first; (1,0): 0 at (2,0) first; (1,1): 5 at (2,2) first
    expect(x.grad!.toArray()).toEqual([
      [
        [
          [0, 1, 2, 0],
          [0, 0, 0, 0],
          [3, 0, 4, 0],
          [0, 0, 0, 0],
        ],
      ],
    ]);
  });

  test('overlapping windows that share their maximum add up its gradient', () => {
    const x = t([
      [
        [
          [0, 0, 0],
          [0, 9, 0],
          [0, 0, 0],
        ],
      ],
    ]);
    x.requiresGrad = true;
    tg.maxPool2d(x, 2, { stride: 1 }).backward(
      t([
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]),
    );
    expect(x.grad!.toArray()).toEqual([
      [
        [
          [0, 0, 0],
          [0, 10, 0],
          [0, 0, 0],
        ],
      ],
    ]);
  });

  test('NaN propagates, as in PyTorch', () => {
    const y = tg.maxPool2d(
      t([
        [
          [
            [1, NaN],
            [3, 2],
          ],
        ],
      ]),
      2,
    );
    expect(Number.isNaN(y.item())).toBe(true);
  });

  test('its second derivative in x is zero, and the gradient is linear in gy', () => {
    const x = tg.randn([1, 2, 4, 4], { rng: tg.rng('pool:hvp'), dtype: 'float64', requiresGrad: true });
    const [g] = tg.grad(tg.sum(tg.mul(tg.maxPool2d(x, 2), 3)), [x], { createGraph: true });
    expect(g!.requiresGrad).toBe(false);
    expect(Array.from(g!.data).filter((v) => v !== 0)).toEqual(new Array(8).fill(3));
  });

  test('unbatched [C,H,W]', () => {
    expect(tg.maxPool2d(tg.reshape(grid(4, 4), [1, 4, 4]), 2).toArray()).toEqual([
      [
        [5, 7],
        [13, 15],
      ],
    ]);
  });
});

describe('avgPool2d', () => {
  test('kernel 2 averages each 2x2 block', () => {
    expect(tg.avgPool2d(grid(4, 4), 2).toArray()).toEqual([
      [
        [
          [2.5, 4.5],
          [10.5, 12.5],
        ],
      ],
    ]);
  });

  test('padded zeros count, as PyTorch does by default (count_include_pad)', () => {
    // kernel 3, stride 1, padding 1 on 0..15: every window divides by 9, e.g. corner (0+1+4+5)/9
    const expected = [
      [10, 18, 24, 18],
      [27, 45, 54, 39],
      [51, 81, 90, 63],
      [42, 66, 72, 50],
    ].map((row) => row.map((v) => v / 9));
    const y = tg.avgPool2d(grid(4, 4), 3, { stride: 1, padding: 1 });
    y.data.forEach((v, i) => expect(v).toBeCloseTo(expected[Math.floor(i / 4)][i % 4], 12));
    // a window holding a single real 1 among three padded zeros
    expect(tg.avgPool2d(tg.ones([1, 1, 2, 2]), 2, { padding: 1 }).toArray()).toEqual([
      [
        [
          [0.25, 0.25],
          [0.25, 0.25],
        ],
      ],
    ]);
  });

  test('the gradient shares gy evenly over the whole window, padding included', () => {
    const x = tg.ones([1, 1, 2, 2], { dtype: 'float64', requiresGrad: true });
    tg.avgPool2d(x, 2, { padding: 1 }).backward(
      t([
        [
          [
            [4, 8],
            [12, 16],
          ],
        ],
      ]),
    );
    expect(x.grad!.toArray()).toEqual([
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
    ]);
    const z = tg.ones([1, 1, 3, 3], { dtype: 'float64', requiresGrad: true });
    tg.avgPool2d(z, 2, { stride: 1 }).backward(tg.ones([1, 1, 2, 2], { dtype: 'float64' }));
    // each element's share is 1/4 per window it lies in: corners 1, edges 2, centre 4 windows
    expect(z.grad!.toArray()).toEqual([
      [
        [
          [0.25, 0.5, 0.25],
          [0.5, 1, 0.5],
          [0.25, 0.5, 0.25],
        ],
      ],
    ]);
  });

  test('the floor drops windows that would run past the padded input', () => {
    expect(tg.avgPool2d(grid(5, 5), 2).shape).toEqual([1, 1, 2, 2]);
    expect(tg.avgPool2d(grid(5, 5), 3, { stride: 2, padding: 1 }).shape).toEqual([1, 1, 3, 3]);
  });
});

describe('1-D pooling', () => {
  const x = t([[[1, 3, 2, 5, 4, 0]]]);

  test('maxPool1d and avgPool1d', () => {
    expect(tg.maxPool1d(x, 2).toArray()).toEqual([[[3, 5, 4]]]);
    expect(x.avgPool1d(2).toArray()).toEqual([[[2, 3.5, 2]]]);
    expect(tg.maxPool1d(x, 3, { stride: 1 }).toArray()).toEqual([[[3, 5, 5, 5]]]);
    // padding 1: windows [pad,1,3], [2,5,4], … ; stride 3
    expect(tg.maxPool1d(x, 3, { stride: 3, padding: 1 }).toArray()).toEqual([[[3, 5]]]);
    expect(tg.avgPool1d(x, 3, { stride: 3, padding: 1 }).toArray()).toEqual([[[4 / 3, 11 / 3]]]);
  });

  test('unbatched [C,L] and the max gradient', () => {
    const u = t([[1, 3, 3, 0]]);
    u.requiresGrad = true;
    const y = tg.maxPool1d(u, 2);
    expect(y.shape).toEqual([1, 2]);
    y.backward(t([[5, 7]]));
    expect(u.grad!.toArray()).toEqual([[0, 5, 7, 0]]);
  });
});

describe('errors name the op and the shapes', () => {
  test('padding larger than half the kernel', () => {
    expect(() => tg.maxPool2d(tg.zeros([1, 1, 5, 5]), 3, { padding: 2 })).toThrow(
      'maxPool2d: padding [2,2] must be at most half the kernel [3,3] (input [1,1,5,5])',
    );
    expect(() => tg.avgPool2d(tg.zeros([1, 1, 5, 5]), [2, 4], { padding: [1, 3] })).toThrow(
      'avgPool2d: padding [1,3] must be at most half the kernel [2,4] (input [1,1,5,5])',
    );
    expect(() => tg.avgPool1d(tg.zeros([1, 1, 5]), 1, { padding: 1 })).toThrow(
      'avgPool1d: padding [1] must be at most half the kernel [1] (input [1,1,5])',
    );
  });

  test('kernel larger than the padded input', () => {
    expect(() => tg.maxPool2d(tg.zeros([1, 1, 2, 2]), 3)).toThrow(
      'maxPool2d: kernel [3,3] is larger than the padded input [2,2] (input [1,1,2,2], padding [0,0])',
    );
    expect(() => tg.maxPool1d(tg.zeros([1, 1, 2]), 4)).toThrow(
      'maxPool1d: kernel [4] is larger than the padded input [2] (input [1,1,2], padding [0])',
    );
    expect(tg.maxPool1d(tg.zeros([1, 1, 2]), 4, { padding: 1 }).shape).toEqual([1, 1, 1]);
  });

  test('non-positive kernel or stride, wrong ranks', () => {
    expect(() => tg.maxPool2d(tg.zeros([1, 1, 4, 4]), 0)).toThrow('maxPool2d: kernel must be positive integers, got 0 (input [1,1,4,4])');
    expect(() => tg.avgPool2d(tg.zeros([1, 1, 4, 4]), 2, { stride: [1, 0] })).toThrow(
      'avgPool2d: stride must be positive integers, got [1,0] (input [1,1,4,4])',
    );
    expect(() => tg.maxPool2d(tg.zeros([4, 4]), 2)).toThrow('maxPool2d: expected input [N,C,H,W] (or unbatched [C,H,W]), got [4,4]');
    expect(() => tg.maxPool1d(tg.zeros([1, 1, 4, 4]), 2)).toThrow('maxPool1d: expected input [N,C,L] (or unbatched [C,L]), got [1,1,4,4]');
  });
});

describe('options tapegrad does not take throw, naming them (never silently ignored)', () => {
  test("PyTorch's ceilMode, dilation, paddingMode, addBiasKv, maxNorm, and misspellings, in the ops and the layers", () => {
    const x = tg.zeros([1, 1, 5, 5]);
    expect(() => tg.maxPool2d(x, 2, { ceilMode: true } as never)).toThrow(
      "maxPool2d: unknown option 'ceilMode' (options: stride, padding) (input [1,1,5,5])",
    );
    expect(() => tg.avgPool1d(tg.zeros([1, 1, 5]), 2, { count_include_pad: false } as never)).toThrow(
      "avgPool1d: unknown option 'count_include_pad' (options: stride, padding) (input [1,1,5])",
    );
    expect(() => new tg.nn.MaxPool2d(2, { dilation: 2 } as never)).toThrow(
      "MaxPool2d: unknown option 'dilation' (options: stride, padding, rng, dtype)",
    );
    expect(() => new tg.nn.Conv2d(1, 2, 3, { paddingMode: 'reflect' } as never)).toThrow(
      "Conv2d: unknown option 'paddingMode' (options: stride, padding, dilation, groups, bias, rng, dtype)",
    );
    expect(() => new tg.nn.ConvTranspose2d(1, 2, 3, { output_padding: 1 } as never)).toThrow(
      "ConvTranspose2d: unknown option 'output_padding' (options: stride, padding, outputPadding, dilation, groups, bias, rng, dtype)",
    );
    expect(() => tg.conv2d(x, tg.zeros([2, 1, 3, 3]), null, { padding_mode: 'zeros' } as never)).toThrow(
      "conv2d: unknown option 'padding_mode' (options: stride, padding, dilation, groups, expand) (input [1,1,5,5], weight [2,1,3,3])",
    );
    expect(() => tg.convTranspose1d(tg.zeros([1, 1, 5]), tg.zeros([1, 2, 3]), null, { expand: true } as never)).toThrow(
      "convTranspose1d: unknown option 'expand' (options: stride, padding, outputPadding, dilation, groups)",
    );
    // The attention, embedding and resampling layers likewise.
    expect(() => new tg.nn.MultiheadAttention(4, 2, { addBiasKv: true } as never)).toThrow(
      "MultiheadAttention: unknown option 'addBiasKv' (options: dropout, bias, batchFirst, kdim, vdim, rng, dtype)",
    );
    expect(() => new tg.nn.TransformerEncoderLayer(4, 2, { dim_feedforward: 8 } as never)).toThrow(
      "TransformerEncoderLayer: unknown option 'dim_feedforward'",
    );
    const layer = new tg.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    expect(new tg.nn.TransformerEncoder(layer, 2, { enableNestedTensor: false }).numLayers).toBe(2);
    expect(() => new tg.nn.Embedding(10, 3, { maxNorm: 1 } as never)).toThrow(
      "Embedding: unknown option 'maxNorm' (options: paddingIdx, rng, dtype)",
    );
    expect(() => tg.interpolate(x, { scaleFactor: 2, recomputeScaleFactor: true } as never)).toThrow(
      "interpolate: unknown option 'recomputeScaleFactor' (options: size, scaleFactor, mode, alignCorners) (input [1,1,5,5])",
    );
    expect(new tg.nn.Upsample({ scaleFactor: 2 }).forward(x).shape).toEqual([1, 1, 10, 10]);
    // Options set to undefined are as good as absent; the known ones still work.
    expect(tg.maxPool2d(x, 2, { stride: undefined, padding: 1 }).shape).toEqual([1, 1, 3, 3]);
    expect(new tg.nn.MaxPool2d(2, { stride: 1 }).forward(x).shape).toEqual([1, 1, 4, 4]);
  });
});
