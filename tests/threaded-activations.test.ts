/**
 * Note [threaded activations] (src/kernels/wasm/activations.ts): GELU, softmax and log-softmax calls
 * long enough are shared out over the threads by ranges of elements (multiples of four) or of whole
 * rows. Every element is computed by the same code on the same lanes, so one thread, two and three
 * give the same bits — forward and backward, both GELU forms, lengths that are not multiples of
 * four and row counts that do not divide evenly; and the calls did go to the threads.
 */
import { loadRuntime, Runtime } from '../src/kernels/wasm/runtime';
import {
  geluBackwardWasm,
  geluWasm,
  logSoftmaxBackwardWasm,
  logSoftmaxWasm,
  softmaxBackwardWasm,
  softmaxWasm,
} from '../src/kernels/wasm/activations';
import * as tg from '../src';

jest.setTimeout(60_000);

function runtime(threads: number): Runtime {
  const { runtime: rt, reason } = loadRuntime({ threads, allowRelaxed: true });
  if (rt === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  return rt;
}

function data(length: number, seed: string, scale: number): Float32Array {
  const r = tg.rng(seed);
  return Float32Array.from({ length }, () => (r.next() * 2 - 1) * scale);
}

/** The names of the kernels `rt` ran on its threads during `f`. */
function threadedCalls(rt: Runtime, f: () => void): string[] {
  const spy = jest.spyOn(rt, 'runChunks');
  try {
    f();
    return spy.mock.calls.filter(([, chunks, threads]) => threads > 1 && chunks.length > 1).map(([name]) => name);
  } finally {
    spy.mockRestore();
  }
}

/** The first index where a and b differ in their bits, or −1 (a loop: jest's deep equality is slow on 512K elements). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe('threaded activations give the bits of one thread', () => {
  const one = runtime(1);
  const many = [runtime(2), runtime(3)];
  beforeAll(async () => {
    const start = Date.now();
    while (many.some((rt) => rt.pool.ready < rt.threads - 1)) {
      if (Date.now() - start > 20000) throw new Error('the worker threads did not start');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  test.each(['none', 'tanh'] as const)('GELU (%s), forward and backward, 1024·512 + 3 elements', (approximate) => {
    const n = 1024 * 512 + 3;
    const x = data(n, `threaded gelu ${approximate}`, 6);
    const gy = data(n, `threaded gelu gy ${approximate}`, 1);
    const run = (rt: Runtime) => {
      const y = geluWasm(rt, approximate, x, new Float32Array(n));
      const gx = geluBackwardWasm(rt, approximate, gy, x, new Float32Array(n));
      return [y, gx];
    };
    const want = run(one);
    for (const rt of many) {
      let got: Float32Array[] = [];
      expect(threadedCalls(rt, () => (got = run(rt)))).toEqual(['geluForward', 'geluBackward']);
      expect(got.map((g, i) => firstDifference(g, want[i]))).toEqual(want.map(() => -1));
    }
  });

  test('softmax and log-softmax on 1121 rows of 97, forward and backward', () => {
    const rows = 1121;
    const n = 97;
    const x = data(rows * n, 'threaded softmax', 20);
    const gy = data(rows * n, 'threaded softmax gy', 1);
    const run = (rt: Runtime) => {
      const s = softmaxWasm(rt, x, rows, n, new Float32Array(rows * n));
      const gs = softmaxBackwardWasm(rt, gy, s, rows, n, new Float32Array(rows * n));
      const l = logSoftmaxWasm(rt, x, rows, n, new Float32Array(rows * n));
      const gl = logSoftmaxBackwardWasm(rt, gy, l, rows, n, new Float32Array(rows * n));
      return [s, gs, l, gl];
    };
    const want = run(one);
    for (const rt of many) {
      let got: Float32Array[] = [];
      // softmax's backward has no exponential: it stays on the serial arena.
      expect(threadedCalls(rt, () => (got = run(rt)))).toEqual(['softmaxRows', 'logSoftmaxRows', 'logSoftmaxRowsBackward']);
      expect(got.map((g, i) => firstDifference(g, want[i]))).toEqual(want.map(() => -1));
    }
  });

  test('small calls stay on one thread', () => {
    const x = data(1000, 'threaded small', 3);
    expect(threadedCalls(many[0], () => geluWasm(many[0], 'none', x, new Float32Array(1000)))).toEqual([]);
    expect(threadedCalls(many[0], () => logSoftmaxWasm(many[0], x, 10, 100, new Float32Array(1000)))).toEqual([]);
  });
});
