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
    expect(t.dtype).toBe('float32');
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
