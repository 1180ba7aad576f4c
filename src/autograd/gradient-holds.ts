/**
 * @file Who still refers to a gradient's storage during a backward pass, so that storage nobody can
 * see any more goes back to the pool (Note [recycled gradients] in src/tensor/storage-pool.ts).
 * Pending gradients hold their storage (a rule that passes gy through, or gives one tensor to two
 * inputs, makes several holders of one array); gradients a hook, a grad() result or a .grad may
 * still show are kept for good.
 */
import { POOL_MIN_ELEMENTS, type TrackedAllocations } from '../tensor/storage-pool';
import type { Tensor } from '../tensor/tensor';

export class GradientHolds {
  private readonly counts = new Map<ArrayBufferLike, number>();
  private readonly kept = new Set<ArrayBufferLike>();

  /** `allocations` null: recycling is off (createGraph, a recorder): nothing is ever handed back. */
  constructor(private readonly allocations: TrackedAllocations | null) {}

  /** Whether g's storage could go back at all: small arrays never do, and cost nothing here. */
  private tracks(g: Tensor): boolean {
    return this.allocations !== null && g.data.length >= POOL_MIN_ELEMENTS;
  }

  /**
   * Note [gradients taken over]: a leaf's .grad needs storage of its own — rules pass gy through
   * (add, reshape), so the gradient arriving at a leaf may be the seed, another leaf's gradient or
   * a view of one, and optimisers and clipping update .grad in place. But most gradients arriving
   * at a leaf (a matmul's, a convolution's weight gradient) are arrays a rule just allocated that
   * nothing else refers to; copying them costs a fresh allocation and a pass over the data per
   * parameter per step. As PyTorch's AccumulateGrad steals a gradient nobody else holds, this takes
   * the storage over when it was allocated during this pass, as a whole array, and this pending
   * gradient is its only holder (no other pending part, no hook, grad() result or .grad keeps it);
   * from then on it is kept, never handed back to the pool.
   */
  takeOver(g: Tensor): boolean {
    if (!this.tracks(g) || !this.allocations!.allocatedHere(g.data)) return false;
    const b = g.data.buffer;
    if (this.counts.get(b) !== 1 || this.kept.has(b)) return false;
    this.kept.add(b);
    return true;
  }

  hold(g: Tensor): void {
    if (!this.tracks(g)) return;
    const b = g.data.buffer;
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
  }

  /** Never hand this storage back: something outside the pass can see it. */
  keep(g: Tensor): void {
    if (this.tracks(g)) this.kept.add(g.data.buffer);
  }

  /** One holder fewer; the storage goes back when it was the last. */
  release(g: Tensor): void {
    if (!this.tracks(g)) return;
    const b = g.data.buffer;
    const n = (this.counts.get(b) ?? 1) - 1;
    if (n > 0) this.counts.set(b, n);
    else {
      this.counts.delete(b);
      this.handBack(g);
    }
  }

  /** A gradient that was never held (summed into another at once): back if nothing holds its storage. */
  dropIfUnheld(g: Tensor): void {
    if (this.tracks(g) && !this.counts.has(g.data.buffer)) this.handBack(g);
  }

  private handBack(g: Tensor): void {
    if (!this.kept.has(g.data.buffer)) this.allocations!.recycle(g.data);
  }
}
