/** @file The bundled digits in the browser build: data/digits.csv.gz embedded in the module (57 KB). */
// The browser bundler (scripts/build-browser.js) loads .gz files as bytes.
import digits from '../../data/digits.csv.gz';

export function digitsSource(): { name: string; bytes: () => Uint8Array } {
  return { name: 'digits.csv.gz (embedded)', bytes: () => digits };
}
