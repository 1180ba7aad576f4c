/**
 * @file The named graphs (`tapegrad graph` and docs/graphs): DOT snapshots, determinism, counts
 * parsed back with ts-graphviz against the graph and against hand counts (the tutorial's expanded
 * convolutions), module clusters and collapse on real nn models, and SVG without a binary on PATH.
 */
import { fromDot } from 'ts-graphviz';
import * as tg from '../src';
import { findAll, labelOf, parseDot, svgWithoutPath } from './viz-helpers';

/** Node, edge and cluster counts, and the number of op nodes of one primitive. */
function parsed(dot: string) {
  const { nodes, edges, clusters } = parseDot(dot);
  const ops = (op: string) => nodes.filter((n) => n.id.startsWith('op') && labelOf(n).split(' ')[0] === op).length;
  return { nodes: nodes.length, edges: edges.length, clusters: clusters.length, ops };
}

/** What the graph itself says: one node per tensor and per op, one edge per input and per output. */
function expected(roots: tg.Tensor[]) {
  const { tensors, ops } = tg.viz.viewGraph(roots);
  return { nodes: tensors.length + ops.length, edges: ops.reduce((n, op) => n + op.inputs.length + 1, 0) };
}

const drawn = (name: string, opts: tg.viz.NamedGraphOptions = {}, extra: tg.viz.DotOptions = {}) => {
  const g = tg.viz.namedGraph(name, opts);
  return { ...g, dot: tg.viz.toDot(g.roots, { ...g.options, ...extra }) };
};

const CASES: [string, tg.viz.NamedGraphOptions][] = [
  ['conv1d', {}],
  ['conv1d', { expand: true }],
  ['conv2d', {}],
  ['mlp', {}],
  ['cnn', {}],
];

describe.each(CASES)('%s %j', (name, opts) => {
  test('DOT matches its snapshot and is byte-identical when the graph is built again', () => {
    const first = drawn(name, opts).dot;
    const second = drawn(name, opts).dot;
    expect(second).toBe(first);
    expect(first).toMatchSnapshot();
  });

  test('parses back with one node per tensor and op, one edge per input and output (composites expanded)', () => {
    const { roots, dot } = drawn(name, opts, { expand: true });
    const { nodes, edges } = parsed(dot);
    expect({ nodes, edges }).toEqual(expected(roots));
  });

  test('renders to well-formed SVG with no binary on PATH', async () => {
    const { dot } = drawn(name, opts);
    const root = await svgWithoutPath(dot, tg.viz.toSvg);
    expect(root.name).toBe('svg');
    expect(findAll(root, 'g').filter((g) => g.attrs.class === 'node')).toHaveLength(parsed(dot).nodes);
  });
});

describe("the tutorial's convolutions", () => {
  test("conv1d expanded: one multiply node per product x_i·w_j, with the tutorial's values and gradients", () => {
    const { roots, dot } = drawn('conv1d', { expand: true });
    const g = parsed(dot);
    // 'valid': 3 outputs, each the sum of 3 products.
    expect(g.ops('mul')).toBe(9);
    expect(g.ops('add')).toBe(6);
    expect(g.ops('element')).toBe(8); // x_0..x_4 and w_0..w_2, each picked once
    expect(g.ops('assemble')).toBe(1);
    expect(g.nodes).toBe(2 + 8 + 9 + 6 + 1 + 24);
    expect(g.edges).toBe(8 + 2 * 9 + 2 * 6 + 3 + 24);
    expect(roots[0].toArray()).toEqual([1, 3, 5]);
    // y = x ⊛ w: dL/dw is the correlation of x with dL/dy = (1,2,3); dL/dx the full convolution of dL/dy with w.
    expect(dot).toMatch(/<B>w<\/B>.*\[20, 14, 8\]/);
    expect(dot).toMatch(/<B>x<\/B>.*\[2, 3, 5, -1, 3\]/);
    for (const product of ['x[0]·w[2]', 'x[1]·w[1]', 'x[2]·w[0]', 'x[4]·w[0]']) expect(dot).toContain(`<B>${product}</B>`);
  });

  test('conv1d fused gives the same values and gradients', () => {
    const fused = tg.viz.namedGraph('conv1d');
    const expanded = tg.viz.namedGraph('conv1d', { expand: true });
    expect(fused.roots[0].toArray()).toEqual(expanded.roots[0].toArray());
    const leaves = (g: tg.viz.NamedGraph) =>
      tg.viz
        .viewGraph(g.roots)
        .tensors.filter((v) => v.producer === null)
        .map((v) => v.tensor.grad!.toArray());
    expect(leaves(fused)).toEqual(leaves(expanded));
    expect(tg.viz.viewGraph(fused.roots).ops).toHaveLength(8);
    expect(tg.viz.viewGraph(expanded.roots).ops).toHaveLength(24);
    // What docs/graphs.md reads off the figure: dL/dx is the full convolution of dL/dy with w
    // flipped; dL/dw is the correlation of x with dL/dy, read backwards.
    const gy = tg.tensor([1, 2, 3]);
    const [x, w] = tg.viz
      .viewGraph(expanded.roots)
      .tensors.filter((v) => v.producer === null)
      .map((v) => v.tensor);
    expect([x.name, w.name]).toEqual(['x', 'w']);
    expect(x.grad!.toArray()).toEqual(tg.convolve(gy, tg.flip(w.detach()), 'full').toArray());
    expect(w.grad!.toArray()).toEqual(tg.flip(tg.correlate(x.detach(), gy, 'valid')).toArray());
    expect(w.grad!.toArray()).toEqual([20, 14, 8]);
  });

  test('conv2d fused: one conv2d node with stride and padding; expanded: one multiply per product off the padding', () => {
    const fused = parsed(drawn('conv2d').dot);
    expect(fused.ops('conv2d')).toBe(1);
    expect(drawn('conv2d').dot).toContain('label = <conv2d stride=2 pad=1>');
    const { roots, dot } = drawn('conv2d', { expand: true });
    expect(roots[0].shape).toEqual([1, 2, 3, 3]);
    const g = parsed(dot);
    // Output rows 0,1,2 see 2,3,2 input rows (the rest is padding); columns alike: 7·7 taps per
    // channel and filter, times 3 channels and 2 filters.
    expect(g.ops('mul')).toBe(7 * 7 * 3 * 2);
    expect(g.ops('add')).toBe(7 * 7 * 3 * 2); // products − 1 per output, plus its bias
    expect(g.ops('element')).toBe(75 + 54 + 2);
    expect({ nodes: g.nodes, edges: g.edges }).toEqual(expected(roots));
  });
});

describe('models, clustered by module', () => {
  test('the MLP has one cluster per module, and collapse folds its layers', () => {
    const { dot, roots } = drawn('mlp');
    expect(parsed(dot).clusters).toBe(4); // Sequential, Linear, ReLU, Linear
    // Each Linear computes x @ weightᵀ + bias as one `linear` node (Note [composite scopes]); expanded, as its two ops.
    expect(parsed(dot).ops('linear')).toBe(0); // composite nodes are not op nodes…
    expect(parseDot(dot).nodes.filter((n) => labelOf(n) === 'linear')).toHaveLength(2); // …but drawn, one per layer
    const expandedDot = drawn('mlp', {}, { expand: ['linear'] }).dot;
    expect(parsed(expandedDot).clusters).toBe(6); // and each expanded linear is a cluster of its own
    expect(parsed(expandedDot).nodes).toBe(expected(roots).nodes);
    // collapse 1: x, the three layers, the two tensors between them, the logits.
    expect(parsed(tg.viz.toDot(roots, { collapse: 1 }))).toMatchObject({ nodes: 7, edges: 6, clusters: 1 });
    // collapse 0: x, the model, the logits.
    expect(parsed(tg.viz.toDot(roots, { collapse: 0 }))).toMatchObject({ nodes: 3, edges: 2, clusters: 0 });
  });

  test('the CNN has one cluster per module; collapse 1 leaves one node per layer', () => {
    const { roots, dot } = drawn('cnn');
    expect(parsed(dot).clusters).toBe(9); // Sequential and its 8 layers
    expect(parsed(tg.viz.toDot(roots, { collapse: 1 }))).toMatchObject({ nodes: 1 + 8 + 7 + 1, edges: 16, clusters: 1 });
  });

  test("every parameter is drawn inside its own layer's cluster, named as in the state dict", () => {
    const { dot } = drawn('cnn');
    const root = fromDot(dot);
    const sequential = root.subgraphs[0];
    const layer0 = sequential.subgraphs.find((s) => String(s.get('label')) === '<B>0: Conv2d</B>')!;
    const labels = layer0.nodes.map((n) => String(n.attributes.get('label')));
    expect(labels.filter((l) => l.includes('<B>0.weight</B>') || l.includes('<B>0.bias</B>'))).toHaveLength(2);
  });

  test('an unknown graph name, or expand on a model, throws naming it', () => {
    expect(() => tg.viz.namedGraph('resnet')).toThrow("namedGraph: unknown graph 'resnet' (graphs: conv1d, conv2d, mlp, cnn, lstm)");
    expect(() => tg.viz.namedGraph('mlp', { expand: true })).toThrow("namedGraph: expand applies to conv1d, conv2d and lstm, not 'mlp'");
  });
});
