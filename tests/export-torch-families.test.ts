/**
 * `tapegrad export RUN --torch DIR` and `tapegrad import DIR --out RUN` for the model-family runs
 * (issue #28 with #27's families; src/train/torch-program-families.ts): the LSTM reading the digits
 * row by row, the character transformer and the character LSTM on the bundled text, each trained one
 * short epoch by tapegrad and exported; then Debian's PyTorch (tests/torch-harness.ts: the test fails
 * without it) evaluates the exported weights with `--epochs 0` and must print what `tapegrad eval`
 * prints, computes the same float64 forward on a batch to 1e-10 relative, trains one epoch as one
 * process and as two DistributedDataParallel processes under torchrun (gloo), and the weights it
 * wrote, imported back, give `tapegrad eval` the number PyTorch printed. GRU and plain-RNN runs check
 * the export's model.py the same way (evaluation and forward). The CLI runs in-process.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import { run as evalCli } from '../src/cli/eval';
import { run as exportCli } from '../src/cli/export';
import { run as importCli } from '../src/cli/import';
import { run as predictCli } from '../src/cli/predict';
import { run as sampleCli } from '../src/cli/sample';
import { run as trainCli } from '../src/cli/train';
import { loadClassifierData } from '../src/train/families/classify';
import { loadSession } from '../src/train/session';
import { bundledTextPath, loadTextData } from '../src/train/text-data';
import { capture } from './cli-capture';
import { decodeTensor, encodeTensor, requireTorch, runTorch, TORCH_PYTHON } from './torch-harness';
import { writeFashionIdx } from './idx-fixture';

jest.setTimeout(300_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-export-families-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(() => {
  requireTorch();
});

/**
 * torchrun as a user of Debian's PyTorch 1.13 under Python 3.11 must call it (see
 * tests/export-torch-cli.test.ts): the streams named, as its default `--redirects 0` is rejected there.
 */
const TORCHRUN = ['-m', 'torch.distributed.run', '--redirects', '2', '--tee', '1', '--nproc_per_node', '2'];

/** Runs the exported program; returns rank 0's stdout lines (torchrun's `[default0]:` prefix removed). */
function pytorch(args: string[]): string[] {
  const r = spawnSync(TORCH_PYTHON, args, { cwd: tmp, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => !/^\[default[1-9]/.test(l))
    .map((l) => l.replace(/^\[default0\]:/, ''));
}

async function cli(fn: (args: string[]) => Promise<number>, ...args: string[]): Promise<string[]> {
  const r = await capture(() => fn(args));
  if (r.code !== 0) throw new Error(`tapegrad ${args.join(' ')} exited ${r.code}: ${r.err.join('\n')}`);
  return r.out;
}

interface Case {
  name: string;
  args: string[];
  task: 'classify' | 'lm';
  /** One epoch in PyTorch (one process and torchrun), imported back. */
  trains: boolean;
  torchrun: boolean;
}

const CASES: Case[] = [
  { name: 'lstm on digits', args: ['--model', 'lstm', '--limit', '300'], task: 'classify', trains: true, torchrun: true },
  { name: 'transformer on text', args: ['--model', 'transformer', '--limit', '3000'], task: 'lm', trains: true, torchrun: true },
  { name: 'lstm on text', args: ['--model', 'lstm', '--dataset', 'text', '--limit', '3000'], task: 'lm', trains: true, torchrun: false },
  { name: 'gru on digits', args: ['--model', 'gru', '--limit', '200'], task: 'classify', trains: false, torchrun: false },
  {
    name: 'gru on IDX files',
    args: ['--model', 'gru', '--dataset', 'fashion-mnist', '--data-dir', writeFashionIdx(tmp, 48, 24)],
    task: 'classify',
    trains: false,
    torchrun: false,
  },
  { name: 'rnn on text', args: ['--model', 'rnn', '--dataset', 'text', '--limit', '2500'], task: 'lm', trains: false, torchrun: false },
];

/** The headline a classifier or a language model prints: tapegrad eval's and train.py's lines, as the same string. */
const EVAL_LINE = { classify: /^test accuracy (\d+\.\d\d%)$/, lm: /^valLoss (\d+\.\d{4})$/ };
const TORCH_LINE = { classify: /^accuracy (\d+\.\d\d%)$/, lm: /^val loss (\d+\.\d{4})$/ };

function headline(lines: string[], pattern: RegExp, what: string): string {
  for (const l of lines) {
    const m = pattern.exec(l);
    if (m !== null) return m[1];
  }
  throw new Error(`${what} printed no line matching ${pattern}:\n${lines.join('\n')}`);
}

/**
 * The two headlines agree: a classifier's accuracy exactly (a count of right answers); a language
 * model's loss to within one unit of its last printed place, since each side rounds its own float32
 * sum (the engines' summation orders differ by ~1e-6, which can fall either side of a rounding
 * boundary). The full-precision values are compared to 1e-5 relative below.
 */
function expectSameHeadline(c: Case, theirs: string, ours: string): void {
  if (c.task === 'classify') expect(theirs).toBe(ours);
  else expect(Math.abs(Number(theirs) - Number(ours))).toBeLessThanOrEqual(1e-4 + 1e-12);
}

const evalHeadline = async (c: Case, run: string) => headline(await cli(evalCli, run), EVAL_LINE[c.task], 'tapegrad eval');

describe.each(CASES)('a $name run', (c) => {
  const slug = c.name.replace(/ /g, '-');
  const run = path.join(tmp, `run-${slug}`);
  const dir = path.join(tmp, `torch-${slug}`);

  beforeAll(async () => {
    await cli(trainCli, ...c.args, '--epochs', '1', '--seed', '2', '--out', run);
    const out = await cli(exportCli, run, '--torch', dir);
    expect(out[0]).toMatch(/^wrote .*: model\.py, weights\.safetensors, /);
  }, 300_000);

  test('exports a self-describing folder', () => {
    // The text or the digits split beside the program; IDX files are read from --data-dir.
    const data =
      c.task === 'lm' ? ['data/text.txt'] : c.args.includes('--data-dir') ? [] : ['data/train.safetensors', 'data/test.safetensors'];
    for (const f of ['model.py', 'weights.safetensors', 'train.py', 'run.json', 'README.md', ...data])
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(spec).toMatchObject({ formatVersion: 2, weights: 'weights.safetensors', torch: { task: c.task } });
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('torchrun --nproc_per_node');
    expect(readme).toContain('--nnodes');
    if (c.task === 'lm')
      expect(fs.readFileSync(path.join(dir, 'data', 'text.txt'), 'utf8')).toBe(fs.readFileSync(bundledTextPath(), 'utf8'));
  });

  test('train.py --epochs 0 prints what tapegrad eval prints', async () => {
    const lines = pytorch([path.join(dir, 'train.py'), '--epochs', '0']);
    expectSameHeadline(c, headline(lines, TORCH_LINE[c.task], 'train.py'), await evalHeadline(c, run));
    // Every program prints an accuracy line; a language model's is its next-character accuracy.
    expect(lines.some((l) => /^accuracy \d+\.\d\d%$/.test(l))).toBe(true);
    if (c.task === 'lm') {
      const printed = JSON.parse(lines.find((l) => l.startsWith('{'))!);
      const { run: r } = loadSession(run);
      const m = r.evaluate();
      expect(Math.abs(printed.valLoss - m.valLoss) / m.valLoss).toBeLessThan(1e-5); // float32 on both sides
      expect(printed.unigramLoss).toBeCloseTo(m.unigramLoss, 12);
    }
  });

  test("the float64 forward on a batch equals tapegrad's to 1e-10 relative", () => {
    const session = loadSession(run);
    const model = session.run.modules.model.double() as tg.nn.Module<tg.Tensor, tg.Tensor>;
    model.eval();
    let x: tg.Tensor;
    if (c.task === 'classify') {
      const test = loadClassifierData(session.options.model, session.options).test.images;
      const [, ...image] = test.shape;
      const n = Math.min(16, test.shape[0]);
      x = tg.tensor(Float64Array.from(test.data.subarray(0, (n * test.size) / test.shape[0])), { shape: [n, ...image], dtype: 'float64' });
    } else {
      const text = loadTextData(null, session.spec.saved.vocab as string[]);
      const T = Number(session.spec.saved.seqLen);
      x = tg.tensor(text.val.slice(0, 3 * T), { shape: [3, T], dtype: 'int32' });
    }
    const ours = tg.noGrad(() => model.forward(x));
    const theirs = decodeTensor(
      runTorch(
        `
import importlib.util
spec = importlib.util.spec_from_file_location('exported_model', job['dir'] + '/model.py')
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
net = m.load(job['dir'] + '/weights.safetensors').double().eval()
x = tensor_from(job['x'])
with torch.no_grad():
    y = net(x.long() if x.dtype == torch.int32 else x)
emit(y)
`,
        { dir, x: encodeTensor(x) },
      ),
    );
    expect(theirs.shape).toEqual(ours.shape);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < ours.size; i++) {
      scale = Math.max(scale, Math.abs(Number(ours.data[i])));
      diff = Math.max(diff, Math.abs(Number(ours.data[i]) - Number(theirs.data[i])));
    }
    expect(scale).toBeGreaterThan(0);
    expect(diff / scale).toBeLessThan(1e-10);
  });

  if (c.trains)
    test('one epoch of python train.py, imported back: tapegrad eval prints what PyTorch printed', async () => {
      const copy = `${dir}-single`;
      fs.cpSync(dir, copy, { recursive: true });
      const printed = headline(pytorch([path.join(copy, 'train.py'), '--epochs', '1']), TORCH_LINE[c.task], 'train.py');
      const imported = `${run}-single`;
      await cli(importCli, copy, '--out', imported);
      expectSameHeadline(c, printed, await evalHeadline(c, imported));
      if (c.task === 'lm') {
        const sample = await cli(sampleCli, imported, '--prompt', 'The ', '--length', '20', '--seed', '1');
        expect(sample.join('\n').startsWith('The ')).toBe(true);
      } else {
        // One raw digit (0-16 pixels) as a CSV row.
        const csv = path.join(tmp, 'digit.csv');
        fs.writeFileSync(csv, `${Array.from(tg.data.loadDigits().images.data.subarray(0, 64), (p) => Math.round(p * 16)).join(',')}\n`);
        const [line] = await cli(predictCli, imported, csv, '--json');
        const p = JSON.parse(line).probabilities as number[];
        expect(p).toHaveLength(10);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      }
      // The transformer's --resume (its report samples and draws attention) is left to the LSTMs, to keep the suite short.
      if (c.name === 'transformer on text') return;
      // PyTorch's epoch is the imported run's checkpoint: --resume writes its report and metrics.
      const resumed = await cli(trainCli, '--resume', imported);
      expect(resumed).toContain(`resuming ${imported}: all 1 epoch are done already; writing the results again`);
      const metrics = JSON.parse(fs.readFileSync(path.join(imported, 'metrics.json'), 'utf8'));
      expect(metrics.epochs).toHaveLength(1);
      expect(metrics.epochs[0].trainLoss).toBeGreaterThan(0);
      // And it exports again.
      await cli(exportCli, imported, '--torch', `${copy}-again`);
      expect(fs.existsSync(path.join(`${copy}-again`, 'train.py'))).toBe(true);
    });

  test('import refuses weights that do not fit the model, naming the file, and writes nothing', async () => {
    const bad = `${dir}-bad`;
    fs.cpSync(dir, bad, { recursive: true });
    const weights = tg.load(path.join(bad, 'weights.safetensors'));
    const [key] = Object.keys(weights);
    tg.save(path.join(bad, 'weights.safetensors'), { ...weights, [key]: tg.zeros([3, 3]) });
    const r = await capture(() => importCli([bad, '--out', `${run}-bad`]));
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0].startsWith(`tapegrad import: ${path.join(bad, 'weights.safetensors')}: `)).toBe(true);
    expect(r.err[0]).toContain(key);
    expect(fs.existsSync(`${run}-bad`)).toBe(false);
  });

  if (c.torchrun)
    test('one epoch under torchrun with two processes (DistributedDataParallel, gloo), imported back', async () => {
      const copy = `${dir}-ddp`;
      fs.cpSync(dir, copy, { recursive: true });
      const lines = pytorch([...TORCHRUN, path.join(copy, 'train.py'), '--epochs', '1']);
      const printed = headline(lines, TORCH_LINE[c.task], 'torchrun train.py');
      expect(JSON.parse(lines.find((l) => l.startsWith('{'))!).processes).toBe(2);
      await cli(importCli, copy, '--out', `${run}-ddp`);
      expectSameHeadline(c, printed, await evalHeadline(c, `${run}-ddp`));
    });
});

test('export refuses a family with no PyTorch program, naming it', async () => {
  const gan = path.join(tmp, 'run-gan');
  fs.mkdirSync(gan, { recursive: true });
  fs.writeFileSync(path.join(gan, 'run.json'), JSON.stringify({ format: 'tapegrad-run', formatVersion: 2, family: 'gan' }));
  const r = await capture(() => exportCli([gan, '--torch', path.join(tmp, 'torch-gan')]));
  expect(r.code).toBe(2);
  expect(r.err).toEqual([
    "tapegrad export: --torch: the 'gan' family has no PyTorch program yet (supported: mlp, cnn, rnn, lstm, gru, transformer)",
  ]);
  expect(fs.existsSync(path.join(tmp, 'torch-gan'))).toBe(false);
});
