/**
 * @file The gallery: the graphs `tapegrad graph` draws and docs/graphs shows (an application
 * of the library, published as tg.viz.namedGraph by src/viz-namespace.ts): the tutorial's 1-D convolution
 * (x = (0,1,2,3,4), w = (1,−1,2)), its 5×5×3 convolution layer (K = 2 filters of 3×3×3, stride 2,
 * pad 1), a small MLP and CNN for the bundled 8×8 digits, and an LSTM cell unrolled over a short
 * sequence (src/gallery/lstm.ts). Each is built, run backward, and
 * returned with the drawing options that suit it. Everything random is seeded, so every build
 * gives the same graph, values and gradients.
 */
import { backward } from '../autograd';
import { loadDigits } from '../data';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../nn';
import { conv2d, convolve, crossEntropy, reshape, slice } from '../ops';
import { rng } from '../random/rng';
import { ones, tensor } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';
import type { DotOptions } from '../viz/dot';
import { viewGraph } from '../viz/view';
import { lstmGraph } from './lstm';

export const GRAPH_NAMES = ['conv1d', 'conv2d', 'mlp', 'cnn', 'lstm'] as const;
export type GraphName = (typeof GRAPH_NAMES)[number];

export interface NamedGraphOptions {
  /**
   * conv1d and conv2d: one multiply node per product x_i·w_j, as the tutorial draws it; lstm: every
   * step's ops, gates named, instead of one box per step.
   */
  expand?: boolean;
  /** lstm only: time steps (default 6). */
  steps?: number;
  /** lstm only: hidden size (default 2). */
  hidden?: number;
}

export interface NamedGraph {
  roots: Tensor[];
  /** How the graph is best drawn (title; values and gradients for the tutorial's small example). */
  options: DotOptions;
}

export function isGraphName(name: string): name is GraphName {
  return (GRAPH_NAMES as readonly string[]).includes(name);
}

/**
 * Makes every intermediate tensor behind `root` keep its gradient when backward runs, so that the
 * drawing can show it beside the value (the tutorial derives those gradients node by node).
 */
function keepGrads(root: Tensor): void {
  for (const v of viewGraph([root]).tensors) if (v.producer !== null) v.tensor.retainGrad();
}

/**
 * Names the scalars of an expanded graph as the tutorial labels its nodes: the element picked out
 * of a named tensor (`x[2]`), and the product of two named scalars (`x[2]·w[0]`).
 */
function nameScalars(root: Tensor): void {
  for (const { producer, tensor: t } of viewGraph([root]).tensors) {
    if (producer === null || t.name !== undefined) continue;
    const [a, b] = producer.inputs.map((v) => v.tensor.name);
    if (producer.op === 'element' && a !== undefined) t.name = `${a}${producer.attrs}`;
    if (producer.op === 'mul' && a !== undefined && b !== undefined) t.name = `${a}·${b}`;
  }
}

/** The tutorial's 1-D example: y = x ⊛ w in 'valid' mode is (1, 3, 5); dL/dy = (1, 2, 3). */
function conv1dGraph(expand: boolean): NamedGraph {
  const x = tensor([0, 1, 2, 3, 4], { requiresGrad: true, name: 'x' });
  const w = tensor([1, -1, 2], { requiresGrad: true, name: 'w' });
  const y = convolve(x, w, 'valid', { expand });
  y.name = 'y';
  nameScalars(y);
  keepGrads(y);
  backward(y, tensor([1, 2, 3]));
  const how = expand ? 'one node per product x_i·w_j' : 'fused';
  return { roots: [y], options: { values: true, grads: true, title: `y = convolve(x, w, 'valid'), ${how}; dL/dy = (1, 2, 3)` } };
}

/** The tutorial's input volume x(:,:,c), printed channel by channel in its MATLAB session. */
const TUTORIAL_X = [
  [
    [1, 1, 0, 2, 0],
    [2, 2, 2, 2, 1],
    [0, 0, 0, 2, 1],
    [2, 2, 2, 2, 1],
    [2, 0, 2, 2, 1],
  ],
  [
    [2, 1, 0, 0, 0],
    [0, 2, 0, 1, 0],
    [1, 0, 1, 2, 0],
    [1, 2, 0, 2, 1],
    [1, 2, 1, 2, 2],
  ],
  [
    [2, 1, 1, 2, 2],
    [1, 1, 1, 0, 0],
    [2, 0, 1, 0, 2],
    [0, 2, 0, 2, 1],
    [0, 0, 2, 1, 0],
  ],
];

/**
 * The tutorial's convolution layer: input 5×5×3, K = 2 filters of 3×3×3 with entries in {−1,0,1}
 * (seeded) and biases (1, 0), stride 2, pad 1, giving 3×3×2; dL/dy = 1.
 */
function conv2dGraph(expand: boolean): NamedGraph {
  const r = rng('tapegrad-conv2d');
  const x = tensor([TUTORIAL_X], { requiresGrad: true, name: 'x' });
  const w = tensor(
    Array.from({ length: 2 * 3 * 3 * 3 }, () => r.int(3) - 1),
    { shape: [2, 3, 3, 3], requiresGrad: true, name: 'w' },
  );
  const bias = tensor([1, 0], { requiresGrad: true, name: 'bias' });
  const y = conv2d(x, w, bias, { stride: 2, padding: 1, expand });
  y.name = 'y';
  nameScalars(y);
  keepGrads(y);
  backward(y, ones(y.shape));
  const how = expand ? 'one node per product' : 'fused';
  return { roots: [y], options: { title: `conv2d: 5×5×3 input, K = 2 filters 3×3×3, stride 2, pad 1 → 3×3×2 (${how})` } };
}

/**
 * The first two digits, as images [2,1,8,8] or flattened [2,64], and their labels. (Flattening
 * inside the model would record nothing: x takes no gradient, so the MLP gets it flat.)
 */
function digits(shape: number[]): { x: Tensor; labels: number[] } {
  const { images, labels } = loadDigits();
  const x = reshape(slice(images, [0], [shape[0]]), shape);
  x.name = 'x';
  return { x, labels: Array.from(labels.subarray(0, shape[0])) };
}

/**
 * A model's logits for two digits, the graph's root. Backward runs from their cross-entropy, so
 * parameters (and every tensor drawn) carry gradients; the loss's own nodes are left out of the
 * drawing to keep it about the model.
 */
function modelGraph(model: Sequential, inputShape: number[], what: string): NamedGraph {
  const { x, labels } = digits(inputShape);
  // Parameters are drawn with their state-dict names (`0.weight`).
  for (const [name, p] of model.namedParameters()) p.name ??= name;
  const logits = model.forward(x);
  logits.name = 'logits';
  keepGrads(logits);
  backward(crossEntropy(logits, labels));
  return { roots: [logits], options: { title: `${what}: logits for two digits, clustered by module` } };
}

function mlpGraph(): NamedGraph {
  const r = rng('tapegrad-mlp');
  const model = new Sequential(new Linear(64, 32, { rng: r }), new ReLU(), new Linear(32, 10, { rng: r }));
  return modelGraph(model, [2, 64], 'MLP 64 → 32 → 10');
}

function cnnGraph(): NamedGraph {
  const r = rng('tapegrad-cnn');
  const model = new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, rng: r }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(4, 8, 3, { padding: 1, rng: r }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(32, 10, { rng: r }),
  );
  return modelGraph(model, [2, 1, 8, 8], 'CNN (conv, relu, pool) ×2, linear');
}

/** Builds one of the named graphs; an unknown name, or `expand` on a model, throws. */
export function namedGraph(name: string, opts: NamedGraphOptions = {}): NamedGraph {
  if (!isGraphName(name)) throw new Error(`namedGraph: unknown graph '${name}' (graphs: ${GRAPH_NAMES.join(', ')})`);
  const expand = opts.expand ?? false;
  if (expand && (name === 'mlp' || name === 'cnn')) throw new Error(`namedGraph: expand applies to conv1d, conv2d and lstm, not '${name}'`);
  for (const k of ['steps', 'hidden'] as const) {
    if (opts[k] !== undefined && name !== 'lstm') throw new Error(`namedGraph: ${k} applies to lstm, not '${name}'`);
  }
  switch (name) {
    case 'conv1d':
      return conv1dGraph(expand);
    case 'conv2d':
      return conv2dGraph(expand);
    case 'mlp':
      return mlpGraph();
    case 'cnn':
      return cnnGraph();
    case 'lstm': {
      const g = lstmGraph({ expand, steps: opts.steps, hidden: opts.hidden });
      return { roots: g.roots, options: g.options };
    }
  }
}
