/**
 * @file Max pooling with the position of each window's first maximum (src/kernels/js/pool.ts's
 * semantics: a NaN wins, padding is -Infinity and never wins), branch-free inside the window, and
 * the common 2×2 stride-2 unpadded window four outputs at a time.
 * Geometry: the i32 fields of a `PoolGeometry` at `geo`, at the offsets src/kernels/abi.ts names.
 */
import {
  POOL_IN_H, POOL_IN_W, POOL_K_H, POOL_K_W, POOL_OUT_H, POOL_OUT_W, POOL_PAD_H, POOL_PAD_W, POOL_STRIDE_H, POOL_STRIDE_W,
} from '../src/kernels/abi';

/** Lanes where v replaces best: v is larger, or v is NaN and best is not (first maximum wins ties). */
// @ts-ignore: decorator
@inline function takes(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), v128.andnot(f32x4.ne(v, v), f32x4.ne(best, best)));
}

/** Planes [p0, p1) of a 2×2, stride-2, unpadded pooling. */
function maxPool2x2(x: usize, y: usize, argmax: usize, p0: i32, p1: i32, inH: i32, inW: i32, outH: i32, outW: i32): void {
  const step = i32x4(0, 2, 4, 6);
  for (let p = p0; p < p1; p++) {
    const plane = p * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const top = plane + 2 * oh * inW;
      const o = (p * outH + oh) * outW;
      let ow = 0;
      // Note [overlapping last vector]: a row whose width is not a multiple of four ends with one more
      // vector step over its last four outputs, rewriting some with the values they already have;
      // the scalar loop below only serves rows narrower than a vector.
      const last = outW - 4;
      for (; ow <= last || (ow < outW && last > 0); ow += 4) {
        if (ow > last) ow = last;
        const t = x + (<usize>(top + 2 * ow) << 2);
        const b = t + (<usize>inW << 2);
        const t0 = v128.load(t);
        const t1 = v128.load(t, 16);
        const b0 = v128.load(b);
        const b1 = v128.load(b, 16);
        // Window elements in row-major order: top-left, top-right, bottom-left, bottom-right.
        let best = v128.shuffle<f32>(t0, t1, 0, 2, 4, 6);
        let at = i32x4.add(i32x4.splat(top + 2 * ow), step);
        let v = v128.shuffle<f32>(t0, t1, 1, 3, 5, 7);
        let take = takes(v, best);
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(i32x4.splat(top + 2 * ow + 1), step), at, take);
        v = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
        take = takes(v, best);
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(i32x4.splat(top + inW + 2 * ow), step), at, take);
        v = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        take = takes(v, best);
        best = v128.bitselect(v, best, take);
        at = v128.bitselect(i32x4.add(i32x4.splat(top + inW + 2 * ow + 1), step), at, take);
        v128.store(y + (<usize>(o + ow) << 2), best);
        v128.store(argmax + (<usize>(o + ow) << 2), at);
      }
      for (; ow < outW; ow++) {
        let best: f32 = -Infinity;
        let at = -1;
        for (let r = 0; r < 2; r++) {
          for (let c = 0; c < 2; c++) {
            const i = top + r * inW + 2 * ow + c;
            const v = load<f32>(x + (<usize>i << 2));
            const take = v > best || at == -1 || (v != v && best == best);
            best = select<f32>(v, best, take);
            at = select<i32>(i, at, take);
          }
        }
        store<f32>(y + (<usize>(o + ow) << 2), best);
        store<i32>(argmax + (<usize>(o + ow) << 2), at);
      }
    }
  }
}

export function maxPool2d(geo: usize, x: usize, y: usize, argmax: usize, p0: i32, p1: i32): void {
  const inH = load<i32>(geo + POOL_IN_H);
  const inW = load<i32>(geo + POOL_IN_W);
  const outH = load<i32>(geo + POOL_OUT_H);
  const outW = load<i32>(geo + POOL_OUT_W);
  const kH = load<i32>(geo + POOL_K_H);
  const kW = load<i32>(geo + POOL_K_W);
  const strideH = load<i32>(geo + POOL_STRIDE_H);
  const strideW = load<i32>(geo + POOL_STRIDE_W);
  const padH = load<i32>(geo + POOL_PAD_H);
  const padW = load<i32>(geo + POOL_PAD_W);
  if (kH == 2 && kW == 2 && strideH == 2 && strideW == 2 && padH == 0 && padW == 0 && 2 * outH <= inH && 2 * outW <= inW) {
    maxPool2x2(x, y, argmax, p0, p1, inH, inW, outH, outW);
    return;
  }
  let o = p0 * outH * outW;
  for (let p = p0; p < p1; p++) {
    const plane = p * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padH;
      const hLo = max(h0, 0);
      const hHi = min(h0 + kH, inH);
      for (let ow = 0; ow < outW; ow++, o++) {
        const w0 = ow * strideW - padW;
        const wLo = max(w0, 0);
        const wHi = min(w0 + kW, inW);
        let best: f32 = -Infinity;
        let at = -1;
        for (let ih = hLo; ih < hHi; ih++) {
          const row = plane + ih * inW;
          for (let iw = wLo; iw < wHi; iw++) {
            const v = load<f32>(x + (<usize>(row + iw) << 2));
            const take = v > best || at == -1 || (v != v && best == best);
            best = select<f32>(v, best, take);
            at = select<i32>(row + iw, at, take);
          }
        }
        store<f32>(y + (<usize>o << 2), best);
        store<i32>(argmax + (<usize>o << 2), at);
      }
    }
  }
}

/**
 * out = 0, then out[index[o]] += g[o] for o in order (max pooling's backward: the adjoint of a
 * gather; repeated indices add up). An index outside [0, size) is skipped, as a typed array ignores
 * such a write in the TypeScript kernel; float32 adds in the same order, so the same bits.
 */
export function scatterAddFlat(g: usize, index: usize, n: i32, out: usize, size: i32): void {
  memory.fill(out, 0, <usize>size << 2);
  for (let o = 0; o < n; o++) {
    const at = load<i32>(index + (<usize>o << 2));
    if (<u32>at >= <u32>size) continue;
    const p = out + (<usize>at << 2);
    store<f32>(p, load<f32>(p) + load<f32>(g + (<usize>o << 2)));
  }
}
