/**
 * tg.nn.init: the statistics of each distribution on large tensors (mean, std, bounds) against
 * PyTorch's formulas, fans of Linear and conv weights, orthogonality, calculateGain's values, the
 * seeded generator (same seed, same bits), in-place without a graph, and errors.
 */
import * as tg from '../src';

const init = tg.nn.init;

function stats(t: tg.Tensor): { mean: number; std: number; min: number; max: number } {
  const d = t.data;
  let [sum, min, max] = [0, Infinity, -Infinity];
  for (let i = 0; i < d.length; i++) {
    sum += d[i];
    min = Math.min(min, d[i]);
    max = Math.max(max, d[i]);
  }
  const mean = sum / d.length;
  let ss = 0;
  for (let i = 0; i < d.length; i++) ss += (d[i] - mean) ** 2;
  return { mean, std: Math.sqrt(ss / (d.length - 1)), min, max };
}

const N = 200_000;
/** Five standard errors of the mean and of the std for N draws. */
const meanTol = (std: number, n = N) => (5 * std) / Math.sqrt(n);
const stdTol = (std: number, n = N) => (5 * std) / Math.sqrt(2 * n);

test('calculateGain: PyTorch’s values', () => {
  expect(init.calculateGain('linear')).toBe(1);
  expect(init.calculateGain('conv2d')).toBe(1);
  expect(init.calculateGain('conv_transpose1d')).toBe(1);
  expect(init.calculateGain('sigmoid')).toBe(1);
  expect(init.calculateGain('tanh')).toBe(5 / 3);
  expect(init.calculateGain('relu')).toBe(Math.sqrt(2));
  expect(init.calculateGain('leaky_relu')).toBe(Math.sqrt(2 / (1 + 0.01 ** 2)));
  expect(init.calculateGain('leaky_relu', 0.2)).toBe(Math.sqrt(2 / 1.04));
  expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
  expect(init.calculateGain('selu')).toBe(0.75);
  expect(() => init.calculateGain('gelu' as never)).toThrow(/^calculateGain: unsupported nonlinearity 'gelu'$/);
});

test('uniform_ and normal_: moments, bounds, in place, returned', () => {
  const t = tg.zeros([N], { dtype: 'float64' });
  expect(init.uniform_(t, -1, 3, { rng: tg.rng(1) })).toBe(t);
  const u = stats(t);
  expect(u.min).toBeGreaterThanOrEqual(-1);
  expect(u.max).toBeLessThan(3);
  expect(Math.abs(u.mean - 1)).toBeLessThan(meanTol(4 / Math.sqrt(12)));
  expect(Math.abs(u.std - 4 / Math.sqrt(12))).toBeLessThan(stdTol(4 / Math.sqrt(12)));
  init.normal_(t, 2, 0.5, { rng: tg.rng(2) });
  const n = stats(t);
  expect(Math.abs(n.mean - 2)).toBeLessThan(meanTol(0.5));
  expect(Math.abs(n.std - 0.5)).toBeLessThan(stdTol(0.5));
});

test('the same seed gives the same bits; the default generator is used without one', () => {
  const a = init.kaimingNormal_(tg.zeros([64, 32]), { rng: tg.rng('same') });
  const b = init.kaimingNormal_(tg.zeros([64, 32]), { rng: tg.rng('same') });
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
  tg.manualSeed(7);
  const c = init.orthogonal_(tg.zeros([5, 3]));
  tg.manualSeed(7);
  const d = init.orthogonal_(tg.zeros([5, 3]));
  expect(Array.from(c.data)).toEqual(Array.from(d.data));
  expect(a.dtype).toBe('float32');
});

test('initialisers write under noGrad: a parameter stays a leaf and no graph is recorded', () => {
  const w = tg.nn.parameter(tg.zeros([4, 3]));
  init.xavierUniform_(w, { rng: tg.rng(3) });
  expect(w.isLeaf).toBe(true);
  expect(w.requiresGrad).toBe(true);
  expect(Array.from(w.data).some((v) => v !== 0)).toBe(true);
});

test('constant_, zeros_, ones_, eye_, dirac_', () => {
  const t = tg.zeros([2, 3]);
  expect(Array.from(init.constant_(t, 2.5).data)).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
  expect(Array.from(init.ones_(t).data)).toEqual([1, 1, 1, 1, 1, 1]);
  expect(Array.from(init.zeros_(t).data)).toEqual([0, 0, 0, 0, 0, 0]);
  expect(init.eye_(t).toArray()).toEqual([
    [1, 0, 0],
    [0, 1, 0],
  ]);
  // Conv weight [out 4, in 2, 3, 3], two groups of two output channels: the centre (1,1) of kernels (0,0), (1,1), (2,0), (3,1).
  const w = init.dirac_(tg.ones([4, 2, 3, 3]), 2);
  const ones: number[][] = [];
  w.data.forEach((v, i) => {
    if (v !== 0) ones.push([Math.floor(i / 18), Math.floor(i / 9) % 2, Math.floor(i / 3) % 3, i % 3]);
  });
  expect(ones).toEqual([
    [0, 0, 1, 1],
    [1, 1, 1, 1],
    [2, 0, 1, 1],
    [3, 1, 1, 1],
  ]);
  // dirac_ makes conv1d the identity on its channels.
  const x = tg.randn([1, 3, 5], { rng: tg.rng(4) });
  expect(Array.from(tg.conv1d(x, init.dirac_(tg.zeros([3, 3, 3])), undefined, { padding: 1 }).data)).toEqual(Array.from(x.data));
  expect(() => init.eye_(tg.zeros([2, 2, 2]))).toThrow(/^eye_: needs a 2-d tensor, got shape \[2,2,2\]$/);
  expect(() => init.dirac_(tg.zeros([3, 3]))).toThrow(/^dirac_: needs a 3-, 4- or 5-d tensor, got shape \[3,3\]$/);
  expect(() => init.dirac_(tg.zeros([3, 3, 3]), 2)).toThrow(
    /^dirac_: the 3 output channels of shape \[3,3,3\] do not split into 2 groups$/,
  );
});

describe('xavier and kaiming: std from the fans of Linear [out, in] and conv [out, in, kh, kw] weights', () => {
  const linear = [400, 500];
  const conv = [64, 32, 5, 5]; // fanIn 800, fanOut 1600
  test.each([
    [
      'xavierUniform_ linear',
      () => init.xavierUniform_(tg.zeros(linear, { dtype: 'float64' }), { rng: tg.rng(5) }),
      Math.sqrt(2 / 900),
      Math.sqrt(6 / 900),
    ],
    [
      'xavierUniform_ conv, gain 2',
      () => init.xavierUniform_(tg.zeros(conv, { dtype: 'float64' }), { gain: 2, rng: tg.rng(6) }),
      2 * Math.sqrt(2 / 2400),
      2 * Math.sqrt(6 / 2400),
    ],
    ['xavierNormal_ conv', () => init.xavierNormal_(tg.zeros(conv, { dtype: 'float64' }), { rng: tg.rng(7) }), Math.sqrt(2 / 2400), null],
    [
      'kaimingUniform_ defaults (leaky_relu, a 0, fanIn)',
      () => init.kaimingUniform_(tg.zeros(linear, { dtype: 'float64' }), { rng: tg.rng(8) }),
      Math.sqrt(2 / 500),
      Math.sqrt(6 / 500),
    ],
    [
      'kaimingUniform_ a = √5 (the layers’ default: bound 1/√fanIn)',
      () => init.kaimingUniform_(tg.zeros(conv, { dtype: 'float64' }), { a: Math.sqrt(5), rng: tg.rng(9) }),
      1 / Math.sqrt(3 * 800),
      1 / Math.sqrt(800),
    ],
    [
      'kaimingNormal_ fanOut relu',
      () => init.kaimingNormal_(tg.zeros(conv, { dtype: 'float64' }), { mode: 'fanOut', nonlinearity: 'relu', rng: tg.rng(10) }),
      Math.sqrt(2 / 1600),
      null,
    ],
    [
      'kaimingNormal_ fan_in tanh',
      () => init.kaimingNormal_(tg.zeros(linear, { dtype: 'float64' }), { mode: 'fan_in', nonlinearity: 'tanh', rng: tg.rng(11) }),
      5 / 3 / Math.sqrt(500),
      null,
    ],
  ] as [string, () => tg.Tensor, number, number | null][])('%s', (_label, make, std, bound) => {
    const t = make();
    const s = stats(t);
    expect(Math.abs(s.mean)).toBeLessThan(meanTol(std, t.size));
    expect(Math.abs(s.std - std)).toBeLessThan(stdTol(std, t.size) * (bound === null ? 1 : 0.7));
    if (bound !== null) {
      expect(s.min).toBeGreaterThanOrEqual(-bound);
      expect(s.max).toBeLessThan(bound);
      expect(s.max).toBeGreaterThan(bound * 0.999);
    }
  });

  test('kaimingUniform_ with a = √5 draws the same bound as the layers’ default initialisation', () => {
    const ours = init.kaimingUniform_(tg.zeros([3, 7]), { a: Math.sqrt(5), rng: tg.rng('layer') });
    const layer = new tg.nn.Linear(7, 3, { rng: tg.rng('layer') });
    expect(Array.from(ours.data)).toEqual(Array.from(layer.weight.data));
  });

  test('fans need two dimensions; bad modes throw', () => {
    expect(() => init.xavierUniform_(tg.zeros([5]))).toThrow(
      /^xavierUniform_: fan in and fan out need at least 2 dimensions, got shape \[5\]$/,
    );
    expect(() => init.kaimingNormal_(tg.zeros([3, 3]), { mode: 'fanAll' as never })).toThrow(
      /^kaimingNormal_: mode must be 'fanIn' or 'fanOut', got 'fanAll'$/,
    );
    expect(() => init.uniform_(tg.zeros([2]), 1, 0)).toThrow(/^uniform_: needs a <= b, got a = 1, b = 0$/);
    expect(() => init.normal_(tg.zeros([2]), 0, -1)).toThrow(/^normal_: std must be non-negative, got -1$/);
    expect(() => init.zeros_([1, 2] as never)).toThrow(/^zeros_: expected a Tensor, got object$/);
  });
});

describe('orthogonal_', () => {
  /** Gram matrix of the rows (rowsOrCols 'rows') or columns of t viewed as [rows, rest]. */
  function gram(t: tg.Tensor, which: 'rows' | 'cols'): number[][] {
    const rows = t.shape[0];
    const cols = t.size / rows;
    const at = (r: number, c: number) => t.data[r * cols + c];
    const n = which === 'rows' ? rows : cols;
    return Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => {
        let s = 0;
        if (which === 'rows') for (let k = 0; k < cols; k++) s += at(i, k) * at(j, k);
        else for (let k = 0; k < rows; k++) s += at(k, i) * at(k, j);
        return s;
      }),
    );
  }

  test.each([
    ['tall [8, 5]: orthonormal columns', [8, 5], 'cols', 1],
    ['wide [4, 9]: orthonormal rows', [4, 9], 'rows', 1],
    ['square [6, 6] with gain 2', [6, 6], 'rows', 2],
    ['conv weight [3, 2, 2, 2] (rows ≤ 8 columns)', [3, 2, 2, 2], 'rows', 1],
  ] as [string, number[], 'rows' | 'cols', number][])('%s', (_label, shape, which, gain) => {
    const t = init.orthogonal_(tg.zeros(shape, { dtype: 'float64' }), { gain, rng: tg.rng(shape.join('x')) });
    gram(t, which).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? gain * gain : 0, 12)));
  });

  test('Q is the Haar one: R’s diagonal positive, so Q’s columns correlate positively with the normal draw', () => {
    // With the same generator, Qᵀ·A = R is upper triangular with a positive diagonal.
    const rng = tg.rng('haar');
    const a = Array.from({ length: 20 }, () => rng.normal());
    const q = init.orthogonal_(tg.zeros([5, 4], { dtype: 'float64' }), { rng: tg.rng('haar') });
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let r = 0;
        for (let k = 0; k < 5; k++) r += q.data[k * 4 + i] * a[k * 4 + j];
        if (i > j) expect(r).toBeCloseTo(0, 12);
        if (i === j) expect(r).toBeGreaterThan(0);
      }
    }
  });

  test('fewer than 2 dimensions throws', () => {
    expect(() => init.orthogonal_(tg.zeros([4]))).toThrow(/^orthogonal_: needs at least 2 dimensions, got shape \[4\]$/);
  });
});

describe('truncNormal_', () => {
  /** Φ and φ, for the truncated normal's moments. */
  const phi = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);

  test.each([
    ['defaults: N(0,1) on [-2, 2]', {}, 0, 1, -2, 2],
    ['mean 1, std 0.5, on [0, 3]', { mean: 1, std: 0.5, a: 0, b: 3 }, 1, 0.5, 0, 3],
    ['far in the tail: N(0,1) on [3, 4]', { a: 3, b: 4 }, 0, 1, 3, 4],
  ] as [string, object, number, number, number, number][])('%s: bounds, mean and std of the truncated normal', (_l, o, mean, std, a, b) => {
    const t = init.truncNormal_(tg.zeros([50_000], { dtype: 'float64' }), { ...o, rng: tg.rng(JSON.stringify(o)) });
    const s = stats(t);
    expect(s.min).toBeGreaterThanOrEqual(a);
    expect(s.max).toBeLessThanOrEqual(b);
    // Moments of N(mean, std²) truncated to [a, b], with α, β the standardised bounds and Z = Φ(β) - Φ(α).
    const [al, be] = [(a - mean) / std, (b - mean) / std];
    const cdf = (x: number) => {
      // Φ by numerical integration of φ (Simpson, fine steps), independent of the code under test.
      const lo = -10;
      const steps = 20000;
      const h = (x - lo) / steps;
      let sum = phi(lo) + phi(x);
      for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * phi(lo + i * h);
      return (sum * h) / 3;
    };
    const z = cdf(be) - cdf(al);
    const m = mean + (std * (phi(al) - phi(be))) / z;
    const v = std * std * (1 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z) ** 2);
    expect(Math.abs(s.mean - m)).toBeLessThan(meanTol(Math.sqrt(v), t.size));
    expect(Math.abs(s.std - Math.sqrt(v))).toBeLessThan(stdTol(Math.sqrt(v), t.size) * 1.5);
  });

  test('bad bounds throw', () => {
    expect(() => init.truncNormal_(tg.zeros([2]), { a: 1, b: 1 })).toThrow(/^truncNormal_: needs a < b, got a = 1, b = 1$/);
    expect(() => init.truncNormal_(tg.zeros([2]), { std: 0 })).toThrow(/^truncNormal_: std must be positive, got 0$/);
  });
});

test("Note [PyTorch's positional init arguments]: PyTorch's positional numbers give what the options object gives, not the defaults", () => {
  const same = (a: tg.Tensor, b: tg.Tensor) => expect(Array.from(a.data)).toEqual(Array.from(b.data));
  const z = () => tg.zeros([6, 4], { dtype: 'float64' });
  const r = () => ({ rng: tg.rng('positional') });
  same(init.xavierUniform_(z(), 3, r()), init.xavierUniform_(z(), { gain: 3, ...r() }));
  same(init.xavierNormal_(z(), 0.5, r()), init.xavierNormal_(z(), { gain: 0.5, ...r() }));
  same(init.orthogonal_(z(), 2, r()), init.orthogonal_(z(), { gain: 2, ...r() }));
  same(init.kaimingUniform_(z(), 0.3, 'fan_out', 'leaky_relu', r()), init.kaimingUniform_(z(), { a: 0.3, mode: 'fanOut', ...r() }));
  same(init.kaimingNormal_(z(), 0, 'fan_in', 'relu', r()), init.kaimingNormal_(z(), { nonlinearity: 'relu', ...r() }));
  same(init.truncNormal_(z(), 1, 0.5, 0, 1.5, r()), init.truncNormal_(z(), { mean: 1, std: 0.5, a: 0, b: 1.5, ...r() }));
  // Not the defaults: a gain of 3 is 3 times the gain-1 bound.
  const wide = init.xavierUniform_(z(), 3, r());
  const unit = init.xavierUniform_(z(), 1, r());
  wide.data.forEach((v, i) => expect(v).toBeCloseTo(3 * unit.data[i], 12));
  const t = init.truncNormal_(tg.zeros([2000], { dtype: 'float64' }), 5, 1, 4, 6, r());
  expect(Math.min(...t.data)).toBeGreaterThanOrEqual(4);
  expect(() => init.orthogonal_(z(), 'x' as never)).toThrow(/^orthogonal_: expected a gain or \{gain, rng\}, got x$/);
  expect(() => init.truncNormal_(z(), true as never)).toThrow(/^truncNormal_: expected a mean or \{mean, std, a, b, rng\}, got true$/);
});
