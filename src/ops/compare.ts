/**
 * @file Comparisons, logical ops and selection (SPEC §14): `eq ne lt le gt ge` and the logical ops
 * give bool tensors and are not differentiable (plain functions over kernels, recording nothing);
 * `where` is the one primitive here, differentiable in both branches, and `maskedFill` is `where`.
 *
 * Note [where's gradient]: where(cond, a, b)'s gradient routes gy by the (constant) condition:
 * where(cond, gy, 0) to a and where(cond, 0, gy) to b — a selection, not a product with a 0/1 mask,
 * so an infinite gy never turns into 0·inf = NaN. A branch that is not taken still receives a zero
 * gradient and runs its own rule on it: where(x > 0, sqrt(x), 0) has a NaN gradient at x = -1
 * (0 / (2·sqrt(-1))), exactly as in PyTorch; mask the input (sqrt(where(x > 0, x, 1))) to avoid it.
 */
import { defineOp } from './names';
import { CompareOp, kernels } from '../kernels';
import { allocate, allocateUnfilled, DType, isFloating, promoteTypes, scalarDType } from '../tensor/dtype';
import { scalar } from '../tensor/create';
import { broadcastShapes, fmt, normalizeAxes, sameShape, sizeOf, tryBroadcastShapes } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { cast, operands, TensorLike } from './operands';
import { Axes, sum, sumTo } from './broadcast';
import { reshape } from './shape';

/** a op b, elementwise over the broadcast shape, as a bool tensor. */
function compareWith(op: CompareOp, name: string, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(name, a, b);
  const shape = broadcastShapes(name, x.shape, y.shape);
  const out = allocateUnfilled('bool', sizeOf(shape)) as Uint8Array;
  return new Tensor(kernels().compare(op, x.data, x.shape, y.data, y.shape, shape, out), shape);
}

/** a == b, elementwise (broadcast; numbers accepted), as bool. NaN equals nothing. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => compareWith('eq', 'eq', a, b);
/** a != b, elementwise, as bool. */
export const ne = (a: TensorLike, b: TensorLike): Tensor => compareWith('ne', 'ne', a, b);
/** a < b, elementwise, as bool. */
export const lt = (a: TensorLike, b: TensorLike): Tensor => compareWith('lt', 'lt', a, b);
/** a <= b, elementwise, as bool. */
export const le = (a: TensorLike, b: TensorLike): Tensor => compareWith('le', 'le', a, b);
/** a > b, elementwise, as bool. */
export const gt = (a: TensorLike, b: TensorLike): Tensor => compareWith('gt', 'gt', a, b);
/** a >= b, elementwise, as bool. */
export const ge = (a: TensorLike, b: TensorLike): Tensor => compareWith('ge', 'ge', a, b);

/** Logical ops read any nonzero value (of any dtype) as true. */
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => compareWith('and', 'logicalAnd', a, b);
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => compareWith('or', 'logicalOr', a, b);
export const logicalXor = (a: TensorLike, b: TensorLike): Tensor => compareWith('xor', 'logicalXor', a, b);

export function logicalNot(x: Tensor): Tensor {
  return compareWith('eq', 'logicalNot', x, 0);
}

/** True where x is NaN (never for int32 or bool). */
export function isNan(x: Tensor): Tensor {
  if (!isFloating(x.dtype)) return new Tensor(allocate('bool', x.size), x.shape);
  return compareWith('ne', 'isNan', x, x);
}

/** True where x is neither infinite nor NaN (always for int32 or bool): x − x is 0 exactly there. */
export function isFinite(x: Tensor): Tensor {
  if (!isFloating(x.dtype)) return new Tensor(allocate('bool', x.size).fill(1), x.shape);
  const diff = kernels().binary('sub', x.data, x.shape, x.data, x.shape, x.shape, allocateUnfilled(x.dtype, x.size));
  return compareWith('eq', 'isFinite', new Tensor(diff, x.shape), 0);
}

/** How many elements along `axes` are nonzero, as int32. */
function countTrue(op: string, x: Tensor, axis: Axes | undefined, keepDims: boolean): { count: Tensor; n: number } {
  const axes = normalizeAxes(op, axis, x.shape);
  const n = axes.reduce((k, a) => k * x.shape[a], 1);
  const truth = x.dtype === 'bool' ? x : compareWith('ne', op, x, 0);
  return { count: sum(truth, axes, keepDims), n };
}

/** Whether every element along `axis` (all axes when undefined) is nonzero; true over an empty axis. */
export function all(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  const { count, n } = countTrue('all', x, axis, keepDims);
  return eq(count, n);
}

/** Whether some element along `axis` (all axes when undefined) is nonzero; false over an empty axis. */
export function any(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return gt(countTrue('any', x, axis, keepDims).count, 0);
}

// ---- where -----------------------------------------------------------------------------------

/** Note [where's gradient]. */
const whereP = defineOp('where', {
  forward: ([cond, a, b]) => {
    const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
    const out = allocateUnfilled(a.dtype, sizeOf(shape));
    kernels().where(cond.data as Uint8Array, cond.shape, a.data, a.shape, b.data, b.shape, shape, out);
    return new Tensor(out, shape);
  },
  backward: (gy, [cond, a, b]) => {
    const zero = scalar(0, gy.dtype);
    return [
      null,
      a.requiresGrad ? sumTo(where(cond, gy, zero), a.shape) : null,
      b.requiresGrad ? sumTo(where(cond, zero, gy), b.shape) : null,
    ];
  },
});

/** The dtype two branches meet in: tensors promote; a number beside a tensor as in every binary op; two numbers: int32 if both are integers. */
function branchDType(a: TensorLike, b: TensorLike): DType {
  if (a instanceof Tensor && b instanceof Tensor) return promoteTypes(a.dtype, b.dtype);
  if (a instanceof Tensor) return typeof b === 'number' ? scalarDType(a.dtype, b) : a.dtype;
  if (b instanceof Tensor) return typeof a === 'number' ? scalarDType(b.dtype, a) : b.dtype;
  return Number.isInteger(a) && Number.isInteger(b) ? 'int32' : 'float32';
}

function branch(x: TensorLike, dtype: DType): Tensor {
  if (x instanceof Tensor) return cast(x, dtype);
  if (typeof x === 'number') return scalar(x, dtype);
  throw new Error(`where: expected a Tensor or a number, got ${typeof x}`);
}

/** cond ? a : b elementwise (broadcast over all three); differentiable in a and b (Note [where's gradient]). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const shapes = () =>
    [`cond ${fmt(cond.shape)}`, ...[a, b].map((t, i) => `${'ab'[i]} ${t instanceof Tensor ? fmt(t.shape) : 'number'}`)].join(', ');
  if (!(cond instanceof Tensor) || cond.dtype !== 'bool') {
    const got = cond instanceof Tensor ? cond.dtype : typeof cond;
    throw new Error(`where: the condition must be a bool tensor, got ${got}${cond instanceof Tensor ? ` (${shapes()})` : ''}`);
  }
  const dtype = branchDType(a, b);
  const x = branch(a, dtype);
  const y = branch(b, dtype);
  const ab = tryBroadcastShapes(x.shape, y.shape);
  if (ab === null || tryBroadcastShapes(cond.shape, ab) === null)
    throw new Error(`where: shapes cannot be broadcast together (${shapes()})`);
  return whereP.apply([cond, x, y], undefined);
}

/**
 * x with `value` where mask is true (torch.masked_fill): mask is bool and broadcasts to x's shape;
 * the result keeps x's shape and dtype. Differentiable in x (zero gradient where filled) and in a
 * tensor value.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorLike): Tensor {
  if (!(mask instanceof Tensor) || mask.dtype !== 'bool') {
    throw new Error(`maskedFill: the mask must be a bool tensor, got ${mask instanceof Tensor ? mask.dtype : typeof mask}`);
  }
  const out = tryBroadcastShapes(x.shape, mask.shape);
  if (out === null || !sameShape(out, x.shape)) {
    throw new Error(`maskedFill: mask ${fmt(mask.shape)} does not broadcast to x ${fmt(x.shape)}`);
  }
  if (value instanceof Tensor && value.size !== 1) {
    throw new Error(`maskedFill: value must be a number or a one-element tensor, got ${fmt(value.shape)} (x ${fmt(x.shape)})`);
  }
  const v = value instanceof Tensor ? cast(reshape(value, []), x.dtype) : scalar(asNumber(value), x.dtype);
  return whereP.apply([mask, v, x], undefined);
}

function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return Number(v);
  throw new Error(`maskedFill: value must be a number or a one-element tensor, got ${typeof v}`);
}

declare module '../tensor/tensor' {
  interface Tensor {
    eq(y: TensorLike): Tensor;
    ne(y: TensorLike): Tensor;
    lt(y: TensorLike): Tensor;
    le(y: TensorLike): Tensor;
    gt(y: TensorLike): Tensor;
    ge(y: TensorLike): Tensor;
    logicalAnd(y: TensorLike): Tensor;
    logicalOr(y: TensorLike): Tensor;
    logicalXor(y: TensorLike): Tensor;
    logicalNot(): Tensor;
    isNan(): Tensor;
    isFinite(): Tensor;
    all(axis?: Axes, keepDims?: boolean): Tensor;
    any(axis?: Axes, keepDims?: boolean): Tensor;
    /** `cond.where(a, b)` is `where(cond, a, b)`: the receiver is the condition (SPEC §1's method rule). */
    where(a: TensorLike, b: TensorLike): Tensor;
    maskedFill(mask: Tensor, value: TensorLike): Tensor;
  }
}
