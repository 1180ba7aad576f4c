/**
 * @file Expanded graphs: a convolution built from scalar nodes, as the tutorial draws it.
 *
 * Note [expanded graphs]: with `expand: true` each output element is a balanced tree of `add` nodes over
 * one `mul` node per product x_i·w_j (plus the bias element, if any). Products that would meet
 * padding are left out: padding is a constant zero, and the tutorial's figure ignores it too.
 * Two small primitives connect the scalars to tensors: `element` picks x_i out of x (its backward
 * places the gradient into zeros with `pad`) and `assemble` stacks the output scalars into the
 * result's shape (its backward picks each element of gy). Every node is an ordinary primitive, so
 * values, gradients and higher-order gradients equal the fused op's, and the graph can be drawn.
 */
import { defineOp } from './names';
import { kernels } from '../kernels';
import type { ConvGeometry } from '../kernels';
import { scalar } from '../tensor/create';
import { allocate, DType } from '../tensor/dtype';
import { fmt, sizeOf, stridesOf } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add, mul } from './elementwise';
import { pad, reshape } from './shape';

interface ElementAttrs {
  /** Flat (row-major) index into x. */
  index: number;
  /** The same position, one index per axis. */
  at: number[];
}

const elementP = defineOp<ElementAttrs>('element', {
  forward: ([x], { index }) => {
    const y = allocate(x.dtype, 1);
    y[0] = x.data[index];
    return new Tensor(y, []);
  },
  backward: (gy, [x], _y, { at }) => [
    pad(
      reshape(
        gy,
        at.map(() => 1),
      ),
      at.map((i, d): [number, number] => [i, x.shape[d] - i - 1]),
    ),
  ],
  describe: ({ at }) => fmt(at),
});

/** The 0-d tensor x.flat[index], as a node of the graph. */
export function element(x: Tensor, index: number): Tensor {
  const strides = stridesOf(x.shape);
  const at = strides.map((s, d) => Math.floor(index / s) % x.shape[d]);
  return elementP.apply([x], { index, at });
}

const assembleP = defineOp<{ shape: number[]; dtype: DType }>('assemble', {
  forward: (xs, { shape, dtype }) => {
    const y = allocate(dtype, sizeOf(shape));
    for (let i = 0; i < xs.length; i++) y[i] = xs[i].data[0];
    return new Tensor(y, shape);
  },
  backward: (gy, xs) => xs.map((x, i) => (x.requiresGrad ? element(gy, i) : null)),
  describe: ({ shape }) => fmt(shape),
});

/** Which products make each output: output o sums x[xIndex[t]]·w[wIndex[t]] for t in [start[o], start[o+1]). */
export interface Products {
  start: Int32Array;
  xIndex: Int32Array;
  wIndex: Int32Array;
}

/**
 * The result of `shape` whose element o is Σ_t x_i·w_j (+ bias[biasIndex(o)]), built from scalar
 * nodes. Each element of x, w and bias is picked once and shared by all its products.
 */
export function sumOfProducts(
  x: Tensor,
  w: Tensor,
  products: Products,
  shape: readonly number[],
  bias: { tensor: Tensor; index: (o: number) => number } | null = null,
): Tensor {
  const picker = (t: Tensor) => {
    const picked = new Map<number, Tensor>();
    return (i: number) => {
      let s = picked.get(i);
      if (s === undefined) {
        s = element(t, i);
        picked.set(i, s);
      }
      return s;
    };
  };
  const xAt = picker(x);
  const wAt = picker(w);
  const biasAt = bias === null ? null : picker(bias.tensor);
  const outputs = sizeOf(shape);
  const scalars: Tensor[] = new Array(outputs);
  const { start, xIndex, wIndex } = products;
  for (let o = 0; o < outputs; o++) {
    const terms: Tensor[] = [];
    for (let t = start[o]; t < start[o + 1]; t++) terms.push(mul(xAt(xIndex[t]), wAt(wIndex[t])));
    let acc = balancedSum(terms);
    if (biasAt !== null) {
      const b = biasAt(bias!.index(o));
      acc = acc === null ? b : add(acc, b);
    }
    // An output whose window lies wholly in the padding is a constant zero.
    scalars[o] = acc ?? scalar(0, x.dtype);
  }
  return assembleP.apply(scalars, { shape: [...shape], dtype: x.dtype });
}

/**
 * Σ terms as a balanced tree of `add` nodes, pairing neighbours level by level: a 27-product output
 * is 5 levels deep instead of a chain of 26, which keeps a drawn figure compact (and the rounding
 * of a long sum smaller). Null for no terms.
 */
function balancedSum(terms: Tensor[]): Tensor | null {
  let level = terms;
  while (level.length > 1) {
    const next: Tensor[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(add(level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level.length === 0 ? null : level[0];
}

/** conv2d (in the geometry's terms, any views of x and w with the same flat layout) as an expanded graph. */
export function expandedConv2d(x: Tensor, w: Tensor, bias: Tensor | null, g: ConvGeometry, shape: readonly number[]): Tensor {
  const plane = g.outH * g.outW;
  return sumOfProducts(
    x,
    w,
    kernels().conv2dTaps(g),
    shape,
    bias === null ? null : { tensor: bias, index: (o) => Math.floor(o / plane) % g.outC },
  );
}
