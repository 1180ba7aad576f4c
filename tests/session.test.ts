/**
 * The training session (src/train/session.ts) every model family runs through, tested with a family
 * of its own: a linear regression whose numbers are easy to check. Through the CLI (train, eval,
 * sample, --resume) and directly (an interruption mid-epoch, then a resume that ends on the same
 * bits as an uninterrupted run; checkpoints that do not fit refused, naming the field).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import { run as evalCli } from '../src/cli/eval';
import { run as sampleCli } from '../src/cli/sample';
import { run as trainCli } from '../src/cli/train';
import type { Family, FamilyContext, FamilyOptions, FamilyRun } from '../src/train/family';
import { FAMILIES } from '../src/train/families';
import { SessionIo, trainSession } from '../src/train/session';
import { capture } from './cli-capture';

/** y = x·[1, −2, 3] + 0.5 + noise, fitted by a Linear layer with SGD; "samples" are the weights as text. */
const toy: Family = {
  name: 'toy',
  datasets: ['line', 'plane'],
  defaults: () => ({ epochs: 3, batchSize: 8, lr: 0.05, momentum: 0.9, weightDecay: 0, cropPadding: 0, flipP: 0, optimizer: 'sgd' }),
  create(opts: FamilyOptions, ctx: FamilyContext): FamilyRun {
    const dataRng = ctx.rng('data');
    const n = opts.limit ?? 64;
    const x = tg.randn([n, 3], { rng: dataRng });
    const noise = tg.randn([n, 1], { rng: dataRng });
    const y = tg.add(tg.add(tg.matmul(x, tg.tensor([[1], [-2], [3]])), 0.5), tg.mul(noise, 0.01));
    const model = new tg.nn.Linear(3, 1, { rng: ctx.rng('init') });
    const optimizer = new tg.optim.SGD(model.parameters(), { lr: opts.lr, momentum: opts.momentum });
    const scheduler = new tg.optim.lrScheduler.StepLR(optimizer, { stepSize: 5, gamma: 0.5 });
    const shuffle = ctx.rng('shuffle');
    const batches = Math.ceil(n / opts.batchSize);
    const mse = () => tg.mseLoss(model.forward(x), y).item();
    return {
      modules: { model },
      optimizers: { model: optimizer },
      schedulers: { model: scheduler },
      description: `Linear(3, 1) (4 parameters)`,
      dataDescription: `${n} points`,
      unit: 'points',
      batchesPerEpoch: batches,
      async trainEpoch(epoch, onBatch) {
        const order = tg.randperm(n, { rng: shuffle });
        let sum = 0;
        for (let b = 0; b < batches; b++) {
          const idx = tg.narrow(order, 0, b * opts.batchSize, Math.min(opts.batchSize, n - b * opts.batchSize));
          const loss = tg.mseLoss(model.forward(tg.indexSelect(x, 0, idx)), tg.indexSelect(y, 0, idx));
          optimizer.zeroGrad();
          loss.backward();
          optimizer.step();
          sum += loss.item();
          if (await onBatch(b + 1, { loss: sum / (b + 1), examples: Math.min(n, (b + 1) * opts.batchSize) })) return null;
        }
        scheduler.step();
        return { trainLoss: sum / batches, epochTimesTen: epoch * 10 };
      },
      evaluate: () => ({ testMse: mse() }),
      headline: 'testMse',
      summary: () => ({ testMse: mse(), weights: Array.from(model.weight.data) }),
      report: async () => [{ title: 'Weights', html: `<p>${Array.from(model.weight.data, (v) => v.toFixed(3)).join(' ')}</p>` }],
      files: () => [{ name: 'weights.txt', content: `${Array.from(model.weight.data).join(' ')}\n` }],
      spec: () => ({ points: n }),
      sample: (o) => ({ text: `${o.prompt}${Array.from({ length: o.length }, () => (o.rng.next() < 0.5 ? 'a' : 'b')).join('')}` }),
      graphInput: () => ({ module: model, input: tg.narrow(x, 0, 0, 1) }),
    };
  },
};

let tmp: string;
beforeAll(() => {
  FAMILIES.toy = toy;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-session-'));
});
afterAll(() => {
  delete FAMILIES.toy;
  fs.rmSync(tmp, { recursive: true, force: true });
});

const quietIo = (stopAfter = Infinity): SessionIo & { lines: string[] } => {
  const lines: string[] = [];
  let batches = 0;
  return {
    lines,
    log: (l) => void lines.push(l),
    liveStream: null,
    shouldStop: () => ++batches > stopAfter,
    beforeWrite: () => {},
    kernels: 'test',
  };
};

const options = (out: string): FamilyOptions & { out: string } => ({
  ...toy.defaults('line'),
  model: 'toy',
  dataset: 'line',
  dataDir: null,
  textFile: null,
  seed: 3,
  limit: null,
  out,
});

const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f), 'utf8');

describe('a family run through the CLI', () => {
  let dir: string;
  let trainOut: string[];
  beforeAll(async () => {
    dir = path.join(tmp, 'cli');
    const r = await capture(() => trainCli(['--model', 'toy', '--dataset', 'plane', '--epochs', '10', '--seed', '3', '--out', dir]));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    trainOut = r.out;
  });

  test('writes run.json, the checkpoint, the weights, metrics, timings, report and the family files', () => {
    for (const f of [
      'run.json',
      'checkpoint.json',
      'checkpoint.safetensors',
      'model.safetensors',
      'metrics.json',
      'timings.json',
      'report.html',
      'weights.txt',
    ])
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
    const spec = JSON.parse(read(dir, 'run.json'));
    expect(spec).toMatchObject({ format: 'tapegrad-run', formatVersion: 2, family: 'toy', saved: { points: 64 } });
    expect(spec.options).toMatchObject({ model: 'toy', dataset: 'plane', epochs: 10, seed: 3, lr: 0.05 });
    const metrics = JSON.parse(read(dir, 'metrics.json'));
    expect(metrics.epochs.map((e: { epoch: number; epochTimesTen: number }) => [e.epoch, e.epochTimesTen])).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, 10 * (i + 1)]),
    );
    // Learned: the fitted weights are the generating ones, and the MSE is the noise's.
    expect(metrics.testMse).toBeLessThan(0.01);
    expect(metrics.weights[0]).toBeCloseTo(1, 1);
    expect(metrics.weights[1]).toBeCloseTo(-2, 1);
    expect(metrics.weights[2]).toBeCloseTo(3, 1);
    expect(trainOut.some((l) => /^testMse \d\.\d{4} after 10 epochs/.test(l))).toBe(true);
    expect(trainOut.filter((l) => /^epoch \d+\/10: trainLoss/.test(l))).toHaveLength(10);
  });

  test('report.html is well-formed, with the curves, the epoch table, the family section and the graph', () => {
    const html = read(dir, 'report.html');
    expect(html).toMatch(/<h2 id="weights">Weights<\/h2>/);
    expect(html).toMatch(/<table class="epochs">/);
    expect(html).toMatch(/<th>epochTimesTen<\/th>/);
    expect(html).toMatch(/<div class="graph"><svg/);
    expect((html.match(/<tr>/g) ?? []).length).toBeGreaterThanOrEqual(5);
  });

  test("eval prints the saved model's held-out metric, equal to train's", async () => {
    const r = await capture(() => evalCli([dir]));
    expect(r.code).toBe(0);
    const metrics = JSON.parse(read(dir, 'metrics.json'));
    const line = r.out.find((l) => l.startsWith('testMse '))!;
    expect(Number(line.split(' ')[1])).toBeCloseTo(metrics.testMse, 4);
  });

  test('sample prints what the family samples, the same for the same seed', async () => {
    const a = await capture(() => sampleCli([dir, '--prompt', 'x:', '--length', '12', '--seed', '5']));
    const b = await capture(() => sampleCli([dir, '--prompt', 'x:', '--length', '12', '--seed', '5']));
    expect(a.code).toBe(0);
    expect(a.out).toHaveLength(1);
    expect(a.out[0]).toMatch(/^x:[ab]{12}$/);
    expect(b.out).toEqual(a.out);
    const other = await capture(() => sampleCli([dir, '--prompt', 'x:', '--length', '12', '--seed', '6']));
    expect(other.out).not.toEqual(a.out);
    const c = await capture(() => sampleCli([dir, '--count', '3']));
    expect(c).toMatchObject({ code: 2, err: ['tapegrad sample: --out and --count are for image models; a text model prints its sample'] });
    expect(b.code).toBe(0);
  });

  test('bad arguments are refused before anything runs', async () => {
    const r = await capture(() => trainCli(['--model', 'toy', '--dataset', 'digits', '--out', path.join(tmp, 'never')]));
    expect(r).toMatchObject({ code: 2, err: ["tapegrad train: unknown dataset 'digits' (choose line or plane)"] });
    const t = await capture(() => trainCli(['--model', 'toy', '--text', 'x.txt', '--out', path.join(tmp, 'never')]));
    expect(t).toMatchObject({ code: 2, err: ['tapegrad train: --text FILE is for --dataset text'] });
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
  });
});

describe('interrupted and resumed', () => {
  test('a run stopped mid-epoch resumes from the epoch start and ends on the same bits as one run', async () => {
    const whole = path.join(tmp, 'whole');
    const cut = path.join(tmp, 'cut');
    expect(await trainSession(toy, options(whole), quietIo())).toBe(0);
    // 8 batches per epoch: stop during the second epoch.
    const io = quietIo(11);
    expect(await trainSession(toy, options(cut), io)).toBe(130);
    expect(io.lines).toContain(`interrupted during epoch 2; checkpoint (after 1 epoch) written to ${path.join(cut, 'checkpoint.json')}`);
    expect(JSON.parse(read(cut, 'checkpoint.json')).epoch).toBe(1);
    expect(fs.existsSync(path.join(cut, 'metrics.json'))).toBe(false);
    const r = await capture(() => trainCli(['--resume', cut]));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`resuming ${cut} after epoch 1 of 3`);
    expect(fs.readFileSync(path.join(cut, 'model.safetensors'))).toEqual(fs.readFileSync(path.join(whole, 'model.safetensors')));
    expect(read(cut, 'metrics.json')).toBe(read(whole, 'metrics.json'));
  });

  test('a checkpoint that does not fit the run is refused naming the field', async () => {
    const dir = path.join(tmp, 'bad');
    expect(await trainSession(toy, options(dir), quietIo(3))).toBe(130);
    const c = JSON.parse(read(dir, 'checkpoint.json'));
    c.rngs = { data: c.rngs.data };
    fs.writeFileSync(path.join(dir, 'checkpoint.json'), JSON.stringify(c));
    const r = await capture(() => trainCli(['--resume', dir]));
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe(
      `tapegrad train: --resume ${dir}: ${path.join(dir, 'checkpoint.json')}: field rngs do not match the run's model (missing init, shuffle)`,
    );
  });
});
