/**
 * @file Matrix multiply on typed arrays in TypeScript: the float64 path, the fallback for float32,
 * and the loop the WebAssembly GEMM is checked against. i-k-j order (unit stride over b and out) with
 * four rows of a at a time, so each loaded row of b feeds four accumulations.
 */
import type { Storage } from '../../tensor/dtype';
import { addendRepeats } from '../types';

/** out[m,n] (+)= op(a)[m,k] @ op(b)[k,n] (+ addend): the contract of `Kernels.gemm` (src/kernels/kernels.ts). */
export function gemmJs(
  a: Storage,
  aOff: number,
  b: Storage,
  bOff: number,
  out: Storage,
  oOff: number,
  m: number,
  k: number,
  n: number,
  accumulate = false,
  transA = false,
  transB = false,
  addend: Storage | null = null,
): void {
  // op(a)(i,p) = a[aOff + i·rsa + p·csa].
  const rsa = transA ? 1 : k;
  const csa = transA ? m : 1;
  if (transB) {
    // Rows of b are columns of op(b): dot products run along contiguous rows of both (when !transA).
    for (let i = 0; i < m; i++) {
      const ai = aOff + i * rsa;
      for (let j = 0; j < n; j++) {
        const bj = bOff + j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p * csa] * b[bj + p];
        out[oOff + i * n + j] = accumulate ? out[oOff + i * n + j] + s : s;
      }
    }
    if (addend !== null) addRepeating(out, oOff, m * n, addend);
    return;
  }
  if (!accumulate) out.fill(0, oOff, oOff + m * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const r0 = oOff + i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    const a0 = aOff + i * rsa;
    for (let p = 0; p < k; p++) {
      const ap = a0 + p * csa;
      const x0 = a[ap];
      const x1 = a[ap + rsa];
      const x2 = a[ap + 2 * rsa];
      const x3 = a[ap + 3 * rsa];
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
    const ai = aOff + i * rsa;
    for (let p = 0; p < k; p++) {
      const x = a[ai + p * csa];
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) out[r + j] += x * b[bRow + j];
    }
  }
  if (addend !== null) addRepeating(out, oOff, m * n, addend);
}

/**
 * out[at + i] += addend[i mod addend.length] for i in [0, count): a linear layer's bias on every row,
 * an attention mask on every entry (Note [product epilogue] in src/ops/matmul.ts). One rounding per
 * element, as a separate add would make.
 */
export function addRepeating(out: Storage, at: number, count: number, addend: Storage): void {
  if (!addendRepeats(addend.length, count)) return;
  const len = addend.length;
  for (let base = 0; base < count; base += len) {
    for (let j = 0; j < len; j++) out[at + base + j] += addend[j];
  }
}
