/**
 * @file `toDot`: the graph behind some tensors as Graphviz DOT (written by dot-print.ts). Op nodes
 * (rounded boxes) alternate with tensor nodes; nodes recorded inside an nn module's forward sit in
 * a cluster per module call, and `collapse` folds deep modules into single nodes.
 *
 * Output is deterministic: ids come from counters in traversal order (src/viz/view.ts), clusters
 * and module nodes are numbered in order of first appearance, and nothing depends on object
 * identity or on what ran before.
 */
import { DotGraph, type DotAttributes } from './dot-print';
import type { ScopeFrame } from '../autograd/scope';
import { Tensor } from '../tensor/tensor';
import { xmlSafe } from './escape';
import { formatNumber, moduleLabel, opLabel, tensorLabel, titleLabel, valuesInWords } from './labels';
import { l2Norm, tracedGradientNorm } from './trace';
import { OpVertex, TensorVertex, viewGraph } from './view';

export interface DotOptions {
  /** Tensor nodes show their values (small tensors) or min/mean/max (large ones). Default false. */
  values?: boolean;
  /** Tensor nodes show their gradient, where backward has stored one. Default false. */
  grads?: boolean;
  /** Flow left to right (default) or top to bottom. */
  rankdir?: 'LR' | 'TB';
  /** Nodes recorded inside an nn module's forward sit in a labelled cluster. Default true. */
  clusters?: boolean;
  /** Modules nested deeper than this (the outermost module has depth 1) are drawn as one node each. */
  collapse?: number;
  /**
   * Composite ops — conv1d, crossEntropy, batchNorm and the others written with tapegrad's own ops —
   * are drawn as one node each, named as they were called (Note [composite scopes]). `true` draws
   * every one as the ops it is made of, in a cluster named after it; a list of names, only those.
   */
  expand?: boolean | readonly string[];
  /**
   * Each module box — a cluster, or a module `collapse` folds into one node — lists the gradient norm
   * ‖∂L/∂t‖ of every tensor leaving it (Note [boxes of repeated calls]), from `.grad` or a traced
   * backward pass (tg.viz.traceBackward). Default false.
   */
  gradNorms?: boolean;
  /** A heading above the graph. */
  title?: string;
  /** Ids of nodes (`tensor.node.id`) whose ops are drawn in red, e.g. the node gradcheck blames. */
  highlight?: readonly number[];
  /**
   * For an expanded graph (`expand: true`), draw only what one output element needs — its products
   * and its bias, the tutorial's figure — given as the element's index in the root's shape.
   */
  focus?: readonly number[];
}

/**
 * What a pointer over a node shows (Graphviz's tooltip): what the node is, in words — not its DOT id.
 * Plain text: XML-safe, one line, quotes left to the DOT printer.
 */
function tooltipText(text: string): string {
  return xmlSafe(text.replace(/[\r\n]+/g, ' '));
}

/** A module cluster of the drawing: its DOT id, its module, and the ids of the nodes drawn directly in it. */
export interface ClusterInfo {
  id: string;
  path: string;
  kind: string;
  depth: number;
  parent: string | null;
  members: string[];
  /** The scope frame's id; for an expanded composite, the same as its node's in the folded drawing. */
  frame: number;
  /** An expanded composite op's cluster, not a module's. */
  composite: boolean;
}

/** A composite op drawn as one node (Note [composite scopes]): what it is and which call it was. */
export interface CompositeNode {
  op: string;
  attrs: string;
  /** The composite's scope frame id (its cluster's `frame` in a drawing that expands it). */
  frame: number;
  /** How many ops it folds. */
  ops: number;
}

/** toDot's text and what it drew: the traversal, the DOT id of every vertex, the clusters. */
export interface DotDrawing {
  dot: string;
  tensors: readonly TensorVertex[];
  ops: readonly OpVertex[];
  tensorIds: Map<TensorVertex, string>;
  opIds: Map<OpVertex, string>;
  clusters: ClusterInfo[];
  /** The composite nodes by DOT id. */
  composites: Map<string, CompositeNode>;
}

/** The scalar that output `index` of an expanded graph's root is made from (DotOptions.focus). */
function focusRoot(op: string, roots: readonly Tensor[], index: readonly number[]): Tensor {
  if (roots.length !== 1) throw new Error(`${op}: focus takes one root, got ${roots.length}`);
  const root = roots[0];
  if (index.length !== root.ndim || index.some((v, d) => !Number.isInteger(v) || v < 0 || v >= root.shape[d])) {
    throw new Error(`${op}: focus ${JSON.stringify(index)} is not an element of the root's shape [${root.shape.join(',')}]`);
  }
  let t = root;
  // Reshapes keep the flat order of the assembled scalars.
  while (t.node !== null && t.node.op === 'reshape') t = t.node.inputs[0];
  if (t.node === null || t.node.op !== 'assemble') {
    throw new Error(
      `${op}: focus needs an expanded graph (expand: true), whose root is assembled from scalars; this one comes from ${t.node?.op ?? 'no op'}`,
    );
  }
  let flat = 0;
  for (let d = 0; d < index.length; d++) flat = flat * root.shape[d] + index[d];
  return t.node.inputs[flat];
}

// Names Graphviz has metrics for: a list such as 'Helvetica,Arial' would be measured as Times and overflow.
const FONT = 'Helvetica';

/**
 * Above this many nodes (an expanded conv2d has thousands) the layout trades polish for time:
 * straight edges and one network-simplex pass instead of iterating to the optimum, which takes
 * Graphviz seconds instead of minutes.
 */
const LARGE_GRAPH = 400;

/** Parameters (leaves that take gradients) green, other leaves (inputs, constants) blue, outputs orange. */
const STYLE = {
  op: { shape: 'box', style: 'rounded,filled', fillcolor: '#ececec', color: '#6b6b6b' },
  highlighted: { shape: 'box', style: 'rounded,filled,bold', fillcolor: '#f5b7b1', color: '#c0392b', penwidth: 2 },
  parameter: { fillcolor: '#d4efdf', color: '#1e8449' },
  input: { fillcolor: '#d6eaf8', color: '#2471a3' },
  intermediate: { fillcolor: '#ffffff', color: '#909090' },
  output: { fillcolor: '#fdebd0', color: '#ca6f1e', penwidth: 2 },
  module: { shape: 'box3d', style: 'filled', fillcolor: '#fcf3cf', color: '#9a7d0a' },
  composite: { shape: 'box', style: 'rounded,filled', fillcolor: '#e8e4f3', color: '#5b4a9b', peripheries: 2 },
  clusterFill: ['#f4f6f9', '#e9edf3'],
} as const;

type Role = 'parameter' | 'input' | 'intermediate' | 'output';

function roleOf(v: TensorVertex): Role {
  if (v.isRoot) return 'output';
  if (v.producer !== null) return 'intermediate';
  return v.tensor.requiresGrad ? 'parameter' : 'input';
}

/** The innermost module frame at or above `frame` (composite frames are not modules). */
function moduleOf(frame: ScopeFrame | null): ScopeFrame | null {
  let f = frame;
  while (f !== null && f.composite !== undefined) f = f.parent;
  return f;
}

/** The frame of the module `collapse` folds `frame` into (its ancestor at depth collapse + 1), or null. */
function collapsedFrame(frame: ScopeFrame | null, collapse: number | undefined): ScopeFrame | null {
  let f = moduleOf(frame);
  if (f === null || collapse === undefined || f.depth <= collapse) return null;
  while (f.depth > collapse + 1) f = moduleOf(f.parent)!;
  return f;
}

/** Which composite ops are drawn as their parts (DotOptions.expand). */
type Expands = (op: string) => boolean;

/** The composite `frame` is folded into: the outermost one around it that is not expanded, or null. */
function foldingComposite(frame: ScopeFrame | null, expands: Expands): ScopeFrame | null {
  let found: ScopeFrame | null = null;
  for (let f = frame; f !== null; f = f.parent) if (f.composite !== undefined && !expands(f.composite.op)) found = f;
  return found;
}

/** The innermost frame enclosing all of `frames`; null if any is null or they share none. */
function commonFrame(frames: readonly (ScopeFrame | null)[]): ScopeFrame | null {
  if (frames.length === 0 || frames.some((f) => f === null)) return null;
  let common: ScopeFrame | null = frames[0];
  for (const f of frames) {
    const chain = new Set<ScopeFrame>();
    for (let g: ScopeFrame | null = f; g !== null; g = g.parent) chain.add(g);
    while (common !== null && !chain.has(common)) common = common.parent;
  }
  return common;
}

/**
 * Note [boxes of repeated calls]: a module called several times — an LSTM cell unrolled over a
 * sequence by a loop, a block whose weights are shared — records one frame per call, all with the
 * same path and class, so its boxes (clusters, or nodes with `collapse`) looked alike. Each call is
 * numbered among the calls of that module in the same parent frame (`call 3 of 8`), in the order
 * they ran (frame ids count up). With `gradNorms`, each box also lists the norm of the gradient of
 * every tensor leaving it — what flows back into that call from the rest of the graph (for an
 * unrolled cell, ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖) — so gradients vanishing or exploding along a chain of
 * boxes can be read off the drawing. A tensor leaves a frame when it is a root or an op outside the
 * frame reads it; the norm comes from its `.grad` (retainGrad) or, failing that, a traced pass.
 */
function callNumbers(ops: readonly OpVertex[]): Map<ScopeFrame, string> {
  const seen = new Set<ScopeFrame>();
  const groups = new Map<ScopeFrame | null, Map<string, ScopeFrame[]>>();
  for (const op of ops) {
    for (let f = op.scope; f !== null && !seen.has(f); f = f.parent) {
      seen.add(f);
      if (f.composite !== undefined) continue;
      let byName = groups.get(f.parent);
      if (byName === undefined) groups.set(f.parent, (byName = new Map()));
      const key = `${f.path}\u0000${f.kind}`;
      const calls = byName.get(key);
      if (calls === undefined) byName.set(key, [f]);
      else calls.push(f);
    }
  }
  const numbers = new Map<ScopeFrame, string>();
  for (const byName of groups.values()) {
    for (const calls of byName.values()) {
      if (calls.length < 2) continue;
      calls.sort((a, b) => a.id - b.id);
      calls.forEach((f, i) => numbers.set(f, `call ${i + 1} of ${calls.length}`));
    }
  }
  return numbers;
}

/** Most gradient norms a box lists; the rest are counted. */
const MAX_BOX_NORMS = 4;

/** Per module frame, `‖∂L/∂name‖ = norm` for each tensor leaving it that has a gradient (Note [boxes of repeated calls]). */
function leavingGradNorms(tensors: readonly TensorVertex[], names: Map<TensorVertex, string>): Map<ScopeFrame, string[]> {
  const within = (f: ScopeFrame | null, box: ScopeFrame): boolean => {
    for (let g = f; g !== null; g = g.parent) if (g === box) return true;
    return false;
  };
  const lines = new Map<ScopeFrame, string[]>();
  // Latest first: a box's last result (an LSTM step's h_t, after its c_t) heads its list.
  for (let k = tensors.length - 1; k >= 0; k--) {
    const v = tensors[k];
    if (v.producer === null) continue;
    const t = v.tensor;
    const norm = t.grad !== null ? l2Norm(t.grad) : tracedGradientNorm(t);
    if (norm === undefined) continue;
    const name = t.name || names.get(v) || `[${t.shape.join(',')}]`;
    for (let f = v.producer.scope; f !== null; f = f.parent) {
      // Once every reader is inside a frame, they are inside its ancestors too.
      if (!v.isRoot && v.consumers.every((c) => within(c.scope, f!))) break;
      if (f.composite !== undefined) continue;
      let list = lines.get(f);
      if (list === undefined) lines.set(f, (list = []));
      list.push(`‖∂L/∂${name}‖ = ${formatNumber(norm)}`);
    }
  }
  for (const [f, list] of lines) {
    if (list.length > MAX_BOX_NORMS) lines.set(f, [...list.slice(0, MAX_BOX_NORMS), `… ${list.length - MAX_BOX_NORMS} more`]);
  }
  return lines;
}

function checkOptions(opts: DotOptions): void {
  const { collapse, rankdir, expand } = opts;
  if (expand !== undefined && typeof expand !== 'boolean' && !(Array.isArray(expand) && expand.every((e) => typeof e === 'string'))) {
    throw new Error(`toDot: expand must be true, false or a list of op names, got ${JSON.stringify(expand)}`);
  }
  if (collapse !== undefined && !(Number.isInteger(collapse) && collapse >= 0)) {
    throw new Error(`toDot: collapse must be a non-negative integer, got ${collapse}`);
  }
  if (rankdir !== undefined && rankdir !== 'LR' && rankdir !== 'TB') {
    throw new Error(`toDot: rankdir must be 'LR' or 'TB', got '${rankdir}'`);
  }
}

/** Where a vertex is drawn: in a cluster (or the top level), or folded into a collapsed module. */
type Placement = { frame: ScopeFrame | null; into: null } | { frame: null; into: ScopeFrame };

/**
 * Places ops in their module; tensors an op made beside it; parameters in the innermost module
 * using all their consumers; inputs and constants at the top level. A collapsed module swallows
 * what it made except the tensors that leave it.
 */
function place(tensors: readonly TensorVertex[], ops: readonly OpVertex[], collapse: number | undefined, expands: Expands) {
  // One Placement object per frame, shared by every vertex placed there.
  const inFrame = new Map<ScopeFrame | null, Placement>();
  const intoFrame = new Map<ScopeFrame, Placement>();
  const at = (frame: ScopeFrame | null): Placement => {
    let p = inFrame.get(frame);
    if (p === undefined) inFrame.set(frame, (p = { frame, into: null }));
    return p;
  };
  const folded = (into: ScopeFrame): Placement => {
    let p = intoFrame.get(into);
    if (p === undefined) intoFrame.set(into, (p = { frame: null, into }));
    return p;
  };
  // The parameters and buffers of the modules that recorded ops, found once when first needed.
  let ownedTensors: Set<Tensor> | null = null;
  const owned = (): Set<Tensor> => {
    if (ownedTensors !== null) return ownedTensors;
    ownedTensors = new Set();
    const seen = new Set<ScopeFrame>();
    for (const op of ops) {
      for (let f = op.scope; f !== null && !seen.has(f); f = f.parent) {
        seen.add(f);
        for (const [, t] of f.tensorNames?.() ?? []) ownedTensors.add(t);
      }
    }
    return ownedTensors;
  };
  const opPlace = new Map<OpVertex, Placement>();
  for (const op of ops) {
    const into = collapsedFrame(op.scope, collapse) ?? foldingComposite(op.scope, expands);
    opPlace.set(op, into !== null ? folded(into) : at(op.scope));
  }
  const tensorPlace = new Map<TensorVertex, Placement>();
  for (const v of tensors) {
    let frame: ScopeFrame | null = null;
    if (v.producer !== null) {
      const p = opPlace.get(v.producer)!;
      if (p.into === null) {
        tensorPlace.set(v, p);
        continue;
      }
      const leaves = v.isRoot || v.consumers.some((c) => opPlace.get(c)!.into !== p.into);
      if (!leaves) {
        tensorPlace.set(v, p);
        continue;
      }
      frame = p.into.parent;
    } else if (v.tensor.requiresGrad) {
      // A parameter is drawn beside the ops that use it, but outside a composite drawn as one node, and
      // outside an expanded composite it is an argument of: it is an input.
      frame = commonFrame(v.consumers.map((c) => c.scope));
      const comp = foldingComposite(frame, expands);
      if (comp !== null) frame = comp.parent;
      while (frame !== null && frame.composite !== undefined && frame.composite.inputs.includes(v.tensor)) frame = frame.parent;
      const module = moduleOf(frame);
      if (module !== null && module.tensorNames !== undefined && !owned().has(v.tensor)) {
        // Not a parameter or buffer of any module drawn (an nn.Module's frame knows its own): an argument
        // of a module's forward that takes gradients (an RNN's initial state h_0), drawn outside the
        // outermost module, as an input.
        let outer = module;
        for (let f: ScopeFrame | null = module; f !== null; f = f.parent) if (f.composite === undefined) outer = f;
        frame = outer.parent;
      }
      const into = v.isRoot ? null : collapsedFrame(frame, collapse);
      if (into !== null) {
        tensorPlace.set(v, folded(into));
        continue;
      }
    } else if (!v.isRoot && v.consumers.length > 0) {
      // A constant made inside a composite drawn as one node (a one-hot of the targets, a 0.5) is part of it.
      const into = opPlace.get(v.consumers[0])!.into;
      if (
        into !== null &&
        into.composite !== undefined &&
        !into.composite.inputs.includes(v.tensor) &&
        v.consumers.every((c) => opPlace.get(c)!.into === into)
      ) {
        tensorPlace.set(v, folded(into));
        continue;
      }
    }
    tensorPlace.set(v, at(frame));
  }
  return { opPlace, tensorPlace };
}

/**
 * Note [names in drawings]: a user's tensors are rarely all named, and the ops inside a composite
 * make new ones. A drawing names what it can, without touching the tensors: a module's parameters
 * by their state-dict keys (`0.weight`, from the module frames that used them); the output of a
 * reshape by its input's name (a name survives internal reshapes); an element picked out of a tensor
 * by that tensor's name and the index (`x[0,2,3,3]`), an unnamed tensor being called `input0`,
 * `input1`, … in drawing order; and the product of two named scalars by both (`x[2]·w[0]`).
 */
function displayNames(tensors: readonly TensorVertex[]): Map<TensorVertex, string> {
  const names = new Map<TensorVertex, string>();
  const stateDict = new Map<Tensor, string>();
  const framesSeen = new Set<ScopeFrame>();
  for (const v of tensors) {
    if (v.producer !== null || !v.tensor.requiresGrad) continue;
    for (const c of v.consumers) {
      for (let f = c.scope; f !== null && !framesSeen.has(f); f = f.parent) {
        framesSeen.add(f);
        for (const [key, t] of f.tensorNames?.() ?? []) if (!stateDict.has(t)) stateDict.set(t, key);
      }
    }
  }
  let unnamed = 0;
  const nameOf = (v: TensorVertex): string | undefined => v.tensor.name || names.get(v);
  for (const v of tensors) {
    const t = v.tensor;
    if (t.name) continue;
    const op = v.producer;
    let name: string | undefined;
    if (op === null) name = stateDict.get(t);
    else if (op.op === 'reshape') name = nameOf(op.inputs[0]);
    else if (op.op === 'element') {
      const from = op.inputs[0];
      let base = nameOf(from);
      if (base === undefined && from.producer === null) names.set(from, (base = `input${unnamed++}`));
      if (base !== undefined) name = `${base}${op.attrs}`;
    } else if (op.op === 'mul' && t.ndim === 0) {
      const [a, b] = op.inputs.map(nameOf);
      if (a !== undefined && b !== undefined) name = `${a}·${b}`;
    }
    if (name !== undefined) names.set(v, name);
  }
  return names;
}

/**
 * Note [pickers in order]: an expanded convolution picks each element of x and w out with an `element`
 * node, made when a product first needs it — so in traversal order x's and w's pickers interleave
 * (x[0], w[2], x[1], w[1], …), and Graphviz, which starts its crossing minimisation from the order
 * nodes are written in, drew the two columns of pickers shuffled together, their edges crossing.
 * Written grouped per tensor, each group in index order (all of x's, then all of w's), and each group
 * in an invisible cluster of its own, the columns come out apart: Graphviz may still order a group's
 * members to shorten edges (a flipped kernel's w[2] first), but never mixes two groups. Only pickers
 * drawn as nodes of their own (not folded into a module) are grouped.
 */
function pickerGroups(tensors: readonly TensorVertex[], opPlace: Map<OpVertex, Placement>): Map<TensorVertex, TensorVertex[]> {
  const groups = new Map<TensorVertex, { at: number[]; v: TensorVertex }[]>();
  for (const v of tensors) {
    const op = v.producer;
    if (op === null || op.op !== 'element' || opPlace.get(op)!.into !== null) continue;
    const from = op.inputs[0];
    let group = groups.get(from);
    if (group === undefined) groups.set(from, (group = []));
    group.push({ at: (v.tensor.node!.attrs as { at: number[] }).at, v });
  }
  const ordered = new Map<TensorVertex, TensorVertex[]>();
  for (const [from, group] of groups) {
    group.sort((a, b) => {
      for (let d = 0; d < a.at.length; d++) if (a.at[d] !== b.at[d]) return a.at[d] - b.at[d];
      return 0;
    });
    ordered.set(
      from,
      group.map((e) => e.v),
    );
  }
  return ordered;
}

/**
 * The graph that produced `roots` as DOT text: one node per tensor and per op, edges in argument
 * order (labelled with the position when an op takes several inputs).
 */
export function toDot(roots: Tensor | readonly Tensor[], opts: DotOptions = {}): string {
  return drawDot('toDot', roots, opts).dot;
}

/** toDot, keeping what it drew (tg.viz.toHtml builds its page from this). */
export function drawDot(
  opName: string,
  roots: Tensor | readonly Tensor[],
  opts: DotOptions = {},
  cutAt?: (t: Tensor) => boolean,
): DotDrawing {
  checkOptions(opts);
  let rootList = roots instanceof Tensor ? [roots] : [...roots];
  if (opts.focus !== undefined) rootList = [focusRoot(opName, rootList, opts.focus)];
  const { values = false, grads = false, rankdir = 'LR', clusters = true, collapse, title } = opts;
  const highlighted = new Set(opts.highlight ?? []);
  const { tensors, ops } = viewGraph(rootList, cutAt);
  const expandOpt = opts.expand ?? false;
  const expands: Expands = typeof expandOpt === 'boolean' ? () => expandOpt : (op) => expandOpt.includes(op);
  const { opPlace, tensorPlace } = place(tensors, ops, collapse, expands);
  const names = displayNames(tensors);
  const calls = callNumbers(ops);
  const norms = opts.gradNorms === true ? leavingGradNorms(tensors, names) : new Map<ScopeFrame, string[]>();
  /** What a module's box says below its name: which call it is, how many ops it folds, its gradient norms. */
  const boxDetail = (f: ScopeFrame, folded?: string): string | undefined => {
    const head = [calls.get(f), folded].filter((s) => s !== undefined).join(' · ');
    const lines = [...(head !== '' ? [head] : []), ...(norms.get(f) ?? [])];
    return lines.length > 0 ? lines.join('\n') : undefined;
  };

  const large = tensors.length + ops.length > LARGE_GRAPH;
  const g = DotGraph.digraph('tapegrad', {
    rankdir,
    ...(large ? { splines: 'line', nslimit: 1, nslimit1: 1 } : {}),
    fontname: FONT,
    fontsize: 12,
    nodesep: 0.2,
    ranksep: 0.35,
    bgcolor: 'white',
    ...(title !== undefined ? { label: titleLabel(title), labelloc: 't', labeljust: 'l' } : {}),
  });
  g.setDefaults(
    { color: '#707070', arrowsize: 0.6, fontname: FONT, fontsize: 9, fontcolor: '#505050' },
    { fontname: FONT, fontsize: 11, shape: 'box', style: 'filled', margin: '0.08,0.04', height: 0.3 },
  );

  const containers = new Map<ScopeFrame, DotGraph>();
  const clusterList: ClusterInfo[] = [];
  const clusterOf = new Map<DotGraph, ClusterInfo>();
  const tensorIds = new Map<TensorVertex, string>();
  const opIds = new Map<OpVertex, string>();
  /** Creates a node, noting which cluster it was drawn in. */
  const nodeIn = (container: DotGraph, id: string, attrs: DotAttributes) => {
    container.node(id, attrs);
    clusterOf.get(container)?.members.push(id);
  };
  const containerOf = (frame: ScopeFrame | null): DotGraph => {
    if (frame === null || !clusters) return g;
    const known = containers.get(frame);
    if (known !== undefined) return known;
    const chain: ScopeFrame[] = [];
    for (let f: ScopeFrame | null = frame; f !== null && !containers.has(f); f = f.parent) chain.push(f);
    let parent: DotGraph = chain[chain.length - 1].parent === null ? g : containers.get(chain[chain.length - 1].parent!)!;
    for (let i = chain.length - 1; i >= 0; i--) {
      const f = chain[i];
      const id = `cluster_${containers.size}`;
      const sub = parent.subgraph(id, {
        // An expanded composite's cluster is named after the op; a module's after its path and class.
        label:
          f.composite !== undefined
            ? moduleLabel('', f.composite.attrs ? `${f.kind} ${f.composite.attrs}` : f.kind)
            : moduleLabel(f.path, f.kind, boxDetail(f)),
        labeljust: 'l',
        fontsize: 11,
        style: 'rounded,filled',
        color: '#a5adb8',
        // A composite expanded outside any module has depth 0: the outermost shade, not an undefined (black) one.
        fillcolor: STYLE.clusterFill[Math.max(0, f.depth - 1) % STYLE.clusterFill.length],
      });
      containers.set(f, sub);
      const info: ClusterInfo = {
        id,
        path: f.path,
        kind: f.kind,
        depth: f.depth,
        parent: clusterOf.get(parent)?.id ?? null,
        members: [],
        frame: f.id,
        composite: f.composite !== undefined,
      };
      clusterList.push(info);
      clusterOf.set(sub, info);
      parent = sub;
    }
    return parent;
  };

  // How many ops each collapsed module swallows, counted once (not per module: a long run of module calls would be quadratic).
  const foldedOps = new Map<ScopeFrame, number>();
  for (const op of ops) {
    const into = opPlace.get(op)!.into;
    if (into !== null) foldedOps.set(into, (foldedOps.get(into) ?? 0) + 1);
  }
  // Note [shared labels]: most nodes of a big graph say the same thing (a chain's `[3] float32`, its `tanh`):
  // one string per distinct label, not one per node, keeps a 100,000-op drawing's memory near the size of its text.
  const shared = new Map<string, string>();
  const once = (key: string, make: () => string): string => {
    let text = shared.get(key);
    if (text === undefined) shared.set(key, (text = make()));
    return text;
  };

  const moduleIds = new Map<ScopeFrame, string>();
  const composites = new Map<string, CompositeNode>();
  let compositeCount = 0;
  const moduleNode = (frame: ScopeFrame): string => {
    let id = moduleIds.get(frame);
    if (id === undefined && frame.composite !== undefined) {
      // A composite op drawn as one node, named as it was called (Note [composite scopes]).
      const { op, attrs } = frame.composite;
      const inside = foldedOps.get(frame) ?? 0;
      id = `c${compositeCount++}`;
      moduleIds.set(frame, id);
      composites.set(id, { op, attrs, frame: frame.id, ops: inside });
      nodeIn(containerOf(frame.parent), id, {
        label: once(`op\u0000${op}\u0000${attrs}`, () => opLabel(op, attrs)),
        ...STYLE.composite,
        tooltip: tooltipText(
          `${op}${attrs ? ` ${attrs}` : ''}: a composite of ${inside} op${inside === 1 ? '' : 's'} (expand: true draws them)`,
        ),
      });
    }
    if (id === undefined) {
      id = `m${moduleIds.size - compositeCount}`;
      moduleIds.set(frame, id);
      const inside = foldedOps.get(frame) ?? 0;
      const detail = boxDetail(frame, `${inside} op${inside === 1 ? '' : 's'}`)!;
      nodeIn(containerOf(frame.parent), id, {
        label: moduleLabel(frame.path, frame.kind, detail),
        ...STYLE.module,
        tooltip: tooltipText(`${frame.path === '' ? '' : `${frame.path}: `}${frame.kind} (${detail.replace(/\n/g, '; ')}, folded)`),
      });
    }
    return id;
  };

  const opId = (op: OpVertex): string => {
    const known = opIds.get(op);
    if (known !== undefined) return known;
    const p = opPlace.get(op)!;
    const id = p.into !== null ? moduleNode(p.into) : `op${op.index}`;
    opIds.set(op, id);
    return id;
  };
  const tensorId = (v: TensorVertex): string => {
    const known = tensorIds.get(v);
    if (known !== undefined) return known;
    const p = tensorPlace.get(v)!;
    const id = p.into !== null ? moduleNode(p.into) : `t${v.index}`;
    tensorIds.set(v, id);
    return id;
  };

  // Nodes in traversal order, each op just before the tensor it made — but an expanded graph's element
  // pickers grouped per tensor, in index order (Note [pickers in order]).
  const drawOrder: OpVertex[] = [];
  /** Writes v (and the op that made it) into its container, or into `box` inside it (a group of pickers). */
  const emit = (v: TensorVertex, box?: DotGraph): void => {
    const into = (container: DotGraph, id: string, attrs: DotAttributes) => {
      if (box === undefined) return nodeIn(container, id, attrs);
      box.node(id, attrs);
      clusterOf.get(container)?.members.push(id);
    };
    const op = v.producer;
    if (op !== null) {
      drawOrder.push(op);
      const p = opPlace.get(op)!;
      if (p.into !== null) moduleNode(p.into);
      else {
        into(containerOf(p.frame), `op${op.index}`, {
          label: once(`op\u0000${op.op}\u0000${op.attrs}`, () => opLabel(op.op, op.attrs)),
          ...(highlighted.has(op.nodeId) ? STYLE.highlighted : STYLE.op),
          // No node id: it counts every node ever made, and the text must not depend on what ran before.
          tooltip: once(`tip\u0000${op.op}\u0000${op.attrs}\u0000${op.scope?.path}\u0000${op.scope?.kind}`, () =>
            tooltipText(`${op.op}${op.attrs ? ` ${op.attrs}` : ''}${op.scope ? ` (in ${op.scope.path}: ${op.scope.kind})` : ''}`),
          ),
        });
      }
      opId(op);
    }
    const p = tensorPlace.get(v)!;
    if (p.into !== null) {
      moduleNode(p.into);
      return;
    }
    const t = v.tensor;
    const name = t.name || names.get(v);
    const attrs: DotAttributes = {
      // Without value or grad columns a label depends only on the name, shape and dtype (Note [shared labels]).
      label:
        values || (grads && t.grad !== null)
          ? tensorLabel(t, { values, grads, name })
          : once(`t\u0000${name}\u0000${t.shape.join(',')}\u0000${t.dtype}`, () => tensorLabel(t, { values, grads, name })),
      ...STYLE[roleOf(v)],
      // Name, shape, dtype, values and gradient in words — never a DOT id.
      tooltip: tooltipText(
        `${name ?? roleOf(v)} [${t.shape.join(',')}] ${t.dtype}; value ${valuesInWords(t)}` +
          (t.grad !== null ? `; grad ${valuesInWords(t.grad)}` : ''),
      ),
    };
    into(containerOf(p.frame), `t${v.index}`, attrs);
    tensorId(v);
  };
  const pickers = pickerGroups(tensors, opPlace);
  const emitted = new Set<TensorVertex>();
  let pickBoxes = 0;
  for (const v of tensors) {
    if (emitted.has(v)) continue;
    const group = v.producer !== null && v.producer.op === 'element' ? pickers.get(v.producer.inputs[0]) : undefined;
    // A group sits in an invisible cluster of its own, which keeps Graphviz from shuffling it into another.
    const frame = opPlace.get(v.producer!)?.frame ?? null;
    const box =
      group !== undefined && group.length > 1 ? containerOf(frame).subgraph(`cluster_pick${pickBoxes++}`, { style: 'invis' }) : undefined;
    for (const u of group ?? [v]) {
      emitted.add(u);
      emit(u, box);
    }
  }

  // Edges in the order the ops were drawn, inputs in argument order; edges inside a collapsed module vanish and
  // repeated edges into or out of one are drawn once.
  const drawn = new Set<string>();
  const edge = (from: string, to: string, attrs: DotAttributes, merged: boolean) => {
    if (from === to) return;
    if (merged) {
      const key = `${from}->${to}`;
      if (drawn.has(key)) return;
      drawn.add(key);
    }
    g.edge(from, to, attrs);
  };
  for (const op of drawOrder) {
    const to = opId(op);
    const into = opPlace.get(op)!.into;
    const intoModule = into !== null;
    // Edges into a composite's node are numbered by the composite's own arguments (x 0, w 1, …).
    const args = into?.composite?.inputs;
    op.inputs.forEach((x, i) => {
      const from = tensorId(x);
      const arg = args !== undefined && args.length > 1 ? args.indexOf(x.tensor) : -1;
      const label = !intoModule && op.inputs.length > 1 ? String(i) : arg >= 0 ? String(arg) : null;
      edge(from, to, label !== null ? { label } : {}, intoModule || tensorPlace.get(x)!.into !== null);
    });
    edge(to, tensorId(op.output), {}, intoModule);
  }
  for (const v of tensors) tensorId(v);
  return { dot: g.toString(), tensors, ops, tensorIds, opIds, clusters: clusterList, composites };
}
