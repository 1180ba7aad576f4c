/**
 * @file Timing: warm up, then time single steps until a run count and time budget are met, and
 * report the median (robust to a stray GC pause or a busy neighbour).
 */

export interface MeasureOptions {
  /**
   * Untimed steps first, so the JIT and buffer caches settle: at least `warmup` steps (while they
   * take less than warmupCapMs) and at least warmupMs.
   */
  warmup: number;
  warmupMs: number;
  warmupCapMs: number;
  minRuns: number;
  maxRuns: number;
  /** Stop adding runs (beyond minRuns) once this much time has been spent timing. */
  budgetMs: number;
  /** A step slower than this is not warmed up separately and gets only minRuns runs. */
  slowMs: number;
}

export const FULL: MeasureOptions = {
  warmup: 30,
  warmupMs: 1500,
  warmupCapMs: 6000,
  minRuns: 7,
  maxRuns: 40,
  budgetMs: 4000,
  slowMs: 3000,
};
export const QUICK: MeasureOptions = { warmup: 20, warmupMs: 300, warmupCapMs: 1500, minRuns: 3, maxRuns: 10, budgetMs: 800, slowMs: 1000 };

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Seconds per step, one entry per timed run. */
export function timeSteps(step: () => void, opts: MeasureOptions): number[] {
  const times: number[] = [];
  const timeOne = () => {
    const t0 = performance.now();
    step();
    return performance.now() - t0;
  };
  const first = timeOne();
  let minRuns = opts.minRuns;
  if (first > opts.slowMs) {
    // Too slow to warm up: the first step counts, and only a few more are taken.
    times.push(first / 1000);
    minRuns = Math.max(1, Math.min(minRuns, Math.floor((opts.budgetMs * 4) / first)));
  } else {
    let warm = first;
    for (let i = 1; (i < opts.warmup && warm < opts.warmupCapMs) || warm < opts.warmupMs; i++) warm += timeOne();
  }
  let spent = 0;
  while (times.length < minRuns || (times.length < opts.maxRuns && spent < opts.budgetMs)) {
    const ms = timeOne();
    spent += ms;
    times.push(ms / 1000);
  }
  return times;
}
