/**
 * @file Old run directories for the tests: `toFormat1(from, to)` rewrites a format-2 mlp/cnn run
 * (what `tapegrad train` writes now) as the format-1 run tapegrad wrote for the same training
 * before mlp and cnn trained through the session — run.json format 1, model.json (nn.save's JSON),
 * checkpoint.json format 2 of the classifier checkpoint with its checkpoint.safetensors — byte for
 * byte the layout src/train/run.ts, src/train/checkpoint.ts and src/train/classic-run.ts read.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tg from '../src';
import { readClassicSpec } from '../src/train/classic-run';

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** Runs `train` (a command writing into `dir`) and sends it Ctrl-C once its first checkpoint is on disk; its exit status. */
export async function cutAfterFirstCheckpoint(dir: string, train: () => Promise<number>): Promise<number> {
  const poll = setInterval(() => {
    if (fs.existsSync(path.join(dir, 'checkpoint.json'))) {
      clearInterval(poll);
      process.emit('SIGINT');
    }
  }, 1);
  try {
    return await train();
  } finally {
    clearInterval(poll);
  }
}

export function toFormat1(from: string, to: string): string {
  fs.mkdirSync(to, { recursive: true });
  for (const f of ['metrics.json', 'timings.json', 'report.html'])
    if (fs.existsSync(path.join(from, f))) fs.copyFileSync(path.join(from, f), path.join(to, f));
  const spec = readJson(path.join(from, 'run.json'));
  if (spec.formatVersion !== 2 || !['mlp', 'cnn'].includes(spec.family))
    throw new Error(`toFormat1: ${from} is not a format-2 mlp/cnn run`);
  const { saved } = spec;
  const checkpoint = readJson(path.join(from, 'checkpoint.json'));
  const tensors = tg.load(path.join(from, 'checkpoint.safetensors'));
  const weights = fs.existsSync(path.join(from, 'model.safetensors')) ? tg.load(path.join(from, 'model.safetensors')) : null;
  // readClassicSpec describes a format-2 mlp/cnn run as format 1 did (readSpec checks every field of it when the tests read it back).
  fs.writeFileSync(path.join(to, 'run.json'), `${JSON.stringify({ ...readClassicSpec(from), weights: 'model.json' }, null, 2)}\n`);
  if (weights !== null) {
    const sd = Object.fromEntries(
      checkpoint.weights.map((k: string) => [k, { shape: [...weights[k].shape], data: Array.from(weights[k].data) }]),
    );
    fs.writeFileSync(path.join(to, 'model.json'), tg.nn.stateDictToJson(sd));
  }
  // The classifier checkpoint: tensors `model.K` and `optimizer.state.ID.K`; the generators shuffle, augment and model (the family's init).
  const out: Record<string, tg.Tensor> = {};
  for (const k of checkpoint.weights) out[`model.${k}`] = tensors[`model.${k}`];
  const { state, param_groups } = checkpoint.optimizers.model;
  const oldState: Record<string, Record<string, unknown>> = {};
  for (const [id, entry] of Object.entries(state as Record<string, Record<string, any>>)) {
    oldState[id] = {};
    for (const [k, v] of Object.entries(entry)) {
      if (v !== null && typeof v === 'object' && 'tensor' in v) {
        out[`optimizer.state.${id}.${k}`] = tensors[v.tensor];
        oldState[id][k] = { tensor: `optimizer.state.${id}.${k}` };
      } else oldState[id][k] = v;
    }
  }
  tg.save(path.join(to, 'checkpoint.safetensors'), out, { format: 'tapegrad-checkpoint' });
  const classes = saved.classes;
  const metrics = fs.existsSync(path.join(from, 'metrics.json')) ? readJson(path.join(from, 'metrics.json')) : null;
  const json = {
    format: 'tapegrad-checkpoint',
    formatVersion: 2,
    epoch: checkpoint.epoch,
    tensors: 'checkpoint.safetensors',
    weights: checkpoint.weights,
    optimizer: { state: oldState, param_groups },
    ...(checkpoint.schedulers.model !== undefined ? { scheduler: checkpoint.schedulers.model } : {}),
    rng: { shuffle: checkpoint.rngs.shuffle, augment: checkpoint.rngs.augment, model: checkpoint.rngs.init },
    epochs: checkpoint.epochs,
    timings: checkpoint.timings.map((t: Record<string, number>) => ({
      epoch: t.epoch,
      trainSeconds: t.trainSeconds,
      testSeconds: t.testSeconds,
      imagesPerSecond: t.examplesPerSecond,
    })),
    confusion: metrics?.confusion ?? Array.from({ length: classes }, () => new Array<number>(classes).fill(0)),
  };
  fs.writeFileSync(path.join(to, 'checkpoint.json'), `${JSON.stringify(json)}\n`);
  return to;
}
