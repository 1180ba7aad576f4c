/**
 * @file A read-only view of the graph behind some tensors: every tensor and every recorded op
 * reachable from the roots, numbered by a counter in traversal order, so the same graph always
 * gets the same numbers whatever ran before (node ids count every node ever made).
 */
import type { ScopeFrame } from '../autograd/scope';
import { postOrder } from '../autograd/walk';
import type { Tensor } from '../tensor/tensor';

export interface OpVertex {
  /** 0, 1, 2, … in traversal order. */
  readonly index: number;
  /** The primitive's name, e.g. `conv2d`. */
  readonly op: string;
  /** The recorded node's id (`tensor.node.id`). */
  readonly nodeId: number;
  /** The attributes in words, e.g. `stride=2 pad=1`; '' when there are none. */
  readonly attrs: string;
  /** In the op's argument order; a tensor passed twice appears twice. */
  readonly inputs: readonly TensorVertex[];
  readonly output: TensorVertex;
  /** The innermost module whose forward recorded the op, or null. */
  readonly scope: ScopeFrame | null;
}

export interface TensorVertex {
  /** 0, 1, 2, … in traversal order; a tensor's inputs come before it. */
  readonly index: number;
  readonly tensor: Tensor;
  /** The op that made the tensor; null for leaves. */
  readonly producer: OpVertex | null;
  /** The ops that read the tensor, in traversal order (an op reading it twice appears once). */
  readonly consumers: OpVertex[];
  readonly isRoot: boolean;
}

export interface GraphView {
  /** Topologically ordered: every tensor after the inputs of the op that made it. */
  readonly tensors: readonly TensorVertex[];
  /** In the order of their outputs in `tensors`. */
  readonly ops: readonly OpVertex[];
  readonly roots: readonly TensorVertex[];
}

/**
 * Walks the graph from the roots, inputs in argument order, iteratively (expanded convolution
 * graphs are deeper than the JS stack). Reads tensors and nodes, changes nothing.
 */
export function viewGraph(roots: readonly Tensor[], cutAt?: (t: Tensor) => boolean): GraphView {
  const vertexOf = new Map<Tensor, TensorVertex>();
  const tensors: TensorVertex[] = [];
  const ops: OpVertex[] = [];
  const rootSet = new Set(roots);

  /** A cut tensor is drawn as a leaf: what made it is left out (a big graph's far end). */
  const producer = (t: Tensor) => (cutAt !== undefined && cutAt(t) ? null : t.node);
  /** A node's inputs as drawn: an unrecorded view of a composite's argument stands for the argument. */
  const inputsOf = (t: Tensor): readonly Tensor[] => {
    const node = producer(t);
    return node === null ? [] : node.inputs.map((x) => argumentViewed(node.scope, x));
  };
  const finish = (t: Tensor) => {
    const node = producer(t);
    const vertex = {
      index: tensors.length,
      tensor: t,
      producer: null as OpVertex | null,
      consumers: [] as OpVertex[],
      isRoot: rootSet.has(t),
    };
    if (node !== null) {
      const inputs = inputsOf(t).map((x) => vertexOf.get(x)!);
      const op: OpVertex = {
        index: ops.length,
        op: node.op,
        nodeId: node.id,
        attrs: node.describe(),
        inputs,
        output: vertex,
        scope: node.scope,
      };
      vertex.producer = op;
      ops.push(op);
      for (const x of new Set(inputs)) x.consumers.push(op);
    }
    vertexOf.set(t, vertex);
    tensors.push(vertex);
  };

  postOrder(roots, inputsOf, finish);
  return { tensors, ops, roots: roots.map((r) => vertexOf.get(r)!) };
}

/**
 * Note [views of composite arguments]: a composite often reshapes its arguments first
 * (MultiheadAttention unsqueezes an unbatched query). For an argument that needs no gradient the
 * reshape is not recorded: the view is a new tensor with the argument's storage and no node, and the
 * argument itself is read by no recorded op — so a drawing lost it, and the composite had no edge
 * from the user's input. An unrecorded leaf read inside a composite that shares its storage with
 * one of the composite's own arguments (a leaf too) is drawn as that argument.
 */
function argumentViewed(scope: ScopeFrame | null, x: Tensor): Tensor {
  if (x.node !== null) return x;
  for (let f = scope; f !== null; f = f.parent) {
    const c = f.composite;
    if (c === undefined || c.inputs.includes(x)) continue;
    const base = c.inputs.find((a) => a.node === null && a.data === x.data);
    if (base !== undefined) return base;
  }
  return x;
}
