/**
 * Independent float64 reference loops for the float32 fast-path tests: the textbook definitions,
 * written here from the formulas (PyTorch's documentation of each op), sharing no code with src/.
 * Inputs are plain arrays of the float32 values; everything is computed in float64.
 */

export interface Conv2dSpec {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  fh: number;
  fw: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
}

export const convOut = (n: number, f: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (f - 1) - 1) / s) + 1;

/**
 * y[n,k,oh,ow] = b[k] + Σ_{c,i,j} x[n, g·cg + c, oh·s − p + i·d, ow·s − p + j·d] · w[k,c,i,j], and the
 * gradients of Σ y·gy with respect to x, w and b — each by visiting the same (output, tap) pairs.
 */
export function conv2dRef(s: Conv2dSpec, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, gy?: ArrayLike<number>) {
  const oh = convOut(s.h, s.fh, s.stride[0], s.padding[0], s.dilation[0]);
  const ow = convOut(s.w, s.fw, s.stride[1], s.padding[1], s.dilation[1]);
  const cg = s.c / s.groups;
  const kg = s.k / s.groups;
  const y = new Float64Array(s.n * s.k * oh * ow);
  const gx = new Float64Array(x.length);
  const gw = new Float64Array(w.length);
  const gb = new Float64Array(s.k);
  for (let n = 0; n < s.n; n++)
    for (let k = 0; k < s.k; k++)
      for (let a = 0; a < oh; a++)
        for (let q = 0; q < ow; q++) {
          const o = ((n * s.k + k) * oh + a) * ow + q;
          let acc = b ? b[k] : 0;
          const g = gy ? gy[o] : 0;
          gb[k] += g;
          for (let c = 0; c < cg; c++)
            for (let i = 0; i < s.fh; i++)
              for (let j = 0; j < s.fw; j++) {
                const ih = a * s.stride[0] - s.padding[0] + i * s.dilation[0];
                const iw = q * s.stride[1] - s.padding[1] + j * s.dilation[1];
                if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) continue;
                const xi = ((n * s.c + Math.floor(k / kg) * cg + c) * s.h + ih) * s.w + iw;
                const wi = ((k * cg + c) * s.fh + i) * s.fw + j;
                acc += x[xi] * w[wi];
                gx[xi] += g * w[wi];
                gw[wi] += g * x[xi];
              }
          y[o] = acc;
        }
  return { y, gx, gw, gb, shape: [s.n, s.k, oh, ow] };
}

/** C[m,n] = Σ_p A[m,p] B[p,n]. */
export function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out[i * n + j] = s;
    }
  return out;
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1] * shape[i + 1];
  return out;
}

/** Each flat index of `shape`, as its multi-index. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  const total = shape.reduce((a, b) => a * b, 1);
  const st = strides(shape);
  for (let f = 0; f < total; f++) yield shape.map((_, d) => Math.floor(f / st[d]) % shape[d]);
}

/** The flat index of `idx` in `shape`, with size-1 axes broadcast (NumPy rules, right-aligned). */
export function broadcastIndex(idx: readonly number[], shape: readonly number[]): number {
  const st = strides(shape);
  const lead = idx.length - shape.length;
  let f = 0;
  for (let d = 0; d < shape.length; d++) f += (shape[d] === 1 ? 0 : idx[lead + d]) * st[d];
  return f;
}

/** Largest |v|, at least 1e-30 (a tolerance scale). */
export function magnitude(v: ArrayLike<number>): number {
  let m = 1e-30;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** The largest |a − b| over the elements, and where it is (NaN anywhere counts as infinite). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { diff: number; at: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let diff = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Number.isNaN(a[i]) !== Number.isNaN(b[i]) ? Infinity : Number.isNaN(a[i]) ? 0 : Math.abs(a[i] - b[i]);
    if (d > diff) {
      diff = d;
      at = i;
    }
  }
  return { diff, at };
}
