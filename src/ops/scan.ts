/**
 * @file Scans and products (SPEC §14): `cumsum` and `cumprod` are primitives over `Kernels.scan`;
 * `prod` is the last element of a cumprod, so its gradient is cumprod's.
 *
 * Note [cumprod with zeros]: cumprod's gradient is gx_i = Σ_{j≥i} gy_j · Π_{k≤j, k≠i} x_k. Without
 * zeros that is revcumsum(gy·y)_i / x_i, O(n). With a zero the division is 0/0, so the products
 * are formed directly: the n running products of x with one factor left out each, an [n, n] cumprod
 * per row (cumprodGradWithZeros). The shortcut PyTorch's cumprod_backward takes (split each row at
 * its first zero) gives the right first derivative but drops the terms through the zero from the
 * second; the direct form is exact at every order, since it is itself a cumprod, whose gradient
 * recurses here. It costs n times the memory, only when x has a zero. prod inherits all of this.
 */
import { defineOp } from './names';
import { kernels, ScanOp } from '../kernels';
import { allocateUnfilled, isFloating } from '../tensor/dtype';
import { fmt, normalizeAxes, normalizeAxis, reducedShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { Axes, sum } from './broadcast';
import { where } from './compare';
import { div, mul } from './elementwise';
import { cast, constant } from './operands';
import { flip, reshape, slice, transpose } from './shape';
import { ones } from '../tensor/create';

interface ScanAttrs {
  axis: number;
}

function scanForward(op: ScanOp) {
  return ([x]: readonly Tensor[], { axis }: ScanAttrs) =>
    new Tensor(kernels().scan(op, x.data, x.shape, axis, allocateUnfilled(x.dtype, x.size)), x.shape);
}

/** Σ_{j≥i} t_j along `axis`: the adjoint of cumsum. */
function reverseCumsum(t: Tensor, axis: number): Tensor {
  return flip(cumsumP.apply([flip(t, [axis])], { axis }), [axis]);
}

const cumsumP = defineOp<ScanAttrs>('cumsum', {
  forward: scanForward('sum'),
  backward: (gy, _xs, _y, { axis }) => [reverseCumsum(gy, axis)],
  describe: ({ axis }) => `axis=${axis}`,
});

/**
 * cumprod's gradient when x has zeros (Note [cumprod with zeros]): along the axis moved last,
 * M[..., i, j] = Π_{k≤j, k≠i} x_k is the cumprod of B[..., i, k] = (k = i ? 1 : x_k), and
 * gx_i = Σ_{j≥i} gy_j · M[..., i, j].
 */
function cumprodGradWithZeros(gy: Tensor, x: Tensor, axis: number): Tensor {
  const n = x.shape[axis];
  const perm = x.shape.map((_d, i) => i).filter((i) => i !== axis);
  perm.push(axis);
  const inverse = perm.map((_p, i) => perm.indexOf(i));
  const xl = transpose(x, perm);
  const lead = xl.shape.slice(0, -1);
  const diagonal = new Uint8Array(n * n);
  const upper = new Uint8Array(n * n);
  for (let i = 0; i < n; i++) {
    diagonal[i * n + i] = 1;
    for (let j = i; j < n; j++) upper[i * n + j] = 1;
  }
  const b = where(constant(diagonal, [n, n]), 1, reshape(xl, [...lead, 1, n]));
  const m = cumprodP.apply([b], { axis: lead.length + 1 });
  const terms = where(constant(upper, [n, n]), mul(m, reshape(transpose(gy, perm), [...lead, 1, n])), 0);
  return transpose(sum(terms, lead.length + 1), inverse);
}

const cumprodP = defineOp<ScanAttrs>('cumprod', {
  forward: scanForward('prod'),
  backward: (gy, [x], y, { axis }) => {
    if (!x.data.includes(0)) return [div(reverseCumsum(mul(gy, y), axis), x)];
    return [cumprodGradWithZeros(gy, x, axis)];
  },
  describe: ({ axis }) => `axis=${axis}`,
});

function scanInput(op: string, x: Tensor, axis: number): { x: Tensor; axis: number } {
  if (!(x instanceof Tensor)) throw new Error(`${op}: expected a Tensor, got ${typeof x}`);
  if (typeof axis !== 'number') throw new Error(`${op}: axis must be a number, got ${String(axis)} (x ${fmt(x.shape)})`);
  if (x.ndim === 0) {
    normalizeAxis(op, axis, 1, x.shape);
    return { x: reshape(x, [1]), axis: 0 };
  }
  // As PyTorch: integer and bool tensors scan in int32 (its int64).
  return { x: x.dtype === 'bool' ? cast(x, 'int32') : x, axis: normalizeAxis(op, axis, x.ndim, x.shape) };
}

/** Running sum along `axis`. */
export function cumsum(x: Tensor, axis: number): Tensor {
  const s = scanInput('cumsum', x, axis);
  const y = cumsumP.apply([s.x], { axis: s.axis });
  return x.ndim === 0 ? reshape(y, []) : y;
}

/** Running product along `axis`; the gradient is exact with zeros in x (Note [cumprod with zeros]). */
export function cumprod(x: Tensor, axis: number): Tensor {
  const s = scanInput('cumprod', x, axis);
  const y = cumprodP.apply([s.x], { axis: s.axis });
  return x.ndim === 0 ? reshape(y, []) : y;
}

/** The product over `axis` (all axes when undefined): the last running product, so its gradient is exact with zeros. */
export function prod(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  const axes = normalizeAxes('prod', axis, x.shape);
  const outShape = reducedShape(x.shape, axes, keepDims);
  const source = isFloating(x.dtype) || x.dtype === 'int32' ? x : cast(x, 'int32');
  const n = axes.reduce((k, a) => k * x.shape[a], 1);
  if (n === 0) return ones(outShape, { dtype: source.dtype });
  // The reduced axes last, flattened into one, scanned; the last running product is the product.
  const kept = x.shape.map((_d, i) => i).filter((i) => !axes.includes(i));
  const rows = reshape(transpose(source, [...kept, ...axes]), [...kept.map((i) => x.shape[i]), n]);
  const last = rows.ndim - 1;
  const running = cumprodP.apply([rows], { axis: last });
  const starts = rows.shape.map((_d, i) => (i === last ? n - 1 : 0));
  return reshape(slice(running, starts, [...rows.shape]), outShape);
}

declare module '../tensor/tensor' {
  interface Tensor {
    cumsum(axis: number): Tensor;
    cumprod(axis: number): Tensor;
    prod(axis?: Axes, keepDims?: boolean): Tensor;
  }
}
