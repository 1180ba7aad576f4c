/**
 * @file A model-family run (run.json format 2, src/train/session.ts) as a PyTorch program, and back
 * (SPEC §17, issue #28): `tapegrad export RUN --torch DIR` for the recurrent image classifiers
 * (`rnn`/`lstm`/`gru` on digits or Fashion-MNIST), the character language models (`rnn`/`lstm`/`gru`
 * on `--dataset text`) and the transformer; `tapegrad import DIR --out RUN` for what PyTorch wrote.
 * The classic classifiers (mlp, cnn) are src/train/torch-program.ts's; `torchProgramKind` is the one
 * place that says which writer a run goes to, and refuses a family neither knows, naming it.
 *
 * DIR holds model.py (the family's network as a torch.nn.Module with tapegrad's state-dict keys,
 * and the safetensors reader/writer of tg.export.toTorch), weights.safetensors, the run's data (the
 * digits split as the run split them, or the text as the run read it), run.json (the run's own,
 * plus a `torch` section with what train.py needs: the task, the sizes, the vocabulary or the pixel
 * statistics), train.py (src/train/torch-program-families-py.ts) and a README.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as data from '../data';
import { LOADER } from '../export/torch';
import { writeBytes, writeText } from '../platform/files';
import { rng } from '../random/rng';
import { tensor } from '../tensor/create';
import { load, saveBytes } from '../tensor/safetensors';
import type { Tensor } from '../tensor/tensor';
import { CharRnn } from './families/char-lm';
import { loadClassifierData } from './families/classify';
import { SequenceClassifier } from './families/recurrent-digits';
import { CharTransformer, WARMUP_FRACTION } from './families/transformer';
import { RUN_FILES, writeAtomic } from './run';
import { buildRun, loadRunWeights, loadSession, runWeights } from './session';
import type { SessionCheckpoint } from './session-checkpoint';
import { writeSessionCheckpoint } from './session-checkpoint';
import { readSessionSpec, SESSION_FILES } from './session-spec';
import { charRnnPy, charTransformerPy, FAMILY_TRAIN_PY, MODEL_PY_HEAD, sequenceClassifierPy } from './torch-program-families-py';
import { readmeClosing } from './torch-program-py';
import { bundledTextPath, readTextFile } from './text-data';

/** The runs src/train/torch-program.ts exports (format 1, or format 2 once they train through the session). */
export const CLASSIC_TORCH_FAMILIES = ['mlp', 'cnn'] as const;
/** The families this file exports. */
export const FAMILY_TORCH_FAMILIES = ['rnn', 'lstm', 'gru', 'transformer'] as const;

/**
 * Which writer exports the run in `runDir`: 'classic' (torch-program.ts) or 'family' (this file).
 * A family with no PyTorch program throws, naming it and the ones that have one.
 */
export function torchProgramKind(runDir: string): 'classic' | 'family' {
  const file = path.join(runDir, RUN_FILES.spec);
  let spec: { formatVersion?: unknown; family?: unknown };
  try {
    spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return 'classic'; // loadRun says what is wrong with it
  }
  if (spec.formatVersion !== 2) return 'classic';
  const family = String(spec.family);
  if ((CLASSIC_TORCH_FAMILIES as readonly string[]).includes(family)) return 'classic';
  if ((FAMILY_TORCH_FAMILIES as readonly string[]).includes(family)) return 'family';
  throw new Error(
    `--torch: the '${family}' family has no PyTorch program yet (supported: ${[...CLASSIC_TORCH_FAMILIES, ...FAMILY_TORCH_FAMILIES].join(', ')})`,
  );
}

const LAYERS = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' } as const;

/** What train.py reads from run.json's `torch` section. */
interface Recipe {
  task: 'classify' | 'lm';
  /** The optimiser train.py builds (the transformer trains with AdamW whatever --optimizer said). */
  optimizer: string;
  /** The transformer's linear warm-up fraction before its cosine decay; null: the plain schedule. */
  warmupFraction: number | null;
  model: Record<string, unknown>;
  seqLen?: number;
  vocab?: string[];
  pixels?: { mean: number; std: number };
  pixelScale?: number;
  imageShape?: number[];
}

/** Writes the PyTorch program of the family run in `runDir` into `dir`; returns the files written. */
export function writeFamilyTorchProgram(runDir: string, dir: string): string[] {
  const { spec, run, options } = loadSession(runDir);
  const model = run.modules.model;
  const written: string[] = [];
  const put = (name: string, content: string | Uint8Array) => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (typeof content === 'string') writeText(file, content);
    else writeBytes(file, content);
    written.push(name);
  };
  let modelClass: string;
  let recipe: Recipe;
  if (model instanceof SequenceClassifier) {
    modelClass = sequenceClassifierPy(LAYERS[model.kind], model.inputSize, model.hiddenSize, model.classes);
    const loaded = loadClassifierData(options.model, options);
    recipe = {
      task: 'classify',
      optimizer: options.optimizer,
      warmupFraction: null,
      model: { class: 'SequenceClassifier', layer: LAYERS[model.kind], inputSize: model.inputSize, hiddenSize: model.hiddenSize },
      pixels: loaded.pixels,
      pixelScale: loaded.pixelScale,
      imageShape: loaded.imageShape,
    };
  } else if (model instanceof CharRnn) {
    const sizes = { embedDim: model.embedding.embeddingDim, hiddenSize: model.rnn.hiddenSize };
    modelClass = charRnnPy(LAYERS[model.kind], model.vocabSize, sizes.embedDim, sizes.hiddenSize);
    recipe = {
      task: 'lm',
      optimizer: options.optimizer,
      warmupFraction: null,
      model: { class: 'CharRnn', layer: LAYERS[model.kind], ...sizes },
      seqLen: Number(spec.saved.seqLen),
      vocab: spec.saved.vocab as string[],
    };
  } else if (model instanceof CharTransformer) {
    modelClass = charTransformerPy(model.vocabSize, model.sizes);
    recipe = {
      task: 'lm',
      optimizer: 'adamw',
      warmupFraction: (options.scheduler ?? 'cosine') === 'cosine' ? WARMUP_FRACTION : null,
      model: { class: 'CharTransformer', ...model.sizes },
      seqLen: model.sizes.seqLen,
      vocab: spec.saved.vocab as string[],
    };
  } else {
    throw new Error(`--torch: the '${spec.family}' run's model is a ${model.constructor.name}, which has no PyTorch program`);
  }
  put('model.py', MODEL_PY_HEAD + modelClass + LOADER);
  put('weights.safetensors', saveBytes(runWeights(run), { format: 'pt', producer: 'tapegrad' }));
  if (recipe.task === 'classify' && options.dataset === 'digits') {
    // The digits split as the run drew it (Note [the split comes from the seed] in families/classify.ts), pixels in [0, 1].
    const split = data.trainTestSplit(data.loadDigits(), { testFraction: 0.2, rng: rng(`${options.seed}:split`) });
    for (const [name, set] of [
      ['train', split.train],
      ['test', split.test],
    ] as const) {
      const n = options.limit === null ? set.labels.length : Math.min(options.limit, set.labels.length);
      const head = data.gather(
        set,
        Int32Array.from({ length: n }, (_, i) => i),
      );
      put(`data/${name}.safetensors`, saveBytes({ images: head.images, labels: tensor(head.labels) }));
    }
  }
  // The text as tapegrad read it (UTF-8, without a byte-order mark); train.py splits it as tapegrad does.
  if (recipe.task === 'lm') put('data/text.txt', readTextFile(options.textFile ?? bundledTextPath()));
  const raw = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.spec), 'utf8'));
  put('run.json', `${JSON.stringify({ ...raw, weights: 'weights.safetensors', torch: recipe }, null, 2)}\n`);
  put('train.py', FAMILY_TRAIN_PY);
  put('README.md', readme(spec.family, options.dataset, spec.model.architecture, recipe));
  return written;
}

function readme(family: string, dataset: string, architecture: string, recipe: Recipe): string {
  const lm = recipe.task === 'lm';
  const prints = lm
    ? 'prints "val loss 1.9412" (nats per character on the validation text) and "accuracy 41.20%" (next-character accuracy)'
    : 'prints "accuracy 97.50%"';
  return `# ${family} on ${dataset}, as a PyTorch program

Written by \`tapegrad export RUN_DIR --torch DIR\`. \`model.py\` is the network (${architecture}) as a
\`torch.nn.Module\` whose \`state_dict()\` keys are tapegrad's; \`weights.safetensors\` holds its weights;
\`train.py\` is the run's recipe (run.json's \`options\`: optimiser, learning rate and schedule, clipping,
epochs, batch size, seed; its \`torch\` section: the sizes and ${lm ? 'the vocabulary' : 'the pixel statistics'}).
${
  lm
    ? 'The text is beside it in `data/text.txt`; train.py splits it as tapegrad did (the last 10% validate).'
    : dataset === 'digits'
      ? 'The digits are beside it in `data/`, split as the run split them.'
      : 'The data are read from the IDX files in `--data-dir` (default: the directory the run read).'
}
It needs only PyTorch (it uses the \`safetensors\` package when installed).

## One machine

\`\`\`sh
python train.py                    # trains, ${prints}, writes weights.safetensors back
python train.py --epochs 0         # only evaluates the weights as they are
python train.py --epochs 5 --lr 0.01 --batch-size 64
\`\`\`

## Several processes or GPUs on one machine

\`\`\`sh
torchrun --nproc_per_node 2 train.py      # DistributedDataParallel; gloo on CPU, nccl when CUDA is present
\`\`\`

${
  lm
    ? "Each process draws its own random windows of the text, a 1/N share of the epoch's steps;"
    : 'Each process trains on its share of every epoch (a `DistributedSampler`);'
} gradients are averaged across processes. Rank 0 evaluates and writes the weights.

${readmeClosing(lm ? 'the val loss train.py printed (as valLoss)' : 'the accuracy train.py printed')}`;
}

// ---- import --------------------------------------------------------------------------------------

/** The metrics each task's epochs carry (train.py writes them so, with `seconds`). */
const EPOCH_KEYS = {
  classify: ['trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy'],
  lm: ['trainLoss', 'valLoss', 'unigramLoss'],
} as const;

/** The epochs train.py recorded in DIR/metrics.json (null when it has not trained there), checked field by field. */
function readHistory(dir: string, keys: readonly string[]): { metrics: Record<string, number>; seconds: number }[] | null {
  const file = path.join(dir, 'metrics.json');
  if (!fs.existsSync(file)) return null;
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { epochs?: unknown };
  if (!Array.isArray(m.epochs) || m.epochs.length === 0) throw new Error(`${file}: field epochs must be a non-empty array`);
  return m.epochs.map((e: Record<string, unknown>, i: number) => {
    const metrics: Record<string, number> = { epoch: i + 1 };
    for (const k of [...keys, 'seconds']) {
      const v = e?.[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${file}: field epochs[${i}].${k} must be a finite number`);
      if (k !== 'seconds') metrics[k] = v;
    }
    return { metrics, seconds: e.seconds as number };
  });
}

/**
 * `tapegrad import DIR --out RUN` for a family run: DIR's run.json (validated as a family run's) and
 * the weights PyTorch wrote become a run directory `eval`, `sample`, `predict`, `--resume` and
 * `export` accept. When train.py trained (metrics.json beside the weights), the run's epochs become
 * PyTorch's and it gets a checkpoint holding them, with a fresh optimiser and schedule at their end
 * (PyTorch's optimiser state stays in PyTorch), so `--resume` writes its report and metrics.
 * Returns the line the CLI prints.
 */
export function importFamilyRun(dir: string, out: string): string {
  const { spec, family } = readSessionSpec(dir);
  const task = spec.options.dataset === 'text' ? 'lm' : 'classify';
  const history = readHistory(dir, EPOCH_KEYS[task]);
  const options = { ...spec.options, ...(history !== null ? { epochs: history.length } : {}) };
  // A --text file that is gone (the folder came back from another machine): the copy beside the weights.
  if (options.textFile !== null && !fs.existsSync(options.textFile)) options.textFile = path.resolve(dir, 'data', 'text.txt');
  const b = buildRun(family, options, spec.saved);
  const weightsFile = path.join(dir, 'weights.safetensors');
  let weights: Record<string, Tensor>;
  try {
    weights = load(weightsFile);
    loadRunWeights(b.run, weights);
  } catch (e) {
    throw new Error(`${weightsFile}: ${(e as Error).message.replace(/^load: /, '')}`);
  }
  fs.mkdirSync(out, { recursive: true });
  const runSpec = { ...spec, options, weights: SESSION_FILES.weights } as Record<string, unknown>;
  delete runSpec.torch;
  writeAtomic(out, SESSION_FILES.weights, saveBytes(runWeights(b.run)));
  writeAtomic(out, RUN_FILES.spec, `${JSON.stringify(runSpec, null, 2)}\n`);
  if (history !== null) {
    const perEpoch = b.run.batchesPerEpoch * options.batchSize * (task === 'lm' ? Number(spec.saved.seqLen) : 1);
    const checkpoint: SessionCheckpoint = {
      epoch: history.length,
      weights: runWeights(b.run),
      optimizers: Object.fromEntries(Object.entries(b.run.optimizers).map(([k, o]) => [k, o.stateDict()])),
      schedulers: Object.fromEntries(Object.entries(b.run.schedulers).map(([k, s]) => [k, JSON.parse(JSON.stringify(s.stateDict()))])),
      rngs: Object.fromEntries([...b.rngs.all].map(([k, r]) => [k, r.state()])),
      epochs: history.map((h) => h.metrics),
      timings: history.map((h, i) => ({
        epoch: i + 1,
        trainSeconds: h.seconds,
        testSeconds: 0,
        examplesPerSecond: perEpoch / Math.max(h.seconds, 1e-9),
      })),
    };
    writeSessionCheckpoint(out, family.name, checkpoint, writeAtomic);
  }
  return `wrote ${out}: ${spec.model.architecture} with the weights of ${weightsFile} (tapegrad eval ${out})`;
}
