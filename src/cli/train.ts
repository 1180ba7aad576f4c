/**
 * @file `tapegrad train`: a thin shell around the training session (src/train/session.ts). It parses
 * and validates every argument first (src/cli/train-args.ts), so a bad argument writes nothing; wires
 * Ctrl-C and the terminal; and maps what went wrong to an exit status. Every model — the classic
 * `mlp` and `cnn` as every other family — trains, resumes and writes its run directory there.
 */
import { backend, useKernels } from '../kernels';
import { legacyResume } from '../train/classic-run';
import { FAMILIES } from '../train/families';
import type { ResumeOptions } from '../train/options';
import { liveStreamFor } from '../train/progress';
import { RUN_FILES } from '../train/run';
import { CheckpointRefusedError, SessionSetupError, trainSession } from '../train/session';
import type { SessionCheckpoint } from '../train/session-checkpoint';
import { readSessionSpec, runFormat, SESSION_FILES } from '../train/session-spec';
import { FamilyTrainOptions, HELP, parseTrainArgs, UsageError } from './train-args';

/** File names inside --out (a run directory of run.json format 2). */
export const OUTPUT_FILES = {
  spec: RUN_FILES.spec,
  model: SESSION_FILES.weights,
  checkpoint: RUN_FILES.checkpoint,
  checkpointTensors: RUN_FILES.checkpointTensors,
  metrics: RUN_FILES.metrics,
  timings: RUN_FILES.timings,
  report: RUN_FILES.report,
} as const;

/** What to train: the options, and for a format-1 run being resumed its checkpoint (src/train/classic-run.ts). */
type Plan = { opts: FamilyTrainOptions; legacy?: SessionCheckpoint };

/** Parses the arguments; a number is the exit status when there is nothing to train (help, bad input). */
function plan(args: string[]): Plan | number {
  try {
    const parsed = parseTrainArgs(args);
    if (parsed === 'help') {
      console.log(HELP);
      return 0;
    }
    return 'resume' in parsed ? resumed(parsed) : { opts: parsed };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`tapegrad train: ${e.message}`);
    return 2;
  }
}

/** The options of the run being resumed, from its run.json (format 2), or its run.json and checkpoint (format 1). */
function resumed(r: ResumeOptions): Plan {
  try {
    if (runFormat(r.resume) === 2) {
      const { spec } = readSessionSpec(r.resume);
      return { opts: { ...spec.options, family: spec.family, out: r.resume, resumeFrom: r.resume, threads: r.threads } };
    }
    const { options, checkpoint } = legacyResume(r.resume);
    return { opts: { ...options, family: options.model, threads: r.threads }, legacy: checkpoint };
  } catch (e) {
    throw new UsageError(`--resume ${r.resume}: ${(e as Error).message}`);
  }
}

/** Note [no orphan] in bin/tapegrad.js: whether the process that started this one is gone (then nothing more is written). */
function exitIfOrphaned(): void {
  const parent = Number(process.env.TAPEGRAD_PARENT_PID);
  if (parent > 0 && process.ppid !== parent) process.exit(129);
}

/** The header's kernels line: what runs, on how many threads, and why WebAssembly does not if it does not. */
export function describeBackend(): string {
  const b = backend();
  if (b.kernels === 'js') return `TypeScript (WebAssembly off: ${b.reason})`;
  return `WebAssembly ${b.kernels === 'wasm-relaxed-simd' ? 'relaxed SIMD' : 'SIMD'}, ${b.threads} thread${b.threads === 1 ? '' : 's'}`;
}

export async function run(args: string[]): Promise<number> {
  const p = plan(args);
  if (typeof p === 'number') return p;
  const { family, threads, ...options } = p.opts;
  if (threads !== null) useKernels({ threads });
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.on('SIGINT', onSigint);
  try {
    return await trainSession(
      FAMILIES[family],
      options,
      {
        log: (line) => console.log(line),
        liveStream: liveStreamFor(process.stdout),
        shouldStop: () => stop,
        beforeWrite: exitIfOrphaned,
        kernels: describeBackend(),
      },
      p.legacy,
    );
  } catch (e) {
    if (e instanceof SessionSetupError) {
      // Families name themselves in their messages ('gan: …'); say it once.
      console.error(`tapegrad train: --model ${e.message.startsWith(`${family}: `) ? e.message : `${family}: ${e.message}`}`);
      return 2;
    }
    // A checkpoint that does not fit the run is the user's to fix, like a bad argument.
    if (e instanceof CheckpointRefusedError) {
      console.error(`tapegrad train: --resume ${options.resumeFrom}: ${e.message}`);
      return 2;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
