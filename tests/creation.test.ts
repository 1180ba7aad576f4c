/** SPEC §14's creation functions: arange's forms, linspace, eye, the …Like family, and seeded random integers and draws. */
import * as tg from '../src';

describe('arange, linspace, eye', () => {
  test('arange(end) and arange(start, end, step), float32 unless asked', () => {
    expect(tg.arange(4).toArray()).toEqual([0, 1, 2, 3]);
    expect(tg.arange(4).dtype).toBe('float32');
    expect(tg.arange(2, 5).toArray()).toEqual([2, 3, 4]);
    expect(tg.arange(0, 1, 0.25).toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(tg.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(tg.arange(2.5).toArray()).toEqual([0, 1, 2]);
    expect(tg.arange(3, { dtype: 'int32' }).dtype).toBe('int32');
    expect(tg.arange(1, 3, 1, { dtype: 'float64' }).dtype).toBe('float64');
    expect(tg.arange(1, 4, { dtype: 'int32' } as never).toArray()).toEqual([1, 2, 3]);
    expect(tg.arange(0).shape).toEqual([0]);
    expect(tg.arange(3, 3).shape).toEqual([0]);
    expect(() => tg.arange(0, 1, 0)).toThrow('arange: step must be nonzero');
    expect(() => tg.arange(0, 5, -1)).toThrow('arange: the range from 0 to 5 is inconsistent with the sign of step -1');
    expect(() => tg.arange(-1)).toThrow('arange: the range from 0 to -1 is inconsistent with the sign of step 1');
    expect(() => tg.arange(NaN)).toThrow('arange: end must be a finite number, got NaN');
  });

  test('linspace includes both ends exactly', () => {
    expect(tg.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const l = tg.linspace(-1, 0.3, 7, { dtype: 'float64' });
    expect([l.data[0], l.data[6]]).toEqual([-1, 0.3]);
    expect(tg.linspace(3, 9, 1).toArray()).toEqual([3]);
    expect(tg.linspace(0, 1, 0).shape).toEqual([0]);
    expect(tg.linspace(0, 10, 3, { dtype: 'int32' }).toArray()).toEqual([0, 5, 10]);
    expect(() => tg.linspace(0, 1, -1)).toThrow('linspace: steps must be a non-negative integer, got -1');
  });

  test('eye, square and rectangular', () => {
    expect(tg.eye(2).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(tg.eye(2, 3, { dtype: 'bool' }).toArray()).toEqual([
      [true, false, false],
      [false, true, false],
    ]);
    expect(tg.eye(0).shape).toEqual([0, 0]);
    expect(() => tg.eye(2, -1)).toThrow('eye: m must be a non-negative integer, got -1');
  });
});

describe('the …Like family', () => {
  test("takes x's shape and dtype, or the dtype asked for", () => {
    const x = tg.tensor([[1, 2, 3]], { dtype: 'int32' });
    const z = tg.zerosLike(x);
    expect([z.shape, z.dtype, z.toArray()]).toEqual([[1, 3], 'int32', [[0, 0, 0]]]);
    expect(x.onesLike({ dtype: 'float64' }).dtype).toBe('float64');
    expect(tg.fullLike(x, 7).toArray()).toEqual([[7, 7, 7]]);
    expect(tg.fullLike(x, true, { dtype: 'bool' }).toArray()).toEqual([[true, true, true]]);
    const f = tg.ones([2, 2], { dtype: 'float64' });
    expect(tg.randnLike(f, { rng: tg.rng(1) }).dtype).toBe('float64');
    expect(f.randLike({ rng: tg.rng(1) }).shape).toEqual([2, 2]);
    expect(tg.zerosLike(f, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(() => tg.randnLike(x)).toThrow("randn: dtype must be 'float32' or 'float64', got int32");
    expect(() => tg.zerosLike([1, 2] as never)).toThrow('zerosLike: expected a Tensor, got object');
  });

  test('randnLike and randLike draw from the generator like randn and rand', () => {
    const x = tg.zeros([3]);
    expect(tg.randnLike(x, { rng: tg.rng(5) }).toArray()).toEqual(tg.randn([3], { rng: tg.rng(5) }).toArray());
    expect(tg.randLike(x, { rng: tg.rng(5) }).toArray()).toEqual(tg.rand([3], { rng: tg.rng(5) }).toArray());
  });
});

describe('seeded random integers and draws', () => {
  test('randint: int32 in [low, high), reproducible', () => {
    const a = tg.randint(-2, 3, [1000], { rng: tg.rng(7) });
    expect(a.dtype).toBe('int32');
    const values = Array.from(a.data);
    expect(Math.min(...values)).toBe(-2);
    expect(Math.max(...values)).toBe(2);
    expect(tg.randint(-2, 3, [1000], { rng: tg.rng(7) }).toArray()).toEqual(a.toArray());
    expect(tg.randint(0, 1, [2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(() => tg.randint(3, 3, [2])).toThrow('randint: low and high must be integers with low < high, got 3 and 3');
  });

  test('the default generator makes draws reproducible after manualSeed', () => {
    tg.manualSeed(11);
    const a = tg.randperm(10).toArray();
    tg.manualSeed(11);
    expect(tg.randperm(10).toArray()).toEqual(a);
  });

  test('randperm is a permutation', () => {
    const p = tg.randperm(50, { rng: tg.rng(3) });
    expect(p.dtype).toBe('int32');
    expect(Array.from(p.data).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(p.data)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(tg.randperm(0).shape).toEqual([0]);
    expect(() => tg.randperm(-1)).toThrow('randperm: n must be a non-negative integer, got -1');
  });

  test("bernoulli: 0/1 in p's dtype, frequencies near p, certain at 0 and 1", () => {
    const p = tg.full([4000], 0.3, { dtype: 'float64' });
    const b = tg.bernoulli(p, { rng: tg.rng(9) });
    expect(b.dtype).toBe('float64');
    const mean = b.mean().item();
    expect(Math.abs(mean - 0.3)).toBeLessThan(0.03);
    expect(tg.tensor([0, 1, 1, 0]).bernoulli().toArray()).toEqual([0, 1, 1, 0]);
    expect(() => tg.bernoulli(tg.tensor([1.5]))).toThrow('bernoulli: probability 1.5 at 0 is outside [0, 1] (p [1])');
    expect(() => tg.bernoulli(tg.tensor([1], { dtype: 'int32' }))).toThrow(
      'bernoulli: probabilities must be a float tensor, got int32 [1]',
    );
  });

  test('multinomial: with replacement follows the weights; without, distinct categories', () => {
    const probs = tg.tensor([0.1, 0, 0.6, 0.3], { dtype: 'float64' });
    const s = tg.multinomial(probs, 5000, { replacement: true, rng: tg.rng(2) });
    expect([s.dtype, s.shape]).toEqual(['int32', [5000]]);
    const counts = [0, 0, 0, 0];
    for (const k of s.data) counts[k]++;
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2] / 5000 - 0.6)).toBeLessThan(0.03);
    expect(Math.abs(counts[0] / 5000 - 0.1)).toBeLessThan(0.02);
    const rows = tg.tensor([
      [1, 1, 1, 1],
      [0, 5, 0, 2],
    ]);
    const d = rows.multinomial(2, { rng: tg.rng(4) });
    expect(d.shape).toEqual([2, 2]);
    expect(d.data[0]).not.toBe(d.data[1]);
    expect([...d.data.slice(2)].sort()).toEqual([1, 3]);
    expect(() => tg.multinomial(rows, 3)).toThrow(
      'multinomial: row 1 has 2 nonzero probabilities, fewer than 3 samples without replacement',
    );
    expect(() => tg.multinomial(probs, 5)).toThrow('multinomial: cannot draw 5 samples without replacement from 4 categories (probs [4])');
    expect(() => tg.multinomial(tg.tensor([-1, 2]), 1)).toThrow(
      'multinomial: probabilities must be finite and non-negative, got -1 (probs [2])',
    );
    expect(() => tg.multinomial(tg.zeros([2]), 1)).toThrow('multinomial: row 0 has no positive probability (probs [2])');
  });
});
