/**
 * @file The GAN family's quality check (issue #27): "generated digits must be recognisable: a
 * separately trained `--model cnn` run classifies them confidently and into most classes (not one
 * collapsed mode)". It classifies a gan run's samples.idx with a cnn run's model and prints the class
 * histogram, the mean top probability and how many classes were hit; exit 0 when the samples pass.
 *
 *   npx ts-node scripts/check-gan.ts [--cnn RUN_DIR] [--gan RUN_DIR] [--min-classes 8] [--min-confidence 0.8]
 *
 * A directory not given is trained first, with the CLI's defaults (`tapegrad train --model cnn`,
 * `tapegrad train --model gan`), into a temporary folder.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parseIdxImages } from '../src/data/idx';
import type { Tensor } from '../src/tensor/tensor';
import { loadRun } from '../src/train/classic-run';

export interface ClassHistogram {
  /** How many images each class won (argmax of its probabilities). */
  counts: number[];
  /** The mean over images of the largest probability. */
  meanConfidence: number;
  /** How many classes won at least one image. */
  classesHit: number;
  /** The share of the images the most frequent class won (1 is a collapsed mode). */
  largestShare: number;
}

/** The histogram of argmax classes of probabilities [N, classes], and the mean top probability. */
export function classHistogram(probs: Tensor): ClassHistogram {
  if (probs.ndim !== 2 || probs.shape[0] === 0)
    throw new Error(`classHistogram: expected probabilities [N,classes] with N > 0, got [${probs.shape}]`);
  const [n, classes] = probs.shape;
  const counts = new Array<number>(classes).fill(0);
  let confidence = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs.data[i * classes + c] > probs.data[i * classes + best]) best = c;
    counts[best]++;
    confidence += Number(probs.data[i * classes + best]);
  }
  return { counts, meanConfidence: confidence / n, classesHit: counts.filter((k) => k > 0).length, largestShare: Math.max(...counts) / n };
}

export interface GanCheck extends ClassHistogram {
  samples: number;
  classNames: string[];
  pass: boolean;
}

/** Classifies `ganDir`/samples.idx with the model saved in `cnnDir`. */
export function checkGan(cnnDir: string, ganDir: string, opts: { minClasses?: number; minConfidence?: number } = {}): GanCheck {
  const file = path.join(ganDir, 'samples.idx');
  if (!fs.existsSync(file)) throw new Error(`check-gan: ${file} does not exist (is ${ganDir} a finished gan run?)`);
  const images = parseIdxImages(fs.readFileSync(file), file);
  const classifier = loadRun(cnnDir);
  const [c, h, w] = classifier.spec.model.imageShape;
  if (images.shape[1] !== c || images.shape[2] !== h || images.shape[3] !== w) {
    throw new Error(`check-gan: ${file} holds images [${images.shape.slice(1)}] but the classifier in ${cnnDir} takes [${c},${h},${w}]`);
  }
  const hist = classHistogram(classifier.predict(images));
  const pass = hist.classesHit >= (opts.minClasses ?? 8) && hist.meanConfidence >= (opts.minConfidence ?? 0.8);
  return { ...hist, samples: images.shape[0], classNames: classifier.spec.classNames ?? hist.counts.map((_, i) => String(i)), pass };
}

/** The check's report, one line per class and a verdict. */
export function formatCheck(r: GanCheck, opts: { minClasses: number; minConfidence: number }): string[] {
  const lines = [`${r.samples} samples classified:`];
  const widest = Math.max(...r.counts);
  r.counts.forEach((k, i) =>
    lines.push(
      `  ${(r.classNames[i] ?? String(i)).padStart(12)} ${String(k).padStart(4)} ${'#'.repeat(Math.round((40 * k) / Math.max(1, widest)))}`,
    ),
  );
  lines.push(
    `classes hit: ${r.classesHit} of ${r.counts.length} (need ${opts.minClasses}); largest class ${(100 * r.largestShare).toFixed(1)}% of the samples`,
  );
  lines.push(`mean confidence (top probability): ${r.meanConfidence.toFixed(3)} (need ${opts.minConfidence})`);
  lines.push(r.pass ? 'PASS: recognisable, not one collapsed mode' : 'FAIL');
  return lines;
}

/** Trains `--model name` with the CLI's defaults into a new temporary directory. */
async function trainDefault(model: string): Promise<string> {
  const { main: cli } = await import('../src/cli/main');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `check-gan-${model}-`));
  console.log(`training --model ${model} into ${dir} …`);
  const code = await cli(['train', '--model', model, '--out', dir]);
  if (code !== 0) throw new Error(`check-gan: tapegrad train --model ${model} exited with ${code}`);
  return dir;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      cnn: { type: 'string' },
      gan: { type: 'string' },
      'min-classes': { type: 'string' },
      'min-confidence': { type: 'string' },
    },
  });
  const minClasses = Number(values['min-classes'] ?? 8);
  const minConfidence = Number(values['min-confidence'] ?? 0.8);
  if (!Number.isInteger(minClasses) || minClasses < 1)
    throw new Error(`check-gan: --min-classes must be a positive integer, got ${values['min-classes']}`);
  if (!(minConfidence >= 0 && minConfidence <= 1))
    throw new Error(`check-gan: --min-confidence must be in [0,1], got ${values['min-confidence']}`);
  const cnnDir = values.cnn ?? (await trainDefault('cnn'));
  const ganDir = values.gan ?? (await trainDefault('gan'));
  const result = checkGan(cnnDir, ganDir, { minClasses, minConfidence });
  for (const line of formatCheck(result, { minClasses, minConfidence })) console.log(line);
  return result.pass ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error((e as Error).message);
      process.exit(2);
    },
  );
}
