/**
 * Activations (SPEC §15): values and gradients against PyTorch in float64 on inputs that include
 * every kink exactly (the gradient there is the one PyTorch picks), hand values, modules and their
 * printing, float32 at size, ONNX export, and errors.
 */
import * as tg from '../src';
import { decodeTensor, encodeTensor, runTorch, TensorJson } from './torch-harness';

const { nn } = tg;
const values = (t: tg.Tensor) => Array.from(t.data);

/** Every kink (0, ±0.5, ±1, ±2, ±3, 6, 20) exactly, values near them, and a random spread. */
const kinks = [0, 0.5, -0.5, 1, -1, 2, -2, 3, -3, 6, 20, 10, -20, 1e-3, -1e-3, 2.9999, 3.0001, 19.99, 40, -40, 700, -700];
const probe = () => {
  const g = tg.rng('activations probe');
  const v = [...kinks, ...Array.from({ length: 40 }, () => 4 * g.normal())];
  return tg.tensor(v, { dtype: 'float64' });
};

/**
 * name, tapegrad function, PyTorch expression of x. The probe is long enough (62 values) that PyTorch
 * runs its vectorised kernels, as it does on real tensors.
 */
const table: [string, (x: tg.Tensor, w: tg.Tensor) => tg.Tensor, string][] = [
  ['leakyRelu', (x) => tg.leakyRelu(x), 'F.leaky_relu(x)'],
  ['leakyRelu 0.2', (x) => x.leakyRelu(0.2), 'F.leaky_relu(x, 0.2)'],
  ['elu', (x) => tg.elu(x), 'F.elu(x)'],
  ['elu 0.5', (x) => tg.elu(x, 0.5), 'F.elu(x, 0.5)'],
  ['selu', (x) => tg.selu(x), 'F.selu(x)'],
  ['celu 2', (x) => tg.celu(x, 2), 'F.celu(x, 2.0)'],
  ['celu', (x) => tg.celu(x), 'F.celu(x)'],
  ['gelu', (x) => tg.gelu(x), 'F.gelu(x)'],
  ['gelu tanh', (x) => tg.gelu(x, { approximate: 'tanh' }), "F.gelu(x, approximate='tanh')"],
  ['silu', (x) => tg.silu(x), 'F.silu(x)'],
  ['mish', (x) => tg.mish(x), 'F.mish(x)'],
  ['softplus', (x) => tg.softplus(x), 'F.softplus(x)'],
  ['softplus beta 2 threshold 3', (x) => tg.softplus(x, { beta: 2, threshold: 3 }), 'F.softplus(x, beta=2, threshold=3)'],
  ['logSigmoid', (x) => tg.logSigmoid(x), 'F.logsigmoid(x)'],
  ['hardtanh', (x) => tg.hardtanh(x), 'F.hardtanh(x)'],
  ['hardtanh -2 3', (x) => tg.hardtanh(x, -2, 3), 'F.hardtanh(x, -2.0, 3.0)'],
  ['relu6', (x) => tg.relu6(x), 'F.relu6(x)'],
  ['hardsigmoid', (x) => tg.hardsigmoid(x), 'F.hardsigmoid(x)'],
  ['hardswish', (x) => tg.hardswish(x), 'F.hardswish(x)'],
  ['softsign', (x) => tg.softsign(x), 'F.softsign(x)'],
  ['tanhshrink', (x) => tg.tanhshrink(x), 'F.tanhshrink(x)'],
  ['softshrink', (x) => tg.softshrink(x), 'F.softshrink(x)'],
  ['softshrink 1', (x) => tg.softshrink(x, 1), 'F.softshrink(x, 1.0)'],
  ['hardshrink', (x) => tg.hardshrink(x), 'F.hardshrink(x)'],
  ['threshold 1 -> 3', (x) => tg.threshold(x, 1, 3), 'F.threshold(x, 1.0, 3.0)'],
  ['prelu', (x, w) => tg.prelu(x, w), 'F.prelu(x, w)'],
];

describe('values and gradients equal PyTorch, kinks included (float64)', () => {
  const x0 = probe();
  const g = tg.randn([x0.size], { rng: tg.rng('activations upstream'), dtype: 'float64' });
  const w0 = tg.tensor([0.3], { dtype: 'float64' });
  let reference: Record<string, { y: TensorJson; gx: TensorJson; gw: TensorJson | null }>;

  beforeAll(() => {
    reference = runTorch(
      `
import torch.nn.functional as F
out = {}
for name, expr in job['exprs']:
    x = tensor_from(job['x'], True)
    w = tensor_from(job['w'], True)
    y = eval(expr)
    (y * tensor_from(job['g'])).sum().backward()
    out[name] = {'y': y, 'gx': x.grad, 'gw': w.grad}
emit(out)`,
      { x: encodeTensor(x0), g: encodeTensor(g), w: encodeTensor(w0), exprs: table.map(([name, , expr]) => [name, expr]) },
    );
  });

  test.each(table.map(([name, fn]) => [name, fn] as const))('%s', (name, fn) => {
    const x = tg.tensor(x0.data, { dtype: 'float64', requiresGrad: true });
    const w = tg.tensor(w0.data, { dtype: 'float64', requiresGrad: true });
    const y = fn(x, w);
    tg.sum(tg.mul(y, g)).backward();
    const ref = reference[name];
    const close = (a: tg.Tensor, b: TensorJson) => {
      const expected = values(decodeTensor(b));
      values(a).forEach((v, i) => {
        const e = expected[i];
        // PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32 (1.0f / 6.0f), 3e-8 away.
        const rtol = name === 'hardsigmoid' ? 1e-7 : 1e-10;
        if (Math.abs(v - e) > 1e-12 + rtol * Math.abs(e))
          throw new Error(`${name}: element ${i} (x = ${x0.data[i]}) is ${v}, PyTorch ${e}`);
      });
    };
    close(y, ref.y);
    close(x.grad!, ref.gx);
    if (ref.gw !== null && w.grad !== null) close(w.grad, ref.gw);
  });
});

describe('hand values at the kinks', () => {
  const at = (f: (x: tg.Tensor) => tg.Tensor, v: number[]) => {
    const x = tg.tensor(v, { dtype: 'float64', requiresGrad: true });
    const y = f(x);
    tg.sum(y).backward();
    return [values(y), values(x.grad!)];
  };

  test('leakyRelu: slope at 0; hardtanh: 0 at the ends; hardswish: -1/2 at -3 and 1 at 3', () => {
    expect(at((x) => tg.leakyRelu(x, 0.1), [0, -2, 2])).toEqual([
      [0, -0.2, 2],
      [0.1, 0.1, 1],
    ]);
    expect(at((x) => tg.hardtanh(x), [-1, 1, 0.5, 2])).toEqual([
      [-1, 1, 0.5, 1],
      [0, 0, 1, 0],
    ]);
    expect(at((x) => tg.relu6(x), [0, 6, 7])).toEqual([
      [0, 6, 6],
      [0, 0, 0],
    ]);
    expect(at((x) => tg.hardswish(x), [-3, 3])).toEqual([
      [-0, 3],
      [-0.5, 1],
    ]);
    expect(at((x) => tg.hardsigmoid(x), [-3, 3, 0])).toEqual([
      [0, 1, 0.5],
      [0, 0, 1 / 6],
    ]);
    expect(at((x) => tg.elu(x, 2), [0])).toEqual([[0], [2]]);
    expect(at((x) => tg.softshrink(x), [0.5, 1])).toEqual([
      [0, 0.5],
      [0, 1],
    ]);
  });

  test('softplus and logSigmoid are stable for any input', () => {
    const [y, gx] = at((x) => tg.softplus(x), [1000, -1000, 0]);
    expect(y).toEqual([1000, 0, Math.LN2]);
    expect(gx).toEqual([1, 0, 0.5]);
    expect(values(tg.logSigmoid(tg.tensor([-1000, 1000], { dtype: 'float64' })))).toEqual([-1000, -0]);
    expect(values(tg.mish(tg.tensor([1000, -1000])))).toEqual([1000, -0]);
    expect(values(tg.elu(tg.tensor([1000])))).toEqual([1000]);
  });

  test('erf to double precision, NaN propagates', () => {
    // Python's math.erf: 0.5204998778130465, -0.9953222650189527, 0.9999999999999999, 1.0.
    const [e1, e2, e3, e4] = values(tg.erf(tg.tensor([0.5, -2, 5.9, 6], { dtype: 'float64' })));
    expect(e1).toBeCloseTo(0.5204998778130465, 15);
    expect(e2).toBeCloseTo(-0.9953222650189527, 15);
    expect(e3).toBe(0.9999999999999999);
    expect(e4).toBe(1);
    expect(values(tg.gelu(tg.tensor([NaN])))).toEqual([NaN]);
    expect(values(tg.leakyRelu(tg.tensor([NaN])))).toEqual([NaN]);
    expect(values(tg.hardtanh(tg.tensor([NaN])))).toEqual([NaN]);
  });
});

describe('modules', () => {
  test('each module applies its function with its options', () => {
    const x = tg.randn([3, 4], { rng: tg.rng('act modules') });
    const pairs: [tg.nn.AnyModule, tg.Tensor][] = [
      [new nn.LeakyReLU(0.2), tg.leakyRelu(x, 0.2)],
      [new nn.ELU(0.5), tg.elu(x, 0.5)],
      [new nn.SELU(), tg.selu(x)],
      [new nn.CELU(2), tg.celu(x, 2)],
      [new nn.GELU({ approximate: 'tanh' }), tg.gelu(x, { approximate: 'tanh' })],
      [new nn.SiLU(), tg.silu(x)],
      [new nn.Mish(), tg.mish(x)],
      [new nn.Softplus({ beta: 2 }), tg.softplus(x, { beta: 2 })],
      [new nn.LogSigmoid(), tg.logSigmoid(x)],
      [new nn.Hardtanh(-0.5, 0.5), tg.hardtanh(x, -0.5, 0.5)],
      [new nn.ReLU6(), tg.relu6(x)],
      [new nn.Hardsigmoid(), tg.hardsigmoid(x)],
      [new nn.Hardswish(), tg.hardswish(x)],
      [new nn.Softsign(), tg.softsign(x)],
      [new nn.Tanhshrink(), tg.tanhshrink(x)],
      [new nn.Softshrink(0.3), tg.softshrink(x, 0.3)],
      [new nn.Hardshrink(0.3), tg.hardshrink(x, 0.3)],
      [new nn.Threshold(0.1, 5), tg.threshold(x, 0.1, 5)],
    ];
    for (const [m, y] of pairs) expect(values(m.forward(x))).toEqual(values(y));
  });

  test('PReLU: one slope or one per channel, a parameter initialised to init, in the module dtype', () => {
    const p = new nn.PReLU(3, 0.1, { dtype: 'float64' });
    expect(p.namedParameters().map(([k, t]) => `${k} ${tg.fmt(t.shape)} ${t.dtype}`)).toEqual(['weight [3] float64']);
    const x = tg.tensor(
      [
        [
          [-1, 2],
          [-2, 1],
          [-3, 0],
        ],
      ],
      { dtype: 'float64' },
    );
    expect(p.forward(x).toArray()).toEqual([
      [
        [-0.1, 2],
        [-0.2, 1],
        [-0.30000000000000004, 0],
      ],
    ]);
    expect(values(new nn.PReLU().weight)).toEqual([0.25]);
    expect(() => tg.prelu(tg.zeros([2, 3]), tg.zeros([2]))).toThrow(
      'prelu: weight [2] must have 1 or 3 (the channels, axis 1) entries (input [2,3])',
    );
  });

  test('modules print as PyTorch prints them', () => {
    const ours = [
      new nn.LeakyReLU(),
      new nn.ELU(),
      new nn.SELU(),
      new nn.CELU(0.5),
      new nn.GELU(),
      new nn.GELU({ approximate: 'tanh' }),
      new nn.SiLU(),
      new nn.Mish(),
      new nn.Softplus(),
      new nn.LogSigmoid(),
      new nn.Hardtanh(),
      new nn.ReLU6(),
      new nn.Hardsigmoid(),
      new nn.Hardswish(),
      new nn.Softsign(),
      new nn.Tanhshrink(),
      new nn.PReLU(4),
      new nn.Softshrink(),
      new nn.Hardshrink(0.25),
      new nn.Threshold(0.5, 2),
    ].map(String);
    const torch = runTorch<string[]>(
      `import torch.nn as nn
emit([repr(m) for m in [nn.LeakyReLU(), nn.ELU(), nn.SELU(), nn.CELU(0.5), nn.GELU(), nn.GELU(approximate='tanh'), nn.SiLU(),
  nn.Mish(), nn.Softplus(), nn.LogSigmoid(), nn.Hardtanh(), nn.ReLU6(), nn.Hardsigmoid(), nn.Hardswish(), nn.Softsign(),
  nn.Tanhshrink(), nn.PReLU(4), nn.Softshrink(), nn.Hardshrink(0.25), nn.Threshold(0.5, 2.0)]])`,
    );
    expect(ours).toEqual(torch);
  });
});

describe('float32 at size', () => {
  test('a million float32 values agree with the float64 computation', () => {
    const x64 = tg.randn([1000, 1000], { rng: tg.rng('act f32'), dtype: 'float64' }).mul(4);
    const x32 = x64.cast('float32');
    for (const f of [tg.gelu, tg.silu, tg.elu, tg.softplus, tg.hardswish, (x: tg.Tensor) => tg.leakyRelu(x)]) {
      const a = f(x32);
      const b = f(tg.tensor(Float64Array.from(x32.data), { shape: x32.shape }));
      expect(a.dtype).toBe('float32');
      let worst = 0;
      for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]) / (1 + Math.abs(b.data[i])));
      expect(worst).toBeLessThan(1e-5);
    }
  });
});

describe('errors name the op and the shapes', () => {
  test('bad options throw', () => {
    expect(() => tg.leakyRelu(tg.zeros([2]), NaN)).toThrow('leakyRelu: negativeSlope must be a finite number, got NaN (input [2])');
    expect(() => tg.hardtanh(tg.zeros([2]), 1, -1)).toThrow('hardtanh: max -1 must be at least min 1 (input [2])');
    expect(() => tg.celu(tg.zeros([2]), 0)).toThrow('celu: alpha must not be 0 (input [2])');
    expect(() => tg.gelu(tg.zeros([2]), { approximate: 'erf' as 'none' })).toThrow(
      "gelu: approximate must be 'none' or 'tanh', got 'erf' (input [2])",
    );
    expect(() => tg.softplus(tg.zeros([2]), { beta: 0 })).toThrow('softplus: beta must not be 0 (input [2])');
    expect(() => tg.softshrink(tg.zeros([2]), -1)).toThrow('softshrink: lambd must be non-negative, got -1 (input [2])');
  });
});
