/**
 * @file The checkpoint of a model-family run (src/train/session.ts): the same two files as a
 * classifier run's (src/train/checkpoint.ts) — the tensors in `checkpoint.safetensors`, the rest in
 * `checkpoint.json` written last — but for any number of modules, optimisers, schedulers and
 * generators, and with the family's own epoch metrics. Read as untrusted input (Note [checkpoints
 * are validated] in checkpoint.ts): every field is checked against the run's own family before
 * anything is loaded.
 */
import * as path from 'node:path';
import type { OptimizerStateDict } from '../optim/optimizer';
import type { RngState } from '../random/rng';
import { loadBytes, saveBytes } from '../tensor/safetensors';
import { Tensor } from '../tensor/tensor';
import { CHECKPOINT_FILES, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, DivergedRunError } from './checkpoint';
import { FieldChecker, readBounded, runFile } from './validate';

/** The state after `epoch` completed epochs. */
export interface SessionCheckpoint {
  epoch: number;
  /** Every module's state dict under the run's keys (Note on names in family.ts: `${module}.${key}`, or `key` for 'model'). */
  weights: Record<string, Tensor>;
  optimizers: Record<string, OptimizerStateDict>;
  schedulers: Record<string, Record<string, unknown>>;
  rngs: Record<string, RngState>;
  /** One entry per completed epoch: `epoch` and the family's metrics. */
  epochs: Record<string, number>[];
  timings: { epoch: number; trainSeconds: number; testSeconds: number; examplesPerSecond: number }[];
}

/** What a checkpoint must agree with: the run's family as `create` builds it. */
export interface SessionExpectations {
  family: string;
  epochs: number;
  weights: Record<string, readonly number[]>;
  /** Per optimiser, its parameters' shapes in its numbering. */
  optimizers: Record<string, number[][]>;
  schedulers: string[];
  rngs: string[];
}

export function writeSessionCheckpoint(
  dir: string,
  family: string,
  c: SessionCheckpoint,
  writeAtomic: (dir: string, name: string, content: string | Uint8Array) => string,
): void {
  const tensors: Record<string, Tensor> = {};
  for (const [key, t] of Object.entries(c.weights)) tensors[`model.${key}`] = t;
  const optimizers: Record<string, unknown> = {};
  for (const [name, sd] of Object.entries(c.optimizers)) {
    const state: Record<string, Record<string, unknown>> = {};
    for (const [id, entry] of Object.entries(sd.state)) {
      state[id] = {};
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (v instanceof Tensor) {
          const tensorName = `optimizer.${name}.state.${id}.${k}`;
          tensors[tensorName] = v;
          state[id][k] = { tensor: tensorName };
        } else state[id][k] = v;
      }
    }
    optimizers[name] = { state, param_groups: sd.param_groups };
  }
  writeAtomic(dir, CHECKPOINT_FILES.tensors, saveBytes(tensors, { format: CHECKPOINT_FORMAT }));
  const json = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    family,
    epoch: c.epoch,
    tensors: CHECKPOINT_FILES.tensors,
    weights: Object.keys(c.weights),
    optimizers,
    schedulers: c.schedulers,
    rngs: c.rngs,
    epochs: c.epochs,
    timings: c.timings,
  };
  writeAtomic(dir, CHECKPOINT_FILES.json, `${JSON.stringify(json)}\n`);
}

const MAX_JSON_BYTES = 8 << 20;

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Reads and validates a family run's checkpoint; throws naming the file and the field, or DivergedRunError. */
export function readSessionCheckpoint(dir: string, expect: SessionExpectations): SessionCheckpoint {
  const jsonFile = runFile(dir, CHECKPOINT_FILES.json, 'the checkpoint written after each epoch');
  const check = new FieldChecker(jsonFile);
  const r = check.json(readBounded(jsonFile, MAX_JSON_BYTES)) as Record<string, unknown>;
  check.object(r, '');
  check.equal(r, 'format', CHECKPOINT_FORMAT);
  if (r.formatVersion !== CHECKPOINT_VERSION)
    check.fail('formatVersion', `is ${check.describe(r.formatVersion)}; this tapegrad reads checkpoint format ${CHECKPOINT_VERSION}`);
  check.equal(r, 'family', expect.family);
  const epoch = check.integer(r.epoch, 'epoch', 0, expect.epochs);
  check.equal(r, 'tensors', CHECKPOINT_FILES.tensors);
  const tensorFile = runFile(dir, CHECKPOINT_FILES.tensors, 'the checkpoint tensors');
  let elements = Object.values(expect.weights).reduce((n, s) => n + count(s), 0);
  for (const shapes of Object.values(expect.optimizers)) elements += 3 * shapes.reduce((n, s) => n + count(s), 0);
  let tensors: Record<string, Tensor>;
  try {
    tensors = loadBytes(readBounded(tensorFile, elements * 8 + (1 << 20)));
  } catch (e) {
    throw new Error(`${tensorFile}: ${(e as Error).message.replace(/^loadBytes: /, '')}`);
  }
  const tensorAt = (name: string, at: string, shape: readonly number[]): Tensor => {
    if (!(name in tensors)) check.fail(at, `names ${name}, which ${path.basename(tensorFile)} does not hold`);
    const t = tensors[name];
    if (t.shape.join(',') !== shape.join(','))
      check.fail(at, `has shape [${t.shape.join(',')}], the run's model needs [${shape.join(',')}]`);
    // A copy of its own: loadBytes' tensors may be views into one buffer.
    return new Tensor(t.data.slice(), [...t.shape]);
  };
  const sameKeys = (got: string[], want: string[], at: string) => {
    const missing = want.filter((k) => !got.includes(k));
    const extra = got.filter((k) => !want.includes(k));
    if (missing.length > 0 || extra.length > 0)
      check.fail(
        at,
        `do not match the run's model (${[missing.length > 0 ? `missing ${missing.join(', ')}` : '', extra.length > 0 ? `unexpected ${extra.join(', ')}` : ''].filter(Boolean).join('; ')})`,
      );
  };

  check.array(r.weights, 'weights');
  const keys = (r.weights as unknown[]).map(String);
  sameKeys(keys, Object.keys(expect.weights), 'weights');
  const weights: Record<string, Tensor> = {};
  for (const k of keys) weights[k] = tensorAt(`model.${k}`, `weights.${k}`, expect.weights[k]);

  check.object(r.optimizers, 'optimizers');
  const optimizersIn = r.optimizers as Record<string, unknown>;
  sameKeys(Object.keys(optimizersIn), Object.keys(expect.optimizers), 'optimizers');
  const optimizers: Record<string, OptimizerStateDict> = {};
  for (const [name, shapes] of Object.entries(expect.optimizers)) {
    const at = `optimizers.${name}`;
    const o = optimizersIn[name];
    check.object(o, at);
    const { state, param_groups: groups } = o as { state: unknown; param_groups: unknown };
    check.array(groups, `${at}.param_groups`);
    (groups as unknown[]).forEach((g, gi) => {
      check.object(g, `${at}.param_groups[${gi}]`);
      for (const [k, v] of Object.entries(g as object)) {
        if (k === 'params') {
          check.array(v, `${at}.param_groups[${gi}].params`);
          (v as unknown[]).forEach((id, i) => check.integer(id, `${at}.param_groups[${gi}].params[${i}]`, 0, shapes.length - 1));
        } else check.tree(v, `${at}.param_groups[${gi}].${k}`);
      }
    });
    check.object(state, `${at}.state`);
    const out: OptimizerStateDict['state'] = {};
    for (const [id, entry] of Object.entries(state as object)) {
      const index = check.integer(/^\d+$/.test(id) ? Number(id) : id, `${at}.state.${id}`, 0, shapes.length - 1);
      check.object(entry, `${at}.state.${id}`);
      const e: Record<string, Tensor | number> = {};
      for (const [k, v] of Object.entries(entry as object)) {
        const where = `${at}.state.${id}.${k}`;
        if (typeof v === 'object' && v !== null) {
          const name = (v as { tensor?: unknown }).tensor;
          if (typeof name !== 'string') check.fail(`${where}.tensor`, `must name a tensor of ${path.basename(tensorFile)}`);
          e[k] = tensorAt(name as string, where, shapes[index]);
        } else e[k] = check.number(v, where, { finite: true });
      }
      out[id] = e;
    }
    optimizers[name] = { state: out, param_groups: groups as OptimizerStateDict['param_groups'] };
  }

  check.object(r.schedulers, 'schedulers');
  const schedulers = r.schedulers as Record<string, Record<string, unknown>>;
  sameKeys(Object.keys(schedulers), expect.schedulers, 'schedulers');
  for (const [name, sd] of Object.entries(schedulers)) {
    check.object(sd, `schedulers.${name}`);
    check.tree(sd, `schedulers.${name}`);
  }

  check.object(r.rngs, 'rngs');
  const rngs = r.rngs as Record<string, RngState>;
  sameKeys(Object.keys(rngs), expect.rngs, 'rngs');
  for (const [k, s] of Object.entries(rngs)) check.rngState(s, `rngs.${k}`);

  check.array(r.epochs, 'epochs', epoch);
  (r.epochs as unknown[]).forEach((m, i) => {
    check.object(m, `epochs[${i}]`);
    const e = m as Record<string, unknown>;
    check.integer(e.epoch, `epochs[${i}].epoch`, i + 1, i + 1);
    // A diverged run's losses are NaN or ±Infinity, which JSON writes as null.
    for (const [k, v] of Object.entries(e)) if (v !== null) check.number(v, `epochs[${i}].${k}`, {});
  });
  check.array(r.timings, 'timings', epoch);
  (r.timings as unknown[]).forEach((m, i) => {
    check.object(m, `timings[${i}]`);
    const e = m as Record<string, unknown>;
    check.integer(e.epoch, `timings[${i}].epoch`, i + 1, i + 1);
    for (const k of ['trainSeconds', 'testSeconds', 'examplesPerSecond'])
      check.number(e[k], `timings[${i}].${k}`, { min: 0, finite: true });
  });

  for (const [k, t] of Object.entries(weights)) {
    const i = t.data.findIndex((v: number) => !Number.isFinite(v));
    if (i >= 0)
      throw new DivergedRunError(
        `the run diverged: ${path.basename(tensorFile)} holds ${t.data[i]} in weights.${k}[${i}] (checkpoint after epoch ${epoch}); ` +
          `resuming would only carry it on: start a new run, e.g. with a smaller --lr`,
      );
  }
  return {
    epoch,
    weights,
    optimizers,
    schedulers,
    rngs,
    epochs: r.epochs as Record<string, number>[],
    timings: r.timings as SessionCheckpoint['timings'],
  };
}
