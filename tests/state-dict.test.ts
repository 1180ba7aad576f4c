/**
 * module.loadStateDict (SPEC §18): tensors or {shape, data} entries, copied into the module's own
 * tensors in its dtype; strict and non-strict keys; PyTorch's buffer names, and the older names
 * (runningMean/runningVar) that old run directories and JSON files still use.
 */
import * as tg from '../src';

const { nn } = tg;

const net = (seed: string, dtype: tg.DType = 'float32') =>
  new nn.Sequential(
    new nn.Linear(3, 4, { rng: tg.rng(seed), dtype }),
    new nn.BatchNorm1d(4, { dtype }),
    new nn.Linear(4, 2, { rng: tg.rng(`${seed}/2`), dtype }),
  );

const tensorsOf = (m: tg.nn.Module) => Object.fromEntries([...m.namedParameters(), ...m.namedBuffers()]);

test("BatchNorm's buffers carry PyTorch's names; the old names still read them", () => {
  const m = net('names');
  expect(Object.keys(m.stateDict())).toEqual([
    '0.weight',
    '0.bias',
    '1.weight',
    '1.bias',
    '1.running_mean',
    '1.running_var',
    '1.num_batches_tracked',
    '2.weight',
    '2.bias',
  ]);
  const bn = m[1] as tg.nn.BatchNorm1d;
  expect(bn.runningMean).toBe(bn.running_mean);
  expect(bn.runningVar).toBe(bn.running_var);
});

test('a record of tensors (what tg.load returns) loads, converted to the model dtype, in place', () => {
  const source = net('source', 'float64');
  source.forward(tg.randn([5, 3], { rng: tg.rng('batch'), dtype: 'float64' }));
  const target = net('target');
  const storage = target.parameters().map((p) => p.data);
  const result = target.loadStateDict(tg.loadBytes(tg.saveBytes(tensorsOf(source))));
  expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
  target.parameters().forEach((p, i) => expect(p.data).toBe(storage[i]));
  for (const [key, t] of Object.entries(tensorsOf(target))) {
    expect(t.dtype).toBe(key.endsWith('num_batches_tracked') ? 'int32' : 'float32');
    expect(Array.from(t.data)).toEqual(Array.from(Float32Array.from(tensorsOf(source)[key].data)));
  }
});

test('a tensor with NaN loads as NaN (a diverged checkpoint is read back faithfully)', () => {
  const m = new nn.Linear(2, 1);
  m.loadStateDict({ weight: tg.tensor([[NaN, Infinity]]), bias: tg.tensor([-0]) });
  expect(Array.from(m.weight.data)).toEqual([NaN, Infinity]);
  expect(Object.is(m.bias!.data[0], -0)).toBe(true);
});

test('strict mode lists every missing and unexpected key and every shape mismatch, and writes nothing', () => {
  const m = net('strict');
  const before = m.stateDict();
  const sd: Record<string, tg.Tensor> = { ...tensorsOf(net('other')), 'extra.weight': tg.zeros([2, 2]), '2.weight': tg.zeros([2, 5]) };
  delete sd['0.bias'];
  delete sd['1.running_var'];
  expect(() => m.loadStateDict(sd)).toThrow(
    "loadStateDict: missing key '0.bias' (model [4]); missing key '1.running_var' (model [4]); " +
      "shape mismatch for '2.weight': state dict [2,5], model [2,4]; unexpected key 'extra.weight' [2,2]",
  );
  expect(m.stateDict()).toEqual(before);
});

test('non-strict mode loads what matches and returns the missing and unexpected keys; a wrong shape still throws', () => {
  const m = net('loose');
  const other = net('other');
  const sd: Record<string, tg.Tensor> = { ...tensorsOf(other), 'head.bias': tg.zeros([3]) };
  delete sd['2.bias'];
  expect(m.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['2.bias'], unexpectedKeys: ['head.bias'] });
  expect(m[0].stateDict()).toEqual(other[0].stateDict());
  expect(() => m.loadStateDict({ '0.weight': tg.zeros([1]) }, { strict: false })).toThrow(
    "loadStateDict: shape mismatch for '0.weight': state dict [1], model [4,3]",
  );
});

test('an old state dict with runningMean/runningVar (old run directories, old JSON files) loads into running_mean/running_var', () => {
  const source = net('old');
  source.forward(tg.randn([5, 3], { rng: tg.rng('batch') }));
  const sd = source.stateDict();
  const old = Object.fromEntries(
    Object.entries(sd).map(([k, v]) => [k.replace('running_mean', 'runningMean').replace('running_var', 'runningVar'), v]),
  );
  expect(Object.keys(old)).toContain('1.runningMean');
  const m = net('fresh');
  expect(m.loadStateDict(nn.stateDictFromJson(nn.stateDictToJson(old)))).toEqual({ missingKeys: [], unexpectedKeys: [] });
  expect(m.stateDict()).toEqual(sd);
});

test('entries that are neither tensors nor {shape, data} are refused', () => {
  const m = new nn.Linear(2, 1);
  expect(() => m.loadStateDict({ weight: [1, 2] as unknown as tg.Tensor, bias: tg.zeros([1]) })).toThrow(
    "loadStateDict: entry 'weight' is not a tensor or {shape, data} (model [1,2])",
  );
  expect(() => m.loadStateDict(null as unknown as tg.nn.StateDict)).toThrow(
    'loadStateDict: expected an object of tensors or {shape, data} entries',
  );
});

describe('num_batches_tracked and the cumulative average', () => {
  test('an int32 scalar buffer counting training batches, not eval ones; to(dtype) leaves it int32', () => {
    const bn = new nn.BatchNorm1d(2);
    expect([bn.num_batches_tracked!.dtype, bn.num_batches_tracked!.shape, bn.num_batches_tracked!.item()]).toEqual(['int32', [], 0]);
    bn.forward(tg.randn([4, 2], { rng: tg.rng(1) }));
    bn.forward(tg.randn([4, 2], { rng: tg.rng(2) }));
    bn.eval().forward(tg.randn([4, 2], { rng: tg.rng(3) }));
    expect(bn.num_batches_tracked!.item()).toBe(2);
    expect(bn.double().num_batches_tracked!.dtype).toBe('int32');
    expect(new nn.BatchNorm1d(2, { trackRunningStats: false }).num_batches_tracked).toBeNull();
  });

  test('momentum null: the running statistics are the plain average over the batches so far', () => {
    const bn = new nn.BatchNorm1d(1, { momentum: null, dtype: 'float64' });
    // Batch means 2 and 6; unbiased variances 2 and 8.
    bn.forward(tg.tensor([[1], [3]], { dtype: 'float64' }));
    expect(Array.from(bn.running_mean!.data)).toEqual([2]);
    expect(Array.from(bn.running_var!.data)).toEqual([2]);
    bn.forward(tg.tensor([[4], [8]], { dtype: 'float64' }));
    expect(Array.from(bn.running_mean!.data)).toEqual([4]);
    expect(Array.from(bn.running_var!.data)).toEqual([5]);
    expect(bn.toString()).toBe('BatchNorm1d(1, eps=1e-05, momentum=None, affine=True, track_running_stats=True)');
  });

  test('an old state dict (runningMean/runningVar, no num_batches_tracked) loads with the count at 0', () => {
    const bn = new nn.BatchNorm1d(2);
    bn.forward(tg.randn([4, 2], { rng: tg.rng(1) }));
    bn.loadStateDict({
      weight: { shape: [2], data: [1, 2] },
      bias: { shape: [2], data: [0, 0] },
      runningMean: { shape: [2], data: [0.5, 0.25] },
      runningVar: { shape: [2], data: [2, 3] },
    });
    expect([Array.from(bn.running_mean!.data), bn.num_batches_tracked!.item()]).toEqual([[0.5, 0.25], 0]);
    // With PyTorch's names, num_batches_tracked is required like any other key.
    expect(() =>
      bn.loadStateDict({ weight: tg.ones([2]), bias: tg.ones([2]), running_mean: tg.ones([2]), running_var: tg.ones([2]) }),
    ).toThrow("loadStateDict: missing key 'num_batches_tracked' (model [])");
  });

  test('an integer buffer takes only integers it can hold', () => {
    const bn = new nn.BatchNorm1d(1);
    const sd = { weight: tg.ones([1]), bias: tg.zeros([1]), running_mean: tg.zeros([1]), running_var: tg.ones([1]) };
    bn.loadStateDict({ ...sd, num_batches_tracked: tg.tensor(7) });
    expect(bn.num_batches_tracked!.item()).toBe(7);
    expect(() => bn.loadStateDict({ ...sd, num_batches_tracked: tg.tensor(2.5) })).toThrow(
      "loadStateDict: entry 'num_batches_tracked' index 0 is 2.5, not an int32 (model int32)",
    );
    expect(() => bn.loadStateDict({ ...sd, num_batches_tracked: { shape: [], data: [2 ** 31] } })).toThrow('is 2147483648, not an int32');
  });
});
