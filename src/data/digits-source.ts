/** @file Where the bundled digits come from in Node: data/digits.csv.gz in the package. The browser build embeds them (digits-source.browser.ts). */
import { joinPath, packageDataDir, readBytes } from '../platform/files';

export function digitsSource(): { name: string; bytes: () => Uint8Array } {
  const file = joinPath(packageDataDir(), 'digits.csv.gz');
  return { name: file, bytes: () => readBytes(file) };
}
