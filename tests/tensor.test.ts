/** Tensor creation, storage, dtypes, conversion and the shape helpers (SPEC §1). */
import * as tg from '../src';

describe('tensor()', () => {
  test('nested arrays give a row-major float32 tensor of their shape', () => {
    const x = tg.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe('float32');
    expect(x.data).toBeInstanceOf(Float32Array);
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(x.size).toBe(6);
    expect(x.ndim).toBe(2);
    expect(x.requiresGrad).toBe(false);
    expect(x.grad).toBeNull();
  });

  test('a number gives a 0-d tensor', () => {
    const x = tg.tensor(3);
    expect(x.shape).toEqual([]);
    expect(x.ndim).toBe(0);
    expect(x.size).toBe(1);
    expect(x.item()).toBe(3);
    expect(x.toArray()).toBe(3);
  });

  test('typed arrays keep their dtype unless told otherwise, and are copied', () => {
    const src = new Float64Array([1.5, 2.5]);
    const x = tg.tensor(src);
    expect(x.dtype).toBe('float64');
    expect(x.shape).toEqual([2]);
    src[0] = 99;
    expect(x.data[0]).toBe(1.5);
    expect(tg.tensor(new Float64Array([1, 2]), { dtype: 'float32' }).dtype).toBe('float32');
    expect(tg.tensor(new Float32Array([1, 2])).dtype).toBe('float32');
  });

  test('opts: shape, dtype, requiresGrad, name', () => {
    const x = tg.tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2], dtype: 'float64', requiresGrad: true, name: 'w' });
    expect(x.shape).toEqual([3, 2]);
    expect(x.dtype).toBe('float64');
    expect(x.requiresGrad).toBe(true);
    expect(x.name).toBe('w');
    expect(x.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(x.isLeaf).toBe(true);
  });

  test('float64 keeps values float32 would round', () => {
    expect(tg.tensor([0.1], { dtype: 'float64' }).data[0]).toBe(0.1);
    expect(tg.tensor([0.1]).data[0]).toBe(Math.fround(0.1));
  });

  test('zero-size tensors', () => {
    const e = tg.tensor([]);
    expect(e.shape).toEqual([0]);
    expect(e.toArray()).toEqual([]);
    const e2 = tg.tensor([[], []]);
    expect(e2.shape).toEqual([2, 0]);
    expect(e2.toArray()).toEqual([[], []]);
    expect(tg.zeros([0, 3]).toArray()).toEqual([]);
    expect(tg.zeros([2, 0, 1]).toArray()).toEqual([[], []]);
  });

  test('ragged arrays, bad dtypes and wrong shapes throw', () => {
    expect(() => tg.tensor([[1, 2], [3]])).toThrow('tensor: ragged nested array, expected shape [2,2]');
    expect(() => tg.tensor([1, [2]] as never)).toThrow('tensor: ragged nested array, expected shape [2]');
    expect(() => tg.tensor([1, 2], { dtype: 'int8' as never })).toThrow('tensor: unknown dtype int8');
    expect(() => tg.tensor([1, 2, 3], { shape: [2, 2] })).toThrow('tensor: 3 values do not fill shape [2,2]');
    expect(() => tg.zeros([2, -1])).toThrow('zeros: invalid shape [2,-1]');
    expect(() => tg.full([1.5], 0)).toThrow('full: invalid shape [1.5]');
  });
});

describe('creation functions', () => {
  test('zeros, ones, full, arange', () => {
    expect(tg.zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(tg.ones([3], { dtype: 'float64' }).toArray()).toEqual([1, 1, 1]);
    expect(tg.ones([3], { dtype: 'float64' }).dtype).toBe('float64');
    expect(tg.full([2], 7.5).toArray()).toEqual([7.5, 7.5]);
    expect(tg.full([], 2).shape).toEqual([]);
    expect(tg.arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(tg.arange(0).shape).toEqual([0]);
    expect(() => tg.arange(-1)).toThrow('arange: n must be a non-negative integer, got -1');
    expect(tg.zeros([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  test('randn and rand are reproducible from a seed and differ between seeds', () => {
    const a = tg.randn([50], { rng: tg.rng(7) });
    const b = tg.randn([50], { rng: tg.rng(7) });
    const c = tg.randn([50], { rng: tg.rng(8) });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    const u = tg.rand([1000], { rng: tg.rng('u'), dtype: 'float64' });
    expect(u.dtype).toBe('float64');
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.data)).toBeLessThan(1);
  });

  test('randn draws look standard normal', () => {
    const x = tg.randn([20000], { rng: tg.rng('stats'), dtype: 'float64' });
    const mean = x.mean().item();
    const variance = x.sub(mean).pow(2).mean().item();
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  test('manualSeed reseeds the default generator', () => {
    tg.manualSeed(123);
    const a = tg.randn([5]);
    tg.manualSeed(123);
    const b = tg.randn([5]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});

describe('conversion and graph detachment', () => {
  test('toArray nests by shape', () => {
    const x = tg.arange(24).reshape([2, 3, 4]);
    const arr = x.toArray() as number[][][];
    expect(arr[1][2][3]).toBe(23);
    expect(arr[0][1]).toEqual([4, 5, 6, 7]);
  });

  test('item works on any one-element tensor', () => {
    expect(tg.tensor([[4]]).item()).toBe(4);
    expect(() => tg.tensor([1, 2]).item()).toThrow('item: only a one-element tensor converts to a number, got shape [2]');
  });

  test('detach shares the values and drops the graph', () => {
    const x = tg.tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    const d = y.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.data).toBe(y.data);
    expect(y.isLeaf).toBe(false);
  });
});

describe('shape helpers', () => {
  test('fmt, sizeOf, stridesOf', () => {
    expect(tg.fmt([2, 3])).toBe('[2,3]');
    expect(tg.fmt([])).toBe('[]');
    expect(tg.sizeOf([2, 3, 4])).toBe(24);
    expect(tg.sizeOf([])).toBe(1);
    expect(tg.stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
  });

  test('broadcastShapes follows NumPy', () => {
    expect(tg.broadcastShapes('t', [2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(tg.broadcastShapes('t', [], [2, 3])).toEqual([2, 3]);
    expect(tg.broadcastShapes('t', [0], [1])).toEqual([0]);
    expect(() => tg.broadcastShapes('t', [2, 3], [4])).toThrow('t: shapes [2,3] and [4] cannot be broadcast together');
  });

  test('normalizeAxis and normalizeAxes', () => {
    expect(tg.normalizeAxis('t', -1, 3)).toBe(2);
    expect(tg.normalizeAxes('t', [-1, 0], [2, 3, 4])).toEqual([0, 2]);
    expect(tg.normalizeAxes('t', undefined, [2, 3])).toEqual([0, 1]);
    expect(() => tg.normalizeAxis('t', 3, 3, [2, 3, 4])).toThrow('t: axis 3 is out of range for shape [2,3,4]');
    expect(() => tg.normalizeAxes('t', [1, -1], [2, 3])).toThrow('t: axis 1 repeated in [1,-1] for shape [2,3]');
  });
});
