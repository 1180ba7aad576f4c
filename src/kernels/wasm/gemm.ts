/**
 * @file The WebAssembly GEMM (float32) behind `Kernels.gemm`: operands copied into the runtime's arena, the
 * product split across threads when it is large enough to pay for the hand-off, the result copied out.
 */
import { BINARY_ADD } from '../abi';
import { addendRepeats } from '../types';
import { copyIn, copyOut } from './operands';
import type { Runtime } from './runtime';

/** A split of C[m,n] into chunks along its longer side, in whole micro-tiles (8 columns or 4 rows). */
interface Split {
  alongN: boolean;
  /** Chunk boundaries along the split side: chunk t covers [bounds[t], bounds[t+1]). */
  bounds: number[];
}

/**
 * `threads` chunks, or for several threads 2·threads chunks of falling size — the first half of
 * them take three quarters of the work — so that the last chunks, which the threads finish at
 * different times, are short and the tail where one thread waits for another is too.
 */
function split(m: number, n: number, threads: number): Split {
  const alongN = n >= m;
  const extent = alongN ? n : m;
  const unit = alongN ? 8 : 4;
  const units = Math.ceil(extent / unit);
  const weights = threads === 1 ? [1] : [...new Array<number>(threads).fill(3), ...new Array<number>(threads).fill(1)];
  const total = weights.reduce((a, b) => a + b, 0);
  const bounds = [0];
  for (let t = 0, acc = 0; t < weights.length; t++) {
    acc += weights[t];
    const end = Math.min(extent, Math.round((acc * units) / total) * unit);
    if (end > bounds[bounds.length - 1]) bounds.push(end);
  }
  return { alongN, bounds };
}

/**
 * C[m,n] (+)= op(A) op(B) for operands already in wasm memory at byte offsets pa, pb, pc (C's row
 * stride n; element (i,p) of op(A) at pa + 4·(i·rsa + p·csa), likewise B), on as many threads as
 * pay for themselves. Reserves the per-thread scratch from the arena.
 */
export function gemmInMemory(
  rt: Runtime,
  m: number,
  n: number,
  k: number,
  pa: number,
  rsa: number,
  csa: number,
  pb: number,
  rsb: number,
  csb: number,
  pc: number,
  accumulate: boolean,
): void {
  const threads = rt.threadsFor(m * n * k);
  // Two chunks per thread, so that a worker that starts late or runs slow (a busy machine) hands
  // its second chunk to the main thread. Each chunk re-packs the operand all chunks share: for
  // [256,512]@[512,256] four chunks cost 4% more than one on a single thread, eight 10%.
  const { alongN, bounds } = split(m, n, threads);
  const widest = Math.max(...bounds.slice(1).map((b, t) => b - bounds[t]));
  const stride = (rt.exports.gemmScratchBytes(alongN ? m : widest, alongN ? widest : n, k) + 63) & ~63;
  const work = rt.reserve(stride * threads);
  const acc = accumulate ? 1 : 0;
  const chunks: number[][] = [];
  for (let t = 0; t + 1 < bounds.length; t++) {
    const start = bounds[t];
    const size = bounds[t + 1] - start;
    chunks.push(
      alongN
        ? [m, size, k, pa, rsa, csa, pb + 4 * start * csb, rsb, csb, pc + 4 * start, n, acc]
        : [size, n, k, pa + 4 * start * rsa, rsa, csa, pb, rsb, csb, pc + 4 * start * n, n, acc],
    );
  }
  rt.runChunks('gemm', chunks, threads, work, stride);
}

/**
 * out[oOff..][m,n] (+)= op(a)[m,k] · op(b)[k,n] where op transposes when asked: a is stored [m,k]
 * row-major, or [k,m] with transA; b is [k,n], or [n,k] with transB.
 */
export function gemmWasm(
  rt: Runtime,
  a: Float32Array,
  aOff: number,
  b: Float32Array,
  bOff: number,
  out: Float32Array,
  oOff: number,
  m: number,
  k: number,
  n: number,
  accumulate: boolean,
  transA: boolean,
  transB: boolean,
  addend: Float32Array | null = null,
): void {
  rt.reset();
  const pa = copyIn(rt, a.subarray(aOff, aOff + m * k));
  const pb = copyIn(rt, b.subarray(bOff, bOff + k * n));
  const pc = accumulate ? copyIn(rt, out.subarray(oOff, oOff + m * n)) : rt.reserve(4 * m * n);
  gemmInMemory(rt, m, n, k, pa, transA ? 1 : k, transA ? m : 1, pb, transB ? 1 : n, transB ? k : 1, pc, accumulate);
  addInMemory(rt, pc, m * n, addend);
  copyOut(rt, pc, out, oOff, m * n);
}

/**
 * The product's addend (Note [product epilogue] in src/ops/matmul.ts) added in place while the
 * result is still in the arena: one more pass over memory in cache instead of an add kernel that
 * copies the product in and out again.
 */
function addInMemory(rt: Runtime, pc: number, count: number, addend: Float32Array | null): void {
  if (addend === null || !addendRepeats(addend.length, count)) return;
  const pd = copyIn(rt, addend);
  rt.exports.binaryOp(BINARY_ADD, pc, count, pd, addend.length, pc, count);
}

/**
 * The batched products of Note [batched products] (src/ops/matmul.ts): a and b copied into the arena
 * once each (whole), every entry's product run in place, the results copied out once.
 */
export function gemmBatchedWasm(
  rt: Runtime,
  a: Float32Array,
  aOffsets: readonly number[],
  b: Float32Array,
  bOffsets: readonly number[],
  out: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  addend: Float32Array | null = null,
): void {
  rt.reset();
  const pa = copyIn(rt, a);
  const pb = copyIn(rt, b);
  const count = aOffsets.length;
  // The products fill count·m·n elements of out, as the TypeScript kernel writes them; the rest of a
  // longer out is left as it was.
  const size = count * m * n;
  const pc = rt.reserve(4 * size);
  // Entry t's operands: op(A) at pa + 4·aOffsets[t] (row and column strides), op(B) likewise, C.
  const rsa = transA ? 1 : k;
  const csa = transA ? m : 1;
  const rsb = transB ? 1 : n;
  const csb = transB ? k : 1;
  const threads = rt.threadsFor(count * m * n * k);
  if (count > 1 && threads > 1 && rt.threadsFor(m * n * k) === 1) {
    // Note [entries over threads]: entries too small to split (attention's [64,32]·[32,64]) are
    // shared out whole — one chunk per entry, each the very call the loop below would make, so the
    // same bits. The loop ran them one after another on the calling thread.
    const stride = (rt.exports.gemmScratchBytes(m, n, k) + 63) & ~63;
    const work = rt.reserve(stride * threads);
    const chunks = aOffsets.map((aOffset, t) => [
      m,
      n,
      k,
      pa + 4 * aOffset,
      rsa,
      csa,
      pb + 4 * bOffsets[t],
      rsb,
      csb,
      pc + 4 * t * m * n,
      n,
      0,
    ]);
    rt.runChunks('gemm', chunks, threads, work, stride);
  } else {
    const base = rt.reserve(0);
    for (let t = 0; t < count; t++) {
      // Each entry's scratch is reserved above the operands and given back before the next.
      rt.rewind(base);
      gemmInMemory(rt, m, n, k, pa + 4 * aOffsets[t], rsa, csa, pb + 4 * bOffsets[t], rsb, csb, pc + 4 * t * m * n, false);
    }
  }
  addInMemory(rt, pc, size, addend);
  copyOut(rt, pc, out, 0, size);
}
