/**
 * @file What a backward pass will visit, decided before any rule runs: the tensors in topological
 * order (iteratively: expanded convolution graphs and long chains are deeper than the JS stack),
 * which of their nodes must run (all of them for backward; for grad(), only those with an input
 * that leads to a wanted tensor), and the refusal of a graph an earlier backward freed.
 */
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { postOrder } from './walk';

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

export interface BackwardPlan {
  /** Tensors reachable from the outputs; the pass walks them from the end. */
  order: Tensor[];
  /** Whether t's node runs its rule in this pass. */
  runs(t: Tensor): boolean;
}

/**
 * The plan for a pass from `outputs` (to `wanted` only, for grad()). Throws, before anything
 * accumulates, when a node that must run was freed; it names the freed node nearest the outputs,
 * the one backward would have met first.
 */
export function planBackward(outputs: readonly Tensor[], wanted: ReadonlySet<Tensor> | null, op: string): BackwardPlan {
  const order = topoSort(outputs);
  // With explicit inputs only the nodes with an input that leads to one of them need to run (the
  // graph above a wanted interior tensor may even be freed already).
  let feeding: Set<Tensor> | null = null;
  if (wanted !== null) {
    const leads = new Set<Tensor>();
    feeding = new Set();
    for (const t of order) {
      const feeds = t.node !== null && t.node.inputs.some((x) => leads.has(x));
      if (feeds) feeding.add(t);
      if (feeds || wanted.has(t)) leads.add(t);
    }
  }
  const runs = (t: Tensor) => t.node !== null && (feeding === null || feeding.has(t));
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    const node = t.node;
    if (node === null || node.alive || !runs(t)) continue;
    throw new Error(
      `${op}: the graph through ${node.op} (node #${node.id}, output ${fmt(t.shape)}) was freed by an earlier backward; ` +
        'pass {retainGraph: true} to the first backward (or grad) to run backward through it again',
    );
  }
  return { order, runs };
}
