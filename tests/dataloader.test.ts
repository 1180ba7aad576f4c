/**
 * tg.data's Dataset protocol, TensorDataset, Subset, randomSplit and DataLoader (SPEC §16), as
 * torch.utils.data: batch shapes and dtypes, dropLast, the same seed giving the same batches, inputs
 * and labels shuffled together, a new permutation each epoch, async datasets, collation by structure.
 */
import * as tg from '../src';

const { TensorDataset, Subset, DataLoader, randomSplit, defaultCollate } = tg.data;

/** 10 items: x row i is [i, 10i, 100i] (float32), y is i (int32). */
const xs = tg.tensor(Array.from({ length: 10 }, (_, i) => [i, 10 * i, 100 * i]));
const ys = tg.tensor(
  Array.from({ length: 10 }, (_, i) => i),
  { dtype: 'int32' },
);

describe('TensorDataset and Subset', () => {
  test("get(i) is the tuple of the tensors' i-th rows", () => {
    const ds = new TensorDataset(xs, ys);
    expect(ds.length).toBe(10);
    const [x, y] = ds.get(3);
    expect(x.toArray()).toEqual([3, 30, 300]);
    expect(y.shape).toEqual([]);
    expect(y.dtype).toBe('int32');
    expect(y.item()).toBe(3);
  });

  test('bad arguments throw, naming the problem', () => {
    expect(() => new TensorDataset(xs, tg.zeros([9]))).toThrow("TensorDataset: the tensors' first axes differ ([10,3], [9])");
    expect(() => new TensorDataset(tg.tensor(1))).toThrow('TensorDataset: argument 0 is a 0-d tensor');
    expect(() => new TensorDataset()).toThrow('TensorDataset: needs at least one tensor');
    expect(() => new TensorDataset(xs).get(10)).toThrow('TensorDataset.get: index 10 is out of range for 10 items');
    expect(() => new Subset(new TensorDataset(xs), [0, 10])).toThrow('Subset: index 10 is out of range for 10 items');
  });

  test('Subset reads the items at its indices, in their order', () => {
    const sub = new Subset(new TensorDataset(xs, ys), [7, 2, 2]);
    expect(sub.length).toBe(3);
    expect([0, 1, 2].map((i) => sub.get(i)[1].item())).toEqual([7, 2, 2]);
  });

  test("negative positions count from the end (SPEC §18), in get and in a Subset's indices, as Python indexing", () => {
    const ds = new TensorDataset(xs, ys);
    expect(ds.get(-1)[0].toArray()).toEqual([9, 90, 900]);
    expect(ds.get(-10)[1].item()).toBe(0);
    expect(() => ds.get(-11)).toThrow('TensorDataset.get: index -11 is out of range for 10 items');
    const sub = new Subset(ds, [-1, 4, -3]);
    expect([0, 1, 2].map((i) => sub.get(i)[1].item())).toEqual([9, 4, 7]);
    expect(sub.get(-1)[1].item()).toBe(7);
    expect(() => sub.get(3)).toThrow('Subset.get: index 3 is out of range for 3 items');
    expect(() => new Subset(ds, [-11])).toThrow('Subset: index -11 is out of range for 10 items');
    expect([...new DataLoader(sub, { batchSize: 3 })][0][1].toArray()).toEqual([9, 4, 7]);
  });
});

describe('randomSplit', () => {
  const ds = new TensorDataset(ys);
  const items = (s: tg.data.Subset<[tg.Tensor]>) => Array.from({ length: s.length }, (_, i) => s.get(i)[0].item());

  test('lengths: disjoint subsets covering the dataset; the same seed gives the same split', () => {
    const [a, b] = randomSplit(ds, [7, 3], { rng: tg.rng(0) });
    expect([a.length, b.length]).toEqual([7, 3]);
    expect([...items(a), ...items(b)].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const [a2] = randomSplit(ds, [7, 3], { rng: tg.rng(0) });
    expect(items(a2)).toEqual(items(a));
    expect(items(randomSplit(ds, [7, 3], { rng: tg.rng(1) })[0])).not.toEqual(items(a));
  });

  test("fractions: PyTorch's rounding (floors, then the remainder one by one from the first)", () => {
    // 10 × [0.33, 0.33, 0.34] = floors [3, 3, 3], remainder 1 to the first: [4, 3, 3].
    expect(randomSplit(ds, [0.33, 0.33, 0.34], { rng: tg.rng(0) }).map((s) => s.length)).toEqual([4, 3, 3]);
    // 10 × [0.25, 0.25, 0.25, 0.25] = [2, 2, 2, 2], remainder 2: [3, 3, 2, 2].
    expect(randomSplit(ds, [0.25, 0.25, 0.25, 0.25], { rng: tg.rng(0) }).map((s) => s.length)).toEqual([3, 3, 2, 2]);
    expect(randomSplit(ds, [0.8, 0.2]).map((s) => s.length)).toEqual([8, 2]);
  });

  test('lengths that do not sum to the dataset throw', () => {
    expect(() => randomSplit(ds, [5, 4])).toThrow("randomSplit: the lengths [5, 4] do not sum to the dataset's 10 items");
    expect(() => randomSplit(ds, [0.5, 0.6])).toThrow(
      'randomSplit: lengths must be non-negative integers or fractions summing to 1, got [0.5, 0.6]',
    );
  });
});

describe('DataLoader', () => {
  const ds = new TensorDataset(xs, ys);

  test('batches in order, stacked, with a smaller last batch; length is the number of batches', () => {
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = [...loader];
    expect(batches.map(([x, y]) => [x.shape, y.shape])).toEqual([
      [[4, 3], [4]],
      [[4, 3], [4]],
      [[2, 3], [2]],
    ]);
    expect(batches[2][0].toArray()).toEqual([
      [8, 80, 800],
      [9, 90, 900],
    ]);
    expect(batches[0][0].dtype).toBe('float32');
    expect(batches[0][1].dtype).toBe('int32');
    expect(batches.flatMap(([, y]) => Array.from(y.data))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('dropLast drops the smaller last batch; batchSize defaults to 1', () => {
    const loader = new DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect([...loader].map(([x]) => x.shape[0])).toEqual([4, 4]);
    expect(new DataLoader(ds).length).toBe(10);
    expect([...new DataLoader(ds)][0][0].shape).toEqual([1, 3]);
  });

  test('shuffling keeps inputs and labels together, draws a new permutation each epoch, and the same seed gives the same batches', () => {
    const loader = new DataLoader(ds, { batchSize: 3, shuffle: true, rng: tg.rng('epochs') });
    const epoch = () => [...loader].flatMap(([x, y]) => Array.from(y.data).map((label, k) => [label, x.data[3 * k]]));
    const first = epoch();
    const second = epoch();
    for (const [label, x0] of [...first, ...second]) expect(x0).toBe(label);
    const order1 = first.map(([label]) => label);
    const order2 = second.map(([label]) => label);
    expect([...order1].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order1).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order2).not.toEqual(order1);
    const again = new DataLoader(ds, { batchSize: 3, shuffle: true, rng: tg.rng('epochs') });
    const labels = (l: typeof loader) => [...l].flatMap(([, y]) => Array.from(y.data));
    expect(labels(again)).toEqual(order1);
    expect(labels(again)).toEqual(order2);
  });

  test('the default collate: numbers to int32 or float32, booleans to bool, strings stay lists, tuples and records field by field', () => {
    const items = [
      { image: tg.tensor([1, 2]), label: 3, weight: 0.5, flag: true, name: 'a', pair: [1, 2.5] as [number, number] },
      { image: tg.tensor([3, 4]), label: 4, weight: 1, flag: false, name: 'b', pair: [2, 3] as [number, number] },
    ];
    const batch = defaultCollate(items);
    expect(batch.image.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect([batch.label.dtype, batch.label.toArray()]).toEqual(['int32', [3, 4]]);
    expect([batch.weight.dtype, batch.weight.toArray()]).toEqual(['float32', [0.5, 1]]);
    expect([batch.flag.dtype, batch.flag.toArray()]).toEqual(['bool', [true, false]]);
    expect(batch.name).toEqual(['a', 'b']);
    expect([batch.pair[0].dtype, batch.pair[1].dtype]).toEqual(['int32', 'float32']);
  });

  test('collate errors name the field and the items', () => {
    expect(() => defaultCollate([{ x: tg.zeros([2]) }, { x: tg.zeros([3]) }])).toThrow(
      'collate: item 0 at x has shape [2] but item 1 has [3]; stack needs equal shapes',
    );
    expect(() =>
      defaultCollate([
        [1, 'a'],
        [2, 3],
      ]),
    ).toThrow('collate: item 0 at [1] is a string but item 1 is number');
    expect(() => defaultCollate([null])).toThrow('collate: cannot collate null');
  });

  test('a custom collate gets the items of each batch', () => {
    const loader = new DataLoader(ds, { batchSize: 5, collate: (items) => items.map(([, y]) => y.item()) });
    expect([...loader]).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
  });

  test('an async dataset iterates with for await, and a plain for refuses it', async () => {
    const files: tg.data.Dataset<Promise<{ x: tg.Tensor; y: number }>> = {
      length: 5,
      get: async (i) => {
        await new Promise((r) => setTimeout(r, 5 - i));
        return { x: tg.full([2], i), y: i };
      },
    };
    const loader = new DataLoader(files, { batchSize: 2 });
    const seen: number[][] = [];
    for await (const batch of loader) seen.push(Array.from(batch.y.data));
    expect(seen).toEqual([[0, 1], [2, 3], [4]]);
    expect(() => [...loader]).toThrow("DataLoader: the dataset's get returns a Promise; iterate with `for await (const batch of loader)`");
  });

  test('an array of items is a dataset, as PyTorch takes a list: DataLoader, Subset and randomSplit read it', () => {
    const items: [number, number][] = [
      [0, 0.5],
      [1, 1.5],
      [2, 2.5],
    ];
    const [a, b] = [...new DataLoader(items, { batchSize: 2 })];
    expect([a[0].toArray(), a[1].toArray(), b[0].toArray()]).toEqual([[0, 1], [0.5, 1.5], [2]]);
    expect(new Subset(items, [-1, 0]).get(0)).toEqual([2, 2.5]);
    const parts = randomSplit(items, [2, 1], { rng: tg.rng('array') });
    expect(parts.map((p) => p.length)).toEqual([2, 1]);
    expect([...parts[0].indices, ...parts[1].indices].sort()).toEqual([0, 1, 2]);
  });

  test("PyTorch's option names collateFn and generator are collate and rng", () => {
    const ds = new TensorDataset(xs, ys);
    const sizes = [...new DataLoader(ds, { batchSize: 4, collateFn: (items) => items.length })];
    expect(sizes).toEqual([4, 4, 2]);
    const order = (opts: tg.data.DataLoaderOptions<[tg.Tensor, tg.Tensor], unknown>) =>
      [...new DataLoader(ds, { batchSize: 10, shuffle: true, ...opts })].map((b) => (b as tg.Tensor[])[1].toArray());
    expect(order({ generator: tg.rng('g') })).toEqual(order({ rng: tg.rng('g') }));
    expect(() => new DataLoader(ds, { collate: (i) => i, collateFn: (i) => i })).toThrow(
      "DataLoader: give collate or collateFn (PyTorch's name for it), not both",
    );
    expect(() => new DataLoader(ds, { collate: 3 as never })).toThrow(
      "DataLoader: collate must be a function of a batch's items, got number",
    );
  });

  test('bad options throw', () => {
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow('DataLoader: batchSize must be a positive integer, got 0');
    expect(() => new DataLoader({} as tg.data.Dataset<number>)).toThrow(
      'DataLoader: expected a dataset ({length, get(i)}) or an array of items, got object',
    );
  });
});

test('the bundled digits are a Dataset of (image, label) pairs a DataLoader batches', () => {
  const digits = tg.data.loadDigits();
  expect(digits.length).toBe(1797);
  const [image, label] = digits.get(5);
  expect([image.shape, label]).toEqual([[1, 8, 8], digits.labels[5]]);
  const [x, y] = [...new DataLoader(digits, { batchSize: 64, shuffle: true, rng: tg.rng(0) })][0];
  expect([x.shape, y.shape, y.dtype]).toEqual([[64, 1, 8, 8], [64], 'int32']);
  expect(Object.keys(digits)).toEqual(['images', 'labels']);
});
