/**
 * Module utilities (SPEC §15, §18): apply, children, modules, requiresGrad_, dtype conversion, the
 * containers, and toString printed exactly as PyTorch's print(model) prints the same architecture.
 */
import * as tg from '../src';
import { pyFloat } from '../src/nn/repr';
import { runTorch } from './torch-harness';

const { nn } = tg;

class Block extends nn.Module {
  readonly conv = new nn.Conv2d(1, 4, 3, { padding: 1, rng: tg.rng('block') });
  readonly act = new nn.ReLU();
  readonly heads = new nn.ModuleList([new nn.Linear(4, 2), new nn.Linear(4, 3, { bias: false })]);

  forward(x: tg.Tensor): tg.Tensor {
    return this.act.forward(this.conv.forward(x));
  }
}

describe('tree utilities', () => {
  test('apply visits children first, then the module, and returns it', () => {
    const net = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.ReLU(), new nn.Tanh()));
    const seen: string[] = [];
    expect(net.apply((m) => seen.push(m.constructor.name))).toBe(net);
    expect(seen).toEqual(['Linear', 'ReLU', 'Tanh', 'Sequential', 'Sequential']);
  });

  test('children, namedChildren, modules and namedModules follow PyTorch', () => {
    const b = new Block();
    expect(b.namedChildren().map(([k, m]) => `${k}:${m.constructor.name}`)).toEqual(['conv:Conv2d', 'act:ReLU', 'heads:ModuleList']);
    expect(b.children()).toEqual([b.conv, b.act, b.heads]);
    expect(b.namedModules().map(([k]) => k)).toEqual(['', 'conv', 'act', 'heads', 'heads.0', 'heads.1']);
    expect(b.modules().length).toBe(6);
    expect(b.namedParameters().map(([k]) => k)).toEqual(['conv.weight', 'conv.bias', 'heads.0.weight', 'heads.0.bias', 'heads.1.weight']);
  });

  test('requiresGrad_ freezes and unfreezes every parameter, which stay parameters', () => {
    const b = new Block();
    expect(b.requiresGrad_(false)).toBe(b);
    expect(b.parameters().length).toBe(5);
    expect(b.parameters().every((p) => !p.requiresGrad)).toBe(true);
    b.requiresGrad_();
    expect(b.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  test('to, double and float convert parameters, buffers and gradients in place', () => {
    const net = new nn.Sequential(new nn.Linear(3, 2, { rng: tg.rng('to') }), new nn.BatchNorm1d(2));
    const w = net[0].parameters()[0];
    const before = Array.from(w.data);
    tg.sum(net.forward(tg.randn([4, 3]))).backward();
    expect(net.double()).toBe(net);
    expect(net.parameters()[0]).toBe(w);
    expect([...net.parameters(), ...net.buffers()].map((t) => t.dtype)).toEqual([...new Array(6).fill('float64'), 'int32']);
    expect(w.grad!.dtype).toBe('float64');
    expect(Array.from(w.data)).toEqual(before);
    expect(net.forward(tg.randn([4, 3], { dtype: 'float64' })).dtype).toBe('float64');
    expect(net.float().parameters()[0].dtype).toBe('float32');
    expect(net.to('float64').buffers()[0].dtype).toBe('float64');
    expect(() => net.to('int8' as 'float32')).toThrow("Sequential.to: dtype must be 'float32' or 'float64', got int8");
  });

  test('every module constructor takes {dtype, rng}', () => {
    expect(new nn.Linear(2, 2, { dtype: 'float64' }).weight.dtype).toBe('float64');
    expect(new nn.BatchNorm2d(2, { dtype: 'float64' }).runningMean!.dtype).toBe('float64');
    expect(new nn.ReLU({ dtype: 'float64' }).forward(tg.tensor([-1, 2]))).toBeInstanceOf(tg.Tensor);
    expect(new nn.MaxPool2d(2, { dtype: 'float64' }).forward(tg.ones([1, 1, 2, 2])).shape).toEqual([1, 1, 1, 1]);
    const a = new nn.Conv1d(2, 3, 3, { rng: tg.rng(4) });
    const b = new nn.Conv1d(2, 3, 3, { rng: tg.rng(4) });
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
  });
});

describe('containers and small modules', () => {
  test('ModuleList: append, extend, insert, index, iteration, length, names 0, 1, …', () => {
    const a = new nn.Linear(1, 1);
    const b = new nn.ReLU();
    const c = new nn.Tanh();
    const list = new nn.ModuleList([a]);
    list.append(b).extend([c]);
    expect(list.length).toBe(3);
    expect([list[0], list.get(1), list.get(-1)]).toEqual([a, b, c]);
    list.insert(1, new nn.Sigmoid());
    expect([...list].map((m) => m.constructor.name)).toEqual(['Linear', 'Sigmoid', 'ReLU', 'Tanh']);
    expect(list[3]).toBe(c);
    expect(list.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias']);
    expect(() => list.get(4)).toThrow('ModuleList: index 4 is out of range for length 4');
    expect(() => list.append({} as tg.nn.Module)).toThrow('ModuleList.append: argument is not a Module');
    expect(() => (list.forward as () => void)()).toThrow('ModuleList: a ModuleList has no forward');
  });

  test('ModuleDict: get, set, keys, values, entries; names are the keys (even method names)', () => {
    const d = new nn.ModuleDict({ train: new nn.Linear(2, 1), act: new nn.ReLU() });
    d.set('out', new nn.Linear(1, 1));
    expect(d.keys()).toEqual(['train', 'act', 'out']);
    expect(d.get('act')).toBeInstanceOf(nn.ReLU);
    expect(d.values().length).toBe(3);
    expect(d.entries()[0][0]).toBe('train');
    expect(d.namedParameters().map(([k]) => k)).toEqual(['train.weight', 'train.bias', 'out.weight', 'out.bias']);
    expect(d.train(false)).toBe(d);
    expect(d.get('train').training).toBe(false);
    expect(() => d.get('nope')).toThrow("ModuleDict: no module named 'nope' (keys: train, act, out)");
    expect(() => d.set('a.b', new nn.ReLU())).toThrow('ModuleDict: a key must be a non-empty string without \'.\', got "a.b"');
  });

  test('Identity, Softmax, LogSoftmax, Unflatten, Flatten(startDim, endDim)', () => {
    const x = tg.tensor([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    expect(new nn.Identity().forward(x)).toBe(x);
    expect(Array.from(new nn.Softmax(1).forward(x).data)).toEqual(Array.from(tg.softmax(x, 1).data));
    expect(Array.from(new nn.LogSoftmax(0).forward(x).data)).toEqual(Array.from(tg.logSoftmax(x, 0).data));
    expect(new nn.Unflatten(1, [2, 5]).forward(tg.zeros([3, 10, 4])).shape).toEqual([3, 2, 5, 4]);
    expect(new nn.Unflatten(-1, [-1, 2]).forward(tg.zeros([3, 10])).shape).toEqual([3, 5, 2]);
    expect(() => new nn.Unflatten(1, [3, 3]).forward(tg.zeros([2, 10]))).toThrow(
      'Unflatten: sizes [3,3] do not fill axis 1 of size 10 (input [2,10])',
    );
    expect(new nn.Flatten(1, 2).forward(tg.zeros([2, 3, 4, 5])).shape).toEqual([2, 12, 5]);
    expect(new nn.Flatten(0).forward(tg.zeros([2, 3, 4])).shape).toEqual([24]);
  });
});

describe("toString prints as PyTorch's print(model)", () => {
  test('Python number spelling', () => {
    expect([1e-5, 0.1, 1, -1, 1e-8, 1e16, 123.5, 2.5e-7, 0].map(pyFloat)).toEqual([
      '1e-05',
      '0.1',
      '1.0',
      '-1.0',
      '1e-08',
      '1e+16',
      '123.5',
      '2.5e-07',
      '0.0',
    ]);
  });

  // Each pair: a tapegrad model and the PyTorch source of the same architecture.
  const models: [string, () => tg.nn.AnyModule, string][] = [
    [
      'a CNN',
      () =>
        new nn.Sequential(
          new nn.Conv2d(1, 16, 3, { padding: 1 }),
          new nn.ReLU(),
          new nn.MaxPool2d(2),
          new nn.Conv2d(16, 32, [3, 5], { stride: 2, dilation: [1, 2], groups: 2, bias: false }),
          new nn.BatchNorm2d(32),
          new nn.Dropout(0.25),
          new nn.Flatten(),
          new nn.Linear(128, 10),
        ),
      `nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, (3, 5), stride=2, dilation=(1, 2), groups=2, bias=False), nn.BatchNorm2d(32),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(128, 10))`,
    ],
    [
      'nested containers',
      () =>
        new nn.Sequential(
          new nn.Sequential(new nn.Conv1d(2, 4, 3), new nn.AvgPool1d(2), new nn.MaxPool1d(2, { stride: 1 })),
          new nn.ModuleList([new nn.Linear(3, 4), new nn.Tanh(), new nn.ModuleDict({ a: new nn.Sigmoid(), b: new nn.Identity() })]),
          new nn.BatchNorm1d(4, { affine: false, momentum: 0.3, eps: 1e-3 }),
          new nn.AvgPool2d([2, 3], { stride: 1, padding: 1 }),
          new nn.Softmax(1),
          new nn.LogSoftmax(-1),
          new nn.Unflatten(1, [2, 5]),
          new nn.Flatten(0, 2),
        ),
      `nn.Sequential(nn.Sequential(nn.Conv1d(2, 4, 3), nn.AvgPool1d(2), nn.MaxPool1d(2, stride=1)),
        nn.ModuleList([nn.Linear(3, 4), nn.Tanh(), nn.ModuleDict({'a': nn.Sigmoid(), 'b': nn.Identity()})]),
        nn.BatchNorm1d(4, affine=False, momentum=0.3, eps=1e-3), nn.AvgPool2d((2, 3), stride=1, padding=1),
        nn.Softmax(1), nn.LogSoftmax(-1), nn.Unflatten(1, (2, 5)), nn.Flatten(0, 2))`,
    ],
    [
      'a custom module (children in definition order, a leaf module on one line)',
      () => new Block(),
      `(lambda: (lambda B: B())(type('Block', (nn.Module,), {'__init__': lambda self: (nn.Module.__init__(self),
        setattr(self, 'conv', nn.Conv2d(1, 4, 3, padding=1)), setattr(self, 'act', nn.ReLU()),
        setattr(self, 'heads', nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 3, bias=False)])), None)[-1]})))()`,
    ],
    ['a leaf', () => new nn.Linear(3, 1, { bias: false }), 'nn.Linear(3, 1, bias=False)'],
  ];

  test.each(models)('%s', (_name, make, source) => {
    const expected = runTorch<string>(`import torch.nn as nn\nemit(repr(${source.replace(/\n\s*/g, ' ')}))`);
    expect(make().toString()).toBe(expected);
  });
});
