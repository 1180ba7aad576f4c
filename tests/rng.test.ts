/** Seeded randomness: reproducible streams, the right distributions, and one seed for a whole run. */
import * as fs from 'fs';
import * as path from 'path';
import * as tg from '../src';

const draws = (g: tg.Rng, n: number, f: (g: tg.Rng) => number) => Array.from({ length: n }, () => f(g));

describe('Rng', () => {
  test('the same seed gives the same stream, another seed another one', () => {
    expect(draws(tg.rng(7), 20, (g) => g.next())).toEqual(draws(tg.rng(7), 20, (g) => g.next()));
    expect(draws(tg.rng('7'), 20, (g) => g.next())).toEqual(draws(tg.rng(7), 20, (g) => g.next()));
    expect(draws(tg.rng(7), 20, (g) => g.next())).not.toEqual(draws(tg.rng(8), 20, (g) => g.next()));
  });

  test('next() is uniform in [0,1): range, mean and variance within 5 sigma', () => {
    const n = 20000;
    const xs = draws(tg.rng('uniform'), n, (g) => g.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    const below = xs.filter((x) => x < 0.25).length / n;
    expect(Math.abs(below - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / n));
  });

  test('normal() has mean 0 and variance 1 within 5 sigma', () => {
    const n = 20000;
    const xs = draws(tg.rng('normal'), n, (g) => g.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // About 68.3% within one standard deviation.
    const inside = xs.filter((x) => Math.abs(x) < 1).length / n;
    expect(Math.abs(inside - 0.6827)).toBeLessThan(5 * Math.sqrt((0.6827 * 0.3173) / n));
  });

  test('int(n) draws every value of [0,n) and nothing else', () => {
    const counts = new Array(6).fill(0);
    for (const v of draws(tg.rng('int'), 6000, (g) => g.int(6))) counts[v]++;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6000);
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(5 * Math.sqrt(6000 * (1 / 6) * (5 / 6)));
    expect(() => tg.rng(1).int(0)).toThrow('rng.int: n must be a positive integer, got 0');
    expect(() => tg.rng(1).int(2.5)).toThrow('rng.int: n must be a positive integer, got 2.5');
  });

  test('uniform(low, high) stays in [low, high)', () => {
    const xs = draws(tg.rng('u'), 2000, (g) => g.uniform(-3, 2));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...xs)).toBeLessThan(2);
    expect(Math.min(...xs)).toBeLessThan(-2.9);
    expect(Math.max(...xs)).toBeGreaterThan(1.9);
  });

  test('shuffle is an in-place permutation, reproducible by seed', () => {
    const a = Int32Array.from({ length: 50 }, (_, i) => i);
    const b = Int32Array.from({ length: 50 }, (_, i) => i);
    expect(tg.rng(3).shuffle(a)).toBe(a);
    tg.rng(3).shuffle(b);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const c = tg.rng(4).shuffle(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect([...c].sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });
});

describe('the default generator', () => {
  test('manualSeed makes randn, rand and init reproducible, equal to an explicit rng of that seed', () => {
    tg.manualSeed(42);
    const a = tg.randn([5]).toArray();
    const u = tg.rand([3]).toArray();
    tg.manualSeed(42);
    expect(tg.randn([5]).toArray()).toEqual(a);
    expect(tg.rand([3]).toArray()).toEqual(u);
    const g = tg.rng(42);
    expect(tg.randn([5], { rng: g }).toArray()).toEqual(a);
    expect(tg.rand([3], { rng: g }).toArray()).toEqual(u);
  });

  test('one seed reproduces init, dropout masks, shuffling and augmentation', () => {
    const run = (seed: string) => {
      tg.manualSeed(seed);
      const layer = new tg.nn.Linear(4, 3);
      const x = tg.ones([2, 4]);
      const y = tg.dropout(layer.forward(x), 0.5);
      const order = [...tg.data.batches(10, 4)].map((b) => Array.from(b));
      const img = tg.data.augment.rgbShift(tg.full([2, 3, 2, 2], 0.5), { amount: 0.2 });
      return { w: layer.weight.toArray(), y: y.toArray(), order, img: img.toArray() };
    };
    const a = run('whole run');
    expect(run('whole run')).toEqual(a);
    // Each draw really comes from the default generator: another seed changes every one of them.
    const b = run('another run');
    for (const key of Object.keys(a) as (keyof typeof a)[]) expect(b[key]).not.toEqual(a[key]);
  });

  test('src/ never calls Math.random', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (/\.[jt]s$/.test(entry.name) && fs.readFileSync(file, 'utf8').includes('Math.random')) offenders.push(file);
      }
    };
    walk(path.join(__dirname, '..', 'src'));
    expect(offenders).toEqual([]);
  });
});
