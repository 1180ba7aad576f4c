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

/** Writes `text` to `file` atomically (writeBytesAtomic), creating its folder. */
export function writeText(file: string, text: string): void {
  writeBytesAtomic(file, Buffer.from(text, 'utf8'));
}

/** Writes `bytes` to `file` atomically (writeBytesAtomic), creating its folder. */
export function writeBytes(file: string, bytes: Uint8Array): void {
  writeBytesAtomic(file, bytes);
}

/**
 * Writes `text` to `file` atomically (a temporary file in the same folder, fsynced, renamed into
 * place): a crash or a full disk leaves the old file or none, never half a graph. The folder must
 * exist (its absence is the caller's error to report).
 */
export async function writeTextAsync(file: string, text: string): Promise<void> {
  const final = path.resolve(file);
  const temp = path.join(path.dirname(final), `.${path.basename(final)}.${process.pid}.${(++temporaries).toString(36)}.tmp`);
  const handle = await fs.promises.open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
    await handle.close();
    await fs.promises.rename(temp, final);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(temp, { force: true });
    throw e;
  }
}

/** The folder of the package's shipped data (data/digits.csv.gz): two levels up from src/platform, three from dist/cjs/platform. */
export function packageDataDir(): string {
  const candidates = [path.join(__dirname, '..', '..', 'data'), path.join(__dirname, '..', '..', '..', 'data')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'digits.csv.gz'))) ?? candidates[0];
}

export const joinPath = path.join;

// ---- Reading a file piece by piece, and writing one atomically (tg.load, tg.save) ---------------

/** An open file: its size, and reads of exact byte ranges (a short read throws). */
export interface OpenFile {
  size: number;
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export function openForReading(file: string): OpenFile {
  const fd = fs.openSync(file, 'r');
  let size: number;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return {
    size,
    read(offset: number, length: number): Uint8Array {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, out, done, length - done, offset + done);
        if (n === 0) throw new Error(`${file} ended at byte ${offset + done}, before the ${length} bytes expected from ${offset}`);
        done += n;
      }
      return out;
    },
    close: () => fs.closeSync(fd),
  };
}

/**
 * The one call that puts bytes on disk for writeBytesAtomic. Tests replace `write` to simulate a
 * full disk (a write that fails with ENOSPC part way) without a small filesystem of their own.
 */
export const fileIo = {
  write: (fd: number, bytes: Uint8Array, offset: number, length: number): number => fs.writeSync(fd, bytes, offset, length),
};

/** Temporary names differ by process and by call (no randomness: all of it comes from seeded generators). */
let temporaries = 0;

/**
 * Writes `bytes` to `file` atomically (creating its folder): a temporary file in the same folder,
 * written whole and fsynced, then renamed over `file`. A crash or a full disk leaves the previous
 * file as it was, and the temporary file is removed when the write fails.
 */
export function writeBytesAtomic(file: string, bytes: Uint8Array): void {
  const final = path.resolve(file);
  const dir = path.dirname(final);
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(final)}.${process.pid}.${(++temporaries).toString(36)}.tmp`);
  let fd: number | null = null;
  try {
    fd = fs.openSync(temp, 'wx', 0o644);
    let done = 0;
    while (done < bytes.length) done += fileIo.write(fd, bytes, done, bytes.length - done);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(temp, final);
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw e;
  }
  // The rename itself is durable once the folder is flushed (not every platform can open a folder).
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Windows cannot fsync a folder; the rename has still happened.
  }
}

/** The entries of a folder, sorted by name (code point order, as Python's sorted()), with whether each is a folder. */
export function listDir(dir: string): { name: string; isDir: boolean }[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .map((e) => ({ name: e.name, isDir: e.isDirectory() || (e.isSymbolicLink() && fs.statSync(path.join(dir, e.name)).isDirectory()) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
