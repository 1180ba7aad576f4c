/**
 * @file `npm run bench [-- --quick] [--only W1,E1] [--engines tapegrad,pytorch] [--rounds N] [--data-dir DIR]`:
 * runs the workloads for tapegrad, PyTorch (TAPEGRAD_BENCH_PYTHON: one interpreter or several, comma-separated; else
 * Debian's python3-torch) and the installed
 * JavaScript peers, workload by workload and engine by engine, each pair in a child process, and prints one Markdown table of
 * medians with tapegrad/peer ratios. tapegrad and PyTorch, the pair the targets compare, run in
 * alternating rounds (Note [rounds]). E1 needs Fashion-MNIST: --data-dir, TAPEGRAD_FASHION_DIR, or
 * ../shared/data/fashion-mnist beside the repository.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { threadCount } from '../src/kernels/wasm/parallel';
import { ENGINES, EngineResult, RESULT_MARK } from './child';
import { median } from './measure';
import { Workload, WorkloadId, WORKLOADS } from './workloads';

/**
 * The peers that are not JavaScript: run by their own interpreter, same workloads, same result line.
 * TAPEGRAD_BENCH_PYTHON may name several interpreters, comma-separated (PyTorch 2.x in a venv and
 * Debian's 1.13, say): each is a peer of its own, `pytorch` the first, `pytorch-2` the second, …,
 * all measured in the same alternating rounds, so their ratios come from one run.
 */
const PYTORCH = 'pytorch';
const isTorch = (key: string) => key === PYTORCH || /^pytorch-\d+$/.test(key);
const ALL_ENGINES = ['tapegrad', PYTORCH, ...Object.keys(ENGINES).filter((e) => e !== 'tapegrad')];
const ROOT = path.join(__dirname, '..');

interface Args {
  quick: boolean;
  only: string[];
  engines: string[];
  dataDir: string | null;
  /** Alternating rounds of tapegrad and PyTorch per workload (Note [rounds]). */
  rounds: number;
}

function defaultDataDir(): string | null {
  const given = process.env.TAPEGRAD_FASHION_DIR;
  if (given) return given;
  const beside = path.join(ROOT, '..', 'shared', 'data', 'fashion-mnist');
  return fs.existsSync(beside) ? beside : null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: WORKLOADS.map((w) => w.id), engines: ALL_ENGINES, dataDir: defaultDataDir(), rounds: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`bench: ${a} needs a value`);
      return v.split(',');
    };
    if (a === '--quick') args.quick = true;
    else if (a.startsWith('--only')) args.only = value().map((s) => s.toUpperCase());
    else if (a.startsWith('--engines')) args.engines = value();
    else if (a.startsWith('--data-dir')) args.dataDir = value().join(',');
    else if (a.startsWith('--rounds')) {
      const v = value().join(',');
      args.rounds = Number(v);
      if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new Error(`bench: --rounds needs a whole number ≥ 1, got ${v}`);
    } else
      throw new Error(
        `bench: unknown argument ${a} (use --quick, --only W1,E1, --engines ${ALL_ENGINES.join(',')}, --rounds N, --data-dir DIR)`,
      );
  }
  if (args.rounds === 0) args.rounds = args.quick ? 1 : 3;
  for (const e of args.engines)
    if (!ALL_ENGINES.includes(e)) throw new Error(`bench: unknown engine ${e} (known: ${ALL_ENGINES.join(', ')})`);
  const torchPeers = torchPythons().map((_, i) => (i === 0 ? PYTORCH : `${PYTORCH}-${i + 1}`));
  args.engines = args.engines.flatMap((e) => (e === PYTORCH ? torchPeers : [e]));
  return args;
}

/** The PyTorch peers' interpreters: those TAPEGRAD_BENCH_PYTHON lists, else Debian's (python3-torch), else the one on PATH. */
function torchPythons(): string[] {
  const listed = (process.env.TAPEGRAD_BENCH_PYTHON ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (listed.length > 0) return listed;
  return [['/usr/bin/python3', 'python3'].find(importsTorch) ?? '/usr/bin/python3'];
}

/** Whether `python` imports torch; asked once per interpreter (importing torch takes a second or two). */
const probed = new Map<string, boolean>();
function importsTorch(python: string): boolean {
  let ok = probed.get(python);
  if (ok === undefined) probed.set(python, (ok = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0));
  return ok;
}

/**
 * Note [peers as users run them]: PyTorch's speed on a small machine swings with its thread settings
 * (on 2 cores its LeNet step ran 3× faster on 1 thread than on 2), and a user picks the faster. So
 * PyTorch runs every workload twice per round — on 1 thread and on tapegrad's thread count, every
 * pool pinned (OMP, MKL, OpenBLAS, torch's intra- and inter-op) — and the faster of the two medians
 * is the reference the ratios use; the table shows both. A result that is implausible for its
 * hardware is flagged rather than silently used (`implausible` below).
 */
function threadVariants(key: string): { run: string; threads: number }[] {
  const n = threadCount(process.env.TAPEGRAD_THREADS);
  if (!isTorch(key)) return [{ run: key, threads: n }];
  return n === 1 ? [{ run: `${key}@1`, threads: 1 }] : [1, n].map((t) => ({ run: `${key}@${t}`, threads: t }));
}

function engineCommand(key: string, args: Args, workload: string, threads: number): [string, string[]] | string {
  const common = [workload, args.quick ? 'quick' : 'full'];
  if (!isTorch(key)) {
    return [
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'child.ts'), key, ...common, args.dataDir ?? ''],
    ];
  }
  const python = torchPythons()[key === PYTORCH ? 0 : Number(key.slice(PYTORCH.length + 1)) - 1];
  if (!importsTorch(python)) {
    return `skipped: ${python} does not import torch (apt-get install python3-torch, or name a Python with torch in TAPEGRAD_BENCH_PYTHON)`;
  }
  return [python, [path.join(__dirname, 'engines', 'pytorch.py'), ...common, String(threads), args.dataDir ?? '']];
}

/**
 * One engine, one workload per process: the JIT feedback, heap and thread pools one workload leaves
 * behind would otherwise slow the next (tapegrad's W7 measured 8.1 ms after W1–W6 in one process,
 * 5.6 ms alone), and a user's training script runs one model, not seven. The result, or why not.
 */
function runOne(key: string, args: Args, id: string, threads: number): EngineResult | { skipped: string } | { failed: string } {
  const command = engineCommand(key, args, id, threads);
  if (typeof command === 'string') return { skipped: command };
  const t = String(threads);
  const child = spawnSync(command[0], command[1], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t },
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (child.status !== 0 || line === undefined) return { failed: `${key} ${id} failed (exit ${child.status})` };
  return JSON.parse(line.slice(RESULT_MARK.length)) as EngineResult;
}

/**
 * Workload by workload, every engine in turn: on a shared machine whose speed drifts over minutes,
 * the engines compared in a row are measured minutes apart at most, not a quarter of an hour.
 *
 * Note [rounds]: this machine's speed moves by 20–40% within a minute, so one run of each engine can
 * land one in a fast spell and the other in a slow one and swing a ratio by a third. tapegrad and
 * PyTorch therefore run `rounds` times each, alternating (tapegrad, PyTorch, PyTorch, tapegrad, …,
 * so neither always goes first), and each reports the median of its rounds' medians: a spell that
 * slows one round of one engine no longer decides the row. The JavaScript peers, which have no
 * targets and take most of the run's time, run once.
 */
function runAll(args: Args): Record<string, EngineResult | null> {
  const results: Record<string, EngineResult | null> = {};
  const rounds: Record<string, Partial<Record<string, number[]>>> = {};
  const unavailable = new Set<string>();
  const paired = (key: string) => key === 'tapegrad' || key.includes('@');
  for (const id of args.only) {
    for (let round = 0; round < args.rounds; round++) {
      const order = round % 2 === 0 ? args.engines : [...args.engines].reverse();
      for (const { run: key, threads } of order.flatMap(threadVariants)) {
        if (unavailable.has(key) || (round > 0 && !paired(key))) continue;
        const r = runOne(key.split('@')[0], args, id, threads);
        if ('skipped' in r) {
          // The engine is not there (no Python with torch): no point asking for the next workload,
          // nor with another thread count, so every variant of it is marked and this is said once.
          process.stderr.write(`  ${r.skipped}\n`);
          for (const v of threadVariants(key.split('@')[0])) unavailable.add(v.run);
          continue;
        }
        if ('failed' in r) {
          process.stderr.write(`  ${r.failed}\n`);
          continue;
        }
        const label = key.includes('@') ? `${r.label} ${threads} thr` : r.label;
        const merged = (results[key] ??= { label, seconds: {}, runs: {}, errors: {} });
        const seen = (rounds[key] ??= {});
        for (const [w, sec] of Object.entries(r.seconds)) (seen[w] ??= []).push(sec);
        for (const [w, n] of Object.entries(r.runs)) merged.runs[w as WorkloadId] = (merged.runs[w as WorkloadId] ?? 0) + n;
        Object.assign(merged.errors, r.errors);
        merged.about = r.about ?? merged.about;
      }
    }
    for (const [key, seen] of Object.entries(rounds)) {
      const times = seen[id];
      if (times === undefined) continue;
      results[key]!.seconds[id as WorkloadId] = median(times);
      if (times.length > 1 && Math.max(...times) > 2 * Math.min(...times)) {
        (flags[id] ??= []).push(
          `${results[key]!.label}'s rounds differ by more than 2× (${times.map((t) => (t * 1000).toFixed(1)).join(', ')} ms)`,
        );
      }
      if (times.length > 1)
        process.stderr.write(`  ${results[key]!.label} ${id} rounds: ${times.map((t) => `${(t * 1000).toFixed(2)} ms`).join(', ')}\n`);
    }
  }
  // Each PyTorch peer's reference: per workload, the faster of its thread configurations.
  for (const peer of args.engines.filter(isTorch)) {
    const variants = Object.keys(results).filter((k) => k.startsWith(`${peer}@`));
    if (variants.length === 0) continue;
    const name = results[variants[0]]!.label.replace(/ \d+ thr$/, '');
    const best: EngineResult = { label: `${name} (faster)`, seconds: {}, runs: {}, errors: {}, about: results[variants[0]]!.about };
    for (const w of WORKLOADS) {
      const times = variants.map((k) => results[k]!.seconds[w.id]).filter((t): t is number => t !== undefined);
      if (times.length > 0) best.seconds[w.id] = Math.min(...times);
      const [one, many] = variants.map((k) => results[k]!.seconds[w.id]);
      // A pool that makes a library ten times slower than its own single thread is misconfigured, not slow.
      if (one !== undefined && many !== undefined && many > 10 * one) {
        (flags[w.id] ??= []).push(`${name} on ${variants[1].split('@')[1]} threads is below a tenth of its 1-thread speed`);
      }
    }
    results[peer] = best;
  }
  for (const key of args.engines) results[key] ??= null;
  return results;
}

/** Per workload, why a peer's number should not be trusted (Note [peers as users run them]). */
const flags: Partial<Record<string, string[]>> = {};

function rate(w: Workload, seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  return w.unit === 'GFLOP/s' ? w.work / seconds / 1e9 : w.work / seconds;
}

function num(v: number | undefined): string {
  if (v === undefined) return '—';
  if (v >= 1000) return Math.round(v).toLocaleString('en-US');
  return v >= 10 ? v.toFixed(1) : v.toPrecision(2);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined) return '—';
  return `${a / b >= 10 ? Math.round(a / b) : (a / b).toFixed(2)}×`;
}

function target(w: Workload): string {
  const parts = [w.target > 0 ? `≥ ${num(w.target)}` : '', w.vsPytorch ? `≥ ${w.vsPytorch.toFixed(1)}× PyTorch` : ''];
  return parts.filter(Boolean).join(', ');
}

function table(args: Args, results: Record<string, EngineResult | null>): string {
  const shown = args.engines.flatMap((e) => (isTorch(e) ? Object.keys(results).filter((k) => k.startsWith(`${e}@`)) : [e]));
  const columns = shown.filter((e) => e !== 'tapegrad');
  const peers = args.engines.filter((e) => e !== 'tapegrad');
  // Engines report their labels from their own processes; the runner never loads them itself.
  const label = (key: string) => results[key]?.label ?? key;
  const head = ['workload', 'unit', 'tapegrad', ...columns.map(label), ...peers.map((p) => `tapegrad / ${label(p)}`), 'target', 'flags'];
  const rows = [head, head.map(() => '---')];
  for (const w of WORKLOADS) {
    if (!args.only.includes(w.id)) continue;
    const mine = rate(w, results.tapegrad?.seconds[w.id]);
    const shownRates = columns.map((p) => rate(w, results[p]?.seconds[w.id]));
    const theirs = peers.map((p) => rate(w, results[p]?.seconds[w.id]));
    const flagged = (flags[w.id] ?? []).join('; ') || '';
    rows.push([`${w.id} ${w.title}`, w.unit, num(mine), ...shownRates.map(num), ...theirs.map((t) => ratio(mine, t)), target(w), flagged]);
  }
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const results = runAll(args);
  console.log(
    `\nMedians (${args.quick ? 'quick' : 'full'} mode) of forward + backward steps, each engine and workload in its own process;` +
      ` tapegrad and PyTorch: the median of ${args.rounds} alternating round(s); PyTorch on 1 thread and on tapegrad's` +
      ` ${threadCount(process.env.TAPEGRAD_THREADS)}, every pool pinned, the faster taken as the reference (Note [peers as users run them]);` +
      ` E1 is one epoch${args.dataDir ? ` of ${args.dataDir}` : ' (not run: no Fashion-MNIST directory; --data-dir DIR)'}.\n`,
  );
  console.log(table(args, results));
  const about = args.engines.map((e) => results[e]?.about && `${results[e]!.label}: ${results[e]!.about}`).filter(Boolean);
  if (about.length > 0) console.log(`\n${about.join('\n')}`);
}

main();
