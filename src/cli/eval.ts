/**
 * @file `tapegrad eval RUN_DIR`: the saved run's model on its test set — the same split, the same
 * preprocessing and the same evaluation as `train`, so it prints the test accuracy train printed —
 * and the confusion matrix. Exit 0, 2 for bad arguments or an unusable run directory.
 */
import { loadDataset } from '../train/datasets';
import { findIdxFiles } from '../train/idx-files';
import { evaluateClassifier } from '../train/families/classify';
import { DATASETS, DatasetName } from '../train/options';
import { isClassicRun, loadRun } from '../train/classic-run';
import { runRng } from '../train/run';
import { formatHeadline, loadSession } from '../train/session';
import { runFormat } from '../train/session-spec';
import { parseCommand } from './args';

const HELP = `usage: tapegrad eval RUN_DIR [--dataset digits|fashion-mnist] [--data-dir DIR]

Loads the model a 'tapegrad train' run saved in RUN_DIR (run.json, model.json) and prints its test
accuracy and confusion matrix on the run's own test set (the digits split by the run's seed, or
the t10k files of its data directory). --dataset and --data-dir evaluate on other data of the same
image size instead.`;

const OPTIONS = { dataset: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

const fail = (message: string): number => {
  console.error(`tapegrad eval: ${message}`);
  return 2;
};

export function formatConfusion(classNames: string[], confusion: number[][]): string[] {
  const width = Math.max(4, ...confusion.flat().map((v) => String(v).length)) + 1;
  const label = (s: string) => s.slice(0, width - 1).padStart(width);
  return [
    `${''.padStart(12)}${classNames.map((_, c) => label(String(c))).join('')}   (rows: true class, columns: predicted)`,
    ...confusion.map((row, t) => `${`${t} ${classNames[t]}`.slice(0, 11).padEnd(12)}${row.map((v) => String(v).padStart(width)).join('')}`),
  ];
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseCommand('eval', args, OPTIONS, HELP);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) return fail(`expected one RUN_DIR, got ${parsed.positionals.length}`);
  const dir = parsed.positionals[0];
  try {
    const otherData = parsed.values.dataset !== undefined || parsed.values['data-dir'] !== undefined;
    // A classic run (mlp, cnn) evaluates on other data through loadRun, whatever its format.
    if (runFormat(dir) === 2 && !(otherData && isClassicRun(dir))) {
      if (otherData)
        return fail(`--dataset and --data-dir are for classifier runs (mlp, cnn); a ${'model-family'} run evaluates on its own data`);
      return evalSession(dir);
    }
  } catch (e) {
    return fail((e as Error).message);
  }
  let loaded;
  try {
    loaded = loadRun(dir);
  } catch (e) {
    return fail((e as Error).message);
  }
  const { spec, model } = loaded;
  const datasetArg = parsed.values.dataset;
  if (datasetArg !== undefined && !(DATASETS as readonly string[]).includes(datasetArg))
    return fail(`unknown --dataset '${datasetArg}' (choose ${DATASETS.join(' or ')})`);
  const dataset = (datasetArg ?? spec.dataset) as DatasetName;
  const dataDir = parsed.values['data-dir'] ?? (dataset === spec.dataset ? spec.dataDir : null);
  if (dataset !== 'digits' && dataDir === null) return fail(`--dataset ${dataset} needs --data-dir DIR`);
  let idxFiles = null;
  try {
    if (dataset !== 'digits') idxFiles = findIdxFiles(dataDir!);
  } catch (e) {
    return fail(`--data-dir: ${(e as Error).message}`);
  }
  const limit = dataset === spec.dataset ? spec.limit : null;
  const data = loadDataset({ dataset, idxFiles, limit }, runRng(spec.seed, 'split'), {
    mean: spec.preprocessing.mean,
    std: spec.preprocessing.std,
  });
  const shape = data.imageShape.join(',');
  if (shape !== spec.model.imageShape.join(','))
    return fail(`the model takes images [${spec.model.imageShape.join(',')}], the data has [${shape}]`);
  const result = evaluateClassifier(model, data.test, spec.model.classes);
  const n = data.test.labels.length;
  console.log(`tapegrad eval ${dir}: ${spec.model.architecture} (${spec.model.name}) trained on ${spec.dataset}, seed ${spec.seed}`);
  console.log(`test accuracy ${(100 * result.accuracy).toFixed(2)}% (${n} images), loss ${result.loss.toFixed(4)}`);
  for (const line of formatConfusion(spec.classNames, result.confusion)) console.log(line);
  return 0;
}

/** A model-family run: its own held-out metrics, as train printed them after the last epoch. */
function evalSession(dir: string): number {
  const loaded = loadSession(dir);
  const { spec, run } = loaded;
  const metrics = run.evaluate();
  console.log(
    `tapegrad eval ${dir}: ${spec.model.architecture} (${spec.family}) trained on ${spec.options.dataset}, seed ${spec.options.seed}`,
  );
  // Classifiers lead with the accuracy line every run prints (`accuracy 97.50%`).
  if (metrics[run.headline] !== undefined) console.log(formatHeadline(run.headline, metrics[run.headline]));
  for (const [k, v] of Object.entries(metrics)) if (k !== run.headline) console.log(formatHeadline(k, v));
  const summary = run.summary() as { confusion?: number[][] };
  if (Array.isArray(summary.confusion) && run.classNames !== undefined)
    for (const line of formatConfusion(run.classNames, summary.confusion)) console.log(line);
  return 0;
}
