/**
 * Issue #30/#26: `mlp` and `cnn` train through the session (run.json format 2), and the run
 * directories tapegrad wrote before (format 1: model.json and the classifier checkpoint; built here by
 * tests/legacy-run.ts from a session run of the same training) still `eval`, `predict`, `export`
 * (ONNX and PyTorch), `import`, and `--resume` — continuing bit for bit through the session.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import { run as evalRun } from '../src/cli/eval';
import { run as exportRun } from '../src/cli/export';
import { run as importRun } from '../src/cli/import';
import { run as predictRun } from '../src/cli/predict';
import { run as trainRun } from '../src/cli/train';
import { loadRun } from '../src/train/classic-run';
import { capture } from './cli-capture';
import { cutAfterFirstCheckpoint, toFormat1 } from './legacy-run';

jest.setTimeout(180_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-classic-legacy-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const args = (out: string) => ['--model', 'cnn', '--epochs', '3', '--limit', '120', '--batch-size', '16', '--seed', '11', '--out', out];
const whole = path.join(tmp, 'whole');
const cut = path.join(tmp, 'cut');
let trained: Awaited<ReturnType<typeof capture>>;

beforeAll(async () => {
  trained = await capture(() => trainRun(args(whole)));
  expect(trained.code).toBe(0);
  // The same run cut by Ctrl-C once its first checkpoint is on disk.
  expect(await cutAfterFirstCheckpoint(cut, async () => (await capture(() => trainRun(args(cut)))).code)).toBe(130);
});

const sameTensors = (a: string, b: string) => {
  const x = tg.load(a);
  const y = tg.load(b);
  expect(Object.keys(x).sort()).toEqual(Object.keys(y).sort());
  for (const k of Object.keys(x)) expect(Buffer.from(x[k].data.buffer)).toEqual(Buffer.from(y[k].data.buffer));
};

describe('a format-1 run directory', () => {
  test('an interrupted one resumes through the session and ends with the uninterrupted run’s weights and metrics, bit for bit', async () => {
    const old = toFormat1(cut, path.join(tmp, 'old-cut'));
    expect(JSON.parse(fs.readFileSync(path.join(old, 'run.json'), 'utf8')).formatVersion).toBe(1);
    const r = await capture(() => trainRun(['--resume', old]));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`resuming ${old} after epoch 1 of 3`);
    // It continues in the session's format.
    expect(JSON.parse(fs.readFileSync(path.join(old, 'run.json'), 'utf8'))).toMatchObject({ formatVersion: 2, family: 'cnn' });
    sameTensors(path.join(old, 'model.safetensors'), path.join(whole, 'model.safetensors'));
    expect(fs.readFileSync(path.join(old, 'metrics.json'), 'utf8')).toBe(fs.readFileSync(path.join(whole, 'metrics.json'), 'utf8'));
  });

  test('a finished one: eval prints what train printed, loadRun and predict agree with the format-2 run', async () => {
    const old = toFormat1(whole, path.join(tmp, 'old-whole'));
    const trainLine = trained.out.find((l) => l.startsWith('test accuracy'))!.match(/^test accuracy \S+/)![0];
    const e = await capture(() => evalRun([old]));
    expect(e.code).toBe(0);
    expect(e.out.find((l) => l.startsWith('test accuracy'))).toMatch(new RegExp(`^${trainLine.replace('.', '\\.')} \\(120 images\\)`));
    const x = tg.data.gather(tg.data.loadDigits(), [0, 1, 2, 3]).images;
    const a = loadRun(old).predict(x);
    const b = loadRun(whole).predict(x);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const idx = path.join(tmp, 'four.idx');
    fs.writeFileSync(
      idx,
      Buffer.concat([
        Buffer.from([0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0, 8]),
        Buffer.from(Array.from(x.data, (v) => Math.round(v * 255))),
      ]),
    );
    const p1 = await capture(() => predictRun([old, idx]));
    const p2 = await capture(() => predictRun([whole, idx]));
    expect(p1.code).toBe(0);
    expect(p1.out).toEqual(p2.out);
  });

  test('export --torch writes the same folder for the old and the new run, and import makes a format-2 run that evaluates the same', async () => {
    const old = path.join(tmp, 'old-whole');
    const [tOld, tNew] = [path.join(tmp, 'torch-old'), path.join(tmp, 'torch-new')];
    expect((await capture(() => exportRun([old, '--torch', tOld]))).code).toBe(0);
    expect((await capture(() => exportRun([whole, '--torch', tNew]))).code).toBe(0);
    for (const f of ['model.py', 'train.py', 'weights.safetensors'])
      expect(fs.readFileSync(path.join(tOld, f))).toEqual(fs.readFileSync(path.join(tNew, f)));
    const specOld = JSON.parse(fs.readFileSync(path.join(tOld, 'run.json'), 'utf8'));
    const specNew = JSON.parse(fs.readFileSync(path.join(tNew, 'run.json'), 'utf8'));
    expect(specNew).toEqual(specOld);
    expect(specNew).toMatchObject({ formatVersion: 1, model: { name: 'cnn', architecture: 'DigitsCnn' }, weights: 'weights.safetensors' });
    const imported = path.join(tmp, 'imported');
    expect((await capture(() => importRun([tNew, '--out', imported]))).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(imported, 'run.json'), 'utf8'))).toMatchObject({ formatVersion: 2, family: 'cnn' });
    sameTensors(path.join(imported, 'model.safetensors'), path.join(whole, 'model.safetensors'));
    const e1 = await capture(() => evalRun([imported]));
    const e2 = await capture(() => evalRun([whole]));
    expect(e1.code).toBe(0);
    expect(e1.out.slice(1)).toEqual(e2.out.slice(1));
  });
});

describe('a format-2 mlp/cnn run', () => {
  test('tapegrad eval prints bit for bit the accuracy line train printed', async () => {
    const r = await capture(() => evalRun([whole]));
    expect(r.code).toBe(0);
    expect(r.out[1]).toBe(trained.out.find((l) => l.startsWith('test accuracy'))!.replace(/ after 3 epochs, .*$/, ''));
  });

  test('eval on other data of the same size goes through loadRun', async () => {
    const r = await capture(() => evalRun([whole, '--dataset', 'digits']));
    expect(r.code).toBe(0);
    expect(r.out[1]).toMatch(/^test accuracy \d+\.\d\d% \(120 images\), loss \d+\.\d{4}$/);
  });

  test('loadRun refuses a family run that is not a classifier of mlp or cnn, naming it', async () => {
    const dir = path.join(tmp, 'ae');
    expect((await capture(() => trainRun(['--model', 'autoencoder', '--epochs', '1', '--limit', '40', '--out', dir]))).code).toBe(0);
    expect(() => loadRun(dir)).toThrow(/holds a run of --model autoencoder; loadRun reads the classifier runs of --model mlp and cnn/);
  });
});
