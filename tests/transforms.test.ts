/**
 * tg.data.transforms (SPEC §16), as torchvision.transforms: toTensor, normalize, the flips and crops
 * (hand-derived), and resize against PyTorch's bilinear interpolation (antialias off).
 */
import * as tg from '../src';
import { decodeTensor, encodeTensor, runTorch, TensorJson } from './torch-harness';

const T = tg.data.transforms;

/** [1,3,4]: one channel, values 0..11. */
const grid = tg.arange(12).reshape([1, 3, 4]);

test('toTensor: HWC pixels in 0..255 to CHW float32 in [0,1], from {data, width, height} or nested arrays', () => {
  const rgba = { data: Uint8Array.from([255, 0, 51, 255, 0, 102, 0, 255]), width: 2, height: 1 };
  const x = T.toTensor(rgba);
  expect([x.dtype, x.shape]).toEqual(['float32', [4, 1, 2]]);
  expect(x.toArray()).toEqual([[[1, 0]], [[0, Math.fround(0.4)]], [[Math.fround(0.2), 0]], [[1, 1]]]);
  expect(
    T.toTensor([
      [0, 255],
      [51, 102],
    ]).toArray(),
  ).toEqual([
    [
      [0, 1],
      [Math.fround(0.2), Math.fround(0.4)],
    ],
  ]);
  expect(T.toTensor()([[[255, 0, 0]]]).shape).toEqual([3, 1, 1]);
  expect(() => T.toTensor([[0, 256]])).toThrow('toTensor: pixel (0, 1) channel 0 is 256, not a value in 0–255');
  expect(() => T.toTensor({ data: new Uint8Array(5), width: 2, height: 1 })).toThrow('toTensor: 5 values do not fill a 1×2 image');
  expect(() => T.toTensor(grid as unknown as tg.data.transforms.ImageInput)).toThrow('toTensor: the input is already a tensor [1,3,4]');
});

test('normalize: (x - mean) / std per channel', () => {
  const x = tg.tensor([[[1, 3]], [[10, 20]]]);
  expect(T.normalize([1, 10], [2, 5])(x).toArray()).toEqual([[[0, 1]], [[0, 2]]]);
  expect(T.normalize(0.5, 0.5)(tg.tensor([[[0, 1]]])).toArray()).toEqual([[[-1, 1]]]);
  expect(() => T.normalize([0, 0, 0], [1, 1, 1])(x)).toThrow('normalize: mean has 3 values for 2 channels (input [2,1,2])');
  expect(() => T.normalize([0], [0])).toThrow('normalize: std [0] has a zero');
});

test('randomHorizontalFlip flips the last axis with probability p, drawing from its rng', () => {
  expect(T.randomHorizontalFlip(1)(grid).toArray()).toEqual([
    [
      [3, 2, 1, 0],
      [7, 6, 5, 4],
      [11, 10, 9, 8],
    ],
  ]);
  expect(T.randomHorizontalFlip(0)(grid)).toBe(grid);
  const g = tg.rng('flip');
  const draws = Array.from({ length: 8 }, () => g.next() < 0.5);
  const flip = T.randomHorizontalFlip(0.5, { rng: tg.rng('flip') });
  expect(Array.from({ length: 8 }, () => flip(grid).data[0] === 3)).toEqual(draws);
});

test('randomCrop: padding first, then a window at offsets drawn as torchvision (top, then left)', () => {
  const g = tg.rng('crop');
  const top = g.int(3 + 2 - 2 + 1);
  const left = g.int(4 + 2 - 3 + 1);
  const padded = tg.pad(grid, [
    [0, 0],
    [1, 1],
    [1, 1],
  ]);
  const y = T.randomCrop([2, 3], { padding: 1, rng: tg.rng('crop') })(grid);
  expect(y.toArray()).toEqual(tg.slice(padded, [0, top, left], [1, top + 2, left + 3]).toArray());
  expect(T.randomCrop([3, 4])(grid)).toBe(grid);
  expect(T.randomCrop(4, { padIfNeeded: true, rng: tg.rng(0) })(grid).shape).toEqual([1, 4, 4]);
  expect(() => T.randomCrop(5)(grid)).toThrow('randomCrop: crop size [5,5] is larger than the (padded) image [3,4] (input [1,3,4])');
});

test("centerCrop: Python's rounding of the offsets; zero padding when the image is smaller", () => {
  // (3 - 2) / 2 = 0.5 rounds to 0 and (4 - 1) / 2 = 1.5 to 2, as Python's round.
  expect(T.centerCrop([2, 1])(grid).toArray()).toEqual([[[2], [6]]]);
  expect(T.centerCrop(2)(grid).toArray()).toEqual([
    [
      [1, 2],
      [5, 6],
    ],
  ]);
  expect(T.centerCrop([5, 4])(grid).toArray()).toEqual([
    [
      [0, 0, 0, 0],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
      [0, 0, 0, 0],
    ],
  ]);
});

test('compose chains transforms in order', () => {
  const pipeline = T.compose([T.toTensor(), T.normalize(0.5, 0.5), T.centerCrop(1)]);
  expect(pipeline([[0, 255, 0]]).toArray()).toEqual([[[1]]]);
  expect(() => T.compose([T.toTensor(), 3 as unknown as tg.data.transforms.Transform])).toThrow(
    'compose: transform 1 is not a function (got number)',
  );
});

describe('resize agrees with PyTorch (bilinear, align_corners=False, antialias=False)', () => {
  const x = tg.randn([2, 3, 7, 10], { rng: tg.rng('resize'), dtype: 'float64' });
  const cases: [string, number | [number, number]][] = [
    ['down to [3,4]', [3, 4]],
    ['up to [11,13]', [11, 13]],
    ['shorter side to 5', 5],
    ['mixed [14,6]', [14, 6]],
  ];
  const torch = runTorch<TensorJson[]>(
    `
import torch.nn.functional as F
x = tensor_from(job['x'])
out = []
for size in job['sizes']:
    if isinstance(size, int):
        h, w = x.shape[-2:]
        short, long = (w, h) if w <= h else (h, w)
        new_long = int(size * long / short)
        size = (new_long, size) if w <= h else (size, new_long)
    out.append(F.interpolate(x, size=tuple(size), mode='bilinear', align_corners=False, antialias=False))
emit(out)
`,
    { x: encodeTensor(x), sizes: cases.map(([, s]) => s) },
  );
  test.each(cases.map(([name, size], i) => [name, size, i] as const))('%s', (_name, size, i) => {
    const ours = T.resize(size)(x);
    const theirs = decodeTensor(torch[i]);
    expect(ours.shape).toEqual(theirs.shape);
    const worst = Math.max(...Array.from(ours.data, (v, k) => Math.abs(v - theirs.data[k])));
    expect(worst).toBeLessThan(1e-12);
  });

  test('float32 stays float32; the shorter side rule; gradients flow', () => {
    expect(T.resize(4)(tg.zeros([3, 8, 16])).shape).toEqual([3, 4, 8]);
    expect(T.resize(4)(tg.zeros([3, 16, 8])).shape).toEqual([3, 8, 4]);
    const img = tg.ones([1, 2, 2], { requiresGrad: true });
    tg.sum(T.resize([4, 4])(img)).backward();
    expect(img.grad!.toArray()).toEqual([
      [
        [4, 4],
        [4, 4],
      ],
    ]);
    expect(() => T.resize(0)).toThrow('resize: size must be a positive integer or [h, w], got 0');
  });
});
