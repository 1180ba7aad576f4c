/**
 * The recurrent layers, packed sequences and attention beyond PyTorch parity (tests/recurrent-torch):
 * parameter names, shapes and initialisation, hand-checked values, the packed layout, dropout between
 * layers, step scopes in drawings, and every error message.
 */
import * as tg from '../src';
import { parseDot } from './viz-helpers';
import { withComposedCells } from '../src/nn/recurrent';

const { rnn } = tg.nn.utils;
const f64 = (data: tg.NestedArray) => tg.tensor(data, { dtype: 'float64' });

describe('parameters', () => {
  test("LSTM's names, shapes and order are PyTorch's, with _reverse and weight_hr for projSize", () => {
    const m = new tg.nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2, rng: tg.rng(1) });
    expect(m.namedParameters().map(([n, p]) => `${n} ${tg.fmt(p.shape)}`)).toEqual([
      'weight_ih_l0 [16,3]',
      'weight_hh_l0 [16,2]',
      'bias_ih_l0 [16]',
      'bias_hh_l0 [16]',
      'weight_hr_l0 [2,4]',
      'weight_ih_l0_reverse [16,3]',
      'weight_hh_l0_reverse [16,2]',
      'bias_ih_l0_reverse [16]',
      'bias_hh_l0_reverse [16]',
      'weight_hr_l0_reverse [2,4]',
      'weight_ih_l1 [16,4]',
      'weight_hh_l1 [16,2]',
      'bias_ih_l1 [16]',
      'bias_hh_l1 [16]',
      'weight_hr_l1 [2,4]',
      'weight_ih_l1_reverse [16,4]',
      'weight_hh_l1_reverse [16,2]',
      'bias_ih_l1_reverse [16]',
      'bias_hh_l1_reverse [16]',
      'weight_hr_l1_reverse [2,4]',
    ]);
  });

  test('GRU and RNN gates: 3H and H rows; no bias: only weights; cells have no suffix', () => {
    expect(new tg.nn.GRU(2, 5, { bias: false }).namedParameters().map(([n, p]) => `${n} ${tg.fmt(p.shape)}`)).toEqual([
      'weight_ih_l0 [15,2]',
      'weight_hh_l0 [15,5]',
    ]);
    expect(new tg.nn.RNN(2, 5).parameters().map((p) => tg.fmt(p.shape))).toEqual(['[5,2]', '[5,5]', '[5]', '[5]']);
    expect(new tg.nn.LSTMCell(2, 3).namedParameters().map(([n, p]) => `${n} ${tg.fmt(p.shape)}`)).toEqual([
      'weight_ih [12,2]',
      'weight_hh [12,3]',
      'bias_ih [12]',
      'bias_hh [12]',
    ]);
  });

  test('init is U(-1/sqrt(H), 1/sqrt(H)), seeded, in the module dtype', () => {
    const a = new tg.nn.GRU(3, 16, { rng: tg.rng('init'), dtype: 'float64' });
    const b = new tg.nn.GRU(3, 16, { rng: tg.rng('init'), dtype: 'float64' });
    const all = a.parameters().flatMap((p) => Array.from(p.data));
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.24);
    expect(a.parameters()[0].dtype).toBe('float64');
    expect(Array.from(a.parameters()[1].data)).toEqual(Array.from(b.parameters()[1].data));
  });

  test('MultiheadAttention: packed in_proj, or q/k/v_proj_weight when kdim/vdim differ; zero biases', () => {
    const same = new tg.nn.MultiheadAttention(4, 2, { rng: tg.rng(1) });
    expect(same.namedParameters().map(([n, p]) => `${n} ${tg.fmt(p.shape)}`)).toEqual([
      'in_proj_weight [12,4]',
      'in_proj_bias [12]',
      'out_proj.weight [4,4]',
      'out_proj.bias [4]',
    ]);
    expect(Array.from(same.in_proj_bias!.data).every((v) => v === 0)).toBe(true);
    // Xavier-uniform: bound sqrt(6 / (12 + 4)).
    expect(Math.max(...Array.from(same.in_proj_weight!.data).map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 16));
    const cross = new tg.nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5, bias: false });
    expect(cross.namedParameters().map(([n, p]) => `${n} ${tg.fmt(p.shape)}`)).toEqual([
      'q_proj_weight [4,4]',
      'k_proj_weight [4,3]',
      'v_proj_weight [4,5]',
      'out_proj.weight [4,4]',
    ]);
  });

  test("TransformerEncoder holds deep copies named as PyTorch's", () => {
    const layer = new tg.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, rng: tg.rng(3) });
    const enc = new tg.nn.TransformerEncoder(layer, 2);
    const names = enc.namedParameters().map(([n]) => n);
    expect(names.slice(0, 12)).toEqual([
      'layers.0.self_attn.in_proj_weight',
      'layers.0.self_attn.in_proj_bias',
      'layers.0.self_attn.out_proj.weight',
      'layers.0.self_attn.out_proj.bias',
      'layers.0.linear1.weight',
      'layers.0.linear1.bias',
      'layers.0.linear2.weight',
      'layers.0.linear2.bias',
      'layers.0.norm1.weight',
      'layers.0.norm1.bias',
      'layers.0.norm2.weight',
      'layers.0.norm2.bias',
    ]);
    expect(names).toHaveLength(24);
    // Copies: equal values, distinct tensors.
    const [l0, l1] = [enc.layers.get(0), enc.layers.get(1)] as tg.nn.TransformerEncoderLayer[];
    const [p0, p1] = [l0.linear1.weight, l1.linear1.weight];
    expect(p0).not.toBe(p1);
    expect(Array.from(p0.data)).toEqual(Array.from(layer.linear1.weight.data));
    expect(Array.from(p1.data)).toEqual(Array.from(layer.linear1.weight.data));
  });
});

test("toString() is PyTorch's print(model)", () => {
  // Printed by torch 1.13 for the same constructors.
  const lstm = new tg.nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, projSize: 2, dropout: 0.5, bias: false });
  expect(lstm.toString()).toBe('LSTM(3, 4, proj_size=2, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)');
  expect(new tg.nn.GRU(3, 4).toString()).toBe('GRU(3, 4)');
  expect(new tg.nn.RNN(3, 4, { nonlinearity: 'relu' }).toString()).toBe('RNN(3, 4)');
  expect(new tg.nn.LSTMCell(3, 4).toString()).toBe('LSTMCell(3, 4)');
  expect(new tg.nn.RNNCell(3, 4, { nonlinearity: 'relu', bias: false }).toString()).toBe('RNNCell(3, 4, bias=False, nonlinearity=relu)');
  expect(new tg.nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5 }).toString()).toBe(
    ['MultiheadAttention(', '  (out_proj): NonDynamicallyQuantizableLinear(in_features=4, out_features=4, bias=True)', ')'].join('\n'),
  );
  expect(new tg.nn.TransformerEncoder(new tg.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }), 1).toString()).toBe(
    [
      'TransformerEncoder(',
      '  (layers): ModuleList(',
      '    (0): TransformerEncoderLayer(',
      '      (self_attn): MultiheadAttention(',
      '        (out_proj): NonDynamicallyQuantizableLinear(in_features=4, out_features=4, bias=True)',
      '      )',
      '      (linear1): Linear(in_features=4, out_features=8, bias=True)',
      '      (dropout): Dropout(p=0.1, inplace=False)',
      '      (linear2): Linear(in_features=8, out_features=4, bias=True)',
      '      (norm1): LayerNorm((4,), eps=1e-05, elementwise_affine=True)',
      '      (norm2): LayerNorm((4,), eps=1e-05, elementwise_affine=True)',
      '      (dropout1): Dropout(p=0.1, inplace=False)',
      '      (dropout2): Dropout(p=0.1, inplace=False)',
      '    )',
      '  )',
      ')',
    ].join('\n'),
  );
});

describe('values', () => {
  /** A one-unit RNN with hand-set weights: h_t = tanh(w x_t + u h_{t-1} + b). */
  test('RNN by hand: two steps of tanh(0.5 x + 2 h + 0.1)', () => {
    const m = new tg.nn.RNN(1, 1, { dtype: 'float64' });
    m.loadStateDict({
      weight_ih_l0: { shape: [1, 1], data: [0.5] },
      weight_hh_l0: { shape: [1, 1], data: [2] },
      bias_ih_l0: { shape: [1], data: [0.25] },
      bias_hh_l0: { shape: [1], data: [-0.15] },
    });
    const [out, h] = m.forward(f64([[[1]], [[-1]]]));
    const h1 = Math.tanh(0.5 + 0.1);
    const h2 = Math.tanh(-0.5 + 2 * h1 + 0.1);
    expect(out.shape).toEqual([2, 1, 1]);
    expect(out.data[0]).toBeCloseTo(h1, 14);
    expect(out.data[1]).toBeCloseTo(h2, 14);
    expect(h.toArray()).toEqual([[[out.data[1]]]]);
  });

  test('LSTMCell by hand: c = f c + i g, h = o tanh(c)', () => {
    const cell = new tg.nn.LSTMCell(1, 1, { dtype: 'float64', bias: false });
    // Gate pre-activations i, f, g, o are (1, 2, 3, 4) · x with zero state.
    cell.weight_ih.data.set([1, 2, 3, 4]);
    cell.weight_hh.data.set([0, 0, 0, 0]);
    const [h, c] = cell.forward(f64([[0.5]]), [f64([[0]]), f64([[0.2]])]);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const cWant = s(1) * 0.2 + s(0.5) * Math.tanh(1.5);
    expect(c.data[0]).toBeCloseTo(cWant, 14);
    expect(h.data[0]).toBeCloseTo(s(2) * Math.tanh(cWant), 14);
  });

  test('unbatched input gives the batch-of-one result without the batch axis; omitted state is zeros', () => {
    const m = new tg.nn.GRU(2, 3, { numLayers: 2, rng: tg.rng(4), dtype: 'float64' });
    const x = tg.randn([4, 2], { rng: tg.rng(5), dtype: 'float64' });
    const [o1, h1] = m.forward(x);
    const [o2, h2] = m.forward(x.reshape([4, 1, 2]), tg.zeros([2, 1, 3], { dtype: 'float64' }));
    expect(o1.shape).toEqual([4, 3]);
    expect(h1.shape).toEqual([2, 3]);
    expect(Array.from(o1.data)).toEqual(Array.from(o2.data));
    expect(Array.from(h1.data)).toEqual(Array.from(h2.data));
  });

  test('dropout between layers: only while training, seeded, and not after the last layer', () => {
    const make = () => new tg.nn.LSTM(2, 3, { numLayers: 2, dropout: 0.5, rng: tg.rng(6), dtype: 'float64' });
    const x = tg.randn([5, 2, 2], { rng: tg.rng(7), dtype: 'float64' });
    const [a] = make().forward(x);
    const [b] = make().forward(x);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const [c] = make().eval().forward(x);
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    // A one-layer LSTM ignores dropout (PyTorch warns; nothing follows the last layer).
    const one = new tg.nn.LSTM(2, 3, { dropout: 0.5, rng: tg.rng(8) });
    expect(Array.from(one.forward(x)[0].data)).toEqual(Array.from(one.eval().forward(x)[0].data));
  });

  test('a packed batch gives each sequence the output and final state it has alone', () => {
    const m = new tg.nn.LSTM(2, 3, { bidirectional: true, rng: tg.rng(9), dtype: 'float64' });
    const seqs = [3, 5, 1].map((n, i) => tg.randn([n, 2], { rng: tg.rng(`s${i}`), dtype: 'float64' }));
    const [out, [h, c]] = m.forward(rnn.packSequence(seqs));
    const [padded, lengths] = rnn.padPackedSequence(out);
    expect(lengths.dtype).toBe('int32');
    expect(Array.from(lengths.data)).toEqual([3, 5, 1]);
    expect(padded.shape).toEqual([5, 3, 6]);
    seqs.forEach((s, b) => {
      const [alone, [ha, ca]] = m.forward(s);
      const n = s.shape[0];
      const mine = padded.slice([0, b], [n, b + 1]).reshape([n, 6]);
      expect(Array.from(mine.data)).toEqual(Array.from(alone.data).map((v) => expect.closeTo(v, 14)));
      expect(Array.from(h.slice([0, b], [2, b + 1]).data)).toEqual(Array.from(ha.data).map((v) => expect.closeTo(v, 14)));
      expect(Array.from(c.slice([0, b], [2, b + 1]).data)).toEqual(Array.from(ca.data).map((v) => expect.closeTo(v, 14)));
      // Padding past the end is zero.
      if (n < 5) expect(Array.from(padded.slice([n, b], [5, b + 1]).data).every((v) => v === 0)).toBe(true);
    });
  });
});

test('float32 at a larger size agrees with float64 (LSTM, GRU, attention), forward and gradients', () => {
  const x64 = tg.randn([30, 8, 16], { rng: tg.rng('big'), dtype: 'float64' });
  const relErr = (a: tg.Tensor, b: tg.Tensor) => {
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < b.size; i++) {
      worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
      scale = Math.max(scale, Math.abs(b.data[i]));
    }
    return worst / scale;
  };
  const layers: [() => tg.nn.AnyModule, (m: tg.nn.AnyModule, x: tg.Tensor) => tg.Tensor][] = [
    [() => new tg.nn.LSTM(16, 32, { numLayers: 2, bidirectional: true, rng: tg.rng(1) }), (m, x) => m.forward(x)[0]],
    [() => new tg.nn.GRU(16, 32, { rng: tg.rng(2) }), (m, x) => m.forward(x)[0]],
    [() => new tg.nn.MultiheadAttention(16, 4, { rng: tg.rng(3) }), (m, x) => m.forward(x, x, x, { isCausal: true })[0]],
  ];
  for (const [make, run] of layers) {
    const [m32, m64] = [make(), make().double()];
    const x32 = tg.cast(x64, 'float32');
    x32.requiresGrad = true;
    const x = x64.detach();
    x.requiresGrad = true;
    const [y32, y64] = [run(m32, x32), run(m64, x)];
    expect(y32.dtype).toBe('float32');
    expect(relErr(y32, y64)).toBeLessThan(1e-5);
    tg.sum(tg.mul(y32, y32)).backward();
    tg.sum(tg.mul(y64, y64)).backward();
    expect(relErr(x32.grad!, x.grad!)).toBeLessThan(1e-4);
    expect(relErr(m32.parameters()[1].grad!, m64.parameters()[1].grad!)).toBeLessThan(1e-4);
  }
});

describe('packed sequences', () => {
  const seqs = [f64([[1], [2]]), f64([[3], [4], [5]]), f64([[6]])];

  test('packSequence lays rows out step by step, longest first (Note [packed layout])', () => {
    const p = rnn.packSequence(seqs);
    expect(p.data.toArray()).toEqual([[3], [1], [6], [4], [2], [5]]);
    expect(Array.from(p.batchSizes.data)).toEqual([3, 2, 1]);
    expect(p.batchSizes.dtype).toBe('int32');
    expect(Array.from(p.sortedIndices!.data)).toEqual([1, 0, 2]);
    expect(Array.from(p.unsortedIndices!.data)).toEqual([1, 0, 2]);
  });

  test('padSequence pads with paddingValue, time-major or batchFirst', () => {
    expect(rnn.padSequence(seqs, { paddingValue: -1 }).toArray()).toEqual([
      [[1], [3], [6]],
      [[2], [4], [-1]],
      [[-1], [5], [-1]],
    ]);
    expect(rnn.padSequence(seqs, { batchFirst: true }).shape).toEqual([3, 3, 1]);
  });

  test('packPaddedSequence with sorted lengths keeps no indices; padPackedSequence inverts it, to totalLength', () => {
    const x = f64([
      [[1], [2]],
      [[3], [0]],
    ]);
    const p = rnn.packPaddedSequence(x, [2, 1]);
    expect(p.sortedIndices).toBeNull();
    expect(p.data.toArray()).toEqual([[1], [2], [3]]);
    const [back, lengths] = rnn.padPackedSequence(p, { batchFirst: true, paddingValue: 9, totalLength: 3 });
    expect(back.toArray()).toEqual([
      [[1], [3], [9]],
      [[2], [9], [9]],
    ]);
    expect(Array.from(lengths.data)).toEqual([2, 1]);
    const bf = rnn.packPaddedSequence(tg.transpose(x, [1, 0, 2]), tg.tensor([1, 2], { dtype: 'int32' }), {
      batchFirst: true,
      enforceSorted: false,
    });
    // Batch-first [[1, 3], [2, 0]] with lengths [1, 2]: the second sequence sorts first.
    expect(bf.data.toArray()).toEqual([[2], [1], [0]]);
  });

  test('gradients flow from the packed data back to the sequences', () => {
    const a = tg.tensor([1, 2], { dtype: 'float64', requiresGrad: true }).reshape([2, 1]);
    const leafA = a.node ? (a.node.inputs[0] as tg.Tensor) : a;
    const b = tg.tensor([[3]], { dtype: 'float64', requiresGrad: true });
    const p = rnn.packSequence([b, a]);
    tg.sum(tg.mul(p.data, f64([[10], [20], [30]]))).backward();
    expect(Array.from(leafA.grad!.data)).toEqual([10, 30]);
    expect(Array.from(b.grad!.data)).toEqual([20]);
  });

  test('errors name the function and the shapes', () => {
    const x = tg.zeros([3, 2, 1]);
    expect(() => rnn.packPaddedSequence(x, [1, 2])).toThrow(
      /packPaddedSequence: lengths \[1,2\] are not in decreasing order \(pass enforceSorted: false to sort them\)/,
    );
    expect(() => rnn.packPaddedSequence(x, [3])).toThrow(/packPaddedSequence: 1 lengths for a batch of 2 \(input \[3,2,1\]\)/);
    expect(() => rnn.packPaddedSequence(x, [4, 1])).toThrow(/packPaddedSequence: length 4 is outside \[1, 3\] \(input \[3,2,1\]\)/);
    expect(() => rnn.packPaddedSequence(x, [2, 0])).toThrow(/packPaddedSequence: length 0 is outside \[1, 3\]/);
    expect(() => rnn.padSequence([tg.zeros([2, 3]), tg.zeros([2, 4])])).toThrow(
      /padSequence: sequences must share their trailing shape, got \[2,3\], \[2,4\]/,
    );
    expect(() => rnn.padPackedSequence(rnn.packSequence([tg.zeros([3, 1])]), { totalLength: 2 })).toThrow(
      /padPackedSequence: totalLength 2 is less than the longest sequence's 3 steps/,
    );
    expect(() => new rnn.PackedSequence(tg.zeros([4, 2]), tg.tensor([2, 1], { dtype: 'int32' }))).toThrow(
      /PackedSequence: batchSizes add up to 3 rows but data has 4/,
    );
  });
});

describe('attention', () => {
  test('scaledDotProductAttention by hand: equal scores average the values', () => {
    const q = f64([[1, 0]]);
    const k = f64([
      [0, 1],
      [0, -1],
    ]);
    const v = f64([[2], [4]]);
    expect(tg.scaledDotProductAttention(q, k, v).toArray()).toEqual([[3]]);
    // A bool mask is TRUE where attention is allowed here.
    expect(tg.scaledDotProductAttention(q, k, v, { attnMask: tg.tensor([[false, true]]) }).toArray()).toEqual([[4]]);
    // Causal: query 0 sees key 0 only.
    expect(
      tg.scaledDotProductAttention(
        f64([
          [1, 0],
          [0, 1],
        ]),
        k,
        v,
        { isCausal: true },
      ).data[0],
    ).toBe(2);
  });

  test('MultiheadAttention: a bool mask is TRUE where attention is NOT allowed; a float mask is added', () => {
    const m = new tg.nn.MultiheadAttention(2, 1, { rng: tg.rng(1), dtype: 'float64' });
    const x = tg.randn([3, 1, 2], { rng: tg.rng(2), dtype: 'float64' });
    const blocked = tg.tensor([
      [false, true, true],
      [false, false, true],
      [false, false, false],
    ]);
    const additive = f64([
      [0, -Infinity, -Infinity],
      [0, 0, -Infinity],
      [0, 0, 0],
    ]);
    const [a, wa] = m.forward(x, x, x, { attnMask: blocked });
    const [b] = m.forward(x, x, x, { attnMask: additive });
    const [c] = m.forward(x, x, x, { isCausal: true });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).toEqual(Array.from(c.data));
    expect(wa!.shape).toEqual([1, 3, 3]);
    expect(wa!.data[1]).toBe(0);
    expect(wa!.data[0]).toBeCloseTo(1, 15);
    // A key padding mask hides the last key from every query.
    const [, wk] = m.forward(x, x, x, { keyPaddingMask: tg.tensor([[false, false, true]]) });
    expect([2, 5, 8].map((i) => wk!.data[i])).toEqual([0, 0, 0]);
  });

  test('MultiheadAttention: a query row with every key blocked gives NaN, as the softmax formula and PyTorch (1.13 and 2.13) do', () => {
    const m = new tg.nn.MultiheadAttention(2, 1, { rng: tg.rng(1) });
    const x = tg.randn([2, 1, 2], { rng: tg.rng(2) });
    const [out] = m.forward(x, x, x, { keyPaddingMask: tg.tensor([[true, true]]) });
    expect(Array.from(out.data).every(Number.isNaN)).toBe(true);
  });

  test('scaledDotProductAttention: a row with every key blocked gives 0 and no gradient, as PyTorch 2 (Note [blocked rows in scaledDotProductAttention])', () => {
    const r = tg.rng('blocked rows');
    const leafOf = (t: tg.Tensor) => tg.tensor(Float64Array.from(t.data), { shape: t.shape, dtype: 'float64', requiresGrad: true });
    const leaf = (shape: number[]) => leafOf(tg.randn(shape, { rng: r, dtype: 'float64' }));
    const [q, k, v] = [leaf([1, 2, 5]), leaf([1, 3, 5]), leaf([1, 3, 2])];
    const gy = tg.randn([1, 2, 2], { rng: r, dtype: 'float64' });
    // The same query 1, attending only to the keys its mask allows (0 and 2), with nothing else.
    const q1 = leafOf(q.detach().narrow(1, 1, 1));
    const keys = tg.tensor([0, 2], { dtype: 'int32' });
    const [k1, v1] = [leafOf(k.detach().indexSelect(1, keys)), leafOf(v.detach().indexSelect(1, keys))];
    const alone = tg.scaledDotProductAttention(q1, k1, v1);
    alone.backward(gy.narrow(1, 1, 1));
    const masks = [
      tg.tensor([
        [false, false, false],
        [true, false, true],
      ]),
      tg.tensor(
        [
          [-Infinity, -Infinity, -Infinity],
          [0, -Infinity, 0],
        ],
        { dtype: 'float64' },
      ),
    ];
    // \`alone\` has no mask and runs the fused attention (Note [fused attention]); a mask with a blocked
    // row runs the composition: the same mathematics in another order, so equal to rounding.
    const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      expect(a.length).toBe(b.length);
      for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-15 * (1 + Math.abs(b[i])));
    };
    for (const attnMask of masks) {
      for (const t of [q, k, v]) t.grad = null;
      const y = tg.scaledDotProductAttention(q, k, v, { attnMask });
      expect(Array.from(y.data.slice(0, 2))).toEqual([0, 0]);
      same(y.data.slice(2), alone.data);
      y.backward(gy);
      expect(Array.from(q.grad!.data.slice(0, 5))).toEqual([0, 0, 0, 0, 0]);
      same(q.grad!.data.slice(5), q1.grad!.data);
      // Key 1 is blocked for both queries: no gradient; keys 0 and 2 get query 1's.
      expect(Array.from(k.grad!.data.slice(5, 10))).toEqual([0, 0, 0, 0, 0]);
      expect(Array.from(v.grad!.data.slice(2, 4))).toEqual([0, 0]);
      for (const [j, at] of [
        [0, 0],
        [2, 1],
      ]) {
        same(k.grad!.data.slice(5 * j, 5 * j + 5), k1.grad!.data.slice(5 * at, 5 * at + 5));
        same(v.grad!.data.slice(2 * j, 2 * j + 2), v1.grad!.data.slice(2 * at, 2 * at + 2));
      }
    }
  });

  test('needWeights false gives null; averageAttnWeights false gives one map per head', () => {
    const m = new tg.nn.MultiheadAttention(4, 2, { batchFirst: true, rng: tg.rng(1) });
    const x = tg.randn([2, 3, 4], { rng: tg.rng(2) });
    expect(m.forward(x, x, x, { needWeights: false })[1]).toBeNull();
    expect(m.forward(x, x, x, { averageAttnWeights: false })[1]!.shape).toEqual([2, 2, 3, 3]);
    expect(m.forward(x, x, x)[0].shape).toEqual([2, 3, 4]);
  });

  test('errors name the layer and the shapes', () => {
    const q = tg.zeros([2, 3]);
    expect(() => tg.scaledDotProductAttention(q, tg.zeros([4, 2]), tg.zeros([4, 1]))).toThrow(
      /scaledDotProductAttention: q and k must have the same embedding size \(q \[2,3\], k \[4,2\], v \[4,1\]\)/,
    );
    expect(() => tg.scaledDotProductAttention(q, tg.zeros([4, 3]), tg.zeros([5, 1]))).toThrow(
      /scaledDotProductAttention: k and v must have the same number of keys/,
    );
    expect(() => tg.scaledDotProductAttention(q, q, q, { attnMask: tg.zeros([3, 2]) })).toThrow(
      /scaledDotProductAttention: attnMask \[3,2\] does not broadcast to the scores \[2,2\]/,
    );
    expect(() => tg.scaledDotProductAttention(q, q, q, { attnMask: tg.zeros([2, 2]), isCausal: true })).toThrow(
      /scaledDotProductAttention: pass either attnMask or isCausal, not both/,
    );
    expect(() => new tg.nn.MultiheadAttention(6, 4)).toThrow(/MultiheadAttention: embedDim 6 is not divisible by numHeads 4/);
    const m = new tg.nn.MultiheadAttention(4, 2);
    const x = tg.zeros([3, 2, 4]);
    expect(() => m.forward(tg.zeros([3, 2, 5]), x, x)).toThrow(
      /MultiheadAttention: query embedding size 5 does not match embedDim 4 \(query \[3,2,5\], key \[3,2,4\], value \[3,2,4\]\)/,
    );
    expect(() => m.forward(x, x, x, { attnMask: tg.zeros([3, 4]) })).toThrow(
      /MultiheadAttention: attnMask \[3,4\] must be \[3,3\] or \[4,3,3\]/,
    );
    expect(() => m.forward(x, x, x, { keyPaddingMask: tg.zeros([3, 2]) })).toThrow(
      /MultiheadAttention: keyPaddingMask \[3,2\] must be \[2,3\]/,
    );
    expect(() => m.forward(x, tg.zeros([5, 2, 4]), x)).toThrow(/MultiheadAttention: key and value must have the same sequence length/);
    const layer = new tg.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    expect(() => layer.forward(tg.zeros([3, 2, 5]))).toThrow(
      /TransformerEncoderLayer: expected src \[S, N, 4\] \(or unbatched \[S, 4\]\), got \[3,2,5\]/,
    );
  });
});

describe('recurrent errors name the layer and the shapes', () => {
  test.each([
    [() => new tg.nn.LSTM(8, 4).forward(tg.zeros([5, 3, 10])), /LSTM: input size 10 does not match inputSize 8 \(input \[5,3,10\]\)/],
    [() => new tg.nn.GRU(8, 4).forward(tg.zeros([5])), /GRU: expected input of 2 \(unbatched\) or 3 dimensions, got \[5\]/],
    [
      () => new tg.nn.RNN(2, 4, { numLayers: 2 }).forward(tg.zeros([5, 3, 2]), tg.zeros([1, 3, 4])),
      /RNN: expected hx of shape \[2,3,4\], got \[1,3,4\] \(input \[5,3,2\]\)/,
    ],
    [
      () => new tg.nn.LSTM(2, 4, { projSize: 3 }).forward(tg.zeros([5, 3, 2]), [tg.zeros([1, 3, 4]), tg.zeros([1, 3, 4])]),
      /LSTM: expected h0 of shape \[1,3,3\], got \[1,3,4\] \(input \[5,3,2\]\)/,
    ],
    [
      () => new tg.nn.LSTM(2, 4).forward(tg.zeros([5, 3, 2]), [tg.zeros([1, 3, 4]), tg.zeros([1, 2, 4])]),
      /LSTM: expected c0 of shape \[1,3,4\], got \[1,2,4\]/,
    ],
    [() => new tg.nn.LSTM(2, 4, { projSize: 4 }), /LSTM: projSize 4 must be smaller than hiddenSize 4/],
    [() => new tg.nn.RNN(2, 4, { nonlinearity: 'sigmoid' as 'tanh' }), /RNN: unknown nonlinearity 'sigmoid' \(use 'tanh' or 'relu'\)/],
    [() => new tg.nn.GRU(2, 0), /GRU: hiddenSize must be an integer >= 1, got 0/],
    [() => new tg.nn.LSTM(2, 3, { dropout: 1.5 }), /LSTM: dropout must be in \[0,1\], got 1.5/],
    [() => new tg.nn.LSTMCell(3, 2).forward(tg.zeros([4, 2])), /LSTMCell: input size 2 does not match inputSize 3 \(input \[4,2\]\)/],
    [
      () => new tg.nn.GRUCell(3, 2).forward(tg.zeros([4, 3]), tg.zeros([4, 3])),
      /GRUCell: expected hx of shape \[4,2\], got \[4,3\] \(input \[4,3\]\)/,
    ],
    [
      () => new tg.nn.RNNCell(3, 2).forward(tg.zeros([1, 4, 3])),
      /RNNCell: expected input of 1 \(unbatched\) or 2 dimensions, got \[1,4,3\]/,
    ],
    [() => new tg.nn.LSTM(3, 2).forward(tg.zeros([0, 2, 3])), /LSTM: input has no time steps \(input \[0,2,3\]\)/],
  ])('%#', (fn, message) => {
    expect(fn).toThrow(message);
  });
});

describe('drawings', () => {
  test('an LSTM over 20 steps, its cells composed, draws as one box per step with collapse 1 (Note [step scopes])', () => {
    const m = new tg.nn.LSTM(3, 4, { rng: tg.rng(1) });
    const x = tg.randn([20, 2, 3], { rng: tg.rng(2) });
    const [out] = withComposedCells(() => m.forward(x));
    const full = parseDot(tg.viz.toDot(out));
    const { nodes, clusters } = parseDot(tg.viz.toDot(out, { collapse: 1 }));
    const steps = nodes.filter((n) => /LSTM step/.test(String(n.attributes.get('label'))));
    expect(steps).toHaveLength(20);
    // The step rows of the hoisted projection (Note [step rows]) are one more box.
    expect(nodes.filter((n) => /LSTM rows/.test(String(n.attributes.get('label'))))).toHaveLength(1);
    // Uncollapsed, every step draws its ops (over 10 each).
    expect(full.nodes.length).toBeGreaterThan(20 * 10);
    // Each step box, its rows of the projection, the h and c it hands to the next, and around them
    // fewer than 20 nodes: the input, the parameters, the hoisted projection, the joined output.
    expect(nodes.length).toBeLessThan(4 * 20 + 20);
    expect(clusters).toHaveLength(1);
  });

  test('an LSTM draws one lstmSequence node per layer and direction (Note [sequence path])', () => {
    const m = new tg.nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, rng: tg.rng(1) });
    const x = tg.randn([20, 2, 3], { rng: tg.rng(2) });
    const [out] = m.forward(x);
    const ops = tg.viz.viewGraph([out]).ops.map((o) => o.op);
    expect(ops.filter((o) => o === 'lstmSequence')).toHaveLength(4);
    expect(ops.filter((o) => o === 'lstmCell')).toHaveLength(0);
    const { nodes } = parseDot(tg.viz.toDot(out, { collapse: 1 }));
    expect(nodes.filter((n) => /LSTM sequence/.test(String(n.attributes.get('label'))))).toHaveLength(4);
    expect(nodes.filter((n) => /LSTM step/.test(String(n.attributes.get('label'))))).toHaveLength(0);
  });
});

test('TransformerEncoder copies a converted layer in its dtype, and takes dtype itself', () => {
  const layer = new tg.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, rng: tg.rng(1) }).double();
  const enc = new tg.nn.TransformerEncoder(layer, 2);
  expect(enc.parameters().every((p) => p.dtype === 'float64')).toBe(true);
  expect(Array.from((enc.layers.get(1) as tg.nn.TransformerEncoderLayer).linear2.weight.data)).toEqual(
    Array.from(layer.linear2.weight.data),
  );
  const f32 = new tg.nn.TransformerEncoder(layer, 1, { dtype: 'float32' });
  expect(f32.parameters().every((p) => p.dtype === 'float32')).toBe(true);
});

test('attention dropout: seeded by rng in scaledDotProductAttention; only while training in MultiheadAttention', () => {
  const q = tg.randn([2, 3, 4], { rng: tg.rng(1) });
  const a = tg.scaledDotProductAttention(q, q, q, { dropoutP: 0.5, rng: tg.rng('d') });
  const b = tg.scaledDotProductAttention(q, q, q, { dropoutP: 0.5, rng: tg.rng('d') });
  const none = tg.scaledDotProductAttention(q, q, q);
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
  expect(Array.from(a.data)).not.toEqual(Array.from(none.data));
  expect(() => tg.scaledDotProductAttention(q, q, q, { dropoutP: 2 })).toThrow(
    /scaledDotProductAttention: dropoutP must be in \[0,1\], got 2/,
  );
  const m = new tg.nn.MultiheadAttention(4, 2, { dropout: 0.5, rng: tg.rng(2) });
  const x = tg.randn([3, 2, 4], { rng: tg.rng(3) });
  const [, wTrain] = m.forward(x, x, x, { averageAttnWeights: false });
  // Inverted dropout: kept weights are scaled by 2, dropped ones are 0.
  expect(Array.from(wTrain!.data).some((v) => v === 0)).toBe(true);
  const [, wEval] = m.eval().forward(x, x, x, { averageAttnWeights: false });
  const rowSums = Array.from({ length: wEval!.size / 3 }, (_, i) => wEval!.data[3 * i] + wEval!.data[3 * i + 1] + wEval!.data[3 * i + 2]);
  expect(rowSums.map((s) => Math.round(s * 1e5) / 1e5)).toEqual(rowSums.map(() => 1));
});
