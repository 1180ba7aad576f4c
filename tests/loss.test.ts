/** Losses and regularisation: hand values, gradients, reductions, stability, error messages. */
import * as tg from '../src';

const values = (t: tg.Tensor) => Array.from(t.data);
const close = (actual: ArrayLike<number>, expected: number[], digits = 6) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
};
const f64 = (data: tg.NestedArray, requiresGrad = false) => tg.tensor(data, { dtype: 'float64', requiresGrad });

describe('crossEntropy', () => {
  // Row 0: -log softmax([1,2,3])[2] = log(1 + e^-1 + e^-2); row 1: -log(1/3) = log 3.
  const row0 = Math.log(1 + Math.exp(-1) + Math.exp(-2));
  const row1 = Math.log(3);
  const logits = () =>
    f64(
      [
        [1, 2, 3],
        [1, 1, 1],
      ],
      true,
    );

  test('per-row -log softmax at the target, with every reduction', () => {
    const none = tg.crossEntropy(logits(), [2, 0], { reduction: 'none' });
    expect(none.shape).toEqual([2]);
    close(values(none), [row0, row1], 12);
    const sum = tg.crossEntropy(logits(), [2, 0], { reduction: 'sum' });
    expect(sum.shape).toEqual([]);
    expect(sum.item()).toBeCloseTo(row0 + row1, 12);
    const mean = tg.crossEntropy(logits(), [2, 0]);
    expect(mean.shape).toEqual([]);
    expect(mean.item()).toBeCloseTo((row0 + row1) / 2, 12);
  });

  test('the gradient of the mean is (softmax - onehot) / N', () => {
    const x = logits();
    tg.crossEntropy(x, [2, 0]).backward();
    const z = 1 + Math.E + Math.E ** 2;
    close(values(x.grad!), [1 / z / 2, Math.E / z / 2, (Math.E ** 2 / z - 1) / 2, (1 / 3 - 1) / 2, 1 / 3 / 2, 1 / 3 / 2], 12);
  });

  test('targets as number[], Int32Array or a Tensor of indices give the same loss', () => {
    const a = tg.crossEntropy(logits(), [2, 0]).item();
    expect(tg.crossEntropy(logits(), Int32Array.from([2, 0])).item()).toBe(a);
    expect(
      logits()
        .crossEntropy(tg.tensor([2, 0]))
        .item(),
    ).toBe(a);
  });

  test('stable for logits of ±1000', () => {
    const x = tg.tensor(
      [
        [1000, -1000],
        [-1000, 1000],
      ],
      { requiresGrad: true },
    );
    close(values(tg.crossEntropy(x, [1, 1], { reduction: 'none' })), [2000, 0], 3);
    tg.crossEntropy(x, [1, 1]).backward();
    close(values(x.grad!), [0.5, -0.5, 0, 0], 6);
  });

  test('bad targets and shapes throw, naming the op and the shapes', () => {
    expect(() => tg.crossEntropy(logits(), [3, 0])).toThrow('crossEntropy: target 3 of row 0 is not a class index in [0,3) (input [2,3])');
    expect(() => tg.crossEntropy(logits(), [0, -1])).toThrow(
      'crossEntropy: target -1 of row 1 is not a class index in [0,3) (input [2,3])',
    );
    expect(() => tg.crossEntropy(logits(), tg.tensor([0.5, 1]))).toThrow('crossEntropy: target 0.5 of row 0 is not a class index in [0,3)');
    expect(() => tg.crossEntropy(logits(), [0])).toThrow('crossEntropy: 1 targets for 2 rows (input [2,3])');
    expect(() => tg.crossEntropy(logits(), tg.tensor([[0], [1]]))).toThrow(
      'crossEntropy: targets must be 1-d [N], got [2,1] (input [2,3])',
    );
    // An unbatched [C] input takes one class index, a 0-d target (SPEC §15).
    expect(() => tg.crossEntropy(tg.ones([3]), [0, 1])).toThrow('crossEntropy: 2 targets for target shape [] (input [3])');
    expect(() => tg.crossEntropy(tg.ones([]), [0])).toThrow('crossEntropy: expected input [N,C], [N,C,d1,...] or [C], got []');
    expect(() => tg.crossEntropy(logits(), [0, 1], { reduction: 'avg' as 'mean' })).toThrow(
      "crossEntropy: unknown reduction 'avg' (use 'mean', 'sum' or 'none')",
    );
  });
});

describe('svmLoss (multiclass hinge)', () => {
  // CS231n's three images (cat, car, frog): per-row losses 2.9, 0 and 12.9, no division by C.
  const scores = () =>
    f64(
      [
        [3.2, 5.1, -1.7],
        [1.3, 4.9, 2.0],
        [2.2, 2.5, -3.1],
      ],
      true,
    );
  const targets = [0, 1, 2];

  test('per row sum over j != y of max(0, s_j - s_y + 1), with every reduction', () => {
    close(values(tg.svmLoss(scores(), targets, { reduction: 'none' })), [2.9, 0, 12.9], 12);
    expect(tg.svmLoss(scores(), targets, { reduction: 'sum' }).item()).toBeCloseTo(15.8, 12);
    expect(tg.svmLoss(scores(), targets).item()).toBeCloseTo(15.8 / 3, 12);
  });

  test('margin changes the threshold', () => {
    // Margin 2. Row 0: max(0, 5.1 - 3.2 + 2) + max(0, -1.7 - 3.2 + 2) = 3.9 + 0. Row 1: max(0, 1.3 - 4.9 + 2)
    // + max(0, 2.0 - 4.9 + 2) = 0. Row 2: (2.2 + 3.1 + 2) + (2.5 + 3.1 + 2) = 7.3 + 7.6.
    close(values(scores().svmLoss(targets, { margin: 2, reduction: 'none' })), [3.9, 0, 14.9], 12);
  });

  test('gradient: +1 for each violating class, minus the number of violations for the target', () => {
    const s = scores();
    tg.svmLoss(s, targets, { reduction: 'sum' }).backward();
    // Row 0: only class 1 violates. Row 1: none. Row 2: classes 0 and 1 violate.
    expect(values(s.grad!)).toEqual([-1, 1, 0, 0, 0, 0, 1, 1, -2]);
  });

  test('errors', () => {
    expect(() => tg.svmLoss(scores(), [0, 1, 3])).toThrow('svmLoss: target 3 of row 2 is not a class index in [0,3) (input [3,3])');
    expect(() => tg.svmLoss(scores(), targets, { margin: NaN })).toThrow('svmLoss: margin must be a finite number, got NaN');
  });
});

describe('mseLoss and euclideanLoss', () => {
  test('mseLoss: squared errors, reduced', () => {
    const pred = f64([1, 2, 3], true);
    const target = f64([1, 0, 0]);
    expect(values(tg.mseLoss(pred, target, { reduction: 'none' }))).toEqual([0, 4, 9]);
    expect(tg.mseLoss(pred, target, { reduction: 'sum' }).item()).toBe(13);
    const mean = pred.mseLoss(target);
    expect(mean.item()).toBeCloseTo(13 / 3, 12);
    mean.backward();
    close(values(pred.grad!), [0, 4 / 3, 2], 12);
  });

  test('euclideanLoss: sum of squared errors over 2N', () => {
    const pred = f64(
      [
        [1, 2],
        [3, 4],
      ],
      true,
    );
    const loss = tg.euclideanLoss(pred, tg.zeros([2, 2], { dtype: 'float64' }));
    expect(loss.shape).toEqual([]);
    expect(loss.item()).toBe((1 + 4 + 9 + 16) / 4);
    loss.backward();
    // d/dpred = (pred - target) / N.
    expect(values(pred.grad!)).toEqual([0.5, 1, 1.5, 2]);
  });

  test('shape mismatches throw', () => {
    expect(() => tg.mseLoss(tg.ones([2, 3]), tg.ones([3, 2]))).toThrow('mseLoss: pred [2,3] and target [3,2] must have the same shape');
    expect(() => tg.euclideanLoss(tg.ones([2]), tg.ones([3]))).toThrow('euclideanLoss: pred [2] and target [3] must have the same shape');
    expect(() => tg.euclideanLoss(tg.scalar(1), tg.scalar(1))).toThrow('euclideanLoss: expected pred [N,...] with a batch axis, got []');
  });
});

describe('penalties', () => {
  test('l2Penalty is 0.5·λ·Σw², so its gradient is λ·w (the tutorial)', () => {
    const w1 = f64(
      [
        [1, -2],
        [3, 0],
      ],
      true,
    );
    const w2 = f64([0.5], true);
    const penalty = tg.l2Penalty([w1, w2], 0.1);
    expect(penalty.item()).toBeCloseTo(0.5 * 0.1 * (1 + 4 + 9 + 0.25), 12);
    penalty.backward();
    close(values(w1.grad!), [0.1, -0.2, 0.3, 0], 12);
    close(values(w2.grad!), [0.05], 12);
  });

  test('l1Penalty is λ·Σ|w|, gradient λ·sign(w) and 0 at 0', () => {
    const w = f64([1, -2, 0], true);
    const penalty = tg.l1Penalty([w], 0.5);
    expect(penalty.item()).toBe(1.5);
    penalty.backward();
    expect(values(w.grad!)).toEqual([0.5, -0.5, 0]);
  });

  test('an empty list costs 0; bad lambda throws', () => {
    expect(tg.l2Penalty([], 1).item()).toBe(0);
    expect(() => tg.l1Penalty([tg.ones([2])], NaN)).toThrow('l1Penalty: lambda must be a finite number, got NaN');
  });

  test('maxNorm rescales, in place and without grad, each slice whose norm exceeds c (torch.renorm)', () => {
    const w = f64(
      [
        [3, 4],
        [0.3, 0.4],
      ],
      true,
    );
    const data = w.data;
    expect(tg.maxNorm(w, 1)).toBe(w);
    expect(w.data).toBe(data);
    // Row 0 has norm 5 > 1: scaled by 1/(5 + 1e-7) as torch does; row 1 (norm 0.5) untouched.
    expect(values(w)).toEqual([3 / (5 + 1e-7), 4 / (5 + 1e-7), 0.3, 0.4]);
    expect(w.node).toBeNull();
    expect(w.requiresGrad).toBe(true);
    // Along axis 1 the slices are the columns: norms sqrt(10) and sqrt(20) (times 0.1 in the second row).
    const cols = f64([
      [1, 2],
      [3, 4],
    ]);
    cols.maxNorm(3, 1);
    const n0 = Math.sqrt(10);
    const n1 = Math.sqrt(20);
    close(values(cols), [3 / (n0 + 1e-7), (2 * 3) / (n1 + 1e-7), (3 * 3) / (n0 + 1e-7), (4 * 3) / (n1 + 1e-7)], 12);
    expect(() => tg.maxNorm(f64([1, 2]), -1)).toThrow('maxNorm: c must be a non-negative number, got -1 (weight [2])');
    expect(() => tg.maxNorm(f64([[1, 2]]), 1, 2)).toThrow('maxNorm: axis 2 is out of range for shape [1,2]');
  });
});
