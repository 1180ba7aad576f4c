/**
 * @file Files, for the few library functions that take a path (nn.save/load, data.loadIdx,
 * viz.writeGraph, the bundled digits). Node's fs here; the browser build swaps in files.browser.ts,
 * whose functions throw, so those functions say what to use instead of failing on a missing `fs`.
 */
import * as fs from 'fs';
import * as path from 'path';

export function readBytes(file: string): Uint8Array {
  return fs.readFileSync(file);
}

export function readText(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}

/** Writes `text` to `file`, creating its folder. */
export function writeText(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

/** Writes `bytes` to `file`, creating its folder. */
export function writeBytes(file: string, bytes: Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, bytes);
}

export async function writeTextAsync(file: string, text: string): Promise<void> {
  await fs.promises.writeFile(file, text);
}

/** The folder of the package's shipped data (data/digits.csv.gz): two levels up from src/platform, three from dist/cjs/platform. */
export function packageDataDir(): string {
  const candidates = [path.join(__dirname, '..', '..', 'data'), path.join(__dirname, '..', '..', '..', 'data')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'digits.csv.gz'))) ?? candidates[0];
}

export const joinPath = path.join;
