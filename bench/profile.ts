/**
 * @file `npm run profile -- W8 [--steps N] [--top N]` or `npm run profile -- FILE.cpuprofile [--top N]`: where a
 * workload's time goes, as a table of shares — the kernels (WebAssembly, TypeScript), copying
 * operands into and out of WebAssembly memory, tensor storage and allocation, garbage collection,
 * graph bookkeeping (autograd and op dispatch), the layers and optimisers, and the rest.
 *
 * A workload id profiles that workload's tapegrad step (bench/engines/tapegrad.ts) in this process
 * with V8's sampling profiler, after warm-up steps, so the table is the steady state. A
 * `.cpuprofile` file (from `node --cpu-prof bin/tapegrad.js train …`, how E1 is profiled: its
 * epoch is the CLI end to end) is read and tabled the same way.
 *
 * Note [profile categories]: a sample is charged to the function on top of the stack (self
 * time), classified by the file it comes from (src/… or dist/…, either works) and, for V8's
 * pseudo-frames, by name: `(garbage collector)` is GC, `(program)` is V8's own work outside
 * JavaScript (compilation, the runtime's allocation of typed arrays, which V8 charges there) and
 * `(idle)` is waiting — on this engine mostly the main thread parked while worker threads finish
 * their share of a kernel. Worker threads are not sampled: their kernel time shows as the main
 * thread's wait; a worker's own profile (`--cpu-prof` writes one per thread) shows its kernels
 * and, as its worker-eval frames, the time it waits for or claims work.
 */
import * as fs from 'fs';
import { Session } from 'inspector/promises';
import type { WorkloadId } from './workloads';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** The categories in the order the table prints them; the first rule that matches a frame wins. */
const CATEGORIES: { name: string; test: (url: string, fn: string) => boolean }[] = [
  { name: 'WebAssembly kernels', test: (url) => url.startsWith('wasm://') },
  { name: 'copies into/out of WebAssembly memory', test: (url) => /kernels\/wasm\/(operands|runtime)\./.test(url) },
  { name: 'other WebAssembly glue (dispatch, threads)', test: (url) => /kernels\/wasm\//.test(url) },
  { name: 'TypeScript kernels', test: (url) => /kernels\/(js\/|index\.)/.test(url) },
  { name: 'tensor storage and allocation', test: (url) => /\/tensor\//.test(url) },
  { name: 'garbage collection', test: (_url, fn) => fn === '(garbage collector)' },
  { name: 'graph bookkeeping (autograd, op dispatch)', test: (url) => /\/(autograd|ops)\//.test(url) },
  { name: 'layers, losses, optimisers', test: (url) => /\/(nn|optim|func)\//.test(url) },
  { name: 'data loading and the training loop', test: (url) => /\/(data|train|cli)\//.test(url) },
  { name: 'V8 outside JavaScript (compiler, runtime allocation)', test: (_url, fn) => fn === '(program)' },
  { name: 'idle (waiting for worker threads)', test: (_url, fn) => fn === '(idle)' || fn === '(atomics wait)' },
  { name: 'a worker thread waiting for or claiming work', test: (url) => url === '[worker eval]' },
  { name: 'libraries in node_modules (fflate; TypeScript itself under ts-node)', test: (url) => url.includes('/node_modules/') },
  { name: 'Node (loading modules, reading files)', test: (url, fn) => url.startsWith('node:') || /^read|^Script$|^compile/.test(fn) },
  { name: 'Node and the rest', test: () => true },
];

/** Milliseconds of self time per category. */
export function categorize(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>(CATEGORIES.map((c) => [c.name, 0]));
  const charge = (node: ProfileNode, ms: number) => {
    const { url, functionName } = node.callFrame;
    const c = CATEGORIES.find((k) => k.test(url, functionName))!;
    out.set(c.name, out.get(c.name)! + ms);
  };
  if (profile.samples && profile.timeDeltas) {
    for (let i = 0; i < profile.samples.length; i++) charge(byId.get(profile.samples[i])!, (profile.timeDeltas[i] ?? 0) / 1000);
  } else {
    // No sample list: hit counts times the mean interval.
    const hits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
    const each = hits === 0 ? 0 : (profile.endTime - profile.startTime) / 1000 / hits;
    for (const n of profile.nodes) if (n.hitCount) charge(n, n.hitCount * each);
  }
  return out;
}

/** The functions with the most self time: name, file and milliseconds. */
export function hottest(profile: CpuProfile, n: number): string {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const ms = new Map<string, number>();
  const add = (node: ProfileNode, t: number) => {
    const { url, functionName } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|dist\/cjs|bench)\//, '$1/')}`.trim();
    ms.set(key, (ms.get(key) ?? 0) + t);
  };
  if (profile.samples && profile.timeDeltas) {
    for (let i = 0; i < profile.samples.length; i++) add(byId.get(profile.samples[i])!, (profile.timeDeltas[i] ?? 0) / 1000);
  }
  return [...ms]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `  ${v.toFixed(0).padStart(6)} ms  ${k}`)
    .join('\n');
}

export function table(title: string, ms: Map<string, number>): string {
  const total = [...ms.values()].reduce((a, b) => a + b, 0);
  const rows = [...ms].filter(([, v]) => v > 0).map(([k, v]) => `| ${k} | ${v.toFixed(0)} | ${((100 * v) / total).toFixed(1)}% |`);
  return [`${title} (${total.toFixed(0)} ms sampled)`, '', '| where | ms | share |', '| --- | ---: | ---: |', ...rows].join('\n');
}

async function profileWorkload(id: WorkloadId, steps: number): Promise<CpuProfile> {
  const { engine } = require('./engines/tapegrad') as typeof import('./engines/tapegrad');
  const step = engine.setup(id);
  if (step === null) throw new Error(`profile: ${id} is not a step workload (profile E1 with node --cpu-prof on the CLI)`);
  for (let i = 0; i < 5; i++) step();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  for (let i = 0; i < steps; i++) step();
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  session.disconnect();
  return profile;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const target = args[0];
  const stepsAt = args.indexOf('--steps');
  const steps = stepsAt >= 0 ? Number(args[stepsAt + 1]) : 20;
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 0;
  if (target === undefined || !(Number.isInteger(steps) && steps > 0)) {
    throw new Error('usage: npm run profile -- W1..W10 [--steps N] [--top N] | FILE.cpuprofile [--top N]');
  }
  const fromFile = target.endsWith('.cpuprofile');
  const profile: CpuProfile = fromFile ? JSON.parse(fs.readFileSync(target, 'utf8')) : await profileWorkload(target as WorkloadId, steps);
  console.log(table(fromFile ? target : `${target}, ${steps} steps after 5 of warm-up`, categorize(profile)));
  if (top > 0) console.log(`\nthe ${top} functions with the most self time:\n${hottest(profile, top)}`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
