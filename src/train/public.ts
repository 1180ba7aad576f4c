/**
 * @file tg.train: using a saved `tapegrad train` run from code (SPEC §9). The run directory's format
 * is documented in src/train/run.ts and README; the CLI's own training loop stays an application.
 */
export { loadRun } from './classic-run';
export { RUN_FILES } from './run';
export type { LoadedRun, RunSpec } from './run';
