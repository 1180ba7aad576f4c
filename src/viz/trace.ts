/**
 * @file tg.viz.traceBackward: runs a function (that calls backward) with the engine reporting the
 * pass, so a graph page can show it: the order the rules ran in, the gradient each one sent along
 * each edge, and every tensor's total gradient — intermediates included, without retainGrad.
 * Only summaries are kept (statistics, small values), never the gradient tensors themselves.
 */
import { setBackwardRecorder } from '../autograd/engine';
import type { Node } from '../autograd/node';
import type { Tensor } from '../tensor/tensor';
import { summarize, ValueSummary } from './summary';

export interface EdgeGradient {
  shape: number[];
  /** The L2 norm and the largest magnitude of the gradient sent to that input. */
  norm: number;
  absMax: number;
}

export interface RuleRecord {
  /** 1 for the first rule the pass ran (the one nearest the output). */
  step: number;
  /** Per input, in argument order; null where the rule sent no gradient. */
  grads: (EdgeGradient | null)[];
}

const rules = new WeakMap<Node, RuleRecord>();
const totals = new WeakMap<Tensor, ValueSummary>();
const norms = new WeakMap<Tensor, number>();

/** The L2 norm of a tensor's values. */
export function l2Norm(g: Tensor): number {
  let s = 0;
  for (let i = 0; i < g.data.length; i++) s += g.data[i] * g.data[i];
  return Math.sqrt(s);
}

function edgeGradient(g: Tensor): EdgeGradient {
  let m = 0;
  for (let i = 0; i < g.data.length; i++) m = Math.max(m, Math.abs(g.data[i]));
  return { shape: [...g.shape], norm: Number(l2Norm(g).toPrecision(5)), absMax: Number(m.toPrecision(5)) };
}

/** Runs fn (which runs backward), recording the backward pass for graph pages; returns fn's value. */
export function traceBackward<T>(fn: () => T): T {
  const before = setBackwardRecorder({
    tensor: (t, g) => {
      totals.set(t, summarize(g));
      norms.set(t, l2Norm(g));
    },
    rule: (node, step, _y, gs) => rules.set(node, { step, grads: gs.map((g) => (g === null || g === undefined ? null : edgeGradient(g))) }),
  });
  try {
    return fn();
  } finally {
    setBackwardRecorder(before);
  }
}

export function tracedRule(node: Node): RuleRecord | undefined {
  return rules.get(node);
}

export function tracedGradient(t: Tensor): ValueSummary | undefined {
  return totals.get(t);
}

/** The L2 norm of a tensor's total gradient in the last traced pass that reached it, unrounded. */
export function tracedGradientNorm(t: Tensor): number | undefined {
  return norms.get(t);
}
