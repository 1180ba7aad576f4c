/**
 * `tapegrad train --optimizer/--scheduler/--clip-grad-norm`: parsing and errors, the header line,
 * and, in-process, that a run interrupted after its first checkpoint and resumed ends with the same
 * metrics.json as the uninterrupted run, for the default cosine schedule and for AdamW under 1cycle
 * with clipping (the scheduler's and optimizer's state dicts travel in the checkpoint).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../src/cli/train';
import { parseTrainArgs } from '../src/cli/train-args';
import type { FamilyTrainOptions } from '../src/cli/train-args';
import { describeOptimizer, makeOptimizer, makeScheduler } from '../src/train/optimizers';
import * as tg from '../src';

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-train-optim-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function quiet<T>(fn: () => Promise<T>): Promise<{ value: T; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    return { value: await fn(), out, err };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('arguments', () => {
  const parse = (args: string[]) => parseTrainArgs([...args, '--out', path.join(tmp, 'p')]) as FamilyTrainOptions;

  test('defaults: SGD under the cosine schedule, no clipping', () => {
    const o = parse([]);
    expect([o.optimizer, o.scheduler ?? 'cosine', o.clipGradNorm ?? null, o.lr]).toEqual(['sgd', 'cosine', null, 0.1]);
    expect(describeOptimizer(o)).toBe('SGD, lr 0.1 (cosine decay, stepped every batch), momentum 0.9, weight decay 0.0005');
  });

  test.each([
    ['adamw', 3e-3, 'AdamW, lr 0.003 (1cycle, stepped every batch), betas (0.9, 0.999), weight decay 0.0005, gradients clipped to norm 2'],
    ['rmsprop', 1e-3, 'RMSprop, lr 0.001 (1cycle, stepped every batch), weight decay 0.0005, gradients clipped to norm 2'],
    ['adagrad', 3e-2, 'Adagrad, lr 0.03 (1cycle, stepped every batch), weight decay 0.0005, gradients clipped to norm 2'],
  ])('--optimizer %s with its default lr, --scheduler onecycle, --clip-grad-norm 2', (name, lr, text) => {
    const o = parse(['--optimizer', name, '--scheduler', 'onecycle', '--clip-grad-norm', '2']);
    expect([o.optimizer, o.lr, o.scheduler, o.clipGradNorm]).toEqual([name, lr, 'onecycle', 2]);
    expect(describeOptimizer(o)).toBe(text);
  });

  test('the schedules built for a run: their lr over its steps', () => {
    const o = parse(['--scheduler', 'step', '--lr', '1']);
    const params = [tg.zeros([1], { requiresGrad: true })];
    const opt = makeOptimizer(o, params);
    const s = makeScheduler(o, opt, 9)!;
    const lrs = [opt.lr];
    for (let i = 0; i < 9; i++) {
      s.step();
      lrs.push(opt.lr);
    }
    expect(lrs.map((v) => +v.toPrecision(12))).toEqual([1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001]);
    expect(makeScheduler(parse(['--scheduler', 'none']), opt, 9)).toBeNull();
    // The default: cosine from lr to 0 over the run, as the loop's old closed form.
    const cos = parse([]);
    const opt2 = makeOptimizer(cos, [tg.zeros([1], { requiresGrad: true })]);
    const s2 = makeScheduler(cos, opt2, 10)!;
    for (let t = 0; t <= 10; t++) {
      expect(opt2.lr).toBeCloseTo((0.1 * (1 + Math.cos((Math.PI * t) / 10))) / 2, 14);
      s2.step();
    }
  });

  test.each([
    [['--scheduler', 'linear'], /^unknown scheduler 'linear' \(choose cosine, step, onecycle or none\)$/],
    [['--clip-grad-norm', '0'], /^--clip-grad-norm must be a positive number, got '0'$/],
    [['--clip-grad-norm', 'big'], /^--clip-grad-norm must be a positive number, got 'big'$/],
    [['--optimizer', 'lion'], /^unknown optimizer 'lion' \(choose sgd, adam, adamw, rmsprop or adagrad\)$/],
  ])('%j is refused', (args, message) => {
    expect(() => parse(args)).toThrow(message);
  });
});

describe('checkpoints carry the optimizer and scheduler state', () => {
  /** Runs train in-process; with `interrupt`, sends the run's own SIGINT handler a signal once the first checkpoint exists. */
  async function train(args: string[], interrupt = false): Promise<number> {
    const before = new Set(process.listeners('SIGINT'));
    const out = args[args.indexOf('--out') + 1];
    let poll: NodeJS.Timeout | undefined;
    if (interrupt) {
      poll = setInterval(() => {
        if (!fs.existsSync(path.join(out, 'checkpoint.json'))) return;
        const handler = process.listeners('SIGINT').find((l) => !before.has(l));
        if (handler === undefined) return;
        clearInterval(poll);
        (handler as () => void)();
      }, 2);
    }
    try {
      return (await quiet(() => run(args))).value;
    } finally {
      clearInterval(poll);
    }
  }

  test.each([
    ['sgd, cosine', [] as string[]],
    ['adamw, onecycle, clipping', ['--optimizer', 'adamw', '--scheduler', 'onecycle', '--clip-grad-norm', '0.5']],
  ])(
    '%s: interrupted after the first epoch and resumed, the same metrics.json bit for bit',
    async (label, extra) => {
      const args = (out: string) => ['--epochs', '3', '--limit', '200', '--seed', '2', ...extra, '--out', out];
      const whole = path.join(tmp, `whole-${label}`);
      const cut = path.join(tmp, `cut-${label}`);
      expect(await train(args(whole))).toBe(0);
      expect(await train(args(cut), true)).toBe(130);
      const checkpoint = JSON.parse(fs.readFileSync(path.join(cut, 'checkpoint.json'), 'utf8'));
      expect(checkpoint.schedulers.model.last_epoch).toBeGreaterThan(0);
      expect(checkpoint.optimizers.model.param_groups[0].initial_lr).toBeDefined();
      expect(await train(['--resume', cut])).toBe(0);
      expect(fs.readFileSync(path.join(cut, 'metrics.json'), 'utf8')).toBe(fs.readFileSync(path.join(whole, 'metrics.json'), 'utf8'));
      const spec = JSON.parse(fs.readFileSync(path.join(whole, 'run.json'), 'utf8'));
      expect(spec.options.scheduler).toBe(extra.length ? 'onecycle' : 'cosine');
    },
    120_000,
  );
});
