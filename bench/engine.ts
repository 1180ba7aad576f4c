/** @file What the runner needs from each engine under test. */
import type { WorkloadId } from './workloads';

export interface Engine {
  /** Column heading in the results table. */
  label: string;
  init?(): Promise<void>;
  /** How the engine ran (kernels, threads), for the line under the table. */
  describe?(): string;
  /** One forward + backward (or training) step of the workload; null when the engine cannot do it. */
  setup(id: WorkloadId): (() => void) | null;
  /** E1: seconds of training for one Fashion-MNIST epoch read from `dataDir`, as the engine's own job times it. */
  epoch?(dataDir: string): number;
  /** E2: seconds of training for one epoch of the character LSTM on the shipped text, as the engine's own job times it. */
  textEpoch?(): number;
}
