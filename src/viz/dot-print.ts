/**
 * @file Writing DOT text: a graph of nodes, nested subgraphs and edges, each written out as text the
 * moment it is added.
 *
 * Note [printing DOT]: the drawings were first built as a ts-graphviz model and printed by its
 * `toDot`, which goes through an AST and a generator per token: a 100,000-op chain took 26 s and
 * 2.5 GB that way. A linear printer over the same model brought that to 8–14 s, still dominated by
 * garbage collection of the model itself — an object with an attribute map per node and per edge,
 * 400,000 of them, all alive until the end. Here each node and edge becomes its final text at once
 * (one flat string), so what stays alive is about the size of the output, and the time is linear.
 * The text is exactly what ts-graphviz prints for the same graph (a test compares the two byte for
 * byte): the graph's attributes, its non-empty common attribute lists (edge, then node), nodes,
 * subgraphs, then edges, each on its own line indented two spaces per level; a string attribute that
 * looks like `<…>` is an HTML-like label, other strings are quoted with `"`, CR and LF escaped, and
 * numbers and booleans are written as they are.
 */

/** Attributes in the order they are written. */
export type DotAttributes = Readonly<Record<string, string | number | boolean>>;

const HTML_LIKE = /^<.+>$/s;

function quote(text: string): string {
  return `"${text.replace(/(?<!\\)"|[\r\n]/g, (c) => (c === '"' ? '\\"' : c === '\n' ? '\\n' : '\\r'))}"`;
}

function value(v: string | number | boolean): string {
  if (typeof v === 'string') {
    const trimmed = v.trim();
    return HTML_LIKE.test(trimmed) ? `<${trimmed.slice(1, -1)}>` : quote(v);
  }
  return String(v);
}

/** `head [` + one `key = value;` per line + `]` + `tail`, or just `head` + `tail` when there are none. */
function withAttributes(pad: string, head: string, attrs: DotAttributes, tail: string): string {
  let text = `\n${pad}${head}`;
  let any = false;
  for (const k in attrs) {
    if (!any) text += ' [';
    any = true;
    text += `\n${pad}  ${k} = ${value(attrs[k])};`;
  }
  return flat(any ? `${text}\n${pad}]${tail}` : `${text}${tail}`);
}

/**
 * The same string, stored as one piece: V8 keeps a concatenation as a tree of its parts (a rope),
 * about twice the memory of the text for a node's dozen pieces; reading a character flattens it.
 */
function flat(text: string): string {
  void text.charCodeAt(0);
  return text;
}

/** A graph or subgraph being written: its own attributes, then nodes, subgraphs and edges in the order added. */
export class DotGraph {
  private readonly values: string[] = [];
  private readonly defaults: string[] = [];
  private readonly nodes: string[] = [];
  private readonly subgraphs: DotGraph[] = [];
  private readonly edges: string[] = [];
  private readonly pad: string;

  private constructor(
    private readonly head: string,
    private readonly depth: number,
    attrs: DotAttributes,
  ) {
    this.pad = '  '.repeat(depth);
    for (const k in attrs) this.values.push(`\n${this.pad}${k} = ${value(attrs[k])};`);
  }

  /** A directed root graph. */
  static digraph(id: string, attrs: DotAttributes = {}): DotGraph {
    return new DotGraph(`digraph ${quote(id)} {`, 1, attrs);
  }

  /** Attributes every edge (then every node) gets unless it sets its own: `edge [...]`, `node [...]`. Root graph only, edge first. */
  setDefaults(edge: DotAttributes, node: DotAttributes): void {
    for (const [kind, attrs] of [
      ['edge', edge],
      ['node', node],
    ] as const) {
      if (Object.keys(attrs).length > 0) this.defaults.push(withAttributes(this.pad, kind, attrs, ';'));
    }
  }

  node(id: string, attrs: DotAttributes = {}): void {
    this.nodes.push(withAttributes(this.pad, quote(id), attrs, ';'));
  }

  subgraph(id: string, attrs: DotAttributes = {}): DotGraph {
    const sub = new DotGraph(`subgraph ${quote(id)} {`, this.depth + 1, attrs);
    this.subgraphs.push(sub);
    return sub;
  }

  edge(from: string, to: string, attrs: DotAttributes = {}): void {
    this.edges.push(withAttributes(this.pad, `${quote(from)} -> ${quote(to)}`, attrs, ';'));
  }

  private empty(): boolean {
    return this.values.length + this.defaults.length + this.nodes.length + this.subgraphs.length + this.edges.length === 0;
  }

  /** Appends this graph's text to `out`. */
  private write(out: string[]): void {
    const closePad = '  '.repeat(this.depth - 1);
    out.push(this.depth === 1 ? this.head : `\n${closePad}${this.head}`);
    for (const list of [this.values, this.defaults, this.nodes]) for (const s of list) out.push(s);
    for (const sub of this.subgraphs) sub.write(out);
    for (const s of this.edges) out.push(s);
    if (!this.empty()) out.push(this.depth === 1 ? '\n' : `\n${closePad}`);
    out.push('}');
  }

  /** The DOT text (Note [printing DOT]). */
  toString(): string {
    const out: string[] = [];
    this.write(out);
    return out.join('');
  }
}
