/**
 * Property-based tests (fast-check): broadcasting and shape ops against naive references written on
 * multi-indices and nested arrays, independently of the strided kernels.
 */
import fc from 'fast-check';
import * as tg from '../src';

type Index = number[];

/** Every multi-index of `shape`, row-major. */
function indices(shape: readonly number[]): Index[] {
  let out: Index[] = [[]];
  for (const n of shape) out = out.flatMap((idx) => Array.from({ length: n }, (_, i) => [...idx, i]));
  return out;
}

function at(x: tg.Tensor, idx: Index): number {
  const strides = tg.stridesOf(x.shape);
  return x.data[idx.reduce((o, v, d) => o + v * strides[d], 0)];
}

/** Reads `y` at every index of its shape; `want` is the reference value there (+0 and -0 alike). */
function expectEverywhere(y: tg.Tensor, shape: readonly number[], want: (idx: Index) => number) {
  expect(y.shape).toEqual(shape);
  for (const idx of indices(shape)) expect(at(y, idx) + 0).toBe(want(idx) + 0);
}

/** Small integer values, exact in float32 sums and products. */
function valued(shape: readonly number[], seed: number, requiresGrad = false): tg.Tensor {
  const r = tg.rng(seed);
  const data = new Float64Array(tg.sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = r.int(19) - 9;
  return tg.tensor(data, { shape, dtype: 'float64', requiresGrad });
}

const dim = fc.integer({ min: 1, max: 3 });
const dimOrEmpty = fc.integer({ min: 0, max: 3 });
const shapeOf = (d: fc.Arbitrary<number>, maxLength = 4) => fc.array(d, { minLength: 0, maxLength });
const seed = fc.integer({ min: 0, max: 1e6 });

/** Two shapes that broadcast to `out`: leading axes dropped, some axes set to 1, on either side. */
const broadcastPair = fc
  .record({
    out: shapeOf(dim),
    dropA: fc.nat(4),
    dropB: fc.nat(4),
    onesA: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    onesB: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  })
  .map(({ out, dropA, dropB, onesA, onesB }) => {
    const derive = (drop: number, ones: boolean[]) => out.slice(Math.min(drop, out.length)).map((d, i) => (ones[i] ? 1 : d));
    return { out, a: derive(dropA, onesA), b: derive(dropB, onesB) };
  });

/** The index of a broadcast operand of shape `shape` that feeds output index `idx`. */
function source(shape: readonly number[], idx: Index): Index {
  const lead = idx.length - shape.length;
  return shape.map((d, i) => (d === 1 ? 0 : idx[lead + i]));
}

describe('broadcasting', () => {
  test('add and mul match the elementwise definition on broadcast indices', () => {
    fc.assert(
      fc.property(broadcastPair, seed, ({ a, b }, s) => {
        const x = valued(a, s);
        const y = valued(b, s + 1);
        const expectedShape = tg.broadcastShapes('t', a, b);
        expectEverywhere(tg.add(x, y), expectedShape, (idx) => at(x, source(a, idx)) + at(y, source(b, idx)));
        expectEverywhere(tg.mul(y, x), expectedShape, (idx) => at(y, source(b, idx)) * at(x, source(a, idx)));
      }),
    );
  });

  test('broadcast gradients: each operand gets gy summed over the outputs it fed', () => {
    fc.assert(
      fc.property(broadcastPair, seed, ({ a, b }, s) => {
        const x = valued(a, s, true);
        const y = valued(b, s + 1, true);
        const z = tg.mul(x, y);
        const gy = valued(z.shape, s + 2);
        z.backward(gy);
        const gx = new Map<string, number>();
        const gyy = new Map<string, number>();
        for (const idx of indices(z.shape)) {
          const ka = source(a, idx).join(',');
          const kb = source(b, idx).join(',');
          gx.set(ka, (gx.get(ka) ?? 0) + at(gy, idx) * at(y, source(b, idx)));
          gyy.set(kb, (gyy.get(kb) ?? 0) + at(gy, idx) * at(x, source(a, idx)));
        }
        expectEverywhere(x.grad!, a, (idx) => gx.get(idx.join(',')) ?? 0);
        expectEverywhere(y.grad!, b, (idx) => gyy.get(idx.join(',')) ?? 0);
      }),
    );
  });
});

describe('reductions', () => {
  const reduceCase = fc.record({
    shape: shapeOf(dimOrEmpty),
    pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    negative: fc.boolean(),
    keepDims: fc.boolean(),
    s: seed,
  });

  test('sum over any axis set, negative axes, keepDims', () => {
    fc.assert(
      fc.property(reduceCase, ({ shape, pick, negative, keepDims, s }) => {
        const axes = shape.map((_, i) => i).filter((i) => pick[i]);
        const x = valued(shape, s);
        const y = tg.sum(
          x,
          axes.map((a) => (negative ? a - shape.length : a)),
          keepDims,
        );
        const outShape = shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
        const totals = new Map<string, number>();
        for (const idx of indices(shape)) {
          const key = idx.filter((_, i) => !axes.includes(i)).join(',');
          totals.set(key, (totals.get(key) ?? 0) + at(x, idx));
        }
        expectEverywhere(y, outShape, (idx) => totals.get(idx.filter((_, i) => (keepDims ? !axes.includes(i) : true)).join(',')) ?? 0);
      }),
    );
  });

  test('max over any axis set picks the largest element of each group', () => {
    fc.assert(
      fc.property(
        reduceCase.filter(({ shape }) => shape.every((d) => d > 0)),
        ({ shape, pick, keepDims, s }) => {
          const axes = shape.map((_, i) => i).filter((i) => pick[i]);
          const x = valued(shape, s);
          const y = x.max(axes, keepDims);
          const best = new Map<string, number>();
          for (const idx of indices(shape)) {
            const key = idx.filter((_, i) => !axes.includes(i)).join(',');
            best.set(key, Math.max(best.get(key) ?? -Infinity, at(x, idx)));
          }
          const outShape = shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
          expectEverywhere(y, outShape, (idx) => best.get(idx.filter((_, i) => (keepDims ? !axes.includes(i) : true)).join(','))!);
        },
      ),
    );
  });
});

describe('shape ops', () => {
  test('transpose by any permutation: y[idx] = x[idx mapped back]', () => {
    const arb = shapeOf(dimOrEmpty).chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.shuffledSubarray(
          shape.map((_, i) => i),
          { minLength: shape.length, maxLength: shape.length },
        ),
        seed,
      ),
    );
    fc.assert(
      fc.property(arb, ([shape, perm, s]) => {
        const x = valued(shape, s);
        const y = x.transpose(perm);
        expectEverywhere(
          y,
          perm.map((p) => shape[p]),
          (idx) => {
            const src = new Array<number>(shape.length);
            perm.forEach((p, i) => (src[p] = idx[i]));
            return at(x, src);
          },
        );
      }),
    );
  });

  test('reshape keeps row-major order, with one -1 inferred', () => {
    const arb = fc.record({ shape: shapeOf(dim), split: fc.nat(4), infer: fc.boolean(), s: seed });
    fc.assert(
      fc.property(arb, ({ shape, split, infer, s }) => {
        const x = valued(shape, s);
        const k = Math.min(split, shape.length);
        const target = [tg.sizeOf(shape.slice(0, k)), tg.sizeOf(shape.slice(k))];
        const y = x.reshape(infer ? [target[0], -1] : target);
        expect(y.shape).toEqual(target);
        expect(Array.from(y.data)).toEqual(Array.from(x.data));
      }),
    );
  });

  test('flip reverses exactly the chosen axes', () => {
    const arb = fc.record({ shape: shapeOf(dimOrEmpty), pick: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), s: seed });
    fc.assert(
      fc.property(arb, ({ shape, pick, s }) => {
        const axes = shape.map((_, i) => i).filter((i) => pick[i]);
        const x = valued(shape, s);
        expectEverywhere(x.flip(axes), shape, (idx) =>
          at(
            x,
            idx.map((v, d) => (axes.includes(d) ? shape[d] - 1 - v : v)),
          ),
        );
      }),
    );
  });

  /** Where padded position i (in input coordinates, may be outside [0,n)) reads from, by whole-block reasoning. */
  function padSource(mode: tg.PadMode, i: number, n: number): number {
    if (i >= 0 && i < n) return i;
    if (mode === 'constant') return -1;
    if (mode === 'replicate') return i < 0 ? 0 : n - 1;
    const block = Math.floor(i / n);
    const r = i - block * n;
    if (mode === 'circular') return r;
    // symmetric: blocks alternate between reversed and forward copies of the axis
    return block % 2 === 0 ? r : n - 1 - r;
  }

  test('pad in every mode and padding form matches a per-axis reference, also when wider than the axis', () => {
    const arb = fc.record({
      shape: shapeOf(dim, 3),
      widths: fc.array(fc.tuple(fc.nat(5), fc.nat(5)), { minLength: 0, maxLength: 3 }),
      pairs: fc.boolean(),
      mode: fc.constantFrom<tg.PadMode>('constant', 'replicate', 'symmetric', 'circular'),
      value: fc.integer({ min: -5, max: 5 }),
      s: seed,
    });
    fc.assert(
      fc.property(arb, ({ shape, widths, pairs, mode, value, s }) => {
        const w = widths.slice(0, shape.length).map(([a, b]): [number, number] => (pairs ? [a, b] : [a, a]));
        const x = valued(shape, s);
        const y = pairs
          ? x.pad(w, { mode, value })
          : x.pad(
              w.map(([a]) => a),
              { mode, value },
            );
        const outShape = shape.map((n, d) => n + (w[d] ? w[d][0] + w[d][1] : 0));
        expectEverywhere(y, outShape, (idx) => {
          const src = idx.map((j, d) => padSource(mode, j - (w[d] ? w[d][0] : 0), shape[d]));
          return src.some((v) => v < 0) ? value : at(x, src);
        });
      }),
    );
  });

  /** Python slicing, which JS Array.prototype.slice shares (negative from the end, clamped). */
  function sliceNested(v: tg.NestedArray, starts: number[], ends: number[]): tg.NestedArray {
    if (starts.length === 0 || !Array.isArray(v)) return v;
    return v.slice(starts[0], ends[0]).map((item) => sliceNested(item, starts.slice(1), ends.slice(1)));
  }

  test('slice agrees with Python slicing on nested arrays, negatives and out-of-range included', () => {
    const arb = fc.record({
      shape: shapeOf(dim, 3),
      ranges: fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: -5, max: 5 })), { minLength: 0, maxLength: 3 }),
      s: seed,
    });
    fc.assert(
      fc.property(arb, ({ shape, ranges, s }) => {
        const r = ranges.slice(0, shape.length);
        const x = valued(shape, s);
        const y = x.slice(
          r.map(([a]) => a),
          r.map(([, b]) => b),
        );
        const want = sliceNested(
          x.toArray(),
          r.map(([a]) => a),
          r.map(([, b]) => b),
        );
        const wantShape = shape.map((n, d) => (d < r.length ? [...Array(n).keys()].slice(r[d][0], r[d][1]).length : n));
        expect(y.shape).toEqual(wantShape);
        if (y.size > 0) expect(y.toArray()).toEqual(want);
      }),
    );
  });

  /** Concatenates nested arrays at depth `axis`. */
  function concatNested(parts: tg.NestedArray[], axis: number): tg.NestedArray {
    if (axis === 0) return parts.flatMap((p) => p as tg.NestedArray[]);
    const first = parts[0] as tg.NestedArray[];
    return first.map((_, i) =>
      concatNested(
        parts.map((p) => (p as tg.NestedArray[])[i]),
        axis - 1,
      ),
    );
  }

  test('concat along any axis (negative too) matches nested concatenation; stack matches concat of unsqueezed', () => {
    const arb = fc.record({
      shape: shapeOf(dim, 3).filter((s) => s.length > 0),
      axisSeed: fc.nat(),
      sizes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
      negative: fc.boolean(),
      s: seed,
    });
    fc.assert(
      fc.property(arb, ({ shape, axisSeed, sizes, negative, s }) => {
        const axis = axisSeed % shape.length;
        const parts = sizes.map((n, k) =>
          valued(
            shape.map((d, i) => (i === axis ? n : d)),
            s + k,
          ),
        );
        const y = tg.concat(parts, negative ? axis - shape.length : axis);
        const wantShape = shape.map((d, i) => (i === axis ? sizes.reduce((p, q) => p + q, 0) : d));
        expect(y.shape).toEqual(wantShape);
        if (y.size > 0)
          expect(y.toArray()).toEqual(
            concatNested(
              parts.map((p) => p.toArray()),
              axis,
            ),
          );

        const same = sizes.map((_, k) => valued(shape, s + 10 + k));
        const stacked = tg.stack(same, negative ? axis - shape.length - 1 : axis);
        expect(stacked.toArray()).toEqual(
          tg
            .concat(
              same.map((p) => p.unsqueeze(axis)),
              axis,
            )
            .toArray(),
        );
      }),
    );
  });
});
