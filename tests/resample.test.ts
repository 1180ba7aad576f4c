/**
 * Embedding, transposed 1-D convolution, interpolate/Upsample, adaptive pooling, channel and alpha
 * dropout, pixel (un)shuffle (SPEC §15): PyTorch parity of the modules (float64, weights copied by
 * PyTorch's names), hand values, initialisation, printing, float32 at size, and errors.
 */
import * as tg from '../src';
import { checkParity, ParityCase } from './module-parity';
import { runTorch } from './torch-harness';

const { nn } = tg;
const r = tg.rng('resample');
const randn = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64' });
const int32 = (values: number[], shape?: number[]) => tg.tensor(values, { shape: shape ?? [values.length], dtype: 'int32' });
const f64 = { dtype: 'float64' as const, rng: r };

test('the modules equal PyTorch: outputs, input and parameter gradients (float64)', () => {
  const cases: ParityCase[] = [
    {
      name: 'Embedding, repeated indices',
      module: () => new nn.Embedding(6, 3, f64),
      torch: 'nn.Embedding(6, 3)',
      inputs: () => [int32([0, 5, 2, 2, 0, 1, 5, 5], [2, 4])],
    },
    {
      name: 'Embedding paddingIdx=-2 (row 4): no gradient to it',
      module: () => {
        const m = new nn.Embedding(6, 2, { ...f64, paddingIdx: -2 });
        m.weight.data.set([1, 2], 8);
        return m;
      },
      torch: 'nn.Embedding(6, 2, padding_idx=-2)',
      inputs: () => [int32([4, 1, 4, 3, 0])],
    },
    {
      name: 'ConvTranspose1d',
      module: () => new nn.ConvTranspose1d(4, 6, 3, { ...f64, stride: 2, padding: 1, outputPadding: 1, dilation: 2, groups: 2 }),
      torch: 'nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, dilation=2, groups=2)',
      inputs: () => [randn([2, 4, 5])],
    },
    {
      name: 'ConvTranspose2d without bias',
      module: () => new nn.ConvTranspose2d(3, 2, [3, 2], { ...f64, stride: [2, 1], padding: [1, 0], bias: false }),
      torch: 'nn.ConvTranspose2d(3, 2, (3, 2), stride=(2, 1), padding=(1, 0), bias=False)',
      inputs: () => [randn([2, 3, 4, 3])],
    },
    ...(
      [
        ['nearest size 7', [2, 2, 3], { size: 7 }, "size=7, mode='nearest'"],
        ['nearest scale 1.7', [1, 2, 5], { scaleFactor: 1.7 }, "scale_factor=1.7, mode='nearest'"],
        ['nearest 2-d size [5,3]', [1, 2, 3, 4], { size: [5, 3] }, "size=(5, 3), mode='nearest'"],
        ['nearest 2-d scale [2,3]', [1, 1, 2, 3], { scaleFactor: [2, 3] }, "scale_factor=(2.0, 3.0), mode='nearest'"],
        ['linear scale 2.5', [2, 2, 4], { mode: 'linear', scaleFactor: 2.5 }, "scale_factor=2.5, mode='linear'"],
        ['linear downsample size 3', [1, 2, 8], { mode: 'linear', size: 3 }, "size=3, mode='linear'"],
        ['linear alignCorners', [1, 2, 4], { mode: 'linear', size: 7, alignCorners: true }, "size=7, mode='linear', align_corners=True"],
        ['bilinear size [5,7]', [2, 2, 3, 4], { mode: 'bilinear', size: [5, 7] }, "size=(5, 7), mode='bilinear'"],
        [
          'bilinear alignCorners scale 2',
          [1, 2, 3, 3],
          { mode: 'bilinear', scaleFactor: 2, alignCorners: true },
          "scale_factor=2.0, mode='bilinear', align_corners=True",
        ],
        ['bilinear downsample', [1, 1, 6, 5], { mode: 'bilinear', size: [4, 2] }, "size=(4, 2), mode='bilinear'"],
      ] as const
    ).map(([label, shape, opts, torch]): ParityCase => ({
      name: `Upsample ${label}`,
      module: () => new nn.Upsample(opts),
      torch: `nn.Upsample(${torch})`,
      inputs: () => [randn([...shape])],
    })),
    {
      name: 'AdaptiveAvgPool1d 7 -> 3',
      module: () => new nn.AdaptiveAvgPool1d(3),
      torch: 'nn.AdaptiveAvgPool1d(3)',
      inputs: () => [randn([2, 2, 7])],
    },
    {
      name: 'AdaptiveAvgPool2d [5,7] -> [3,4]',
      module: () => new nn.AdaptiveAvgPool2d([3, 4]),
      torch: 'nn.AdaptiveAvgPool2d((3, 4))',
      inputs: () => [randn([2, 2, 5, 7])],
    },
    {
      name: 'AdaptiveAvgPool2d [4,5] -> [None, 2]',
      module: () => new nn.AdaptiveAvgPool2d([null, 2]),
      torch: 'nn.AdaptiveAvgPool2d((None, 2))',
      inputs: () => [randn([1, 3, 4, 5])],
    },
    {
      name: 'AdaptiveAvgPool2d global',
      module: () => new nn.AdaptiveAvgPool2d(1),
      torch: 'nn.AdaptiveAvgPool2d(1)',
      inputs: () => [randn([2, 3, 4, 4])],
    },
    {
      name: 'AdaptiveMaxPool1d 7 -> 3',
      module: () => new nn.AdaptiveMaxPool1d(3),
      torch: 'nn.AdaptiveMaxPool1d(3)',
      inputs: () => [randn([2, 2, 7])],
    },
    {
      name: 'AdaptiveMaxPool2d [5,6] -> [2,4]',
      module: () => new nn.AdaptiveMaxPool2d([2, 4]),
      torch: 'nn.AdaptiveMaxPool2d((2, 4))',
      inputs: () => [randn([2, 2, 5, 6])],
    },
    { name: 'PixelShuffle 2', module: () => new nn.PixelShuffle(2), torch: 'nn.PixelShuffle(2)', inputs: () => [randn([2, 8, 2, 3])] },
    {
      name: 'PixelUnshuffle 3',
      module: () => new nn.PixelUnshuffle(3),
      torch: 'nn.PixelUnshuffle(3)',
      inputs: () => [randn([1, 2, 6, 3])],
    },
  ];
  checkParity(cases);
});

describe('embedding', () => {
  test('rows looked up; repeated indices accumulate; the padding row gets exactly zero gradient', () => {
    const w = tg.tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { requiresGrad: true },
    );
    const y = tg.embedding(int32([2, 0, 2, 1], [2, 2]), w, { paddingIdx: 1 });
    expect(y.toArray()).toEqual([
      [
        [5, 6],
        [1, 2],
      ],
      [
        [5, 6],
        [3, 4],
      ],
    ]);
    tg.sum(y).backward();
    expect(w.grad!.toArray()).toEqual([
      [1, 1],
      [0, 0],
      [2, 2],
    ]);
  });

  test('nn.Embedding: N(0,1) weights from the rng, padding row zero, dtype, printing', () => {
    const a = new nn.Embedding(10, 3, { paddingIdx: 0, rng: tg.rng(3) });
    const b = tg.randn([10, 3], { rng: tg.rng(3) });
    expect(Array.from(a.weight.data).slice(3)).toEqual(Array.from(b.data).slice(3));
    expect(Array.from(a.weight.data).slice(0, 3)).toEqual([0, 0, 0]);
    expect(new nn.Embedding(2, 2, { dtype: 'float64' }).weight.dtype).toBe('float64');
    expect(a.toString()).toBe('Embedding(10, 3, padding_idx=0)');
  });

  test('errors', () => {
    const w = tg.zeros([3, 2]);
    expect(() => tg.embedding(tg.tensor([0, 1]), w)).toThrow('embedding: indices must be an int32 tensor, got float32 [2] (weight [3,2])');
    expect(() => tg.embedding(int32([0, 3]), w)).toThrow('embedding: index 3 is out of range for 3 embeddings (indices [2], weight [3,2])');
    expect(() => tg.embedding(int32([0]), tg.zeros([3]))).toThrow('embedding: weight must be [num, dim], got [3] (indices [1])');
    expect(() => new nn.Embedding(3, 2, { paddingIdx: 3 })).toThrow('Embedding: paddingIdx 3 must be within [-3, 3)');
  });

  test('float32 at size: the gather and its scatter-add backward agree with a float64 loop', () => {
    const num = 1000;
    const dim = 64;
    const w = tg.randn([num, dim], { rng: tg.rng('emb big'), requiresGrad: true });
    const g = tg.rng('emb idx');
    const idx = int32(
      Array.from({ length: 4096 }, () => g.int(num)),
      [64, 64],
    );
    const y = tg.embedding(idx, w);
    tg.sum(tg.mul(y, 2)).backward();
    const counts = new Float64Array(num);
    for (const k of idx.data) counts[k]++;
    for (let i = 0; i < idx.size; i += 97) {
      for (let j = 0; j < dim; j++) expect(y.data[i * dim + j]).toBe(w.data[idx.data[i] * dim + j]);
    }
    for (let k = 0; k < num; k++) expect(w.grad!.data[k * dim]).toBe(2 * counts[k]);
  });
});

describe('transposed convolution, resampling and shuffling: hand values', () => {
  test('convTranspose1d is convTranspose2d of height 1', () => {
    const x = randn([2, 4, 5]);
    const w = randn([4, 3, 3]);
    const a = tg.convTranspose1d(x, w, null, { stride: 2, padding: 1 });
    const b = tg.convTranspose2d(tg.reshape(x, [2, 4, 1, 5]), tg.reshape(w, [4, 3, 1, 3]), null, { stride: [1, 2], padding: [0, 1] });
    expect(a.shape).toEqual([2, 3, 9]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(() => tg.convTranspose1d(x, tg.zeros([3, 3, 3]))).toThrow(
      'convTranspose1d: input channels 4 do not match weight input channels 3',
    );
  });

  test('interpolate: nearest repeats, linear and bilinear interpolate', () => {
    expect(tg.interpolate(tg.tensor([[[1, 2]]]), { scaleFactor: 2 }).toArray()).toEqual([[[1, 1, 2, 2]]]);
    expect(tg.interpolate(tg.tensor([[[0, 4]]]), { size: 4, mode: 'linear', alignCorners: true }).toArray()).toEqual([
      [[0, 1.3333333730697632, 2.6666667461395264, 4]],
    ]);
    expect(tg.interpolate(tg.tensor([[[0, 4]]]), { size: 4, mode: 'linear' }).toArray()).toEqual([[[0, 1, 3, 4]]]);
    expect(
      tg
        .interpolate(
          tg.tensor([
            [
              [
                [0, 2],
                [4, 6],
              ],
            ],
          ]),
          { size: 3, mode: 'bilinear', alignCorners: true },
        )
        .toArray(),
    ).toEqual([
      [
        [
          [0, 1, 2],
          [2, 3, 4],
          [4, 5, 6],
        ],
      ],
    ]);
  });

  test('adaptive pooling with PyTorch windows; pixel shuffle round trip', () => {
    expect(tg.adaptiveAvgPool1d(tg.tensor([[[1, 2, 3, 4, 5]]]), 2).toArray()).toEqual([[[2, 4]]]);
    expect(tg.adaptiveMaxPool1d(tg.tensor([[[1, 5, 3, 4, 2]]]), 2).toArray()).toEqual([[[5, 4]]]);
    const x = randn([2, 8, 3, 2]);
    expect(Array.from(tg.pixelUnshuffle(tg.pixelShuffle(x, 2), 2).data)).toEqual(Array.from(x.data));
  });

  test('dropout2d zeroes whole channels and scales the rest; alphaDropout keeps mean 0 and variance 1', () => {
    const y = tg.dropout2d(tg.ones([4, 50, 3, 3]), 0.5, { rng: tg.rng('d2d') });
    for (let c = 0; c < 200; c++) {
      const plane = Array.from(y.data.slice(c * 9, (c + 1) * 9));
      expect(plane.every((v) => v === plane[0]) && (plane[0] === 0 || plane[0] === 2)).toBe(true);
    }
    const x = tg.ones([1, 2, 2]);
    expect(tg.dropout2d(x, 0.5, { training: false })).toBe(x);
    const z = tg.alphaDropout(tg.randn([200000], { rng: tg.rng('alpha x'), dtype: 'float64' }), 0.2, { rng: tg.rng('alpha') });
    const mean = tg.mean(z).item();
    const variance = tg.mean(tg.mul(z, z)).item() - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  test('float32 at size: bilinear upsampling agrees with the float64 computation', () => {
    const x64 = tg.randn([8, 16, 32, 32], { rng: tg.rng('bilinear big'), dtype: 'float64' });
    const x32 = x64.cast('float32');
    const a = tg.interpolate(x32, { scaleFactor: 2, mode: 'bilinear' });
    const b = tg.interpolate(tg.tensor(Float64Array.from(x32.data), { shape: x32.shape }), { scaleFactor: 2, mode: 'bilinear' });
    let worst = 0;
    for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
    expect(a.dtype).toBe('float32');
    expect(worst).toBeLessThan(1e-5);
  });
});

test('the modules print as PyTorch prints them', () => {
  const ours = [
    new nn.Embedding(10, 3, { paddingIdx: -1 }),
    new nn.ConvTranspose2d(2, 3, 3, { stride: 2, outputPadding: 1 }),
    new nn.ConvTranspose1d(2, 4, 3, { groups: 2, bias: false, dilation: 2 }),
    new nn.Upsample({ scaleFactor: 2 }),
    new nn.Upsample({ size: [3, 4], mode: 'bilinear' }),
    new nn.Upsample({ scaleFactor: [2, 3] }),
    new nn.AdaptiveAvgPool2d([1, null]),
    new nn.AdaptiveMaxPool2d(2),
    new nn.AdaptiveAvgPool1d(3),
    new nn.AdaptiveMaxPool1d(4),
    new nn.Dropout2d(),
    new nn.AlphaDropout(0.2),
    new nn.PixelShuffle(2),
    new nn.PixelUnshuffle(3),
  ].map(String);
  const torch = runTorch<string[]>(`import torch.nn as nn
emit([repr(m) for m in [nn.Embedding(10, 3, padding_idx=-1), nn.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1),
  nn.ConvTranspose1d(2, 4, 3, groups=2, bias=False, dilation=2), nn.Upsample(scale_factor=2), nn.Upsample(size=(3, 4), mode='bilinear'),
  nn.Upsample(scale_factor=(2, 3)), nn.AdaptiveAvgPool2d((1, None)), nn.AdaptiveMaxPool2d(2), nn.AdaptiveAvgPool1d(3), nn.AdaptiveMaxPool1d(4),
  nn.Dropout2d(), nn.AlphaDropout(0.2), nn.PixelShuffle(2), nn.PixelUnshuffle(3)]])`);
  expect(ours).toEqual(torch);
});

test('errors name the op and the shapes', () => {
  expect(() => tg.interpolate(tg.zeros([1, 2, 3]), { size: 4, mode: 'bilinear' })).toThrow(
    "interpolate: mode 'bilinear' needs input [N,C,H,W], got [1,2,3]",
  );
  expect(() => tg.interpolate(tg.zeros([1, 2, 3]), { size: 4, scaleFactor: 2 })).toThrow(
    'interpolate: give exactly one of size and scaleFactor (input [1,2,3])',
  );
  expect(() => tg.interpolate(tg.zeros([1, 2, 3]), { size: 4, alignCorners: true })).toThrow(
    "interpolate: alignCorners can only be set with the interpolating modes 'linear' and 'bilinear' (input [1,2,3])",
  );
  expect(() => tg.adaptiveAvgPool2d(tg.zeros([2, 3]), 1)).toThrow(
    'adaptiveAvgPool2d: expected input [N,C,H,W] (or unbatched [C,H,W]), got [2,3]',
  );
  expect(() => tg.adaptiveMaxPool2d(tg.zeros([1, 2, 3, 3]), [0, 1])).toThrow(
    'adaptiveMaxPool2d: outputSize must be a positive integer (or null) or 2 of them, got [0,1] (input [1,2,3,3])',
  );
  expect(() => tg.pixelShuffle(tg.zeros([1, 6, 2, 2]), 2)).toThrow(
    'pixelShuffle: channels 6 are not divisible by the factor squared 4 (input [1,6,2,2])',
  );
  expect(() => tg.dropout2d(tg.zeros([2, 3]), 0.5)).toThrow('dropout2d: expected input [N,C,H,W] or [N,C,L], got [2,3]');
  expect(() => tg.alphaDropout(tg.zeros([2]), 2)).toThrow('alphaDropout: probability p must be in [0,1], got 2 (input [2])');
});
