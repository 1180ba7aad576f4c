/**
 * @file Indexing (SPEC §14): gather and scatterAdd along an axis, indexSelect, maskedSelect, oneHot,
 * NumPy/PyTorch indexing `index(x, ...idx)` and its out-of-place assignment `indexPut`.
 *
 * Four primitives carry backward rules, each the other's adjoint: gather ↔ scatterAdd (torch.gather,
 * torch.scatter_add) and indexSelect ↔ indexAdd (torch.index_select, torch.index_add). Indexing with
 * slices, integers, index tensors and masks reduces to one list of flat source offsets, read with the
 * flat gather (ops/flat-index.ts) and written back with its adjoint scatter; so every op here has
 * backward rules made of tensor ops and exact derivatives of any order. Index tensors are int32 and
 * constants of the graph: nothing flows into them.
 */
import type { Primitive } from '../autograd/primitive';
import { defineOp } from './names';
import { kernels } from '../kernels';
import { allocate, allocateUnfilled, promoteTypes } from '../tensor/dtype';
import { broadcastShapes, fmt, normalizeAxis, sizeOf, stridesOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { expand } from './broadcast';
import { add } from './elementwise';
import { gatherFlat, scatterAddFlat } from './flat-index';
import { cast } from './operands';
import { pad, reshape, slice } from './shape';

// ---- index tensors -------------------------------------------------------------------------------

/** An int32 tensor from storage the caller filled. */
export function int32Tensor(data: Int32Array, shape: readonly number[]): Tensor {
  return new Tensor(data, shape);
}

/**
 * The values of an index tensor, each checked to lie in [-n, n) and made non-negative (SPEC §18:
 * positions may count from the end). `context` names the op's operands for the messages.
 */
function indexValues(op: string, index: unknown, n: number, axis: number, context: string): Int32Array {
  if (!(index instanceof Tensor)) throw new Error(`${op}: index must be an int32 tensor, got ${typeof index} (${context})`);
  if (index.dtype !== 'int32') {
    throw new Error(`${op}: index must be an int32 tensor, got dtype ${index.dtype} (${context})`);
  }
  const raw = index.data as Int32Array;
  const out = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    if (v < -n || v >= n) throw new Error(`${op}: index ${v} is out of range for axis ${axis} of size ${n} (${context})`);
    out[i] = v < 0 ? v + n : v;
  }
  return out;
}

// ---- gather and scatterAdd -----------------------------------------------------------------------

interface AxisIndexAttrs {
  axis: number;
  /** Non-negative indices, one per position of indexShape. */
  index: Int32Array;
  indexShape: readonly number[];
}

const gatherP: Primitive<AxisIndexAttrs> = defineOp<AxisIndexAttrs>('gather', {
  forward: ([x], { axis, index, indexShape }) =>
    new Tensor(kernels().gatherAxis(x.data, x.shape, axis, index, indexShape, allocateUnfilled(x.dtype, index.length)), indexShape),
  // The adjoint of reading x at the index is adding gy there: a scatterAdd into zeros.
  backward: (gy, [x], _y, { axis, index }) => [scatterAddIntoZeros(gy, axis, index, x.shape)],
  describe: ({ axis, indexShape }) => `axis=${axis} index ${fmt(indexShape)}`,
});

const scatterAddP: Primitive<AxisIndexAttrs> = defineOp<AxisIndexAttrs>('scatterAdd', {
  forward: ([x, src], { axis, index, indexShape }) => {
    const out = allocateUnfilled(x.dtype, x.size);
    out.set(x.data);
    return new Tensor(kernels().scatterAddAxis(src.data, src.shape, axis, index, indexShape, x.shape, out), x.shape);
  },
  backward: (gy, [x, src], _y, attrs) => {
    if (!src.requiresGrad) return [x.requiresGrad ? gy : null, null];
    // src contributes only where the index reaches; the rest of it gets a zero gradient.
    const picked = gatherP.apply([gy], attrs);
    const gsrc = pad(
      picked,
      src.shape.map((n, d): [number, number] => [0, n - attrs.indexShape[d]]),
    );
    return [x.requiresGrad ? gy : null, gsrc];
  },
  describe: ({ axis, indexShape }) => `axis=${axis} index ${fmt(indexShape)}`,
});

/** Zeros of `shape` with g added at the index along `axis` (gather's adjoint; sort's and topk's backward too). */
export function scatterAddIntoZeros(g: Tensor, axis: number, index: Int32Array, shape: readonly number[]): Tensor {
  return scatterAddP.apply([new Tensor(allocate(g.dtype, sizeOf(shape)), shape), g], { axis, index, indexShape: [...g.shape] });
}

const context = (parts: Record<string, Tensor>) =>
  Object.entries(parts)
    .map(([k, t]) => `${k} ${fmt(t.shape)}`)
    .join(', ');

/** y[i][j][k] = x[i][index[i][j][k]][k] for axis 1 (torch.gather): y has index's shape; differentiable in x. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis('gather', axis, Math.max(x.ndim, 1), x.shape);
  const ctx = index instanceof Tensor ? context({ input: x, index }) : `input ${fmt(x.shape)}`;
  if (!(index instanceof Tensor) || index.ndim !== x.ndim) {
    throw new Error(`gather: index must have as many axes as the input (${ctx})`);
  }
  index.shape.forEach((n, d) => {
    if (d !== a && n > x.shape[d]) throw new Error(`gather: index is larger than the input along axis ${d} (${ctx})`);
  });
  const values = indexValues('gather', index, x.ndim === 0 ? 1 : x.shape[a], axis, ctx);
  if (x.ndim === 0) return gatherP.apply([reshape(x, [1])], { axis: 0, index: values, indexShape: [1] }).reshape([]);
  return gatherP.apply([x], { axis: a, index: values, indexShape: [...index.shape] });
}

/**
 * x with src added at the index along `axis` (torch.scatter_add, out of place): y[i][index[i][j]] += src[i][j]
 * for axis 1; repeated indices add up. Differentiable in x and src.
 */
export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const ctx = index instanceof Tensor ? context({ input: x, index, src }) : `input ${fmt(x.shape)}`;
  const a = normalizeAxis('scatterAdd', axis, Math.max(x.ndim, 1), x.shape);
  if (!(index instanceof Tensor) || index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new Error(`scatterAdd: input, index and src must have the same number of axes (${ctx})`);
  }
  index.shape.forEach((n, d) => {
    if (n > src.shape[d]) throw new Error(`scatterAdd: index is larger than src along axis ${d} (${ctx})`);
    if (d !== a && n > x.shape[d]) throw new Error(`scatterAdd: index is larger than the input along axis ${d} (${ctx})`);
  });
  const values = indexValues('scatterAdd', index, x.ndim === 0 ? 1 : x.shape[a], axis, ctx);
  const dtype = promoteTypes(x.dtype, src.dtype);
  if (x.ndim === 0) {
    return scatterAddP
      .apply([reshape(cast(x, dtype), [1]), reshape(cast(src, dtype), [1])], { axis: 0, index: values, indexShape: [1] })
      .reshape([]);
  }
  return scatterAddP.apply([cast(x, dtype), cast(src, dtype)], { axis: a, index: values, indexShape: [...index.shape] });
}

// ---- indexSelect and its adjoint -----------------------------------------------------------------------

interface SelectAttrs {
  axis: number;
  index: Int32Array;
}

const indexSelectP: Primitive<SelectAttrs> = defineOp<SelectAttrs>('indexSelect', {
  forward: ([x], { axis, index }) => {
    const shape = x.shape.map((n, d) => (d === axis ? index.length : n));
    return new Tensor(kernels().indexSelect(x.data, x.shape, axis, index, allocateUnfilled(x.dtype, sizeOf(shape))), shape);
  },
  backward: (gy, [x], _y, attrs) => [indexAddP.apply([gy], { ...attrs, shape: x.shape })],
  describe: ({ axis, index }) => `axis=${axis} ×${index.length}`,
});

/** Zeros of `shape`, with g's slices added at the index along the axis (the adjoint of indexSelect). */
const indexAddP: Primitive<SelectAttrs & { shape: readonly number[] }> = defineOp<SelectAttrs & { shape: readonly number[] }>('indexAdd', {
  forward: ([g], { axis, index, shape }) =>
    new Tensor(kernels().indexAdd(g.data, shape, axis, index, allocateUnfilled(g.dtype, sizeOf(shape))), shape),
  backward: (gg, _xs, _y, { axis, index }) => [indexSelectP.apply([gg], { axis, index })],
  describe: ({ axis, index }) => `axis=${axis} ×${index.length}`,
});

/** The slices index[0], index[1], … of `axis` (torch.index_select; index 1-D or 0-d). Repeated indices accumulate in the gradient. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const ctx = index instanceof Tensor ? context({ input: x, index }) : `input ${fmt(x.shape)}`;
  if (x.ndim === 0) throw new Error(`indexSelect: cannot select from a 0-d tensor (${ctx})`);
  const a = normalizeAxis('indexSelect', axis, x.ndim, x.shape);
  if (!(index instanceof Tensor) || index.ndim > 1) throw new Error(`indexSelect: index must be a 1-D int32 tensor (${ctx})`);
  const values = indexValues('indexSelect', index, x.shape[a], axis, ctx);
  return indexSelectP.apply([x], { axis: a, index: values });
}

// ---- masks and one-hot --------------------------------------------------------------------------------

function boolData(op: string, mask: unknown, ctx: string): Uint8Array {
  if (!(mask instanceof Tensor) || mask.dtype !== 'bool') {
    const got = mask instanceof Tensor ? `dtype ${mask.dtype}` : typeof mask;
    throw new Error(`${op}: mask must be a bool tensor, got ${got} (${ctx})`);
  }
  return mask.data as Uint8Array;
}

/** The elements of x where mask is true, in row-major order, as a 1-D tensor; x and mask broadcast. Differentiable in x. */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  const ctx = mask instanceof Tensor ? context({ input: x, mask }) : `input ${fmt(x.shape)}`;
  const m = boolData('maskedSelect', mask, ctx);
  const shape = broadcastShapes('maskedSelect', x.shape, mask.shape);
  const full = expand(x, shape);
  // The mask's values at each broadcast position: walk it with broadcast strides.
  const ms = stridesOf(mask.shape);
  const lead = shape.length - mask.ndim;
  const strides = shape.map((n, d) => (d < lead || mask.shape[d - lead] === 1 ? 0 : ms[d - lead]));
  const outStrides = stridesOf(shape);
  const picked: number[] = [];
  for (let o = 0; o < full.size; o++) {
    let at = 0;
    for (let d = 0; d < shape.length; d++) at += (Math.floor(o / outStrides[d]) % shape[d]) * strides[d];
    if (m[at]) picked.push(o);
  }
  return gatherFlat(full, Int32Array.from(picked), [picked.length]);
}

/** int32 one-hot rows: y[..., c] = 1 where index[...] = c; numClasses -1 means max(index) + 1 (torch.nn.functional.one_hot). */
export function oneHot(index: Tensor, numClasses = -1): Tensor {
  const ctx = index instanceof Tensor ? `index ${fmt(index.shape)}` : 'index';
  if (!(index instanceof Tensor) || index.dtype !== 'int32') {
    throw new Error(
      `oneHot: index must be an int32 tensor, got ${index instanceof Tensor ? `dtype ${index.dtype}` : typeof index} (${ctx})`,
    );
  }
  const values = index.data as Int32Array;
  let classes = numClasses;
  if (classes === -1) {
    if (values.length === 0) throw new Error(`oneHot: cannot infer the number of classes of an empty index (${ctx})`);
    classes = values.reduce((m, v) => Math.max(m, v), 0) + 1;
  } else if (!Number.isInteger(classes) || classes < 0) {
    throw new Error(`oneHot: numClasses ${numClasses} must be a non-negative integer or -1 (${ctx})`);
  }
  const out = new Int32Array(values.length * classes);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < 0 || v >= classes) throw new Error(`oneHot: class ${v} is out of range for ${classes} classes (${ctx})`);
    out[i * classes + v] = 1;
  }
  return int32Tensor(out, [...index.shape, classes]);
}

// ---- index and indexPut ----------------------------------------------------------------------------------

/** One entry of `index(x, ...)`: an integer, null (`:`), a slice [start, end?, step?], or an int32 / bool tensor. */
export type Index = number | null | readonly [(number | null)?, (number | null)?, (number | null)?] | Tensor;

/** Where `x[idx]` reads: the flat source offset of each result element, the result's shape, and whether it is a plain box. */
interface IndexPlan {
  offsets: Int32Array;
  shape: number[];
  /** Only integers and step-1 slices: the result is slice + reshape. */
  box: { starts: number[]; ends: number[] } | null;
}

/** An output axis of the plan: its size and, per position, the flat offset it adds. */
interface PlanAxis {
  shape: number[];
  add: Int32Array;
}

/**
 * Note [index placement]: PyTorch applies integers as selections first (they remove their axes),
 * then the index tensors (bool masks become one int32 tensor per masked axis) broadcast together to a
 * shape B. If those tensors index adjacent axes (after the integers are gone), B takes their place;
 * if a slice separates them, B goes first. NumPy differs only in counting integers as index tensors
 * (so `x[0, :, idx]` is [3, 2] in PyTorch, [2, 3] in NumPy): tapegrad follows PyTorch.
 */
function planIndex(op: string, x: Tensor, idx: readonly Index[]): IndexPlan {
  const where = () => `input ${fmt(x.shape)}, indices [${idx.map(describeIndex).join(', ')}]`;
  const strides = stridesOf(x.shape);
  let base = 0;
  let d = 0;
  let boxOk = true;
  const starts = x.shape.map(() => 0);
  const ends = [...x.shape];
  /** Basic axes (slices) and the advanced block, in the order of the remaining axes. */
  const kept: ({ kind: 'slice'; axis: PlanAxis } | { kind: 'advanced' })[] = [];
  const advanced: { values: Int32Array; shape: readonly number[]; stride: number }[] = [];
  let lastAdvancedPos = -2;
  let separated = false;
  const noteAdvanced = () => {
    const pos = kept.length;
    if (advanced.length > 0 && lastAdvancedPos !== pos - 1) separated = true;
    if (advanced.length === 0 || lastAdvancedPos !== pos - 1) kept.push({ kind: 'advanced' });
    lastAdvancedPos = kept.length - 1;
  };
  for (const item of idx) {
    const remaining = () => {
      if (d >= x.ndim) throw new Error(`${op}: too many indices for a tensor of ${x.ndim} axes (${where()})`);
    };
    if (item === null || item === undefined) {
      remaining();
      const n = x.shape[d];
      const add = new Int32Array(n);
      for (let i = 0; i < n; i++) add[i] = i * strides[d];
      kept.push({ kind: 'slice', axis: { shape: [n], add } });
      d++;
    } else if (typeof item === 'number') {
      remaining();
      const n = x.shape[d];
      if (!Number.isInteger(item)) throw new Error(`${op}: index ${item} is not an integer (${where()})`);
      if (item < -n || item >= n) throw new Error(`${op}: index ${item} is out of range for axis ${d} of size ${n} (${where()})`);
      const i = item < 0 ? item + n : item;
      base += i * strides[d];
      starts[d] = i;
      ends[d] = i + 1;
      d++;
    } else if (Array.isArray(item)) {
      remaining();
      const n = x.shape[d];
      const [s0, e0, st0] = item as readonly (number | null | undefined)[];
      if (item.length > 3) throw new Error(`${op}: a slice is [start, end?, step?], got ${JSON.stringify(item)} (${where()})`);
      const step = st0 ?? 1;
      if (!Number.isInteger(step) || step <= 0) {
        throw new Error(`${op}: slice step ${step} must be a positive integer (negative steps are not supported) (${where()})`);
      }
      const bound = (v: number | null | undefined, fallback: number) => {
        if (v === null || v === undefined) return fallback;
        if (!Number.isInteger(v)) throw new Error(`${op}: slice bound ${v} is not an integer (${where()})`);
        return Math.min(Math.max(v < 0 ? v + n : v, 0), n);
      };
      const s = bound(s0, 0);
      const e = Math.max(bound(e0, n), s);
      const len = Math.ceil((e - s) / step);
      if (step !== 1) boxOk = false;
      starts[d] = s;
      ends[d] = e;
      const add = new Int32Array(len);
      for (let i = 0; i < len; i++) add[i] = (s + i * step) * strides[d];
      kept.push({ kind: 'slice', axis: { shape: [len], add } });
      d++;
    } else if (item instanceof Tensor) {
      boxOk = false;
      if (item.dtype === 'bool') {
        const k = item.ndim;
        if (k === 0) {
          // A 0-d mask, as PyTorch's x[True] / x[False]: a new axis of size 1 or 0 in the advanced
          // block's place, consuming no axis of x (a mask over an axis of size 1 that is not there).
          noteAdvanced();
          advanced.push({ values: item.data[0] ? Int32Array.of(0) : new Int32Array(0), shape: [item.data[0] ? 1 : 0], stride: 0 });
          continue;
        }
        if (d + k > x.ndim) throw new Error(`${op}: too many indices for a tensor of ${x.ndim} axes (${where()})`);
        item.shape.forEach((n, j) => {
          if (n !== x.shape[d + j]) {
            throw new Error(
              `${op}: mask of shape ${fmt(item.shape)} does not match axes ${d}..${d + k - 1} of the input (size ${x.shape[d + j]} at axis ${d + j}; ${where()})`,
            );
          }
        });
        const mask = item.data as Uint8Array;
        const hits: number[] = [];
        for (let i = 0; i < mask.length; i++) if (mask[i]) hits.push(i);
        const ms = stridesOf(item.shape);
        noteAdvanced();
        for (let j = 0; j < k; j++) {
          const values = Int32Array.from(hits, (h) => Math.floor(h / ms[j]) % item.shape[j]);
          advanced.push({ values, shape: [hits.length], stride: strides[d + j] });
        }
        d += k;
      } else {
        remaining();
        const values = indexValues(op, item, x.shape[d], d, where());
        noteAdvanced();
        advanced.push({ values, shape: item.shape, stride: strides[d] });
        d++;
      }
    } else {
      throw new Error(`${op}: unsupported index ${describeIndex(item)} (${where()})`);
    }
  }
  for (; d < x.ndim; d++) {
    const n = x.shape[d];
    const add = new Int32Array(n);
    for (let i = 0; i < n; i++) add[i] = i * strides[d];
    kept.push({ kind: 'slice', axis: { shape: [n], add } });
  }

  let blockAxis: PlanAxis | null = null;
  if (advanced.length > 0) {
    let b: number[] = [];
    for (const a of advanced) b = broadcastShapes(op, b, a.shape);
    const bs = stridesOf(b);
    const add = new Int32Array(sizeOf(b));
    for (const a of advanced) {
      const as = stridesOf(a.shape);
      const lead = b.length - a.shape.length;
      for (let p = 0; p < add.length; p++) {
        let at = 0;
        for (let j = lead; j < b.length; j++) {
          if (a.shape[j - lead] !== 1) at += (Math.floor(p / bs[j]) % b[j]) * as[j - lead];
        }
        add[p] += a.values[at] * a.stride;
      }
    }
    blockAxis = { shape: b, add };
  }
  const axes: PlanAxis[] = [];
  if (separated && blockAxis !== null) axes.push(blockAxis);
  for (const k of kept) {
    if (k.kind === 'slice') axes.push(k.axis);
    else if (!separated) axes.push(blockAxis!);
  }
  // Outer sum of the axes' offsets, row-major.
  let offsets = Int32Array.of(base);
  for (const a of axes) {
    const next = new Int32Array(offsets.length * a.add.length);
    let k = 0;
    for (let i = 0; i < offsets.length; i++) for (let j = 0; j < a.add.length; j++) next[k++] = offsets[i] + a.add[j];
    offsets = next;
  }
  const shape = axes.flatMap((a) => a.shape);
  return { offsets, shape, box: boxOk ? { starts, ends } : null };
}

function describeIndex(i: unknown): string {
  if (i === null) return ':';
  if (i instanceof Tensor) return `${i.dtype} ${fmt(i.shape)}`;
  if (Array.isArray(i)) return i.map((v) => (v === null || v === undefined ? '' : String(v))).join(':') + (i.length === 1 ? ':' : '');
  return String(i);
}

/**
 * x[idx] with NumPy/PyTorch basic and advanced indexing (Note [index placement]): integers select,
 * null is `:`, [start, end?, step?] slices (null inside = that bound omitted; positive steps only),
 * int32 tensors and bool masks index. Differentiable in x.
 */
export function index(x: Tensor, ...idx: Index[]): Tensor {
  const plan = planIndex('index', x, idx);
  if (plan.box !== null) return reshape(slice(x, plan.box.starts, plan.box.ends), plan.shape);
  return gatherFlat(x, plan.offsets, plan.shape);
}

export interface IndexPutOptions {
  /** Add the values (repeated positions add up) instead of writing them. */
  accumulate?: boolean;
}

/**
 * Out of place `x[idx] = values` (torch.index_put): values broadcast to the shape of x[idx]. Without
 * `accumulate` the last write to a repeated position wins; with it, every value adds. Differentiable
 * in x and values (x's gradient is zero where it was overwritten).
 */
export function indexPut(x: Tensor, idx: readonly Index[], values: Tensor | number, opts: IndexPutOptions = {}): Tensor {
  const plan = planIndex('indexPut', x, idx);
  const v0 = typeof values === 'number' ? new Tensor(allocate(x.dtype, 1).fill(values), []) : values;
  if (!(v0 instanceof Tensor)) throw new Error(`indexPut: values must be a tensor or a number (input ${fmt(x.shape)})`);
  const lead = plan.shape.length - v0.ndim;
  if (lead < 0 || v0.shape.some((n, d) => n !== 1 && n !== plan.shape[lead + d])) {
    throw new Error(
      `indexPut: values of shape ${fmt(v0.shape)} do not broadcast to the indexed shape ${fmt(plan.shape)} (input ${fmt(x.shape)})`,
    );
  }
  const v = expand(cast(v0, x.dtype), plan.shape);
  const flat = reshape(v, [plan.offsets.length]);
  if (opts.accumulate) return add(x, scatterAddFlat(flat, plan.offsets, x.shape));
  // The last write to each position wins; every other position keeps x.
  const winner = new Int32Array(x.size).fill(-1);
  plan.offsets.forEach((o, p) => (winner[o] = p));
  let written = 0;
  for (let o = 0; o < x.size; o++) if (winner[o] >= 0) written++;
  const from = new Int32Array(written);
  const toIdx = new Int32Array(written);
  const keepIdx = new Int32Array(x.size - written);
  for (let o = 0, w = 0, k = 0; o < x.size; o++) {
    if (winner[o] < 0) keepIdx[k++] = o;
    else {
      from[w] = winner[o];
      toIdx[w++] = o;
    }
  }
  const kept = scatterAddFlat(gatherFlat(x, keepIdx, [keepIdx.length]), keepIdx, x.shape);
  const put = scatterAddFlat(gatherFlat(flat, from, [from.length]), toIdx, x.shape);
  return add(kept, put);
}

declare module '../tensor/tensor' {
  interface Tensor {
    gather(axis: number, index: Tensor): Tensor;
    scatterAdd(axis: number, index: Tensor, src: Tensor): Tensor;
    indexSelect(axis: number, index: Tensor): Tensor;
    maskedSelect(mask: Tensor): Tensor;
    oneHot(numClasses?: number): Tensor;
    index(...idx: Index[]): Tensor;
    indexPut(idx: readonly Index[], values: Tensor | number, opts?: IndexPutOptions): Tensor;
  }
}
