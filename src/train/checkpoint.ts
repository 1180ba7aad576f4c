/**
 * @file A format-1 run's checkpoint (what mlp and cnn runs wrote before they trained through the
 * session; read now to resume them, src/train/classic-run.ts; SPEC §9, issue #26/#31): the tensors — weights and optimiser state — in
 * `checkpoint.safetensors`, which keeps NaN and ±Infinity bit for bit, and everything else in a
 * small `checkpoint.json` (format version 2): the epoch, the generators, the optimiser's numbers,
 * the metrics so far. Both are written atomically; the JSON last, so it only ever names tensors that
 * are on disk.
 *
 * Note [checkpoints are validated]: a checkpoint is read as untrusted input. Every field is checked
 * (type, range, shape against the run's own model and run.json) before anything is loaded, and a
 * bad one is refused with the file and the field named — never a raw TypeError, never a model of
 * NaN weights. A checkpoint whose tensors hold NaN or ±Infinity is a diverged run: it is read back
 * faithfully and resuming it says so. The older single-file checkpoint.json (no format field, the
 * tensors inline) still resumes, checked the same way.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OptimizerStateDict } from '../optim/optimizer';
import type { RngState } from '../random/rng';
import { loadBytes } from '../tensor/safetensors';
import { Tensor } from '../tensor/tensor';
import type { Confusion, EpochMetrics, EpochTiming } from './metrics';
import { FieldChecker, readBounded, runFile } from './validate';

export const CHECKPOINT_FILES = { json: 'checkpoint.json', tensors: 'checkpoint.safetensors' } as const;
export const CHECKPOINT_FORMAT = 'tapegrad-checkpoint';
export const CHECKPOINT_VERSION = 2;

/** The state after `epoch` completed epochs. */
export interface Checkpoint {
  epoch: number;
  weights: Record<string, { shape: number[]; data: number[] }>;
  optimizer: OptimizerStateDict;
  /** The learning-rate scheduler's stateDict (absent in checkpoints from before schedulers, and with --scheduler none). */
  scheduler?: Record<string, unknown>;
  rng: { shuffle: RngState; augment: RngState; model: RngState };
  epochs: EpochMetrics[];
  timings: EpochTiming[];
  confusion: Confusion;
}

/** What a checkpoint must agree with: the run's model and options (from run.json). */
export interface CheckpointExpectations {
  /** The model's own state dict shapes, by key. */
  weights: Record<string, number[]>;
  /** The optimiser's parameter shapes, in its numbering. */
  params: number[][];
  classes: number;
  epochs: number;
}

/** Thrown for a checkpoint of a run that diverged: its tensors hold NaN or ±Infinity. */
export class DivergedRunError extends Error {}

/** JSON size limit: the small file holds no tensors (a legacy one does: 64 bytes per element is generous). */
const MAX_JSON_BYTES = 8 << 20;

/**
 * Reads and validates a checkpoint (Note [checkpoints are validated]). Throws an Error naming the
 * file and the field, or a DivergedRunError when its tensors hold non-finite values.
 */
export function readCheckpoint(dir: string, expect: CheckpointExpectations): Checkpoint {
  const jsonFile = runFile(dir, CHECKPOINT_FILES.json, 'the checkpoint written after each epoch');
  const legacyLimit =
    64 * (Object.values(expect.weights).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0) * 4 + 4096) + MAX_JSON_BYTES;
  const raw = readBounded(jsonFile, legacyLimit);
  const check = new FieldChecker(jsonFile);
  const root = check.json(raw);
  check.object(root, '');
  const format = (root as Record<string, unknown>).format;
  const legacy = format === undefined;
  if (!legacy) {
    check.equal(root, 'format', CHECKPOINT_FORMAT);
    const v = (root as Record<string, unknown>).formatVersion;
    if (v !== CHECKPOINT_VERSION)
      check.fail(
        'formatVersion',
        `is ${check.describe(v)}; this tapegrad reads checkpoint format ${CHECKPOINT_VERSION} (a newer tapegrad wrote it?)`,
      );
  }
  const r = root as Record<string, unknown>;
  const epoch = check.integer(r.epoch, 'epoch', 0, expect.epochs);

  // Tensors: from the safetensors file (format 2) or inline {shape, data} (the older format).
  let tensors: Record<string, Tensor> = {};
  let tensorFile = jsonFile;
  if (!legacy) {
    check.equal(r, 'tensors', CHECKPOINT_FILES.tensors);
    tensorFile = runFile(dir, CHECKPOINT_FILES.tensors, 'the checkpoint tensors');
    const expected = Object.values(expect.weights).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0) * 3 * 8 + (1 << 20);
    try {
      tensors = loadBytes(readBounded(tensorFile, expected));
    } catch (e) {
      throw new Error(`${tensorFile}: ${(e as Error).message.replace(/^loadBytes: /, '')}`);
    }
  }
  const tensorAt = (v: unknown, at: string, shape: number[]): Tensor => {
    let t: Tensor;
    if (!legacy) {
      check.object(v, at);
      const name = (v as { tensor?: unknown }).tensor;
      if (typeof name !== 'string' || !(name in tensors)) check.fail(`${at}.tensor`, `must name a tensor of ${path.basename(tensorFile)}`);
      t = tensors[name as string];
    } else {
      check.object(v, at);
      const { shape: s, data } = v as { shape: unknown; data: unknown };
      check.shape(s, `${at}.shape`);
      if (!Array.isArray(data)) check.fail(`${at}.data`, `must be an array of numbers, got ${check.describe(data)}`);
      (data as unknown[]).forEach((x, i) => {
        if (typeof x !== 'number')
          check.fail(
            `${at}.data[${i}]`,
            x === null
              ? 'is null: an older tapegrad wrote NaN or ±Infinity so; the run diverged'
              : `must be a number, got ${check.describe(x)}`,
          );
      });
      t = new Tensor(Float32Array.from(data as number[]), s as number[]);
    }
    if (t.shape.join(',') !== shape.join(','))
      check.fail(at, `has shape [${t.shape.join(',')}], the run's model needs [${shape.join(',')}]`);
    return t;
  };

  // Weights: exactly the model's keys, each of its shape.
  const weights: Checkpoint['weights'] = {};
  const weightEntries: [string, unknown][] = legacy
    ? (check.object(r.weights, 'weights'), Object.entries(r.weights as object))
    : (check.array(r.weights, 'weights'), (r.weights as unknown[]).map((k) => [String(k), { tensor: `model.${String(k)}` }]));
  const keys = weightEntries.map(([k]) => k);
  const missing = Object.keys(expect.weights).filter((k) => !keys.includes(k));
  const extra = keys.filter((k) => !(k in expect.weights));
  if (missing.length > 0 || extra.length > 0)
    check.fail(
      'weights',
      `do not match the run's model (${[missing.length > 0 ? `missing ${missing.join(', ')}` : '', extra.length > 0 ? `unexpected ${extra.join(', ')}` : ''].filter(Boolean).join('; ')})`,
    );
  for (const [k, v] of weightEntries) {
    const t = tensorAt(v, `weights.${k}`, expect.weights[k]);
    weights[k] = { shape: [...t.shape], data: Array.from(t.data) };
  }

  // Optimiser: PyTorch's layout (Note [optimizer state dicts]); numbers where numbers belong, tensors of the parameters' shapes.
  const opt = r.optimizer;
  check.object(opt, 'optimizer');
  const { state, param_groups: groups } = opt as { state: unknown; param_groups: unknown };
  check.array(groups, 'optimizer.param_groups');
  (groups as unknown[]).forEach((g, gi) => {
    const at = `optimizer.param_groups[${gi}]`;
    check.object(g, at);
    for (const [k, v] of Object.entries(g as object)) {
      if (k === 'params') {
        check.array(v, `${at}.params`);
        (v as unknown[]).forEach((id, i) => check.integer(id, `${at}.params[${i}]`, 0, expect.params.length - 1));
      } else if (k === 'lr' || k === 'initial_lr') check.number(v, `${at}.${k}`, { min: 0, finite: true });
      else check.plain(v, `${at}.${k}`);
    }
  });
  check.object(state, 'optimizer.state');
  const optimizerState: OptimizerStateDict['state'] = {};
  for (const [id, entry] of Object.entries(state as object)) {
    const at = `optimizer.state.${id}`;
    const index = check.integer(/^\d+$/.test(id) ? Number(id) : id, at, 0, expect.params.length - 1);
    check.object(entry, at);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry as object)) {
      if (k === 'step') out[k] = check.integer(v, `${at}.step`, 0, Number.MAX_SAFE_INTEGER);
      else if (typeof v === 'object' && v !== null) {
        // A copy of its own: loadBytes' tensors may be views into one buffer.
        const t = tensorAt(v, `${at}.${k}`, expect.params[index]);
        out[k] = { shape: [...t.shape], data: Array.from(t.data) };
      } else out[k] = check.number(v, `${at}.${k}`, { finite: true });
    }
    (optimizerState as Record<string, unknown>)[id] = out;
  }

  // Generators: seedrandom's ARC4 state.
  check.object(r.rng, 'rng');
  const rngs = r.rng as Record<string, unknown>;
  for (const k of ['shuffle', 'augment', 'model'] as const) check.rngState(rngs[k], `rng.${k}`);

  // Metrics so far: one entry per completed epoch, in order.
  check.array(r.epochs, 'epochs', epoch);
  (r.epochs as unknown[]).forEach((m, i) => {
    const at = `epochs[${i}]`;
    check.object(m, at);
    const e = m as Record<string, unknown>;
    check.integer(e.epoch, `${at}.epoch`, i + 1, i + 1);
    // A diverged run's losses are NaN or ±Infinity, which JSON writes as null.
    for (const k of ['trainLoss', 'testLoss']) if (e[k] !== null) check.number(e[k], `${at}.${k}`, {});
    for (const k of ['trainAccuracy', 'testAccuracy']) check.number(e[k], `${at}.${k}`, { min: 0, max: 1 });
  });
  check.array(r.timings, 'timings', epoch);
  (r.timings as unknown[]).forEach((m, i) => {
    const at = `timings[${i}]`;
    check.object(m, at);
    const e = m as Record<string, unknown>;
    check.integer(e.epoch, `${at}.epoch`, i + 1, i + 1);
    for (const k of ['trainSeconds', 'testSeconds', 'imagesPerSecond']) check.number(e[k], `${at}.${k}`, { min: 0, finite: true });
  });
  check.array(r.confusion, 'confusion', expect.classes);
  (r.confusion as unknown[]).forEach((row, i) => {
    check.array(row, `confusion[${i}]`, expect.classes);
    (row as unknown[]).forEach((v, j) => check.integer(v, `confusion[${i}][${j}]`, 0, Number.MAX_SAFE_INTEGER));
  });

  // The scheduler's state: plain numbers (PyTorch's state_dict of a scheduler); its own loadStateDict checks the keys.
  if (r.scheduler !== undefined) {
    check.object(r.scheduler, 'scheduler');
    const walk = (v: unknown, at: string): void => {
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${at}[${i}]`));
      if (typeof v === 'object' && v !== null) return Object.entries(v).forEach(([k, x]) => walk(x, `${at}.${k}`));
      if (v !== null && typeof v !== 'boolean' && typeof v !== 'string') check.number(v, at, {});
    };
    walk(r.scheduler, 'scheduler');
  }

  const checkpoint: Checkpoint = {
    epoch,
    ...(r.scheduler !== undefined ? { scheduler: r.scheduler as Record<string, unknown> } : {}),
    weights,
    optimizer: { state: optimizerState, param_groups: groups } as OptimizerStateDict,
    rng: rngs as Checkpoint['rng'],
    epochs: r.epochs as EpochMetrics[],
    timings: r.timings as EpochTiming[],
    confusion: r.confusion as Confusion,
  };
  // A diverged run (Note [checkpoints are validated]): its tensors were read back faithfully; say so.
  const bad = firstNonFinite(checkpoint);
  if (bad !== null)
    throw new DivergedRunError(
      `the run diverged: ${path.basename(tensorFile)} holds ${bad.value} in ${bad.where} (checkpoint after epoch ${epoch}); ` +
        `resuming would only carry the ${bad.value} on: start a new run, e.g. with a smaller --lr`,
    );
  return checkpoint;
}

function describeNonFinite(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

function firstNonFinite(c: Checkpoint): { where: string; value: string } | null {
  for (const [k, { data }] of Object.entries(c.weights)) {
    const i = data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return { where: `weights.${k}[${i}]`, value: describeNonFinite(data[i]) };
  }
  for (const [id, entry] of Object.entries(c.optimizer.state)) {
    for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
      if (typeof v !== 'object' || v === null) continue;
      const data = (v as { data: number[] }).data;
      const i = data.findIndex((x: number) => !Number.isFinite(x));
      if (i >= 0) return { where: `optimizer.state.${id}.${k}[${i}]`, value: describeNonFinite(data[i]) };
    }
  }
  return null;
}
