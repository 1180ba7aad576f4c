/**
 * @file Elementwise float32 loops, four lanes at a time, for the ops whose JavaScript versions are
 * slow on large tensors: relu (a data-dependent branch per element in JavaScript, a
 * compare-and-mask here) and the four arithmetic ops with the broadcasts layers use
 * (same shape, a scalar side, a side that repeats along the leading axes, such as a bias).
 */

import {
  BINARY_ADD as ADD,
  BINARY_DIV as DIV,
  BINARY_MAXIMUM as MAXIMUM,
  BINARY_MAXIMUM_SLOPE as MAXIMUM_SLOPE,
  BINARY_MINIMUM as MINIMUM,
  BINARY_MINIMUM_SLOPE as MINIMUM_SLOPE,
  BINARY_MUL as MUL,
  BINARY_SUB as SUB,
  UNARY_RELU as RELU,
} from '../src/kernels/abi';

/**
 * y = relu(x) (op RELU, the one unary op with a WebAssembly loop so far). NaN propagates, as in
 * PyTorch: relu(NaN) = NaN; -0 gives 0.
 */
export function unaryOp(op: i32, x: usize, y: usize, n: i32): void {
  assert(op == RELU);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    v128.store(y + (<usize>i << 2), v128.and(v, v128.or(f32x4.gt(v, zero), f32x4.ne(v, v))));
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(y + (<usize>i << 2), v > 0 || v != v ? v : 0);
  }
}

/**
 * The TypeScript kernels' expressions lane by lane (src/kernels/js/elementwise.ts), so both give the
 * same bits: maximum and minimum keep a NaN of either side and otherwise pick as `x > y || x ≠ x ?
 * x : y` does (so of 0 and −0 the second), not as f32x4.max; their slopes are 1, ½ on a tie, else 0.
 */
// @ts-ignore: decorator
@inline function apply4(op: i32, a: v128, b: v128): v128 {
  if (op == ADD) return f32x4.add(a, b);
  if (op == SUB) return f32x4.sub(a, b);
  if (op == MUL) return f32x4.mul(a, b);
  if (op == DIV) return f32x4.div(a, b);
  if (op == MAXIMUM) return v128.bitselect(a, b, v128.or(f32x4.gt(a, b), f32x4.ne(a, a)));
  if (op == MINIMUM) return v128.bitselect(a, b, v128.or(f32x4.lt(a, b), f32x4.ne(a, a)));
  const win = op == MAXIMUM_SLOPE ? f32x4.gt(a, b) : f32x4.lt(a, b);
  return v128.or(v128.and(win, f32x4.splat(1)), v128.and(f32x4.eq(a, b), f32x4.splat(0.5)));
}

// @ts-ignore: decorator
@inline function apply1(op: i32, a: f32, b: f32): f32 {
  if (op == ADD) return a + b;
  if (op == SUB) return a - b;
  if (op == MUL) return a * b;
  if (op == DIV) return a / b;
  if (op == MAXIMUM) return a > b || a != a ? a : b;
  if (op == MINIMUM) return a < b || a != a ? a : b;
  if (op == MAXIMUM_SLOPE) return a > b ? 1 : a == b ? 0.5 : 0;
  return a < b ? 1 : a == b ? 0.5 : 0;
}

/** y[i] = a[i] op b[i] for i in [0, n), a and b contiguous. */
function sameShape(op: i32, a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, apply4(op, v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, apply1(op, load<f32>(a + o), load<f32>(b + o)));
  }
}

/**
 * y[i] = a[i mod na] op b[i mod nb] for i in [0, n): each side is the whole tensor (n), a scalar (1)
 * or a block that repeats along the leading axes (na or nb divides n).
 */
export function binaryOp(op: i32, a: usize, na: i32, b: usize, nb: i32, y: usize, n: i32): void {
  if (na == n && nb == n) {
    sameShape(op, a, b, y, n);
  } else if (nb == 1 || na == 1) {
    const s = nb == 1 ? load<f32>(b) : load<f32>(a);
    const sv = f32x4.splat(s);
    const v = nb == 1 ? a : b;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const x = v128.load(v + o);
      v128.store(y + o, nb == 1 ? apply4(op, x, sv) : apply4(op, sv, x));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const x = load<f32>(v + o);
      store<f32>(y + o, nb == 1 ? apply1(op, x, s) : apply1(op, s, x));
    }
  } else {
    // One side repeats: walk the output in blocks of its length.
    const block = min(na, nb);
    for (let base = 0; base < n; base += block) {
      const o = <usize>base << 2;
      sameShape(op, na == n ? a + o : a, nb == n ? b + o : b, y + o, block);
    }
  }
}
