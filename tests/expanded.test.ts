/**
 * Expanded graphs (`expand: true`): the tutorial's computation-graph figure built from one `mul`
 * node per product x_i·w_j and `add` nodes, with values and gradients equal to the fused op's, for
 * every op that offers it, and usable at the tutorial's 5×5×3 layer.
 */
import * as tg from '../src';

const r = tg.rng('expanded:test');
const randn = (shape: number[]) => tg.randn(shape, { rng: r, dtype: 'float64', requiresGrad: true });
const t = (values: tg.NestedArray) => tg.tensor(values, { dtype: 'float64', requiresGrad: true });

/** How many nodes of each op the graph behind y holds (every node reachable through inputs). */
function countOps(y: tg.Tensor): Record<string, number> {
  const counts: Record<string, number> = {};
  const seen = new Set<tg.Tensor>();
  const stack = [y];
  while (stack.length > 0) {
    const u = stack.pop()!;
    if (seen.has(u) || u.node === null) continue;
    seen.add(u);
    counts[u.node.op] = (counts[u.node.op] ?? 0) + 1;
    stack.push(...u.node.inputs);
  }
  return counts;
}

function expectClose(a: tg.Tensor, b: tg.Tensor): void {
  expect(a.shape).toEqual(b.shape);
  a.data.forEach((v, i) => expect(v).toBeCloseTo(b.data[i], 10));
}

/** Values and the gradients of every input (for a random gy) of f with and without expand. */
function expectSameAsFused(f: (expand: boolean, ...xs: tg.Tensor[]) => tg.Tensor, inputs: tg.Tensor[]): void {
  const fused = f(false, ...inputs);
  const expanded = f(true, ...inputs);
  expectClose(expanded, fused);
  const gy = tg.randn(fused.shape as number[], { rng: r, dtype: 'float64' });
  const gFused = tg.grad(fused, inputs, { gradOutputs: [gy] });
  const gExpanded = tg.grad(expanded, inputs, { gradOutputs: [gy] });
  gExpanded.forEach((g, i) => expectClose(g!, gFused[i]!));
}

describe("the tutorial's 1-D graph: x = (0,1,2,3,4), w = (1,−1,2)", () => {
  test('full: one mul node per product x_i·w_j (5·3 = 15), each output a chain of adds over its products', () => {
    const x = t([0, 1, 2, 3, 4]);
    const w = t([1, -1, 2]);
    const y = tg.convolve(x, w, 'full', { expand: true });
    expect(y.toArray()).toEqual([0, 1, 1, 3, 5, 2, 8]);
    const ops = countOps(y);
    expect(ops.mul).toBe(15);
    // outputs use 1,2,3,3,3,2,1 products: 15 − 7 adds
    expect(ops.add).toBe(8);
    expect(ops.element).toBe(5 + 3);
    expect(ops.assemble).toBe(1);
    expect(Object.keys(ops).sort()).toEqual(['add', 'assemble', 'element', 'mul']);
  });

  test("'valid' (the steps where the flipped kernel lies inside x): 3 outputs of 3 products", () => {
    const y = tg.convolve(t([0, 1, 2, 3, 4]), t([1, -1, 2]), 'valid', { expand: true });
    expect(y.toArray()).toEqual([1, 3, 5]);
    expect(countOps(y).mul).toBe(9);
  });

  test('each mul node multiplies one picked element of x by one of w', () => {
    const x = t([0, 1, 2, 3, 4]);
    const w = t([1, -1, 2]);
    const y = tg.convolve(x, w, 'valid', { expand: true });
    // the first output, y0 = x2·w0 + x1·w1 + x0·w2, as the flipped kernel sits over x0..x2
    const first = y.node!.inputs[0];
    const products: string[] = [];
    const stack = [first];
    while (stack.length > 0) {
      const u = stack.pop()!;
      if (u.node!.op === 'mul') {
        const [a, b] = u.node!.inputs;
        expect(a.node!.inputs[0]).toBe(x);
        expect(b.node!.inputs[0]).toBe(w);
        // an element node's label is its position, e.g. [2]
        products.push(`x${a.node!.describe()}·w${b.node!.describe()}`);
      } else stack.push(...u.node!.inputs);
    }
    expect(products.sort()).toEqual(['x[0]·w[2]', 'x[1]·w[1]', 'x[2]·w[0]']);
  });

  test.each(['full', 'same', 'valid'] as const)('%s: values and gradients equal the fused op, both input orders', (mode) => {
    expectSameAsFused((expand, a, b) => tg.convolve(a, b, mode, { expand }), [randn([6]), randn([3])]);
    expectSameAsFused((expand, a, b) => tg.convolve(a, b, mode, { expand }), [randn([3]), randn([6])]);
    expectSameAsFused((expand, a, b) => tg.correlate(a, b, mode, { expand }), [randn([6]), randn([4])]);
    expectSameAsFused((expand, a, b) => tg.correlate(a, b, mode, { expand }), [randn([4]), randn([7])]);
    expectSameAsFused((expand, a, b) => tg.convolve2d(a, b, mode, { expand }), [randn([4, 3]), randn([2, 2])]);
    expectSameAsFused((expand, a, b) => tg.convolve2d(a, b, mode, { expand }), [randn([2, 3]), randn([3, 4])]);
  });
});

describe("the tutorial's layer: 5×5×3 input, K = 2 filters 3×3×3, stride 2, pad 1", () => {
  test('builds, matches the fused layer, and has one mul node per product that meets the image', () => {
    const x = randn([1, 3, 5, 5]);
    const w = randn([2, 3, 3, 3]);
    const b = randn([2]);
    const opts = { stride: 2, padding: 1 };
    const y = tg.conv2d(x, w, b, { ...opts, expand: true });
    expect(y.shape).toEqual([1, 2, 3, 3]);
    const ops = countOps(y);
    // 2·3·3 outputs × 27 weights = 486 products, of which those landing on padding are left out:
    // along each axis the three windows see 2, 3 and 2 real rows (columns), so 2 filters × 3 channels × 7 × 7
    expect(ops.mul).toBe(2 * 3 * 7 * 7);
    // each of the 18 outputs chains its p products with p − 1 adds, plus one add for the bias: p adds
    expect(ops.add).toBe(2 * 3 * 7 * 7);
    expect(ops.element).toBe(75 + 54 + 2);
    expectSameAsFused((expand, xs, ws, bs) => tg.conv2d(xs, ws, bs, { ...opts, expand }), [x, w, b]);
  });

  test('second derivatives through the expanded graph equal the fused ones', () => {
    const x = randn([1, 3, 5, 5]);
    const w = randn([2, 3, 3, 3]);
    const v = tg.randn([1, 3, 5, 5], { rng: r, dtype: 'float64' });
    const hv = (expand: boolean) => {
      const y = tg.conv2d(x, w, null, { stride: 2, padding: 1, expand });
      const [gx] = tg.grad(tg.sum(tg.mul(y, y)), [x], { createGraph: true });
      return tg.grad(tg.sum(tg.mul(gx!, v)), [w])[0]!;
    };
    expectClose(hv(true), hv(false));
  });
});

describe('conv1d and conv2d with every option', () => {
  test.each([
    [
      'conv2d stride=[2,1] pad=[1,0] dilation=[1,2] groups=2 bias',
      [2, 4, 5, 6],
      [4, 2, 2, 2],
      true,
      { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 },
    ],
    ['conv2d depthwise', [1, 3, 4, 4], [3, 1, 3, 3], false, { groups: 3, padding: 1 }],
    ['conv2d padding wider than the kernel (outputs of bias only)', [1, 1, 2, 2], [2, 1, 2, 2], true, { padding: 3, stride: 2 }],
    ['conv2d unbatched', [2, 4, 4], [3, 2, 3, 3], true, { padding: 1 }],
  ] as [string, number[], number[], boolean, tg.ConvOptions][])('%s', (_name, xShape, wShape, bias, opts) => {
    const inputs = [randn(xShape), randn(wShape), ...(bias ? [randn([wShape[0]])] : [])];
    expectSameAsFused((expand, x, w, b) => tg.conv2d(x, w, b ?? null, { ...opts, expand }), inputs);
  });

  test('padding wider than the kernel: an output whose window is all padding is its bias (or zero)', () => {
    const y = tg.conv2d(randn([1, 1, 2, 2]), randn([1, 1, 2, 2]), t([0.5]), { padding: 3, stride: 2, expand: true });
    expect(y.data[0]).toBe(0.5);
    expect(tg.conv2d(randn([1, 1, 2, 2]), randn([1, 1, 2, 2]), null, { padding: 3, stride: 2, expand: true }).data[0]).toBe(0);
  });

  test.each([
    ['conv1d bias stride=2 pad=1', [2, 2, 7], [3, 2, 3], true, { stride: 2, padding: 1 }],
    ['conv1d dilation=2 groups=2', [1, 4, 9], [2, 2, 3], false, { dilation: 2, groups: 2 }],
    ['conv1d unbatched', [2, 6], [1, 2, 2], true, {}],
  ] as [string, number[], number[], boolean, tg.ConvOptions][])('%s', (_name, xShape, wShape, bias, opts) => {
    const inputs = [randn(xShape), randn(wShape), ...(bias ? [randn([wShape[0]])] : [])];
    expectSameAsFused((expand, x, w, b) => tg.conv1d(x, w, b ?? null, { ...opts, expand }), inputs);
  });

  test('the 1-D layer on the tutorial signal: conv1d with the flipped kernel is the tutorial graph', () => {
    const x = t([[[0, 1, 2, 3, 4]]]);
    const w = t([[[2, -1, 1]]]);
    const y = tg.conv1d(x, w, null, { expand: true });
    expect(y.toArray()).toEqual([[[1, 3, 5]]]);
    expect(countOps(y).mul).toBe(9);
  });

  test('float32 inputs stay float32; under noGrad the values are still right', () => {
    const x = tg.randn([1, 2, 4, 4], { rng: r });
    const w = tg.randn([1, 2, 2, 2], { rng: r });
    const y = tg.noGrad(() => tg.conv2d(x, w, null, { expand: true }));
    expect(y.dtype).toBe('float32');
    expect(y.node).toBeNull();
    y.data.forEach((v, i) => expect(v).toBeCloseTo(tg.conv2d(x, w).data[i], 5));
  });
});
