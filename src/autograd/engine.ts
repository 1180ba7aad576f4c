/**
 * @file Backward, on one page. A plan says which tensors the pass visits and which nodes run
 * (backward-plan.ts); a gradient store sums the parts that meet at a tensor and runs its hooks
 * (gradient-store.ts); `runRule` runs one node's rule with the checks around it. The loop walks the
 * plan from the outputs: take a tensor's gradient, deliver it (.grad or a grad() result), run its
 * node's rule, and hand each input its part.
 */
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { checkBackward, insideRule, isAnomalyEnabled } from './anomaly';
import { planBackward } from './backward-plan';
import { GradientHolds } from './gradient-holds';
import { addGradients, GradientStore } from './gradient-store';
import { withGradMode } from './mode';
import type { Node } from './node';
import { trackAllocations } from '../tensor/storage-pool';

export { topoSort } from './backward-plan';

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

/** The core of backward() and grad(): returns the inputs' gradients when `inputs` is given. */
export function runBackward(outputs: readonly Tensor[], gradOutputs: readonly Tensor[], opts: BackwardOptions): (Tensor | null)[] {
  // One grad-mode switch for the whole pass: rules, hooks and gradient sums record exactly when
  // createGraph asks for it. Note [recycled gradients]: storage is recycled except under
  // createGraph (the gradients are graph values then) or while a recorder may keep them.
  return withGradMode(opts.createGraph, () => {
    if (opts.createGraph || recorder !== null) return backwardPass(outputs, gradOutputs, opts, new GradientHolds(null));
    return trackAllocations((tracked) => backwardPass(outputs, gradOutputs, opts, new GradientHolds(tracked)));
  });
}

function backwardPass(
  outputs: readonly Tensor[],
  seeds: readonly Tensor[],
  opts: BackwardOptions,
  holds: GradientHolds,
): (Tensor | null)[] {
  const wanted = opts.inputs ? new Set(opts.inputs) : null;
  const plan = planBackward(outputs, wanted, opts.op);
  const store = new GradientStore(holds);
  outputs.forEach((y, i) => store.add(y, seeds[i]));
  const results = new Map<Tensor, Tensor>();
  let step = 0;
  for (let k = plan.order.length - 1; k >= 0; k--) {
    const t = plan.order[k];
    const taken = store.take(t);
    if (taken === undefined) continue;
    const g = taken.g;
    if (recorder !== null) recorder.tensor(t, g);
    if (wanted === null) {
      if (t.node === null || t.retainsGrad) storeGrad(t, g, holds);
    } else if (wanted.has(t)) {
      results.set(t, g);
      store.keep(g);
    }
    if (plan.runs(t)) {
      const node = t.node!;
      const gs = runRule(node, t, g, ++step, opts.op);
      node.inputs.forEach((x, i) => gs[i] && store.add(x, gs[i]!));
      if (!opts.retainGraph) node.free();
    }
    store.done(taken);
  }
  return opts.inputs ? opts.inputs.map((x) => results.get(x) ?? null) : [];
}

/**
 * Runs node's backward rule on gy (in anomaly mode, inside its checks), reports it to the recorder,
 * and checks each gradient it returns for an input that requires grad: the input's own shape and
 * dtype, and (anomaly mode) finite values. Gradients for inputs that need none come back as null.
 */
function runRule(node: Node, y: Tensor, gy: Tensor, step: number, op: string): (Tensor | null)[] {
  const rule = () => node.primitive.rule.backward(gy, node.inputs, y, node.attrs, node.saved);
  const gs = isAnomalyEnabled() ? insideRule(rule) : rule();
  if (recorder !== null) recorder.rule(node, step, y, gs);
  return node.inputs.map((x, i) => {
    const gx = gs[i];
    if (!x.requiresGrad || gx === null || gx === undefined) return null;
    if (!sameShape(gx.shape, x.shape) || gx.dtype !== x.dtype) {
      throw new Error(
        `${op}: the rule of ${node.op} returned a ${gx.dtype} gradient of shape ${fmt(gx.shape)} ` +
          `for its ${x.dtype} input ${i} of shape ${fmt(x.shape)}`,
      );
    }
    if (isAnomalyEnabled()) checkBackward(node, y, i, gx, gy);
    return gx;
  });
}

/**
 * backward() never records (SPEC §6: createGraph is grad()'s, which leaves .grad alone), so the
 * stored gradient gets its own storage: rules pass gy through unchanged
 * (add, reshape), so it may alias the seed or another leaf's gradient, and optimizers and
 * gradient clipping update .grad in place. A leaf's gradient that only this pass allocated and
 * holds is taken over instead of copied (Note [gradients taken over] in gradient-holds.ts).
 */
function storeGrad(t: Tensor, g: Tensor, holds: GradientHolds): void {
  if (t.grad !== null) t.grad = addGradients(t.grad, g);
  else t.grad = new Tensor(t.node === null && holds.takeOver(g) ? g.data : g.data.slice(), g.shape);
}
