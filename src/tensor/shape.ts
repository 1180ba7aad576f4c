/** @file Shapes, strides, axes and NumPy broadcasting — the arithmetic every op shares. */

export type Shape = readonly number[];

/** Shapes in error messages are written like `[2,3]`. */
export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmt(shape)}`);
  }
}

/** NumPy broadcasting: align trailing axes; sizes must match or be 1. Null when they do not. */
export function tryBroadcastShapes(a: Shape, b: Shape): number[] | null {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const out = tryBroadcastShapes(a, b);
  if (out === null) throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together`);
  return out;
}

/** A negative axis counts from the end, as in NumPy. */
export function normalizeAxis(op: string, axis: number, ndim: number, shape?: Shape): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    const where = shape ? ` for shape ${fmt(shape)}` : ` for a ${ndim}-d tensor`;
    throw new Error(`${op}: axis ${axis} is out of range${where}`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Sorted, de-duplicated axes; `undefined` means all of them. */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined, shape: Shape): number[] {
  const ndim = shape.length;
  if (axis === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  const out = list.map((a) => normalizeAxis(op, a, ndim, shape));
  const sorted = [...out].sort((p, q) => p - q);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw new Error(`${op}: axis ${sorted[i]} repeated in [${list.join(',')}] for shape ${fmt(shape)}`);
  }
  return sorted;
}

/** How x of `shape` reads with its axes permuted by `perm`: the permuted shape, and x's strides for it (a transpose as a strided copy). */
export function permutedView(shape: Shape, perm: readonly number[]): { strides: number[]; shape: number[] } {
  const strides = stridesOf(shape);
  return { strides: perm.map((p) => strides[p]), shape: perm.map((p) => shape[p]) };
}

/** The shape left after reducing `axes` (kept as size 1 with keepDims). */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepDims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

export function checkPermutation(op: string, perm: readonly number[], shape: Shape): number[] {
  const ndim = shape.length;
  const bad = () => new Error(`${op}: [${perm.join(',')}] is not a permutation of the axes of shape ${fmt(shape)}`);
  if (perm.length !== ndim) throw bad();
  const seen = new Array<boolean>(ndim).fill(false);
  const out = perm.map((p) => {
    if (!Number.isInteger(p) || p < -ndim || p >= ndim) throw bad();
    const q = p < 0 ? p + ndim : p;
    if (seen[q]) throw bad();
    seen[q] = true;
    return q;
  });
  return out;
}

/** Strides of `shape` seen from a broadcast `outShape`: 0 along broadcast axes. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((d, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]));
}
