/**
 * @file Who still refers to a gradient's storage during a backward pass, so that storage nobody can
 * see any more goes back to the pool (Note [recycled gradients] in src/tensor/storage-pool.ts).
 * Pending gradients hold their storage (a rule that passes gy through, or gives one tensor to two
 * inputs, makes several holders of one array); gradients a hook, a grad() result or a .grad may
 * still show are kept for good.
 */
import { POOL_MIN_ELEMENTS } from '../tensor/storage-pool';
import type { Tensor } from '../tensor/tensor';

export class GradientHolds {
  private readonly counts = new Map<ArrayBufferLike, number>();
  private readonly kept = new Set<ArrayBufferLike>();

  /** `recycle` null: recycling is off (createGraph, a recorder): nothing is ever handed back. */
  constructor(private readonly recycle: ((data: Tensor['data']) => void) | null) {}

  /** Whether g's storage could go back at all: small arrays never do, and cost nothing here. */
  private tracks(g: Tensor): boolean {
    return this.recycle !== null && g.data.length >= POOL_MIN_ELEMENTS;
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
    if (!this.kept.has(g.data.buffer)) this.recycle!(g.data);
  }
}
