/**
 * @file Movement ops: reshape, transpose, flip, pad, slice, concat are primitives (each
 * backward is another movement op); flatten, stack, squeeze and unsqueeze are compositions.
 */
import type { Primitive } from '../autograd/primitive';
import { defineOp } from './names';
import { kernels } from '../kernels';
import { allocate, promoteTypes } from '../tensor/dtype';
import { checkPermutation, fmt, normalizeAxes, normalizeAxis, sizeOf, stridesOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { cast } from './operands';

// ---- reshape ---------------------------------------------------------------------------------

const reshapeP = defineOp<{ shape: number[] }>('reshape', {
  // Contiguous storage makes every reshape a view: the data is shared, not copied.
  forward: ([x], { shape }) => new Tensor(x.data, shape),
  backward: (gy, [x]) => [reshape(gy, x.shape)],
  describe: ({ shape }) => fmt(shape),
});

/** One entry may be -1: it takes whatever size is left. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const bad = (why: string) => new Error(`reshape: cannot reshape ${fmt(x.shape)} (size ${x.size}) into ${fmt(shape)}: ${why}`);
  let infer = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw bad('only one dimension can be -1');
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) throw bad(`invalid dimension ${d}`);
    else known *= d;
  });
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) throw bad('sizes do not match');
    out[infer] = x.size / known;
  }
  if (sizeOf(out) !== x.size) throw bad('sizes do not match');
  if (out.length === x.ndim && out.every((d, i) => d === x.shape[i])) return x;
  return reshapeP.apply([x], { shape: out });
}

// ---- transpose -------------------------------------------------------------------------------

const transposeP = defineOp<{ perm: number[] }>('transpose', {
  forward: ([x], { perm }) => {
    const shape = perm.map((p) => x.shape[p]);
    return new Tensor(kernels().transpose(x.data, x.shape, perm, allocate(x.dtype, x.size)), shape);
  },
  backward: (gy, _xs, _y, { perm }) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [transpose(gy, inverse)];
  },
  describe: ({ perm }) => `perm=[${perm.join(',')}]`,
});

/**
 * Permutes the axes: the default reverses them, an array is the permutation, and two numbers swap
 * those two axes (PyTorch's `transpose(x, d0, d1)`; SPEC §18).
 */
export function transpose(x: Tensor, perm?: readonly number[] | number, d1?: number): Tensor {
  let p: number[];
  if (typeof perm === 'number') {
    if (d1 === undefined)
      throw new Error(`transpose: two axes to swap, or one permutation array, are needed (got ${perm} for shape ${fmt(x.shape)})`);
    p = x.shape.map((_, i) => i);
    const a = normalizeAxis('transpose', perm, x.ndim, x.shape);
    const b = normalizeAxis('transpose', d1, x.ndim, x.shape);
    [p[a], p[b]] = [p[b], p[a]];
  } else {
    if (d1 !== undefined) throw new Error(`transpose: a permutation array takes no second argument (shape ${fmt(x.shape)})`);
    p = perm === undefined ? x.shape.map((_, i) => x.ndim - 1 - i) : checkPermutation('transpose', perm, x.shape);
  }
  if (p.every((q, i) => q === i)) return x;
  return transposeP.apply([x], { perm: p });
}

/** Permutes the axes: y.shape[i] = x.shape[perm[i]] (torch.permute; the array form of transpose). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = checkPermutation('permute', perm, x.shape);
  if (p.every((q, i) => q === i)) return x;
  return transposeP.apply([x], { perm: p });
}

/** Swaps the last two axes (matrix transpose of each batch item). */
export function transposeLast2(x: Tensor): Tensor {
  if (x.ndim < 2) throw new Error(`transposeLast2: needs at least 2 axes, got shape ${fmt(x.shape)}`);
  const perm = x.shape.map((_, i) => i);
  [perm[x.ndim - 2], perm[x.ndim - 1]] = [perm[x.ndim - 1], perm[x.ndim - 2]];
  return transpose(x, perm);
}

// ---- flatten, squeeze, unsqueeze -----------------------------------------------------------------

/** Merges the axes `startDim..endDim` (inclusive; negative count from the end) into one. */
export function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startDim, x.ndim, x.shape);
  const e = normalizeAxis('flatten', endDim, x.ndim, x.shape);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${fmt(x.shape)}`);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('unsqueeze', axis, x.ndim + 1, x.shape);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Removes the given size-1 axes (one or several), or every size-1 axis when `axis` is omitted. */
export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  // As PyTorch: an axis whose size is not 1 is left as it is (x.squeeze(0) of a [2,3] tensor is [2,3]).
  const axes = normalizeAxes('squeeze', axis, x.shape).filter((a) => x.shape[a] === 1);
  return reshape(
    x,
    x.shape.filter((_, d) => !axes.includes(d)),
  );
}

// ---- flip ------------------------------------------------------------------------------------

const flipP = defineOp<{ axes: number[] }>('flip', {
  forward: ([x], { axes }) => {
    const strides = stridesOf(x.shape);
    let offset = 0;
    for (const a of axes) {
      offset += (x.shape[a] - 1) * strides[a];
      strides[a] = -strides[a];
    }
    if (x.size === 0) offset = 0;
    return new Tensor(kernels().stridedCopy(x.data, offset, strides, x.shape, allocate(x.dtype, x.size)), x.shape);
  },
  backward: (gy, _xs, _y, { axes }) => [flip(gy, axes)],
  describe: ({ axes }) => `axes=[${axes.join(',')}]`,
});

/** Reverses the order of elements along `axes` (all axes by default). */
export function flip(x: Tensor, axes?: readonly number[]): Tensor {
  return flipP.apply([x], { axes: normalizeAxes('flip', axes, x.shape) });
}

// ---- pad -------------------------------------------------------------------------------------

export type PadMode = 'constant' | 'replicate' | 'symmetric' | 'circular' | 'reflect';
const PAD_MODES: readonly PadMode[] = ['constant', 'replicate', 'symmetric', 'circular', 'reflect'];

interface PadAttrs {
  /** For each axis, the input index each output index reads (-1: the fill value). */
  maps: Int32Array[];
  fill: number;
  mode: PadMode;
  widths: [number, number][];
}

/** Where output index j of a padded axis reads from, as MATLAB padarray / numpy.pad do it. */
function padIndex(mode: PadMode, i: number, n: number): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'replicate':
      return i < 0 ? 0 : n - 1;
    case 'circular':
      return ((i % n) + n) % n;
    case 'symmetric': {
      const j = ((i % (2 * n)) + 2 * n) % (2 * n);
      return j < n ? j : 2 * n - 1 - j;
    }
    case 'reflect':
      // PyTorch's reflect mirrors about the edge element without repeating it (pad() checks width < n).
      return i < 0 ? -i : 2 * (n - 1) - i;
  }
}

const padP: Primitive<PadAttrs> = defineOp<PadAttrs>('pad', {
  forward: ([x], { maps, fill }) => {
    const shape = maps.map((m) => m.length);
    return new Tensor(kernels().gatherAxes(x.data, x.shape, maps, fill, allocate(x.dtype, sizeOf(shape))), shape);
  },
  backward: (gy, [x], _y, attrs) => [padAdjointP.apply([gy], { ...attrs, inShape: x.shape })],
  describe: ({ mode, widths, fill }) =>
    `${mode}${mode === 'constant' && fill !== 0 ? `=${fill}` : ''} [${widths.map(([a, b]) => `${a},${b}`).join(' ')}]`,
});

/** The adjoint of pad: each padded position's gradient flows back to the element it copied. */
const padAdjointP: Primitive<PadAttrs & { inShape: readonly number[] }> = defineOp<PadAttrs & { inShape: readonly number[] }>(
  'padAdjoint',
  {
    forward: ([g], { maps, inShape }) =>
      new Tensor(kernels().scatterAddAxes(g.data, inShape, maps, allocate(g.dtype, sizeOf(inShape))), inShape),
    backward: (gg, _xs, _y, attrs) => [padP.apply([gg], { ...attrs, fill: 0 })],
    describe: ({ mode }) => mode,
  },
);

export interface PadOptions {
  mode?: PadMode;
  value?: number;
}

/**
 * Pads the leading axes. `padding` is either one number per axis (both sides, as MATLAB's
 * padarray) or one [before, after] pair per axis (as numpy.pad). Axes not listed are not padded.
 */
export function pad(
  x: Tensor,
  padding: readonly number[] | readonly (readonly [number, number])[],
  value: number | PadOptions = 0,
): Tensor {
  const opts: PadOptions = typeof value === 'number' ? { value } : value;
  const mode = opts.mode ?? 'constant';
  if (!PAD_MODES.includes(mode)) throw new Error(`pad: unknown mode '${String(mode)}' (use ${PAD_MODES.join(', ')})`);
  if (padding.length > x.ndim) {
    throw new Error(`pad: ${padding.length} padding entries for a tensor of shape ${fmt(x.shape)} with ${x.ndim} axes`);
  }
  const widths = x.shape.map((_, d): [number, number] => {
    if (d >= padding.length) return [0, 0];
    const p = padding[d];
    const pair: [number, number] = typeof p === 'number' ? [p, p] : [p[0], p[1]];
    if (!pair.every((w) => Number.isInteger(w) && w >= 0)) {
      throw new Error(`pad: padding must be non-negative integers, got ${JSON.stringify(p)} for axis ${d} of shape ${fmt(x.shape)}`);
    }
    return pair;
  });
  widths.forEach(([a, b], d) => {
    if (mode !== 'constant' && x.shape[d] === 0 && a + b > 0) {
      throw new Error(`pad: cannot pad the empty axis ${d} of shape ${fmt(x.shape)} in ${mode} mode`);
    }
    if (mode === 'reflect' && Math.max(a, b) >= x.shape[d]) {
      throw new Error(`pad: reflect padding [${a},${b}] of axis ${d} must be less than its size ${x.shape[d]} (shape ${fmt(x.shape)})`);
    }
  });
  if (widths.every(([a, b]) => a === 0 && b === 0)) return x;
  const maps = widths.map(([before, after], d) => {
    const n = x.shape[d];
    const m = new Int32Array(before + n + after);
    for (let j = 0; j < m.length; j++) m[j] = padIndex(mode, j - before, n);
    return m;
  });
  return padP.apply([x], { maps, fill: opts.value ?? 0, mode, widths });
}

// ---- slice -----------------------------------------------------------------------------------

const sliceP = defineOp<{ starts: number[]; ends: number[] }>('slice', {
  forward: ([x], { starts, ends }) => {
    const strides = stridesOf(x.shape);
    const shape = starts.map((s, d) => ends[d] - s);
    const offset = sizeOf(shape) === 0 ? 0 : starts.reduce((o, s, d) => o + s * strides[d], 0);
    return new Tensor(kernels().stridedCopy(x.data, offset, strides, shape, allocate(x.dtype, sizeOf(shape))), shape);
  },
  backward: (gy, [x], _y, { starts, ends }) => [
    pad(
      gy,
      starts.map((s, d): [number, number] => [s, x.shape[d] - ends[d]]),
    ),
  ],
  describe: ({ starts, ends }) => starts.map((s, d) => `${s}:${ends[d]}`).join(','),
});

/** Python slicing with step 1 on the leading axes: negative indices count from the end; ends are clamped. */
export function slice(x: Tensor, starts: readonly number[], ends: readonly number[]): Tensor {
  if (starts.length !== ends.length) {
    throw new Error(`slice: ${starts.length} starts but ${ends.length} ends for shape ${fmt(x.shape)}`);
  }
  if (starts.length > x.ndim) throw new Error(`slice: ${starts.length} ranges for a tensor of shape ${fmt(x.shape)}`);
  const clamp = (v: number, n: number) => {
    if (!Number.isInteger(v)) throw new Error(`slice: index ${v} is not an integer (shape ${fmt(x.shape)})`);
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, 0), n);
  };
  const s = x.shape.map((n, d) => (d < starts.length ? clamp(starts[d], n) : 0));
  const e = x.shape.map((n, d) => (d < ends.length ? Math.max(clamp(ends[d], n), s[d]) : n));
  if (s.every((v, d) => v === 0 && e[d] === x.shape[d])) return x;
  return sliceP.apply([x], { starts: s, ends: e });
}

// ---- concat and stack ----------------------------------------------------------------------------

const concatP = defineOp<{ axis: number }>('concat', {
  forward: (xs, { axis }) => {
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0);
    const out = allocate(xs[0].dtype, sizeOf(shape));
    return new Tensor(
      kernels().concat(
        xs.map((x) => x.data),
        xs.map((x) => x.shape),
        axis,
        out,
      ),
      shape,
    );
  },
  backward: (gy, xs, _y, { axis }) => {
    let at = 0;
    return xs.map((x) => {
      const starts = x.shape.map((_, d) => (d === axis ? at : 0));
      const ends = x.shape.map((n, d) => (d === axis ? at + n : n));
      at += x.shape[axis];
      return slice(gy, starts, ends);
    });
  },
  describe: ({ axis }) => `axis=${axis}`,
});

/** Joins tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0];
  if (first.ndim === 0) {
    throw new Error(`concat: zero-dimensional tensors cannot be concatenated (use stack): ${xs.map((t) => fmt(t.shape)).join(', ')}`);
  }
  const a = normalizeAxis('concat', axis, first.ndim, first.shape);
  for (const x of xs) {
    if (x.ndim !== first.ndim || x.shape.some((n, d) => d !== a && n !== first.shape[d])) {
      throw new Error(`concat: shapes ${xs.map((t) => fmt(t.shape)).join(', ')} differ outside axis ${axis}`);
    }
  }
  if (xs.length === 1) return first;
  const dtype = xs.reduce((t, x) => promoteTypes(t, x.dtype), first.dtype);
  return concatP.apply(
    xs.map((x) => cast(x, dtype)),
    { axis: a },
  );
}

/** Joins tensors of one shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  const first = xs[0];
  for (const x of xs) {
    if (x.ndim !== first.ndim || x.shape.some((n, d) => n !== first.shape[d])) {
      throw new Error(`stack: shapes ${xs.map((t) => fmt(t.shape)).join(', ')} are not all equal`);
    }
  }
  const a = normalizeAxis('stack', axis, first.ndim + 1, first.shape);
  const parts = xs.map((x) => unsqueeze(x, a));
  return parts.length === 1 ? parts[0] : concat(parts, a);
}

declare module '../tensor/tensor' {
  interface Tensor {
    reshape(shape: readonly number[]): Tensor;
    transpose(perm?: readonly number[] | number, d1?: number): Tensor;
    permute(perm: readonly number[]): Tensor;
    transposeLast2(): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    flip(axes?: readonly number[]): Tensor;
    pad(padding: readonly number[] | readonly (readonly [number, number])[], value?: number | PadOptions): Tensor;
    slice(starts: readonly number[], ends: readonly number[]): Tensor;
    squeeze(axis?: number | readonly number[]): Tensor;
    unsqueeze(axis: number): Tensor;
  }
}
