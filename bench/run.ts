/**
 * @file `npm run bench [-- --quick] [--only W1,W3] [--engines tapegrad,tfjs-cpu]`: runs W1–W6 for
 * tapegrad and the installed JavaScript peers, one engine at a time, each in a child process, and
 * prints one Markdown table of medians with tapegrad/peer ratios.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { ENGINES, EngineResult, RESULT_MARK } from './child';
import { Workload, WORKLOADS } from './workloads';

interface Args {
  quick: boolean;
  only: string[];
  engines: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: WORKLOADS.map((w) => w.id), engines: Object.keys(ENGINES) };
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
    else throw new Error(`bench: unknown argument ${a} (use --quick, --only W1,W3, --engines ${Object.keys(ENGINES).join(',')})`);
  }
  for (const e of args.engines) if (!(e in ENGINES)) throw new Error(`bench: unknown engine ${e}`);
  return args;
}

function runEngine(key: string, args: Args): EngineResult | null {
  process.stderr.write(`${key}:\n`);
  const child = spawnSync(process.execPath,
    ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'child.ts'), key, args.only.join(','), args.quick ? 'quick' : 'full'],
    { cwd: path.join(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = child.stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (child.status !== 0 || line === undefined) {
    process.stderr.write(`  ${key} failed (exit ${child.status})\n`);
    return null;
  }
  return JSON.parse(line.slice(RESULT_MARK.length)) as EngineResult;
}

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
  return `${a / b >= 10 ? Math.round(a / b) : (a / b).toFixed(1)}×`;
}

function table(args: Args, results: Record<string, EngineResult | null>): string {
  const peers = args.engines.filter((e) => e !== 'tapegrad');
  // Engines report their labels from their own processes; the runner never loads them itself.
  const label = (key: string) => results[key]?.label ?? key;
  const head = ['workload', 'unit', 'tapegrad', ...peers.map(label), ...peers.map((p) => `tapegrad / ${label(p)}`), 'target'];
  const rows = [head, head.map(() => '---')];
  for (const w of WORKLOADS) {
    if (!args.only.includes(w.id)) continue;
    const mine = rate(w, results.tapegrad?.seconds[w.id]);
    const theirs = peers.map((p) => rate(w, results[p]?.seconds[w.id]));
    rows.push([`${w.id} ${w.title}`, w.unit, num(mine), ...theirs.map(num), ...theirs.map((t) => ratio(mine, t)),
      w.target > 0 ? `≥ ${num(w.target)}` : '']);
  }
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const results: Record<string, EngineResult | null> = {};
  for (const key of args.engines) results[key] = runEngine(key, args);
  console.log(`\nMedians (${args.quick ? 'quick' : 'full'} mode) of forward + backward steps, each engine in its own process.\n`);
  console.log(table(args, results));
  const about = args.engines.map((e) => results[e]?.about && `${results[e]!.label}: ${results[e]!.about}`).filter(Boolean);
  if (about.length > 0) console.log(`\n${about.join('\n')}`);
}

main();
