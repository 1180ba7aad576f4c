/**
 * @file Seeded random numbers. Every random draw in tapegrad (init, randn, dropout masks, shuffling,
 * augmentation) takes an optional `Rng` and otherwise uses the default generator, so one seed
 * reproduces a whole run bit for bit.
 */
import seedrandom from 'seedrandom';

/** Where a generator is in its stream (Rng#state), as plain JSON: checkpoints save it. */
export interface RngState {
  prng: object;
  spareNormal: number | null;
}

export class Rng {
  private prng: seedrandom.PRNG;
  private spareNormal: number | null = null;

  constructor(readonly seed: string | number) {
    this.prng = seedrandom(String(seed), { state: true });
  }

  /** The generator's position, to resume it bit for bit with setState (a checkpoint). */
  state(): RngState {
    return { prng: (this.prng as unknown as { state(): object }).state(), spareNormal: this.spareNormal };
  }

  /** Moves the generator to a position state() returned. */
  setState(state: RngState): void {
    if (state === null || typeof state !== 'object' || typeof state.prng !== 'object')
      throw new Error('rng.setState: expected what rng.state() returned');
    this.prng = seedrandom('', { state: state.prng as unknown as boolean });
    this.spareNormal = state.spareNormal ?? null;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng();
  }

  /** Standard normal, by Box–Muller; the second value of each pair is kept for the next call. */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = this.prng();
    while (u <= 0) u = this.prng();
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.prng() * n);
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.prng();
  }

  /** Fisher–Yates, in place; returns the same array. */
  shuffle<T, A extends { length: number; [i: number]: T }>(arr: A): A {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.prng() * (i + 1));
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }
}

export function rng(seed: string | number): Rng {
  return new Rng(seed);
}

let defaultGenerator = new Rng(0);

/** Reseeds the generator used when no `rng` is passed. */
export function manualSeed(seed: string | number): void {
  defaultGenerator = new Rng(seed);
}

export function defaultRng(): Rng {
  return defaultGenerator;
}
