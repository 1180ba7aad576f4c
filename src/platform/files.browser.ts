/**
 * @file The browser's stand-in for files.ts (swapped in by the browser build): there are no paths
 * in a page, so each function throws an error that points at the bytes- or text-based API.
 */
function noFiles(what: string): never {
  throw new Error(
    `${what}: there is no file system in the browser; use the byte- and text-based APIs ` +
      '(tg.data.parseIdx(bytes, bytes), tg.saveBytes / loadBytes, tg.nn.stateDictToJson / stateDictFromJson, tg.viz.toDot / toSvg)',
  );
}

export function readBytes(file: string): Uint8Array {
  return noFiles(`reading ${file}`);
}

export function readText(file: string): string {
  return noFiles(`reading ${file}`);
}

export function fileExists(_file: string): boolean {
  return false;
}

export function writeText(file: string, _text: string): void {
  noFiles(`writing ${file}`);
}

export function writeBytes(file: string, _bytes: Uint8Array): void {
  noFiles(`writing ${file}`);
}

export async function writeTextAsync(file: string, _text: string): Promise<void> {
  noFiles(`writing ${file}`);
}

export function packageDataDir(): string {
  return noFiles('the package data folder');
}

export const joinPath = (...parts: string[]): string => parts.join('/');

export interface OpenFile {
  size: number;
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export function openForReading(file: string): OpenFile {
  return noFiles(`reading ${file}`);
}

export function writeBytesAtomic(file: string, _bytes: Uint8Array): void {
  noFiles(`writing ${file}`);
}

export function listDir(dir: string): { name: string; isDir: boolean }[] {
  return noFiles(`listing ${dir}`);
}
