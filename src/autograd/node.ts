/** @file A node of the graph: one application of a primitive, with what its backward needs. */
import type { Tensor } from '../tensor/tensor';
import type { Primitive } from './primitive';
import { formatStack } from './anomaly';
import type { ScopeFrame } from './scope';

let created = 0;

/** How many nodes have been created so far: a clock that orders ops against other events. */
export function nodesCreated(): number {
  return created;
}

export class Node {
  /** Creation order: deterministic ids for exporters, independent of object identity. */
  readonly id = ++created;
  /** False once a backward has run through the node without retainGraph. */
  alive = true;
  /** Where the op was called, captured only in anomaly mode (Note [anomaly cost] in anomaly.ts). */
  creation?: Error;

  constructor(
    readonly primitive: Primitive<any, any>,
    readonly inputs: readonly Tensor[],
    readonly attrs: any,
    /** Values the forward kept for the backward (e.g. a mask); dropped when the graph is freed. */
    public saved: unknown,
    readonly scope: ScopeFrame | null,
  ) {}

  get op(): string {
    return this.primitive.name;
  }

  /** The attributes in words, as labels show them (e.g. `stride=2 pad=1`). */
  describe(): string {
    return this.primitive.rule.describe ? this.primitive.rule.describe(this.attrs) : '';
  }

  /** The JS stack where the op was called, when anomaly mode recorded it. */
  get stack(): string | undefined {
    return this.creation === undefined ? undefined : formatStack(this.creation);
  }

  free(): void {
    this.alive = false;
    this.saved = undefined;
  }
}
