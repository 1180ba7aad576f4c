/**
 * @file The Tensor: contiguous row-major storage, a shape and a dtype, plus the link to the node
 * that made it.
 *
 * Note [tensor and node]: a tensor made by a recorded op points at its `Node` (src/autograd); the
 * reference is type-only, all graph behaviour lives in autograd, and methods such as `add` or
 * `backward` are installed on the prototype by the layers that define them.
 */
import type { Node } from '../autograd/node';
import { DType, Storage } from './dtype';
import { fmt, sizeOf } from './shape';

export type NestedArray = number | NestedArray[];

export class Tensor {
  /** Gradient accumulated by backward (leaves with requiresGrad, or tensors that called retainGrad). */
  grad: Tensor | null = null;
  /** The recorded op that produced this tensor; null for leaves and unrecorded results. */
  node: Node | null = null;
  /** Set by retainGrad(): keep .grad on a non-leaf. */
  retainsGrad = false;
  name?: string;

  constructor(
    public data: Storage,
    readonly shape: readonly number[],
    public requiresGrad = false,
    name?: string,
  ) {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`tensor: ${data.length} values do not fill shape ${fmt(shape)}`);
    }
    if (name !== undefined) this.name = name;
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** A leaf is a tensor no recorded op produced. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  toArray(): NestedArray {
    const { data, shape } = this;
    if (shape.length === 0) return data[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = shape[dim];
      const out: NestedArray[] = new Array(n);
      if (dim === shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = data[offset + i];
        return out;
      }
      const stride = sizeOf(shape.slice(dim + 1));
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }

  item(): number {
    if (this.data.length !== 1) {
      throw new Error(`item: only a one-element tensor converts to a number, got shape ${fmt(this.shape)}`);
    }
    return this.data[0];
  }

  /** The same values (shared storage), cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false, this.name);
  }

  retainGrad(): this {
    if (this.node !== null) this.retainsGrad = true;
    return this;
  }

  toString(): string {
    return `Tensor(${JSON.stringify(this.toArray())}, shape=${fmt(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
