/**
 * @file Comparisons, `where` and index selection on 4-byte elements, for the large float32 calls
 * (src/kernels/js/compare.ts and src/kernels/js/indexing.ts are the general TypeScript versions):
 *
 * - compareOp: 16 float32 comparisons per step (four f32x4 compares, narrowed i32 → i16 → i8 masks
 *   and masked to 1), into bool bytes. IEEE comparisons, as PyTorch: NaN is unequal to everything,
 *   so `ne` is true and every other comparison false with a NaN operand; -0 equals +0.
 * - whereOp: cond bytes widened to 32-bit lane masks, then a bitselect of the branches, 8 elements per
 *   step. Bits are copied, never computed, so it serves float32 and int32 alike.
 * - indexSelectRows / indexAddRows: x viewed as [outer, n, inner]; each selected row of `inner`
 *   elements is one memory.copy (or, for the adjoint, a four-lane add into the zeroed output), over
 *   a range of rows, so that large calls split over threads.
 *
 * Broadcasting (compare, where): each operand of length L is the whole output (L = n), a scalar
 * (L = 1), or a block that repeats along the leading axes (L divides n: a row, a bias). The
 * non-scalar lengths are then products of trailing output sizes, so the smallest divides the others
 * and the output is walked in runs of that length, each operand either contiguous or a splat.
 * The backend (src/kernels/wasm/backend.ts) sends only those layouts.
 */
import {
  COMPARE_AND as AND, COMPARE_EQ as EQ, COMPARE_GE as GE, COMPARE_GT as GT, COMPARE_LE as LE, COMPARE_LT as LT, COMPARE_NE as NE,
  COMPARE_OR as OR, COMPARE_XOR as XOR,
} from '../src/kernels/abi';

// @ts-ignore: decorator
@inline function compare4(op: i32, a: v128, b: v128): v128 {
  if (op == EQ) return f32x4.eq(a, b);
  if (op == NE) return f32x4.ne(a, b);
  if (op == LT) return f32x4.lt(a, b);
  if (op == LE) return f32x4.le(a, b);
  if (op == GT) return f32x4.gt(a, b);
  if (op == GE) return f32x4.ge(a, b);
  const zero = f32x4.splat(0);
  // Logical ops read x ≠ 0 as true (NaN included), as src/kernels/js/compare.ts's COMPARE does.
  const ta = f32x4.ne(a, zero);
  const tb = f32x4.ne(b, zero);
  if (op == AND) return v128.and(ta, tb);
  if (op == OR) return v128.or(ta, tb);
  return v128.xor(ta, tb);
}

// @ts-ignore: decorator
@inline function compare1(op: i32, a: f32, b: f32): bool {
  if (op == EQ) return a == b;
  if (op == NE) return a != b;
  if (op == LT) return a < b;
  if (op == LE) return a <= b;
  if (op == GT) return a > b;
  if (op == GE) return a >= b;
  if (op == AND) return a != 0 && b != 0;
  if (op == OR) return a != 0 || b != 0;
  return (a != 0) != (b != 0);
}

/** y[i] = a[i] op b[i] (1 or 0) for i < n; an operand whose flag is false is the scalar at its pointer. */
// @ts-ignore: decorator
@inline function compareRun(op: i32, a: usize, sa: bool, b: usize, sb: bool, y: usize, n: i32): void {
  const av = v128.load32_splat(a);
  const bv = v128.load32_splat(b);
  const one = i8x16.splat(1);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const pa = a + (<usize>i << 2);
    const pb = b + (<usize>i << 2);
    const m0 = compare4(op, sa ? v128.load(pa) : av, sb ? v128.load(pb) : bv);
    const m1 = compare4(op, sa ? v128.load(pa, 16) : av, sb ? v128.load(pb, 16) : bv);
    const m2 = compare4(op, sa ? v128.load(pa, 32) : av, sb ? v128.load(pb, 32) : bv);
    const m3 = compare4(op, sa ? v128.load(pa, 48) : av, sb ? v128.load(pb, 48) : bv);
    // Lanes are all ones or all zeros: signed narrowing keeps -1 and 0, and `one` makes them 1 and 0.
    const m = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
    v128.store(y + <usize>i, v128.and(m, one));
  }
  for (; i < n; i++) {
    const x = sa ? load<f32>(a + (<usize>i << 2)) : load<f32>(a);
    const z = sb ? load<f32>(b + (<usize>i << 2)) : load<f32>(b);
    store<u8>(y + <usize>i, compare1(op, x, z) ? 1 : 0);
  }
}

/** The run length for operands of lengths na, nb (, nc) over an output of n: the smallest non-scalar one. */
// @ts-ignore: decorator
@inline function runLength(n: i32, na: i32, nb: i32, nc: i32): i32 {
  let run = n;
  if (na != 1 && na < run) run = na;
  if (nb != 1 && nb < run) run = nb;
  if (nc != 1 && nc < run) run = nc;
  return run;
}

// @ts-ignore: decorator
@inline function compareAll(op: i32, a: usize, na: i32, b: usize, nb: i32, y: usize, n: i32): void {
  const run = runLength(n, na, nb, 1);
  const sa = na != 1;
  const sb = nb != 1;
  let ia = 0;
  let ib = 0;
  for (let base = 0; base < n; base += run) {
    const pa = a + (<usize>ia << 2);
    const pb = b + (<usize>ib << 2);
    const py = y + <usize>base;
    if (sa && sb) compareRun(op, pa, true, pb, true, py, run);
    else if (sa) compareRun(op, pa, true, pb, false, py, run);
    else if (sb) compareRun(op, pa, false, pb, true, py, run);
    else compareRun(op, pa, false, pb, false, py, run);
    if (sa && (ia += run) == na) ia = 0;
    if (sb && (ib += run) == nb) ib = 0;
  }
}

/**
 * y[i] = a[i mod na] op b[i mod nb] ? 1 : 0 (bytes) for i < n, float32 operands; op a COMPARE_* code
 * from src/kernels/abi.ts. Each op gets its own loop (the op is a constant inside it).
 */
export function compareOp(op: i32, a: usize, na: i32, b: usize, nb: i32, y: usize, n: i32): void {
  switch (op) {
    case EQ: compareAll(EQ, a, na, b, nb, y, n); break;
    case NE: compareAll(NE, a, na, b, nb, y, n); break;
    case LT: compareAll(LT, a, na, b, nb, y, n); break;
    case LE: compareAll(LE, a, na, b, nb, y, n); break;
    case GT: compareAll(GT, a, na, b, nb, y, n); break;
    case GE: compareAll(GE, a, na, b, nb, y, n); break;
    case AND: compareAll(AND, a, na, b, nb, y, n); break;
    case OR: compareAll(OR, a, na, b, nb, y, n); break;
    default: compareAll(XOR, a, na, b, nb, y, n);
  }
}

/** y[i] = c[i] ≠ 0 ? a[i] : b[i] for i < n (4-byte elements); an operand whose flag is false is a scalar. */
// @ts-ignore: decorator
@inline function whereRun(c: usize, sc: bool, a: usize, sa: bool, b: usize, sb: bool, y: usize, n: i32): void {
  const cv = i16x8.splat(<i16>load<u8>(c));
  const av = v128.load32_splat(a);
  const bv = v128.load32_splat(b);
  const zero = i16x8.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const m = i16x8.ne(sc ? v128.load8x8_u(c + <usize>i) : cv, zero);
    const lo = i32x4.extend_low_i16x8_s(m);
    const hi = i32x4.extend_high_i16x8_s(m);
    v128.store(y + o, v128.bitselect(sa ? v128.load(a + o) : av, sb ? v128.load(b + o) : bv, lo));
    v128.store(y + o, v128.bitselect(sa ? v128.load(a + o, 16) : av, sb ? v128.load(b + o, 16) : bv, hi), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const t = sc ? load<u8>(c + <usize>i) : load<u8>(c);
    store<u32>(y + o, t != 0 ? (sa ? load<u32>(a + o) : load<u32>(a)) : sb ? load<u32>(b + o) : load<u32>(b));
  }
}

/**
 * y[i] = c[i mod nc] ≠ 0 ? a[i mod na] : b[i mod nb] for i < n: c bytes, a, b and y 4-byte elements
 * (float32 or int32: the bits are selected, not computed).
 */
export function whereOp(c: usize, nc: i32, a: usize, na: i32, b: usize, nb: i32, y: usize, n: i32): void {
  const run = runLength(n, na, nb, nc);
  const sc = nc != 1;
  const sa = na != 1;
  const sb = nb != 1;
  let ic = 0;
  let ia = 0;
  let ib = 0;
  for (let base = 0; base < n; base += run) {
    const pc = c + <usize>ic;
    const pa = a + (<usize>ia << 2);
    const pb = b + (<usize>ib << 2);
    const py = y + (<usize>base << 2);
    if (sc) {
      if (sa && sb) whereRun(pc, true, pa, true, pb, true, py, run);
      else if (sa) whereRun(pc, true, pa, true, pb, false, py, run);
      else if (sb) whereRun(pc, true, pa, false, pb, true, py, run);
      else whereRun(pc, true, pa, false, pb, false, py, run);
    } else {
      if (sa && sb) whereRun(pc, false, pa, true, pb, true, py, run);
      else if (sa) whereRun(pc, false, pa, true, pb, false, py, run);
      else if (sb) whereRun(pc, false, pa, false, pb, true, py, run);
      else whereRun(pc, false, pa, false, pb, false, py, run);
    }
    if (sc && (ic += run) == nc) ic = 0;
    if (sa && (ia += run) == na) ia = 0;
    if (sb && (ib += run) == nb) ib = 0;
  }
}

/**
 * Rows [r0, r1) of y [outer, m, inner], row r = o·m + j, = row index[j] of x [outer, n, inner]
 * (4-byte elements: the bits are copied). An index outside [0, n) gives a zero row (the ops check
 * first). Disjoint row ranges may run on different threads; `work` (a chunk's scratch) is unused.
 */
export function indexSelectRows(x: usize, index: usize, y: usize, n: i32, m: i32, inner: i32, r0: i32, r1: i32, work: usize): void {
  if (m == 0 || r0 >= r1) return;
  const bytes = <usize>inner << 2;
  let o = r0 / m;
  let j = r0 - o * m;
  for (let r = r0; r < r1; r++) {
    const at = load<i32>(index + (<usize>j << 2));
    const to = y + <usize>r * bytes;
    const from = <usize>o * <usize>n + <usize>at;
    if (<u32>at >= <u32>n) memory.fill(to, 0, bytes);
    else if (inner == 1) store<u32>(to, load<u32>(x + (from << 2)));
    else memory.copy(to, x + from * bytes, bytes);
    if (++j == m) {
      j = 0;
      o++;
    }
  }
}

/**
 * The adjoint of indexSelectRows, float32, for destination rows [d0, d1) of y [outer, n, inner]
 * (row d = o·n + i): those rows = 0, then row index[j] += g's row o·m + j for each j in order that
 * lands in the range — so repeated indices add up in the TypeScript kernel's order, to the same
 * bits, and disjoint ranges may run on different threads (each scans the whole index). `work` is unused.
 */
export function indexAddRows(g: usize, index: usize, y: usize, n: i32, m: i32, inner: i32, d0: i32, d1: i32, work: usize): void {
  if (n == 0 || d0 >= d1) return;
  const bytes = <usize>inner << 2;
  memory.fill(y + <usize>d0 * bytes, 0, <usize>(d1 - d0) * bytes);
  const o1 = (d1 - 1) / n;
  for (let o = d0 / n; o <= o1; o++) {
    // The part of this o's rows in the range: index values in [lo, hi).
    const lo = max(d0 - o * n, 0);
    const hi = min(d1 - o * n, n);
    const yBase = <usize>o * <usize>n;
    for (let j = 0; j < m; j++) {
      const at = load<i32>(index + (<usize>j << 2));
      if (at < lo || at >= hi) continue;
      const to = y + (yBase + <usize>at) * bytes;
      const from = g + (<usize>o * <usize>m + <usize>j) * bytes;
      let k = 0;
      for (; k + 4 <= inner; k += 4) {
        const p = <usize>k << 2;
        v128.store(to + p, f32x4.add(v128.load(to + p), v128.load(from + p)));
      }
      for (; k < inner; k++) {
        const p = <usize>k << 2;
        store<f32>(to + p, load<f32>(to + p) + load<f32>(from + p));
      }
    }
  }
}
