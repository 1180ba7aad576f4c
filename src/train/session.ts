/**
 * @file A training session for any model family (src/train/family.ts): what `tapegrad train` does
 * for autoencoder, vae, rnn, lstm, gru, gan, dbn and transformer, and what `--resume`, `eval`,
 * `sample` and `predict` rebuild. The session writes run.json first, a checkpoint after each epoch
 * (weights, every optimiser, scheduler and generator), and only at the end the weights,
 * metrics.json, timings.json, report.html and the family's own files — each atomically — so an
 * interrupted run leaves a checkpoint to resume from and never a half-written result.
 *
 * Note [one session, many families]: everything here is the same for every family; a family that
 * needs something the session does not do (a second optimiser, pre-training before fine-tuning, a
 * per-batch schedule) does it inside its own trainEpoch, and keeps its state in the modules,
 * optimisers, schedulers and generators it declares, which the checkpoint saves.
 */
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Module } from '../nn/module';
import { rng as makeRng, Rng } from '../random/rng';
import { loadBytes, saveBytes } from '../tensor/safetensors';
import { Tensor } from '../tensor/tensor';
import * as viz from '../viz';
import type { Family, FamilyOptions, FamilyRun } from './family';
import { RUN_FILES, writeAtomic } from './run';
import { readSessionCheckpoint, SessionCheckpoint, SessionExpectations, writeSessionCheckpoint } from './session-checkpoint';
import { renderSessionReport } from './session-report';
import { readSessionSpec, SESSION_FILES, SessionSpec, sessionSpecJson } from './session-spec';
import { readBounded, runFile } from './validate';

/** A family that could not be built from the run's options: the CLI prints the message and exits 2. */
export class SessionSetupError extends Error {}

/** A checkpoint that does not fit the run being resumed (or a diverged one): the CLI prints why and exits 2. */
export class CheckpointRefusedError extends Error {}

/** What the session needs from the program around it (the CLI, or a test). */
export interface SessionIo {
  log(line: string): void;
  /** The stream a live progress bar redraws; null for plain lines. */
  liveStream: NodeJS.WriteStream | null;
  /** Checked between batches: true stops the run (Ctrl-C). */
  shouldStop(): boolean;
  /** Called before every write (the CLI exits when its parent is gone). */
  beforeWrite(): void;
  /** The kernels line of the header. */
  kernels: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The run's generators, created on demand and remembered, so the checkpoint can save each one's state. */
class RunRngs {
  readonly all = new Map<string, Rng>();
  constructor(private readonly seed: number) {}
  get(purpose: string): Rng {
    let r = this.all.get(purpose);
    if (r === undefined) {
      r = makeRng(`${this.seed}:${purpose}`);
      this.all.set(purpose, r);
    }
    return r;
  }
}

/** A family built for a run: its FamilyRun and the generators it asked for. */
export interface BuiltRun {
  family: Family;
  options: FamilyOptions;
  run: FamilyRun;
  rngs: RunRngs;
}

export function buildRun(family: Family, options: FamilyOptions, saved: Record<string, unknown> | null): BuiltRun {
  const rngs = new RunRngs(options.seed);
  const run = family.create(options, { rng: (purpose) => rngs.get(purpose), saved });
  return { family, options, run, rngs };
}

/** The run's weights under their saved keys: `key` for the module named 'model', `${name}.${key}` for the others. */
export function runWeights(run: FamilyRun): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, m] of Object.entries(run.modules)) {
    // The live tensors (with their dtypes: a batch norm's count is int32), in the state dict's order.
    const live = new Map<string, Tensor>([...m.namedParameters(), ...m.namedBuffers()]);
    for (const k of Object.keys(m.stateDict())) out[name === 'model' ? k : `${name}.${k}`] = live.get(k)!;
  }
  return out;
}

/** Loads weights saved by runWeights into the run's modules (each module checks its own keys and shapes). */
export function loadRunWeights(run: FamilyRun, weights: Record<string, Tensor>): void {
  const names = Object.keys(run.modules);
  const parts: Record<string, Record<string, Tensor>> = Object.fromEntries(names.map((n) => [n, {}]));
  for (const [key, t] of Object.entries(weights)) {
    const name = names.includes('model') && names.length === 1 ? 'model' : names.find((n) => key.startsWith(`${n}.`));
    if (name === undefined) throw new Error(`the weights hold '${key}', which belongs to none of the modules ${names.join(', ')}`);
    parts[name][name === 'model' && names.length === 1 ? key : key.slice(name.length + 1)] = t;
  }
  for (const [name, m] of Object.entries(run.modules)) m.loadStateDict(parts[name]);
}

function parameterCount(run: FamilyRun): number {
  const seen = new Set<unknown>();
  let n = 0;
  for (const m of Object.values(run.modules))
    for (const p of m.parameters()) {
      if (seen.has(p)) continue;
      seen.add(p);
      n += p.size;
    }
  return n;
}

function expectations(b: BuiltRun): SessionExpectations {
  const weights: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(runWeights(b.run))) weights[k] = [...v.shape];
  const optimizers: Record<string, number[][]> = {};
  for (const [name, o] of Object.entries(b.run.optimizers))
    optimizers[name] = o.paramGroups.flatMap((g) => g.params.map((p) => [...p.shape]));
  return {
    family: b.family.name,
    epochs: b.options.epochs,
    weights,
    optimizers,
    schedulers: Object.keys(b.run.schedulers),
    rngs: [...b.rngs.all.keys()],
  };
}

function capture(b: BuiltRun, epochs: Record<string, number>[], timings: SessionCheckpoint['timings']): SessionCheckpoint {
  // Copies: the next epoch's updates write into the live tensors in place.
  const weights: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(runWeights(b.run))) weights[k] = new Tensor(v.data.slice(), [...v.shape]);
  const optimizers: SessionCheckpoint['optimizers'] = {};
  for (const [name, o] of Object.entries(b.run.optimizers)) {
    const sd = o.stateDict();
    const state: typeof sd.state = {};
    for (const [id, entry] of Object.entries(sd.state)) {
      state[id] = {};
      for (const [k, v] of Object.entries(entry)) state[id][k] = v instanceof Tensor ? new Tensor(v.data.slice(), [...v.shape]) : v;
    }
    optimizers[name] = { state, param_groups: JSON.parse(JSON.stringify(sd.param_groups)) };
  }
  const schedulers: SessionCheckpoint['schedulers'] = {};
  for (const [name, s] of Object.entries(b.run.schedulers)) schedulers[name] = JSON.parse(JSON.stringify(s.stateDict()));
  const rngs: SessionCheckpoint['rngs'] = {};
  for (const [k, r] of b.rngs.all) rngs[k] = r.state();
  return { epoch: epochs.length, weights, optimizers, schedulers, rngs, epochs: epochs.map((e) => ({ ...e })), timings: [...timings] };
}

function restore(b: BuiltRun, c: SessionCheckpoint): void {
  loadRunWeights(b.run, c.weights);
  for (const [name, o] of Object.entries(b.run.optimizers)) o.loadStateDict(c.optimizers[name]);
  // Every session checkpoint holds its schedulers (readSessionCheckpoint checks); a finished older run's may hold none.
  for (const [name, s] of Object.entries(b.run.schedulers)) if (c.schedulers[name] !== undefined) s.loadStateDict(c.schedulers[name]);
  for (const [k, r] of b.rngs.all) r.setState(c.rngs[k]);
}

/** Numbers rounded to 6 significant digits for metrics.json (NaN and ±Infinity become null, as JSON has them). */
function rounded(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? Number(v.toPrecision(6)) : null;
  if (Array.isArray(v)) return v.map(rounded);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rounded(x)]));
  return v;
}

/** The live bar on a terminal, a plain line at most every 5 s otherwise. */
class SessionProgress {
  private bar: SingleBar | null = null;
  private last = 0;
  constructor(private readonly io: SessionIo) {}
  start(epoch: number, epochs: number, batches: number): void {
    this.last = Date.now();
    if (this.io.liveStream !== null) {
      this.bar = new SingleBar({
        stream: this.io.liveStream,
        format: `epoch ${epoch}/${epochs} [{bar}] {value}/{total} | loss {loss}{accuracy} | {speed}`,
        hideCursor: true,
        clearOnComplete: true,
      });
      this.bar.start(batches, 0, { loss: '-', accuracy: '', speed: '' });
    }
  }
  update(epoch: number, done: number, batches: number, loss: number, accuracy: number | undefined, speed: string): void {
    const acc = accuracy === undefined ? '' : ` | acc ${(100 * accuracy).toFixed(2)}%`;
    if (this.bar !== null) this.bar.update(done, { loss: loss.toFixed(4), accuracy: acc, speed });
    else if (Date.now() - this.last >= 5000) {
      this.last = Date.now();
      this.io.log(`  epoch ${epoch}: batch ${done}/${batches}, loss ${loss.toFixed(4)}${acc}, ${speed}`);
    }
  }
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function formatMetrics(m: Record<string, number>): string {
  return Object.entries(m)
    .filter(([k]) => k !== 'epoch')
    .map(([k, v]) => `${k} ${/accuracy/i.test(k) ? `${(100 * v).toFixed(2)}%` : v.toFixed(4)}`)
    .join(', ');
}

/** The headline as the terminal and the report say it: accuracy as `accuracy 97.50%`, other metrics as numbers. */
export function formatHeadline(key: string, value: number): string {
  return /accuracy/i.test(key)
    ? `${key.replace(/^test(?=[A-Z])/, 'test ').toLowerCase()} ${(100 * value).toFixed(2)}%`
    : `${key} ${value.toFixed(4)}`;
}

/** The computation graph of one example, as SVG; an error message instead of failing a finished run. */
async function graphSvg(run: FamilyRun, title: string): Promise<{ svg: string | null; error: string | null }> {
  if (run.graphInput === undefined) return { svg: null, error: 'this family draws no graph' };
  try {
    const { module, input } = run.graphInput();
    module.eval();
    for (const [name, p] of module.namedParameters()) p.name ??= name;
    const out = (module as Module & { forward(x: unknown): unknown }).forward(input);
    const root = out instanceof Tensor ? out : Array.isArray(out) && out[0] instanceof Tensor ? (out[0] as Tensor) : null;
    if (root === null) return { svg: null, error: 'the model returned no tensor' };
    return { svg: await viz.toSvg(viz.toDot(root, { clusters: true, title, rankdir: 'TB' })), error: null };
  } catch (e) {
    return { svg: null, error: (e as Error).message };
  }
}

export interface SessionOptions extends FamilyOptions {
  out: string;
  /** The run directory being continued (--resume). */
  resumeFrom?: string;
}

/**
 * Trains (or resumes) a family run into opts.out; returns the exit status (0, or 130 when interrupted).
 * `legacy` is the checkpoint of an older run directory being resumed (src/train/classic-run.ts), read
 * from files this session does not write; the run continues in the session's format.
 */
export async function trainSession(family: Family, opts: SessionOptions, io: SessionIo, legacy?: SessionCheckpoint): Promise<number> {
  const started = performance.now();
  const { out, resumeFrom, ...options } = opts;
  const saved = resumeFrom !== undefined && legacy === undefined ? readSessionSpec(resumeFrom).spec.saved : null;
  let b: BuiltRun;
  try {
    b = buildRun(family, options, saved);
  } catch (e) {
    // The family refused its options or its data (an optimiser it does not train with, an empty
    // text): nothing has been written yet, and the message is the user's to act on.
    throw new SessionSetupError((e as Error).message);
  }
  const { run } = b;

  let checkpoint: SessionCheckpoint | null = null;
  if (resumeFrom !== undefined) {
    try {
      checkpoint = legacy ?? readSessionCheckpoint(resumeFrom, expectations(b));
      restore(b, checkpoint);
    } catch (e) {
      throw new CheckpointRefusedError((e as Error).message);
    }
  }

  io.log(`tapegrad train: ${options.dataset}, ${run.dataDescription}, ${options.model} = ${run.description}`);
  io.log(`kernels: ${io.kernels}`);
  const optimizerText = run.optimizerDescription ?? `${options.optimizer} lr ${options.lr}`;
  io.log(`${plural(options.epochs, 'epoch')}, batch ${options.batchSize}, ${optimizerText}, seed ${options.seed}`);
  if (checkpoint !== null)
    io.log(
      checkpoint.epoch >= options.epochs
        ? `resuming ${out}: all ${plural(options.epochs, 'epoch')} are done already; writing the results again`
        : `resuming ${out} after epoch ${checkpoint.epoch} of ${options.epochs}`,
    );

  io.beforeWrite();
  writeAtomic(
    out,
    RUN_FILES.spec,
    sessionSpecJson(family, options, { architecture: run.description, parameters: parameterCount(run) }, run.spec()),
  );

  const epochs: Record<string, number>[] = checkpoint?.epochs ?? [];
  const timings: SessionCheckpoint['timings'] = checkpoint?.timings ?? [];
  const save = (c: SessionCheckpoint) => {
    io.beforeWrite();
    writeSessionCheckpoint(out, family.name, c, writeAtomic);
  };
  const progress = new SessionProgress(io);
  let epochStart: SessionCheckpoint | null = null;
  for (let epoch = epochs.length + 1; epoch <= options.epochs; epoch++) {
    epochStart ??= capture(b, epochs, timings);
    progress.start(epoch, options.epochs, run.batchesPerEpoch);
    const t0 = performance.now();
    let examples = 0;
    const train = await run.trainEpoch(epoch, async (done, stats) => {
      examples = stats.examples;
      const seconds = (performance.now() - t0) / 1000;
      progress.update(
        epoch,
        done,
        run.batchesPerEpoch,
        stats.loss,
        stats.accuracy,
        `${Math.round(examples / Math.max(seconds, 1e-9))} ${run.unit}/s`,
      );
      await yieldToEventLoop();
      return io.shouldStop();
    });
    progress.stop();
    if (train === null) {
      save(epochStart);
      const done = epochs.length;
      io.log(
        `interrupted during epoch ${done + 1}; checkpoint (after ${plural(done, 'epoch')}) written to ${path.join(out, RUN_FILES.checkpoint)}`,
      );
      io.log(`resume with: tapegrad train --resume ${out}`);
      return 130;
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const test = run.evaluate();
    const testSeconds = (performance.now() - t1) / 1000;
    const metrics = { epoch, ...train, ...test };
    epochs.push(metrics);
    timings.push({ epoch, trainSeconds, testSeconds, examplesPerSecond: examples / Math.max(trainSeconds, 1e-9) });
    io.log(`epoch ${epoch}/${options.epochs}: ${formatMetrics(metrics)} (${(trainSeconds + testSeconds).toFixed(1)} s)`);
    epochStart = capture(b, epochs, timings);
    save(epochStart);
  }

  const final = epochs[epochs.length - 1] ?? run.evaluate();
  const headline = formatHeadline(run.headline, final[run.headline]);
  io.log(`${headline} after ${plural(options.epochs, 'epoch')}, ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const title = `tapegrad train: ${options.model} on ${options.dataset}, seed ${options.seed}`;
  const graph = await graphSvg(run, title);
  const settings: [string, string][] = [
    ['dataset', (options.dataDir ?? options.textFile) ? `${options.dataset} (${options.dataDir ?? options.textFile})` : options.dataset],
    ['data', run.dataDescription],
    ...(run.settings ?? []),
    ['model', `${options.model}: ${run.description}`],
    ['epochs', String(options.epochs)],
    ['batch size', String(options.batchSize)],
    [
      'optimiser',
      run.optimizerDescription ??
        `${options.optimizer}, lr ${options.lr}${options.weightDecay > 0 ? `, weight decay ${options.weightDecay}` : ''}`,
    ],
    ...(options.clipGradNorm != null ? ([['gradient clipping', `total 2-norm ≤ ${options.clipGradNorm}`]] as [string, string][]) : []),
    ['seed', String(options.seed)],
    ['output', out],
  ];
  const report = renderSessionReport({
    title,
    headline: `${headline} after ${plural(epochs.length, 'epoch')}`,
    settings,
    epochs,
    timings,
    unit: run.unit,
    sections: await run.report(),
    graphSvg: graph.svg,
    graphError: graph.error,
  });
  const metrics = {
    dataset: options.dataset,
    model: options.model,
    seed: options.seed,
    hyperparameters: {
      epochs: options.epochs,
      batchSize: options.batchSize,
      optimizer: options.optimizer,
      lr: options.lr,
      weightDecay: options.weightDecay,
      ...(options.clipGradNorm != null ? { clipGradNorm: options.clipGradNorm } : {}),
    },
    epochs,
    ...run.summary(),
  };
  const totalSeconds = (performance.now() - started) / 1000;
  io.beforeWrite();
  const files: { name: string; content: string | Uint8Array }[] = [
    { name: SESSION_FILES.weights, content: saveBytes(runWeights(run)) },
    { name: RUN_FILES.metrics, content: `${JSON.stringify(rounded(metrics), null, 2)}\n` },
    {
      name: RUN_FILES.timings,
      content: `${JSON.stringify({ epochs: rounded(timings), totalSeconds: rounded(totalSeconds) }, null, 2)}\n`,
    },
    { name: RUN_FILES.report, content: report },
    ...(run.files?.() ?? []),
  ];
  const written = files.map((f) => writeAtomic(out, f.name, f.content));
  io.log(
    `wrote ${[path.join(out, RUN_FILES.spec), path.join(out, RUN_FILES.checkpoint), ...written].map((p) => path.relative(process.cwd(), p) || p).join(', ')}`,
  );
  return 0;
}

/** A finished family run, rebuilt with its trained weights in eval mode (for eval, sample, predict). */
export interface LoadedSession extends BuiltRun {
  spec: SessionSpec;
}

export function loadSession(dir: string): LoadedSession {
  const { spec, family } = readSessionSpec(dir);
  const b = buildRun(family, spec.options, spec.saved);
  const file = runFile(dir, spec.weights, 'the trained weights');
  const expected = Object.values(runWeights(b.run)).reduce((n, t) => n + t.size, 0);
  let weights: Record<string, Tensor>;
  try {
    weights = loadBytes(readBounded(file, expected * 8 + (1 << 20)));
    loadRunWeights(b.run, weights);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message.replace(/^loadBytes: /, '')}`);
  }
  for (const m of Object.values(b.run.modules)) m.eval();
  return { ...b, spec };
}
