/**
 * @file Helpers for the viz tests. `parseDot` reads DOT back with ts-graphviz's parser and lists
 * every node and cluster. `parseXml` is a strict XML well-formedness check (no XML parser ships in
 * node_modules): one root element, matched tags, quoted attributes, valid entity and character
 * references, no stray `<` or `&`, no characters XML 1.0 forbids. It returns the element tree with
 * entities decoded, so tests can read the text an SVG shows.
 */
import { fromDot } from 'ts-graphviz';
import type { GraphBaseModel, NodeModel } from 'ts-graphviz';

export interface DotCluster {
  id: string;
  label: string;
  /** 1 for a top-level cluster. */
  depth: number;
  /** Ids of the nodes declared directly in it. */
  nodes: string[];
}

/** Every node and every cluster of a DOT text, subgraphs included (iteratively); clusters by id. */
export function parseDot(dot: string) {
  const root = fromDot(dot);
  const nodes: NodeModel[] = [];
  const clusters: DotCluster[] = [];
  const stack: [GraphBaseModel, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [g, depth] = stack.pop()!;
    nodes.push(...g.nodes);
    if (depth > 0) clusters.push({ id: g.id!, label: String(g.get('label')), depth, nodes: g.nodes.map((n) => n.id) });
    for (const s of g.subgraphs) stack.push([s, depth + 1]);
  }
  clusters.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { root, nodes, edges: root.edges, clusters };
}

export const labelOf = (n: NodeModel): string => String(n.attributes.get('label'));

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside the element, entities decoded. */
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  return raw.replace(/&([^;]*);|&/g, (m, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`XML: bare '&' near offset ${where}`);
    if (ref in ENTITIES) return ENTITIES[ref];
    const num = /^#x([0-9a-fA-F]+)$/.exec(ref) ?? /^#([0-9]+)$/.exec(ref);
    if (num === null) throw new Error(`XML: unknown entity '&${ref};' near offset ${where}`);
    const code = parseInt(num[1], ref[1] === 'x' ? 16 : 10);
    if (
      !(code === 9 || code === 10 || code === 13 || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0x10ffff)) ||
      (code >= 0xfffe && code <= 0xffff)
    ) {
      throw new Error(`XML: character reference '${m}' names a character XML forbids`);
    }
    return String.fromCodePoint(code);
  });
}

export function parseXml(src: string): XmlElement {
  const bad = src.search(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
  if (bad >= 0) throw new Error(`XML: forbidden character U+${src.charCodeAt(bad).toString(16)} at offset ${bad}`);
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const expect = (s: string) => {
    if (!src.startsWith(s, i)) throw new Error(`XML: expected '${s}' at offset ${i}`);
    i += s.length;
  };
  const skipTo = (end: string, what: string) => {
    const j = src.indexOf(end, i);
    if (j < 0) throw new Error(`XML: unterminated ${what} at offset ${i}`);
    const body = src.slice(i, j);
    i = j + end.length;
    return body;
  };
  while (i < src.length) {
    if (src[i] !== '<') {
      const j = src.indexOf('<', i);
      const raw = src.slice(i, j < 0 ? src.length : j);
      if (raw.includes(']]>')) throw new Error(`XML: ']]>' in text at offset ${i}`);
      const text = decode(raw, i);
      if (stack.length === 0) {
        if (text.trim() !== '') throw new Error(`XML: text outside the root element at offset ${i}`);
      } else stack[stack.length - 1].text += text;
      i = j < 0 ? src.length : j;
      continue;
    }
    if (src.startsWith('<?', i)) {
      i += 2;
      skipTo('?>', 'processing instruction');
    } else if (src.startsWith('<!--', i)) {
      i += 4;
      if (skipTo('-->', 'comment').includes('--')) throw new Error(`XML: '--' inside a comment before offset ${i}`);
    } else if (src.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) throw new Error(`XML: CDATA outside the root element at offset ${i}`);
      i += 9;
      stack[stack.length - 1].text += skipTo(']]>', 'CDATA section');
    } else if (src.startsWith('<!DOCTYPE', i)) {
      if (root !== null || stack.length > 0) throw new Error(`XML: DOCTYPE after the root element at offset ${i}`);
      i += 9;
      // Quoted public/system ids may contain '>'; an internal subset ('[') is not needed here.
      while (i < src.length && src[i] !== '>') {
        if (src[i] === '"' || src[i] === "'") {
          const q = src[i++];
          skipTo(q, 'DOCTYPE literal');
        } else if (src[i] === '[') throw new Error('XML: DOCTYPE internal subsets are not supported by this check');
        else i++;
      }
      expect('>');
    } else if (src.startsWith('</', i)) {
      i += 2;
      const m = NAME.exec(src.slice(i));
      if (m === null) throw new Error(`XML: bad end tag at offset ${i}`);
      i += m[0].length;
      while (/\s/.test(src[i] ?? '')) i++;
      expect('>');
      const open = stack.pop();
      if (open === undefined || open.name !== m[0]) throw new Error(`XML: end tag </${m[0]}> does not match <${open?.name ?? '(none)'}>`);
    } else {
      i += 1;
      const m = NAME.exec(src.slice(i));
      if (m === null) throw new Error(`XML: bad tag name at offset ${i}`);
      i += m[0].length;
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      for (;;) {
        const ws = /^\s*/.exec(src.slice(i))![0].length;
        i += ws;
        if (src.startsWith('/>', i) || src[i] === '>') break;
        if (ws === 0) throw new Error(`XML: expected whitespace before an attribute at offset ${i}`);
        const a = NAME.exec(src.slice(i));
        if (a === null) throw new Error(`XML: bad attribute name at offset ${i}`);
        i += a[0].length;
        const eq = /^\s*=\s*/.exec(src.slice(i));
        if (eq === null) throw new Error(`XML: attribute '${a[0]}' without a value at offset ${i}`);
        i += eq[0].length;
        const q = src[i];
        if (q !== '"' && q !== "'") throw new Error(`XML: unquoted value for attribute '${a[0]}' at offset ${i}`);
        i++;
        const raw = skipTo(q, 'attribute value');
        if (raw.includes('<')) throw new Error(`XML: '<' inside the value of attribute '${a[0]}'`);
        if (a[0] in el.attrs) throw new Error(`XML: attribute '${a[0]}' repeated on <${el.name}>`);
        el.attrs[a[0]] = decode(raw, i);
      }
      const selfClosing = src.startsWith('/>', i);
      i += selfClosing ? 2 : 1;
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else if (root === null) root = el;
      else throw new Error(`XML: a second root element <${el.name}> at offset ${i}`);
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length > 0) throw new Error(`XML: <${stack[stack.length - 1].name}> is never closed`);
  if (root === null) throw new Error('XML: no root element');
  return root;
}

/** Every element named `name`, depth first (iteratively). */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const el = stack.pop()!;
    if (el.name === name) out.push(el);
    for (let k = el.children.length - 1; k >= 0; k--) stack.push(el.children[k]);
  }
  return out;
}

/** Renders DOT to SVG with PATH emptied, proving no Graphviz binary is used, and parses the result. */
export async function svgWithoutPath(dot: string, toSvg: (dot: string) => Promise<string>): Promise<XmlElement> {
  const path = process.env.PATH;
  process.env.PATH = '';
  try {
    return parseXml(await toSvg(dot));
  } finally {
    process.env.PATH = path;
  }
}
