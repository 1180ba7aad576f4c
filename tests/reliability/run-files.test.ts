/**
 * Issue #31, items 2, 3 and 5: a run directory's files are validated, not trusted; the files a run
 * names stay inside it; every file is written atomically. Short in-process digits runs (an MLP, 100
 * examples, one or two epochs) make the run directories; the tests then damage copies of them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../../src';
import { run as exportRun } from '../../src/cli/export';
import { run as trainRun } from '../../src/cli/train';
import { fileIo } from '../../src/platform/files';
import { loadRun } from '../../src/train/classic-run';
import { capture } from '../cli-capture';
import { cutAfterFirstCheckpoint, toFormat1 } from '../legacy-run';

jest.setTimeout(120_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-reliability-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// `base` is the run in the format tapegrad wrote for mlp and cnn before they trained through the
// session (run.json format 1, model.json, the classifier checkpoint: tests/legacy-run.ts), made from
// `trained`, the same training in today's format 2; the tests damage copies of `base`.
const trained = path.join(tmp, 'trained');
const base = path.join(tmp, 'base');
beforeAll(async () => {
  const r = await capture(() => trainRun(['--model', 'mlp', '--epochs', '2', '--limit', '100', '--seed', '4', '--out', trained]));
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  toFormat1(trained, base);
});

let copies = 0;
function copy(from = base): string {
  const dir = path.join(tmp, `copy-${copies++}`);
  fs.cpSync(from, dir, { recursive: true });
  return dir;
}
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const writeJson = (file: string, v: unknown) => fs.writeFileSync(file, JSON.stringify(v));
const resume = (dir: string) => capture(() => trainRun(['--resume', dir]));

describe('checkpoints: safetensors for the tensors, a small validated JSON for the rest', () => {
  test('the checkpoint is checkpoint.safetensors (weights and optimiser state) plus a checkpoint.json of format 2 without tensors', () => {
    const json = readJson(path.join(base, 'checkpoint.json'));
    expect(json.format).toBe('tapegrad-checkpoint');
    expect(json.formatVersion).toBe(2);
    expect(json.tensors).toBe('checkpoint.safetensors');
    expect(json.epoch).toBe(2);
    expect(fs.statSync(path.join(base, 'checkpoint.json')).size).toBeLessThan(20_000);
    const tensors = tg.load(path.join(base, 'checkpoint.safetensors'));
    const model = tg.nn.stateDictFromJson(fs.readFileSync(path.join(base, 'model.json'), 'utf8'));
    for (const [k, v] of Object.entries(model)) {
      expect(tensors[`model.${k}`].shape).toEqual(v.shape);
      expect(Array.from(tensors[`model.${k}`].data)).toEqual(v.data);
    }
    expect(Object.keys(tensors).some((k) => /^optimizer\.state\.0\.momentum_buffer$/.test(k))).toBe(true);
    expect(fs.readdirSync(base).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('loadBytes of a Node Buffer (fs.readFileSync) reads what load reads (a Buffer slice is a view, not a copy)', () => {
    const file = path.join(base, 'checkpoint.safetensors');
    const viaBuffer = tg.loadBytes(fs.readFileSync(file));
    const viaPath = tg.load(file);
    for (const [k, t] of Object.entries(viaPath)) expect(Array.from(viaBuffer[k].data)).toEqual(Array.from(t.data));
  });

  test('a run cut by Ctrl-C after its first checkpoint and resumed ends with the uninterrupted metrics and weights', async () => {
    const whole = path.join(tmp, 'whole');
    const cut = path.join(tmp, 'cut');
    const args = (out: string) => ['--model', 'mlp', '--epochs', '3', '--limit', '100', '--seed', '6', '--out', out];
    expect((await capture(() => trainRun(args(whole)))).code).toBe(0);
    expect(await cutAfterFirstCheckpoint(cut, async () => (await capture(() => trainRun(args(cut)))).code)).toBe(130);
    expect((await resume(cut)).code).toBe(0);
    for (const f of ['metrics.json', 'model.safetensors'])
      expect(fs.readFileSync(path.join(cut, f))).toEqual(fs.readFileSync(path.join(whole, f)));
  });

  test('a finished run resumes from its checkpoint and writes the same results', async () => {
    const dir = copy();
    const r = await resume(dir);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')).toBe(fs.readFileSync(path.join(trained, 'metrics.json'), 'utf8'));
    expect(fs.readFileSync(path.join(dir, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(trained, 'model.safetensors')));
  });

  const damaged: [string, (json: Record<string, any>) => void, RegExp][] = [
    [
      'a non-number in the optimiser state',
      (j) => (j.optimizer.state['0'].step = 'x'),
      /field optimizer\.state\.0\.step must be an integer, got a string of 1 characters$/,
    ],
    [
      'a learning rate that is a string',
      (j) => (j.optimizer.param_groups[0].lr = '0.1'),
      /field optimizer\.param_groups\[0\]\.lr must be a number, got a string/,
    ],
    [
      'an unknown format version',
      (j) => (j.formatVersion = 99),
      /field formatVersion is the number 99; this tapegrad reads checkpoint format 2/,
    ],
    ['an epoch past the run', (j) => (j.epoch = 7), /field epoch must be between 0 and 2, got 7$/],
    [
      'a tensor name that is not in the file',
      (j) => (j.optimizer.state['1'].momentum_buffer = { tensor: 'elsewhere' }),
      /field optimizer\.state\.1\.momentum_buffer\.tensor must name a tensor of checkpoint\.safetensors$/,
    ],
    [
      'a generator state of the wrong size',
      (j) => j.rng.shuffle.prng.S.pop(),
      /field rng\.shuffle\.prng\.S must have 256 entries, got 255$/,
    ],
    ['metrics of another epoch', (j) => (j.epochs[1].epoch = 5), /field epochs\[1\]\.epoch must be 2, got 5$/],
    ['an accuracy above 1', (j) => (j.epochs[0].testAccuracy = 3), /field epochs\[0\]\.testAccuracy must be at most 1, got 3$/],
    ['a confusion matrix of the wrong size', (j) => j.confusion.pop(), /field confusion must have 10 entries, got 9$/],
    ['weights of another model', (j) => j.weights.pop(), /field weights do not match the run's model \(missing /],
  ];
  test.each(damaged)(
    '%s is refused with exit 2, naming the file and the field, and nothing is written',
    async (_label, damage, message) => {
      const dir = copy();
      const file = path.join(dir, 'checkpoint.json');
      const json = readJson(file);
      damage(json);
      writeJson(file, json);
      fs.rmSync(path.join(dir, 'model.json'));
      const r = await resume(dir);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0].startsWith(`tapegrad train: --resume ${dir}: ${file}: `)).toBe(true);
      expect(r.err[0]).toMatch(message);
      expect(fs.existsSync(path.join(dir, 'model.json'))).toBe(false);
    },
  );

  test('a tensor of the wrong shape in the safetensors file is refused, naming the field', async () => {
    const dir = copy();
    const file = path.join(dir, 'checkpoint.safetensors');
    const tensors = tg.load(file);
    const key = Object.keys(tensors).find((k) => k.startsWith('model.'))!;
    tensors[key] = tg.zeros([3]);
    tg.save(file, tensors);
    const r = await resume(dir);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(
      new RegExp(`field weights\\.${key.slice(6).replace(/\./g, '\\.')} has shape \\[3\\], the run's model needs \\[`),
    );
  });

  test('a truncated safetensors file is refused in its own words', async () => {
    const dir = copy();
    const file = path.join(dir, 'checkpoint.safetensors');
    fs.truncateSync(file, 100);
    const r = await resume(dir);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^tapegrad train: --resume .*checkpoint\.safetensors: /);
    expect(r.err[0]).not.toMatch(/TypeError|undefined/);
  });

  test('a diverged run: NaN weights are written and read back bit for bit, and resuming it says the run diverged', async () => {
    const dir = path.join(tmp, 'diverged');
    const r = await capture(() => trainRun(['--model', 'mlp', '--epochs', '2', '--limit', '100', '--lr', '1e30', '--out', dir]));
    expect(r.code).toBe(0);
    const tensors = tg.load(path.join(dir, 'checkpoint.safetensors'));
    const all = Object.entries(tensors).filter(([k]) => k.startsWith('model.'));
    expect(all.some(([, t]) => Array.from(t.data).some((v) => Number.isNaN(v)))).toBe(true);
    const again = await resume(dir);
    expect(again.code).toBe(2);
    expect(again.err).toHaveLength(1);
    expect(again.err[0]).toMatch(
      /: the run diverged: checkpoint\.safetensors holds (NaN|-?Infinity) in (weights|optimizer\.state)\.\S+ \(checkpoint after epoch 2\)/,
    );
  });

  test('NaN and ±Infinity survive the checkpoint bit for bit (planted in a copy)', async () => {
    const dir = copy();
    const file = path.join(dir, 'checkpoint.safetensors');
    const tensors = tg.load(file);
    const key = Object.keys(tensors).find((k) => k.startsWith('model.'))!;
    const data = Float32Array.from(tensors[key].data);
    data[0] = NaN;
    data[1] = -Infinity;
    tensors[key] = new tg.Tensor(data, tensors[key].shape);
    tg.save(file, tensors);
    const back = tg.load(file)[key].data;
    expect(Number.isNaN(back[0])).toBe(true);
    expect(back[1]).toBe(-Infinity);
    const r = await resume(dir);
    expect(r.err[0]).toMatch(
      new RegExp(`the run diverged: checkpoint\\.safetensors holds NaN in weights\\.${key.slice(6).replace(/\./g, '\\.')}\\[0\\]`),
    );
  });

  describe('the older single-file checkpoint.json still resumes, checked the same way', () => {
    function legacy(): { dir: string; json: Record<string, any> } {
      const dir = copy();
      const json = readJson(path.join(dir, 'checkpoint.json'));
      const tensors = tg.load(path.join(dir, 'checkpoint.safetensors'));
      const plain = (t: tg.Tensor) => ({ shape: [...t.shape], data: Array.from(t.data) });
      const old: Record<string, any> = {
        epoch: json.epoch,
        weights: Object.fromEntries(json.weights.map((k: string) => [k, plain(tensors[`model.${k}`])])),
        optimizer: {
          state: Object.fromEntries(
            Object.entries(json.optimizer.state as Record<string, Record<string, any>>).map(([id, s]) => [
              id,
              Object.fromEntries(Object.entries(s).map(([k, v]) => [k, typeof v === 'object' ? plain(tensors[v.tensor]) : v])),
            ]),
          ),
          param_groups: json.optimizer.param_groups,
        },
        rng: json.rng,
        epochs: json.epochs,
        timings: json.timings,
        confusion: json.confusion,
      };
      fs.rmSync(path.join(dir, 'checkpoint.safetensors'));
      return { dir, json: old };
    }

    test('resumes, with the same results', async () => {
      const { dir, json } = legacy();
      writeJson(path.join(dir, 'checkpoint.json'), json);
      const r = await resume(dir);
      expect(r.code).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(trained, 'model.safetensors')));
    });

    test('a string among the weights is refused (it used to load as NaN)', async () => {
      const { dir, json } = legacy();
      const key = Object.keys(json.weights)[0];
      json.weights[key].data[3] = 'oops';
      writeJson(path.join(dir, 'checkpoint.json'), json);
      const r = await resume(dir);
      expect(r.code).toBe(2);
      expect(r.err[0]).toMatch(new RegExp(`field weights\\.${key.replace(/\./g, '\\.')}\\.data\\[3\\] must be a number, got a string`));
    });

    test('a null (how an older tapegrad wrote NaN) says the run diverged', async () => {
      const { dir, json } = legacy();
      json.optimizer.state['0'].momentum_buffer.data[0] = null;
      writeJson(path.join(dir, 'checkpoint.json'), json);
      const r = await resume(dir);
      expect(r.code).toBe(2);
      expect(r.err[0]).toMatch(
        /field optimizer\.state\.0\.momentum_buffer\.data\[0\] is null: an older tapegrad wrote NaN or ±Infinity so; the run diverged/,
      );
    });
  });
});

describe('run.json: every field checked, and the files it names stay inside the run', () => {
  const withSpec = (change: (spec: Record<string, any>) => void): string => {
    const dir = copy();
    const file = path.join(dir, 'run.json');
    const spec = readJson(file);
    change(spec);
    writeJson(file, spec);
    return dir;
  };
  const secret = path.join(tmp, 'secret.txt');
  beforeAll(() => fs.writeFileSync(secret, 'root:x:0:0:SECRET\n'));

  test.each([
    ['../../etc/passwd', /field weights must name a file inside the run directory .*: the path leaves the directory$/],
    ['/dev/zero', /field weights must name a file inside the run directory .*: it is an absolute path$/],
    ['.', /field weights must name a file inside the run directory .*: the path leaves the directory$/],
    ['sub', /field weights must name a file inside the run directory .*: it is not a regular file$/],
    ['missing.json', /field weights must name a file inside the run directory .*: no such file$/],
    [42, /field weights must name a file inside the run directory .*: got the number 42$/],
  ])('weights = %j is refused before a byte of it is read', (weights, message) => {
    const dir = withSpec((s) => (s.weights = weights));
    fs.mkdirSync(path.join(dir, 'sub'));
    expect(() => loadRun(dir)).toThrow(message);
  });

  test('a symbolic link out of the run is refused, and no message echoes what the file holds', async () => {
    const dir = copy();
    fs.rmSync(path.join(dir, 'model.json'));
    fs.symlinkSync(secret, path.join(dir, 'model.json'));
    expect(() => loadRun(dir)).toThrow(
      /field weights must name a file inside the run directory .*: a symbolic link leads out of the directory$/,
    );
    const other = withSpec(() => undefined);
    fs.copyFileSync(secret, path.join(other, 'run.json'));
    for (const d of [dir, other]) {
      const r = await capture(() => exportRun([d, '--onnx', path.join(tmp, 'never.onnx')]));
      expect(r.code).toBe(2);
      expect(r.err.join('\n')).not.toMatch(/root|SECRET/);
    }
    expect(() => loadRun(other)).toThrow(/run\.json is not valid JSON( \(at character \d+\))?$/);
  });

  test('model.json that is not JSON is refused without echoing its text', () => {
    const dir = copy();
    fs.writeFileSync(path.join(dir, 'model.json'), 'root:x:0:0:SECRET');
    let message = '';
    try {
      loadRun(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/model\.json is not valid JSON/);
    expect(message).not.toMatch(/root|SECRET/);
  });

  test.each([
    [
      (s: Record<string, any>) => (s.model.classes = 'ten'),
      /run\.json: field model\.classes must be an integer, got a string of 3 characters$/,
    ],
    [
      (s: Record<string, any>) => (s.formatVersion = 3),
      /run\.json: field formatVersion is the number 3; this tapegrad reads run descriptions of formats 1 and 2$/,
    ],
    [
      (s: Record<string, any>) => (s.model.imageShape = [1, 16000, 16000]),
      /run\.json: field model\.imageShape\[1\] must be between 1 and 4096, got 16000$/,
    ],
    [(s: Record<string, any>) => (s.preprocessing.std = 0), /run\.json: field preprocessing\.std must be more than 0, got 0$/],
    [(s: Record<string, any>) => (s.options.optimizer = 'lbfgs'), /run\.json: field options\.optimizer must be one of sgd, adam(, \w+)*$/],
    [(s: Record<string, any>) => delete s.seed, /run\.json: field seed must be an integer, got nothing \(missing\)$/],
  ])('a bad field is named: %#', (change, message) => {
    expect(() => loadRun(withSpec(change))).toThrow(message);
  });

  test('a run.json larger than any run description is refused without reading it', () => {
    const dir = copy();
    fs.writeFileSync(path.join(dir, 'run.json'), Buffer.alloc(2 << 20, 32));
    expect(() => loadRun(dir)).toThrow(/run\.json is \d+ bytes, more than the \d+ such a file can need; refused without reading it$/);
  });
});

describe('every file is written atomically: a full disk leaves the previous file and no temporary file', () => {
  /** Makes writes fail with ENOSPC after `budget` bytes, as a full disk does. */
  function fullDisk<T>(budget: number, fn: () => T): T {
    const saved = fileIo.write;
    let left = budget;
    fileIo.write = (fd, bytes, offset, length) => {
      if (left <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const n = saved(fd, bytes, offset, Math.min(length, left));
      left -= n;
      return n;
    };
    const restore = () => (fileIo.write = saved);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      restore();
      throw e;
    }
    if (result instanceof Promise) return result.finally(restore) as T;
    restore();
    return result;
  }
  const temps = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

  test('tg.save, nn.save, onnx.writeOnnx and tapegrad export --onnx', async () => {
    const dir = path.join(tmp, 'atomic');
    fs.mkdirSync(dir);
    const model = new tg.nn.Linear(3, 2, { rng: tg.rng(1) });
    const files = {
      safetensors: path.join(dir, 'w.safetensors'),
      json: path.join(dir, 'w.json'),
      onnx: path.join(dir, 'm.onnx'),
    };
    const write = {
      safetensors: () => tg.save(files.safetensors, { w: model.weight }),
      json: () => tg.nn.save(model, files.json),
      onnx: () => tg.onnx.writeOnnx(files.onnx, model, tg.zeros([1, 3])),
    };
    for (const k of Object.keys(files) as (keyof typeof files)[]) {
      write[k]();
      const before = fs.readFileSync(files[k]);
      model.weight.data[0] += 1;
      expect(() => fullDisk(10, write[k])).toThrow(/ENOSPC/);
      expect(fs.readFileSync(files[k])).toEqual(before);
      expect(temps(dir)).toEqual([]);
    }
    const onnx = path.join(dir, 'run.onnx');
    expect((await capture(() => exportRun([base, '--onnx', onnx]))).code).toBe(0);
    const before = fs.readFileSync(onnx);
    await expect(fullDisk(100, () => capture(() => exportRun([base, '--onnx', onnx])))).rejects.toThrow(/ENOSPC/);
    expect(fs.readFileSync(onnx)).toEqual(before);
    expect(temps(dir)).toEqual([]);
  });

  test('a training run on a full disk leaves the previous checkpoint and results whole, and no temporary file', async () => {
    const dir = copy();
    const before = Object.fromEntries(
      ['checkpoint.json', 'checkpoint.safetensors', 'model.json', 'metrics.json', 'report.html'].map((f) => [
        f,
        fs.readFileSync(path.join(dir, f)),
      ]),
    );
    await expect(
      fullDisk(5000, () => capture(() => trainRun(['--model', 'mlp', '--epochs', '2', '--limit', '100', '--seed', '9', '--out', dir]))),
    ).rejects.toThrow(/ENOSPC/);
    for (const [f, bytes] of Object.entries(before)) expect(fs.readFileSync(path.join(dir, f))).toEqual(bytes);
    expect(temps(dir)).toEqual([]);
  });
});
