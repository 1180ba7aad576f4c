/**
 * The training workflow around a saved run (SPEC §9): a self-describing run directory, loadRun,
 * `tapegrad eval` printing train's accuracy, `predict` for images / IDX / CSV, `export` to ONNX,
 * checkpoints with Ctrl-C and `--resume` giving the uninterrupted run's metrics.json bit for bit,
 * Adam, --threads, and report.html looked at in headless Chromium.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import * as tg from '../src';
import { decodeGrey, resizeGrey } from '../src/train/image-decode';
import { run as evalRun } from '../src/cli/eval';
import { run as exportRun } from '../src/cli/export';
import { jsonLine, run as predictRun } from '../src/cli/predict';
import { run as trainRun } from '../src/cli/train';
import { evaluateClassifier } from '../src/train/families/classify';
import { loadRun } from '../src/train/classic-run';
import { launchBrowser } from './browser-harness';
import { capture } from './cli-capture';

jest.setTimeout(240_000);

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'tapegrad.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-runs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const runDir = path.join(tmp, 'digits');
let trained: { code: number; out: string[]; err: string[] };
beforeAll(async () => {
  trained = await capture(() => trainRun(['--epochs', '2', '--limit', '300', '--seed', '5', '--out', runDir]));
});

describe('a self-describing run directory', () => {
  test('run.json records the architecture and sizes, preprocessing, dataset, seed and options', () => {
    expect(trained.code).toBe(0);
    const spec = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    expect(spec).toMatchObject({
      format: 'tapegrad-run',
      formatVersion: 2,
      tapegrad: tg.version,
      family: 'cnn',
      options: { model: 'cnn', dataset: 'digits', dataDir: null, limit: 300, seed: 5, epochs: 2, batchSize: 32, optimizer: 'sgd', lr: 0.1 },
      model: { architecture: 'DigitsCnn (21,386 parameters)', parameters: 21386 },
      saved: { architecture: 'DigitsCnn', imageShape: [1, 8, 8], classes: 10 },
      weights: 'model.safetensors',
    });
    expect(spec.saved.pixelScale).toBe(1 / 16);
    expect(spec.saved.mean).toBeGreaterThan(0);
    expect(spec.saved.std).toBeGreaterThan(0);
    expect(fs.readdirSync(runDir).sort()).toEqual([
      'checkpoint.json',
      'checkpoint.safetensors',
      'metrics.json',
      'model.safetensors',
      'report.html',
      'run.json',
      'timings.json',
    ]);
  });

  test('loadRun gives a ready model and its preprocessing: the accuracy metrics.json recorded, exactly', () => {
    const saved = loadRun(runDir);
    const metrics = JSON.parse(fs.readFileSync(path.join(runDir, 'metrics.json'), 'utf8'));
    // The run's own test split: the digits split by the run's seed, then its limit.
    const { train: _t, test } = tg.data.trainTestSplit(tg.data.loadDigits(), { testFraction: 0.2, rng: tg.rng('5:split') });
    const head = tg.data.gather(
      test,
      Int32Array.from({ length: 300 }, (_, i) => i),
    );
    const result = evaluateClassifier(saved.model, { images: saved.standardise(head.images), labels: head.labels }, 10);
    expect(result.accuracy).toBe(metrics.testAccuracy);
    const p = saved.predict(head.images);
    expect(p.shape).toEqual([300, 10]);
  });

  test('tapegrad eval prints the test accuracy train printed, and the confusion matrix', async () => {
    const trainLine = trained.out.find((l) => l.startsWith('test accuracy'))!;
    const r = await capture(() => evalRun([runDir]));
    expect(r.code).toBe(0);
    const evalLine = r.out.find((l) => l.startsWith('test accuracy'))!;
    expect(evalLine).toBe(trainLine.match(/^test accuracy \S+/)![0]);
    expect(r.out.some((l) => /rows: true class, columns: predicted/.test(l))).toBe(true);
    expect((await capture(() => evalRun([path.join(tmp, 'nope')]))).err[0]).toMatch(
      /^tapegrad eval: .*nope is not a tapegrad run directory: it has no run.json/,
    );
  });
});

describe('tapegrad predict', () => {
  /** A test digit, its raw 0–16 pixels, and the class the saved model gives it. */
  const digit = () => {
    const saved = loadRun(runDir);
    const all = tg.data.loadDigits();
    const one = tg.data.gather(all, [7]);
    const p = saved.predict(one.images);
    let best = 0;
    for (let c = 1; c < 10; c++) if (p.data[c] > p.data[best]) best = c;
    return { image: one.images, best };
  };

  /** The digit drawn at 8× as RGBA bytes: dark strokes on white, 64×64. */
  const drawn = (image: tg.Tensor) => {
    const rgba = Buffer.alloc(64 * 64 * 4);
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        const v = Math.round(255 * (1 - image.data[Math.floor(y / 8) * 8 + Math.floor(x / 8)]));
        rgba.set([v, v, v, 255], (y * 64 + x) * 4);
      }
    return rgba;
  };

  test('a PNG and a JPEG of any size — here 64×64, dark strokes on white — are greyed, resized, inverted and classified', async () => {
    const { image, best } = digit();
    const png = new PNG({ width: 64, height: 64 });
    png.data = drawn(image);
    const pngFile = path.join(tmp, 'digit.png');
    fs.writeFileSync(pngFile, PNG.sync.write(png));
    const jpgFile = path.join(tmp, 'digit.jpg');
    fs.writeFileSync(jpgFile, jpeg.encode({ data: drawn(image), width: 64, height: 64 }, 95).data);
    for (const file of [pngFile, jpgFile]) {
      const r = await capture(() => predictRun([runDir, file, '--top', '2']));
      expect(r.err).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.out[0]).toMatch(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${best}  ${best}: \\d+\\.\\d%  \\d: \\d+\\.\\d%$`),
      );
    }
    // Downscaled by area: a 64×64 copy of the 8×8 digit becomes the digit itself (to the bytes' rounding).
    const picture = decodeGrey(fs.readFileSync(pngFile), 'PNG', { maxPixels: 1e6 });
    const small = resizeGrey(picture, 8, 8);
    for (let i = 0; i < 64; i++) expect(Math.abs(small[i] - (1 - image.data[i]))).toBeLessThan(0.5 / 255 + 1e-6);
  });

  test('a BMP, GIF or TIFF is refused with the advice to convert it', async () => {
    const bmp = Buffer.alloc(70);
    bmp.write('BM', 0);
    bmp.writeUInt32LE(70, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(4, 18);
    bmp.writeInt32LE(4, 22);
    const file = path.join(tmp, 'digit.bmp');
    fs.writeFileSync(file, bmp);
    const r = await capture(() => predictRun([runDir, file]));
    expect(r).toMatchObject({
      code: 2,
      err: [`tapegrad predict: ${file}: a BMP image: predict reads PNG and JPEG files (convert it to PNG first)`],
    });
  });

  test('IDX image files and CSV rows of raw pixels', async () => {
    const { image, best } = digit();
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 8]);
    const bytes = Buffer.from([...image.data, ...image.data].map((v) => Math.round(v * 255)));
    const idx = path.join(tmp, 'two-images.idx');
    fs.writeFileSync(idx, Buffer.concat([header, bytes]));
    const csv = path.join(tmp, 'rows.csv');
    fs.writeFileSync(csv, `${Array.from(image.data, (v) => Math.round(v * 16)).join(',')},7\n`);
    const r = await capture(() => predictRun([runDir, idx, csv]));
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(3);
    expect(r.out[0]).toMatch(new RegExp(`two-images\\.idx\\[0\\]: ${best} `));
    expect(r.out[2]).toMatch(new RegExp(`rows\\.csv: ${best} `));
    const bad = await capture(() => predictRun([runDir, path.join(tmp, 'missing.png')]));
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/missing\.png does not exist/);
  });

  test('--json: one object per image and line, {file, index, class, probabilities}, for every image of every file', async () => {
    const saved = loadRun(runDir);
    const all = tg.data.loadDigits();
    // 60 images in one IDX file (more than the 50 rows the text output shows) and one CSV row.
    const picked = tg.data.gather(
      all,
      Array.from({ length: 60 }, (_, i) => i),
    );
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 60, 0, 0, 0, 8, 0, 0, 0, 8]);
    const idx = path.join(tmp, 'sixty.idx');
    fs.writeFileSync(idx, Buffer.concat([header, Buffer.from(Array.from(picked.images.data, (v) => Math.round(v * 255)))]));
    const csv = path.join(tmp, 'one-row.csv');
    fs.writeFileSync(csv, `${Array.from(picked.images.data.subarray(0, 64), (v) => Math.round(v * 16)).join(',')}\n`);
    const r = await capture(() => predictRun([runDir, idx, csv, '--json', '--top', '1']));
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out).toHaveLength(61);
    const lines = r.out.map((l) => JSON.parse(l));
    // The same probabilities saved.predict gives for the same pixels (IDX bytes are k/255, as loadIdx reads them).
    const p = saved.predict(
      new tg.Tensor(
        Float32Array.from(picked.images.data, (v) => Math.round(v * 255) / 255),
        [60, 1, 8, 8],
      ),
    );
    lines.slice(0, 60).forEach((line, i) => {
      expect(Object.keys(line)).toEqual(['file', 'index', 'class', 'probabilities']);
      expect(line.file).toBe(idx);
      expect(line.index).toBe(i);
      expect(line.probabilities).toEqual(Array.from(p.data.subarray(i * 10, i * 10 + 10)));
      const best = line.probabilities.indexOf(Math.max(...line.probabilities));
      expect(line.class).toBe(saved.spec.classNames[best]);
      expect(line.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 5);
    });
    expect(lines[60]).toMatchObject({ file: csv, index: 0, class: lines[0].class });
    expect(lines[60].probabilities).toHaveLength(10);
  });

  test('--json names the class: jsonLine writes the class name, the first of equal probabilities', () => {
    expect(jsonLine('a.png', 0, ['T-shirt/top', 'Trouser', 'Pullover'], [0.25, 0.5, 0.25])).toBe(
      '{"file":"a.png","index":0,"class":"Trouser","probabilities":[0.25,0.5,0.25]}',
    );
    expect(JSON.parse(jsonLine('b.idx', 3, ['x', 'y'], new Float32Array([0.5, 0.5]))).class).toBe('x');
  });
});

test('tapegrad export writes ONNX with the preprocessing inside; onnxruntime agrees with the model', async () => {
  const file = path.join(tmp, 'digits.onnx');
  const r = await capture(() => exportRun([runDir, '--onnx', file]));
  expect(r.code).toBe(0);
  const saved = loadRun(runDir);
  const x = tg.data.gather(tg.data.loadDigits(), [0, 1, 2]).images;
  const want = tg.noGrad(() => saved.model.forward(saved.standardise(x)));
  const job = { model: file, inputName: 'pixels', outputName: 'logits', inputs: [{ data: Array.from(x.data), shape: [...x.shape] }] };
  const out = JSON.parse(
    spawnSync(process.execPath, [path.join(__dirname, 'onnx-runner.js')], { input: JSON.stringify(job), encoding: 'utf8' }).stdout,
  );
  const scale = Math.max(...Array.from(want.data, Math.abs));
  out[0].data.forEach((v: number, i: number) => expect(Math.abs(v - want.data[i])).toBeLessThanOrEqual(1e-5 * scale));
});

describe('checkpoints, Ctrl-C and --resume', () => {
  const cli = (args: string[]) => spawn(process.execPath, [BIN, 'train', ...args], { cwd: tmp, env: { ...process.env, CI: '1' } });
  const finished = (child: ChildProcess) =>
    new Promise<{ code: number; stdout: string }>((resolve) => {
      let stdout = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout }));
    });

  test.each([['sgd'], ['adam']])(
    '%s: a run interrupted after its first checkpoint and resumed ends with the same metrics.json, bit for bit',
    async (optimizer) => {
      const args = (out: string) => ['--epochs', '4', '--seed', '3', '--optimizer', optimizer, '--out', out];
      const whole = path.join(tmp, `whole-${optimizer}`);
      const cut = path.join(tmp, `cut-${optimizer}`);
      expect((await finished(cli(args(whole)))).code).toBe(0);

      const child = cli(args(cut));
      const done = finished(child);
      // SIGINT as soon as the first epoch's checkpoint is on disk.
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (fs.existsSync(path.join(cut, 'checkpoint.json'))) {
            clearInterval(poll);
            child.kill('SIGINT');
            resolve();
          }
        }, 5);
      });
      const interrupted = await done;
      expect(interrupted.code).toBe(130);
      expect(interrupted.stdout).toMatch(/interrupted during epoch \d; checkpoint \(after \d epochs?\) written to /);
      expect(interrupted.stdout).toContain(`resume with: tapegrad train --resume ${cut}`);
      expect(fs.existsSync(path.join(cut, 'metrics.json'))).toBe(false);

      const resumed = await finished(cli(['--resume', cut]));
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/resuming .* after epoch \d of 4/);
      expect(fs.readFileSync(path.join(cut, 'metrics.json'), 'utf8')).toBe(fs.readFileSync(path.join(whole, 'metrics.json'), 'utf8'));
      expect(fs.readFileSync(path.join(cut, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(whole, 'model.safetensors')));
    },
  );

  test('flag errors are one line in tapegrad’s words, naming the flag and the allowed values', async () => {
    const cases: [string[], RegExp][] = [
      [['--optimizer', 'lion'], /^tapegrad train: unknown optimizer 'lion' \(choose sgd, adam, adamw, rmsprop or adagrad\)$/],
      [['--threads', '0'], /^tapegrad train: --threads must be a positive integer, got '0'$/],
      [
        ['--resume', runDir, '--lr', '1'],
        /^tapegrad train: --resume continues a run with its own settings: drop --lr \(only --threads may go with it\)$/,
      ],
      [['--resume', path.join(tmp, 'nothing')], /^tapegrad train: --resume .*nothing: .*has no run.json/],
      [['--epochs'], /^tapegrad train: --epochs needs a value$/],
    ];
    for (const [args, message] of cases) {
      const r = await capture(() => trainRun(args));
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(message);
    }
  });

  test('--threads chooses the kernels’ threads, and the header says so', async () => {
    const r = await capture(() => trainRun(['--epochs', '1', '--limit', '100', '--threads', '1', '--out', path.join(tmp, 'one-thread')]));
    expect(r.code).toBe(0);
    expect(r.out.find((l) => l.startsWith('kernels:'))).toMatch(/^kernels: (WebAssembly .*, 1 thread|TypeScript)/);
  });
});

test('report.html at 1280 px in Chromium: nothing overflows sideways, legends never cover data, parameters are named', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(pathToFileURL(path.join(runDir, 'report.html')).href);
    const layout = (await page.evaluate(`(() => {
      const doc = document.documentElement;
      const overlaps = [];
      for (const svg of document.querySelectorAll('svg.chart')) {
        const legends = [...svg.querySelectorAll('g.legend')].map((g) => g.getBoundingClientRect());
        for (const p of svg.querySelectorAll('circle.point')) {
          const b = p.getBoundingClientRect();
          for (const l of legends) if (b.left < l.right && l.left < b.right && b.top < l.bottom && l.top < b.bottom) overlaps.push(p.getAttribute('data-series'));
        }
      }
      const wide = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > doc.clientWidth + 1).map((e) => e.tagName + '.' + e.className);
      return { scroll: doc.scrollWidth, client: doc.clientWidth, overlaps, wide: wide.slice(0, 5), legends: document.querySelectorAll('svg.chart g.legend').length,
        graphText: document.querySelector('.graph')?.textContent ?? '' };
    })()`)) as { scroll: number; client: number; overlaps: string[]; wide: string[]; legends: number; graphText: string };
    expect(layout.wide).toEqual([]);
    expect(layout.scroll).toBeLessThanOrEqual(layout.client);
    expect(layout.legends).toBeGreaterThanOrEqual(4);
    expect(layout.overlaps).toEqual([]);
    expect(layout.graphText).toContain('block1.conv.weight');
    await page.screenshot({ path: process.env.TAPEGRAD_REPORT_SCREENSHOT ?? path.join(tmp, 'report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
