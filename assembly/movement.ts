/**
 * @file A strided copy of float32 elements (transposes, the attention's head splits and merges,
 * broadcasts): out, row-major in `shape`, reads x at `start` stepped by each axis's stride (0 to
 * broadcast, negative to flip). Runs along the last axis with stride 1 move four elements at a time
 * (conv.ts's copyRun). Loads and stores move bits, so every value, NaN payloads included, arrives
 * unchanged.
 */
import { copyRun } from './conv';

/**
 * dims holds nd shape entries then nd strides (i32); idx is nd i32 of scratch for the odometer.
 * x + 4·start is the first element read; the caller placed every element the strides reach.
 */
export function stridedCopy(x: usize, start: i32, out: usize, n: i32, nd: i32, dims: usize, idx: usize): void {
  if (n == 0) return;
  const inner = load<i32>(dims + (<usize>(nd - 1) << 2));
  const si = load<i32>(dims + (<usize>(2 * nd - 1) << 2));
  for (let d = 0; d < nd; d++) store<i32>(idx + (<usize>d << 2), 0);
  let at: isize = start;
  for (let o = 0; o < n; o += inner) {
    const dst = out + (<usize>o << 2);
    const src = x + (<usize>at << 2);
    if (si == 1) {
      copyRun(dst, src, inner);
    } else {
      let p = src;
      const step = <isize>si << 2;
      for (let j = 0; j < inner; j++) {
        store<i32>(dst + (<usize>j << 2), load<i32>(p));
        p += step;
      }
    }
    for (let d = nd - 2; d >= 0; d--) {
      const stride = <isize>load<i32>(dims + (<usize>(nd + d) << 2));
      const count = load<i32>(idx + (<usize>d << 2)) + 1;
      at += stride;
      if (count < load<i32>(dims + (<usize>d << 2))) {
        store<i32>(idx + (<usize>d << 2), count);
        break;
      }
      at -= stride * <isize>count;
      store<i32>(idx + (<usize>d << 2), 0);
    }
  }
}
