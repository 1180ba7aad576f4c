/** @file tg.train in the browser build: run directories are folders on disk, which a page does not have. */
export const RUN_FILES = {
  spec: 'run.json',
  model: 'model.json',
  checkpoint: 'checkpoint.json',
  checkpointTensors: 'checkpoint.safetensors',
  metrics: 'metrics.json',
  timings: 'timings.json',
  report: 'report.html',
} as const;

export function loadRun(dir: string): never {
  throw new Error(
    `loadRun: ${dir}: run directories need a file system, which the browser does not have; ` +
      "load model.json with tg.nn.stateDictFromJson and apply run.json's preprocessing yourself",
  );
}

export type { LoadedRun, RunSpec } from './run';
