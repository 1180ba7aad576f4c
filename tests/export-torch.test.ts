/**
 * tg.export.toTorch (SPEC §17): the model.py it writes, run by PyTorch (Debian's torch, through
 * tests/torch-harness.ts), rebuilds the same network — its state_dict keys are tapegrad's, the
 * weights load unchanged, and its float64 forward equals tapegrad's to 1e-10 relative — for the
 * CLI's models, Sequential stacks, recurrent and attention layers, and a user's own module classes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import { buildModel } from '../src/train/models';
import { decodeTensor, encodeTensor, runTorch } from './torch-harness';

jest.setTimeout(120_000);

const { nn } = tg;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-torch-export-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
let exported = 0;

/** Exports the model, runs model.py's load() and forward on x in torch; returns torch's output and keys. */
function viaTorch(model: tg.nn.Module<any, any>, x: tg.Tensor, call = 'm(x)'): { y: tg.Tensor; keys: string[]; source: string } {
  const out = tg.export.toTorch(model, x);
  const dir = path.join(work, `m${++exported}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'model.py'), out['model.py']);
  fs.writeFileSync(path.join(dir, 'weights.safetensors'), out['weights.safetensors']);
  const r = runTorch<{ y: any; keys: string[] }>(
    `
import os
sys.path.insert(0, job['dir'])
import model as exported
m = exported.load(os.path.join(job['dir'], 'weights.safetensors'))
m.eval()
x = tensor_from(job['x'])
with torch.no_grad():
    y = ${call}
emit({'y': y, 'keys': sorted(m.state_dict().keys())})
`,
    { dir, x: encodeTensor(x) },
  );
  return { y: decodeTensor(r.y), keys: r.keys, source: out['model.py'] };
}

function expectSameForward(model: tg.nn.Module<any, any>, x: tg.Tensor, pick: (out: any) => tg.Tensor = (o) => o, call?: string) {
  model.eval();
  const ours = tg.noGrad(() => pick(model.forward(x)));
  const theirs = viaTorch(model, x, call);
  const keys = Object.keys(model.stateDict()).sort();
  expect(theirs.keys).toEqual(keys);
  expect(theirs.y.shape).toEqual(ours.shape);
  const scale = Math.max(1e-300, ...Array.from(ours.data, (v) => Math.abs(Number(v))));
  const err = Math.max(...Array.from(ours.data, (v, i) => Math.abs(Number(v) - Number(theirs.y.data[i]))));
  expect(err / scale).toBeLessThan(1e-10);
  return theirs.source;
}

const rng = tg.rng('export-torch');
const randn = (shape: number[]) => tg.randn(shape, { rng, dtype: 'float64' });

test("the CLI's digits CNN, MLP and LeNet-5 (batch norm with running statistics) forward as tapegrad's", () => {
  for (const [name, image] of [
    ['cnn', [1, 8, 8]],
    ['mlp', [1, 8, 8]],
    ['cnn', [1, 28, 28]],
  ] as const) {
    const model = (buildModel(name, image, 10, rng) as unknown as tg.nn.Module).double();
    const x = randn([3, ...image]);
    model.train();
    model.forward(x); // running statistics move away from their initial values
    const source = expectSameForward(model, x);
    expect(source).toContain('class ');
  }
});

test('a Sequential becomes class Model(nn.Sequential) with the same layers, one per line', () => {
  const model = new nn.Sequential(
    new nn.Conv2d(2, 4, 3, { padding: 1, stride: 2, rng }),
    new nn.BatchNorm2d(4),
    new nn.LeakyReLU(0.2),
    new nn.Flatten(),
    new nn.Linear(4 * 3 * 3, 5, { rng }),
    new nn.Tanh(),
  ).double();
  const source = expectSameForward(model, randn([2, 2, 6, 6]));
  expect(source).toMatch(/class Model\(nn\.Sequential\):/);
  expect(source).toContain('nn.Conv2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))');
  expect(source).toContain('nn.LeakyReLU(negative_slope=0.2)');
});

test("Upsample exports with its mode quoted and its alignCorners (which PyTorch's repr leaves out), forwarding as tapegrad's", () => {
  const source = expectSameForward(
    new nn.Sequential(
      new nn.Upsample({ scaleFactor: 2 }),
      new nn.Upsample({ size: [5, 11], mode: 'bilinear', alignCorners: true }),
      new nn.Upsample({ scaleFactor: [1.5, 0.5], mode: 'bilinear' }),
    ),
    randn([2, 3, 4, 4]),
  );
  expect(source).toContain("nn.Upsample(scale_factor=2.0, mode='nearest')");
  expect(source).toContain("nn.Upsample(size=(5, 11), mode='bilinear', align_corners=True)");
  expectSameForward(new nn.Sequential(new nn.Upsample({ scaleFactor: 1.5, mode: 'linear', alignCorners: true })), randn([2, 3, 7]));
  // LayerNorm's bias option (PyTorch >= 2.1) is spelt out, as its repr does not say it.
  const ln = tg.export.toTorch(new nn.Sequential(new nn.LayerNorm(4, { bias: false })), tg.zeros([2, 4]))['model.py'];
  expect(ln).toContain('nn.LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)');
});

class Blocks extends nn.Module {
  readonly layers = new nn.ModuleList([new nn.Linear(4, 6, { rng }), new nn.Tanh(), new nn.Linear(6, 4, { rng })]);
  readonly heads = new nn.ModuleDict({ mean: new nn.Linear(4, 4, { rng }), scale: new nn.Softplus() });
  readonly cos = new nn.CosineSimilarity({ axis: 1, eps: 1e-6 });
  readonly mse = new nn.MSELoss({ reduction: 'sum' });
  readonly bce = new nn.BCEWithLogitsLoss({ weight: tg.tensor([1, 2, 0.5, 1]), posWeight: tg.tensor([3, 1, 1, 2]) });
  forward(x: tg.Tensor): tg.Tensor {
    let h = x.mul(2); // an op before the first child call
    for (const layer of this.layers) h = (layer as tg.nn.Module<tg.Tensor, tg.Tensor>).forward(h);
    const mean = this.heads.get('mean').forward(h);
    const sim = this.cos.forward(mean, x.add(1));
    const scale = this.heads.get('scale').forward(mean);
    return tg.stack([this.mse.forward(mean, x), this.bce.forward(scale, x.sigmoid()), sim.sum()]);
  }
}

test("a user's forward that loops over a ModuleList, indexes a ModuleDict, runs ops before a child call, and computes losses exports as PyTorch runs it", () => {
  const source = expectSameForward(new Blocks().double(), randn([3, 4]));
  expect(source).toContain('self.layers[0](t1)');
  expect(source).toContain("self.heads['mean'](");
  expect(source).toContain('nn.CosineSimilarity(dim=1, eps=0.000001)');
  expect(source).toContain("nn.MSELoss(reduction='sum')");
  expect(source).toContain(
    'nn.BCEWithLogitsLoss(weight=torch.zeros((4,), dtype=torch.float64), pos_weight=torch.zeros((4,), dtype=torch.float64))',
  );
});

class Functional extends nn.Module {
  readonly fc = new nn.Linear(4, 5, { rng });
  forward(x: tg.Tensor): tg.Tensor {
    const h = this.fc.forward(x);
    const parts = [
      tg.leakyRelu(h, 0.2),
      tg.elu(h, 0.5),
      tg.softplus(h, { beta: 2, threshold: 1 }),
      tg.logSoftmax(h, 1),
      tg.sin(h),
      tg.erf(h),
    ];
    return tg.concat([...parts, tg.max(h, 1, true)], 1);
  }
}

test("a user's forward calling functional activations, logSoftmax, sin, erf and a max reduction exports them as torch ops", () => {
  const source = expectSameForward(new Functional().double(), randn([3, 4]));
  expect(source).toContain('.amax(dim=(1,), keepdim=True)');
  expect(source).toContain('torch.sin(');
});

class LstmClassifier extends nn.Module {
  readonly lstm = new nn.LSTM(4, 6, { numLayers: 2, batchFirst: true, rng, dtype: 'float64' });
  readonly fc = new nn.Linear(6, 3, { rng, dtype: 'float64' });
  forward(x: tg.Tensor): tg.Tensor {
    const [, [h]] = this.lstm.forward(x);
    return this.fc.forward(h).add(1);
  }
}

test("a user's own module with an LSTM is traced into a class of its own (tuple outputs, ops between layers)", () => {
  const source = expectSameForward(new LstmClassifier(), randn([2, 5, 4]));
  expect(source).toMatch(/class LstmClassifier\(nn\.Module\):/);
  expect(source).toContain('nn.LSTM(4, 6, num_layers=2, batch_first=True)');
  expect(source).toMatch(/= self\.lstm\(x\)/);
});

class Encoder extends nn.Module {
  readonly encoder = new nn.TransformerEncoder(
    new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true, normFirst: true, rng, dtype: 'float64' }),
    2,
  );
  readonly head = new nn.Linear(8, 2, { rng, dtype: 'float64' });
  forward(x: tg.Tensor): tg.Tensor {
    return this.head.forward(this.encoder.forward(x));
  }
}

test('a Transformer encoder (pre-norm, batch first) and MultiheadAttention export with PyTorch parameter names', () => {
  expectSameForward(new Encoder(), randn([2, 5, 8]));
  const mha = new nn.MultiheadAttention(8, 2, { batchFirst: true, rng, dtype: 'float64' });
  class SelfAttention extends nn.Module {
    readonly attn = mha;
    forward(x: tg.Tensor): tg.Tensor {
      return this.attn.forward(x, x, x)[0];
    }
  }
  expectSameForward(new SelfAttention(), randn([2, 4, 8]));
});

test('an op model.py has no spelling for throws, naming the module and the op', () => {
  class Odd extends nn.Module {
    readonly fc = new nn.Linear(3, 3, { rng });
    forward(x: tg.Tensor): tg.Tensor {
      return tg.flip(this.fc.forward(x), [1]);
    }
  }
  expect(() => tg.export.toTorch(new Odd(), tg.randn([2, 3], { rng }))).toThrow(
    /toTorch: Odd\.forward runs flip, which has no PyTorch spelling/,
  );
  expect(() => tg.export.toTorch({} as tg.nn.Module, tg.zeros([1]))).toThrow(/toTorch: expected an nn\.Module/);
});

test('tracing leaves the model as it was: mode, gradients and running statistics', () => {
  const model = new nn.Sequential(new nn.Linear(3, 4, { rng }), new nn.BatchNorm1d(4), new nn.Dropout(0.5)).double();
  model.train();
  const before = model.stateDict();
  tg.export.toTorch(model, randn([5, 3]));
  expect(model.training).toBe(true);
  expect(model.stateDict()).toEqual(before);
  expect(model.parameters().every((p) => p.grad === null)).toBe(true);
});

test("a user's forward calling gelu (both forms), softmax and layerNorm — the fused primitives — exports them as torch functions", () => {
  class Fused extends nn.Module {
    readonly fc = new nn.Linear(6, 6, { rng, dtype: 'float64' });
    readonly w = nn.parameter(tg.randn([6], { rng, dtype: 'float64' }));
    forward(x: tg.Tensor): tg.Tensor {
      const h = tg.layerNorm(this.fc.forward(x), [6], { weight: this.w, eps: 1e-3 });
      return tg.softmax(tg.gelu(h).add(tg.gelu(h, { approximate: 'tanh' })), 1);
    }
  }
  const source = expectSameForward(new Fused(), randn([3, 6]));
  expect(source).toContain('torch.nn.functional.layer_norm(');
  expect(source).toContain("approximate='tanh'");
  expect(source).toContain('torch.softmax(');
});
