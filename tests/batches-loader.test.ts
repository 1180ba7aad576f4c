/**
 * `tg.data.batches` is the DataLoader's sampler (issue #26): for any n, batch size, drop-last rule
 * and seed it yields exactly the index batches a DataLoader over n items draws from the same
 * generator, and the batches it gave before it was expressed through the sampler (pinned below).
 */
import * as tg from '../src';

/** A DataLoader over the indices 0..n-1 whose collate keeps the batch of indices as it is. */
const loaderBatches = (n: number, batchSize: number, opts: { rng?: tg.Rng; shuffle?: boolean; dropLast?: boolean }): number[][] => [
  ...new tg.data.DataLoader(
    { length: n, get: (i: number) => i },
    { batchSize, shuffle: opts.shuffle ?? true, ...opts, collate: (idx: number[]) => idx },
  ),
];
const batchesOf = (n: number, batchSize: number, opts: tg.data.BatchOptions): number[][] =>
  [...tg.data.batches(n, batchSize, opts)].map((b) => Array.from(b));

describe('tg.data.batches through the DataLoader sampler', () => {
  test.each([
    [10, 3, false],
    [10, 3, true],
    [7, 7, false],
    [7, 8, true],
    [0, 4, false],
    [1437, 32, false],
    [1437, 32, true],
  ])('n %i, batch size %i, dropLast %s: the DataLoader draws the same batches from the same seed', (n, batchSize, dropLast) => {
    for (const seed of [0, 1, 'run']) {
      expect(batchesOf(n, batchSize, { rng: tg.rng(seed), dropLast })).toEqual(
        loaderBatches(n, batchSize, { rng: tg.rng(seed), dropLast }),
      );
    }
    expect(batchesOf(n, batchSize, { shuffle: false, dropLast })).toEqual(loaderBatches(n, batchSize, { shuffle: false, dropLast }));
  });

  test('the batches a seed gave before (pinned: the same bits as the permutation-then-slice implementation)', () => {
    expect(batchesOf(10, 3, { rng: tg.rng(7) })).toEqual([[1, 5, 4], [3, 7, 8], [9, 6, 0], [2]]);
    expect(batchesOf(10, 4, { rng: tg.rng('x'), dropLast: true })).toEqual([
      [8, 0, 7, 3],
      [4, 1, 2, 5],
    ]);
  });

  test('the permutation is drawn when batches() is called, a DataLoader draws a fresh one each epoch', () => {
    const g = tg.rng(3);
    const it = tg.data.batches(6, 6, { rng: g });
    const drawnAtCall = g.state();
    expect(Array.from(it.next().value as Int32Array).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(g.state()).toEqual(drawnAtCall);
    const loader = new tg.data.DataLoader(
      { length: 6, get: (i: number) => i },
      { batchSize: 6, shuffle: true, rng: tg.rng(3), collate: (i: number[]) => i },
    );
    const [first] = [...loader];
    const [second] = [...loader];
    expect(first).toEqual(batchesOf(6, 6, { rng: tg.rng(3) })[0]);
    expect(second).not.toEqual(first);
  });

  test('bad counts are refused in batches’ own words', () => {
    expect(() => tg.data.batches(-1, 2)).toThrow('batches: n must be an integer >= 0, got -1');
    expect(() => tg.data.batches(4, 0)).toThrow('batches: batchSize must be an integer >= 1, got 0');
  });
});
