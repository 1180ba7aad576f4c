/**
 * @file Writing a finished run to its output directory. Nothing is written until training is done,
 * and each file goes to a temporary name in the same directory, is fsynced and renamed into place,
 * so an interrupted run or a full disk never leaves a half-written metrics.json or report.html, nor
 * a temporary file, behind.
 */
import * as path from 'node:path';
import { writeBytesAtomic } from '../platform/files';

export interface OutputFile {
  name: string;
  content: string;
}

/** Creates `dir` if needed and writes every file, each atomically (a temporary name, fsync, rename); returns the paths written. */
export function writeRun(dir: string, files: OutputFile[]): string[] {
  return files.map((f) => {
    const final = path.join(dir, f.name);
    writeBytesAtomic(final, Buffer.from(f.content, 'utf8'));
    return final;
  });
}
