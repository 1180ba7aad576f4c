/**
 * @file toDot / toSvg / writeGraph on hand-built graphs: structure and counts (parsed back with
 * ts-graphviz), determinism, styles, values and gradients, escaping, clusters, collapse, and SVG
 * rendering with no Graphviz binary on PATH.
 */
import { mkdtempSync, readFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeModel } from 'ts-graphviz';
import * as tg from '../src';
import { findAll, labelOf, parseDot, parseXml, svgWithoutPath } from './viz-helpers';

/** A label's text, cells separated by ` | `, lines by ` / `. */
const plain = (label: string) =>
  label
    .replace(/<BR[^>]*>/g, ' / ')
    .replace(/<\/TD>/g, ' | ')
    .replace(/<[^>]*>/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/ \|$/, '');
const nodeById = (nodes: NodeModel[], id: string) => nodes.find((n) => n.id === id)!;
const opNodes = (nodes: NodeModel[]) => nodes.filter((n) => n.id.startsWith('op'));
const edgeEnds = (edges: ReturnType<typeof parseDot>['edges']) =>
  edges.map((e) => e.targets.map((t) => ('id' in t ? t.id : '?')).join('->'));

/** x [2,3] -> (x @ w0^T + b0) -> relu -> @ w2^T -> sum(y*y), each layer in a module scope like nn's. */
function scopedMlp() {
  const x = tg.tensor(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { name: 'x' },
  );
  const w0 = tg.tensor(
    [
      [1, 0, -1],
      [0, 1, 0],
      [1, 1, 1],
      [-1, 0, 0],
    ],
    { requiresGrad: true, name: 'weight' },
  );
  const b0 = tg.tensor([0, 1, 0, 1], { requiresGrad: true, name: 'bias' });
  const w2 = tg.tensor(
    [
      [1, -1, 0, 1],
      [0, 1, 1, 0],
    ],
    { requiresGrad: true, name: 'weight' },
  );
  const y = tg.withScope('', 'Sequential', () => {
    const h = tg.withScope('0', 'Linear', () => tg.add(tg.matmul(x, tg.transpose(w0)), b0));
    const r = tg.withScope('1', 'ReLU', () => tg.relu(h));
    return tg.withScope('2', 'Linear', () => tg.matmul(r, tg.transpose(w2)));
  });
  const loss = tg.sum(tg.mul(y, y));
  return { x, w0, b0, w2, y, loss };
}

describe('toDot: structure', () => {
  test('one node per tensor and per op, one edge per input and per output, parsed back by ts-graphviz', () => {
    const { loss } = scopedMlp();
    const { nodes, edges } = parseDot(tg.viz.toDot(loss));
    // tensors x w0 w0T xw0T b0 h r w2 w2T y y*y loss; ops transpose matmul add relu transpose matmul mul sum
    expect(nodes.filter((n) => n.id.startsWith('t'))).toHaveLength(12);
    expect(opNodes(nodes)).toHaveLength(8);
    expect(edges).toHaveLength(12 + 8);
    expect(opNodes(nodes).map(labelOf)).toEqual(
      expect.arrayContaining(['transpose perm=[1,0]', 'matmul', 'add', 'relu', 'mul', 'sum axes=[0,1]']),
    );
  });

  test('edges follow argument order and are labelled with the position only when an op has several inputs', () => {
    const a = tg.tensor([1, 2], { requiresGrad: true, name: 'a' });
    const b = tg.tensor([3, 4], { requiresGrad: true, name: 'b' });
    const y = tg.sub(b, a).exp(); // sub(b, a): b is input 0
    const { nodes, edges } = parseDot(tg.viz.toDot(y));
    const id = (name: string) => nodes.find((n) => labelOf(n).includes(`<B>${name}</B>`))!.id;
    const sub = opNodes(nodes).find((n) => labelOf(n) === 'sub')!.id;
    const exp = opNodes(nodes).find((n) => labelOf(n) === 'exp')!.id;
    const into = (to: string) => edges.filter((e) => 'id' in e.targets[1] && e.targets[1].id === to);
    expect(into(sub).map((e) => ['id' in e.targets[0] && e.targets[0].id, e.attributes.get('label')])).toEqual(
      expect.arrayContaining([
        [id('b'), '0'],
        [id('a'), '1'],
      ]),
    );
    expect(into(exp)).toHaveLength(1);
    expect(into(exp)[0].attributes.get('label')).toBeUndefined();
  });

  test('a tensor used twice by one op gets two edges, positions 0 and 1', () => {
    const x = tg.tensor([1, 2], { requiresGrad: true });
    const { edges } = parseDot(tg.viz.toDot(tg.mul(x, x)));
    const labels = edges.filter((e) => e.attributes.get('label') !== undefined).map((e) => e.attributes.get('label'));
    expect(labels.sort()).toEqual(['0', '1']);
    expect(edges).toHaveLength(3);
  });

  test('several roots share one graph; a leaf root with no op is a single node', () => {
    const x = tg.tensor([1, 2], { requiresGrad: true });
    const y1 = x.exp();
    const y2 = x.neg();
    const { nodes, edges } = parseDot(tg.viz.toDot([y1, y2]));
    expect(nodes).toHaveLength(5);
    expect(edges).toHaveLength(4);
    expect(parseDot(tg.viz.toDot(tg.tensor([1]))).nodes).toHaveLength(1);
  });

  test('leaves that take gradients, other leaves, intermediates and roots are styled apart', () => {
    const { loss } = scopedMlp();
    const { nodes } = parseDot(tg.viz.toDot(loss, { clusters: false }));
    const fill = (pred: (label: string) => boolean) => [
      ...new Set(nodes.filter((n) => pred(labelOf(n))).map((n) => n.attributes.get('fillcolor'))),
    ];
    const parameter = fill((l) => l.includes('<B>weight</B>') || l.includes('<B>bias</B>'));
    const input = fill((l) => l.includes('<B>x</B>'));
    const root = [nodeById(nodes, 't11').attributes.get('fillcolor')];
    const intermediate = fill((l) => l.includes('[3,4] float32'));
    const op = [...new Set(opNodes(nodes).map((n) => n.attributes.get('style')))];
    for (const group of [parameter, input, root, intermediate]) expect(group).toHaveLength(1);
    expect(new Set([parameter[0], input[0], root[0], intermediate[0]]).size).toBe(4);
    expect(op).toEqual(['rounded,filled']);
  });

  test('the graph reads left to right by default, top to bottom on request, with a title', () => {
    const y = tg.tensor([1], { requiresGrad: true }).exp();
    expect(parseDot(tg.viz.toDot(y)).root.get('rankdir')).toBe('LR');
    const tb = parseDot(tg.viz.toDot(y, { rankdir: 'TB', title: 'exp <1>' })).root;
    expect(tb.get('rankdir')).toBe('TB');
    expect(String(tb.get('label'))).toBe('<B>exp &lt;1&gt;</B>');
  });

  test('bad options throw naming the option', () => {
    const y = tg.tensor([1], { requiresGrad: true }).exp();
    expect(() => tg.viz.toDot(y, { collapse: -1 })).toThrow('toDot: collapse must be a non-negative integer, got -1');
    expect(() => tg.viz.toDot(y, { collapse: 1.5 })).toThrow('toDot: collapse must be a non-negative integer, got 1.5');
    expect(() => tg.viz.toDot(y, { rankdir: 'RL' as 'LR' })).toThrow("toDot: rankdir must be 'LR' or 'TB', got 'RL'");
  });

  test('a chain deeper than the JS stack is drawn (the walk is iterative)', () => {
    let y = tg.tensor([1], { requiresGrad: true });
    for (let i = 0; i < 20000; i++) y = y.neg();
    const dot = tg.viz.toDot(y);
    expect(dot.match(/"op\d+" \[/g)).toHaveLength(20000);
  });
});

describe('toDot: determinism', () => {
  test('the same graph gives byte-identical DOT, whatever ran before', () => {
    const first = tg.viz.toDot(scopedMlp().loss, { values: true });
    // Unrelated graphs and scopes in between move the node and frame counters on.
    for (let i = 0; i < 5; i++) tg.withScope('other', 'Other', () => tg.tensor([i], { requiresGrad: true }).exp().sum());
    const { loss } = scopedMlp();
    expect(tg.viz.toDot(loss, { values: true })).toBe(first);
    expect(tg.viz.toDot(loss, { values: true })).toBe(first);
    expect(first).not.toMatch(/"(t|op)(1\d\d|[2-9]\d)"/); // numbered from 0 in this graph, not by global ids
  });
});

describe('toDot: values and gradients', () => {
  test('small tensors show every value, large ones min/mean/max; numbers have 4 significant digits', () => {
    const small = tg.tensor(
      [
        [1 / 3, -0, 2],
        [NaN, Infinity, -1e-7],
      ],
      { dtype: 'float64', requiresGrad: true, name: 's' },
    );
    const large = tg.arange(20, { dtype: 'float64' }).mul(tg.tensor(1, { requiresGrad: true, dtype: 'float64' }));
    const dot = tg.viz.toDot([small.exp(), large], { values: true });
    expect(dot).toContain('[[0.3333, 0, 2],</FONT><BR ALIGN="LEFT"/><FONT FACE="Courier"> [nan, inf, -1e-7]]');
    const largeLabel = labelOf(parseDot(dot).nodes.find((n) => labelOf(n).includes('[20] float64'))!);
    expect(plain(largeLabel)).toBe('[20] float64 | | value | min | 0 | mean | 9.5 | max | 19');
    // Without values the label leaves them out; the tooltip (what a pointer shows) says them in words.
    const plainNode = parseDot(tg.viz.toDot(small)).nodes.find((n) => labelOf(n).includes('[2,3] float64'))!;
    expect(labelOf(plainNode)).not.toContain('0.3333');
    expect(String(plainNode.attributes.get('tooltip'))).toBe('s [2,3] float64; value [0.3333, 0, 2, nan, inf, -1e-7]');
  });

  test('gradients appear beside the values once backward has run, only where stored, only when asked', () => {
    const w = tg.tensor([1, -1, 2], { requiresGrad: true, name: 'w' });
    const x = tg.tensor([3, 4, 5], { name: 'x' });
    const y = tg.mul(w, x).sum();
    expect(tg.viz.toDot(y, { values: true, grads: true })).not.toContain('>grad<');
    y.backward();
    const dot = tg.viz.toDot(y, { values: true, grads: true });
    const w0 = parseDot(dot).nodes.find((n) => labelOf(n).includes('<B>w</B>'))!;
    expect(plain(labelOf(w0))).toBe('w | [3] float32 | value | [1, -1, 2] / | grad | [3, 4, 5] /');
    expect((dot.match(/>grad</g) ?? []).length).toBe(1); // intermediates keep no .grad
    expect(tg.viz.toDot(y, { values: true })).not.toContain('>grad<');
  });
});

describe('escaping', () => {
  const weird = 'a"b<c>&{d}\n';

  test('a name with quotes, <, >, &, braces and a newline gives valid DOT and SVG showing the name', async () => {
    const t = tg.tensor([1, 2], { requiresGrad: true, name: weird });
    const y = t.exp();
    y.name = 'ends in a backslash \\';
    const dot = tg.viz.toDot(y, { title: '"title" {x}' });
    const { nodes } = parseDot(dot);
    expect(nodes).toHaveLength(3);
    const svg = await tg.viz.toSvg(dot);
    const texts = findAll(parseXml(svg), 'text').map((e) => e.text);
    expect(texts).toContain('a"b<c>&{d}');
    expect(texts).toContain('ends in a backslash \\');
    expect(texts).toContain('"title" {x}');
  });

  test('control characters become visible control pictures, so the SVG stays XML', async () => {
    const y = tg.tensor([1], { requiresGrad: true, name: 'tab\there\u0001' }).exp();
    const svg = await tg.viz.toSvg(tg.viz.toDot(y));
    const texts = findAll(parseXml(svg), 'text').map((e) => e.text);
    expect(texts).toContain('tab\u2409here\u2401');
  });
});

describe('clusters', () => {
  test('one cluster per module call, labelled with dotted name and class, nested as the modules nest', () => {
    const { loss } = scopedMlp();
    const { clusters, nodes } = parseDot(tg.viz.toDot(loss));
    expect(clusters.map((c) => [c.label, c.depth])).toEqual([
      ['<B>Sequential</B>', 1],
      ['<B>0: Linear</B>', 2],
      ['<B>1: ReLU</B>', 2],
      ['<B>2: Linear</B>', 2],
    ]);
    expect(clusters.every((c) => c.id.startsWith('cluster_'))).toBe(true);
    // Linear 0 holds its parameters, its ops and the tensors they made; x stays outside.
    const linear0 = clusters[1].nodes.map((id) => labelOf(nodeById(nodes, id)));
    expect(linear0).toHaveLength(8); // weight, its transpose, x @ w^T, bias, the sum; transpose, matmul, add
    expect(linear0.filter((l) => l.includes('<B>weight</B>') || l.includes('<B>bias</B>'))).toHaveLength(2);
    expect(
      clusters
        .flatMap((c) => c.nodes)
        .map((id) => labelOf(nodeById(nodes, id)))
        .some((l) => l.includes('<B>x</B>')),
    ).toBe(false);
  });

  test('a module called twice gives two clusters; clusters: false gives none', () => {
    const x = tg.tensor([1, 2], { requiresGrad: true });
    const twice = tg.withScope('', 'Tanh', () => x.tanh());
    const y = tg.withScope('', 'Tanh', () => twice.tanh());
    expect(parseDot(tg.viz.toDot(y)).clusters).toHaveLength(2);
    expect(parseDot(tg.viz.toDot(y, { clusters: false })).clusters).toHaveLength(0);
  });
});

describe('collapse', () => {
  test('collapse: 1 folds each layer of the Sequential into one node, edges re-routed to it', () => {
    const { loss } = scopedMlp();
    const { nodes, edges, clusters } = parseDot(tg.viz.toDot(loss, { collapse: 1 }));
    // x, three layer nodes, the three tensors between them, then mul, y*y, sum, loss.
    expect(nodes).toHaveLength(11);
    expect(edges).toHaveLength(11);
    const modules = nodes.filter((n) => n.id.startsWith('m')).map(labelOf);
    expect(modules).toEqual([
      '<B>0: Linear</B><BR/><FONT POINT-SIZE="9" COLOR="#555555">3 ops</FONT>',
      '<B>1: ReLU</B><BR/><FONT POINT-SIZE="9" COLOR="#555555">1 op</FONT>',
      '<B>2: Linear</B><BR/><FONT POINT-SIZE="9" COLOR="#555555">2 ops</FONT>',
    ]);
    expect(clusters.map((c) => c.label)).toEqual(['<B>Sequential</B>']);
    expect(edgeEnds(edges)).toEqual(expect.arrayContaining(['t0->m0', 'm0->t5', 't5->m1', 'm1->t6', 't6->m2', 'm2->t9']));
  });

  test('collapse: 0 folds the whole model into one node; a deep enough collapse changes nothing', () => {
    const { loss } = scopedMlp();
    const whole = parseDot(tg.viz.toDot(loss, { collapse: 0 }));
    expect(whole.nodes).toHaveLength(7); // x, the model, y, mul, y*y, sum, loss
    expect(whole.edges).toHaveLength(7);
    expect(whole.clusters).toHaveLength(0);
    expect(tg.viz.toDot(loss, { collapse: 2 })).toBe(tg.viz.toDot(loss));
  });
});

describe('toSvg and writeGraph', () => {
  test('toSvg gives well-formed SVG with no Graphviz on PATH', async () => {
    const { loss } = scopedMlp();
    const dot = tg.viz.toDot(loss, { values: true });
    const root = await svgWithoutPath(dot, tg.viz.toSvg);
    expect(root.name).toBe('svg');
    expect(findAll(root, 'g').filter((g) => g.attrs.class === 'node')).toHaveLength(20);
    expect(findAll(root, 'g').filter((g) => g.attrs.class === 'cluster')).toHaveLength(4);
  });

  test("toSvg of invalid DOT throws with Graphviz's message", async () => {
    await expect(tg.viz.toSvg('digraph { a -> }')).rejects.toThrow(/^toSvg: Graphviz could not render the graph: .*syntax error/);
  });

  test('writeGraph writes DOT or SVG by extension; another extension throws naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapegrad-viz-'));
    const { loss } = scopedMlp();
    await tg.viz.writeGraph(join(dir, 'g.dot'), loss, { collapse: 1 });
    expect(readFileSync(join(dir, 'g.dot'), 'utf8')).toBe(tg.viz.toDot(loss, { collapse: 1 }));
    await tg.viz.writeGraph(join(dir, 'g.svg'), [loss]);
    expect(parseXml(readFileSync(join(dir, 'g.svg'), 'utf8')).name).toBe('svg');
    await expect(tg.viz.writeGraph(join(dir, 'g.png'), loss)).rejects.toThrow(
      "writeGraph: cannot write '" + join(dir, 'g.png') + "': unknown extension '.png' (use .dot, .gv, .svg or .html)",
    );
    expect(existsSync(join(dir, 'g.png'))).toBe(false);
  });

  test('writeGraph replaces a file atomically: the old graph or the new one, never a temporary file left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapegrad-viz-'));
    const { loss } = scopedMlp();
    writeFileSync(join(dir, 'g.dot'), 'the old graph');
    await tg.viz.writeGraph(join(dir, 'g.dot'), loss);
    expect(readFileSync(join(dir, 'g.dot'), 'utf8')).toBe(tg.viz.toDot(loss));
    expect(readdirSync(dir)).toEqual(['g.dot']);
    // A folder that does not exist is the caller's error, named, and nothing is created.
    await expect(tg.viz.writeGraph(join(dir, 'missing', 'g.dot'), loss)).rejects.toThrow(/^writeGraph: cannot write '.*missing.*g\.dot': /);
    expect(readdirSync(dir)).toEqual(['g.dot']);
  });
});

describe("the DOT writer (Note [printing DOT]) writes exactly ts-graphviz's text", () => {
  test('on a graph with every construct toDot uses: graph and common attributes, nested subgraphs, quotes, newlines, HTML labels, labelled edges', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { digraph, toDot: tsGraphvizToDot } = require('ts-graphviz') as typeof import('ts-graphviz');
    const { DotGraph } = require('../src/viz/dot-print') as typeof import('../src/viz/dot-print');
    // The same graph twice: as ts-graphviz's model, and through the writer.
    const attrs = { rankdir: 'LR', fontsize: 12, label: '<<B>t</B>>', splines: 'line' } as const;
    const g = digraph('g "1"', attrs);
    const w = DotGraph.digraph('g "1"', attrs);
    g.attributes.node.apply({ shape: 'box', height: 0.3 });
    g.attributes.edge.apply({ color: '#707070' });
    w.setDefaults({ color: '#707070' }, { shape: 'box', height: 0.3 });
    g.createNode('a', { label: 'say "hi"\nnext line', fillcolor: '#fff' });
    w.node('a', { label: 'say "hi"\nnext line', fillcolor: '#fff' });
    const outer = g.createSubgraph('cluster_0', { label: '<<B>0: Conv2d</B>>', style: 'rounded,filled' });
    const wOuter = w.subgraph('cluster_0', { label: '<<B>0: Conv2d</B>>', style: 'rounded,filled' });
    const inner = outer.createSubgraph('cluster_1', { fontsize: 11 });
    const wInner = wOuter.subgraph('cluster_1', { fontsize: 11 });
    inner.createNode('b');
    wInner.node('b');
    inner.createNode('c', { label: '  <<I>x</I>>  ', penwidth: 2, fixedsize: true });
    wInner.node('c', { label: '  <<I>x</I>>  ', penwidth: 2, fixedsize: true });
    outer.createSubgraph('cluster_empty');
    wOuter.subgraph('cluster_empty');
    outer.createNode('d', { tooltip: 'carriage\rreturn and \\"escaped' });
    wOuter.node('d', { tooltip: 'carriage\rreturn and \\"escaped' });
    g.createEdge([{ id: 'a' }, { id: 'b' }], { label: '0' });
    w.edge('a', 'b', { label: '0' });
    g.createEdge([{ id: 'b' }, { id: 'c' }]);
    w.edge('b', 'c');
    expect(w.toString()).toBe(tsGraphvizToDot(g));
    expect(DotGraph.digraph('empty').toString()).toBe(tsGraphvizToDot(digraph('empty')));
    const onlyEdges = digraph('e');
    onlyEdges.attributes.node.apply({ shape: 'box' });
    const wOnly = DotGraph.digraph('e');
    wOnly.setDefaults({}, { shape: 'box' });
    expect(wOnly.toString()).toBe(tsGraphvizToDot(onlyEdges));
  });
});
