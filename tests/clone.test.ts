/** clone (PyTorch's Tensor.clone): a copy with storage of its own that stays in the graph. */
import * as tg from '../src';

test('the copy has its own storage, the same shape, dtype and values; writing into it leaves x alone', () => {
  for (const dtype of ['float32', 'float64', 'int32', 'bool'] as const) {
    const x = tg.tensor(
      [
        [1, 0],
        [3, 4],
      ],
      { dtype },
    );
    const y = tg.clone(x);
    expect([y.shape, y.dtype, y.toArray()]).toEqual([[2, 2], dtype, x.toArray()]);
    expect(y.data).not.toBe(x.data);
    y.data[0] = 0;
    expect(x.data[0]).toBe(1);
  }
});

test('the gradient passes through unchanged; requiresGrad follows the input; detach after clone cuts it', () => {
  const x = tg.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
  const y = x.clone();
  expect(y.requiresGrad).toBe(true);
  y.mul(tg.tensor([4, 5, 6], { dtype: 'float64' }))
    .sum()
    .backward();
  expect(x.grad!.toArray()).toEqual([4, 5, 6]);
  expect(x.clone().detach().requiresGrad).toBe(false);
  expect(tg.tensor([1]).clone().requiresGrad).toBe(false);
  // Second order: clone is linear, so d²/dx² of sum(clone(x)²) is 2 per element.
  const [g] = tg.grad(x.clone().square().sum(), [x], { createGraph: true });
  const [gg] = tg.grad(g!.sum(), [x]);
  expect(gg!.toArray()).toEqual([2, 2, 2]);
});
