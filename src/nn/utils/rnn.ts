/**
 * @file Variable-length batches for the recurrent layers, as torch.nn.utils.rnn: `PackedSequence` and
 * packSequence / padSequence / packPaddedSequence / padPackedSequence. Every function is a composition
 * of slices, pads and concats, so gradients flow from the packed data back to the padded input.
 *
 * Note [packed layout]: the packed data holds the sequences' rows time step by time step: at step t the
 * `batchSizes[t]` sequences longer than t, in decreasing order of length (the order `sortedIndices`
 * gives: sorted position b holds original sequence sortedIndices[b]; `unsortedIndices` is its inverse).
 * A recurrent layer then runs step t on the first batchSizes[t] rows of its state, which are exactly the
 * sequences still going. When the batch was already sorted (enforceSorted), both index tensors are null.
 */
import { tensor } from '../../tensor/create';
import { fmt } from '../../tensor/shape';
import { Tensor } from '../../tensor/tensor';
import { concat, pad, reshape, slice, stack, transpose } from '../../ops/shape';
import { selectAlong } from './select';

/** An index tensor (int32) of plain positions. */
function indexTensor(values: readonly number[]): Tensor {
  return tensor([...values]); // TEMP until int32 lands
}

/** Lengths as plain numbers, from an array, an Int32Array or an integer tensor. */
function lengthsOf(op: string, lengths: readonly number[] | Int32Array | Tensor): number[] {
  const values = lengths instanceof Tensor ? Array.from(lengths.data, Number) : Array.from(lengths);
  if (lengths instanceof Tensor && lengths.ndim !== 1) throw new Error(`${op}: lengths must be 1-d, got shape ${fmt(lengths.shape)}`);
  for (const n of values) {
    if (!Number.isInteger(n)) throw new Error(`${op}: lengths must be integers, got ${n}`);
  }
  return values;
}

/** A batch of sequences of different lengths, packed (Note [packed layout]); as torch's PackedSequence. */
export class PackedSequence {
  constructor(
    /** [N, *features]: every sequence's rows, time step by time step. */
    readonly data: Tensor,
    /** int32 [T]: how many sequences are still running at each step. */
    readonly batchSizes: Tensor,
    /** int32 [B] or null: sorted position b holds original sequence sortedIndices[b]. */
    readonly sortedIndices: Tensor | null = null,
    /** int32 [B] or null: the inverse permutation. */
    readonly unsortedIndices: Tensor | null = null,
  ) {
    if (data.ndim < 1) throw new Error(`PackedSequence: data must have at least one axis, got ${fmt(data.shape)}`);
    const total = Array.from(batchSizes.data, Number).reduce((a, b) => a + b, 0);
    if (total !== data.shape[0]) {
      throw new Error(`PackedSequence: batchSizes add up to ${total} rows but data has ${data.shape[0]} (data ${fmt(data.shape)})`);
    }
    if (sortedIndices !== null && unsortedIndices === null) {
      const inverse = new Array<number>(sortedIndices.size);
      Array.from(sortedIndices.data, Number).forEach((v, i) => (inverse[v] = i));
      this.unsortedIndices = indexTensor(inverse);
    }
  }
}

export interface PackOptions {
  /** True: the sequences must already be in decreasing order of length (no indices are kept). */
  enforceSorted?: boolean;
}

export interface PackPaddedOptions extends PackOptions {
  /** x is [B, T, *] rather than [T, B, *]. */
  batchFirst?: boolean;
}

/**
 * Packs a padded batch x [T, B, *] ([B, T, *] with batchFirst) whose sequence b has `lengths[b]` steps.
 * enforceSorted (default true, as PyTorch) requires lengths in decreasing order; otherwise they are
 * sorted (stably) and the permutation kept in the result.
 */
export function packPaddedSequence(
  x: Tensor,
  lengths: readonly number[] | Int32Array | Tensor,
  opts: PackPaddedOptions = {},
): PackedSequence {
  const op = 'packPaddedSequence';
  const batchFirst = opts.batchFirst ?? false;
  const enforceSorted = opts.enforceSorted ?? true;
  if (x.ndim < 2) throw new Error(`${op}: input must have at least 2 axes [T, B, *], got ${fmt(x.shape)}`);
  const len = lengthsOf(op, lengths);
  const [T, B] = batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  if (len.length !== B) throw new Error(`${op}: ${len.length} lengths for a batch of ${B} (input ${fmt(x.shape)})`);
  for (const n of len) {
    if (n < 1 || n > T) throw new Error(`${op}: length ${n} is outside [1, ${T}] (input ${fmt(x.shape)})`);
  }
  let order: number[] | null = null;
  if (enforceSorted) {
    for (let b = 1; b < B; b++) {
      if (len[b] > len[b - 1]) {
        throw new Error(`${op}: lengths [${len.join(',')}] are not in decreasing order (pass enforceSorted: false to sort them)`);
      }
    }
  } else {
    order = len.map((_, b) => b).sort((a, b) => len[b] - len[a] || a - b);
  }
  const sortedLengths = order ? order.map((b) => len[b]) : len;
  const timeMajor = batchFirst ? swapFirstTwo(x) : x;
  const sorted = order ? selectAlong(timeMajor, 1, order) : timeMajor;
  const batchSizes: number[] = [];
  for (let t = 0; t < sortedLengths[0]; t++) batchSizes.push(sortedLengths.filter((n) => n > t).length);
  const features = x.shape.slice(2);
  const parts = batchSizes.map((b, t) => reshape(slice(sorted, [t, 0], [t + 1, b]), [b, ...features]));
  const data = parts.length === 1 ? parts[0] : concat(parts, 0);
  return order ? new PackedSequence(data, indexTensor(batchSizes), indexTensor(order)) : new PackedSequence(data, indexTensor(batchSizes));
}

export interface PadOptions {
  /** Give [B, T, *] rather than [T, B, *]. */
  batchFirst?: boolean;
  /** The value of the padded positions; default 0. */
  paddingValue?: number;
}

/** Stacks sequences [L_i, *] into one [T, B, *] ([B, T, *] with batchFirst), padding each to the longest. */
export function padSequence(seqs: readonly Tensor[], opts: PadOptions = {}): Tensor {
  const op = 'padSequence';
  if (seqs.length === 0) throw new Error(`${op}: needs at least one sequence`);
  const trailing = seqs[0].shape.slice(1);
  for (const s of seqs) {
    if (s.ndim < 1 || s.ndim !== seqs[0].ndim || s.shape.slice(1).some((n, d) => n !== trailing[d])) {
      throw new Error(`${op}: sequences must share their trailing shape, got ${seqs.map((t) => fmt(t.shape)).join(', ')}`);
    }
  }
  const T = Math.max(...seqs.map((s) => s.shape[0]));
  const value = opts.paddingValue ?? 0;
  const padded = seqs.map((s) => pad(s, [[0, T - s.shape[0]]], value));
  return stack(padded, opts.batchFirst ? 0 : 1);
}

/**
 * Packs a list of sequences [L_i, *] (any order of lengths unless enforceSorted, which defaults to false
 * here as SPEC §15 says): packPaddedSequence(padSequence(seqs), lengths).
 */
export function packSequence(seqs: readonly Tensor[], opts: PackOptions = {}): PackedSequence {
  if (seqs.length === 0) throw new Error('packSequence: needs at least one sequence');
  for (const s of seqs) if (s.ndim < 1) throw new Error(`packSequence: sequences must have a time axis, got ${fmt(s.shape)}`);
  return packPaddedSequence(
    padSequence(seqs),
    seqs.map((s) => s.shape[0]),
    { enforceSorted: opts.enforceSorted ?? false },
  );
}

export interface PadPackedOptions extends PadOptions {
  /** Pad to this many steps (at least the longest sequence); default the longest. */
  totalLength?: number;
}

/**
 * Unpacks to a padded batch [T, B, *] ([B, T, *] with batchFirst) in the original order, with the
 * lengths (int32 [B]); the inverse of packPaddedSequence.
 */
export function padPackedSequence(packed: PackedSequence, opts: PadPackedOptions = {}): [Tensor, Tensor] {
  const op = 'padPackedSequence';
  if (!(packed instanceof PackedSequence)) throw new Error(`${op}: expected a PackedSequence`);
  const batchSizes = Array.from(packed.batchSizes.data, Number);
  const T = batchSizes.length;
  const B = batchSizes[0];
  const total = opts.totalLength ?? T;
  if (!Number.isInteger(total) || total < T) {
    throw new Error(
      `${op}: totalLength ${opts.totalLength} is less than the longest sequence's ${T} steps (data ${fmt(packed.data.shape)})`,
    );
  }
  const value = opts.paddingValue ?? 0;
  const { data } = packed;
  let at = 0;
  const steps = batchSizes.map((b) => {
    const rows = slice(data, [at], [at + b]);
    at += b;
    return pad(rows, [[0, B - b]], value);
  });
  let padded = stack(steps, 0);
  if (total > T) padded = pad(padded, [[0, total - T]], value);
  const sortedLengths = Array.from({ length: B }, (_, b) => batchSizes.filter((n) => n > b).length);
  let lengths = sortedLengths;
  if (packed.unsortedIndices !== null) {
    const unsorted = Array.from(packed.unsortedIndices.data, Number);
    padded = selectAlong(padded, 1, unsorted);
    lengths = unsorted.map((i) => sortedLengths[i]);
  }
  return [opts.batchFirst ? swapFirstTwo(padded) : padded, indexTensor(lengths)];
}

function swapFirstTwo(x: Tensor): Tensor {
  const perm = x.shape.map((_, d) => d);
  [perm[0], perm[1]] = [1, 0];
  return transpose(x, perm);
}
