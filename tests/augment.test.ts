/** Augmentation on [N,C,H,W] batches: exact mirrors, shape-keeping crops, in-range shifts, reproducible by seed. */
import * as tg from '../src';

const { augment } = tg.data;
const values = (t: tg.Tensor) => Array.from(t.data);
const batch = () => tg.rand([6, 3, 5, 4], { rng: tg.rng('augment batch') });
/** Image i of a batch as a [C,H,W] tensor. */
const image = (x: tg.Tensor, i: number) => tg.reshape(tg.slice(x, [i], [i + 1]), x.shape.slice(1));

describe('flipHorizontal', () => {
  test('p = 1 mirrors every image exactly; p = 0 changes nothing; the input is untouched', () => {
    const x = batch();
    const before = values(x);
    expect(values(augment.flipHorizontal(x, { p: 1 }))).toEqual(values(tg.flip(x, [3])));
    expect(values(augment.flipHorizontal(x, { p: 0 }))).toEqual(before);
    expect(values(x)).toEqual(before);
  });

  test('p = 0.5: each image is either itself or its exact mirror, reproducibly by seed', () => {
    const x = batch();
    const y = augment.flipHorizontal(x, { rng: tg.rng(4) });
    expect(y.shape).toEqual(x.shape);
    let flipped = 0;
    for (let i = 0; i < 6; i++) {
      const same = values(image(y, i));
      if (JSON.stringify(same) === JSON.stringify(values(image(x, i)))) continue;
      expect(same).toEqual(values(tg.flip(image(x, i), [2])));
      flipped++;
    }
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(6);
    expect(values(augment.flipHorizontal(x, { rng: tg.rng(4) }))).toEqual(values(y));
  });
});

describe('randomCrop', () => {
  test('keeps the shape; each image is the zero-padded image cropped at some offset; reproducible', () => {
    const x = batch();
    const padding = 2;
    const y = augment.randomCrop(x, { padding, rng: tg.rng('crop') });
    expect(y.shape).toEqual(x.shape);
    const offsets = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const padded = tg.pad(image(x, i), [
        [0, 0],
        [padding, padding],
        [padding, padding],
      ]);
      const target = JSON.stringify(values(image(y, i)));
      const matches: string[] = [];
      for (let dy = 0; dy <= 2 * padding; dy++) {
        for (let dx = 0; dx <= 2 * padding; dx++) {
          const crop = tg.slice(padded, [0, dy, dx], [3, dy + 5, dx + 4]);
          if (JSON.stringify(values(crop)) === target) matches.push(`${dy},${dx}`);
        }
      }
      expect(matches).toHaveLength(1);
      offsets.add(matches[0]);
    }
    expect(offsets.size).toBeGreaterThan(1);
    expect(values(augment.randomCrop(x, { padding, rng: tg.rng('crop') }))).toEqual(values(y));
    expect(values(augment.randomCrop(x, { padding: 0 }))).toEqual(values(x));
  });

  test('[h, w] padding and errors', () => {
    const x = batch();
    const y = augment.randomCrop(x, { padding: [0, 1], rng: tg.rng('rows fixed') });
    expect(y.shape).toEqual([6, 3, 5, 4]);
    // Padding [0, 1]: rows stay in place, columns shift by -1, 0 or 1.
    for (let i = 0; i < 6; i++) {
      const padded = tg.pad(image(x, i), [
        [0, 0],
        [0, 0],
        [1, 1],
      ]);
      const crops = [0, 1, 2].map((dx) => JSON.stringify(values(tg.slice(padded, [0, 0, dx], [3, 5, dx + 4]))));
      expect(crops).toContain(JSON.stringify(values(image(y, i))));
    }
    expect(() => augment.randomCrop(x, { padding: -1 })).toThrow(
      'augment.randomCrop: padding must be a non-negative integer or [h, w] pair, got -1',
    );
    expect(() => augment.randomCrop(tg.ones([3, 4, 4]), { padding: 1 })).toThrow(
      'augment.randomCrop: expected a batch [N,C,H,W], got [3,4,4]',
    );
  });
});

describe('rgbShift', () => {
  test('one shift per image and channel, within ±amount, clipped to [0,1]; reproducible', () => {
    const x = batch();
    const amount = 0.3;
    const y = augment.rgbShift(x, { amount, rng: tg.rng('shift') });
    expect(y.shape).toEqual(x.shape);
    expect(Math.min(...values(y))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values(y))).toBeLessThanOrEqual(1);
    let clipped = 0;
    for (let k = 0; k < 6 * 3; k++) {
      const plane = (t: tg.Tensor) => Array.from(t.data.subarray(k * 20, (k + 1) * 20));
      const diffs = plane(y)
        .map((v, e) => v - plane(x)[e])
        .filter((_, e) => plane(y)[e] > 0 && plane(y)[e] < 1);
      clipped += 20 - diffs.length;
      expect(diffs.length).toBeGreaterThan(0);
      for (const d of diffs) {
        expect(d).toBeCloseTo(diffs[0], 6);
        expect(Math.abs(d)).toBeLessThanOrEqual(amount + 1e-6);
      }
    }
    expect(clipped).toBeGreaterThan(0);
    expect(values(augment.rgbShift(x, { amount, rng: tg.rng('shift') }))).toEqual(values(y));
    expect(values(augment.rgbShift(x, { amount, rng: tg.rng('other') }))).not.toEqual(values(y));
    expect(values(augment.rgbShift(x, { amount: 0 }))).toEqual(values(x));
  });

  test('a custom range; errors', () => {
    const x = tg.mul(batch(), 255);
    const y = augment.rgbShift(x, { amount: 100, range: [0, 255], rng: tg.rng('bytes') });
    expect(Math.max(...values(y))).toBeLessThanOrEqual(255);
    expect(Math.max(...values(y))).toBeGreaterThan(1);
    expect(() => augment.rgbShift(x, { amount: -1 })).toThrow('augment.rgbShift: amount must be a non-negative number, got -1');
    expect(() => augment.flipHorizontal(tg.ones([2, 2]))).toThrow('augment.flipHorizontal: expected a batch [N,C,H,W], got [2,2]');
  });
});
