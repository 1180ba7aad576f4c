/**
 * `tapegrad export RUN --torch DIR` and `tapegrad import DIR --out RUN` (issue #28, SPEC §17), as a
 * user runs them: a trained run exported, its train.py run by Debian's PyTorch — evaluation only,
 * one epoch in one process, one epoch as two DistributedDataParallel processes under torchrun (gloo)
 * — and the weights PyTorch wrote imported back, where `tapegrad eval` must print the accuracy the
 * PyTorch side printed. The CLI runs from bin/tapegrad.js (dist/, which `npm test` builds first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireTorch, TORCH_PYTHON } from './torch-harness';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-export-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tapegrad(...args: string[]): string {
  return execFileSync(process.execPath, [path.join(ROOT, 'bin', 'tapegrad.js'), ...args], {
    cwd: tmp,
    encoding: 'utf8',
    env: { ...process.env, CI: '1', TAPEGRAD_THREADS: '1' },
  });
}

/** Runs a command of the exported program; returns the accuracy its rank 0 printed. */
function pytorch(args: string[]): number {
  const r = spawnSync(args[0], args.slice(1), { cwd: tmp, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const m = /accuracy (\d+\.\d\d)%/.exec(r.stdout);
  if (m === null) throw new Error(`${args.join(' ')} printed no accuracy:\n${r.stdout}`);
  return Number(m[1]);
}

const evalAccuracy = (run: string) => Number(/test accuracy (\d+\.\d\d)%/.exec(tapegrad('eval', run))![1]);

/**
 * torchrun as a user of Debian's PyTorch 1.13 under Python 3.11 must call it: its argument parser
 * cannot read the default `--redirects 0` there (Python 3.11 iterates IntFlag members without the
 * zero one), so the test names the streams explicitly; PyTorch 2.x needs no flags.
 */
const TORCHRUN = ['-m', 'torch.distributed.run', '--redirects', '2', '--tee', '1', '--nproc_per_node', '2'];

beforeAll(() => {
  requireTorch();
});

describe.each(['mlp', 'cnn'])('a digits %s run', (model) => {
  const run = path.join(tmp, `run-${model}`);
  const dir = path.join(tmp, `torch-${model}`);

  beforeAll(() => {
    tapegrad('train', '--model', model, '--epochs', '1', '--limit', '400', '--seed', '2', '--out', run);
    const out = tapegrad('export', run, '--torch', dir);
    expect(out).toContain('model.py, weights.safetensors');
  });

  test('exports a self-describing folder', () => {
    for (const f of [
      'model.py',
      'weights.safetensors',
      'train.py',
      'run.json',
      'README.md',
      'data/train.safetensors',
      'data/test.safetensors',
    ]) {
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    }
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('torchrun --nproc_per_node');
    expect(readme).toContain('--nnodes');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).weights).toBe('weights.safetensors');
  });

  test('train.py --epochs 0 prints the accuracy tapegrad eval prints', () => {
    expect(pytorch([TORCH_PYTHON, path.join(dir, 'train.py'), '--epochs', '0'])).toBe(evalAccuracy(run));
  });

  test('one epoch in PyTorch, imported back: tapegrad eval prints what PyTorch printed', () => {
    const copy = `${dir}-single`;
    fs.cpSync(dir, copy, { recursive: true });
    const printed = pytorch([TORCH_PYTHON, path.join(copy, 'train.py'), '--epochs', '1']);
    tapegrad('import', copy, '--out', `${run}-single`);
    expect(evalAccuracy(`${run}-single`)).toBe(printed);
    // PyTorch's epoch is the imported run's checkpoint: --resume writes its report and metrics.
    const resumed = tapegrad('train', '--resume', `${run}-single`);
    expect(resumed).toContain('all 1 epoch are done already; writing the results again');
    expect(resumed).toContain(`test accuracy ${printed.toFixed(2)}%`);
    const metrics = JSON.parse(fs.readFileSync(path.join(`${run}-single`, 'metrics.json'), 'utf8'));
    expect((100 * metrics.testAccuracy).toFixed(2)).toBe(printed.toFixed(2));
    expect(metrics.epochs).toHaveLength(1);
    expect(fs.readFileSync(path.join(`${run}-single`, 'report.html'), 'utf8')).toContain('Confusion matrix');
  });
});

test('one epoch under torchrun with two processes (DistributedDataParallel, gloo), imported back', () => {
  const dir = path.join(tmp, 'torch-mlp-ddp');
  fs.cpSync(path.join(tmp, 'torch-mlp'), dir, { recursive: true });
  const printed = pytorch([TORCH_PYTHON, ...TORCHRUN, path.join(dir, 'train.py'), '--epochs', '1']);
  tapegrad('import', dir, '--out', path.join(tmp, 'run-ddp'));
  expect(evalAccuracy(path.join(tmp, 'run-ddp'))).toBe(printed);
});

test('export and import refuse what they cannot do, in their own words', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tapegrad.js'), 'export', path.join(tmp, 'run-mlp')], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain('tapegrad export: give one of --onnx FILE.onnx or --torch DIR');
  const i = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tapegrad.js'), 'import', tmp, '--out', path.join(tmp, 'x')], {
    encoding: 'utf8',
  });
  expect(i.status).toBe(2);
  expect(i.stderr).toMatch(/tapegrad import: .*run\.json/);
});
