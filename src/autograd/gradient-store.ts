/**
 * @file The gradients of one backward pass that have not been used yet: parts arriving at a tensor
 * are summed (by the engine's own `accumulate` primitive), a tensor's hooks run when its total is
 * taken, and storage nobody can see any more goes back to the pool (GradientHolds, Note [recycled
 * gradients]).
 */
import type { Tensor } from '../tensor/tensor';
import { accumulate } from './accumulate';
import { GradientHolds } from './gradient-holds';
import { hasHooks, runHooks } from './hooks';

/** Gradients meeting at one tensor are summed by the engine's own primitive (same shapes). */
export function addGradients(a: Tensor, b: Tensor): Tensor {
  return accumulate.apply([a, b], undefined);
}

/** A tensor's gradient as taken: the sum of its parts, and what its hooks made of it. */
export interface Taken {
  summed: Tensor;
  g: Tensor;
}

export class GradientStore {
  private readonly pending = new Map<Tensor, Tensor>();

  constructor(private readonly holds: GradientHolds) {}

  /** One more part of t's gradient. */
  add(t: Tensor, g: Tensor): void {
    const before = this.pending.get(t);
    if (before === undefined) {
      this.pending.set(t, g);
      this.holds.hold(g);
      return;
    }
    const total = addGradients(before, g);
    this.pending.set(t, total);
    this.holds.hold(total);
    this.holds.release(before);
    this.holds.dropIfUnheld(g);
  }

  /** t's whole gradient, after its hooks; undefined when none reached it. */
  take(t: Tensor): Taken | undefined {
    const summed = this.pending.get(t);
    if (summed === undefined) return undefined;
    this.pending.delete(t);
    if (!hasHooks(t)) return { summed, g: summed };
    const g = runHooks(t, summed);
    this.holds.keep(summed);
    this.holds.keep(g);
    return { summed, g };
  }

  /** g is seen outside the pass (a grad() result): its storage is never handed back. */
  keep(g: Tensor): void {
    this.holds.keep(g);
  }

  /** The pass is done with what `take` gave. */
  done(taken: Taken): void {
    this.holds.release(taken.summed);
  }
}
