/**
 * @file Writing a finished run to its output directory. Nothing is written until training is done,
 * and each file goes to a temporary name first and is renamed into place, so an interrupted or
 * failed run never leaves a half-written metrics.json or report.html behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface OutputFile {
  name: string;
  content: string;
}

/** Creates `dir` if needed and writes every file; returns the paths written. */
export function writeRun(dir: string, files: OutputFile[]): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const staged = files.map((f) => ({ temp: path.join(dir, `.${f.name}.${process.pid}.tmp`), final: path.join(dir, f.name) }));
  try {
    files.forEach((f, i) => fs.writeFileSync(staged[i].temp, f.content));
  } catch (e) {
    for (const { temp } of staged) fs.rmSync(temp, { force: true });
    throw e;
  }
  // Renames last, once every file is on disk.
  for (const { temp, final } of staged) fs.renameSync(temp, final);
  return staged.map((s) => s.final);
}
