/**
 * @file What a model family (SPEC §17: autoencoder, vae, rnn, lstm, gru, gan, dbn, transformer)
 * gives the training session (src/train/session.ts). The session owns everything that is the same
 * for every family — run.json, the checkpoint after each epoch and --resume, Ctrl-C, the progress
 * bar and the epoch table, metrics.json, timings.json, report.html, `eval` and `sample` — and
 * asks the family only for what differs: its data, its modules and optimisers, one epoch of
 * training, an evaluation, the report's sections and, for generative families, samples.
 *
 * Note [a family is rebuilt from its options]: `create` is a function of the run's options and
 * seed alone. Training, `--resume`, `eval` and `sample` all call it with the options run.json
 * holds and then load the saved weights, so a family never writes an architecture of its own
 * into run.json: whatever it needs again (a vocabulary, image statistics) it derives from the same
 * data the same way, or returns in `spec` for the session to store and hand back in `saved`.
 */
import type { Module } from '../nn/module';
import type { LRScheduler } from '../optim/lr-scheduler';
import type { Optimizer } from '../optim/optimizer';
import type { Rng } from '../random/rng';
import type { Tensor } from '../tensor/tensor';
import type { Hyper } from './options';

/** The options every family is created with: the §9 options plus the data choice. */
export interface FamilyOptions extends Hyper {
  model: string;
  dataset: string;
  /** The IDX directory (fashion-mnist); null for bundled data. */
  dataDir: string | null;
  /** The user's text file (--text) for the text task; null for the bundled text. */
  textFile: string | null;
  seed: number;
  /** Train and test on only the first N examples of each split (quick runs and tests). */
  limit: number | null;
}

/** What the session gives a family: its generators, and the family's own saved facts when rebuilding. */
export interface FamilyContext {
  /**
   * The run's generator for one purpose ('init', 'shuffle', 'noise', …): the same seed and purpose
   * give the same stream, and the session saves and restores its state with every checkpoint. Ask
   * for each purpose once, in `create`.
   */
  rng(purpose: string): Rng;
  /** What `spec` returned when the run was trained (run.json's `family`), when rebuilding; null while training. */
  saved: Record<string, unknown> | null;
}

/** Running numbers the progress bar shows after each batch: the mean loss so far and examples per second are shown for every family. */
export interface BatchStats {
  loss: number;
  /** Examples (images, sequences, characters: see `unit`) done so far this epoch. */
  examples: number;
  /** Accuracy so far this epoch, for classifiers. */
  accuracy?: number;
}

/** One section of report.html: a heading and well-formed XHTML (every element closed, text escaped). */
export interface ReportSection {
  title: string;
  html: string;
}

export interface SampleOptions {
  prompt: string;
  length: number;
  temperature: number;
  count: number;
  rng: Rng;
}

/** What `tapegrad sample` produces: text to print, or images (pixels in [0, 1], row-major [count, height, width]) to write as IDX or a PNG grid. */
export type SampleResult =
  { text: string } | { images: { data: Float32Array | Float64Array; count: number; height: number; width: number } };

export interface FamilyRun {
  /**
   * The modules whose weights the run saves, by name. A family with one model names it 'model'
   * and its state-dict keys are saved as they are; with several (a GAN's generator and
   * discriminator), as `${name}.${key}`.
   */
  modules: Record<string, Module>;
  /** The optimisers, by name ('model', or 'generator' and 'discriminator', …). */
  optimizers: Record<string, Optimizer>;
  /** The learning-rate schedulers, by name, stepped by the family itself. */
  schedulers: Record<string, LRScheduler>;
  /** One line naming the architecture and its size, for the terminal and the report. */
  description: string;
  /** One line naming the data, e.g. '1437 train / 360 test images [1,8,8]'. */
  dataDescription: string;
  /** The optimiser and its schedule as the header and the report say them (default: `${optimizer} lr ${lr}`). */
  optimizerDescription?: string;
  /** Rows the report's settings table adds after the data's (e.g. the preprocessing, the augmentation). */
  settings?: [string, string][];
  /** What `examples` counts ('images', 'sequences', 'characters'). */
  unit: string;
  batchesPerEpoch: number;
  /**
   * Trains one epoch. After each batch it awaits `onBatch(done, stats)` (which lets Ctrl-C and the
   * progress bar in); when that returns true it stops at once and returns null (the epoch is
   * dropped). Otherwise it returns the epoch's train metrics, e.g. { trainLoss }.
   */
  trainEpoch(epoch: number, onBatch: (done: number, stats: BatchStats) => Promise<boolean>): Promise<Record<string, number> | null>;
  /** The held-out metrics after an epoch, in eval mode without a graph: e.g. { testLoss, testAccuracy } or { testMse } or { valLoss }. */
  evaluate(): Record<string, number>;
  /** The metric the terminal's summary line names after training (a key `evaluate` returns). */
  headline: string;
  /** metrics.json's fields beyond the epochs, e.g. { testMse, meanImageMse } or { valLoss, unigramLoss } or { testAccuracy, confusion }. */
  summary(): Record<string, unknown>;
  /** The family's sections of report.html (the session adds the settings, the curves and the graph). */
  report(): Promise<ReportSection[]>;
  /** Files the run writes beside its weights (e.g. the GAN's samples.idx). */
  files?(): { name: string; content: string | Uint8Array }[];
  /** Note [a family is rebuilt from its options]: facts to keep in run.json and hand back as `ctx.saved`. */
  spec(): Record<string, unknown>;
  /** `tapegrad sample`, for the generative and text families. */
  sample?(opts: SampleOptions): SampleResult;
  /**
   * For classifiers (`tapegrad predict`): class probabilities [N, classes] for images [N,C,H,W]
   * whose pixels are already in [0, 1] (the family applies its own preprocessing).
   */
  predict?(images: Tensor): Tensor;
  /** The class names, for classifiers. */
  classNames?: string[];
  /** The input on which report.html draws the model's computation graph, and the module to draw. */
  graphInput?(): { module: Module; input: unknown };
}

export interface Family {
  name: string;
  /** The datasets this family trains on; the first is the default. */
  datasets: readonly string[];
  /** The hyper-parameters for a dataset when the command line does not override them. */
  defaults(dataset: string): Hyper;
  /** Note [a family is rebuilt from its options]. */
  create(opts: FamilyOptions, ctx: FamilyContext): FamilyRun;
}

/**
 * A family's hyper-parameters from the few that matter to it: Adam with a cosine schedule, and the
 * §9 fields families without SGD or augmentation leave at their neutral values (momentum is Adam's
 * β1 where a family reads it). `h` overrides any of them.
 */
export function adamDefaults(h: Pick<Hyper, 'epochs' | 'batchSize' | 'lr'> & Partial<Hyper>): Hyper {
  return { momentum: 0.9, weightDecay: 0, cropPadding: 0, flipP: 0, optimizer: 'adam', scheduler: 'cosine', ...h };
}
