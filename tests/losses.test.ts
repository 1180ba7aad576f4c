/**
 * The losses of SPEC §15 against PyTorch in float64 (values and gradients of every differentiable
 * input, every option and reduction), through the functions and the nn modules; hand values; the
 * old target forms; stability; and errors.
 */
import * as tg from '../src';
import { decodeTensor, encodeTensor, runTorch, TensorJson } from './torch-harness';

const { nn } = tg;
const r = tg.rng('losses');
const randn = (shape: number[], scale = 1) => tg.randn(shape, { rng: r, dtype: 'float64' }).mul(scale);
const probs = (shape: number[]) => tg.sigmoid(randn(shape, 1.5));
const softProbs = (shape: number[]) => tg.softmax(randn(shape), 1);
const ints = (values: number[], shape?: number[]) => tg.tensor(values, { shape: shape ?? [values.length], dtype: 'float64' });
const values = (t: tg.Tensor) => Array.from(t.data);

interface Case {
  name: string;
  /** The inputs; those listed in `grad` get gradients. Integer targets are sent to PyTorch as int64. */
  inputs: tg.Tensor[];
  grad: number[];
  ints?: number[];
  ours: (...xs: tg.Tensor[]) => tg.Tensor;
  /** A PyTorch expression of x[0], x[1], … (F is torch.nn.functional, nn torch.nn). */
  torch: string;
}

const w4 = () => ints([0.5, 2, 1, 1.5]);
const targets5 = () => ints([3, 0, -100, 1, 3]);

const cases: Case[] = [
  ...(['mean', 'sum', 'none'] as const).flatMap((reduction): Case[] => [
    {
      name: `crossEntropy weight ignoreIndex labelSmoothing ${reduction}`,
      inputs: [randn([5, 4], 2), targets5(), w4()],
      grad: [0],
      ints: [1],
      ours: (x, t, w) => tg.crossEntropy(x, t, { weight: w, labelSmoothing: 0.2, reduction }),
      torch: `F.cross_entropy(x[0], x[1], weight=x[2], label_smoothing=0.2, reduction='${reduction}')`,
    },
    {
      name: `crossEntropy module, probabilities ${reduction}`,
      inputs: [randn([3, 4]), softProbs([3, 4]), w4()],
      grad: [0, 1],
      ours: (x, t, w) => new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.3, reduction }).forward(x, t),
      torch: `nn.CrossEntropyLoss(weight=x[2], label_smoothing=0.3, reduction='${reduction}')(x[0], x[1])`,
    },
    {
      name: `nllLoss [N,C,d] weight ignoreIndex=1 ${reduction}`,
      inputs: [tg.logSoftmax(randn([2, 4, 3]), 1), ints([0, 1, 3, 2, 2, 1], [2, 3]), w4()],
      grad: [0],
      ints: [1],
      ours: (x, t, w) => new nn.NLLLoss({ weight: w, ignoreIndex: 1, reduction }).forward(x, t),
      torch: `nn.NLLLoss(weight=x[2], ignore_index=1, reduction='${reduction}')(x[0], x[1])`,
    },
    {
      name: `bceLoss weight ${reduction}`,
      inputs: [probs([3, 4]), probs([3, 4]), ints([1, 2, 0.5, 3])],
      grad: [0, 1],
      ours: (p, t, w) => new nn.BCELoss({ weight: w, reduction }).forward(p, t),
      torch: `nn.BCELoss(weight=x[2], reduction='${reduction}')(x[0], x[1])`,
    },
    {
      name: `bceWithLogits weight posWeight ${reduction}`,
      inputs: [randn([3, 4], 4), probs([3, 4]), ints([1, 2, 0.5, 3]), ints([0.5, 3, 1, 2])],
      grad: [0, 1],
      ours: (x, t, w, pw) => new nn.BCEWithLogitsLoss({ weight: w, posWeight: pw, reduction }).forward(x, t),
      torch: `nn.BCEWithLogitsLoss(weight=x[2], pos_weight=x[3], reduction='${reduction}')(x[0], x[1])`,
    },
    {
      name: `l1Loss ${reduction}`,
      inputs: [randn([3, 4]), randn([3, 4])],
      grad: [0, 1],
      ours: (p, t) => new nn.L1Loss({ reduction }).forward(p, t),
      torch: `F.l1_loss(x[0], x[1], reduction='${reduction}')`,
    },
    {
      name: `mseLoss module ${reduction}`,
      inputs: [randn([3, 4]), randn([3, 4])],
      grad: [0, 1],
      ours: (p, t) => new nn.MSELoss({ reduction }).forward(p, t),
      torch: `F.mse_loss(x[0], x[1], reduction='${reduction}')`,
    },
    {
      name: `cosineEmbeddingLoss ${reduction}`,
      inputs: [randn([4, 3]), randn([4, 3]), ints([1, -1, -1, 1])],
      grad: [0, 1],
      ints: [2],
      ours: (a, b, y) => new nn.CosineEmbeddingLoss({ margin: -0.2, reduction }).forward(a, b, y),
      torch: `F.cosine_embedding_loss(x[0], x[1], x[2], margin=-0.2, reduction='${reduction}')`,
    },
    {
      name: `marginRankingLoss ${reduction}`,
      inputs: [randn([6]), randn([6]), ints([1, -1, 1, 1, -1, -1])],
      grad: [0, 1],
      ours: (a, b, y) => new nn.MarginRankingLoss({ margin: 0.3, reduction }).forward(a, b, y),
      torch: `F.margin_ranking_loss(x[0], x[1], x[2], margin=0.3, reduction='${reduction}')`,
    },
    {
      name: `tripletMarginLoss ${reduction}`,
      inputs: [randn([4, 3]), randn([4, 3]), randn([4, 3])],
      grad: [0, 1, 2],
      ours: (a, p, n) => new nn.TripletMarginLoss({ margin: 1.5, reduction }).forward(a, p, n),
      torch: `F.triplet_margin_loss(x[0], x[1], x[2], margin=1.5, reduction='${reduction}')`,
    },
  ]),
  {
    name: 'crossEntropy [N,C,d1,d2] class targets, ignoreIndex, smoothing, no weight',
    inputs: [randn([2, 3, 2, 2]), ints([0, 1, 2, 1, 2, 2, 0, 1], [2, 2, 2])],
    grad: [0],
    ints: [1],
    ours: (x, t) => tg.crossEntropy(x, t, { ignoreIndex: 2, labelSmoothing: 0.1 }),
    torch: 'F.cross_entropy(x[0], x[1], ignore_index=2, label_smoothing=0.1)',
  },
  {
    name: 'crossEntropy unbatched [C]',
    inputs: [randn([5]), tg.tensor(3, { dtype: 'float64' })],
    grad: [0],
    ints: [1],
    ours: (x, t) => tg.crossEntropy(x, t),
    torch: 'F.cross_entropy(x[0], x[1])',
  },
  {
    name: 'crossEntropy [N,C,d] probabilities with smoothing',
    inputs: [randn([2, 3, 4]), softProbs([2, 3, 4])],
    grad: [0, 1],
    ours: (x, t) => tg.crossEntropy(x, t, { labelSmoothing: 0.25 }),
    torch: 'F.cross_entropy(x[0], x[1], label_smoothing=0.25)',
  },
  ...[0.5, 1, 0].map((beta): Case => ({
    name: `smoothL1Loss beta=${beta}`,
    inputs: [randn([3, 4], 2), randn([3, 4])],
    grad: [0, 1],
    ours: (p, t) => new nn.SmoothL1Loss({ beta }).forward(p, t),
    torch: `F.smooth_l1_loss(x[0], x[1], beta=${beta})`,
  })),
  ...[0.5, 1, 2].map((delta): Case => ({
    name: `huberLoss delta=${delta}`,
    inputs: [randn([3, 4], 2), randn([3, 4])],
    grad: [0, 1],
    ours: (p, t) => new nn.HuberLoss({ delta, reduction: 'sum' }).forward(p, t),
    torch: `F.huber_loss(x[0], x[1], delta=${delta}, reduction='sum')`,
  })),
  ...(['mean', 'batchmean', 'sum', 'none'] as const).flatMap((reduction): Case[] => [
    {
      name: `klDiv ${reduction} (a zero in the target)`,
      inputs: [
        tg.logSoftmax(randn([3, 4]), 1),
        tg.tensor([0.1, 0.2, 0.3, 0.4, 0, 0.5, 0.25, 0.25, 1, 0, 0, 0], { shape: [3, 4], dtype: 'float64' }),
      ],
      grad: [0],
      ours: (x, t) => new nn.KLDivLoss({ reduction }).forward(x, t),
      torch: `F.kl_div(x[0], x[1], reduction='${reduction}')`,
    },
    {
      name: `klDiv logTarget ${reduction}`,
      inputs: [tg.logSoftmax(randn([3, 4]), 1), tg.logSoftmax(randn([3, 4]), 1)],
      grad: [0, 1],
      ours: (x, t) => tg.klDiv(x, t, { logTarget: true, reduction }),
      torch: `F.kl_div(x[0], x[1], reduction='${reduction}', log_target=True)`,
    },
  ]),
  {
    name: 'cosineSimilarity broadcast, axis -1',
    inputs: [randn([2, 3, 4]), randn([3, 4])],
    grad: [0, 1],
    ours: (a, b) => new nn.CosineSimilarity({ axis: -1 }).forward(a, b),
    torch: 'F.cosine_similarity(x[0], x[1], dim=-1)',
  },
  {
    name: 'cosineSimilarity axis 1',
    inputs: [randn([4, 5]), randn([4, 5])],
    grad: [0, 1],
    ours: (a, b) => tg.cosineSimilarity(a, b),
    torch: 'F.cosine_similarity(x[0], x[1])',
  },
  ...[
    { p: 1, swap: true, eps: 1e-6 },
    { p: 3, swap: false, eps: 1e-3 },
    { p: 2, swap: true, eps: 0 },
  ].map((o): Case => ({
    name: `tripletMarginLoss p=${o.p} swap=${o.swap} eps=${o.eps}`,
    inputs: [randn([4, 3]), randn([4, 3]), randn([4, 3])],
    grad: [0, 1, 2],
    ours: (a, p, n) => tg.tripletMarginLoss(a, p, n, { ...o, margin: 2 }),
    torch: `F.triplet_margin_loss(x[0], x[1], x[2], margin=2.0, p=${o.p}, eps=${o.eps}, swap=${o.swap ? 'True' : 'False'})`,
  })),
  {
    name: 'bceWithLogits at ±1e4 (stable)',
    inputs: [tg.tensor([1e4, -1e4, 1e4, -1e4, 0, 30], { dtype: 'float64' }), tg.tensor([1, 0, 0, 1, 0.5, 0.2], { dtype: 'float64' })],
    grad: [0, 1],
    ours: (x, t) => tg.bceWithLogits(x, t, { reduction: 'none' }),
    torch: "F.binary_cross_entropy_with_logits(x[0], x[1], reduction='none')",
  },
  {
    name: 'bceLoss log clamped at -100 (p = 0 and 1)',
    inputs: [tg.tensor([0, 1, 0.5], { dtype: 'float64' }), tg.tensor([1, 0, 1], { dtype: 'float64' })],
    grad: [],
    ours: (p, t) => tg.bceLoss(p, t, { reduction: 'none' }),
    torch: "F.binary_cross_entropy(x[0], x[1], reduction='none')",
  },
];

describe('equal to PyTorch (float64): values and gradients', () => {
  let reference: { y: TensorJson; grads: (TensorJson | null)[] }[];

  beforeAll(() => {
    reference = runTorch(
      `
import torch.nn as nn
import torch.nn.functional as F
out = []
for c in job['cases']:
    x = []
    for k, j in enumerate(c['inputs']):
        t = tensor_from(j)
        if k in c['ints']:
            t = t.long()
        elif k in c['grad']:
            t.requires_grad_(True)
        x.append(t)
    y = eval(c['torch'])
    g = tensor_from(c['g'])
    grads = [None] * len(x)
    if c['grad']:
        gs = torch.autograd.grad((y * g).sum(), [x[k] for k in c['grad']])
        for k, gk in zip(c['grad'], gs):
            grads[k] = gk
    out.append({'y': y, 'grads': grads})
emit(out)`,
      {
        cases: cases.map((c) => {
          const y = c.ours(...c.inputs);
          return {
            torch: c.torch,
            inputs: c.inputs.map(encodeTensor),
            grad: c.grad,
            ints: c.ints ?? [],
            g: encodeTensor(tg.randn([...y.shape], { rng: tg.rng(`g ${c.name}`), dtype: 'float64' })),
          };
        }),
      },
    );
  });

  test.each(cases.map((c, k) => [c.name, c, k] as const))('%s', (name, c, k) => {
    const xs = c.inputs.map((x, i) =>
      c.grad.includes(i) ? tg.tensor(x.data, { shape: x.shape, dtype: 'float64', requiresGrad: true }) : x,
    );
    const y = c.ours(...xs);
    const g = tg.randn([...y.shape], { rng: tg.rng(`g ${c.name}`), dtype: 'float64' });
    const close = (what: string, a: tg.Tensor, b: TensorJson) => {
      const want = decodeTensor(b);
      expect(a.shape).toEqual(want.shape);
      for (let i = 0; i < a.size; i++) {
        const e = want.data[i];
        if (!(Math.abs(a.data[i] - e) <= 1e-12 + 1e-10 * Math.abs(e))) throw new Error(`${name} ${what}[${i}]: ${a.data[i]}, PyTorch ${e}`);
      }
    };
    close('value', y, reference[k].y);
    if (c.grad.length === 0) return;
    const grads = tg.grad(
      tg.sum(tg.mul(y, g)),
      c.grad.map((i) => xs[i]),
    );
    c.grad.forEach((i, j) => close(`gradient of input ${i}`, grads[j]!, reference[k].grads[i]!));
  });
});

describe('hand values and target forms', () => {
  test('crossEntropy: number[], Int32Array and tensors of class indices all work', () => {
    const x = tg.tensor([
      [0, 0],
      [0, 0],
    ]);
    for (const t of [[0, 1], Int32Array.from([0, 1]), tg.tensor([0, 1]), tg.tensor([0, 1], { dtype: 'int32' })]) {
      expect(tg.crossEntropy(x, t).item()).toBeCloseTo(Math.LN2, 6);
    }
    expect(tg.nllLoss(tg.tensor([[-1, -2, -3]]), tg.tensor([[2]], { dtype: 'int32' }).reshape([1])).item()).toBe(3);
    // Weighted mean: (1·ln2 + 3·ln2) / (1 + 3).
    expect(tg.crossEntropy(x, [0, 1], { weight: tg.tensor([1, 3]) }).item()).toBeCloseTo(Math.LN2, 6);
    expect(tg.crossEntropy(x, [0, 1], { weight: tg.tensor([1, 3]), reduction: 'sum' }).item()).toBeCloseTo(4 * Math.LN2, 6);
    // Every target ignored: 0/0, as PyTorch.
    expect(tg.crossEntropy(x, [-100, -100]).item()).toBeNaN();
  });

  test('klDiv batchmean is the sum over the batch size', () => {
    const x = tg.log(tg.tensor([[0.5, 0.5]], { dtype: 'float64' }));
    expect(tg.klDiv(x, tg.tensor([[1, 0]], { dtype: 'float64' }), { reduction: 'batchmean' }).item()).toBeCloseTo(Math.LN2, 15);
  });

  test('modules hold class weights and posWeight as buffers, converted by to()', () => {
    const ce = new nn.CrossEntropyLoss({ weight: tg.tensor([1, 2]) });
    expect(ce.namedBuffers().map(([k]) => k)).toEqual(['weight']);
    expect(ce.double().weight!.dtype).toBe('float64');
    const w = tg.tensor([1, 2]);
    expect(new nn.NLLLoss({ weight: w, dtype: 'float64' }).weight!.dtype).toBe('float64');
    expect(w.dtype).toBe('float32');
    expect(new nn.BCEWithLogitsLoss({ posWeight: tg.tensor([2]) }).namedBuffers().map(([k]) => k)).toEqual(['pos_weight']);
    expect(new nn.CrossEntropyLoss().toString()).toBe('CrossEntropyLoss()');
    expect(new nn.CosineSimilarity().toString()).toBe('CosineSimilarity()');
  });
});

describe('errors name the op and the shapes', () => {
  test('targets out of range throw, ignoreIndex excepted', () => {
    expect(() => tg.crossEntropy(tg.zeros([2, 3]), [0, 3])).toThrow(
      'crossEntropy: target 3 of row 1 is not a class index in [0,3) (input [2,3])',
    );
    expect(() => tg.crossEntropy(tg.zeros([2, 3]), [0, 5], { ignoreIndex: 5 })).not.toThrow();
    expect(() => tg.nllLoss(tg.zeros([1, 3, 2]), tg.tensor([[0, 7]]))).toThrow(
      'nllLoss: target 7 at position 1 is not a class index in [0,3) (input [1,3,2])',
    );
    expect(() => tg.crossEntropy(tg.zeros([2, 3, 4]), tg.zeros([2, 3]))).toThrow(
      'crossEntropy: target [2,3] does not match input [2,3,4] (expected target [2,4])',
    );
    expect(() => tg.crossEntropy(tg.zeros([2, 3]), [0, 1], { weight: tg.ones([2]) })).toThrow(
      'crossEntropy: weight [2] must have one entry per class [3] (input [2,3])',
    );
    expect(() => tg.crossEntropy(tg.zeros([2, 3]), [0, 1], { labelSmoothing: 2 })).toThrow(
      'crossEntropy: labelSmoothing must be in [0,1], got 2',
    );
  });

  test('bad inputs of the other losses', () => {
    expect(() => tg.bceLoss(tg.tensor([1.5]), tg.tensor([1]))).toThrow(
      'bceLoss: input value 1.5 at position 0 is not a probability in [0,1] (input [1])',
    );
    expect(() => tg.bceWithLogits(tg.zeros([2, 3]), tg.zeros([2, 3]), { posWeight: tg.ones([2]) })).toThrow(
      'bceWithLogits: posWeight [2] must have 1 or 3 (the last axis) entries (input [2,3])',
    );
    expect(() => tg.l1Loss(tg.zeros([2]), tg.zeros([3]))).toThrow('l1Loss: input [2] and target [3] must have the same shape');
    expect(() => tg.klDiv(tg.zeros([2]), tg.zeros([2]), { reduction: 'avg' as 'mean' })).toThrow(
      "klDiv: unknown reduction 'avg' (use 'mean', 'batchmean', 'sum' or 'none')",
    );
    expect(() => tg.cosineEmbeddingLoss(tg.zeros([2, 3]), tg.zeros([2, 3]), tg.tensor([1, 0]))).toThrow(
      'cosineEmbeddingLoss: target value 0 at position 1 is not 1 or -1 (input [2,3])',
    );
    expect(() => tg.tripletMarginLoss(tg.zeros([2, 3]), tg.zeros([2, 3]), tg.zeros([2, 4]))).toThrow(
      'tripletMarginLoss: anchor [2,3], positive [2,3] and negative [2,4] must be the same shape, [N,D] or [D]',
    );
    expect(() => tg.huberLoss(tg.zeros([2]), tg.zeros([2]), { delta: 0 })).toThrow('huberLoss: delta must be positive, got 0 (input [2])');
  });
});

test('float32: the losses keep the input dtype and agree with float64', () => {
  const x = tg.randn([256, 10], { rng: tg.rng('ce f32') }).mul(5);
  const t = Array.from({ length: 256 }, (_, i) => i % 10);
  const a = tg.crossEntropy(x, t, { labelSmoothing: 0.1 });
  const b = tg.crossEntropy(x.cast('float64'), t, { labelSmoothing: 0.1 });
  expect(a.dtype).toBe('float32');
  expect(Math.abs(a.item() - b.item())).toBeLessThan(1e-5);
  expect(values(tg.bceWithLogits(tg.tensor([1e4, -1e4]), tg.tensor([1, 0]), { reduction: 'none' }))).toEqual([0, 0]);
});
