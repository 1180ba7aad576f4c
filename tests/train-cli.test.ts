/**
 * `tapegrad train`: short digits runs (in-process through run(), and once through bin/tapegrad.js)
 * write a loadable model, metrics.json and a well-formed report.html with its curves, confusion
 * matrix, images and graph; the same seed gives the same metrics.json; bad arguments exit non-zero
 * with one line and write nothing.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as tg from '../src';
import { OUTPUT_FILES, run } from '../src/cli/train';
import { runRng } from '../src/train/run';
import { loadDataset } from '../src/train/datasets';
import { evaluateClassifier } from '../src/train/families/classify';
import { buildModel } from '../src/train/models';
import { encodeGreyPng } from '../src/train/png';
import { liveStreamFor } from '../src/train/progress';
import { checkWellFormed } from './well-formed';

const ROOT = path.join(__dirname, '..');
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-train-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs the command in-process, capturing what it prints. */
async function train(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    return { code: await run(args), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** The element with `marker` in its opening tag, up to its matching close (same-name nesting counted). */
function element(html: string, tag: string, marker: string): string {
  const start = html.indexOf(marker);
  if (start < 0) throw new Error(`no ${marker}`);
  const open = html.lastIndexOf(`<${tag}`, start);
  const re = new RegExp(`<${tag}[\\s>/]|</${tag}>`, 'g');
  re.lastIndex = open;
  let depth = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html)) !== null) {
    depth += m[0].startsWith('</') ? -1 : 1;
    if (depth === 0) return html.slice(open, re.lastIndex);
  }
  throw new Error(`unclosed <${tag}> with ${marker}`);
}

function count(text: string, re: RegExp): number {
  return [...text.matchAll(re)].length;
}

/** Width, height and pixel count of a data-URI greyscale PNG, decoded by pngjs. */
function decodePng(uri: string): { width: number; height: number; pixels: number } {
  const buf = Buffer.from(uri.replace('data:image/png;base64,', ''), 'base64');
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const png = PNG.sync.read(buf);
  return { width: png.width, height: png.height, pixels: png.data.length / 4 };
}

describe('tapegrad train on a short digits run', () => {
  const EPOCHS = 2;
  const LIMIT = 300;
  let dir: string;
  let result: Awaited<ReturnType<typeof train>>;

  beforeAll(async () => {
    dir = path.join(tmp, 'short');
    result = await train(['--epochs', String(EPOCHS), '--limit', String(LIMIT), '--batch-size', '50', '--out', dir]);
  });

  test('exits 0 and prints the epoch table and the final test accuracy', () => {
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    const text = result.out.join('\n');
    expect(text).toMatch(/^tapegrad train: digits, 300 train \/ 300 test images \[1,8,8\], cnn = DigitsCnn \(21,386 parameters\)$/m);
    expect(text).toMatch(/^epoch 1\/2: trainLoss \d+\.\d{4}, trainAccuracy \d+\.\d\d%, testLoss \d+\.\d{4}, testAccuracy \d+\.\d\d% \(/m);
    expect(text).toMatch(/^epoch 2\/2: /m);
    expect(text).toMatch(/^test accuracy \d+\.\d\d% after 2 epochs, /m);
    expect(fs.readdirSync(dir).sort()).toEqual(Object.values(OUTPUT_FILES).sort());
  });

  test('metrics.json has one entry per epoch and a confusion matrix that agrees with the accuracy', () => {
    const m = JSON.parse(fs.readFileSync(path.join(dir, OUTPUT_FILES.metrics), 'utf8'));
    expect(m.dataset).toBe('digits');
    expect(m.model).toBe('cnn');
    expect(m.trainExamples).toBe(LIMIT);
    expect(m.testExamples).toBe(LIMIT);
    expect(m.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    for (const e of m.epochs) {
      for (const k of ['trainLoss', 'testLoss']) expect(e[k]).toBeGreaterThan(0);
      for (const k of ['trainAccuracy', 'testAccuracy']) expect(e[k]).toBeGreaterThanOrEqual(0);
    }
    const confusion: number[][] = m.confusion;
    expect(confusion).toHaveLength(10);
    const total = confusion.flat().reduce((a, b) => a + b, 0);
    const diagonal = confusion.reduce((a, row, i) => a + row[i], 0);
    expect(total).toBe(LIMIT);
    expect(m.testAccuracy).toBeCloseTo(diagonal / total, 5);
    expect(m.epochs[EPOCHS - 1].testAccuracy).toBe(m.testAccuracy);
    // Wall-clock times live in timings.json only.
    expect(JSON.stringify(m)).not.toMatch(/seconds|time/i);
    const t = JSON.parse(fs.readFileSync(path.join(dir, OUTPUT_FILES.timings), 'utf8'));
    expect(t.epochs).toHaveLength(EPOCHS);
    expect(t.epochs[0].trainSeconds).toBeGreaterThan(0);
    expect(t.totalSeconds).toBeGreaterThan(0);
  });

  test('the model file loads with tg.nn.load and reproduces the reported test accuracy', () => {
    const data = loadDataset({ dataset: 'digits', idxFiles: null, limit: LIMIT }, runRng(0, 'split'));
    // A different init seed: every value must come from the file.
    const model = buildModel('cnn', data.imageShape, 10, tg.rng('other'));
    const sd = tg.load(path.join(dir, OUTPUT_FILES.model));
    model.loadStateDict(sd);
    expect(Object.keys(sd).sort()).toEqual(Object.keys(model.stateDict()).sort());
    expect(Object.keys(sd)).toEqual(expect.arrayContaining(['block1.conv.weight', 'block2.conv.weight', 'fc.weight']));
    const m = JSON.parse(fs.readFileSync(path.join(dir, OUTPUT_FILES.metrics), 'utf8'));
    const check = evaluateClassifier(model, data.test, 10);
    expect(check.confusion).toEqual(m.confusion);
  });

  describe('report.html', () => {
    let html: string;
    beforeAll(() => {
      html = fs.readFileSync(path.join(dir, OUTPUT_FILES.report), 'utf8');
    });

    test('is well-formed and self-contained (no external resources)', () => {
      expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
      expect(() => checkWellFormed(html)).not.toThrow();
      expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    });

    test('the well-formedness check itself rejects broken markup', () => {
      expect(() => checkWellFormed('<a><b></a></b>')).toThrow(/closes/);
      expect(() => checkWellFormed('<a>x < y</a>')).toThrow(/bare/);
      expect(() => checkWellFormed('<a>fish & chips</a>')).toThrow(/entity/);
      expect(() => checkWellFormed('<a><br></a>')).toThrow(/closes/);
      expect(() => checkWellFormed('<a x="1" x="2"/>')).toThrow(/duplicate/);
    });

    test.each([
      ['loss-chart', 'Loss'],
      ['accuracy-chart', 'Accuracy'],
    ])('the %s SVG has one point per epoch for train and test', (cls, metric) => {
      const chart = element(html, 'div', `class="${cls}"`);
      expect(count(chart, /<svg /g)).toBe(1);
      for (const series of [`train${metric}`, `test${metric}`]) {
        const epochs = [...chart.matchAll(new RegExp(`<circle class="point" data-series="${series}" data-epoch="(\\d+)"`, 'g'))].map((x) =>
          Number(x[1]),
        );
        expect(epochs).toEqual([1, 2]);
        expect(
          count(chart, new RegExp(`<polyline class="curve" data-series="${series}"[^>]* points="[\\d.]+,[\\d.]+ [\\d.]+,[\\d.]+"`, 'g')),
        ).toBe(1);
      }
    });

    test('the confusion matrix is 10×10 and its counts match metrics.json', () => {
      const table = element(html, 'table', 'class="confusion"');
      const m = JSON.parse(fs.readFileSync(path.join(dir, OUTPUT_FILES.metrics), 'utf8'));
      const rows = [...table.matchAll(/<tr><th>(\d)<\/th>(.*?)<\/tr>/g)].map((r) =>
        [...r[2].matchAll(/>(\d+)<\/td>/g)].map((c) => Number(c[1])),
      );
      expect(rows).toEqual(m.confusion);
    });

    test('first-layer filters and feature maps are drawn as images', () => {
      const filters = element(html, 'div', 'class="filters"');
      const uris = [...filters.matchAll(/src="(data:image\/png;base64,[A-Za-z0-9+/=]+)"/g)].map((x) => x[1]);
      expect(uris).toHaveLength(32); // DigitsCnn's first conv: 32 filters of 1×3×3
      expect(decodePng(uris[0])).toEqual({ width: 3, height: 3, pixels: 9 });
      const rows = [...html.matchAll(/<div class="maps">(.*?)<\/div>/g)];
      expect(rows).toHaveLength(4);
      const images = [...rows[0][1].matchAll(/src="(data:image\/png;base64,[^"]+)"/g)].map((x) => decodePng(x[1]));
      expect(images).toHaveLength(1 + 32); // the input, then one map per filter
      expect(images.every((d) => d.width === 8 && d.height === 8 && d.pixels === 64)).toBe(true);
    });

    test('the computation graph is an inline SVG clustered by module', () => {
      const graph = element(html, 'div', 'class="graph"');
      expect(graph).toMatch(/^<div class="graph"><svg/);
      expect(graph).not.toMatch(/<\?xml|<!DOCTYPE/);
      expect(count(graph, /class="cluster"/g)).toBeGreaterThanOrEqual(4);
      for (const name of ['block1', 'block2', 'conv2d', 'fc']) expect(graph).toContain(name);
    });
  });
});

describe('reproducibility', () => {
  test('the same seed twice gives the same metrics.json, another seed a different one', async () => {
    const args = (seed: string, out: string) => [
      '--epochs',
      '1',
      '--limit',
      '200',
      '--batch-size',
      '40',
      '--seed',
      seed,
      '--out',
      path.join(tmp, out),
    ];
    for (const [seed, out] of [
      ['7', 'seed7a'],
      ['7', 'seed7b'],
      ['8', 'seed8'],
    ])
      expect((await train(args(seed, out))).code).toBe(0);
    const read = (out: string) => fs.readFileSync(path.join(tmp, out, OUTPUT_FILES.metrics), 'utf8');
    expect(read('seed7b')).toBe(read('seed7a'));
    expect(read('seed8')).not.toBe(read('seed7a'));
  });
});

describe('user input in the report is escaped', () => {
  test('an --out path with markup characters appears escaped, never raw', async () => {
    const dir = path.join(tmp, `x<b>&"y'`);
    const { code } = await train(['--epochs', '1', '--limit', '60', '--batch-size', '30', '--model', 'mlp', '--out', dir]);
    expect(code).toBe(0);
    const html = fs.readFileSync(path.join(dir, OUTPUT_FILES.report), 'utf8');
    expect(html).toContain('x&lt;b&gt;&amp;&quot;y&#39;');
    expect(html).not.toContain('x<b>');
    expect(() => checkWellFormed(html)).not.toThrow();
    // An MLP has no conv filters or feature maps to draw.
    expect(html).not.toContain('First-layer filters');
    expect(html).not.toContain('class="maps"');
  });
});

describe('bad arguments exit non-zero with one line and write nothing', () => {
  const emptyDir = () => fs.mkdtempSync(path.join(tmp, 'empty-'));
  const cases: [string, () => string[], RegExp][] = [
    ['unknown dataset', () => ['--dataset', 'cifar10'], /unknown dataset 'cifar10' \(choose digits or fashion-mnist\)/],
    [
      'unknown model',
      () => ['--model', 'resnet'],
      /unknown model 'resnet' \(choose cnn, mlp, autoencoder, vae, gan, dbn, rnn, lstm, gru or transformer\)/,
    ],
    ['negative epochs', () => ['--epochs', '-3'], /--epochs must be a positive integer, got '-3'/],
    ['zero epochs', () => ['--epochs', '0'], /--epochs must be a positive integer, got '0'/],
    ['fractional epochs', () => ['--epochs', '1.5'], /--epochs must be a positive integer, got '1.5'/],
    ['a learning rate that is not a number', () => ['--lr', 'fast'], /--lr must be a positive number, got 'fast'/],
    ['an unknown option', () => ['--epocs', '3'], /unknown option '--epocs' \(options: --dataset, .*--optimizer, --threads, --resume/],
    [
      'a missing data directory',
      () => ['--dataset', 'fashion-mnist', '--data-dir', path.join(tmp, 'nowhere')],
      /--data-dir: data directory .*nowhere does not exist/,
    ],
    ['no data directory at all', () => ['--dataset', 'fashion-mnist'], /--dataset fashion-mnist needs --data-dir DIR/],
    [
      'a data directory without the IDX files',
      () => ['--dataset', 'fashion-mnist', '--data-dir', emptyDir()],
      /missing train-images-idx3-ubyte\[\.gz\] in .*empty-\w+ \(looked for .*train-images-idx3-ubyte and .*train-images-idx3-ubyte\.gz\)/,
    ],
    ['--data-dir with digits', () => ['--data-dir', tmp], /--data-dir is only for --dataset fashion-mnist/],
    ['a one-example limit', () => ['--limit', '1'], /--limit must be at least 2, got 1/],
    [
      'batch size 1 for LeNet-5 with batch norm',
      () => ['--dataset', 'fashion-mnist', '--batch-size', '1'],
      /--batch-size must be at least 2 for the LeNet-5 model/,
    ],
  ];

  test.each(cases)('%s', async (_name, args, message) => {
    const out = path.join(tmp, `bad-${Math.random().toString(36).slice(2)}`);
    const r = await train([...args(), '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).not.toContain('\n');
    expect(r.err[0]).toMatch(/^tapegrad train: /);
    expect(r.err[0]).toMatch(message);
    expect(r.out).toEqual([]);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('an IDX directory missing only the test labels names that file', async () => {
    const dir = emptyDir();
    for (const f of ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte'])
      fs.writeFileSync(path.join(dir, f), '');
    const r = await train(['--dataset', 'fashion-mnist', '--data-dir', dir, '--out', path.join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/missing t10k-labels-idx1-ubyte\[\.gz\]/);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  test('an --out that is a file is refused before training', async () => {
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'keep me');
    const r = await train(['--out', file]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--out .*a-file exists and is not a directory/);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
  });

  test('--out FILE/sub, which can never be created, is refused before any work starts', async () => {
    const file = path.join(tmp, 'a-plain-file');
    fs.writeFileSync(file, 'keep me');
    const r = await train(['--out', path.join(file, 'sub', 'dir')]);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/--out .*a-plain-file.sub.dir cannot be created: .*a-plain-file is not a directory/);
    // Refused at argument time: nothing was trained, so nothing was printed.
    expect(r.out).toEqual([]);
  });

  test('--help prints the options and exits 0', async () => {
    const r = await train(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--dataset', '--data-dir', '--model', '--epochs', '--batch-size', '--lr', '--seed', '--out'])
      expect(r.out.join('\n')).toContain(flag);
  });
});

describe('progress output', () => {
  test('a live bar only on a TTY outside CI', () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    expect(liveStreamFor(tty, {})).toBe(tty);
    expect(liveStreamFor(tty, { CI: 'true' })).toBeNull();
    expect(liveStreamFor({ isTTY: false } as NodeJS.WriteStream, {})).toBeNull();
  });
});

describe('report images', () => {
  test('a greyscale PNG holds the values stretched from black to white', () => {
    const png = encodeGreyPng({ width: 3, height: 2, values: [-1, 0, 1, 2, 3, 5] });
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    // Bit depth 8, colour type 0 (greyscale).
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([3, 2, 8, 0]);
    // Decoded: every pixel grey, from -1 → 0 up to 5 → 255.
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([3, 2]);
    const pixels = Array.from({ length: 6 }, (_, i) => [...decoded.data.subarray(4 * i, 4 * i + 4)]);
    expect(pixels.map(([r]) => r)).toEqual([0, 43, 85, 128, 170, 255]);
    expect(pixels.every(([r, g, b, a]) => r === g && g === b && a === 255)).toBe(true);
    expect(() => encodeGreyPng({ width: 2, height: 2, values: [1, 2, 3] })).toThrow('encodeGreyPng: 3 values do not fill a 2x2 image');
  });
});

describe('bin/tapegrad.js train', () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'bin', 'tapegrad.js'), 'train', ...args],
        { cwd: tmp, env: { ...process.env, CI: '1' } },
        (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });

  test('a one-epoch run writes the run directory under runs/ by default', async () => {
    const r = await cli(['--epochs', '1', '--limit', '100', '--seed', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/test accuracy \d+\.\d\d% after 1 epoch, /);
    const out = path.join(tmp, 'runs', 'digits-cnn-3');
    expect(fs.readdirSync(out).sort()).toEqual(Object.values(OUTPUT_FILES).sort());
  });

  test('a bad argument exits 2 with one line on stderr', async () => {
    const r = await cli(['--model', 'resnet']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "tapegrad train: unknown model 'resnet' (choose cnn, mlp, autoencoder, vae, gan, dbn, rnn, lstm, gru or transformer)\n",
    );
  });
});
