/**
 * @file Reading a run directory's files as untrusted input (issue #31): paths confined to the run
 * directory, sizes bounded before a byte is read, and every field checked with an error that names
 * the file and the field — and never echoes the file's contents.
 *
 * Note [files stay inside their run]: a name a run directory gives (run.json's `weights`) is
 * resolved against the directory and refused unless it is relative, stays inside the directory
 * once symbolic links are followed, and is a regular file — so `../../etc/passwd` and `/dev/zero`
 * are refused from their names and their lstat alone, before anything is opened for reading.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** An existing regular file `name` inside `dir` (Note [files stay inside their run]); `what` says what it holds. */
export function runFile(dir: string, name: string, what: string): string {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new Error(`${dir} is not a tapegrad run directory: it has no ${name} (${what})`);
  return confine(dir, name, name);
}

/**
 * `name` resolved inside `dir`, or an Error naming `field` (Note [files stay inside their run]).
 * Checks the name, then the real path (symbolic links followed), then that it is a regular file;
 * a file that does not exist yet passes when `mustExist` is false (an unfinished run's weights).
 */
export function confine(dir: string, name: unknown, field: string, mustExist = true): string {
  const refuse = (why: string) => new Error(`${field} must name a file inside the run directory ${dir}: ${why}`);
  if (typeof name !== 'string' || name === '') throw refuse(`got ${name === '' ? 'an empty string' : describe(name)}`);
  if (name.includes('\0')) throw refuse('the name holds a NUL character');
  if (path.isAbsolute(name) || /^[a-zA-Z]:/.test(name)) throw refuse('it is an absolute path');
  const root = path.resolve(dir);
  const file = path.resolve(root, name);
  const inside = (p: string, r: string) => p.startsWith(r.endsWith(path.sep) ? r : r + path.sep);
  if (!inside(file, root)) throw refuse('the path leaves the directory');
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    if (!mustExist && !fs.existsSync(file) && !isLink(file)) return file;
    throw refuse('no such file');
  }
  if (!inside(real, fs.realpathSync(root))) throw refuse('a symbolic link leads out of the directory');
  if (!fs.statSync(real).isFile()) throw refuse('it is not a regular file');
  return file;
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The bytes of `file`, refused without reading when it is larger than `max` (or not a regular file). */
export function readBounded(file: string, max: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
    if (stat.size > max)
      throw new Error(`${file} is ${stat.size} bytes, more than the ${max} such a file can need; refused without reading it`);
    const out = Buffer.alloc(stat.size);
    let done = 0;
    while (done < out.length) {
      const n = fs.readSync(fd, out, done, out.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

/** A value's kind for an error message — never its text (a file's contents stay out of messages). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : `${v}`;
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  if (typeof v === 'object') return 'an object';
  return typeof v === 'undefined' ? 'nothing (missing)' : `a ${typeof v}`;
}

/** Checks the fields of one JSON file, throwing `FILE: field AT …` on the first that is wrong. */
export class FieldChecker {
  constructor(readonly file: string) {}

  describe = describe;

  fail(at: string, why: string): never {
    throw new Error(`${this.file}: ${at === '' ? 'the top level' : `field ${at}`} ${why}`);
  }

  /** Parses JSON; a syntax error says where, not what (the text is the file's). */
  json(bytes: Uint8Array): unknown {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    try {
      return JSON.parse(text);
    } catch (e) {
      const at = /position (\d+)/.exec((e as Error).message)?.[1];
      throw new Error(`${this.file} is not valid JSON${at !== undefined ? ` (at character ${at})` : ''}`);
    }
  }

  object(v: unknown, at: string): void {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(at, `must be an object, got ${describe(v)}`);
  }

  array(v: unknown, at: string, length?: number): void {
    if (!Array.isArray(v)) this.fail(at, `must be an array, got ${describe(v)}`);
    if (length !== undefined && v.length !== length) this.fail(at, `must have ${length} entries, got ${v.length}`);
  }

  number(v: unknown, at: string, o: { min?: number; max?: number; finite?: boolean; above?: number }): number {
    if (typeof v !== 'number') this.fail(at, `must be a number, got ${describe(v)}`);
    if (o.finite && !Number.isFinite(v)) this.fail(at, `must be finite, got ${v}`);
    if (o.min !== undefined && !(v >= o.min)) this.fail(at, `must be at least ${o.min}, got ${v}`);
    if (o.above !== undefined && !(v > o.above)) this.fail(at, `must be more than ${o.above}, got ${v}`);
    if (o.max !== undefined && !(v <= o.max)) this.fail(at, `must be at most ${o.max}, got ${v}`);
    return v;
  }

  integer(v: unknown, at: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(at, `must be an integer, got ${describe(v)}`);
    if (v < min || v > max) this.fail(at, min === max ? `must be ${min}, got ${v}` : `must be between ${min} and ${max}, got ${v}`);
    return v;
  }

  string(v: unknown, at: string, allowed?: readonly string[]): string {
    if (typeof v !== 'string') this.fail(at, `must be a string, got ${describe(v)}`);
    if (allowed !== undefined && !allowed.includes(v)) this.fail(at, `must be one of ${allowed.join(', ')}`);
    return v;
  }

  equal(obj: unknown, key: string, value: string | number): void {
    const v = (obj as Record<string, unknown>)[key];
    if (v !== value) this.fail(key, `must be ${JSON.stringify(value)}, got ${describe(v)}`);
  }

  /** A shape: an array of non-negative integers. */
  shape(v: unknown, at: string): number[] {
    this.array(v, at);
    (v as unknown[]).forEach((d, i) => this.integer(d, `${at}[${i}]`, 0, 2 ** 31 - 1));
    return v as number[];
  }

  /** A plain option value: a finite number, a boolean, a string, null, or an array of those. */
  plain(v: unknown, at: string): void {
    if (Array.isArray(v)) return v.forEach((x, i) => this.plain(x, `${at}[${i}]`));
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
    this.number(v, at, { finite: true });
  }

  /** A generator's position as Rng.state() gives it (seedrandom's ARC4 state and the spare normal). */
  rngState(v: unknown, at: string): void {
    this.object(v, at);
    const s = v as { prng?: unknown; spareNormal?: unknown };
    this.object(s.prng, `${at}.prng`);
    const p = s.prng as { i?: unknown; j?: unknown; S?: unknown };
    this.integer(p.i, `${at}.prng.i`, 0, 255);
    this.integer(p.j, `${at}.prng.j`, 0, 255);
    this.array(p.S, `${at}.prng.S`, 256);
    (p.S as unknown[]).forEach((b, i) => this.integer(b, `${at}.prng.S[${i}]`, 0, 255));
    if (s.spareNormal !== null && s.spareNormal !== undefined) this.number(s.spareNormal, `${at}.spareNormal`, { finite: true });
  }

  /** A run's hyper-parameters (run.json's `options`, either format): the fields every run has. */
  hyper(v: unknown, at: string, optimizers: readonly string[]): void {
    this.object(v, at);
    const o = v as Record<string, unknown>;
    this.integer(o.epochs, `${at}.epochs`, 1, 1_000_000);
    this.integer(o.batchSize, `${at}.batchSize`, 1, 1_000_000);
    this.number(o.lr, `${at}.lr`, { above: 0, finite: true });
    this.number(o.momentum, `${at}.momentum`, { min: 0, max: 1 });
    this.number(o.weightDecay, `${at}.weightDecay`, { min: 0, finite: true });
    this.integer(o.cropPadding, `${at}.cropPadding`, 0, 64);
    this.number(o.flipP, `${at}.flipP`, { min: 0, max: 1 });
    this.string(o.optimizer, `${at}.optimizer`, optimizers);
  }

  /** Plain values nested in objects and arrays at any depth (a family's saved facts, a scheduler's state). */
  tree(v: unknown, at: string): void {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return Object.entries(v).forEach(([k, x]) => this.tree(x, `${at}.${k}`));
    if (Array.isArray(v)) return v.forEach((x, i) => this.tree(x, `${at}[${i}]`));
    this.plain(v, at);
  }
}
