/**
 * @file Gather and scatter-add along one axis (torch.gather, torch.scatter_add) for float32, in the
 * common layout where the index spans x on every other axis: viewed as [outer, n, inner] for x and
 * [outer, m, inner] for the index. An index outside [0, n) is skipped (the ops check indices first).
 */

/** out[o, j, k] = x[o, index[o, j, k], k]. */
export function gatherAxis(x: usize, index: usize, out: usize, outer: i32, n: i32, m: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    const xBase = <usize>o * <usize>n * <usize>inner;
    for (let j = 0; j < m; j++) {
      const p0 = (<usize>o * <usize>m + <usize>j) * <usize>inner;
      for (let k = 0; k < inner; k++) {
        const p = p0 + <usize>k;
        const at = load<i32>(index + (p << 2));
        const v: f32 = <u32>at < <u32>n ? load<f32>(x + ((xBase + <usize>at * <usize>inner + <usize>k) << 2)) : 0;
        store<f32>(out + (p << 2), v);
      }
    }
  }
}

/** out (holding x) [o, index[o, j, k], k] += src[o, j, k]; repeated indices add up, in row-major order. */
export function scatterAddAxis(src: usize, index: usize, out: usize, outer: i32, n: i32, m: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    const xBase = <usize>o * <usize>n * <usize>inner;
    for (let j = 0; j < m; j++) {
      const p0 = (<usize>o * <usize>m + <usize>j) * <usize>inner;
      for (let k = 0; k < inner; k++) {
        const p = p0 + <usize>k;
        const at = load<i32>(index + (p << 2));
        if (<u32>at >= <u32>n) continue;
        const q = out + ((xBase + <usize>at * <usize>inner + <usize>k) << 2);
        store<f32>(q, load<f32>(q) + load<f32>(src + (p << 2)));
      }
    }
  }
}
