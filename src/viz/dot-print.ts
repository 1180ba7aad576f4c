/**
 * @file Printing a ts-graphviz graph model as DOT text, in one linear pass.
 *
 * Note [printing DOT]: the graph is built with ts-graphviz's model (src/viz/dot.ts), but printed
 * here rather than by its `toDot`, which goes through an AST and a generator per token: a
 * 100,000-op chain took 26 s and 2.5 GB that way, for 77 MB of text. This printer writes exactly
 * the same text (the snapshot tests compare byte for byte): the graph's attributes, its non-empty
 * common attribute lists, nodes, subgraphs, then edges, each on its own line indented two spaces
 * per level; a string attribute that looks like `<…>` is an HTML-like label, other strings are
 * quoted with `"`, CR and LF escaped, and numbers and booleans are written as they are.
 */
import type { EdgeModel, GraphBaseModel, NodeModel, RootGraphModel } from 'ts-graphviz';

type Attributes = ReadonlyArray<readonly [string, unknown]>;

const HTML_LIKE = /^<.+>$/s;

function quote(text: string): string {
  return `"${text.replace(/(?<!\\)"|[\r\n]/g, (c) => (c === '"' ? '\\"' : c === '\n' ? '\\n' : '\\r'))}"`;
}

function value(v: unknown): string {
  if (typeof v === 'string') {
    const trimmed = v.trim();
    return HTML_LIKE.test(trimmed) ? `<${trimmed.slice(1, -1)}>` : quote(v);
  }
  return String(v);
}

/** Appends `head [` + one `key = value;` per line + `]` + `tail`, or just `head` + `tail` when there are none. */
function withAttributes(out: string[], pad: string, head: string, attrs: Attributes, tail: string): void {
  if (attrs.length === 0) {
    out.push(`${head}${tail}`);
    return;
  }
  out.push(`${head} [`);
  for (const [k, v] of attrs) out.push(`\n${pad}  ${k} = ${value(v)};`);
  out.push(`\n${pad}]${tail}`);
}

function body(out: string[], g: GraphBaseModel, depth: number): void {
  const pad = '  '.repeat(depth);
  const line = () => out.push(`\n${pad}`);
  for (const [k, v] of g.values) {
    line();
    out.push(`${k} = ${value(v)};`);
  }
  for (const list of Object.values(g.attributes)) {
    if (list.size === 0) continue;
    line();
    withAttributes(out, pad, list.$$kind.toLowerCase(), list.values, ';');
  }
  for (const node of g.nodes as readonly NodeModel[]) {
    line();
    withAttributes(out, pad, quote(node.id), node.attributes.values, ';');
  }
  for (const sub of g.subgraphs) {
    line();
    out.push(sub.id !== undefined ? `subgraph ${quote(sub.id)} {` : 'subgraph {');
    const before = out.length;
    body(out, sub, depth + 1);
    if (out.length > before) out.push(`\n${pad}`);
    out.push('}');
  }
  for (const edge of g.edges as readonly EdgeModel[]) {
    line();
    const targets = edge.targets.map((t) => quote((t as { id: string }).id)).join(' -> ');
    withAttributes(out, pad, targets, edge.attributes.values, ';');
  }
}

/** The DOT text of a directed root graph, exactly as ts-graphviz's `toDot` prints it (Note [printing DOT]). */
export function printDot(g: RootGraphModel): string {
  const out: string[] = [`${g.strict ? 'strict ' : ''}${g.directed ? 'digraph' : 'graph'} ${g.id !== undefined ? `${quote(g.id)} ` : ''}{`];
  const before = out.length;
  body(out, g, 1);
  if (out.length > before) out.push('\n');
  out.push('}');
  return out.join('');
}
