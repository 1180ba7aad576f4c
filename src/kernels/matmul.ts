/**
 * @file Matrix multiply on typed arrays. The loop order is i-k-j (unit stride over b and out) with
 * four rows of a at a time, so each loaded row of b feeds four accumulations.
 */
import type { Storage } from '../tensor/dtype';

/** out[m,n] (+)= a[m,k] @ b[k,n], each at the given offsets; `accumulate` keeps out's contents. */
export function gemm(a: Storage, aOff: number, b: Storage, bOff: number, out: Storage, oOff: number,
  m: number, k: number, n: number, accumulate = false): void {
  if (!accumulate) out.fill(0, oOff, oOff + m * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const r0 = oOff + i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const a0 = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const x0 = a[a0 + p];
      const x1 = a[a0 + k + p];
      const x2 = a[a0 + 2 * k + p];
      const x3 = a[a0 + 3 * k + p];
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) {
        const w = b[bRow + j];
        out[r0 + j] += x0 * w;
        out[r1 + j] += x1 * w;
        out[r2 + j] += x2 * w;
        out[r3 + j] += x3 * w;
      }
    }
  }
  for (; i < m; i++) {
    const r = oOff + i * n;
    const ai = aOff + i * k;
    for (let p = 0; p < k; p++) {
      const x = a[ai + p];
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) out[r + j] += x * b[bRow + j];
    }
  }
}

/** The plain triple loop the fast kernels are tested against. */
export function gemmReference(a: Storage, b: Storage, out: Storage, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out[i * n + j] = s;
    }
  }
}
