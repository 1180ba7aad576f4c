/** Layers as functions: linear, dropout and batchNorm — hand values, PyTorch's semantics, error messages. */
import * as tg from '../src';

const values = (t: tg.Tensor) => Array.from(t.data);
const close = (actual: ArrayLike<number>, expected: number[], digits = 6) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
};

describe('linear', () => {
  const x = () =>
    tg.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
  const w = () =>
    tg.tensor(
      [
        [1, 0, 1],
        [0, 1, 0],
      ],
      { requiresGrad: true },
    );

  test('x @ w^T + bias, by hand', () => {
    expect(tg.linear(x(), w(), tg.tensor([1, 2])).toArray()).toEqual([
      [5, 4],
      [11, 7],
    ]);
    expect(x().linear(w()).toArray()).toEqual([
      [4, 2],
      [10, 5],
    ]);
    expect(tg.linear(tg.tensor([1, 2, 3]), w(), null).toArray()).toEqual([4, 2]);
    expect(tg.linear(tg.ones([2, 5, 3]), w()).shape).toEqual([2, 5, 2]);
  });

  test('gradients: gw = gy^T x, gb = sum of gy over the batch, gx = gy w', () => {
    const xs = x();
    const ws = w();
    const b = tg.tensor([1, 2], { requiresGrad: true });
    tg.linear(xs, ws, b).backward(
      tg.tensor([
        [1, 0],
        [2, -1],
      ]),
    );
    expect(ws.grad!.toArray()).toEqual([
      [1 + 8, 2 + 10, 3 + 12],
      [-4, -5, -6],
    ]);
    expect(b.grad!.toArray()).toEqual([3, -1]);
    expect(xs.grad!.toArray()).toEqual([
      [1, 0, 1],
      [2, -1, 2],
    ]);
  });

  test('shape errors name the op and the shapes', () => {
    expect(() => tg.linear(tg.ones([2, 4]), w())).toThrow(
      'linear: input features 4 do not match weight in-features 3 (input [2,4], weight [2,3])',
    );
    expect(() => tg.linear(tg.ones([2, 3]), w(), tg.ones([3]))).toThrow(
      'linear: bias must be [2] to match weight out-features (input [2,3], weight [2,3], bias [3])',
    );
    expect(() => tg.linear(tg.ones([2, 3]), tg.ones([3]))).toThrow('linear: weight must be 2-d [out,in] (input [2,3], weight [3])');
  });
});

describe('dropout', () => {
  const p = 0.3;
  const n = 20000;
  // Positive, distinct values, so a zero in the output can only come from the mask.
  const input = () => tg.add(tg.rand([n], { rng: tg.rng('dropout input') }), 0.5);

  test('eval mode (training: false) and p = 0 are the identity', () => {
    const x = input();
    expect(tg.dropout(x, p, { training: false })).toBe(x);
    expect(tg.dropout(x, 0)).toBe(x);
  });

  test('in training every output is 0 or x/(1-p), and the kept fraction is within 5 sigma of 1-p', () => {
    const x = input();
    const y = tg.dropout(x, p, { rng: tg.rng(1) });
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (y.data[i] === 0) continue;
      kept++;
      expect(Math.abs(y.data[i] - x.data[i] / (1 - p))).toBeLessThan(1e-6 * x.data[i]);
    }
    expect(Math.abs(kept / n - (1 - p))).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
  });

  test('E[out] = x: the mean of many outputs of a constant input is within 5 sigma of it', () => {
    const y = tg.dropout(tg.full([n], 2), p, { rng: tg.rng(2) });
    const mean = values(y).reduce((a, b) => a + b, 0) / n;
    // Each output is 2/(1-p) with probability 1-p: standard deviation 2·sqrt(p/(1-p)).
    expect(Math.abs(mean - 2)).toBeLessThan(5 * 2 * Math.sqrt(p / (1 - p) / n));
  });

  test('the gradient uses the same mask, scaled by 1/(1-p)', () => {
    const x = tg.tensor(values(input()).slice(0, 1000), { requiresGrad: true });
    const y = tg.dropout(x, p, { rng: tg.rng(3) });
    const gy = tg.randn([1000], { rng: tg.rng('gy') });
    y.backward(gy);
    for (let i = 0; i < 1000; i++) {
      if (y.data[i] === 0) expect(Math.abs(x.grad!.data[i])).toBe(0);
      else expect(x.grad!.data[i]).toBeCloseTo(gy.data[i] / (1 - p), 5);
    }
  });

  test('the same seed gives the same mask; another seed another one; the default generator follows manualSeed', () => {
    const x = input();
    expect(values(tg.dropout(x, p, { rng: tg.rng(9) }))).toEqual(values(tg.dropout(x, p, { rng: tg.rng(9) })));
    expect(values(tg.dropout(x, p, { rng: tg.rng(9) }))).not.toEqual(values(tg.dropout(x, p, { rng: tg.rng(10) })));
    tg.manualSeed(5);
    const a = values(x.dropout(p));
    tg.manualSeed(5);
    expect(values(x.dropout(p))).toEqual(a);
  });

  test('p = 1 drops everything; p outside [0,1] throws', () => {
    expect(values(tg.dropout(tg.ones([4]), 1))).toEqual([0, 0, 0, 0]);
    expect(() => tg.dropout(tg.ones([2, 3]), 1.5)).toThrow('dropout: probability p must be in [0,1], got 1.5 (input [2,3])');
    expect(() => tg.dropout(tg.ones([2]), -0.1)).toThrow('dropout: probability p must be in [0,1], got -0.1');
  });
});

describe('batchNorm', () => {
  test('[N,C] in training: batch mean and biased variance, then weight and bias (by hand)', () => {
    // Channel 0 holds 1, 3: mean 2, variance 1; channel 1 holds 2, 6: mean 4, variance 4.
    const x = tg.tensor(
      [
        [1, 2],
        [3, 6],
      ],
      { dtype: 'float64' },
    );
    expect(tg.batchNorm(x, { eps: 0 }).toArray()).toEqual([
      [-1, -1],
      [1, 1],
    ]);
    const y = tg.batchNorm(x, { weight: tg.tensor([2, 3]), bias: tg.tensor([0.5, -1]), eps: 0 });
    expect(y.toArray()).toEqual([
      [-1.5, -4],
      [2.5, 2],
    ]);
    // With the default eps = 1e-5: (x - mean) / sqrt(var + eps).
    close(
      values(tg.batchNorm(x)),
      [-1 / Math.sqrt(1 + 1e-5), -2 / Math.sqrt(4 + 1e-5), 1 / Math.sqrt(1 + 1e-5), 2 / Math.sqrt(4 + 1e-5)],
      12,
    );
  });

  test('running statistics are updated in place with momentum and the unbiased variance', () => {
    const x = tg.tensor([
      [1, 2],
      [3, 6],
    ]);
    const runningMean = tg.zeros([2]);
    const runningVar = tg.ones([2]);
    const meanData = runningMean.data;
    tg.batchNorm(x, { runningMean, runningVar });
    // mean: 0.9·0 + 0.1·[2,4]; unbiased variance [2,8]: 0.9·1 + 0.1·[2,8].
    expect(runningMean.data).toBe(meanData);
    close(values(runningMean), [0.2, 0.4]);
    close(values(runningVar), [1.1, 1.7]);
    tg.batchNorm(x, { runningMean, runningVar, momentum: 0.5 });
    close(values(runningMean), [0.5 * 0.2 + 0.5 * 2, 0.5 * 0.4 + 0.5 * 4]);
    close(values(runningVar), [0.5 * 1.1 + 0.5 * 2, 0.5 * 1.7 + 0.5 * 8]);
    expect(runningMean.requiresGrad).toBe(false);
    expect(runningMean.node).toBeNull();
  });

  test('[N,C,L] reduces over N and L per channel', () => {
    // Channel 0: 1,3,5,7 (mean 4, biased var 5, unbiased 20/3); channel 1: 0,0,2,4 (mean 1.5, var 2.75, unbiased 11/3).
    const x = tg.tensor(
      [
        [
          [1, 3],
          [0, 0],
        ],
        [
          [5, 7],
          [2, 4],
        ],
      ],
      { dtype: 'float64' },
    );
    const runningMean = tg.zeros([2], { dtype: 'float64' });
    const runningVar = tg.ones([2], { dtype: 'float64' });
    const y = tg.batchNorm(x, { runningMean, runningVar, eps: 0 });
    const s0 = Math.sqrt(5);
    const s1 = Math.sqrt(2.75);
    close(values(y), [-3 / s0, -1 / s0, -1.5 / s1, -1.5 / s1, 1 / s0, 3 / s0, 0.5 / s1, 2.5 / s1], 12);
    close(values(runningMean), [0.4, 0.15], 12);
    close(values(runningVar), [0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (11 / 3)], 12);
  });

  test('[N,C,H,W]: each channel comes out with mean 0 and variance 1', () => {
    const x = tg.add(tg.mul(tg.randn([4, 3, 5, 5], { rng: tg.rng('bn4'), dtype: 'float64' }), 3), 7);
    const y = x.batchNorm({ eps: 0 });
    expect(y.shape).toEqual([4, 3, 5, 5]);
    const mean = tg.mean(y, [0, 2, 3]);
    const variance = tg.mean(tg.mul(y, y), [0, 2, 3]);
    close(values(mean), [0, 0, 0], 10);
    close(values(variance), [1, 1, 1], 10);
  });

  test('eval mode normalises with the running statistics and leaves them alone', () => {
    const x = tg.tensor(
      [
        [1, 2],
        [3, 6],
      ],
      { dtype: 'float64' },
    );
    const runningMean = tg.tensor([1, 2], { dtype: 'float64' });
    const runningVar = tg.tensor([4, 9], { dtype: 'float64' });
    const y = tg.batchNorm(x, { runningMean, runningVar, weight: tg.tensor([2, 1]), bias: tg.tensor([0, 1]), training: false, eps: 0 });
    expect(y.toArray()).toEqual([
      [0, 1],
      [2, 1 + 4 / 3],
    ]);
    expect(values(runningMean)).toEqual([1, 2]);
    expect(values(runningVar)).toEqual([4, 9]);
    // A batch of one is fine in eval mode.
    expect(tg.batchNorm(tg.tensor([[3, 5]]), { runningMean, runningVar, training: false, eps: 0 }).toArray()).toEqual([[1, 1]]);
  });

  test('eval mode without running statistics uses the batch statistics', () => {
    const x = tg.tensor(
      [
        [1, 2],
        [3, 6],
        [2, -1],
      ],
      { dtype: 'float64' },
    );
    expect(values(tg.batchNorm(x, { training: false }))).toEqual(values(tg.batchNorm(x)));
  });

  test('the fused backward and the recorded one (createGraph) give the same gradients, in float32 at LeNet sizes', () => {
    const r = tg.rng('bn-fused');
    const x = tg.add(tg.mul(tg.randn([32, 16, 10, 10], { rng: r }), 2), 5);
    x.requiresGrad = true;
    const w = tg.randn([16], { rng: r, requiresGrad: true });
    const b = tg.randn([16], { rng: r, requiresGrad: true });
    const gy = tg.randn([32, 16, 10, 10], { rng: r });
    const y = () => tg.batchNorm(x, { weight: w, bias: b });
    const fused = tg.grad([y()], [x, w, b], { gradOutputs: [gy] });
    const recorded = tg.grad([y()], [x, w, b], { gradOutputs: [gy], createGraph: true });
    expect(recorded[0]!.requiresGrad).toBe(true);
    expect(fused[0]!.requiresGrad).toBe(false);
    for (let i = 0; i < 3; i++) {
      const f = values(fused[i]!);
      const g = values(recorded[i]!);
      const scale = Math.max(...g.map(Math.abs));
      const worst = Math.max(...f.map((v, k) => Math.abs(v - g[k])));
      expect(worst).toBeLessThan(1e-5 * scale);
    }
  });

  test('mixed dtypes meet in float64, as in the elementwise ops', () => {
    const x = tg.tensor([
      [1, 2],
      [3, 6],
    ]);
    const y = tg.batchNorm(x, { weight: tg.tensor([2, 3], { dtype: 'float64' }), eps: 0 });
    expect(y.dtype).toBe('float64');
    expect(y.toArray()).toEqual([
      [-2, -3],
      [2, 3],
    ]);
  });

  test('in training without a graph (noGrad) the running statistics still update', () => {
    const runningMean = tg.zeros([2]);
    const runningVar = tg.ones([2]);
    tg.noGrad(() =>
      tg.batchNorm(
        tg.tensor([
          [1, 2],
          [3, 6],
        ]),
        { runningMean, runningVar },
      ),
    );
    close(values(runningMean), [0.2, 0.4]);
    close(values(runningVar), [1.1, 1.7]);
  });

  test('errors name the op and the shapes', () => {
    expect(() => tg.batchNorm(tg.ones([3]))).toThrow('batchNorm: expected input [N,C], [N,C,L] or [N,C,H,W], got [3]');
    expect(() => tg.batchNorm(tg.ones([2, 2, 2, 2, 2]))).toThrow('got [2,2,2,2,2]');
    expect(() => tg.batchNorm(tg.ones([4, 3]), { weight: tg.ones([2]) })).toThrow(
      'batchNorm: weight of shape [2] does not match the 3 channels of input [4,3]',
    );
    expect(() => tg.batchNorm(tg.ones([4, 3]), { runningVar: tg.ones([3]) })).toThrow(
      'batchNorm: pass both runningMean and runningVar or neither (input [4,3])',
    );
    expect(() => tg.batchNorm(tg.ones([1, 3]))).toThrow('batchNorm: expected more than 1 value per channel when training, got input [1,3]');
  });
});
