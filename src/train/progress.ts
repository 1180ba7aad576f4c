/**
 * @file What the terminal shows while training: a live cli-progress bar per epoch (loss, accuracy,
 * images/s) on an interactive terminal, plain throttled lines otherwise (a pipe, a log file, CI),
 * and one row of the summary table after each epoch.
 */
import { SingleBar } from 'cli-progress';
import type { EpochMetrics, EpochTiming } from './metrics';

export interface BatchStats {
  /** Mean loss so far this epoch. */
  loss: number;
  /** Accuracy so far this epoch. */
  accuracy: number;
  imagesPerSecond: number;
}

export interface ProgressOptions {
  /** Where finished lines go (console.log in the CLI). */
  log: (line: string) => void;
  /** The stream the live bar redraws; null for plain lines only. */
  liveStream: NodeJS.WriteStream | null;
  /** In plain mode, at most one line per this many milliseconds (default 5000). */
  plainIntervalMs?: number;
  now?: () => number;
}

/** A live bar only makes sense on an interactive terminal and outside CI. */
export function liveStreamFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): NodeJS.WriteStream | null {
  return stream.isTTY && !env.CI ? stream : null;
}

const COLUMNS = ['epoch', 'train loss', 'train acc', 'test loss', 'test acc', 'time', 'img/s'];
const WIDTHS = [7, 10, 9, 9, 8, 7, 7];

function row(cells: string[]): string {
  return cells.map((c, i) => c.padStart(WIDTHS[i])).join('  ');
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

export class Progress {
  private bar: SingleBar | null = null;
  private epoch = 0;
  private epochs = 0;
  private total = 0;
  private lastLine = 0;
  private headerShown = false;
  private readonly now: () => number;

  constructor(private readonly opts: ProgressOptions) {
    this.now = opts.now ?? Date.now;
  }

  startEpoch(epoch: number, epochs: number, totalBatches: number): void {
    this.epoch = epoch;
    this.epochs = epochs;
    this.total = totalBatches;
    this.lastLine = this.now();
    if (this.opts.liveStream) {
      this.bar = new SingleBar({
        stream: this.opts.liveStream,
        format: `epoch ${epoch}/${epochs} {bar} {value}/{total} | loss {loss} | acc {acc} | {speed} img/s | eta {eta_formatted}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
      });
      this.bar.start(totalBatches, 0, { loss: '-', acc: '-', speed: '-' });
    }
  }

  update(done: number, stats: BatchStats): void {
    if (this.bar) {
      this.bar.update(done, { loss: stats.loss.toFixed(4), acc: pct(stats.accuracy), speed: Math.round(stats.imagesPerSecond) });
      return;
    }
    const t = this.now();
    if (done < this.total && t - this.lastLine >= (this.opts.plainIntervalMs ?? 5000)) {
      this.lastLine = t;
      this.opts.log(
        `epoch ${this.epoch}/${this.epochs}  batch ${done}/${this.total}  loss ${stats.loss.toFixed(4)}  acc ${pct(stats.accuracy)}  ${Math.round(stats.imagesPerSecond)} img/s`,
      );
    }
  }

  /** Closes the bar and prints the epoch's row of the summary table (the header before the first). */
  endEpoch(m: EpochMetrics, t: EpochTiming): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
    if (!this.headerShown) {
      this.headerShown = true;
      this.opts.log(row(COLUMNS));
      this.opts.log(row(WIDTHS.map((w) => '-'.repeat(w))));
    }
    this.opts.log(
      row([
        `${m.epoch}/${this.epochs}`,
        m.trainLoss.toFixed(4),
        pct(m.trainAccuracy),
        m.testLoss.toFixed(4),
        pct(m.testAccuracy),
        `${(t.trainSeconds + t.testSeconds).toFixed(1)}s`,
        String(Math.round(t.imagesPerSecond)),
      ]),
    );
  }
}
