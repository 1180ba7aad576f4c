/**
 * @file The text task's data (`--dataset text [--text FILE]`): the text the package ships
 * (data/tapegrad-tutorial.txt, written from the project's own docs by scripts/write-text.js) or a
 * user's UTF-8 file; its vocabulary (the characters it uses, sorted by code point); the split (the
 * last 10% of the text is the validation text); random training windows; and the unigram entropy
 * of the validation text, the loss of a model that knows only how often each character occurs.
 *
 * Note [characters are code points]: a character here is a Unicode code point (what `Array.from`
 * and `for…of` give), not a UTF-16 unit, so '→' or '深' is one token and a surrogate pair is never
 * split into two halves that are not text.
 */
import { fileExists, joinPath, packageDataDir, readBytes } from '../platform/files';
import type { Rng } from '../random/rng';

/** The text the package ships, written by scripts/write-text.js. */
export const BUNDLED_TEXT = 'tapegrad-tutorial.txt';

/** A text file larger than this is refused: the whole text is held in memory as int32 ids. */
export const MAX_TEXT_BYTES = 50 * 1024 * 1024;

/** The fraction of the text, at its end, held out for validation. */
export const VALIDATION_FRACTION = 0.1;

export function bundledTextPath(): string {
  return joinPath(packageDataDir(), BUNDLED_TEXT);
}

/**
 * Reads a text file as UTF-8, refusing what is not a usable text: a missing or empty file, one
 * over 50 MB, bytes that are not UTF-8, or binary content (NUL bytes or other control characters).
 */
export function readTextFile(file: string): string {
  if (!fileExists(file)) throw new Error(`--text: no such file: ${file}`);
  let bytes: Uint8Array;
  try {
    bytes = readBytes(file);
  } catch (e) {
    throw new Error(`--text: cannot read ${file}: ${(e as Error).message}`);
  }
  if (bytes.length === 0) throw new Error(`--text: ${file} is empty`);
  if (bytes.length > MAX_TEXT_BYTES) {
    throw new Error(`--text: ${file} is ${(bytes.length / 1048576).toFixed(1)} MB; the limit is ${MAX_TEXT_BYTES / 1048576} MB`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`--text: ${file} is not UTF-8 text`);
  }
  // Binary: NUL or C0 controls other than tab, newline, carriage return and form feed.
  const control = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw new Error(`--text: ${file} looks binary (control byte 0x${code} at character ${control.index}), expected plain text`);
  }
  if (text.startsWith('\ufeff')) text = text.slice(1);
  if (Array.from(text).length < 2) throw new Error(`--text: ${file} has fewer than 2 characters`);
  return text;
}

/** The characters of `text` (Note [characters are code points]), each once, sorted by code point. */
export function buildVocabulary(text: string): string[] {
  return [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/** `text` as ids into `vocab`; characters not in it throw, named (`what` says whose they are). */
export function encodeText(text: string, vocab: readonly string[], what = 'text'): Int32Array {
  const index = new Map(vocab.map((c, i) => [c, i]));
  const chars = Array.from(text);
  const ids = new Int32Array(chars.length);
  const missing = new Set<string>();
  chars.forEach((c, i) => {
    const id = index.get(c);
    if (id === undefined) missing.add(c);
    else ids[i] = id;
  });
  if (missing.size > 0) {
    const list = [...missing].map((c) => JSON.stringify(c)).join(', ');
    throw new Error(`${what}: ${missing.size === 1 ? 'character' : 'characters'} ${list} not in the model's vocabulary of ${vocab.length}`);
  }
  return ids;
}

export function decodeText(ids: ArrayLike<number>, vocab: readonly string[]): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) s += vocab[ids[i]];
  return s;
}

/** The split: the first 90% of the ids train, the last 10% (at least 2 characters) validate. */
export function splitText(ids: Int32Array): { train: Int32Array; val: Int32Array } {
  const nVal = Math.max(2, Math.round(ids.length * VALIDATION_FRACTION));
  if (ids.length - nVal < 2) throw new Error(`text: ${ids.length} characters are too few to split into training and validation text`);
  return { train: ids.subarray(0, ids.length - nVal), val: ids.subarray(ids.length - nVal) };
}

/**
 * The unigram entropy of `ids` in nats, −Σ p log p over the characters' frequencies in `ids`
 * themselves: the cross-entropy per character of a model that predicts every character with its
 * frequency in this text, ignoring what came before.
 */
export function unigramEntropy(ids: ArrayLike<number>, vocabSize: number): number {
  const counts = new Float64Array(vocabSize);
  for (let i = 0; i < ids.length; i++) counts[ids[i]]++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / ids.length) * Math.log(c / ids.length);
  return h;
}

/**
 * `count` windows of `seqLen` characters starting at uniformly random positions of `ids`, as
 * inputs x [count·seqLen] and targets y (x shifted by one character), row-major [count, seqLen].
 */
export function randomWindows(ids: Int32Array, count: number, seqLen: number, rng: Rng): { x: Int32Array; y: Int32Array } {
  const starts = ids.length - seqLen;
  if (starts < 1) throw new Error(`text: ${ids.length} training characters are too few for windows of ${seqLen} (+1 for the targets)`);
  const x = new Int32Array(count * seqLen);
  const y = new Int32Array(count * seqLen);
  for (let b = 0; b < count; b++) {
    const s = rng.int(starts);
    x.set(ids.subarray(s, s + seqLen), b * seqLen);
    y.set(ids.subarray(s + 1, s + seqLen + 1), b * seqLen);
  }
  return { x, y };
}

/**
 * `ids` cut into consecutive windows of up to `seqLen` inputs (each with its next-character
 * targets), for evaluation: every character after the first is predicted exactly once. The last
 * window may be shorter; it is returned separately so the full ones can run as one batch.
 */
export function evaluationWindows(
  ids: Int32Array,
  seqLen: number,
): { full: { x: Int32Array; y: Int32Array; count: number }; rest: { x: Int32Array; y: Int32Array } | null } {
  const n = ids.length - 1;
  const count = Math.floor(n / seqLen);
  const full = { x: ids.slice(0, count * seqLen), y: ids.slice(1, count * seqLen + 1), count };
  const left = n - count * seqLen;
  const rest = left > 0 ? { x: ids.slice(count * seqLen, n), y: ids.slice(count * seqLen + 1, n + 1) } : null;
  return { full, rest };
}

/** The text task's data, ready to train on. */
export interface TextData {
  /** The file the text came from. */
  source: string;
  vocab: string[];
  train: Int32Array;
  val: Int32Array;
  /** unigramEntropy of the validation text, in nats. */
  unigramLoss: number;
}

/**
 * Loads the text (`file`, or the bundled one when null) and encodes it with `vocab` (a run being
 * rebuilt keeps its vocabulary) or with the text's own.
 */
export function loadTextData(file: string | null, vocab: string[] | null = null): TextData {
  const source = file ?? bundledTextPath();
  const text = readTextFile(source);
  const v = vocab ?? buildVocabulary(text);
  const ids = encodeText(text, v, `text ${source}`);
  const { train, val } = splitText(ids);
  return { source, vocab: v, train, val, unigramLoss: unigramEntropy(val, v.length) };
}
