/**
 * @file `tapegrad import DIR --out RUN_DIR` (SPEC §17): a folder `export --torch` wrote, with the
 * weights PyTorch wrote back into it, as a run directory tapegrad evaluates, predicts with and
 * exports again. DIR's run.json says the architecture and the preprocessing; its
 * weights.safetensors carries PyTorch's state_dict, whose keys are tapegrad's.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stateDictToJson } from '../nn/serialize';
import { load } from '../tensor/safetensors';
import { buildModel } from '../train/models';
import { RUN_FILES, RunSpec, runRng, writeAtomic } from '../train/run';
import { parseCommand } from './args';

const HELP = `usage: tapegrad import DIR --out RUN_DIR

Reads DIR as 'tapegrad export RUN --torch DIR' wrote it (run.json, weights.safetensors — the
weights PyTorch's train.py wrote back, or the exported ones) and writes RUN_DIR, a run directory
('tapegrad eval RUN_DIR', 'predict', 'export' work on it).`;

const OPTIONS = { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export async function run(args: string[]): Promise<number> {
  const fail = (message: string): number => {
    console.error(`tapegrad import: ${message}`);
    return 2;
  };
  const parsed = parseCommand('import', args, OPTIONS, HELP);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) return fail(`expected one DIR, got ${parsed.positionals.length}`);
  const out = parsed.values.out;
  if (out === undefined) return fail('--out RUN_DIR is required');
  const dir = parsed.positionals[0];
  let spec: RunSpec;
  try {
    spec = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunSpec;
    if (spec.format !== 'tapegrad-run' || typeof spec.model?.name !== 'string') throw new Error('not a tapegrad run description');
  } catch (e) {
    return fail(`${path.join(dir, 'run.json')}: ${(e as Error).message}`);
  }
  try {
    const model = buildModel(spec.model.name, spec.model.imageShape, spec.model.classes, runRng(spec.seed, 'init'));
    const weights = load(path.join(dir, 'weights.safetensors'));
    model.loadStateDict(weights);
    fs.mkdirSync(out, { recursive: true });
    writeAtomic(out, RUN_FILES.model, stateDictToJson(model.stateDict()));
    writeAtomic(out, RUN_FILES.spec, JSON.stringify({ ...spec, weights: RUN_FILES.model }, null, 2) + '\n');
  } catch (e) {
    return fail((e as Error).message);
  }
  console.log(
    `wrote ${out}: ${spec.model.architecture} with the weights of ${path.join(dir, 'weights.safetensors')} (tapegrad eval ${out})`,
  );
  return 0;
}
