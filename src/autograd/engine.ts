/**
 * @file Backward: topologically sort the tensors reachable from the outputs (iteratively: expanded
 * convolution graphs and long chains are deeper than the JS stack), then run each node's backward
 * rule in reverse order, summing the gradients that meet at a tensor.
 */
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkBackward, insideRule, isAnomalyEnabled } from './anomaly';
import { hasHooks, runHooks } from './hooks';
import { withGradMode } from './mode';
import type { Node } from './node';
import { accumulate } from './accumulate';
import { postOrder } from './walk';
import { GradientHolds } from './gradient-holds';
import { trackAllocations } from '../tensor/storage-pool';

/** Post-order over tensors that require grad: every tensor comes after the inputs of its node. */
export function topoSort(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  postOrder(
    roots,
    (t) => (t.node ? t.node.inputs : []),
    (t) => order.push(t),
    (t) => t.requiresGrad,
  );
  return order;
}

interface BackwardOptions {
  /** The public entry point, for error messages: 'backward' or 'grad'. */
  op: string;
  retainGraph: boolean;
  createGraph: boolean;
  /** tg.grad: return these tensors' gradients instead of accumulating into .grad. */
  inputs?: readonly Tensor[];
}

/**
 * What a backward pass can report as it runs (tg.viz.traceBackward installs one to draw the pass):
 * each tensor's total gradient, and each rule that ran, in order, with the gradients it returned.
 * Null — every normal run — costs one test per tensor.
 */
export interface BackwardRecorder {
  tensor(t: Tensor, grad: Tensor): void;
  rule(node: Node, step: number, output: Tensor, inputGrads: readonly (Tensor | null)[]): void;
}

let recorder: BackwardRecorder | null = null;

/** Installs (or with null removes) the backward recorder; returns the one it replaced. */
export function setBackwardRecorder(r: BackwardRecorder | null): BackwardRecorder | null {
  const before = recorder;
  recorder = r;
  return before;
}

/** Gradients meeting at one tensor are summed by the engine's own primitive (same shapes). */
function addGradients(a: Tensor, b: Tensor): Tensor {
  return accumulate.apply([a, b], undefined);
}

/** The core of backward() and grad(): returns the inputs' gradients when `inputs` is given. */
export function runBackward(outputs: readonly Tensor[], gradOutputs: readonly Tensor[], opts: BackwardOptions): (Tensor | null)[] {
  // Note [recycled gradients]: not under createGraph (the gradients are graph values then) nor
  // while a recorder may keep them.
  // One grad-mode switch for the whole pass: rules, hooks and gradient sums record exactly when
  // createGraph asks for it.
  return withGradMode(opts.createGraph, () => {
    if (opts.createGraph || recorder !== null) return backwardPass(outputs, gradOutputs, opts, new GradientHolds(null));
    return trackAllocations((recycle) => backwardPass(outputs, gradOutputs, opts, new GradientHolds(recycle)));
  });
}

function backwardPass(
  outputs: readonly Tensor[],
  gradOutputs: readonly Tensor[],
  opts: BackwardOptions,
  holds: GradientHolds,
): (Tensor | null)[] {
  const order = topoSort(outputs);
  const pending = new Map<Tensor, Tensor>();
  const accumulate = (t: Tensor, g: Tensor) => {
    const before = pending.get(t);
    if (before === undefined) {
      pending.set(t, g);
      holds.hold(g);
      return;
    }
    const total = addGradients(before, g);
    pending.set(t, total);
    holds.hold(total);
    holds.release(before);
    holds.dropIfUnheld(g);
  };
  outputs.forEach((y, i) => accumulate(y, gradOutputs[i]));

  const wanted = opts.inputs ? new Set(opts.inputs) : null;
  // With explicit inputs only the nodes with an input that leads to one of them need to run (the
  // graph above a wanted interior tensor may even be freed already).
  let runs: Set<Tensor> | null = null;
  if (wanted) {
    const leads = new Set<Tensor>();
    runs = new Set();
    for (const t of order) {
      const feeds = t.node !== null && t.node.inputs.some((x) => leads.has(x));
      if (feeds) runs.add(t);
      if (feeds || wanted.has(t)) leads.add(t);
    }
  }
  const mustRun = (t: Tensor) => t.node !== null && (runs === null || runs.has(t));
  // Refuse before any rule runs, so a freed graph leaves no half-accumulated .grad behind; name the
  // freed node nearest the outputs, the one backward would have met first.
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    const node = t.node;
    if (node === null || node.alive || !mustRun(t)) continue;
    throw new Error(
      `${opts.op}: the graph through ${node.op} (node #${node.id}, output ${fmt(t.shape)}) was freed by an earlier backward; ` +
        'pass {retainGraph: true} to the first backward (or grad) to run backward through it again',
    );
  }
  const results = new Map<Tensor, Tensor>();
  let step = 0;

  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    const summed = pending.get(t);
    if (summed === undefined) continue;
    pending.delete(t);
    let g = summed;
    if (hasHooks(t)) {
      g = runHooks(t, summed);
      holds.keep(summed);
      holds.keep(g);
    }
    if (recorder !== null) recorder.tensor(t, g);
    if (wanted) {
      if (wanted.has(t)) {
        results.set(t, g);
        holds.keep(g);
      }
    } else if (t.node === null || t.retainsGrad) {
      storeGrad(t, g, opts.createGraph);
    }
    const node = t.node;
    if (node === null || !mustRun(t)) {
      holds.release(summed);
      continue;
    }
    const rule = () => node.primitive.rule.backward(g, node.inputs, t, node.attrs, node.saved);
    const gs = isAnomalyEnabled() ? insideRule(rule) : rule();
    const inputs = node.inputs;
    if (recorder !== null) recorder.rule(node, ++step, t, gs);
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      const gx = gs[i];
      if (!x.requiresGrad || gx === null || gx === undefined) continue;
      if (!sameShape(gx.shape, x.shape) || gx.dtype !== x.dtype) {
        throw new Error(
          `${opts.op}: the rule of ${node.op} returned a ${gx.dtype} gradient of shape ${fmt(gx.shape)} ` +
            `for its ${x.dtype} input ${i} of shape ${fmt(x.shape)}`,
        );
      }
      if (isAnomalyEnabled()) checkBackward(node, t, i, gx);
      accumulate(x, gx);
    }
    holds.release(summed);
    if (!opts.retainGraph) node.free();
  }
  return opts.inputs ? opts.inputs.map((x) => results.get(x) ?? null) : [];
}

/**
 * Without createGraph the stored gradient gets its own storage: rules pass gy through unchanged
 * (add, reshape), so it may alias the seed or another leaf's gradient, and optimizers and
 * gradient clipping update .grad in place.
 */
function storeGrad(t: Tensor, g: Tensor, createGraph: boolean): void {
  if (t.grad !== null) {
    t.grad = addGradients(t.grad!, g);
  } else {
    t.grad = createGraph ? g : new Tensor(g.data.slice(), g.shape);
  }
}
