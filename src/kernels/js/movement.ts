/**
 * @file Data movement: strided copies (transpose, flip, slice are all strided views of the input),
 * per-axis index maps (padding in every mode), and concatenation.
 */
import type { Storage } from '../../tensor/dtype';
import { permutedView, stridesOf } from '../../tensor/shape';
import { forEachRun } from './strided';

/** out (contiguous, `shape`) = x viewed at `offset` with `strides` (which may be negative). */
export function stridedCopy(x: Storage, offset: number, strides: readonly number[], shape: readonly number[], out: Storage): Storage {
  if (x instanceof Float32Array && out instanceof Float32Array && shape.length > 0)
    return stridedCopyFloat32(x, offset, strides, shape, out);
  const nd = shape.length;
  const inner = nd === 0 ? 1 : shape[nd - 1];
  const si = nd === 0 ? 0 : strides[nd - 1];
  forEachRun(shape, [strides], [offset], (o, at) => {
    for (let j = 0, p = at[0]; j < inner; j++, p += si) out[o + j] = x[p];
  });
  return out;
}

/**
 * stridedCopy for float32 on both sides, the transformer's transposes and broadcasts (issue 29): its
 * own loop, so the element accesses see one array type (Note [monomorphic loops] in elementwise.ts;
 * the shared loop above sees every dtype and is megamorphic), and the odometer inline instead of a
 * call per run. The same elements in the same order.
 */
function stridedCopyFloat32(
  x: Float32Array,
  offset: number,
  strides: readonly number[],
  shape: readonly number[],
  out: Float32Array,
): Float32Array {
  const nd = shape.length;
  const n = out.length;
  if (n === 0) return out;
  const inner = shape[nd - 1];
  const si = strides[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let at = offset;
  for (let o = 0; o < n; o += inner) {
    for (let j = 0, p = at; j < inner; j++, p += si) out[o + j] = x[p];
    for (let d = nd - 2; d >= 0; d--) {
      at += strides[d];
      if (++idx[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

export function transpose(x: Storage, shape: readonly number[], perm: readonly number[], out: Storage): Storage {
  const view = permutedView(shape, perm);
  return stridedCopy(x, 0, view.strides, view.shape, out);
}

/**
 * For per-axis index maps (along axis d, output position j reads input position maps[d][j], or
 * nothing where that is -1), the flat input offset each output element reads, or -1. Built one axis
 * at a time, so the cost is one pass over the output rather than one pass per axis per element.
 */
function sourceOffsets(inShape: readonly number[], maps: readonly Int32Array[]): Int32Array {
  const inStrides = stridesOf(inShape);
  let offsets = Int32Array.of(0);
  maps.forEach((map, d) => {
    const next = new Int32Array(offsets.length * map.length);
    let k = 0;
    for (let i = 0; i < offsets.length; i++) {
      const base = offsets[i];
      for (let j = 0; j < map.length; j++, k++) next[k] = base < 0 || map[j] < 0 ? -1 : base + map[j] * inStrides[d];
    }
    offsets = next;
  });
  return offsets;
}

/**
 * The last axis's map as runs: [start, length, source] triples, where source ≥ 0 starts a run of
 * consecutive input positions and -1 is a run of fill.
 */
function lastAxisRuns(map: Int32Array): number[] {
  const runs: number[] = [];
  for (let j = 0; j < map.length;) {
    const src = map[j];
    let k = j + 1;
    if (src < 0) while (k < map.length && map[k] < 0) k++;
    else while (k < map.length && map[k] === src + (k - j)) k++;
    runs.push(j, k - j, src < 0 ? -1 : src);
    j = k;
  }
  return runs;
}

/**
 * Gathers by per-axis index maps, with `fill` where a map says -1. Padding in every mode is such a
 * gather. The leading axes' offsets are computed per row and the last axis is copied in runs (a
 * slice's backward, a constant pad, is one fill and one block copy per row).
 */
export function gatherAxes(x: Storage, inShape: readonly number[], maps: readonly Int32Array[], fill: number, out: Storage): Storage {
  const nd = maps.length;
  if (nd === 0) {
    if (out.length > 0) out[0] = x[0];
    return out;
  }
  // Offsets of the rows (every axis but the last), in the full input's strides.
  const lead = sourceOffsets(inShape, [...maps.slice(0, nd - 1), Int32Array.of(0)]);
  const m = maps[nd - 1].length;
  const runs = lastAxisRuns(maps[nd - 1]);
  for (let i = 0; i < lead.length; i++) {
    const base = lead[i];
    const row = i * m;
    if (base < 0) {
      out.fill(fill, row, row + m);
      continue;
    }
    for (let r = 0; r < runs.length; r += 3) {
      const at = row + runs[r];
      const len = runs[r + 1];
      const src = runs[r + 2];
      if (src < 0) out.fill(fill, at, at + len);
      else if (len === 1) out[at] = x[base + src];
      else out.set(x.subarray(base + src, base + src + len), at);
    }
  }
  return out;
}

/** The adjoint of gatherAxes: adds each g element into the input position it was read from. */
export function scatterAddAxes(g: Storage, inShape: readonly number[], maps: readonly Int32Array[], out: Storage): Storage {
  out.fill(0);
  const offsets = sourceOffsets(inShape, maps);
  for (let o = 0; o < g.length; o++) if (offsets[o] >= 0) out[offsets[o]] += g[o];
  return out;
}

/** Concatenates blocks along `axis`: each part is [outer, part.inner] when viewed around the axis. */
export function concat(parts: readonly Storage[], shapes: readonly (readonly number[])[], axis: number, out: Storage): Storage {
  const outer = shapes[0].slice(0, axis).reduce((a, b) => a * b, 1);
  const rows = parts.map((_, k) => shapes[k].slice(axis).reduce((a, b) => a * b, 1));
  const total = rows.reduce((a, b) => a + b, 0);
  for (let o = 0; o < outer; o++) {
    let at = o * total;
    for (let k = 0; k < parts.length; k++) {
      const r = rows[k];
      out.set(parts[k].subarray(o * r, o * r + r), at);
      at += r;
    }
  }
  return out;
}
