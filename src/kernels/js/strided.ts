/**
 * @file The one strided walk the kernels share (copies, broadcasts, reductions): a row-major shape
 * visited in runs along its last axis, an odometer over the others stepping each operand's offset
 * by that operand's strides (0 along an axis it is broadcast or reduced over, negative for a flip).
 * A call per run, not per element, so the run's loop stays the caller's own monomorphic loop.
 */

/**
 * visit(o, offsets) for each run of `shape`'s last axis: o is the run's first row-major position,
 * offsets[k] operand k's offset there (starting at start[k], stepped by strides[k]). offsets is one
 * array, updated in place between calls.
 */
export function forEachRun(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  start: readonly number[],
  visit: (o: number, offsets: number[]) => void,
): void {
  const nd = shape.length;
  let n = 1;
  for (let d = 0; d < nd; d++) n *= shape[d];
  if (n === 0) return;
  const offsets = [...start];
  if (nd === 0) {
    visit(0, offsets);
    return;
  }
  const run = shape[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  const operands = strides.length;
  for (let o = 0; o < n; o += run) {
    visit(o, offsets);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < operands; k++) offsets[k] += strides[k][d];
      if (idx[d] < shape[d]) break;
      for (let k = 0; k < operands; k++) offsets[k] -= strides[k][d] * shape[d];
      idx[d] = 0;
    }
  }
}
