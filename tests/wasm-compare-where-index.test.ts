/**
 * The WebAssembly comparisons, `where` and index selection (assembly/select.ts) against independent
 * float64 reference loops written here and against the TypeScript kernels, bit for bit: float32 at
 * sizes around and above the thresholds (Note [selection thresholds]: threshold − 1, the threshold,
 * + 1, lengths that are not multiples of 4 or 16, one element), every comparison and logical op,
 * NaN, ±0 and ±Infinity operands, each broadcast layout the kernels take and some they leave to
 * TypeScript, indexSelect along every axis with repeated and negative indices and its backward,
 * and gather (with its backward, a scatterAdd) on large tensors.
 * Each runs on the TypeScript kernels (TAPEGRAD_WASM=0) and the WebAssembly ones on 1 and 3 threads
 * (TAPEGRAD_THREADS=1, 3); spies on the WebAssembly wrappers check which calls really took that path.
 */
import * as tg from '../src';
import { CompareOp, jsKernels, kernels, Kernels, selectKernels, useKernels } from '../src/kernels';
import { createWasmKernels, WASM_MIN, WASM_SELECT_MIN } from '../src/kernels/wasm/backend';
import { loadRuntime } from '../src/kernels/wasm/runtime';
import * as select from '../src/kernels/wasm/select';
import * as indexing from '../src/kernels/wasm/indexing';
import { copyIn, copyOut } from '../src/kernels/wasm/operands';

jest.setTimeout(120_000);

const random = tg.rng('wasm-compare-where-index');

/** The values comparisons trip on, mixed into random ones: NaN, both zeros, both infinities, ties. */
const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 1, -1, 0.5, 2.5];

/** float32 values: a quarter special, a quarter from a few small numbers (so that ties are common), the rest random. */
function values(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = random.next();
    if (u < 0.25) x[i] = SPECIAL[Math.floor(random.next() * SPECIAL.length)];
    else if (u < 0.5) x[i] = Math.floor(random.next() * 9) / 2 - 2;
    else x[i] = (random.next() * 2 - 1) * 100;
  }
  return x;
}

function bools(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => (random.next() < 0.5 ? 1 : 0));
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** For each row-major position of outShape, the position in an operand of `shape` broadcast to it (written out per axis). */
function sourceOf(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = sizeOf(outShape);
  const nd = outShape.length;
  const lead = nd - shape.length;
  const at = new Int32Array(n);
  const coord = new Array<number>(nd).fill(0);
  for (let i = 0; i < n; i++) {
    let rest = i;
    for (let d = nd - 1; d >= 0; d--) {
      coord[d] = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
    }
    let p = 0;
    for (let d = 0; d < shape.length; d++) p = p * shape[d] + (shape[d] === 1 ? 0 : coord[lead + d]);
    at[i] = p;
  }
  return at;
}

/** What PyTorch computes, spelled out: IEEE comparisons (any NaN makes all false but `ne`), logical ops on x ≠ 0. */
const ordered = (x: number, y: number) => !Number.isNaN(x) && !Number.isNaN(y);
const REFERENCE: Record<CompareOp, (x: number, y: number) => boolean> = {
  eq: (x, y) => ordered(x, y) && !(x < y) && !(y < x),
  ne: (x, y) => !ordered(x, y) || x < y || y < x,
  lt: (x, y) => ordered(x, y) && !(y <= x),
  le: (x, y) => ordered(x, y) && !(y < x),
  gt: (x, y) => ordered(x, y) && !(x <= y),
  ge: (x, y) => ordered(x, y) && !(x < y),
  and: (x, y) => !(x === 0) && !(y === 0),
  or: (x, y) => !(x === 0) || !(y === 0),
  xor: (x, y) => !(x === 0) !== !(y === 0),
};
const OPS = Object.keys(REFERENCE) as CompareOp[];

function compareReference(
  op: CompareOp,
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  outShape: number[],
): Uint8Array {
  const ia = sourceOf(aShape, outShape);
  const ib = sourceOf(bShape, outShape);
  const f = REFERENCE[op];
  return Uint8Array.from(ia, (p, i) => (f(a[p], b[ib[i]]) ? 1 : 0));
}

function expectSameElements(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

const T = WASM_SELECT_MIN;

/** Broadcast layouts: [aShape, bShape] and whether the WebAssembly kernel takes them (above the threshold). */
function compareLayouts(): [string, number[], number[], boolean][] {
  return [
    ['one element', [1], [1], false],
    ['same shape, threshold − 1', [T.compare - 1], [T.compare - 1], false],
    ['same shape, the threshold', [T.compare], [T.compare], true],
    ['same shape, threshold + 1', [T.compare + 1], [T.compare + 1], true],
    ['same shape, threshold + 3', [T.compare + 3], [T.compare + 3], true],
    ['same shape, large and odd', [37, 3, 1031], [37, 3, 1031], true],
    ['scalar right', [61, 67], [], true],
    ['scalar left', [1], [61, 67], true],
    ['row of 13 against [253, 13]', [253, 13], [13], true],
    ['[1, 17] row on the left', [1, 17], [5, 31, 17], true],
    ['leading block of [7, 19] against [29, 7, 19]', [7, 19], [29, 7, 19], true],
    ['a middle axis broadcast (TypeScript)', [31, 1, 19], [31, 7, 19], false],
    ['column against row (TypeScript)', [97, 1], [1, 89], false],
  ];
}

/** Which layouts of (cond, a, b) `where` gets, and whether WebAssembly takes them. */
function whereLayouts(): [string, number[], number[], number[], boolean][] {
  return [
    ['one element', [1], [1], [1], false],
    ['same shape, threshold − 1', [T.where - 1], [T.where - 1], [T.where - 1], false],
    ['same shape, the threshold', [T.where], [T.where], [T.where], true],
    ['same shape, threshold + 1', [T.where + 1], [T.where + 1], [T.where + 1], true],
    ['same shape, large and odd', [41, 3, 523], [41, 3, 523], [41, 3, 523], true],
    ['scalar b', [71, 59], [71, 59], [], true],
    ['scalar a, row of b', [71, 59], [1], [59], true],
    ['row condition, scalar b', [59], [71, 59], [], true],
    ['scalar condition', [], [71, 59], [71, 59], true],
    ['rows of 3 everywhere', [3], [3], [700, 3], true],
    ['a middle axis broadcast (TypeScript)', [31, 1, 19], [31, 7, 19], [19], false],
  ];
}

interface Config {
  name: string;
  make: () => Promise<Kernels>;
  wasm: boolean;
}

async function wasmKernels(threads: number): Promise<Kernels> {
  const { runtime, reason } = loadRuntime({ threads, allowRelaxed: true });
  if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
  const deadline = Date.now() + 20_000;
  while (runtime.pool.ready < threads - 1) {
    if (Date.now() > deadline) throw new Error(`the ${threads - 1} kernel workers did not start within 20 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return createWasmKernels(runtime, jsKernels);
}

const configs: Config[] = [
  { name: 'TypeScript (TAPEGRAD_WASM=0)', make: async () => selectKernels({ wasm: 'off' }), wasm: false },
  { name: 'WebAssembly, 1 thread (TAPEGRAD_THREADS=1)', make: () => wasmKernels(1), wasm: true },
  { name: 'WebAssembly, 3 threads (TAPEGRAD_THREADS=3)', make: () => wasmKernels(3), wasm: true },
];

/** The WebAssembly wrappers, watched (they still run): which calls the backend sent to WebAssembly. */
const spies = {
  compare: jest.spyOn(select, 'compareWasm'),
  where: jest.spyOn(select, 'whereWasm'),
  indexSelect: jest.spyOn(select, 'indexSelectWasm'),
  indexAdd: jest.spyOn(select, 'indexAddWasm'),
  gather: jest.spyOn(indexing, 'gatherAxisWasm'),
  scatterAdd: jest.spyOn(indexing, 'scatterAddAxisWasm'),
};

describe.each(configs)('$name', ({ make, wasm }) => {
  let saved: Kernels;
  let k: Kernels;
  beforeAll(async () => {
    saved = kernels();
    k = useKernels(await make());
  });
  afterAll(() => {
    useKernels(saved);
  });
  beforeEach(() => Object.values(spies).forEach((s) => s.mockClear()));

  /** The calls that took the WebAssembly path: none on the TypeScript kernels, `expected` on the WebAssembly ones. */
  const expectWasmCalls = (spy: jest.SpyInstance, expected: number) => expect(spy).toHaveBeenCalledTimes(wasm ? expected : 0);

  test.each(compareLayouts())('every comparison and logical op: %s', (_name, aShape, bShape, takesWasm) => {
    const outShape = tg.broadcastShapes('compare', aShape, bShape);
    const a = values(sizeOf(aShape));
    const b = values(sizeOf(bShape));
    for (const op of OPS) {
      const want = compareReference(op, a, aShape, b, bShape, outShape);
      const got = k.compare(op, a, aShape, b, bShape, outShape, new Uint8Array(want.length));
      expectSameElements(`${op} ${aShape} ${bShape}`, got, want);
      const ts = jsKernels.compare(op, a, aShape, b, bShape, outShape, new Uint8Array(want.length));
      expectSameElements(`${op} against the TypeScript kernel`, got, ts);
    }
    expectWasmCalls(spies.compare, takesWasm ? OPS.length : 0);
  });

  test('comparisons through the ops, hand-checked at NaN, ±0 and ±Infinity above the threshold', () => {
    const n = T.compare + 5;
    const a = new Float32Array(n).fill(1);
    const b = new Float32Array(n).fill(2);
    // [a, b] pairs at the start, at a multiple of 16, and in the scalar tail.
    const pairs: [number, number][] = [
      [NaN, NaN],
      [NaN, 1],
      [1, NaN],
      [0, -0],
      [-0, 0],
      [Infinity, Infinity],
      [-Infinity, Infinity],
      [3, 3],
    ];
    const places = [0, 16 * 10, n - pairs.length];
    for (const at of places) pairs.forEach(([x, y], j) => ((a[at + j] = x), (b[at + j] = y)));
    const ta = tg.tensor(a);
    const tb = tg.tensor(b);
    //                         NaN,NaN NaN,1  1,NaN  0,-0   -0,0   inf,inf -inf,inf 3,3
    const want: Record<string, boolean[]> = {
      eq: [false, false, false, true, true, true, false, true],
      ne: [true, true, true, false, false, false, true, false],
      lt: [false, false, false, false, false, false, true, false],
      le: [false, false, false, true, true, true, true, true],
      gt: [false, false, false, false, false, false, false, false],
      ge: [false, false, false, true, true, true, false, true],
    };
    const results: Record<string, tg.Tensor> = {
      eq: tg.eq(ta, tb),
      ne: ta.ne(tb),
      lt: tg.lt(ta, tb),
      le: ta.le(tb),
      gt: tg.gt(ta, tb),
      ge: ta.ge(tb),
    };
    for (const [op, y] of Object.entries(results)) {
      expect(y.dtype).toBe('bool');
      expect(y.shape).toEqual([n]);
      const data = y.data as Uint8Array;
      for (const at of places) expect([...data.subarray(at, at + pairs.length)].map(Boolean)).toEqual(want[op]);
      // Everywhere else 1 against 2.
      expect(data[8]).toBe(op === 'ne' || op === 'lt' || op === 'le' ? 1 : 0);
    }
    expect(tg.isNan(ta).data[0]).toBe(1);
    expect(tg.isNan(ta).data[3]).toBe(0);
    expectWasmCalls(spies.compare, 6 + 2);
  });

  test.each(whereLayouts())('where, float32 and int32 branches: %s', (_name, cShape, aShape, bShape, takesWasm) => {
    const outShape = tg.broadcastShapes('where', tg.broadcastShapes('where', cShape, aShape), bShape);
    const cond = bools(sizeOf(cShape));
    const ic = sourceOf(cShape, outShape);
    const ia = sourceOf(aShape, outShape);
    const ib = sourceOf(bShape, outShape);
    for (const dtype of ['float32', 'int32'] as const) {
      const a =
        dtype === 'float32' ? values(sizeOf(aShape)) : Int32Array.from(values(sizeOf(aShape)), (v) => (Number.isFinite(v) ? v * 1e6 : -7));
      const b =
        dtype === 'float32' ? values(sizeOf(bShape)) : Int32Array.from(values(sizeOf(bShape)), (v) => (Number.isFinite(v) ? v * 1e6 : 9));
      const want = Float64Array.from(ic, (pc, i) => (cond[pc] === 1 ? a[ia[i]] : b[ib[i]]));
      const out = dtype === 'float32' ? new Float32Array(want.length) : new Int32Array(want.length);
      const got = k.where(cond, cShape, a, aShape, b, bShape, outShape, out);
      expectSameElements(`where ${dtype}`, got, want);
      const ts = jsKernels.where(
        cond,
        cShape,
        a,
        aShape,
        b,
        bShape,
        outShape,
        dtype === 'float32' ? new Float32Array(want.length) : new Int32Array(want.length),
      );
      expectSameElements(`where ${dtype} against the TypeScript kernel`, got, ts);
    }
    expectWasmCalls(spies.where, takesWasm ? 2 : 0);
  });

  test('where through the op: NaN and -0 pass through, numbers broadcast, the gradient routes by the condition', () => {
    const n = T.where + 7;
    const x = values(n);
    x[1] = NaN;
    x[2] = -0;
    const cond = bools(n);
    cond[1] = 1;
    cond[2] = 1;
    const tx = tg.tensor(x, { requiresGrad: true });
    const tc = tg.tensor(cond, { dtype: 'bool' });
    const y = tg.where(tc, tx, 0.25);
    expect(y.dtype).toBe('float32');
    expect(Number.isNaN(y.data[1])).toBe(true);
    expect(Object.is(y.data[2], -0)).toBe(true);
    for (let i = 0; i < n; i++) expect(Object.is(y.data[i], cond[i] === 1 ? x[i] : 0.25)).toBe(true);
    const gy = values(n).map((v) => (Number.isFinite(v) ? v : 3));
    y.backward(tg.tensor(gy));
    for (let i = 0; i < n; i++) expect(tx.grad!.data[i]).toBe(cond[i] === 1 ? gy[i] : 0);
    // The forward, and the backward's where(cond, gy, 0).
    expectWasmCalls(spies.where, 2);
  });

  /** x [6, 29, 11] (1914 elements) selected along each axis, with repeats; the outputs straddle the threshold. */
  const shape = [6, 29, 11];
  const selections: [string, number, number[], boolean][] = [
    // Rows of 29·11 = 319: longer than indexSelectRow, so TypeScript's row copies (the adjoint is WebAssembly).
    ['axis 0, repeated', 0, [5, 0, 5, 5, 2, 1, 0], false], // out 7·29·11 = 2233
    ['axis 0, one too few for the threshold', 0, [1, 1, 1, 1, 1, 1], false], // out 1914
    [
      'axis 1, repeated and reversed',
      1,
      [28, 27, 3, 3, 3, 0, 1, 2, 28, 14, 14, 7, 6, 5, 4, 3, 2, 1, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 10],
      true,
    ],
    ['axis 2, every column twice and one more', 2, [...Array.from({ length: 11 }, (_, i) => [10 - i, 10 - i]).flat(), 4], true], // out 6·29·23 = 4002
    ['axis 2, no index', 2, [], false],
  ];

  function selectReference(x: ArrayLike<number>, xShape: number[], axis: number, index: number[]): Float64Array {
    const outShape = xShape.map((n, d) => (d === axis ? index.length : n));
    const out = new Float64Array(sizeOf(outShape));
    const [A, B, C] = outShape;
    for (let i = 0; i < A; i++)
      for (let j = 0; j < B; j++)
        for (let l = 0; l < C; l++) {
          const src = [i, j, l];
          src[axis] = index[src[axis]];
          out[(i * B + j) * C + l] = x[(src[0] * xShape[1] + src[1]) * xShape[2] + src[2]];
        }
    return out;
  }

  test.each(selections)('indexSelect and its backward, %s', (_name, axis, index, takesWasm) => {
    const x = values(sizeOf(shape));
    const idx = Int32Array.from(index);
    const outShape = shape.map((n, d) => (d === axis ? index.length : n));
    const want = selectReference(x, shape, axis, index);
    const got = k.indexSelect(x, shape, axis, idx, new Float32Array(want.length));
    expectSameElements('indexSelect', got, want);
    expectSameElements(
      'indexSelect against the TypeScript kernel',
      got,
      jsKernels.indexSelect(x, shape, axis, idx, new Float32Array(want.length)),
    );
    // int32 storage (argsort's indices go through indexSelect) is copied the same way.
    const xi = Int32Array.from(x, (v) => (Number.isFinite(v) ? Math.round(v * 1000) : -1));
    expectSameElements(
      'indexSelect int32',
      k.indexSelect(xi, shape, axis, idx, new Int32Array(want.length)),
      selectReference(xi, shape, axis, index),
    );
    expectWasmCalls(spies.indexSelect, takesWasm ? 2 : 0);

    // The adjoint: zeros, with each slice of g added at its index, repeats in order.
    const g = values(want.length).map((v) => (Number.isFinite(v) ? v : 0.125));
    const sum = new Float64Array(x.length);
    const magnitude = new Float64Array(x.length);
    const [A, B, C] = outShape;
    for (let i = 0; i < A; i++)
      for (let j = 0; j < B; j++)
        for (let l = 0; l < C; l++) {
          const to = [i, j, l];
          to[axis] = index[to[axis]];
          const p = (to[0] * shape[1] + to[1]) * shape[2] + to[2];
          sum[p] += g[(i * B + j) * C + l];
          magnitude[p] += Math.abs(g[(i * B + j) * C + l]);
        }
    // Filled with NaN: the kernel must zero the output itself.
    const gx = k.indexAdd(g, shape, axis, idx, new Float32Array(x.length).fill(NaN));
    for (let p = 0; p < x.length; p++) {
      // A float32 sum of k terms is within k·u·Σ|g| of the exact one.
      const bound = index.length * 2 ** -24 * magnitude[p];
      if (!(Math.abs(gx[p] - sum[p]) <= bound)) throw new Error(`indexAdd: element ${p} is ${gx[p]}, expected ${sum[p]}`);
    }
    expectSameElements('indexAdd against the TypeScript kernel', gx, jsKernels.indexAdd(g, shape, axis, idx, new Float32Array(x.length)));
    expectWasmCalls(spies.indexAdd, g.length + x.length >= T.indexAdd ? 1 : 0);
  });

  test('indexSelect through the op: negative indices count from the end, repeated ones add up in the gradient', () => {
    const x = tg.tensor(
      values(sizeOf(shape)).map((v) => (Number.isFinite(v) ? v : 1)),
      { shape, requiresGrad: true },
    );
    const index = [-1, 0, -29, 28, -1, 3, -26, 27, 27, -2, ...Array.from({ length: 30 }, (_, i) => i - 29)];
    const normalised = index.map((i) => (i < 0 ? i + 29 : i));
    const y = tg.indexSelect(x, 1, tg.tensor(index, { dtype: 'int32' }));
    expect(y.shape).toEqual([6, 40, 11]);
    expectSameElements('indexSelect(x, 1, negative)', y.data, selectReference(x.data, shape, 1, normalised));
    const gy = tg.tensor(
      values(y.size).map((v) => (Number.isFinite(v) ? v : -2)),
      { shape: y.shape },
    );
    y.backward(gy);
    const want = new Float64Array(x.size);
    const magnitude = new Float64Array(x.size);
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 40; j++)
        for (let l = 0; l < 11; l++) {
          want[(i * 29 + normalised[j]) * 11 + l] += gy.data[(i * 40 + j) * 11 + l];
          magnitude[(i * 29 + normalised[j]) * 11 + l] += Math.abs(gy.data[(i * 40 + j) * 11 + l]);
        }
    for (let p = 0; p < x.size; p++) expect(Math.abs(x.grad!.data[p] - want[p])).toBeLessThanOrEqual(4 * 2 ** -24 * magnitude[p]);
    // Column 28 is selected four times (28, -1 twice, and -1 in the run), so its gradient is a sum of four.
    expect(normalised.filter((i) => i === 28).length).toBe(4);
    expect(x.grad!.data[28 * 11]).not.toBe(0);
    expectWasmCalls(spies.indexSelect, 1);
    expectWasmCalls(spies.indexAdd, 1);
  });

  test('indexSelect: rows longer than the WebAssembly row limit stay in TypeScript, shorter ones do not; the size threshold', () => {
    for (const inner of [T.indexSelectRow, T.indexSelectRow + 1]) {
      const rows = 40;
      const x = values(rows * inner);
      const index = Array.from({ length: rows }, (_, i) => (i * 7) % rows);
      const got = k.indexSelect(x, [rows, inner], 0, Int32Array.from(index), new Float32Array(rows * inner));
      expectSameElements(`indexSelect rows of ${inner}`, got, selectReference(x, [rows, inner, 1], 0, index));
    }
    // A 1-D gather, at threshold − 1 and at the threshold (elements of the output).
    const x = values(5003);
    for (const m of [T.indexSelect - 1, T.indexSelect]) {
      const index = Array.from({ length: m }, () => Math.floor(random.next() * 5003));
      const got = k.indexSelect(x, [5003], 0, Int32Array.from(index), new Float32Array(m));
      expectSameElements(`indexSelect of ${m}`, got, selectReference(x, [5003, 1, 1], 0, index));
    }
    expectWasmCalls(spies.indexSelect, 2);
  });

  /** gather on large tensors ([rows, n] along axis 1, the index [rows, m]): WebAssembly from WASM_MIN.elements index elements. */
  const gathers: [string, number, number, number, boolean][] = [
    ['threshold − 1', 63, 70, 65, false], // index 63·65 = 4095
    ['the threshold', 64, 70, 64, true], // 4096
    ['threshold + 1, odd rows', 1, 5000, WASM_MIN.elements + 1, true],
    ['large and odd, more picks than columns', 37, 19, 301, true],
  ];

  test.each(gathers)('gather along axis 1 and its backward (a scatterAdd), %s', (_name, rows, n, m, takesWasm) => {
    const x = tg.tensor(
      values(rows * n).map((v) => (Number.isFinite(v) ? v : 0.75)),
      { shape: [rows, n], requiresGrad: true },
    );
    const index = Int32Array.from({ length: rows * m }, () => Math.floor(random.next() * n));
    const y = tg.gather(x, 1, tg.tensor(index, { shape: [rows, m] }));
    expect(y.shape).toEqual([rows, m]);
    const want = Float64Array.from(index, (at, p) => x.data[Math.floor(p / m) * n + at]);
    expectSameElements('gather', y.data, want);
    expectSameElements(
      'gather against the TypeScript kernel',
      y.data,
      jsKernels.gatherAxis(x.data, [rows, n], 1, index, [rows, m], new Float32Array(rows * m)),
    );
    const gy = values(rows * m).map((v) => (Number.isFinite(v) ? v : -1.5));
    y.backward(tg.tensor(gy, { shape: [rows, m] }));
    const sum = new Float64Array(rows * n);
    const magnitude = new Float64Array(rows * n);
    index.forEach((at, p) => {
      sum[Math.floor(p / m) * n + at] += gy[p];
      magnitude[Math.floor(p / m) * n + at] += Math.abs(gy[p]);
    });
    for (let p = 0; p < sum.length; p++) expect(Math.abs(x.grad!.data[p] - sum[p])).toBeLessThanOrEqual(m * 2 ** -24 * magnitude[p]);
    expectWasmCalls(spies.gather, takesWasm ? 1 : 0);
    expectWasmCalls(spies.scatterAdd, takesWasm ? 1 : 0);
  });

  test('the errors are the ops’ own, above the thresholds too', () => {
    const x = tg.tensor(values(3 * 4000), { shape: [3, 4000] });
    expect(() => tg.indexSelect(x, 0, tg.tensor([0, 5], { dtype: 'int32' }))).toThrow(
      /^indexSelect: index 5 is out of range for axis 0 of size 3 \(input \[3,4000\], index \[2\]\)$/,
    );
    expect(() => tg.indexSelect(x, 1, tg.tensor([-4001], { dtype: 'int32' }))).toThrow(
      /indexSelect: index -4001 is out of range for axis 1 of size 4000/,
    );
    expect(() => tg.indexSelect(x, 0, tg.tensor([0.5]))).toThrow(/indexSelect: index must be an int32 tensor, got dtype float32/);
    expect(() => tg.lt(x, tg.tensor([1, 2, 3]))).toThrow(/^lt: shapes \[3,4000\] and \[3\] cannot be broadcast together$/);
    expect(() => tg.where(tg.tensor(bools(4000), { dtype: 'bool' }), x, tg.zeros([2, 4000]))).toThrow(
      /^where: shapes cannot be broadcast together \(cond \[4000\], a \[3,4000\], b \[2,4000\]\)$/,
    );
    expect(() => tg.where(x, x, x)).toThrow(/^where: the condition must be a bool tensor, got float32/);
    expect(() => tg.gather(x, 1, tg.tensor(new Int32Array(3 * 4000).fill(4000), { shape: [3, 4000] }))).toThrow(
      /^gather: index 4000 is out of range for axis 1 of size 4000/,
    );
  });
});

describe('the index kernels over ranges of rows (so that a call can be split) give the whole call’s bits', () => {
  const { runtime, reason } = loadRuntime({ threads: 1, allowRelaxed: true });

  test.each([
    ['[outer 5, n 13, inner 7], 9 picks', 5, 13, 7, [12, 0, 0, 5, 12, 3, 3, 3, 1]],
    ['[outer 3, n 40, inner 1], 50 picks', 3, 40, 1, Array.from({ length: 50 }, (_, j) => (j * 17) % 40)],
  ])('%s', (_name, outer, n, inner, picks) => {
    if (runtime === undefined) throw new Error(`the WebAssembly kernels did not load: ${reason}`);
    const rt = runtime.serial;
    const m = picks.length;
    const index = Int32Array.from(picks);
    const x = values(outer * n * inner).map((v) => (Number.isFinite(v) ? v : 2));
    const g = values(outer * m * inner).map((v) => (Number.isFinite(v) ? v : -3));
    // Ranges that cut through an `outer` block, in an order other than the rows'.
    const cuts = (rows: number) => [
      [Math.floor(rows / 3), rows - 2],
      [0, Math.floor(rows / 3)],
      [rows - 2, rows],
    ];
    rt.reset();
    const px = copyIn(rt, x);
    const pg = copyIn(rt, g);
    const pi = copyIn(rt, index);
    const py = rt.reserve(4 * outer * m * inner);
    const pz = rt.reserve(4 * outer * n * inner);
    rt.f32.fill(NaN, py >> 2, (py >> 2) + outer * m * inner);
    for (const [r0, r1] of cuts(outer * m)) rt.exports.indexSelectRows(px, pi, py, n, m, inner, r0, r1, 0);
    const selected = copyOut(rt, py, new Float32Array(outer * m * inner));
    expectSameElements(
      'indexSelectRows by ranges',
      selected,
      jsKernels.indexSelect(x, [outer, n, inner], 1, index, new Float32Array(outer * m * inner)),
    );
    rt.f32.fill(NaN, pz >> 2, (pz >> 2) + outer * n * inner);
    for (const [d0, d1] of cuts(outer * n)) rt.exports.indexAddRows(pg, pi, pz, n, m, inner, d0, d1, 0);
    const added = copyOut(rt, pz, new Float32Array(outer * n * inner));
    expectSameElements(
      'indexAddRows by ranges',
      added,
      jsKernels.indexAdd(g, [outer, n, inner], 1, index, new Float32Array(outer * n * inner)),
    );
  });
});
