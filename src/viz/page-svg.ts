/**
 * @file The drawing a graph page carries (html.ts): Graphviz's SVG rewritten for the page — the same
 * picture in fewer elements and bytes, with every node, edge and cluster already titled in words, and
 * each node's box for the minimap — so that a 10,000-node page is quick to parse and to lay out.
 *
 * Note [a light page]: Chromium spends most of a big page's load parsing and laying out its SVG, and the
 * time grows with elements and bytes, not with what is seen. What Graphviz writes that the page never
 * shows is dropped or said once:
 * - the XML prolog, the comment before every node and edge, and the newlines between elements (each a
 *   text node in the DOM: as many nodes again as the elements);
 * - the `<g id="a_nodeN"><a xlink:title=…>` pair wrapped around every node's shapes: the tooltip goes
 *   into the group's `<title>` (browsers show a `<title>`, not an `<a>`'s xlink:title), replacing the DOT
 *   id Graphviz puts there, which the page keeps as `data-id`; edges are titled "x → mul" and clusters
 *   by their label, as the page's script used to do for all 20,000 groups on load;
 * - the `id`s Graphviz numbers groups with (the page finds nodes by `data-id`);
 * - the font family every label repeats, set once on the `<svg>` (inherited); `text-anchor="start"`,
 *   SVG's default; `xml:space="preserve"` on text that has no spaces for it to preserve (no leading,
 *   trailing or double spaces, no tabs or newlines);
 * - every character past ASCII written as a character reference (and in the rest of the page, as
 *   a reference or a \u escape): one "→" in each of 10,000 edge titles sent the page down Chromium's
 *   slow path for decoding and parsing, where an ASCII page takes the fast one.
 * Nothing about the shapes changes: coordinates keep Graphviz's 0.01 pt (at 0.1 pt, box edges moved
 * by a fifteenth of a pixel were antialiased onto other rows), and a rounded box's straight sides stay
 * the cubics Graphviz writes (written as lines, a tenth less text, Skia shaded a pixel differently).
 * tests/page-svg.test.ts draws every gallery figure both ways in Chromium: the same pixels.
 * The boxes of the nodes (in CSS pixels from the drawing's top left, as getBoundingClientRect would
 * measure them at zoom 1) come from the same pass, so the page draws its minimap (Note [opening view]
 * in page-script.ts) without asking Chromium for 10,000 layouts.
 * In the page itself (html.ts, page-script.ts): the drawing is `hidden` until the script has bound it
 * (a <noscript> style shows it when there is no script) —
 * Chromium pauses a long parse every half second to render, and a visible SVG was restyled and laid
 * out whole at each pause, four times for a 10,000-node page; the nodes' and edges' details (values,
 * gradients, attributes, traced edges) are a second JSON block parsed on the first click, search or
 * backward pass, not on load, and leave out what the panel does not show (a small tensor's histogram)
 * or what is absent (nulls); one click listener serves every node; the style sheet's `*` rule is
 * kept off the drawing's 80,000 elements, where it did nothing but cost style resolution; and the
 * 20,000 `<title>`s are `display: none` — never drawn anyway, but Chromium's style sheet for SVG does
 * not say so, and styling them was a third of the drawing's one layout. A tooltip is the title's
 * innerText, which for an element not rendered is its text: hovering still shows it.
 */
import { escapeXml } from './escape';

interface Element {
  name: string;
  attrs: [string, string][];
  children: Node[];
  /** Written `<x/>` in the source. */
  empty: boolean;
}
type Node = Element | string;

export interface PageSvg {
  svg: string;
  /** The drawing's size in CSS pixels at zoom 1. */
  width: number;
  height: number;
  /** Per node, in document order: its DOT id and box [x, y, width, height], in CSS pixels from the drawing's top left. */
  boxes: [string, number, number, number, number][];
}

const TOKEN = /<!--[\s\S]*?-->|<![^>]*>|<\?[\s\S]*?\?>|<\/([\w:-]+)\s*>|<([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|[^<]+/g;
const ATTR = /([\w:-]+)="([^"]*)"/g;

/** Graphviz's SVG as a tree of elements (comments, the prolog and the DOCTYPE dropped). */
function parse(svg: string): Element {
  const root: Element = { name: '#root', attrs: [], children: [], empty: false };
  const stack: Element[] = [root];
  for (const m of svg.matchAll(TOKEN)) {
    const top = stack[stack.length - 1];
    if (m[1] !== undefined) {
      if (top.name !== m[1]) throw new Error(`toHtml: unexpected </${m[1]}> in Graphviz's SVG (inside <${top.name}>)`);
      stack.pop();
    } else if (m[2] !== undefined) {
      const el: Element = { name: m[2], attrs: [...m[3].matchAll(ATTR)].map((a) => [a[1], a[2]]), children: [], empty: m[4] === '/' };
      top.children.push(el);
      if (!el.empty) stack.push(el);
    } else if (!m[0].startsWith('<')) top.children.push(m[0]);
  }
  if (stack.length !== 1) throw new Error(`toHtml: <${stack[stack.length - 1].name}> is never closed in Graphviz's SVG`);
  return root;
}

function serialize(n: Node, out: string[]): void {
  if (typeof n === 'string') {
    out.push(n);
    return;
  }
  out.push('<', n.name);
  for (const [k, v] of n.attrs) out.push(' ', k, '="', v, '"');
  if (n.empty && n.children.length === 0) {
    out.push('/>');
    return;
  }
  out.push('>');
  for (const c of n.children) serialize(c, out);
  out.push('</', n.name, '>');
}

const ENTITY = /&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** XML character data or an attribute value as the text it stands for. */
function unescape(s: string): string {
  return s.replace(ENTITY, (_m, e: string) =>
    e[0] === '#'
      ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)))
      : NAMED[e.toLowerCase()],
  );
}

const attr = (el: Element, k: string) => el.attrs.find((a) => a[0] === k)?.[1];
const elements = (el: Element) => el.children.filter((c): c is Element => typeof c !== 'string');
const textOf = (el: Element): string => el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');

/** Every `<text>` under `el`, in order. */
function texts(el: Element, out: Element[] = []): Element[] {
  for (const c of elements(el)) {
    if (c.name === 'text') out.push(c);
    else texts(c, out);
  }
  return out;
}

const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi;

/** The extent of a node's shapes (not its text), in Graphviz's coordinates: [minX, minY, maxX, maxY]. */
function extent(el: Element, box = [Infinity, Infinity, -Infinity, -Infinity]): number[] {
  const add = (x: number, y: number) => {
    box[0] = Math.min(box[0], x);
    box[1] = Math.min(box[1], y);
    box[2] = Math.max(box[2], x);
    box[3] = Math.max(box[3], y);
  };
  for (const c of elements(el)) {
    const coords = attr(c, 'points') ?? attr(c, 'd');
    if ((c.name === 'polygon' || c.name === 'polyline' || c.name === 'path') && coords !== undefined) {
      const v = (coords.match(NUMBER) ?? []).map(Number);
      for (let i = 0; i + 1 < v.length; i += 2) add(v[i], v[i + 1]);
    } else if (c.name === 'ellipse') {
      const [cx, cy, rx, ry] = ['cx', 'cy', 'rx', 'ry'].map((k) => Number(attr(c, k) ?? 0));
      add(cx - rx, cy - ry);
      add(cx + rx, cy + ry);
    } else if (c.name !== 'text') extent(c, box);
  }
  return box;
}

/** CSS pixels per unit of length. */
const UNITS: Record<string, number> = { pt: 4 / 3, px: 1, in: 96, cm: 96 / 2.54, mm: 96 / 25.4, pc: 16 };

/** Text SVG draws the same with or without xml:space="preserve". */
const collapses = (s: string) => !/^\s|\s$|\s\s|[\t\n\r]/.test(s);

/** Every character past ASCII as a character reference (Note [a light page]). */
export const ascii = (s: string) => s.replace(/[^\x00-\x7f]/gu, (c) => `&#${c.codePointAt(0)};`);

/** Graphviz's SVG as the page carries it (Note [a light page]). */
export function pageSvg(source: string): PageSvg {
  const root = parse(source);
  const svg = elements(root).find((e) => e.name === 'svg');
  if (svg === undefined) throw new Error("toHtml: Graphviz's output has no <svg> element");
  const graph = elements(svg).find((e) => e.name === 'g' && attr(e, 'class') === 'graph');
  if (graph === undefined) throw new Error("toHtml: Graphviz's SVG has no graph group");

  // The font family most labels name, said once on the <svg>.
  const families = new Map<string, number>();
  for (const t of texts(svg)) {
    const f = attr(t, 'font-family');
    if (f !== undefined) families.set(f, (families.get(f) ?? 0) + 1);
  }
  const family = [...families].sort((a, b) => b[1] - a[1])[0]?.[0];

  // Groups: [kind, element, DOT id, tooltip].
  const groups: [string, Element, string, string | undefined][] = [];
  const words = new Map<string, string>();
  const visit = (el: Element) => {
    for (const c of elements(el)) {
      const kind = c.name === 'g' ? attr(c, 'class') : undefined;
      if (kind === 'node' || kind === 'edge' || kind === 'cluster') {
        const title = elements(c).find((e) => e.name === 'title');
        const id = title ? unescape(textOf(title)) : '';
        let tip: string | undefined;
        // Unwrap the <g id="a_…"><a xlink:title=…> around the shapes, keeping the first tooltip.
        const unwrap = (e: Element): Node[] =>
          e.children.flatMap((k) => {
            if (
              typeof k === 'string' ||
              !((k.name === 'g' && attr(k, 'id')?.startsWith('a_')) || (k.name === 'a' && attr(k, 'xlink:href') === undefined))
            )
              return [k];
            tip ??= attr(k, 'xlink:title') ?? attr(k, 'title');
            return unwrap(k);
          });
        c.children = unwrap(c).filter((k) => k !== title);
        groups.push([kind, c, id, tip === undefined ? undefined : unescape(tip)]);
      } else if (c.name === 'g') visit(c);
    }
  };
  visit(graph);
  for (const [kind, el, id, tip] of groups) {
    if (kind !== 'node') continue;
    words.set(
      id,
      tip ??
        texts(el)
          .map((t) => unescape(textOf(t)))
          .join(' ')
          .trim(),
    );
  }
  const name = (id: string) => (words.get(id) ?? '').split(/[;:]/)[0];
  for (const [kind, el, id, tip] of groups) {
    let said: string;
    if (kind === 'node') said = words.get(id)!;
    else if (kind === 'edge') {
      const [from, to] = id.split('->');
      said = `${name(from)} \u2192 ${name(to ?? '')}`;
    } else
      said =
        tip ??
        texts(el)
          .map((t) => unescape(textOf(t)))
          .join(' ')
          .trim();
    el.attrs = [
      ['class', kind],
      ['data-id', escapeXml(id)],
    ];
    el.children.unshift({ name: 'title', attrs: [], children: [escapeXml(said)], empty: false });
  }

  // Shapes and text, lighter; whitespace between elements dropped.
  const lighten = (el: Element) => {
    if (el.name !== 'text' && el.name !== 'title') el.children = el.children.filter((c) => typeof c !== 'string' || c.trim() !== '');
    for (const c of elements(el)) {
      if (c.name === 'text') {
        const content = unescape(textOf(c));
        c.attrs = c.attrs.filter(
          ([k, v]) =>
            !(k === 'text-anchor' && v === 'start') &&
            !(k === 'font-family' && v === family) &&
            !(k === 'xml:space' && v === 'preserve' && collapses(content)),
        );
      }
      if (c.name === 'g' && attr(c, 'class') === 'graph') c.attrs = c.attrs.filter(([k]) => k !== 'id');
      lighten(c);
    }
  };
  const boxesIn = groups.filter((g) => g[0] === 'node').map(([, el, id]) => [id, extent(el)] as const);
  lighten(svg);
  if (family !== undefined) svg.attrs.push(['font-family', family]);

  // Graphviz's coordinates to CSS pixels: the graph group's transform, then the viewBox onto the <svg>'s size.
  const px = (v: string | undefined) => {
    const m = /^([\d.]+)(pt|px|in|cm|mm|pc)?$/.exec(v ?? '');
    if (m === null) throw new Error(`toHtml: cannot read the size '${v}' of Graphviz's SVG`);
    return Number(m[1]) * UNITS[m[2] ?? 'px'];
  };
  const width = px(attr(svg, 'width'));
  const height = px(attr(svg, 'height'));
  const [vx, vy, vw, vh] = (attr(svg, 'viewBox') ?? `0 0 ${width} ${height}`).split(/[\s,]+/).map(Number);
  const t = attr(graph, 'transform') ?? '';
  const scale = /scale\(([-\d.e]+)[\s,]*([-\d.e]+)?\)/.exec(t);
  const translate = /translate\(([-\d.e]+)[\s,]*([-\d.e]+)?\)/.exec(t);
  const [sx, sy] = scale ? [Number(scale[1]), Number(scale[2] ?? scale[1])] : [1, 1];
  const [tx, ty] = translate ? [Number(translate[1]), Number(translate[2] ?? 0)] : [0, 0];
  const kx = width / vw;
  const ky = height / vh;
  const r2 = (v: number) => Math.round(v * 100) / 100;
  const boxes = boxesIn
    .filter(([, b]) => Number.isFinite(b[0]))
    .map(([id, b]): [string, number, number, number, number] => {
      const x0 = (sx * (b[0] + tx) - vx) * kx;
      const y0 = (sy * (b[1] + ty) - vy) * ky;
      const x1 = (sx * (b[2] + tx) - vx) * kx;
      const y1 = (sy * (b[3] + ty) - vy) * ky;
      return [id, r2(Math.min(x0, x1)), r2(Math.min(y0, y1)), r2(Math.abs(x1 - x0)), r2(Math.abs(y1 - y0))];
    });
  const out: string[] = [];
  serialize(svg, out);
  return { svg: ascii(out.join('')), width, height, boxes };
}
