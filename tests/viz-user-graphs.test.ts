/**
 * A user's own graph reads like the gallery's (issue #32): composite ops drawn as one node named as
 * called and expandable (Note [composite scopes]), names that survive internal reshapes, element and
 * product names in expanded graphs, state-dict names for parameters, and tooltips in words
 * (Note [names in drawings] in src/viz/dot.ts).
 */
import { fromDot } from 'ts-graphviz';
import * as tg from '../src';
import { labelOf, parseDot } from './viz-helpers';

const text = (label: string) =>
  label
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
const labels = (dot: string) => parseDot(dot).nodes.map((n) => text(labelOf(n)));
const tooltips = (dot: string) => parseDot(dot).nodes.map((n) => String(n.attributes.get('tooltip')));

function conv1dLoss() {
  const x = tg.randn([1, 2, 8], { rng: tg.rng(1), requiresGrad: true, name: 'x' });
  const w = tg.randn([3, 2, 3], { rng: tg.rng(2), requiresGrad: true, name: 'w' });
  return tg.crossEntropy(tg.conv1d(x, w, null, { padding: 1 }).reshape([1, 24]), [2]);
}

describe('composite ops are one node, named as the user called them', () => {
  test('conv1d and crossEntropy: one node each, with numbered argument edges; none of their inner ops or constants', () => {
    const dot = tg.viz.toDot(conv1dLoss());
    const ls = labels(dot);
    expect(ls).toEqual(expect.arrayContaining(['conv1d padding=1', 'crossEntropy', 'x [1,2,8] float32', 'w [3,2,3] float32']));
    expect(ls.filter((l) => /^(conv2d|logSoftmax|exp|log|max|sum|neg|sub|mul)\b/.test(l))).toEqual([]);
    // The reshape the user wrote stays; the ones inside conv1d do not.
    expect(ls.filter((l) => l.startsWith('reshape'))).toEqual(['reshape [1,24]']);
    const { nodes, edges } = parseDot(dot);
    const idOf = (label: string) => nodes.find((n) => text(labelOf(n)) === label)!.id;
    const into = (id: string) => edges.filter((e) => (e.targets[1] as { id: string }).id === id);
    const conv = idOf('conv1d padding=1');
    expect(into(conv).map((e) => [(e.targets[0] as { id: string }).id, e.attributes.get('label')])).toEqual([
      [idOf('x [1,2,8] float32'), '0'],
      [idOf('w [3,2,3] float32'), '1'],
    ]);
    // x, w, conv1d, its output, the user's reshape and its output, crossEntropy, the loss.
    expect(nodes).toHaveLength(8);
  });

  test('expand: true draws every composite as its ops in a cluster named after it; a list expands only those', () => {
    const all = tg.viz.toDot(conv1dLoss(), { expand: true });
    const clusters = parseDot(all).clusters.map((c) => text(c.label));
    // crossEntropy's logSoftmax is a composite too, nested in its cluster, holding the fused
    // primitive (Note [fused softmax]).
    expect(clusters).toEqual(['conv1d padding=1', 'crossEntropy', 'logSoftmax']);
    expect(labels(all)).toEqual(expect.arrayContaining(['conv2d pad=[0,1]', 'logSoftmax axis=1']));
    const one = tg.viz.toDot(conv1dLoss(), { expand: ['conv1d'] });
    expect(parseDot(one).clusters.map((c) => text(c.label))).toEqual(['conv1d padding=1']);
    expect(labels(one)).toContain('crossEntropy');
    // The arguments of an expanded composite stay outside its cluster: they are its inputs.
    const conv1dCluster = parseDot(one).clusters[0];
    expect(conv1dCluster.nodes.map((id) => text(labelOf(parseDot(one).nodes.find((n) => n.id === id)!)))).not.toContain(
      'x [1,2,8] float32',
    );
  });

  test('batch norm in a module is one node inside the module’s cluster; the module’s parameters carry state-dict names', () => {
    const model = new tg.nn.Sequential(new tg.nn.Linear(4, 3, { rng: tg.rng(3) }), new tg.nn.BatchNorm1d(3));
    model.eval();
    const dot = tg.viz.toDot(model.forward(tg.randn([2, 4], { rng: tg.rng(4) })));
    const ls = labels(dot);
    expect(ls).toEqual(
      expect.arrayContaining([
        'batchNorm eval',
        '0.weight [3,4] float32',
        '0.bias [3] float32',
        '1.weight [3] float32',
        '1.bias [3] float32',
      ]),
    );
    const bn = parseDot(dot).clusters.find((c) => text(c.label) === '1: BatchNorm1d')!;
    expect(bn.nodes.map((id) => text(labelOf(parseDot(dot).nodes.find((n) => n.id === id)!)))).toContain('batchNorm eval');
  });

  /** Labels of the nodes drawn, and the clusters' labels, of a drawing. */
  const drawing = (dot: string) => ({ labels: labels(dot), clusters: parseDot(dot).clusters.map((c) => text(c.label)) });
  const opLabels = (dot: string) =>
    parseDot(dot)
      .nodes.filter((n) => /^op\d+$/.test(n.id))
      .map((n) => text(labelOf(n)));

  test('linear, softmax, logSoftmax and mseLoss: one node each, their ops only when expanded', () => {
    const x = tg.tensor([[1, 2, 3]], { name: 'x' });
    const w = tg.tensor(
      [
        [1, 0, -1],
        [0, 1, 1],
      ],
      { requiresGrad: true, name: 'w' },
    );
    const b = tg.tensor([0.5, -0.5], { requiresGrad: true, name: 'b' });
    const loss = tg.mseLoss(tg.softmax(tg.linear(x, w, b), 0).logSoftmax(), tg.zeros([1, 2]), { reduction: 'sum' });
    const folded = tg.viz.toDot(loss);
    expect(drawing(folded).labels).toEqual(
      expect.arrayContaining(['linear', 'softmax axis=0', 'logSoftmax', 'mseLoss reduction=sum', 'x [1,3] float32', 'w [2,3] float32']),
    );
    expect(opLabels(folded)).toEqual([]);
    // Edges into the linear node are numbered by its own arguments: x 0, w 1, b 2.
    const { nodes, edges } = parseDot(folded);
    const id = (label: string) => nodes.find((n) => text(labelOf(n)) === label)!.id;
    const into = edges.filter((e) => (e.targets[1] as { id: string }).id === id('linear'));
    expect(into.map((e) => [(e.targets[0] as { id: string }).id, e.attributes.get('label')])).toEqual([
      [id('x [1,3] float32'), '0'],
      [id('w [2,3] float32'), '1'],
      [id('b [2] float32'), '2'],
    ]);
    const expanded = tg.viz.toDot(loss, { expand: ['linear', 'mseLoss'] });
    expect(drawing(expanded).clusters).toEqual(['linear', 'mseLoss reduction=sum']);
    // The bias is the product's third input (Note [product epilogue] in src/ops/matmul.ts): no add.
    expect(opLabels(expanded).sort()).toEqual(['matmul transB + addend', 'mul', 'sub', 'sum axes=[0,1]']);
    // softmax is one fused primitive inside its composite (Note [fused softmax]): expanding it shows that one op.
    expect(opLabels(tg.viz.toDot(loss, { expand: ['softmax'] }))).toEqual(['softmax axis=0']);
  });

  test('LSTMCell and GRUCell steps are one lstmCell / gruCell node inside the module’s cluster, with state-dict names', () => {
    const cell = new tg.nn.LSTMCell(2, 3, { rng: tg.rng(1) });
    const x = tg.randn([1, 2], { rng: tg.rng(2), name: 'x' });
    const [h] = cell.forward(x);
    const dot = tg.viz.toDot(h);
    expect(drawing(dot).labels).toEqual(
      expect.arrayContaining([
        'lstmCell',
        'weight_ih [12,2] float32',
        'weight_hh [12,3] float32',
        'bias_ih [12] float32',
        'x [1,2] float32',
      ]),
    );
    expect(opLabels(dot)).toEqual([]);
    const expanded = tg.viz.toDot(h, { expand: ['lstmCell'] });
    expect(drawing(expanded).clusters).toEqual(['LSTMCell', 'lstmCell']);
    // Expanded, the step is the hidden-to-hidden matmul and the fused gate math (Note [fused recurrent cells]).
    expect(opLabels(expanded)).toEqual(expect.arrayContaining(['matmul transB', 'lstmCell lstm cell H=3']));
    expect(drawing(expanded).labels.filter((l) => l === 'linear')).toHaveLength(1); // the input projection, still folded
    const gru = new tg.nn.GRUCell(2, 3, { rng: tg.rng(1) });
    const g = tg.viz.toDot(gru.forward(x));
    expect(drawing(g).labels).toContain('gruCell');
    expect(opLabels(g)).toEqual([]);
  });

  test('scaledDotProductAttention and MultiheadAttention: one node, the projections’ parameters beside it', () => {
    const q = tg.randn([2, 3, 4], { rng: tg.rng(3), requiresGrad: true, name: 'q' });
    const sdpa = tg.viz.toDot(tg.scaledDotProductAttention(q, q, q, { isCausal: true }));
    expect(drawing(sdpa).labels).toEqual(['q [2,3,4] float32', 'scaledDotProductAttention causal', '[2,3,4] float32']);
    const mha = new tg.nn.MultiheadAttention(4, 2, { rng: tg.rng(4) });
    const [out] = mha.forward(q, q, q);
    const dot = tg.viz.toDot(out);
    expect(drawing(dot).labels).toEqual(
      expect.arrayContaining([
        'multiheadAttention heads=2',
        'in_proj_weight [12,4] float32',
        'in_proj_bias [12] float32',
        'out_proj.weight [4,4] float32',
        'out_proj.bias [4] float32',
      ]),
    );
    expect(opLabels(dot)).toEqual([]);
    const expanded = tg.viz.toDot(out, { expand: ['multiheadAttention'] });
    expect(drawing(expanded).clusters).toEqual([
      'MultiheadAttention',
      'multiheadAttention heads=2',
      'out_proj: NonDynamicallyQuantizableLinear',
    ]);
    expect(opLabels(expanded)).toEqual(expect.arrayContaining(['matmul', 'transpose perm=[1,0,2]']));
  });

  test('an unbatched query that needs no gradient keeps its box and its edge into MultiheadAttention (Note [views of composite arguments])', () => {
    const mha = new tg.nn.MultiheadAttention(8, 2, { rng: tg.rng(6) });
    const q = tg.randn([3, 8], { rng: tg.rng(7), name: 'q' });
    const k = tg.randn([5, 8], { rng: tg.rng(8), name: 'k' });
    // MultiheadAttention unsqueezes an unbatched query; for inputs without gradients that view is unrecorded.
    const [out] = mha.forward(q, k, k);
    const dot = tg.viz.toDot(out);
    const g = parseDot(dot);
    const idOf = (label: string) => g.nodes.find((n) => text(labelOf(n)) === label)?.id;
    const composite = idOf('multiheadAttention heads=2');
    expect(idOf('q [3,8] float32')).toBeDefined();
    expect(idOf('k [5,8] float32')).toBeDefined();
    // No unnamed [1,3,8] / [1,5,8] views: each input is drawn once, as the user passed it.
    expect(labels(dot).filter((l) => /^\[1,[35],8\]/.test(l))).toEqual([]);
    const into = fromDot(dot).edges.map((e) => e.targets.map((t) => ('id' in t ? t.id : '')));
    expect(into).toEqual(
      expect.arrayContaining([
        [idOf('q [3,8] float32'), composite],
        [idOf('k [5,8] float32'), composite],
      ]),
    );
    // conv1d reshapes its input to 4-d: an input without gradients is still drawn, named, with its edge.
    const x = tg.randn([1, 2, 8], { rng: tg.rng(9), name: 'x' });
    const w = tg.randn([3, 2, 3], { rng: tg.rng(10), name: 'w', requiresGrad: true });
    const conv = tg.viz.toDot(tg.conv1d(x, w));
    expect(labels(conv)).toEqual(expect.arrayContaining(['x [1,2,8] float32', 'w [3,2,3] float32']));
    expect(fromDot(conv).edges).toHaveLength(3);
  });

  test('a composite expanded outside any module is filled with the outermost shade, never left black', () => {
    const p = tg.tensor([[1, 2]], { requiresGrad: true, name: 'p' });
    const clusters = fromDot(tg.viz.toDot(tg.mseLoss(p, tg.zeros([1, 2])), { expand: true })).subgraphs;
    expect(clusters.map((c) => [text(String(c.get('label'))), c.get('fillcolor')])).toEqual([['mseLoss', '#f4f6f9']]);
  });

  test('expand must be a boolean or a list of names', () => {
    expect(() => tg.viz.toDot(conv1dLoss(), { expand: 'conv1d' as never })).toThrow(
      /^toDot: expand must be true, false or a list of op names, got "conv1d"$/,
    );
  });
});

describe('names in drawings (Note [names in drawings])', () => {
  test('a name survives internal reshapes; expanded leaves are named x[...]; unnamed tensors input0[...]; products a·b', () => {
    const x = tg.randn([1, 1, 3, 3], { rng: tg.rng(5), requiresGrad: true, name: 'x' });
    const w = tg.randn([1, 1, 2, 2], { rng: tg.rng(6), requiresGrad: true }); // unnamed
    const dot = tg.viz.toDot(tg.conv2d(x, w, null, { expand: true }));
    const ls = labels(dot);
    expect(ls).toContain('x[0,0,2,2] [] float32');
    expect(ls).toContain('input0[0,0,1,1] [] float32');
    expect(ls).toContain('x[0,0,0,0]·input0[0,0,0,0] [] float32');
    const viewed = tg.viz.toDot(tg.reshape(x, [9]).tanh());
    expect(labels(viewed)).toEqual(expect.arrayContaining(['x [1,1,3,3] float32', 'x [9] float32']));
  });

  test('tooltips say name, shape, dtype, values and gradient in words — never a DOT id', () => {
    const x = tg.tensor([1, 2, 3], { requiresGrad: true, name: 'x' });
    const y = x.mul(2).tanh();
    y.sum().backward();
    const tips = tooltips(tg.viz.toDot(conv1dLoss())).concat(tooltips(tg.viz.toDot(y)));
    expect(tips.filter((t) => /^(t|op|m|c|cluster_)\d+$/.test(t) || t === 'undefined')).toEqual([]);
    // d tanh(2x)/dx = 2(1 − tanh²(2x)) at 1, 2, 3, in float32.
    expect(tips).toContain('x [3] float32; value [1, 2, 3]; grad [0.1413, 0.002682, 0.00004911]');
  });
});

describe('element pickers in order (Note [pickers in order])', () => {
  /** The labels of the picked elements, in the order the DOT text writes them. */
  const pickedOrder = (dot: string) => [...dot.matchAll(/label = <[^\n]*?<B>((?:x|w|b)\[[\d,]+\])<\/B>/g)].map((m) => m[1]);

  test('expanded conv1d writes all of x’s pickers, in index order, then all of w’s', () => {
    const x = tg.tensor([[[0, 1, 2, 3, 4]]], { requiresGrad: true, name: 'x' });
    const w = tg.tensor([[[1, -1, 2]]], { requiresGrad: true, name: 'w' });
    const dot = tg.viz.toDot(tg.conv1d(x, w, null, { expand: true }));
    expect(pickedOrder(dot)).toEqual(['x[0,0,0]', 'x[0,0,1]', 'x[0,0,2]', 'x[0,0,3]', 'x[0,0,4]', 'w[0,0,0]', 'w[0,0,1]', 'w[0,0,2]']);
  });

  test('expanded conv2d with a bias: x’s, w’s and the bias’s pickers in three groups, each in index order', () => {
    const x = tg.randn([1, 1, 3, 3], { rng: tg.rng(7), requiresGrad: true, name: 'x' });
    const w = tg.randn([2, 1, 2, 2], { rng: tg.rng(8), requiresGrad: true, name: 'w' });
    const b = tg.tensor([0.5, -0.5], { requiresGrad: true, name: 'b' });
    const order = pickedOrder(tg.viz.toDot(tg.conv2d(x, w, b, { expand: true })));
    const group = (name: string) => order.filter((l) => l.startsWith(`${name}[`));
    expect(order).toEqual([...group('x'), ...group('w'), ...group('b')]);
    const key = (l: string) =>
      l
        .replace(/^\w+\[|\]$/g, '')
        .split(',')
        .map(Number);
    for (const name of ['x', 'w', 'b']) {
      const g = group(name);
      expect(g).toEqual([...g].sort((p, q) => key(p).reduce((c, v, d) => c || v - key(q)[d], 0)));
    }
    expect(group('x')).toHaveLength(9);
    expect(group('w')).toHaveLength(8);
    expect(group('b')).toEqual(['b[0]', 'b[1]']);
  });
});
