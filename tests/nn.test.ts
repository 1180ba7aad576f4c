/** nn: registration and names, modes, PyTorch's initialisation, state dicts and model files, module scopes. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tg from '../src';

const { nn } = tg;
const values = (t: tg.Tensor) => Array.from(t.data);

class Block extends nn.Module {
  readonly fc = new nn.Linear(4, 3, { rng: tg.rng('block fc') });
  readonly bn = new nn.BatchNorm1d(3);
  readonly act = new nn.Tanh();

  forward(x: tg.Tensor): tg.Tensor {
    return this.act.forward(this.bn.forward(this.fc.forward(x)));
  }
}

class Net extends nn.Module {
  readonly scale = tg.tensor([2], { requiresGrad: true });
  readonly notAParameter = tg.tensor([1, 2, 3]);
  readonly body = new Block();
  readonly heads = [new nn.Linear(3, 2, { rng: tg.rng('head 0') }), new nn.Linear(3, 1, { rng: tg.rng('head 1') })];

  forward(x: tg.Tensor): tg.Tensor {
    const h = tg.mul(this.body.forward(x), this.scale);
    return tg.concat([this.heads[0].forward(h), this.heads[1].forward(h)], 1);
  }
}

const mlp = (seed: string) =>
  new nn.Sequential(
    new nn.Linear(4, 8, { rng: tg.rng(seed) }),
    new nn.ReLU(),
    new nn.BatchNorm1d(8),
    new nn.Linear(8, 3, { rng: tg.rng(`${seed}/2`) }),
  );

describe('registration and names', () => {
  test('parameters, buffers and children are found from properties, with dotted names', () => {
    const net = new Net();
    expect(net.namedParameters().map(([name, p]) => `${name} ${tg.fmt(p.shape)}`)).toEqual([
      'scale [1]',
      'body.fc.weight [3,4]',
      'body.fc.bias [3]',
      'body.bn.weight [3]',
      'body.bn.bias [3]',
      'heads.0.weight [2,3]',
      'heads.0.bias [2]',
      'heads.1.weight [1,3]',
      'heads.1.bias [1]',
    ]);
    expect(net.parameters()).toEqual(net.namedParameters().map(([, p]) => p));
    expect(net.namedBuffers().map(([name]) => name)).toEqual([
      'body.bn.running_mean',
      'body.bn.running_var',
      'body.bn.num_batches_tracked',
    ]);
    expect(net.namedModules().map(([name, m]) => `${name}:${m.constructor.name}`)).toEqual([
      ':Net',
      'body:Block',
      'body.fc:Linear',
      'body.bn:BatchNorm1d',
      'body.act:Tanh',
      'heads.0:Linear',
      'heads.1:Linear',
    ]);
    expect(net.forward(tg.randn([5, 4])).shape).toEqual([5, 3]);
  });

  test('Sequential names its children 0, 1, … as PyTorch does', () => {
    const seq = mlp('names');
    expect(seq.namedParameters().map(([name]) => name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '3.weight', '3.bias']);
    expect(seq[0]).toBeInstanceOf(nn.Linear);
    expect(seq.length).toBe(4);
    expect(() => new nn.Sequential(new nn.ReLU(), {} as tg.nn.Module)).toThrow('Sequential: argument 1 is not a Module');
  });

  test('a parameter shared by two modules is listed once; a frozen parameter stays a parameter', () => {
    const a = new nn.Linear(2, 2);
    const b = new nn.Linear(2, 2);
    (b as { weight: tg.Tensor }).weight = a.weight;
    const seq = new nn.Sequential(a, b);
    expect(seq.namedParameters().map(([name]) => name)).toEqual(['0.weight', '0.bias', '1.bias']);
    a.bias!.requiresGrad = false;
    expect(seq.parameters()).toContain(a.bias);
  });
});

describe('modes and gradients', () => {
  test('train() and eval() propagate to every descendant', () => {
    const net = new Net();
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
    expect(net.body.train(false)).toBe(net.body);
    expect([net.training, net.body.training, net.body.bn.training]).toEqual([true, false, false]);
  });

  test('Dropout and BatchNorm follow the mode', () => {
    const drop = new nn.Dropout(0.5, { rng: tg.rng('drop') });
    const x = tg.ones([1000]);
    expect(values(drop.forward(x)).some((v) => v === 0)).toBe(true);
    drop.eval();
    expect(drop.forward(x)).toBe(x);

    const bn = new nn.BatchNorm1d(2);
    const batch = tg.tensor([
      [1, 2],
      [3, 6],
    ]);
    bn.forward(batch);
    expect(values(bn.runningMean!)).toEqual([Math.fround(0.2), Math.fround(0.4)]);
    bn.eval();
    const before = values(bn.runningMean!);
    const y = bn.forward(batch);
    expect(values(bn.runningMean!)).toEqual(before);
    expect(y.data[0]).toBeCloseTo((1 - 0.2) / Math.sqrt(1.1 + 1e-5), 5);
  });

  test('zeroGrad clears every parameter gradient', () => {
    const seq = mlp('grads');
    tg.sum(seq.forward(tg.randn([4, 4]))).backward();
    expect(seq.parameters().every((p) => p.grad !== null)).toBe(true);
    seq.zeroGrad();
    expect(seq.parameters().every((p) => p.grad === null)).toBe(true);
  });

  test('BatchNorm layers check their input rank and channels', () => {
    expect(() => new nn.BatchNorm2d(3).forward(tg.ones([2, 3, 4]))).toThrow(
      'BatchNorm2d: expected input [N,C,H,W] with C = 3, got [2,3,4]',
    );
    expect(() => new nn.BatchNorm1d(3).forward(tg.ones([2, 4]))).toThrow(
      'BatchNorm1d: expected input [N,C] or [N,C,L] with C = 3, got [2,4]',
    );
    const bn = new nn.BatchNorm2d(3, { affine: false, trackRunningStats: false });
    expect(bn.parameters()).toEqual([]);
    expect(bn.forward(tg.randn([2, 3, 2, 2])).shape).toEqual([2, 3, 2, 2]);
  });
});

describe("PyTorch's default initialisation, from the seeded generator", () => {
  test('Linear: weight and bias uniform in ±1/sqrt(fanIn), drawn in order from opts.rng', () => {
    const layer = new nn.Linear(16, 5, { rng: tg.rng('init') });
    const g = tg.rng('init');
    const bound = 1 / 4;
    expect(values(layer.weight)).toEqual(Array.from({ length: 80 }, () => Math.fround(g.uniform(-bound, bound))));
    expect(values(layer.bias!)).toEqual(Array.from({ length: 5 }, () => Math.fround(g.uniform(-bound, bound))));
    expect(nn.kaimingUniformBound(16)).toBeCloseTo(0.25, 15);
    expect(new nn.Linear(16, 5, { bias: false }).bias).toBeNull();
    expect(new nn.Linear(2, 2, { dtype: 'float64' }).weight.dtype).toBe('float64');
  });

  test('weights fill their range (kaiming-uniform with a = sqrt 5) and follow manualSeed by default', () => {
    const w = values(new nn.Linear(100, 100, { rng: tg.rng('range') }).weight);
    expect(Math.max(...w)).toBeLessThanOrEqual(0.1);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-0.1);
    expect(Math.max(...w)).toBeGreaterThan(0.099);
    expect(Math.min(...w)).toBeLessThan(-0.099);
    tg.manualSeed(11);
    const a = values(new nn.Linear(3, 3).weight);
    tg.manualSeed(11);
    expect(values(new nn.Linear(3, 3).weight)).toEqual(a);
  });

  test('Conv2d: fan-in is inChannels/groups × kernel area', () => {
    const conv = new nn.Conv2d(4, 6, [3, 2], { groups: 2, rng: tg.rng('conv init') });
    expect(conv.weight.shape).toEqual([6, 2, 3, 2]);
    const bound = 1 / Math.sqrt(2 * 3 * 2);
    const w = values(conv.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values(conv.bias!).map(Math.abs))).toBeLessThanOrEqual(bound);
    const g = tg.rng('conv init');
    expect(w).toEqual(w.map(() => Math.fround(g.uniform(-bound, bound))));
  });
});

describe('convolution and pooling layers', () => {
  test('Conv1d, Conv2d, pools and Flatten compute what the functional ops compute', () => {
    const x = tg.randn([2, 3, 6, 6], { rng: tg.rng('conv x') });
    const conv = new nn.Conv2d(3, 4, 3, { stride: 2, padding: 1, rng: tg.rng('c') });
    const y = conv.forward(x);
    expect(y.shape).toEqual([2, 4, 3, 3]);
    expect(values(y)).toEqual(values(tg.conv2d(x, conv.weight, conv.bias, { stride: 2, padding: 1 })));
    expect(new nn.MaxPool2d(2).forward(x).shape).toEqual([2, 3, 3, 3]);
    expect(values(new nn.AvgPool2d(3, { stride: 1, padding: 1 }).forward(x))).toEqual(
      values(tg.avgPool2d(x, 3, { stride: 1, padding: 1 })),
    );
    expect(new nn.Flatten().forward(x).shape).toEqual([2, 108]);
    const conv1 = new nn.Conv1d(2, 4, 3, { padding: 1, bias: false });
    expect(conv1.bias).toBeNull();
    expect(conv1.forward(tg.randn([1, 2, 7])).shape).toEqual([1, 4, 7]);
  });

  test('bad layer arguments throw', () => {
    expect(() => new nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(
      'Conv2d: groups 2 must be a positive integer dividing inChannels 3 and outChannels 4',
    );
    expect(() => new nn.Conv2d(3, 4, 0)).toThrow('Conv2d: kernel must be a positive integer or [h, w] pair, got 0');
    expect(() => new nn.Conv1d(0, 4, 3)).toThrow('Conv1d: inChannels must be a positive integer, got 0');
    expect(() => new nn.Dropout(2)).toThrow('Dropout: probability p must be in [0,1], got 2');
  });
});

describe('state dicts and model files', () => {
  const trained = () => {
    const model = mlp('trained');
    model.forward(tg.randn([6, 4], { rng: tg.rng('batch') })); // moves the running statistics
    return model;
  };

  test('stateDict holds parameters and buffers, in order, as plain numbers', () => {
    const sd = trained().stateDict();
    expect(Object.keys(sd)).toEqual([
      '0.weight',
      '0.bias',
      '2.weight',
      '2.bias',
      '2.running_mean',
      '2.running_var',
      '2.num_batches_tracked',
      '3.weight',
      '3.bias',
    ]);
    expect(sd['0.weight'].shape).toEqual([8, 4]);
    expect(sd['0.weight'].data).toHaveLength(32);
    expect(sd['2.running_var'].data.every((v) => v !== 1)).toBe(true);
  });

  test('loadStateDict round trip is exact, in place, and gives the same outputs', () => {
    const a = trained();
    const b = mlp('another seed');
    const data = b.parameters().map((p) => p.data);
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect(b.stateDict()).toEqual(a.stateDict());
    b.parameters().forEach((p, i) => expect(p.data).toBe(data[i]));
    const x = tg.randn([3, 4], { rng: tg.rng('x') });
    a.eval();
    b.eval();
    expect(values(b.forward(x))).toEqual(values(a.forward(x)));
  });

  test('missing keys, wrong shapes and unexpected keys throw naming the keys and shapes, and nothing is written', () => {
    const model = mlp('errors');
    const before = model.stateDict();
    const sd = trained().stateDict();
    delete sd['3.bias'];
    expect(() => model.loadStateDict(sd)).toThrow("loadStateDict: missing key '3.bias' (model [3])");
    const wrong = trained().stateDict();
    wrong['0.weight'] = { shape: [8, 5], data: new Array(40).fill(0) };
    expect(() => model.loadStateDict(wrong)).toThrow("loadStateDict: shape mismatch for '0.weight': state dict [8,5], model [8,4]");
    const extra = { ...trained().stateDict(), 'head.weight': { shape: [2], data: [1, 2] } };
    expect(() => model.loadStateDict(extra)).toThrow("loadStateDict: unexpected key 'head.weight' [2]");
    expect(model.stateDict()).toEqual(before);
    // strict: false loads what matches and ignores the rest.
    model.loadStateDict(extra, { strict: false });
    expect(model.stateDict()).toEqual(trained().stateDict());
  });

  test('save and load round trip through a JSON file, -0 included; a NaN weight is saved but refused on load', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-nn-'));
    const file = path.join(dir, 'models', 'mlp.json');
    const a = trained();
    (a[3] as tg.nn.Linear).bias!.data[1] = -0;
    nn.save(a, file);
    const b = mlp('fresh');
    expect(nn.load(b, file)).toBe(b);
    const sa = a.stateDict();
    const sb = b.stateDict();
    expect(Object.is(sb['3.bias'].data[1], -0)).toBe(true);
    expect(sb).toEqual(sa);
    // The file is the state dict itself, so loadStateDict reads it too.
    const c = mlp('third');
    c.loadStateDict(nn.stateDictFromJson(fs.readFileSync(file, 'utf8')));
    expect(c.stateDict()).toEqual(sa);
    // A diverged model can be saved (to inspect it) but not loaded back as if it were usable.
    (a[0] as tg.nn.Linear).bias!.data[2] = NaN;
    nn.save(a, file);
    expect(fs.readFileSync(file, 'utf8')).toContain('"NaN"');
    expect(() => nn.load(mlp('fourth'), file)).toThrow("loadStateDict: entry '0.bias' index 2 is NaN, not a finite number");
    fs.rmSync(dir, { recursive: true });
  });

  test('load errors name the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-nn-'));
    const missing = path.join(dir, 'missing.json');
    expect(() => nn.load(mlp('m'), missing)).toThrow(`nn.load: cannot read ${missing}`);
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"0.weight": ');
    expect(() => nn.load(mlp('m'), broken)).toThrow(`nn.load: ${broken} is not valid JSON`);
    const other = path.join(dir, 'other.json');
    nn.save(new nn.Sequential(new nn.Linear(4, 5)), other);
    expect(() => nn.load(mlp('m'), other)).toThrow(
      `nn.load: ${other}: loadStateDict: shape mismatch for '0.weight': state dict [5,4], model [8,4]`,
    );
    fs.rmSync(dir, { recursive: true });
  });
});

describe('module scopes', () => {
  /** Every node reachable from y. */
  const nodesOf = (y: tg.Tensor) => {
    const seen = new Set<tg.Node>();
    const stack = [y];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (t.node === null || seen.has(t.node)) continue;
      seen.add(t.node);
      stack.push(...t.node.inputs);
    }
    return [...seen];
  };
  const frameOf = (n: tg.Node) =>
    n.scope === null ? null : `${n.scope.path}|${n.scope.kind}|${n.scope.depth}|${n.scope.parent?.path ?? '-'}`;

  test('nodes made in a Sequential of Linear/ReLU carry their module path, kind and depth', () => {
    const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    const loss = tg.sum(seq.forward(tg.randn([2, 3])));
    const nodes = nodesOf(loss);
    const byOp = (op: string) =>
      nodes
        .filter((n) => n.op === op)
        .map(frameOf)
        .sort();
    expect(byOp('relu')).toEqual(['1|ReLU|2|']);
    // A Linear's ops sit in the linear composite's frame, inside the module's (Note [composite scopes]).
    expect(byOp('matmul')).toEqual(['0|linear|2|0', '2|linear|2|2']);
    // The bias is added inside the product (Note [product epilogue] in src/ops/matmul.ts), not by an add.
    expect(byOp('add')).toEqual([]);
    expect(nodes.filter((n) => n.op === 'matmul').map((n) => n.inputs.length)).toEqual([3, 3]);
    // The loss is computed outside any module.
    expect(loss.node!.scope).toBeNull();
    const linear0 = nodes.find((n) => n.op === 'matmul' && n.scope!.path === '0')!;
    expect(linear0.scope!.parent!.kind).toBe('Linear');
    expect(linear0.scope!.parent!.parent!.kind).toBe('Sequential');
    expect(linear0.scope!.parent!.parent!.depth).toBe(1);
  });

  test('nested modules give nested paths; two calls of a module are two frames', () => {
    const net = new Net();
    const y = net.forward(tg.randn([3, 4]));
    const frames = new Set(nodesOf(y).map(frameOf));
    expect(frames).toEqual(
      new Set([
        '|Net|1|-',
        'body.fc|linear|3|body.fc',
        // batch norm's ops sit in the batchNorm composite's frame, inside BatchNorm1d's (Note [composite scopes]).
        'body.bn|batchNorm|3|body.bn',
        'body.act|Tanh|3|body',
        'heads.0|linear|2|heads.0',
        'heads.1|linear|2|heads.1',
      ]),
    );
    const act = new nn.ReLU();
    const x = tg.randn([2], { requiresGrad: true });
    const a = act.forward(x).node!.scope!;
    const b = act.forward(x).node!.scope!;
    expect([a.path, a.depth, b.path]).toEqual(['', 1, '']);
    expect(a.id).not.toBe(b.id);
    expect(tg.currentScope()).toBeNull();
  });

  test('a child moved to another property is named by where it is now', () => {
    class Two extends nn.Module {
      first: tg.nn.Module = new nn.Tanh();
      second: tg.nn.Module = new nn.ReLU();
      forward(x: tg.Tensor) {
        return this.second.forward(this.first.forward(x));
      }
    }
    const m = new Two();
    const x = tg.randn([2], { requiresGrad: true });
    const paths = () =>
      nodesOf(m.forward(x))
        .map((n) => n.scope?.path)
        .filter((p) => p !== '');
    expect(paths().sort()).toEqual(['first', 'second']);
    [m.first, m.second] = [m.second, m.first];
    const y = m.forward(x);
    expect(
      nodesOf(y)
        .map((n) => `${n.op}@${n.scope?.path}`)
        .sort(),
    ).toEqual(['relu@first', 'tanh@second']);
  });

  test('the scope is popped when forward throws', () => {
    const seq = new nn.Sequential(new nn.Linear(3, 4));
    expect(() => seq.forward(tg.ones([2, 5]))).toThrow('linear: input features 5 do not match weight in-features 3');
    expect(tg.currentScope()).toBeNull();
    const y = new nn.Tanh().forward(tg.ones([1], { requiresGrad: true }));
    expect(y.node!.scope!.path).toBe('');
  });
});

describe('loadStateDict refuses values that are not finite numbers, naming the key and the index', () => {
  const model = () => new tg.nn.Linear(2, 2, { rng: tg.rng(1) });
  const entry = (data: unknown[]) => ({ weight: { shape: [2, 2], data: data as number[] }, bias: { shape: [2], data: [0, 0] } });
  test.each([
    ['a string', ['abc', 0, 0, 0], 'entry \'weight\' index 0 is the string "abc", not a number'],
    ['a hex string', [0, '0x10', 0, 0], 'entry \'weight\' index 1 is the string "0x10", not a number'],
    ['null', [0, 0, null, 0], "entry 'weight' index 2 is null, not a number"],
    ['Infinity', [0, 0, 0, Infinity], "entry 'weight' index 3 is Infinity, not a finite number"],
    ['a boolean', [true, 0, 0, 0], "entry 'weight' index 0 is true, not a number"],
  ])('%s', (_label, data, message) => {
    const m = model();
    const before = m.stateDict();
    expect(() => m.loadStateDict(entry(data))).toThrow(`loadStateDict: ${message}`);
    // Nothing was loaded: the model is as it was.
    expect(m.stateDict()).toEqual(before);
  });

  test('nn.load of a file with a garbage entry names the file too', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-nn-'));
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify(entry([1, 2, 'abc', 4])));
    expect(() => tg.nn.load(model(), file)).toThrow(
      `nn.load: ${file}: loadStateDict: entry 'weight' index 2 is the string "abc", not a number`,
    );
    fs.rmSync(dir, { recursive: true });
  });
});
