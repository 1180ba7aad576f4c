/**
 * State dicts move between PyTorch and tapegrad unchanged (SPEC §16, §18): a PyTorch
 * nn.Sequential(Conv2d, BatchNorm2d, ReLU, Flatten, Linear) trained a few steps (so its running
 * statistics and num_batches_tracked have moved) is written by torch into safetensors, loaded into
 * the same tapegrad model, and gives the same outputs in float64; and the other way round.
 */
import * as tg from '../src';
import { PY_SAFETENSORS } from './safetensors-python';
import { decodeTensor, encodeTensor, runTorch, TensorJson } from './torch-harness';

const { nn } = tg;

const model = () =>
  new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1, dtype: 'float64', rng: tg.rng('conv') }),
    new nn.BatchNorm2d(4, { dtype: 'float64' }),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(4 * 5 * 5, 3, { dtype: 'float64', rng: tg.rng('fc') }),
  );

const TORCH_MODEL = `
import torch.nn as nn
torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 5 * 5, 3)).double()
`;

const x = tg.randn([3, 2, 5, 5], { rng: tg.rng('x'), dtype: 'float64' });

test("a PyTorch state dict written as safetensors loads into the same tapegrad model and gives PyTorch's outputs", () => {
  const r = runTorch<{ bytes: string; keys: string[]; y: TensorJson; nbt: number }>(
    PY_SAFETENSORS +
      TORCH_MODEL +
      `
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    loss = model(torch.randn(4, 2, 5, 5)).square().mean()
    opt.zero_grad(); loss.backward(); opt.step()
model.eval()
sd = model.state_dict()
emit({'bytes': b64(st_dumps(dict(sd))), 'keys': list(sd.keys()), 'y': model(tensor_from(job['x'])),
      'nbt': int(sd['1.num_batches_tracked'])})
`,
    { x: encodeTensor(x) },
  );
  const ours = model();
  expect(Object.keys(ours.stateDict())).toEqual(r.keys);
  const loaded = tg.loadBytes(new Uint8Array(Buffer.from(r.bytes, 'base64')));
  expect(loaded['1.num_batches_tracked'].dtype).toBe('int32');
  expect(ours.loadStateDict(loaded)).toEqual({ missingKeys: [], unexpectedKeys: [] });
  expect((ours[1] as tg.nn.BatchNorm2d).num_batches_tracked!.item()).toBe(r.nbt);
  expect(r.nbt).toBe(3);
  ours.eval();
  const y = ours.forward(x);
  const expected = decodeTensor(r.y);
  expect(y.shape).toEqual(expected.shape);
  const worst = Math.max(...Array.from(y.data, (v, i) => Math.abs(v - expected.data[i])));
  expect(worst).toBeLessThan(1e-12);
});

test('a tapegrad state dict saved with tg.saveBytes loads into PyTorch strictly and gives the same outputs', () => {
  const ours = model();
  for (let step = 0; step < 2; step++) ours.forward(tg.randn([4, 2, 5, 5], { rng: tg.rng(`step ${step}`), dtype: 'float64' }));
  ours.eval();
  const tensors = Object.fromEntries([...ours.namedParameters(), ...ours.namedBuffers()]);
  const r = runTorch<{ y: TensorJson; missing: string[]; unexpected: string[]; nbt: number }>(
    PY_SAFETENSORS +
      TORCH_MODEL +
      `
sd, _ = st_loads(unb64(job['bytes']))
sd['1.num_batches_tracked'] = sd['1.num_batches_tracked'].long()
result = model.load_state_dict(sd, strict=True)
model.eval()
emit({'y': model(tensor_from(job['x'])), 'missing': result.missing_keys, 'unexpected': result.unexpected_keys,
      'nbt': int(model[1].num_batches_tracked)})
`,
    { bytes: Buffer.from(tg.saveBytes(tensors)).toString('base64'), x: encodeTensor(x) },
  );
  expect([r.missing, r.unexpected, r.nbt]).toEqual([[], [], 2]);
  const y = ours.forward(x);
  const expected = decodeTensor(r.y);
  const worst = Math.max(...Array.from(y.data, (v, i) => Math.abs(v - expected.data[i])));
  expect(worst).toBeLessThan(1e-12);
});

test("momentum=None: tapegrad's cumulative running statistics are PyTorch's", () => {
  const batches = [0, 1, 2].map((k) => tg.randn([4, 3, 2, 2], { rng: tg.rng(`b${k}`), dtype: 'float64' }));
  const bn = new nn.BatchNorm2d(3, { momentum: null, dtype: 'float64' });
  for (const b of batches) bn.forward(b);
  const r = runTorch<{ mean: TensorJson; var: TensorJson }>(
    `
import torch.nn as nn
bn = nn.BatchNorm2d(3, momentum=None).double()
for b in job['batches']:
    bn(tensor_from(b))
emit({'mean': bn.running_mean, 'var': bn.running_var})
`,
    { batches: batches.map(encodeTensor) },
  );
  for (const [ours, theirs] of [
    [bn.running_mean!, r.mean],
    [bn.running_var!, r.var],
  ] as const) {
    const t = decodeTensor(theirs);
    expect(Math.max(...Array.from(ours.data, (v, i) => Math.abs(v - t.data[i])))).toBeLessThan(1e-14);
  }
});
