/**
 * @file Which primitives an op case really exercises: the nodes of its forward graph, of the graph
 * its backward records under createGraph (with a seed that requires grad, so every rule's ops are
 * recorded), and every rule the first- and second-order backward passes run (the engine's backward
 * recorder). The op-table test compares this with the registry, so coverage is measured, not declared.
 */
import { setBackwardRecorder, topoSort } from '../autograd/engine';
import { grad } from '../autograd/grad';
import { enableGrad } from '../autograd/mode';
import { ones } from '../tensor/create';
import { Tensor } from '../tensor/tensor';
import type { OpCase } from './op-case';

function opsOf(roots: readonly Tensor[], into: Set<string>): void {
  for (const t of topoSort(roots)) if (t.node !== null) into.add(t.node.op);
}

export function primitivesUsed(c: OpCase): Set<string> {
  const used = new Set<string>();
  const before = setBackwardRecorder({ tensor: () => undefined, rule: (node) => used.add(node.op) });
  try {
    enableGrad(() => {
      const xs = c
        .inputs()
        .map((x) => (x.dtype === 'int32' || x.dtype === 'bool' ? x : new Tensor(Float64Array.from(x.data), x.shape, x.requiresGrad)));
      const y = c.fn(...xs);
      opsOf([y], used);
      const wrt = xs.filter((x) => x.requiresGrad);
      if (!y.requiresGrad || wrt.length === 0) return;
      const seed = ones([...y.shape], { dtype: y.dtype, requiresGrad: true });
      const gs = grad(y, wrt, { gradOutputs: [seed], createGraph: true, allowUnused: true }).filter(
        (g): g is Tensor => g !== null && g.requiresGrad,
      );
      opsOf(gs, used);
      if ((c.order ?? 2) === 2 && gs.length > 0) {
        grad(gs, [...wrt, seed], { gradOutputs: gs.map((g) => ones([...g.shape], { dtype: g.dtype })), allowUnused: true });
      }
    });
  } finally {
    setBackwardRecorder(before);
  }
  return used;
}
