/**
 * @file The added shape ops of SPEC §14 — split, chunk, unbind, narrow, repeat, tile, movedim, roll,
 * unflatten, tril/triu, diagonal, outer — all compositions: of slice, concat, reshape, expand and
 * transpose, or of the flat-index gather/scatter pair (diagonal, tril/triu). None has a backward of
 * its own, so each is differentiable to any order through the primitives it is made of.
 * Integer positions and axes may be negative everywhere (SPEC §18).
 */
import { fmt, normalizeAxis, sizeOf, stridesOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { expand } from './broadcast';
import { mul } from './elementwise';
import { gatherFlat, scatterAddFlat } from './flat-index';
import { concat, reshape, slice, transpose } from './shape';

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** x restricted to [start, start + length) along `axis` (already normalised), through slice. */
function along(x: Tensor, axis: number, start: number, length: number): Tensor {
  const starts = x.shape.map((_, d) => (d === axis ? start : 0));
  const ends = x.shape.map((n, d) => (d === axis ? start + length : n));
  return slice(x, starts, ends);
}

// ---- narrow, split, chunk, unbind ----------------------------------------------------------------

/** The `length` elements of `axis` from `start` on (torch.narrow); `start` may be negative. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normalizeAxis('narrow', axis, x.ndim, x.shape);
  const n = x.shape[a];
  if (!isInt(start) || start < -n || start > n) {
    throw new Error(`narrow: start ${start} is out of range for axis ${axis} of size ${n} (shape ${fmt(x.shape)})`);
  }
  const s = start < 0 ? start + n : start;
  if (!isInt(length) || length < 0 || s + length > n) {
    throw new Error(`narrow: start ${start} + length ${length} exceeds axis ${axis} of size ${n} (shape ${fmt(x.shape)})`);
  }
  return along(x, a, s, length);
}

/**
 * Splits `axis` into pieces (torch.split): a number is the size of every piece (the last may be
 * smaller), an array the size of each piece (they must add up to the axis size).
 */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], axis = 0): Tensor[] {
  if (x.ndim === 0) throw new Error('split: cannot split a 0-d tensor (shape [])');
  const a = normalizeAxis('split', axis, x.ndim, x.shape);
  const n = x.shape[a];
  let sizes: number[];
  if (typeof sizeOrSizes === 'number') {
    if (!isInt(sizeOrSizes) || sizeOrSizes <= 0) {
      throw new Error(`split: size ${sizeOrSizes} must be a positive integer (shape ${fmt(x.shape)}, axis ${axis})`);
    }
    sizes = [];
    for (let at = 0; at < n; at += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, n - at));
    if (n === 0) sizes.push(0);
  } else {
    sizes = [...sizeOrSizes];
    const total = sizes.reduce((s, v) => s + v, 0);
    if (!sizes.every((v) => isInt(v) && v >= 0) || total !== n) {
      throw new Error(`split: sizes [${sizes.join(',')}] do not add up to axis ${axis} of size ${n} (shape ${fmt(x.shape)})`);
    }
  }
  let at = 0;
  return sizes.map((len) => {
    const piece = along(x, a, at, len);
    at += len;
    return piece;
  });
}

/** Splits `axis` into `n` pieces of ceil(size / n) (the last smaller, and fewer pieces when they run out: torch.chunk). */
export function chunk(x: Tensor, n: number, axis = 0): Tensor[] {
  if (!isInt(n) || n <= 0) throw new Error(`chunk: number of chunks ${n} must be a positive integer (shape ${fmt(x.shape)})`);
  if (x.ndim === 0) throw new Error('chunk: cannot chunk a 0-d tensor (shape [])');
  const a = normalizeAxis('chunk', axis, x.ndim, x.shape);
  const size = x.shape[a];
  if (size === 0) return Array.from({ length: n }, () => x);
  return split(x, Math.ceil(size / n), a);
}

/** The slices along `axis`, that axis removed (torch.unbind). */
export function unbind(x: Tensor, axis = 0): Tensor[] {
  if (x.ndim === 0) throw new Error('unbind: cannot unbind a 0-d tensor (shape [])');
  const a = normalizeAxis('unbind', axis, x.ndim, x.shape);
  const rest = x.shape.filter((_, d) => d !== a);
  return Array.from({ length: x.shape[a] }, (_, i) => reshape(along(x, a, i, 1), rest));
}

// ---- repeat, tile ----------------------------------------------------------------------------------

/**
 * Tiles x `reps[d]` times along each axis (torch.Tensor.repeat): reps may be longer than x's axes
 * (x gets leading size-1 axes), not shorter. Built as reshape → expand → reshape: x [a, b] with
 * reps [r, s] is viewed [1, a, 1, b], broadcast to [r, a, s, b] and merged to [r·a, s·b] (an axis
 * repeated once gets no new axis).
 */
export function repeat(x: Tensor, reps: readonly number[]): Tensor {
  if (!reps.every((r) => isInt(r) && r >= 0)) throw new Error(`repeat: repeats [${reps.join(',')}] must be non-negative integers`);
  if (reps.length < x.ndim) {
    throw new Error(`repeat: ${reps.length} repeats [${reps.join(',')}] for shape ${fmt(x.shape)}: need at least one per axis`);
  }
  const shape = [...new Array<number>(reps.length - x.ndim).fill(1), ...x.shape];
  // Axes repeated once need no new axis (so a batch axis stays first, for ONNX's dynamic batch).
  const interleaved = shape.flatMap((d, i) => (reps[i] === 1 ? [d] : [1, d]));
  const expanded = shape.flatMap((d, i) => (reps[i] === 1 ? [d] : [reps[i], d]));
  return reshape(
    expand(reshape(x, interleaved), expanded),
    shape.map((d, i) => d * reps[i]),
  );
}

/** torch.tile: as repeat, but reps shorter than x's axes are padded with leading 1s. */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  if (!reps.every((r) => isInt(r) && r >= 0)) throw new Error(`tile: repeats [${reps.join(',')}] must be non-negative integers`);
  return repeat(x, [...new Array<number>(Math.max(0, x.ndim - reps.length)).fill(1), ...reps]);
}

// ---- movedim, roll, unflatten ------------------------------------------------------------------------

/** Moves axes `source` to positions `destination` (numbers or arrays of one length); the others keep their order. */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const src = typeof source === 'number' ? [source] : [...source];
  const dst = typeof destination === 'number' ? [destination] : [...destination];
  if (src.length !== dst.length) {
    throw new Error(`movedim: source [${src.join(',')}] and destination [${dst.join(',')}] differ in length (shape ${fmt(x.shape)})`);
  }
  const s = src.map((a) => normalizeAxis('movedim', a, x.ndim, x.shape));
  const d = dst.map((a) => normalizeAxis('movedim', a, x.ndim, x.shape));
  if (new Set(s).size !== s.length || new Set(d).size !== d.length) {
    throw new Error(`movedim: repeated axis in source [${src.join(',')}] or destination [${dst.join(',')}] (shape ${fmt(x.shape)})`);
  }
  const perm = new Array<number>(x.ndim).fill(-1);
  s.forEach((a, i) => (perm[d[i]] = a));
  const rest = x.shape.map((_, i) => i).filter((i) => !s.includes(i));
  let k = 0;
  for (let i = 0; i < x.ndim; i++) if (perm[i] < 0) perm[i] = rest[k++];
  return transpose(x, perm);
}

/**
 * Rotates elements along `axes` by `shifts` (torch.roll): element i moves to i + shift, wrapping.
 * Without axes, x is rolled as if flattened. Each axis is the concatenation of its two slices.
 */
export function roll(x: Tensor, shifts: number | readonly number[], axes?: number | readonly number[]): Tensor {
  const sh = typeof shifts === 'number' ? [shifts] : [...shifts];
  if (!sh.every((v) => isInt(v))) throw new Error(`roll: shifts [${sh.join(',')}] must be integers (shape ${fmt(x.shape)})`);
  if (axes === undefined) {
    if (sh.length !== 1) throw new Error(`roll: ${sh.length} shifts need as many axes (shape ${fmt(x.shape)})`);
    return reshape(roll(reshape(x, [x.size]), sh, 0), x.shape);
  }
  const ax = typeof axes === 'number' ? [axes] : [...axes];
  if (ax.length !== sh.length) {
    throw new Error(`roll: shifts [${sh.join(',')}] and axes [${ax.join(',')}] differ in length (shape ${fmt(x.shape)})`);
  }
  let y = x;
  ax.forEach((axis, i) => {
    const a = normalizeAxis('roll', axis, x.ndim, x.shape);
    const n = x.shape[a];
    if (n === 0) return;
    const s = ((sh[i] % n) + n) % n;
    if (s === 0) return;
    y = concat([along(y, a, n - s, s), along(y, a, 0, n - s)], a);
  });
  return y;
}

/** Splits `axis` into `sizes` (one may be -1), the inverse of flatten (torch.unflatten). */
export function unflatten(x: Tensor, axis: number, sizes: readonly number[]): Tensor {
  const a = normalizeAxis('unflatten', axis, x.ndim, x.shape);
  const n = x.shape[a];
  const known = sizes.filter((s) => s !== -1);
  const infer = sizes.length - known.length;
  const product = sizeOf(known);
  const bad = () => new Error(`unflatten: sizes [${sizes.join(',')}] do not multiply to axis ${axis} of size ${n} (shape ${fmt(x.shape)})`);
  if (!known.every((s) => isInt(s) && s >= 0) || infer > 1 || sizes.length === 0) throw bad();
  if (infer === 0 ? product !== n : product === 0 || n % product !== 0) throw bad();
  const full = sizes.map((s) => (s === -1 ? n / product : s));
  return reshape(x, [...x.shape.slice(0, a), ...full, ...x.shape.slice(a + 1)]);
}

// ---- diagonal, tril, triu, outer -------------------------------------------------------------------

/**
 * The diagonal of each 2-D plane spanned by axis1 and axis2 (torch.diagonal): those two axes are
 * removed and one of the diagonal's length appended. offset > 0 is above the main diagonal.
 */
export function diagonal(x: Tensor, offset = 0, axis1 = 0, axis2 = 1): Tensor {
  if (!isInt(offset)) throw new Error(`diagonal: offset ${offset} must be an integer (shape ${fmt(x.shape)})`);
  if (x.ndim < 2) throw new Error(`diagonal: needs at least 2 axes, got shape ${fmt(x.shape)}`);
  const a1 = normalizeAxis('diagonal', axis1, x.ndim, x.shape);
  const a2 = normalizeAxis('diagonal', axis2, x.ndim, x.shape);
  if (a1 === a2) throw new Error(`diagonal: axis1 and axis2 are both ${a1} (shape ${fmt(x.shape)})`);
  const n1 = x.shape[a1];
  const n2 = x.shape[a2];
  const length = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  const rest = x.shape.map((_, d) => d).filter((d) => d !== a1 && d !== a2);
  const shape = [...rest.map((d) => x.shape[d]), length];
  const strides = stridesOf(x.shape);
  const start = length === 0 ? 0 : offset >= 0 ? offset * strides[a2] : -offset * strides[a1];
  const step = strides[a1] + strides[a2];
  const index = new Int32Array(sizeOf(shape));
  const outer = sizeOf(shape.slice(0, -1));
  for (let o = 0, k = 0; o < outer; o++) {
    // o as a position in the remaining axes, row-major.
    let base = start;
    let r = o;
    for (let j = rest.length - 1; j >= 0; j--) {
      const d = rest[j];
      base += (r % x.shape[d]) * strides[d];
      r = Math.floor(r / x.shape[d]);
    }
    for (let i = 0; i < length; i++) index[k++] = base + i * step;
  }
  return gatherFlat(x, index, shape);
}

/**
 * x with the elements outside a band of its last two axes set to zero: `keep(i, j)` says which stay.
 * A gather of the kept elements scattered back into zeros, so ±Inf and NaN outside the band become 0
 * (as in PyTorch), which a multiplication by a 0/1 mask would not do.
 */
function band(op: string, x: Tensor, keep: (i: number, j: number) => boolean): Tensor {
  if (x.ndim < 2) throw new Error(`${op}: needs at least 2 axes, got shape ${fmt(x.shape)}`);
  const rows = x.shape[x.ndim - 2];
  const cols = x.shape[x.ndim - 1];
  const plane: number[] = [];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (keep(i, j)) plane.push(i * cols + j);
  if (plane.length === rows * cols) return x;
  const planes = x.size / (rows * cols) || 0;
  const index = new Int32Array(planes * plane.length);
  for (let p = 0, k = 0; p < planes; p++) for (const q of plane) index[k++] = p * rows * cols + q;
  return scatterAddFlat(gatherFlat(x, index, [index.length]), index, x.shape);
}

/** The lower triangle of the last two axes: element (i, j) kept where j - i ≤ k (torch.tril). */
export function tril(x: Tensor, k = 0): Tensor {
  if (!isInt(k)) throw new Error(`tril: diagonal ${k} must be an integer (shape ${fmt(x.shape)})`);
  return band('tril', x, (i, j) => j - i <= k);
}

/** The upper triangle of the last two axes: element (i, j) kept where j - i ≥ k (torch.triu). */
export function triu(x: Tensor, k = 0): Tensor {
  if (!isInt(k)) throw new Error(`triu: diagonal ${k} must be an integer (shape ${fmt(x.shape)})`);
  return band('triu', x, (i, j) => j - i >= k);
}

/** The outer product of two vectors: y[i, j] = a[i]·b[j] (torch.outer). */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new Error(`outer: needs two 1-D tensors, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  return mul(reshape(a, [a.size, 1]), reshape(b, [1, b.size]));
}

declare module '../tensor/tensor' {
  interface Tensor {
    narrow(axis: number, start: number, length: number): Tensor;
    split(sizeOrSizes: number | readonly number[], axis?: number): Tensor[];
    chunk(n: number, axis?: number): Tensor[];
    unbind(axis?: number): Tensor[];
    repeat(reps: readonly number[]): Tensor;
    tile(reps: readonly number[]): Tensor;
    movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor;
    roll(shifts: number | readonly number[], axes?: number | readonly number[]): Tensor;
    unflatten(axis: number, sizes: readonly number[]): Tensor;
    diagonal(offset?: number, axis1?: number, axis2?: number): Tensor;
    tril(k?: number): Tensor;
    triu(k?: number): Tensor;
    outer(b: Tensor): Tensor;
  }
}
