/** softmax and logSoftmax (SPEC §2): values, any axis, stability for logits of ±1000, gradients. */
import * as tg from '../src';

const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });

function softmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / s);
}

describe('softmax', () => {
  test('values along the last axis by default', () => {
    const y = tg.softmax(
      f64([
        [1, 2, 3],
        [0, 0, 0],
      ]),
    );
    const want = [...softmaxRow([1, 2, 3]), 1 / 3, 1 / 3, 1 / 3];
    y.data.forEach((v, i) => expect(v).toBeCloseTo(want[i], 14));
  });

  test('along another axis, negative or not', () => {
    const x = f64([
      [1, 5],
      [2, 3],
      [0, 4],
    ]);
    const y0 = x.softmax(0);
    const yn = x.softmax(-2);
    const col = softmaxRow([1, 2, 0]);
    expect((y0.toArray() as number[][]).map((r) => r[0])).toEqual(col.map((v) => expect.closeTo(v, 14)));
    expect(Array.from(yn.data)).toEqual(Array.from(y0.data));
    const sums = y0.sum(0).data;
    sums.forEach((v) => expect(v).toBeCloseTo(1, 14));
  });

  test('stable for logits of ±1000, in float32 too', () => {
    const x = tg.tensor([
      [1000, -1000, 0],
      [-1000, -1000, -1000],
    ]);
    const y = x.softmax();
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    expect(y.toArray()).toEqual([
      [1, 0, 0],
      [expect.closeTo(1 / 3, 6), expect.closeTo(1 / 3, 6), expect.closeTo(1 / 3, 6)],
    ]);
    const l = x.logSoftmax();
    expect(l.toArray()).toEqual([
      [0, -2000, -1000],
      [expect.closeTo(-Math.log(3), 5), expect.closeTo(-Math.log(3), 5), expect.closeTo(-Math.log(3), 5)],
    ]);
  });

  test('gradients stay finite at ±1000', () => {
    const x = f64([1000, -1000, 999], true);
    x.logSoftmax()
      .mul(f64([1, 2, 3]))
      .sum()
      .backward();
    expect(Array.from(x.grad!.data).every(Number.isFinite)).toBe(true);
  });

  test('a size-1 axis gives ones; an empty batch gives an empty result', () => {
    expect(tg.softmax(f64([[3], [-2]]), 1).toArray()).toEqual([[1], [1]]);
    expect(tg.softmax(tg.zeros([0, 4])).shape).toEqual([0, 4]);
  });
});

describe('logSoftmax', () => {
  test('equals log of softmax where both are representable', () => {
    const x = f64([
      [0.5, -1, 2],
      [3, 3, 1],
    ]);
    const a = x.logSoftmax();
    const b = x.softmax().log();
    a.data.forEach((v, i) => expect(v).toBeCloseTo(b.data[i], 13));
  });

  test('gradient by hand: gy - softmax · Σgy', () => {
    const x = f64([0.2, -0.4, 1.1], true);
    const gy = [1, -2, 0.5];
    x.logSoftmax().backward(f64(gy));
    const p = softmaxRow([0.2, -0.4, 1.1]);
    const total = gy.reduce((s, v) => s + v, 0);
    x.grad!.data.forEach((v, i) => expect(v).toBeCloseTo(gy[i] - p[i] * total, 13));
  });

  test('softmax gradient by hand: p ⊙ (gy - p·gy)', () => {
    const x = f64([0.2, -0.4, 1.1], true);
    const gy = [1, -2, 0.5];
    x.softmax().backward(f64(gy));
    const p = softmaxRow([0.2, -0.4, 1.1]);
    const dot = p.reduce((s, v, i) => s + v * gy[i], 0);
    x.grad!.data.forEach((v, i) => expect(v).toBeCloseTo(p[i] * (gy[i] - dot), 13));
  });
});
