/**
 * @file tg.viz.toHtml (SPEC §13): the graph as one self-contained page — the SVG Graphviz lays out
 * (in Node, or wherever toSvg runs), inline and made lighter for the page (page-svg.ts, Note [a light
 * page]), with the data the page needs in two JSON blocks — what it needs on load (clusters, the
 * traced backward pass's order, the nodes' boxes), and each tensor's values and gradient as summaries
 * and each op's attributes, parsed on first use — and a small script (page-script.ts) for pan and
 * zoom, the side panel, folding, search and dependency highlighting. No request leaves the page.
 *
 * Note [big graphs]: Graphviz needs seconds for a few thousand nodes and minutes beyond. Above
 * `maxNodes` the page draws the folded view instead — modules collapsed, shallowest first — and when
 * that is still too big (a long chain has no modules), the part of the graph nearest the outputs,
 * saying so at the top.
 *
 * Note [stepping through backward]: after tg.viz.traceBackward, the page can replay the pass one rule
 * at a time: `rules` lists every rule that ran, in order, with the node it is drawn as — its op, or
 * the module or composite node it is folded into (an unrolled LSTM's step box holds a step's
 * eighteen rules, listed as the range of steps it ran). Stepping shows the marks of the rules run so
 * far and outlines the node running now, so the gradient can be followed back through the boxes.
 *
 * Note [expanding on the page]: a composite op (linear, softmax, conv1d, an LSTM cell, attention…) is
 * one node (Note [composite scopes]); the page can show what it is made of without a round trip. When
 * the drawing has composites, the page carries a second drawing of the same graph — same folding, same
 * cut — with every composite expanded into a cluster (inert, in a <template>, until asked for), and the
 * data of both. Its DOT ids agree with the first's (both number the same traversal), and a composite
 * node knows its scope frame, as does the cluster that draws it expanded: clicking "expand" on a
 * composite swaps the drawings and brings that cluster into view; clicking an expanded composite's
 * cluster label swaps back to its node. Only when the expanded drawing is within `maxNodes`.
 */
import type { Tensor } from '../tensor/tensor';
import type { ScopeFrame } from '../autograd/scope';
import { DotDrawing, DotOptions, drawDot } from './dot';
import { escapeXml } from './escape';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-script';
import { ascii, pageSvg, PageSvg } from './page-svg';
import { toSvg } from './svg';
import { summarize, ValueSummary } from './summary';
import { tracedGradient, tracedRule } from './trace';
import { viewGraph } from './view';

export interface HtmlOptions extends DotOptions {
  /** Above this many nodes (tensors plus ops), Note [big graphs] applies. Default 3000. */
  maxNodes?: number;
}

const DEFAULT_MAX_NODES = 3000;

type Json = Record<string, unknown>;

function pageData(d: DotDrawing, title: string, notice: string | null): Json {
  const nodes: Record<string, Json> = {};
  let traced = false;
  for (const v of d.tensors) {
    const id = d.tensorIds.get(v)!;
    if (!id.startsWith('t')) continue;
    const total = tracedGradient(v.tensor);
    if (total) traced = true;
    nodes[id] = {
      kind: 'tensor',
      // What is absent is left out, not written as null (Note [a light page]).
      ...(v.tensor.name !== undefined ? { name: v.tensor.name } : {}),
      dtype: v.tensor.dtype,
      shape: [...v.tensor.shape],
      role: v.isRoot ? 'output' : v.producer ? 'intermediate' : v.tensor.requiresGrad ? 'parameter or input' : 'constant',
      ...(v.producer && d.opIds.has(v.producer) ? { producer: d.opIds.get(v.producer) } : {}),
      value: shown(summarize(v.tensor)),
      ...(v.tensor.grad ? { grad: shown(summarize(v.tensor.grad)) } : {}),
      ...(total ? { tracedGrad: shown(total) } : {}),
    };
  }
  const edges: Record<string, Json> = {};
  const rules: { step: number; node: string }[] = [];
  for (const op of d.ops) {
    const id = d.opIds.get(op)!;
    const node = op.output.tensor.node;
    const rule = node ? tracedRule(node) : undefined;
    if (id.startsWith('op')) {
      const module = moduleWords(op.scope);
      nodes[id] = {
        kind: 'op',
        op: op.op,
        ...(op.attrs ? { attrs: op.attrs } : {}),
        nodeId: op.nodeId,
        ...(module !== null ? { module } : {}),
        ...(node?.stack ? { stack: node.stack } : {}),
        ...(rule !== undefined ? { step: rule.step } : {}),
      };
    }
    if (rule !== undefined) rules.push({ step: rule.step, node: id });
    if (rule !== undefined && !id.startsWith('op')) {
      // A module or composite drawn as one node: the steps of the rules it holds (Note [stepping through backward]).
      const folded = (nodes[id] ??= { kind: 'folded', steps: [rule.step, rule.step], rules: 0 }) as { steps: number[]; rules: number };
      folded.steps = [Math.min(folded.steps[0], rule.step), Math.max(folded.steps[1], rule.step)];
      folded.rules++;
    }
    if (rule) {
      traced = true;
      op.inputs.forEach((x, i) => {
        const g = rule.grads[i];
        if (g) edges[`${d.tensorIds.get(x)}->${id}`] = { step: rule.step, input: i, ...g };
      });
    }
  }
  // Repeated identical blocks: sibling clusters of one kind with the same ops, in order.
  const signature = new Map<string, string[]>();
  for (const c of d.clusters) {
    const ops = c.members
      .filter((m) => m.startsWith('op'))
      .map((m) => (nodes[m] as { op: string }).op)
      .join(',');
    const key = `${c.parent}|${c.kind}|${ops}|${c.members.length}`;
    signature.set(key, [...(signature.get(key) ?? []), c.id]);
  }
  const repeats = [...signature.values()].filter((ids) => ids.length > 1);
  rules.sort((a, b) => a.step - b.step);
  // Composite ops drawn as one node: what the page needs to expand them (Note [expanding on the page]).
  for (const [id, c] of d.composites) nodes[id] = { ...(nodes[id] ?? { kind: 'folded', steps: null, rules: 0 }), composite: c };
  return { title, notice, nodes, clusters: d.clusters, edges, repeats, traced, rules };
}

/**
 * A summary as the page's panel shows it: a tensor of at most 16 numbers is shown as its numbers, so
 * its histogram and heatmap planes are left out of the page (Note [a light page]).
 */
function shown(s: ValueSummary): ValueSummary | Omit<ValueSummary, 'histogram'> {
  if (s.values === undefined || s.size > 16) return s;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { histogram, planes, ...rest } = s;
  return rest;
}

/** The module whose forward recorded an op, in words — past the composite ops around it (Note [composite scopes]). */
function moduleWords(scope: ScopeFrame | null): string | null {
  let f = scope;
  while (f !== null && f.composite !== undefined) f = f.parent;
  return f === null ? null : `${f.path} (${f.kind})`;
}

/**
 * Embeds JSON in a script element: nothing in it can close the element or start markup; past ASCII
 * (U+2028 and U+2029 among it) as \u escapes, so the page's big blocks stay ASCII (Note [a light page]).
 */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The page's script in ASCII: what lies past it as \u escapes, which mean the same in its strings (Note [a light page]). */
const SCRIPT = PAGE_SCRIPT.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** How many nodes a drawing has (a folded module or composite counts once). */
const size = (d: DotDrawing) => new Set([...d.tensorIds.values(), ...d.opIds.values()]).size;

/** The drawing to lay out, within Note [big graphs]. */
interface Drawable {
  drawing: DotDrawing;
  notice: string | null;
  /** The same drawing (same folding and cut) with other options, e.g. every composite expanded. */
  again: (extra: DotOptions) => DotDrawing;
}

function drawable(roots: readonly Tensor[], opts: HtmlOptions): Drawable {
  const max = opts.maxNodes ?? DEFAULT_MAX_NODES;
  // Counted on the traversal alone: building the DOT of a graph too big to lay out is wasted work.
  const view = viewGraph(opts.focus === undefined ? roots : [roots[0]]);
  const total = view.tensors.length + view.ops.length;
  if (total <= max || opts.focus !== undefined) {
    return { drawing: drawDot('toHtml', roots, opts), notice: null, again: (extra) => drawDot('toHtml', roots, { ...opts, ...extra }) };
  }
  // Composite ops' frames are not modules (Note [composite scopes]): only a module can be folded.
  const inModule = (f: ScopeFrame | null): boolean => f !== null && (f.composite === undefined || inModule(f.parent));
  const hasModules = view.ops.some((op) => inModule(op.scope));
  for (let depth = 0; hasModules && opts.collapse === undefined && depth <= 4; depth++) {
    const folded = drawDot('toHtml', roots, { ...opts, collapse: depth });
    if (size(folded) <= max) {
      return {
        drawing: folded,
        again: (extra) => drawDot('toHtml', roots, { ...opts, collapse: depth, ...extra }),
        notice: `This graph has ${total.toLocaleString('en-US')} nodes, more than Graphviz lays out quickly (${max.toLocaleString('en-US')}): modules nested deeper than ${depth} are folded into one node each.`,
      };
    }
  }
  // No modules to fold: the part nearest the outputs, cut where the budget runs out.
  const keep = new Set<Tensor>();
  const queue = [...roots];
  while (queue.length > 0 && keep.size < max / 2) {
    const t = queue.shift()!;
    if (keep.has(t)) continue;
    keep.add(t);
    if (t.node) queue.push(...t.node.inputs);
  }
  const cutAt = (t: Tensor) => !keep.has(t);
  const cut = drawDot('toHtml', roots, opts, cutAt);
  return {
    drawing: cut,
    again: (extra) => drawDot('toHtml', roots, { ...opts, ...extra }, cutAt),
    notice: `This graph has ${total.toLocaleString('en-US')} nodes, more than Graphviz lays out quickly (${max.toLocaleString('en-US')})${hasModules ? ', even folded' : ', and no modules to fold'}: the ${keep.size.toLocaleString('en-US')} tensors nearest the outputs are drawn; the rest of the graph is cut off at the left.`,
  };
}

/** The graph behind `roots` as one self-contained HTML page (SPEC §13). */
export async function toHtml(roots: Tensor | readonly Tensor[], opts: HtmlOptions = {}): Promise<string> {
  const rootList = Array.isArray(roots) ? [...roots] : [roots as Tensor];
  const { drawing, notice, again } = drawable(rootList, opts);
  // The same graph with every composite drawn as its ops, when it has any and is small enough (Note [expanding on the page]).
  let expanded: DotDrawing | null = drawing.composites.size > 0 ? again({ expand: true }) : null;
  if (expanded !== null && size(expanded) > (opts.maxNodes ?? DEFAULT_MAX_NODES)) expanded = null;
  const svg = pageSvg(await toSvg(drawing.dot));
  const expandedSvg = expanded !== null ? pageSvg(await toSvg(expanded.dot)) : null;
  const title = opts.title ?? 'tapegrad graph';
  // What the page needs on load, and the nodes' and edges' details, parsed on first use (Note [a light page]).
  const split = (d: DotDrawing, s: PageSvg) => {
    const { nodes, edges, ...head } = pageData(d, title, notice);
    return { head: { ...head, width: s.width, height: s.height, boxes: s.boxes }, details: { nodes, edges } };
  };
  const main = split(drawing, svg);
  const second = expanded !== null && expandedSvg !== null ? split(expanded, expandedSvg) : null;
  const data = { ...main.head, expanded: second?.head ?? null };
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${ascii(escapeXml(title))}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    // Without the script, the drawing is shown as it is (it is hidden only until the script has bound it).
    '<noscript><style>#canvas { display: block; }</style></noscript>',
    '</head><body>',
    '<header><h1 id="title"></h1><div class="tools">',
    '<input id="search" type="search" placeholder="search names and ops" aria-label="search">',
    '<button id="fit" type="button">fit</button><button id="zoom-in" type="button">+</button><button id="zoom-out" type="button">&#8722;</button>',
    '<button id="fold-repeats" type="button" hidden>fold repeated blocks</button>',
    '<button id="composites" type="button" hidden>expand composite ops</button>',
    '<label id="backward-toggle" hidden><input id="backward" type="checkbox"> backward pass</label>',
    '<span id="stepper" hidden><button id="step-prev" type="button" aria-label="previous backward step">&#9664;</button>' +
      '<input id="step" type="range" min="1" step="1" aria-label="backward step"><button id="step-next" type="button" aria-label="next backward step">&#9654;</button>' +
      ' <span id="step-label" class="muted"></span></span>',
    '<span id="count" class="muted"></span></div><p id="notice" hidden></p></header>',
    // Hidden while Chromium parses it, so it is laid out once, not again at every pause of the parser (Note [a light page]).
    '<main><div id="viewport"><div id="canvas" hidden>',
    svg.svg,
    '</div><div id="minimap" title="overview: click or drag to move the view"><canvas></canvas><div id="minimap-view"></div></div></div><aside id="panel"><p class="muted">Click a node for its values, gradient and attributes; click a module\'s label to fold it.</p></aside></main>',
    ...(expandedSvg !== null ? [`<template id="expanded-svg">${expandedSvg.svg}</template>`] : []),
    `<script type="application/json" id="graph-data">${scriptJson(data)}</script>`,
    `<script type="application/json" id="graph-details">${scriptJson(main.details)}</script>`,
    ...(second !== null ? [`<script type="application/json" id="expanded-details">${scriptJson(second.details)}</script>`] : []),
    `<script>${SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
