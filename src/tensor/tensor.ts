/**
 * @file The Tensor: contiguous row-major storage, a shape and a dtype, plus the link to the node
 * that made it.
 *
 * Note [tensor and node]: a tensor made by a recorded op points at its `Node` (src/autograd); the
 * reference is type-only, all graph behaviour lives in autograd, and methods such as `add` or
 * `backward` are installed on the prototype by the layers that define them.
 */
import type { Node } from '../autograd/node';
import { DType, dtypeOf, isFloating, Storage } from './dtype';
import { fmt, sizeOf } from './shape';

export type NestedArray = number | NestedArray[];
/** Nested arrays of booleans: what makes a bool tensor, and what its toArray gives. */
export type NestedBoolArray = boolean | NestedBoolArray[];

export class Tensor {
  /** Gradient accumulated by backward (leaves with requiresGrad, or tensors that called retainGrad). */
  grad: Tensor | null = null;
  /** The recorded op that produced this tensor; null for leaves and unrecorded results. */
  node: Node | null = null;
  /** Set by retainGrad(): keep .grad on a non-leaf. */
  retainsGrad = false;
  name?: string;
  private needsGrad = false;

  constructor(
    public data: Storage,
    readonly shape: readonly number[],
    requiresGrad = false,
    name?: string,
  ) {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`tensor: ${data.length} values do not fill shape ${fmt(shape)}`);
    }
    if (requiresGrad) this.requiresGrad = true;
    if (name !== undefined) this.name = name;
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  /** Whether backward computes a gradient for this tensor; only float tensors can (Note [dtypes]). */
  get requiresGrad(): boolean {
    return this.needsGrad;
  }

  set requiresGrad(value: boolean) {
    if (value && !isFloating(this.dtype)) {
      throw new Error(`tensor: only floating-point tensors can require gradients, got ${this.dtype}`);
    }
    this.needsGrad = value;
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

  /**
   * Nested arrays of the values. Note [bool toArray]: a bool tensor gives booleans, as PyTorch's
   * tolist does, so `tensor(b.toArray())` is bool again; the declared type stays NestedArray (numbers),
   * which is what every float and int32 tensor gives and what code reading values expects to narrow.
   */
  toArray(): NestedArray {
    const { data, shape } = this;
    const bool = this.dtype === 'bool';
    const value = (i: number): NestedArray => (bool ? ((data[i] !== 0) as unknown as number) : data[i]);
    if (shape.length === 0) return value(0);
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = shape[dim];
      const out: NestedArray[] = new Array(n);
      if (dim === shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = value(offset + i);
        return out;
      }
      const stride = sizeOf(shape.slice(dim + 1));
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor (a bool tensor's as 1 or 0). */
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
