/**
 * @file One engine's half of a benchmark run, in its own process so engines do not share a heap,
 * a JIT or thread pools (run.ts starts one per workload too). Prints its medians as one marked JSON line.
 */
import type { Engine } from './engine';
import { FULL, median, QUICK, timeSteps } from './measure';
import { WORKLOADS, WorkloadId } from './workloads';

export const RESULT_MARK = '@@bench ';

export interface EngineResult {
  /** The engine's column heading. */
  label: string;
  /** Seconds per step (median) per workload; absent: the engine cannot run it. */
  seconds: Partial<Record<WorkloadId, number>>;
  runs: Partial<Record<WorkloadId, number>>;
  errors: Partial<Record<WorkloadId, string>>;
  about?: string;
}

export const ENGINES: Record<string, () => Engine> = {
  tapegrad: () => require('./engines/tapegrad').engine,
  'tfjs-cpu': () => require('./engines/tfjs').cpu,
  'tfjs-wasm': () => require('./engines/tfjs').wasm,
  convnetjs: () => require('./engines/convnetjs').engine,
};

async function main(): Promise<void> {
  const [key, ids, mode, dataDir = ''] = process.argv.slice(2);
  const engine = ENGINES[key]();
  const opts = mode === 'quick' ? QUICK : FULL;
  const result: EngineResult = { label: engine.label, seconds: {}, runs: {}, errors: {} };
  if (engine.init) await engine.init();
  for (const w of WORKLOADS) {
    if (!ids.split(',').includes(w.id)) continue;
    try {
      if (w.id === 'E1') {
        if (engine.epoch === undefined || dataDir === '') continue;
        result.seconds.E1 = engine.epoch(dataDir);
        result.runs.E1 = 1;
        continue;
      }
      if (w.id === 'E2') {
        if (engine.textEpoch === undefined) continue;
        result.seconds.E2 = engine.textEpoch();
        result.runs.E2 = 1;
        continue;
      }
      const step = engine.setup(w.id);
      if (step === null) continue;
      const times = timeSteps(step, opts);
      result.seconds[w.id] = median(times);
      result.runs[w.id] = times.length;
      process.stderr.write(`  ${engine.label} ${w.id}: ${(median(times) * 1000).toFixed(2)} ms/step over ${times.length} runs\n`);
    } catch (e) {
      // A peer that lacks a kernel (e.g. a gradient) cannot do the workload: '—' in the table.
      result.errors[w.id] = e instanceof Error ? e.message.split('\n')[0] : String(e);
      process.stderr.write(`  ${engine.label} ${w.id}: cannot run (${result.errors[w.id]})\n`);
    }
  }
  if (engine.describe) result.about = engine.describe();
  process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${e instanceof Error ? e.stack : e}\n`);
      process.exit(1);
    },
  );
}
