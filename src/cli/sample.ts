/**
 * @file `tapegrad sample RUN_DIR`: what a trained generative model makes (SPEC §17). Text models
 * (rnn, lstm, gru, transformer on --dataset text) print text continuing --prompt; gan and vae write
 * --count generated images to --out, as IDX (FILE.idx, the format tg.data.loadIdx and MNIST readers
 * read) or as one PNG grid (FILE.png). The same --seed gives the same sample.
 */
import * as path from 'node:path';
import { rng } from '../random/rng';
import { idxImageBytes, imageGridPng } from '../train/image-files';
import { writeAtomic } from '../train/run';
import { loadSession } from '../train/session';
import { runFormat } from '../train/session-spec';
import { parseCommand } from './args';

const HELP = `usage: tapegrad sample RUN_DIR [--prompt TEXT] [--length N] [--temperature T] [--seed S]
                       [--count N] [--out FILE.png|FILE.idx]

Samples from the model a 'tapegrad train' run saved in RUN_DIR.
Text models (rnn, lstm, gru or transformer trained with --dataset text) print --length characters
(default 200) continuing --prompt (default: a newline), drawn at --temperature (default 0.8; 0 takes
the most likely character every time).
Image models (gan, vae) write --count images (default 64) to --out (default RUN_DIR/sample.png):
a .png file is one grid of them, a .idx file the images in the IDX format.
--seed S (default 0) picks the draws: the same seed gives the same sample.`;

const OPTIONS = {
  prompt: { type: 'string' },
  length: { type: 'string' },
  temperature: { type: 'string' },
  seed: { type: 'string' },
  count: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const fail = (message: string): number => {
  console.error(`tapegrad sample: ${message}`);
  return 2;
};

function count(flag: string, v: string | undefined, fallback: number, max: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\+?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max)
    throw new Error(`--${flag} must be an integer from 1 to ${max}, got '${v}'`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommand('sample', args, OPTIONS, HELP);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) return fail(`expected one RUN_DIR, got ${parsed.positionals.length}`);
  const dir = parsed.positionals[0];
  const v = parsed.values;
  let length: number;
  let n: number;
  let temperature = 0.8;
  let seed = 0;
  try {
    length = count('length', v.length, 200, 1_000_000);
    n = count('count', v.count, 64, 65_536);
    if (v.temperature !== undefined) {
      temperature = Number(v.temperature);
      if (v.temperature.trim() === '' || !Number.isFinite(temperature) || temperature < 0)
        throw new Error(`--temperature must be a number ≥ 0, got '${v.temperature}'`);
    }
    if (v.seed !== undefined) {
      seed = Number(v.seed);
      if (!/^[+-]?\d+$/.test(v.seed.trim()) || !Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got '${v.seed}'`);
    }
    if (v.out !== undefined && !/\.(png|idx)$/i.test(v.out)) throw new Error(`--out must name a .png or .idx file, got '${v.out}'`);
  } catch (e) {
    return fail((e as Error).message);
  }
  let loaded;
  try {
    if (runFormat(dir) !== 2)
      return fail(`${dir} is a classifier run (mlp, cnn): it has nothing to sample; 'tapegrad predict' classifies images`);
    loaded = loadSession(dir);
  } catch (e) {
    return fail((e as Error).message);
  }
  const { run: family, spec } = loaded;
  if (family.sample === undefined)
    return fail(`a ${spec.family} run on ${spec.options.dataset} does not sample (it is a classifier: use 'tapegrad predict')`);
  let result;
  try {
    result = family.sample({ prompt: v.prompt ?? '\n', length, temperature, count: n, rng: rng(`${seed}:sample`) });
  } catch (e) {
    return fail((e as Error).message);
  }
  if ('text' in result) {
    if (v.out !== undefined || v.count !== undefined) return fail(`--out and --count are for image models; a text model prints its sample`);
    console.log(result.text.replace(/\n$/, ''));
    return 0;
  }
  if (v.prompt !== undefined || v.length !== undefined)
    return fail(`--prompt and --length are for text models; an image model writes --count images`);
  const out = v.out ?? path.join(dir, 'sample.png');
  const images = result.images;
  const content = /\.idx$/i.test(out) ? idxImageBytes(images) : imageGridPng(images);
  writeAtomic(path.dirname(path.resolve(out)), path.basename(out), content);
  console.log(`wrote ${images.count} images of ${images.height}x${images.width} to ${out}`);
  return 0;
}
