/**
 * conv1d, conv2d and convTranspose2d: the tutorial's convolution layer computed by hand, output
 * sizes, stride, groups and depthwise, the transpose as the adjoint, the backward written with
 * convolutions (STYLE point 7), and every error naming op and shapes.
 */
import * as tg from '../src';

const t = (values: tg.NestedArray) => tg.tensor(values, { dtype: 'float64' });
const r = tg.rng('conv:test');
const randn = (shape: number[], requiresGrad = false) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad });
function dot(a: tg.Tensor, b: tg.Tensor): number {
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i] * b.data[i];
  return s;
}
const total = (values: ArrayLike<number>) => Array.from(values).reduce((s, v) => s + v, 0);

function expectClose(a: tg.Tensor, b: tg.Tensor, digits = 10): void {
  expect(a.shape).toEqual(b.shape);
  a.data.forEach((v, i) => expect(v).toBeCloseTo(b.data[i], digits));
}

describe("the tutorial's convolution layer: 5x5x3 input, K = 2 filters of 3x3x3, stride 2, pad 1", () => {
  // The tutorial's x (MATLAB x(:,:,1..3)), as NCHW [1,3,5,5]: channel c is x(:,:,c+1).
  const x = t([
    [
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
    ],
  ]);
  // Two filters w0, w1 of 3x3x3 (channel by channel) and a bias per filter.
  const w = t([
    [
      [
        [1, 0, -1],
        [0, 1, 0],
        [-1, 0, 1],
      ],
      [
        [0, 1, 0],
        [1, -1, 1],
        [0, 1, 0],
      ],
      [
        [-1, -1, 0],
        [0, 0, 1],
        [1, 0, 0],
      ],
    ],
    [
      [
        [0, 0, 1],
        [1, 0, 0],
        [0, -1, 0],
      ],
      [
        [-1, 0, 0],
        [0, 0, -1],
        [1, 1, 0],
      ],
      [
        [0, 1, -1],
        [-1, 1, 0],
        [0, 0, 1],
      ],
    ],
  ]);
  const bias = t([1, 0]);

  test('output size (5 − 3 + 2)/2 + 1 = 3: a 3x3x2 result', () => {
    expect(tg.conv2d(x, w, bias, { stride: 2, padding: 1 }).shape).toEqual([1, 2, 3, 3]);
  });

  test('values match the hand computation', () => {
    // Output (k, oh, ow) = b_k + Σ_c Σ_ij w_k[c][i][j] · xpad[c][2·oh + i][2·ow + j], xpad = padarray(x, [1 1]).
    // Two entries spelled out:
    //  (0,0,0): the window covers padding on its top row and left column, so only w[.][1..2][1..2] meets x[.][0..1][0..1]:
    //    ch0: 1·1 + 0·1 + 0·2 + 1·2 = 3;  ch1: −1·2 + 1·1 + 1·0 + 0·2 = −1;  ch2: 0·2 + 1·1 + 0·1 + 0·1 = 1;  + b0 = 1  → 4
    //  (1,1,1): the window is x[.][1..3][1..3], all inside:
    //    ch0: 1·x[1][3] + 1·x[2][1] − 1·x[3][2] = 2 + 0 − 2 = 0
    //    ch1: −x[1][1] − x[2][3] + x[3][1] + x[3][2] = −2 − 2 + 2 + 0 = −2
    //    ch2: x[1][2] − x[1][3] − x[2][1] + x[2][2] + x[3][3] = 1 − 0 − 0 + 1 + 2 = 4;  + b1 = 0  → 2
    const byHand = [
      [
        [4, 5, -1],
        [0, 2, 7],
        [3, 5, 2],
      ],
      [
        [0, 1, 2],
        [5, 2, 5],
        [-2, -2, 0],
      ],
    ];
    expect(tg.conv2d(x, w, bias, { stride: 2, padding: 1 }).toArray()).toEqual([byHand]);
    expect(x.conv2d(w, bias, { stride: 2, padding: 1 }).toArray()).toEqual([byHand]);
  });

  test('the same layer through an explicit zero padding (padarray) and no conv padding', () => {
    const padded = tg.pad(x, [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
    ]);
    expect(tg.conv2d(padded, w, bias, { stride: 2 }).toArray()).toEqual(tg.conv2d(x, w, bias, { stride: 2, padding: 1 }).toArray());
  });

  test('the bias gradient is gy summed over batch and positions; the weight gradient is x correlated with gy', () => {
    const xs = x.detach();
    const ws = w.detach();
    ws.requiresGrad = true;
    const b = bias.detach();
    b.requiresGrad = true;
    const gy = randn([1, 2, 3, 3]);
    tg.conv2d(xs, ws, b, { stride: 2, padding: 1 }).backward(gy);
    expect(Array.from(b.grad!.data)).toEqual([0, 1].map((k) => total(gy.data.slice(9 * k, 9 * k + 9))));
    // dL/dw_k[c][i][j] = Σ_{oh,ow} gy[k][oh][ow] · xpad[c][2·oh + i][2·ow + j]
    const xpad = tg.pad(x, [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
    ]);
    for (let k = 0; k < 2; k++) {
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) {
            let s = 0;
            for (let oh = 0; oh < 3; oh++)
              for (let ow = 0; ow < 3; ow++) s += gy.data[k * 9 + oh * 3 + ow] * xpad.data[c * 49 + (2 * oh + i) * 7 + 2 * ow + j];
            expect(ws.grad!.data[((k * 3 + c) * 3 + i) * 3 + j]).toBeCloseTo(s, 12);
          }
        }
      }
    }
  });
});

describe('output sizes', () => {
  // (W − F + 2P)/S + 1, floored; with dilation D the kernel spans D·(F−1) + 1.
  test.each([
    // W, F, P, S, D, expected
    [5, 3, 1, 2, 1, 3], // the tutorial's layer
    [7, 3, 0, 1, 1, 5],
    [7, 3, 0, 2, 1, 3],
    [32, 3, 1, 1, 1, 32], // 'same' for odd kernels
    [32, 5, 2, 1, 1, 32],
    [227, 11, 0, 4, 1, 55], // AlexNet's first layer
    [6, 2, 0, 2, 1, 3], // kernel 2 stride 2 halves
    [5, 2, 0, 2, 1, 2], // the last column is dropped (floor)
    [4, 4, 0, 1, 1, 1],
    [7, 3, 0, 1, 2, 3], // dilated span 5
    [9, 3, 2, 2, 3, 4], // (9 + 4 − 7)/2 + 1
  ])('W=%i F=%i P=%i S=%i D=%i gives %i', (W, F, P, S, D, expected) => {
    expect(Math.floor((W - (D * (F - 1) + 1) + 2 * P) / S) + 1).toBe(expected);
    const y = tg.conv2d(tg.zeros([1, 1, W, W + 1]), tg.zeros([1, 1, F, F]), null, { padding: P, stride: S, dilation: D });
    expect(y.shape).toEqual([1, 1, expected, Math.floor((W + 1 - (D * (F - 1) + 1) + 2 * P) / S) + 1]);
    expect(tg.conv1d(tg.zeros([1, 1, W]), tg.zeros([1, 1, F]), null, { padding: P, stride: S, dilation: D }).shape).toEqual([
      1,
      1,
      expected,
    ]);
  });

  test('convTranspose2d: (H − 1)·S − 2P + D·(F − 1) + outputPadding + 1', () => {
    const y = tg.convTranspose2d(tg.zeros([1, 2, 3, 4]), tg.zeros([2, 5, 3, 2]), null, {
      stride: [2, 3],
      padding: [1, 0],
      dilation: [1, 2],
      outputPadding: [1, 2],
    });
    expect(y.shape).toEqual([1, 5, 2 * 2 - 2 + 2 + 1 + 1, 3 * 3 - 0 + 2 + 2 + 1]);
  });
});

describe('stride', () => {
  test('kernel 2 with stride 2 halves each dimension; each output sums its own 2x2 block', () => {
    const x = tg.reshape(tg.arange(48, { dtype: 'float64' }), [1, 1, 8, 6]);
    const y = tg.conv2d(x, tg.ones([1, 1, 2, 2], { dtype: 'float64' }), null, { stride: 2 });
    expect(y.shape).toEqual([1, 1, 4, 3]);
    const at = (i: number, j: number) => i * 6 + j;
    for (let oh = 0; oh < 4; oh++) {
      for (let ow = 0; ow < 3; ow++) {
        const block = at(2 * oh, 2 * ow) + at(2 * oh, 2 * ow + 1) + at(2 * oh + 1, 2 * ow) + at(2 * oh + 1, 2 * ow + 1);
        expect(y.data[oh * 3 + ow]).toBe(block);
      }
    }
  });

  test('stride [2,1] moves the window 2 rows but 1 column at a time', () => {
    const x = tg.reshape(tg.arange(20, { dtype: 'float64' }), [1, 1, 4, 5]);
    const y = tg.conv2d(x, t([[[[1]]]]), null, { stride: [2, 1] });
    expect(y.toArray()).toEqual([
      [
        [
          [0, 1, 2, 3, 4],
          [10, 11, 12, 13, 14],
        ],
      ],
    ]);
  });
});

describe('groups and depthwise', () => {
  test('groups=2 is two independent convolutions, concatenated along channels', () => {
    const x = randn([2, 4, 5, 5]);
    const w = randn([6, 2, 3, 3]);
    const b = randn([6]);
    const y = tg.conv2d(x, w, b, { groups: 2, padding: 1 });
    const channels = (a: tg.Tensor, lo: number, hi: number) => tg.slice(a, [0, lo], [a.shape[0], hi]);
    const filters = (a: tg.Tensor, lo: number, hi: number) => tg.slice(a, [lo], [hi]);
    const first = tg.conv2d(channels(x, 0, 2), filters(w, 0, 3), filters(b, 0, 3), { padding: 1 });
    const second = tg.conv2d(channels(x, 2, 4), filters(w, 3, 6), filters(b, 3, 6), { padding: 1 });
    expectClose(y, tg.concat([first, second], 1));
  });

  test('depthwise (groups = channels) filters each channel with its own kernel', () => {
    const x = randn([1, 3, 4, 4]);
    const w = randn([3, 1, 3, 3]);
    const y = tg.conv2d(x, w, null, { groups: 3, padding: 1 });
    for (let c = 0; c < 3; c++) {
      const xc = tg.slice(x, [0, c], [1, c + 1]);
      const wc = tg.slice(w, [c], [c + 1]);
      expectClose(tg.slice(y, [0, c], [1, c + 1]), tg.conv2d(xc, wc, null, { padding: 1 }));
    }
  });
});

describe('conv1d', () => {
  test('a single channel is numpy.correlate: valid without padding, full with padding F − 1', () => {
    const x = t([0, 1, 2, 3, 4]);
    const w = t([1, -1, 2]);
    const view = (a: tg.Tensor) => tg.reshape(a, [1, 1, a.size]);
    expect(tg.conv1d(view(x), view(w)).toArray()).toEqual([[tg.correlate(x, w, 'valid').toArray()]]);
    expect(tg.conv1d(view(x), view(w), null, { padding: 2 }).toArray()).toEqual([[tg.correlate(x, w, 'full').toArray()]]);
    // and convolution with the flipped kernel, as the tutorial's y = x ⊛ w
    expect(tg.conv1d(view(x), view(tg.flip(w))).toArray()).toEqual([[[1, 3, 5]]]);
  });

  test('equals conv2d on a height-1 view, with every option', () => {
    const x = randn([2, 4, 11]);
    const w = randn([6, 2, 3]);
    const b = randn([6]);
    const opts = { stride: 2, padding: 2, dilation: 2, groups: 2 };
    const y = tg.conv1d(x, w, b, opts);
    const y2 = tg.conv2d(tg.reshape(x, [2, 4, 1, 11]), tg.reshape(w, [6, 2, 1, 3]), b, {
      stride: [1, 2],
      padding: [0, 2],
      dilation: [1, 2],
      groups: 2,
    });
    expectClose(y, tg.reshape(y2, y.shape));
    expect(x.conv1d(w, b, opts).toArray()).toEqual(y.toArray());
  });
});

describe('unbatched input and dtypes', () => {
  test('[C,H,W] behaves as a batch of one', () => {
    const x = randn([2, 4, 4]);
    const w = randn([3, 2, 3, 3]);
    const y = tg.conv2d(x, w, null, { padding: 1 });
    expect(y.shape).toEqual([3, 4, 4]);
    expectClose(y, tg.reshape(tg.conv2d(tg.reshape(x, [1, 2, 4, 4]), w, null, { padding: 1 }), [3, 4, 4]));
    expect(tg.conv1d(randn([2, 6]), randn([3, 2, 2])).shape).toEqual([3, 5]);
    expect(tg.convTranspose2d(randn([2, 3, 3]), randn([2, 1, 2, 2])).shape).toEqual([1, 4, 4]);
  });

  test('float32 stays float32 and matches float64 closely; mixed dtypes promote', () => {
    const x = randn([1, 2, 5, 5]);
    const w = randn([3, 2, 3, 3]);
    const y32 = tg.conv2d(tg.cast(x, 'float32'), tg.cast(w, 'float32'));
    expect(y32.dtype).toBe('float32');
    expectClose(tg.cast(y32, 'float64'), tg.conv2d(x, w), 4);
    expect(tg.conv2d(tg.cast(x, 'float32'), w).dtype).toBe('float64');
  });
});

describe('convTranspose2d', () => {
  const x = t([
    [
      [
        [1, 2],
        [3, 4],
      ],
    ],
  ]);
  const ones = t([
    [
      [
        [1, 1],
        [1, 1],
      ],
    ],
  ]);

  test('stride 2 spreads each input over its own 2x2 block', () => {
    expect(tg.convTranspose2d(x, ones, null, { stride: 2 }).toArray()).toEqual([
      [
        [
          [1, 1, 2, 2],
          [1, 1, 2, 2],
          [3, 3, 4, 4],
          [3, 3, 4, 4],
        ],
      ],
    ]);
  });

  test('stride 1 is the full convolution', () => {
    expect(tg.convTranspose2d(x, ones).toArray()).toEqual([
      [
        [
          [1, 3, 2],
          [4, 10, 6],
          [3, 7, 4],
        ],
      ],
    ]);
  });

  test('padding crops and outputPadding adds back a row and column at the end', () => {
    // y[ih] collects x[oh]·w[i] with ih = 2·oh − 1 + i: row 0 ← x row 0 (i=1), rows 1 and 2 ← x row 1
    expect(tg.convTranspose2d(x, ones, null, { stride: 2, padding: 1, outputPadding: 1 }).toArray()).toEqual([
      [
        [
          [1, 2, 2],
          [3, 4, 4],
          [3, 4, 4],
        ],
      ],
    ]);
    expect(tg.convTranspose2d(x, ones, t([10]), { stride: 2, padding: 1 }).toArray()).toEqual([
      [
        [
          [11, 12],
          [13, 14],
        ],
      ],
    ]);
  });

  test('is the adjoint of conv2d: <conv2d(x, w), y> = <x, convTranspose2d(y, w)>, for every option', () => {
    const options = [
      { stride: 1, padding: 0, dilation: 1, groups: 1 },
      { stride: 2, padding: 1, dilation: 1, groups: 1 },
      { stride: [2, 3] as [number, number], padding: [0, 2] as [number, number], dilation: [2, 1] as [number, number], groups: 2 },
      { stride: 3, padding: 1, dilation: 2, groups: 4 },
    ];
    for (const o of options) {
      const xs = randn([2, 4, 9, 8]);
      const w = randn([4, 4 / o.groups, 3, 2]);
      const y = tg.conv2d(xs, w, null, o);
      const ys = randn(y.shape as number[]);
      // outputPadding recovers x's size: what the floor in conv2d's output size dropped
      const outputPadding = [0, 1].map((d) => {
        const s = typeof o.stride === 'number' ? o.stride : o.stride[d];
        const p = typeof o.padding === 'number' ? o.padding : o.padding[d];
        const dil = typeof o.dilation === 'number' ? o.dilation : o.dilation[d];
        const k = w.shape[2 + d];
        return (xs.shape[2 + d] + 2 * p - dil * (k - 1) - 1) % s;
      });
      const back = tg.convTranspose2d(ys, w, null, { ...o, outputPadding });
      expect(back.shape).toEqual(xs.shape);
      expect(dot(y, ys)).toBeCloseTo(dot(xs, back), 9);
    }
  });
});

describe('backward is convolution (STYLE point 7)', () => {
  test('the input gradient of conv2d is a convTranspose2d node, the weight gradient a conv2dWeight node', () => {
    const x = randn([1, 2, 5, 5], true);
    const w = randn([3, 2, 3, 3], true);
    const [gx, gw] = tg.grad(tg.conv2d(x, w, null, { stride: 2, padding: 1 }), [x, w], {
      gradOutputs: [randn([1, 3, 3, 3])],
      createGraph: true,
    });
    expect(gx!.node!.op).toBe('convTranspose2d');
    expect(gx!.node!.describe()).toBe('stride=2 pad=1');
    expect(gw!.node!.op).toBe('conv2dWeight');
  });

  test('the input gradient of convTranspose2d is a conv2d node', () => {
    const x = randn([1, 2, 3, 3], true);
    const w = randn([2, 3, 3, 3], true);
    const [gx] = tg.grad(tg.convTranspose2d(x, w, null, { stride: 2 }), [x], { gradOutputs: [randn([1, 3, 7, 7])], createGraph: true });
    expect(gx!.node!.op).toBe('conv2d');
  });

  test('the input gradient equals a convTranspose2d of gy computed directly', () => {
    const x = randn([2, 3, 6, 5], true);
    const w = randn([4, 3, 3, 2], true);
    const opts = { stride: 2, padding: 1 };
    const y = tg.conv2d(x, w, null, opts);
    const gy = randn(y.shape as number[]);
    y.backward(gy);
    // H: (6 + 2 − 3) mod 2 = 1 row and W: (5 + 2 − 2) mod 2 = 1 column lost to the floor
    expectClose(x.grad!, tg.convTranspose2d(gy, w, null, { ...opts, outputPadding: [1, 1] }));
  });

  test('a Hessian-vector product through two convolutions and a tanh matches central differences', () => {
    const x = randn([1, 2, 4, 4], true);
    const w1 = randn([3, 2, 3, 3], true);
    const w2 = randn([2, 3, 2, 2], true);
    const loss = (a: tg.Tensor) => tg.sum(tg.tanh(tg.conv2d(tg.tanh(tg.conv2d(a, w1, null, { padding: 1 })), w2, null, { stride: 2 })));
    const v = randn([1, 2, 4, 4]);
    const [g] = tg.grad(loss(x), [x], { createGraph: true });
    const [hv] = tg.grad(tg.sum(tg.mul(g!, v)), [x]);
    const eps = 1e-5;
    const shifted = (s: number) => {
      const xs = tg.add(x.detach(), tg.mul(v, s)).detach();
      xs.requiresGrad = true;
      return tg.grad(loss(xs), [xs])[0]!;
    };
    const numeric = tg.div(tg.sub(shifted(eps), shifted(-eps)), 2 * eps);
    expectClose(hv!, numeric, 6);
  });
});

describe('errors name the op and the shapes', () => {
  const x = tg.zeros([2, 3, 5, 5]);

  test('channel mismatch', () => {
    expect(() => tg.conv2d(x, tg.zeros([8, 4, 3, 3]))).toThrow(
      'conv2d: input channels 3 do not match weight channels 4 (input [2,3,5,5], weight [8,4,3,3])',
    );
    expect(() => tg.conv2d(tg.zeros([1, 6, 5, 5]), tg.zeros([4, 2, 3, 3]), null, { groups: 2 })).toThrow(
      'conv2d: input channels 6 do not match weight channels 2 × groups 2 = 4 (input [1,6,5,5], weight [4,2,3,3])',
    );
    expect(() => tg.conv1d(tg.zeros([1, 2, 5]), tg.zeros([1, 3, 2]))).toThrow(
      'conv1d: input channels 2 do not match weight channels 3 (input [1,2,5], weight [1,3,2])',
    );
    expect(() => tg.convTranspose2d(x, tg.zeros([4, 2, 3, 3]))).toThrow(
      'convTranspose2d: input channels 3 do not match weight input channels 4 (input [2,3,5,5], weight [4,2,3,3])',
    );
  });

  test('groups not dividing the channels', () => {
    expect(() => tg.conv2d(tg.zeros([1, 4, 5, 5]), tg.zeros([6, 2, 3, 3]), null, { groups: 4 })).toThrow(
      'conv2d: groups 4 must divide the output channels 6 (input [1,4,5,5], weight [6,2,3,3])',
    );
    expect(() => tg.conv2d(tg.zeros([1, 4, 5, 5]), tg.zeros([6, 1, 3, 3]), null, { groups: 3 })).toThrow(
      'conv2d: groups 3 must divide the input channels 4 (input [1,4,5,5], weight [6,1,3,3])',
    );
    expect(() => tg.convTranspose2d(tg.zeros([1, 3, 5, 5]), tg.zeros([3, 1, 3, 3]), null, { groups: 2 })).toThrow(
      'convTranspose2d: groups 2 must divide the input channels 3 (input [1,3,5,5], weight [3,1,3,3])',
    );
    expect(() => tg.conv2d(x, tg.zeros([2, 3, 3, 3]), null, { groups: 0 })).toThrow(
      'conv2d: groups must be a positive integer, got 0 (input [2,3,5,5], weight [2,3,3,3])',
    );
  });

  test('kernel larger than the padded input', () => {
    expect(() => tg.conv2d(tg.zeros([1, 1, 2, 2]), tg.zeros([1, 1, 5, 5]), null, { padding: 1 })).toThrow(
      'conv2d: kernel 5x5 is larger than the padded input 4x4 (input [1,1,2,2], weight [1,1,5,5], padding [1,1])',
    );
    expect(() => tg.conv2d(tg.zeros([1, 1, 5, 5]), tg.zeros([1, 1, 3, 3]), null, { dilation: 3 })).toThrow(
      'conv2d: kernel 3x3 (dilated 7x7) is larger than the padded input 5x5 (input [1,1,5,5], weight [1,1,3,3], padding [0,0])',
    );
    expect(() => tg.conv1d(tg.zeros([1, 1, 2]), tg.zeros([1, 1, 3]))).toThrow(
      'conv1d: kernel 3 is larger than the padded input 2 (input [1,1,2], weight [1,1,3], padding [0])',
    );
  });

  test('non-positive stride, negative padding, zero dilation', () => {
    expect(() => tg.conv2d(x, tg.zeros([2, 3, 3, 3]), null, { stride: [0, 1] })).toThrow(
      'conv2d: stride must be positive integers, got [0,1] (input [2,3,5,5], weight [2,3,3,3])',
    );
    expect(() => tg.conv1d(tg.zeros([1, 1, 5]), tg.zeros([1, 1, 3]), null, { stride: -1 })).toThrow(
      'conv1d: stride must be positive integers, got -1 (input [1,1,5], weight [1,1,3])',
    );
    expect(() => tg.conv2d(x, tg.zeros([2, 3, 3, 3]), null, { padding: -1 })).toThrow(
      'conv2d: padding must be non-negative integers, got -1 (input [2,3,5,5], weight [2,3,3,3])',
    );
    expect(() => tg.conv2d(x, tg.zeros([2, 3, 3, 3]), null, { dilation: 0 })).toThrow(
      'conv2d: dilation must be positive integers, got 0 (input [2,3,5,5], weight [2,3,3,3])',
    );
    expect(() => tg.conv2d(x, tg.zeros([2, 3, 3, 3]), null, { stride: [1, 2, 3] })).toThrow(
      'conv2d: stride must be a number or 2 numbers, got [1,2,3] (input [2,3,5,5], weight [2,3,3,3])',
    );
    expect(() => tg.convTranspose2d(x, tg.zeros([3, 2, 3, 3]), null, { stride: 0 })).toThrow(
      'convTranspose2d: stride must be positive integers, got 0 (input [2,3,5,5], weight [3,2,3,3])',
    );
  });

  test('wrong bias length', () => {
    expect(() => tg.conv2d(x, tg.zeros([8, 3, 3, 3]), tg.zeros([3]))).toThrow(
      'conv2d: bias of shape [3] does not match the 8 output channels (input [2,3,5,5], weight [8,3,3,3])',
    );
    expect(() => tg.convTranspose2d(x, tg.zeros([3, 2, 3, 3]), tg.zeros([3]), { groups: 3 })).toThrow(
      'convTranspose2d: bias of shape [3] does not match the 6 output channels (input [2,3,5,5], weight [3,2,3,3])',
    );
  });

  test('wrong ranks', () => {
    expect(() => tg.conv2d(tg.zeros([5, 5]), tg.zeros([1, 1, 3, 3]))).toThrow(
      'conv2d: expected input [N,C,H,W] (or unbatched [C,H,W]), got [5,5]',
    );
    expect(() => tg.conv2d(x, tg.zeros([3, 3, 3]))).toThrow('conv2d: expected weight [K,C/groups,Fh,Fw], got [3,3,3] (input [2,3,5,5])');
    expect(() => tg.conv1d(tg.zeros([1, 1, 1, 5]), tg.zeros([1, 1, 3]))).toThrow(
      'conv1d: expected input [N,C,L] (or unbatched [C,L]), got [1,1,1,5]',
    );
  });

  test('outputPadding must be smaller than the stride or the dilation', () => {
    expect(() => tg.convTranspose2d(x, tg.zeros([3, 2, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(
      'convTranspose2d: outputPadding [2,2] must be smaller than the stride [2,2] or the dilation [1,1] (input [2,3,5,5], weight [3,2,3,3])',
    );
  });

  test('an input that is not a tensor', () => {
    expect(() => tg.conv2d([1, 2] as unknown as tg.Tensor, tg.zeros([1, 1, 1, 1]))).toThrow('conv2d: input must be a Tensor, got object');
  });
});
