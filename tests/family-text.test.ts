/**
 * The text task (`--dataset text`: rnn, lstm, gru; and `transformer`): the shipped text and its
 * script, the data module's pieces on hand-made texts, sampling, and 20-step float64 parity of each
 * family's own model and training step with its PyTorch mirror (examples/torch/char_lm.py and
 * transformer.py), which must fail — never skip — without torch (tests/torch-harness.ts).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import type { FamilyOptions } from '../src/train/family';
import type { Hyper } from '../src/train/options';
import { buildCharLm, charLmDefaults, CharLmKind, createCharLm } from '../src/train/families/char-lm';
import { drawNext, generateText, lmTrainStep, TextGenerator } from '../src/train/families/text-lm';
import { buildTransformer, createTransformer, heatMapSvg, transformerDefaults, warmupCosine } from '../src/train/families/transformer';
import {
  buildVocabulary,
  bundledTextPath,
  encodeText,
  evaluationWindows,
  loadTextData,
  randomWindows,
  readTextFile,
  splitText,
  unigramEntropy,
} from '../src/train/text-data';
import { run as evalCli } from '../src/cli/eval';
import { run as sampleCli } from '../src/cli/sample';
import { run as trainCli } from '../src/cli/train';
import { capture } from './cli-capture';
import { FAMILIES } from '../src/train/families';
import { trainSession } from '../src/train/session';
import { requireTorch, TORCH_PYTHON } from './torch-harness';
import { parseXml } from './viz-helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const writeTextScript = require('../scripts/write-text.js') as {
  prose(md: string): string[];
  writeText(root?: string): string;
  OUT: string;
};

const ROOT = path.join(__dirname, '..');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-text-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the shipped text and scripts/write-text.js', () => {
  test('data/tapegrad-tutorial.txt is the bundled text: 60–150 KB of UTF-8 prose starting with the tutorial, no code fences or tables', () => {
    const file = bundledTextPath();
    expect(path.resolve(file)).toBe(path.resolve(writeTextScript.OUT));
    const bytes = fs.statSync(file).size;
    expect(bytes).toBeGreaterThan(60_000);
    expect(bytes).toBeLessThan(150_000);
    const text = readTextFile(file);
    expect(text.startsWith('The tutorial, computed\n\nThis page follows the tutorial Deep learning and convolution basics')).toBe(true);
    expect(text).not.toMatch(/```|^\|/m);
    expect(text).not.toMatch(/<\/?[a-z]+>/);
    expect(text).not.toMatch(/\]\(/); // no markdown links left
    const letters = Array.from(text).filter((c) => /[A-Za-z]/.test(c)).length;
    expect(letters / Array.from(text).length).toBeGreaterThan(0.7);
  });

  test('the script is deterministic and strips a page as documented (Note [the shipped text is a snapshot])', () => {
    expect(writeTextScript.writeText()).toBe(writeTextScript.writeText());
    const page = [
      '# A *title*',
      '',
      'Some **bold** prose with `code`, a [link](http://x.org) and',
      'an ![image](a.png) continuing <b>here</b>.',
      '',
      '```ts',
      'const x = 1; // dropped',
      '```',
      '',
      '| table | dropped |',
      '|---|---|',
      '',
      '- an item',
      '- another item',
      '',
      '<!-- a comment',
      'spanning lines -->',
      '> quoted text',
    ].join('\n');
    expect(writeTextScript.prose(page)).toEqual([
      'A title',
      'Some bold prose with code, a link and an continuing here.',
      'an item',
      'another item',
      'quoted text',
    ]);
  });
});

describe('text-data', () => {
  test('the vocabulary is the characters sorted by code point; a code point beyond UTF-16 is one character', () => {
    expect(buildVocabulary('hello, world')).toEqual([' ', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(buildVocabulary('b😀a😀')).toEqual(['a', 'b', '😀']);
    expect(Array.from(encodeText('ab😀', ['a', 'b', '😀']))).toEqual([0, 1, 2]);
  });

  test('characters outside the vocabulary are named', () => {
    expect(() => encodeText('abxyx', ['a', 'b'], 'sample: the prompt has')).toThrow(
      'sample: the prompt has: characters "x", "y" not in the model\'s vocabulary of 2',
    );
  });

  test('the validation text is the last 10%', () => {
    const ids = Int32Array.from({ length: 50 }, (_, i) => i);
    const { train, val } = splitText(ids);
    expect(Array.from(val)).toEqual([45, 46, 47, 48, 49]);
    expect(train.length).toBe(45);
  });

  test('unigram entropy by hand: "aab" has p = (2/3, 1/3), H = −(2/3)ln(2/3) − (1/3)ln(1/3) = 0.6365 nats', () => {
    const h = unigramEntropy(encodeText('aab', ['a', 'b']), 2);
    expect(h).toBeCloseTo(-(2 / 3) * Math.log(2 / 3) - (1 / 3) * Math.log(1 / 3), 15);
    expect(h).toBeCloseTo(0.636514168294813, 12);
    expect(unigramEntropy(Int32Array.of(0, 1, 2, 3), 4)).toBeCloseTo(Math.log(4), 15); // uniform: ln V
  });

  test('random windows: targets are the inputs shifted by one, starts drawn from the rng (same seed, same windows)', () => {
    const ids = Int32Array.from({ length: 20 }, (_, i) => i);
    const a = randomWindows(ids, 3, 4, tg.rng(5));
    const b = randomWindows(ids, 3, 4, tg.rng(5));
    expect(a).toEqual(b);
    for (let w = 0; w < 3; w++) {
      const x = Array.from(a.x.subarray(w * 4, w * 4 + 4));
      expect(x).toEqual([x[0], x[0] + 1, x[0] + 2, x[0] + 3]);
      expect(Array.from(a.y.subarray(w * 4, w * 4 + 4))).toEqual(x.map((v) => v + 1));
      expect(x[0] + 4).toBeLessThan(20);
    }
    expect(() => randomWindows(ids.subarray(0, 4), 1, 4, tg.rng(0))).toThrow('text: 4 training characters are too few for windows of 4');
  });

  test('evaluation windows predict every character after the first exactly once', () => {
    const ids = Int32Array.from({ length: 10 }, (_, i) => i);
    const { full, rest } = evaluationWindows(ids, 4);
    expect(full.count).toBe(2);
    expect(Array.from(full.x)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(full.y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(rest!.x)).toEqual([8]);
    expect(Array.from(rest!.y)).toEqual([9]);
  });

  test('--text refuses a missing, empty, binary, non-UTF-8 or over-50-MB file, naming it', () => {
    const p = (name: string) => path.join(tmp, name);
    expect(() => readTextFile(p('missing.txt'))).toThrow(`--text: no such file: ${p('missing.txt')}`);
    fs.writeFileSync(p('empty.txt'), '');
    expect(() => readTextFile(p('empty.txt'))).toThrow(`--text: ${p('empty.txt')} is empty`);
    fs.writeFileSync(p('bin.dat'), Buffer.from([0x68, 0x69, 0x00, 0x01]));
    expect(() => readTextFile(p('bin.dat'))).toThrow(
      `--text: ${p('bin.dat')} looks binary (control byte 0x00 at character 2), expected plain text`,
    );
    fs.writeFileSync(p('latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(() => readTextFile(p('latin1.txt'))).toThrow(`--text: ${p('latin1.txt')} is not UTF-8 text`);
    const big = p('big.txt');
    const fd = fs.openSync(big, 'w');
    fs.ftruncateSync(fd, 50 * 1024 * 1024 + 1);
    fs.closeSync(fd);
    expect(() => readTextFile(big)).toThrow(`--text: ${big} is 50.0 MB; the limit is 50 MB`);
    fs.writeFileSync(p('ok.txt'), '\ufeffabc\r\n');
    expect(readTextFile(p('ok.txt'))).toBe('abc\r\n');
  });

  test("a user's text: vocabulary, split and unigram loss of its own", () => {
    fs.writeFileSync(path.join(tmp, 'mine.txt'), 'abab'.repeat(25)); // 100 characters
    const d = loadTextData(path.join(tmp, 'mine.txt'));
    expect(d.vocab).toEqual(['a', 'b']);
    expect(d.train.length).toBe(90);
    expect(d.unigramLoss).toBeCloseTo(Math.log(2), 15);
    expect(() => loadTextData(path.join(tmp, 'mine.txt'), ['a'])).toThrow(/character "b" not in the model's vocabulary of 1/);
  });
});

describe('sampling', () => {
  /** A generator whose logits favour id (last + 1) mod V by 2 nats. */
  const counter = (V: number): TextGenerator => ({
    advance: (ids) => Float64Array.from({ length: V }, (_, i) => (i === (ids[ids.length - 1] + 1) % V ? 2 : 0)),
  });

  test('temperature 0 is greedy: the arg max every step', () => {
    const text = generateText(counter(3), ['a', 'b', 'c'], { prompt: 'a', length: 5, temperature: 0, rng: tg.rng(0) });
    expect(text).toBe('abcabc');
    expect(drawNext(Float64Array.of(1, 3, 3), 0, tg.rng(0))).toBe(1); // a tie: the lowest id
  });

  test('the same seed gives the same text, another seed another; the draws follow softmax(logits / T)', () => {
    const o = { prompt: 'b', length: 60, temperature: 1 };
    const a = generateText(counter(3), ['a', 'b', 'c'], { ...o, rng: tg.rng(1) });
    expect(generateText(counter(3), ['a', 'b', 'c'], { ...o, rng: tg.rng(1) })).toBe(a);
    expect(generateText(counter(3), ['a', 'b', 'c'], { ...o, rng: tg.rng(2) })).not.toBe(a);
    // P(favoured) = e² / (e² + 2) = 0.787 at T = 1; at T = 0.25 it is e⁸ / (e⁸ + 2) = 0.9993.
    const r = tg.rng(3);
    const logits = Float64Array.of(2, 0, 0);
    let hits = 0;
    for (let i = 0; i < 4000; i++) hits += drawNext(logits, 1, r) === 0 ? 1 : 0;
    expect(hits / 4000).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 2), 1);
  });

  test('bad prompts and options are refused clearly', () => {
    expect(() => generateText(counter(2), ['a', 'b'], { prompt: 'abz', length: 3, temperature: 1, rng: tg.rng(0) })).toThrow(
      'sample: the prompt has: character "z" not in the model\'s vocabulary of 2',
    );
    expect(() => generateText(counter(2), ['a', 'b'], { prompt: 'a', length: -1, temperature: 1, rng: tg.rng(0) })).toThrow(
      'sample: --length must be a non-negative integer, got -1',
    );
    expect(() => generateText(counter(2), ['a', 'b'], { prompt: 'a', length: 1, temperature: -0.5, rng: tg.rng(0) })).toThrow(
      'sample: --temperature must be a finite number >= 0, got -0.5',
    );
  });

  test('warm-up then cosine: factors by hand', () => {
    const f = warmupCosine(2, 6);
    expect([0, 1, 2, 4, 6, 9].map(f)).toEqual([0.5, 1, 1, 0.5 * (1 + Math.cos(Math.PI / 2)), 0, 0]);
  });

  test('a heat map is well-formed SVG with the characters on both axes', () => {
    const svg = heatMapSvg([1, 0, 0.25, 0.75], ['<', ' '], 'layer 1, head 1');
    expect(svg.match(/<rect /g)).toHaveLength(4);
    expect(svg).toContain('&lt;');
    expect(svg).toContain('␣');
    expect(svg).toContain('fill="rgb(0,0,255)"');
    expect(svg).toContain('fill="rgb(64,64,255)"');
  });
});

// ---- the runs, on a tiny text ------------------------------------------------------------------

function familyOptions(model: string, hyper: Hyper, textFile: string | null, limit: number | null): FamilyOptions {
  return { ...hyper, model, dataset: 'text', dataDir: null, textFile, seed: 0, limit };
}

const context = (saved: Record<string, unknown> | null = null) => ({ rng: (p: string) => tg.rng(`0:${p}`), saved });

describe('the FamilyRuns', () => {
  let textFile: string;
  beforeAll(() => {
    textFile = path.join(tmp, 'abc.txt');
    fs.writeFileSync(textFile, 'the cat sat on the mat. '.repeat(120));
  });

  test.each(['rnn', 'gru'] as const)('%s learns a repetitive text well below its unigram loss, and samples it back', async (kind) => {
    const run = createCharLm(kind, familyOptions(kind, { ...charLmDefaults(kind), epochs: 2, batchSize: 8 }, textFile, null), context());
    expect(run.unit).toBe('characters');
    expect(run.headline).toBe('valLoss');
    for (let e = 1; e <= 2; e++) expect(await run.trainEpoch(e, async () => false)).toEqual({ trainLoss: expect.any(Number) });
    const { valLoss } = run.evaluate();
    const summary = run.summary() as { valLoss: number; unigramLoss: number };
    expect(summary.valLoss).toBe(valLoss);
    expect(valLoss).toBeLessThan(summary.unigramLoss / 2);
    expect(run.spec()).toEqual({ vocab: buildVocabulary('the cat sat on the mat. '), seqLen: 64, trainCharacters: 2592 });
    const greedy = run.sample!({ prompt: 'the c', length: 15, temperature: 0, count: 1, rng: tg.rng(0) }) as { text: string };
    expect(greedy.text).toBe('the cat sat on the m');
    const sections = await run.report();
    expect(sections.map((s) => s.title)).toEqual(['Samples', 'Validation loss']);
    expect(sections[0].html).toContain('temperature 0.8');
  });

  test('a rebuilt run keeps its saved vocabulary and samples without reading the text', () => {
    const spec = { vocab: ['a', 'b', 'c'], seqLen: 64, trainCharacters: 1000 };
    const run = createCharLm('lstm', familyOptions('lstm', charLmDefaults('lstm'), path.join(tmp, 'gone.txt'), null), context(spec));
    const out = run.sample!({ prompt: 'ab', length: 5, temperature: 1, count: 1, rng: tg.rng(0) }) as { text: string };
    expect(out.text).toMatch(/^ab[abc]{5}$/);
    expect(() => run.evaluate()).toThrow(`--text: no such file: ${path.join(tmp, 'gone.txt')}`);
  });

  test('the transformer learns the text, and its report draws each layer’s heads', async () => {
    const run = createTransformer(
      familyOptions('transformer', { ...transformerDefaults('text'), epochs: 10, batchSize: 8 }, textFile, null),
      context(),
    );
    for (let e = 1; e <= 10; e++) await run.trainEpoch(e, async () => false);
    const { valLoss } = run.evaluate();
    expect(valLoss).toBeLessThan((run.summary() as { unigramLoss: number }).unigramLoss / 2);
    const sections = await run.report();
    expect(sections.map((s) => s.title)).toEqual(['Samples', 'Validation loss', 'Attention maps']);
    expect(sections[2].html.match(/<svg /g)).toHaveLength(2 * 4);
    expect(sections[2].html).toContain('layer 2, head 4');
    expect(() =>
      createTransformer({ ...familyOptions('transformer', transformerDefaults('text'), textFile, null), dataset: 'digits' }, context()),
    ).toThrow("transformer: trains on --dataset text only, got 'digits'");
  });
});

// ---- parity with PyTorch -------------------------------------------------------------------------

const STEPS = 20;

/** The batches both sides train on: random windows of the shipped text. */
function parityBatches(batch: number, seqLen: number): { x: Int32Array; y: Int32Array }[] {
  const d = loadTextData(null);
  const r = tg.rng('parity-batches');
  return Array.from({ length: STEPS }, () => randomWindows(d.train, batch, seqLen, r));
}

function runMirror(script: string, job: object): { losses: number[]; keys: string[] } {
  requireTorch();
  const jobFile = path.join(tmp, `job-${path.basename(script)}.json`);
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const r = spawnSync(TORCH_PYTHON, [path.join(ROOT, 'examples', 'torch', script), '--parity', jobFile], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function expectParity(ours: number[], theirs: number[]): void {
  expect(theirs).toHaveLength(ours.length);
  ours.forEach((l, i) => expect(Math.abs(l - theirs[i]) / Math.abs(theirs[i])).toBeLessThan(1e-9));
}

describe('float64 parity with the PyTorch mirrors, 20 steps', () => {
  const V = loadTextData(null).vocab.length;
  const B = 4;
  const T = 32;

  test.each(['lstm', 'gru', 'rnn'] as CharLmKind[])('%s (examples/torch/char_lm.py)', (kind) => {
    const h = { ...charLmDefaults(kind), epochs: 1 };
    const totalSteps = 30; // the cosine schedule is a third of the way down after 20 steps
    const parts = buildCharLm(kind, V, h, totalSteps, { rng: tg.rng(`parity-${kind}`), dtype: 'float64' });
    const weights = path.join(tmp, `${kind}.safetensors`);
    tg.save(weights, Object.fromEntries(parts.model.namedParameters()));
    const batches = parityBatches(B, T);
    const job = {
      kind,
      vocabSize: V,
      weights,
      lr: h.lr,
      weightDecay: h.weightDecay,
      totalSteps,
      clip: h.clipGradNorm,
      batchSize: B,
      seqLen: T,
      batches: batches.map((b) => ({ x: Array.from(b.x), y: Array.from(b.y) })),
    };
    const theirs = runMirror('char_lm.py', job);
    const ours = batches.map((b) => lmTrainStep(parts, b.x, b.y, B, T));
    expect(theirs.keys).toEqual(Object.keys(parts.model.stateDict()));
    expectParity(ours, theirs.losses);
    expect(ours[STEPS - 1]).toBeLessThan(ours[0]); // it learns
  });

  test('transformer (examples/torch/transformer.py): AdamW, warm-up into cosine, clipping', () => {
    const h = { ...transformerDefaults('text'), epochs: 1 };
    const totalSteps = 40; // warm-up over 2 steps, then cosine
    const parts = buildTransformer(V, h, totalSteps, { rng: tg.rng('parity-transformer'), dtype: 'float64' });
    expect(parts.warmup).toBe(2);
    const weights = path.join(tmp, 'transformer.safetensors');
    tg.save(weights, Object.fromEntries(parts.model.namedParameters()));
    const batches = parityBatches(B, T);
    const job = {
      vocabSize: V,
      weights,
      lr: h.lr,
      weightDecay: h.weightDecay,
      totalSteps,
      clip: h.clipGradNorm,
      batchSize: B,
      seqLen: T,
      batches: batches.map((b) => ({ x: Array.from(b.x), y: Array.from(b.y) })),
    };
    const theirs = runMirror('transformer.py', job);
    const ours = batches.map((b) => lmTrainStep(parts, b.x, b.y, B, T));
    expect(theirs.keys).toEqual(Object.keys(parts.model.stateDict()));
    expectParity(ours, theirs.losses);
    expect(ours[STEPS - 1]).toBeLessThan(ours[0]);
  });
});

// ---- end to end, through the CLI -----------------------------------------------------------------

describe.each([
  ['lstm', ['Samples', 'Validation loss']],
  ['transformer', ['Samples', 'Validation loss', 'Attention maps']],
])('%s --dataset text through the CLI: train, eval, sample, --resume', (model, sections) => {
  let dir: string;
  let trainOut: string[];
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const args = (out: string) => [
    '--model',
    model,
    '--dataset',
    'text',
    '--limit',
    '3000',
    '--epochs',
    '2',
    '--batch-size',
    '8',
    '--out',
    out,
  ];

  beforeAll(async () => {
    dir = path.join(tmp, `cli-${model}`);
    const r = await capture(() => trainCli(args(dir)));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    trainOut = r.out;
  }, 300_000);

  test('the run directory, run.json (with the vocabulary) and metrics.json (valLoss beside unigramLoss)', () => {
    for (const f of ['run.json', 'checkpoint.json', 'model.safetensors', 'metrics.json', 'timings.json', 'report.html'])
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    const spec = JSON.parse(read('run.json'));
    expect(spec).toMatchObject({ family: model, options: { model, dataset: 'text', epochs: 2, batchSize: 8, limit: 3000 } });
    expect(JSON.stringify(spec)).toContain(JSON.stringify(loadTextData(null).vocab));
    const m = JSON.parse(read('metrics.json'));
    expect(m.epochs).toHaveLength(2);
    expect(m.valLoss).toBeCloseTo(m.epochs[1].valLoss, 4);
    expect(m.unigramLoss).toBeCloseTo(unigramEntropy(loadTextData(null).val.subarray(0, 3000), 137), 4); // metrics.json keeps 5 decimals
    expect(m.valLoss).toBeLessThan(Math.log(137)); // better than uniform after 2 short epochs
    expect(trainOut.some((l) => /^valLoss \d\.\d{4} after 2 epochs/.test(l))).toBe(true);
  });

  test("report.html has the family's sections", () => {
    const html = read('report.html');
    parseXml(html); // well-formed
    for (const title of [...sections, 'Computation graph']) expect(html).toContain(`>${title}</h2>`);
    expect(html).not.toContain('The graph could not be drawn');
    expect(html).toContain('temperature 0 (greedy)');
  });

  test('eval prints the validation loss train ended with', async () => {
    const r = await capture(() => evalCli([dir]));
    expect(r.code).toBe(0);
    const m = JSON.parse(read('metrics.json'));
    const line = r.out.find((l) => l.startsWith('valLoss '));
    expect(Number(line!.split(' ')[1])).toBeCloseTo(m.valLoss, 4);
    expect(r.out).toContain(`unigramLoss ${m.unigramLoss.toFixed(4)}`);
  });

  test('sample: the prompt continued, the same for the same --seed, greedy at temperature 0; foreign prompt characters are named', async () => {
    const s = (...a: string[]) => capture(() => sampleCli([dir, '--prompt', 'The gradient', '--length', '40', ...a]));
    const a = await s('--seed', '3');
    expect(a.code).toBe(0);
    expect(a.out.join('\n').startsWith('The gradient')).toBe(true);
    expect(a.out.join('\n').length).toBe('The gradient'.length + 40);
    expect((await s('--seed', '3')).out).toEqual(a.out);
    expect((await s('--seed', '4')).out).not.toEqual(a.out);
    const g = await s('--temperature', '0', '--seed', '1');
    expect((await s('--temperature', '0', '--seed', '2')).out).toEqual(g.out);
    const bad = await capture(() => sampleCli([dir, '--prompt', 'día ☃']));
    expect(bad.code).not.toBe(0);
    expect(bad.err.join('\n')).toContain('sample: the prompt has: characters "í", "☃" not in the model\'s vocabulary of 137');
  });

  test('a run interrupted mid-epoch and resumed ends on the same bits as one run', async () => {
    const cut = path.join(tmp, `cut-${model}`);
    const family = FAMILIES[model];
    const io = {
      log: () => {},
      liveStream: null,
      shouldStop: (() => {
        let batches = 0;
        const perEpoch = Math.floor(3000 / (8 * (model === 'lstm' ? 64 : 32))); // 5 for the LSTM, 11 for the transformer
        return () => ++batches > perEpoch + 1; // stop during the second epoch
      })(),
      beforeWrite: () => {},
      kernels: 'test',
    };
    const opts = { ...familyOptions(model, { ...family.defaults('text'), epochs: 2, batchSize: 8 }, null, 3000), textFile: null, out: cut };
    expect(await trainSession(family, opts, io)).toBe(130);
    const r = await capture(() => trainCli(['--resume', cut]));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`resuming ${cut} after epoch 1 of 2`);
    expect(fs.readFileSync(path.join(cut, 'model.safetensors')).equals(fs.readFileSync(path.join(dir, 'model.safetensors')))).toBe(true);
    expect(fs.readFileSync(path.join(cut, 'metrics.json'), 'utf8')).toBe(read('metrics.json'));
  }, 300_000);
});
