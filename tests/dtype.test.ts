/** int32 and bool tensors (SPEC §14, §18): storage, creation, conversion, promotion, and how existing ops treat them. */
import * as tg from '../src';

describe('int32 and bool storage', () => {
  test('each dtype has its typed array, and dtypeOf reads it back', () => {
    expect(tg.allocate('int32', 2)).toBeInstanceOf(Int32Array);
    expect(tg.allocate('bool', 2)).toBeInstanceOf(Uint8Array);
    expect(tg.dtypeOf(new Int32Array(1))).toBe('int32');
    expect(tg.dtypeOf(new Uint8Array(1))).toBe('bool');
    expect(['float32', 'float64', 'int32', 'bool', 'int8'].map(tg.isDType)).toEqual([true, true, true, true, false]);
    expect(tg.isFloating('int32')).toBe(false);
    expect(tg.isFloating('float64')).toBe(true);
  });

  test('booleans make a bool tensor and toArray gives them back', () => {
    const b = tg.tensor([
      [true, false],
      [false, true],
    ]);
    expect(b.dtype).toBe('bool');
    expect(b.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(b.data)).toEqual([1, 0, 0, 1]);
    expect(b.toArray()).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(tg.tensor(b.toArray()).dtype).toBe('bool');
    expect(tg.tensor(true).toArray()).toBe(true);
    expect(tg.tensor([true]).item()).toBe(1);
    expect(tg.tensor([false]).item()).toBe(0);
    expect(b.toString()).toBe('Tensor([[true,false],[false,true]], shape=[2,2], dtype=bool)');
  });

  test('typed arrays give their dtype; numbers convert to int32 toward 0 and to bool as x ≠ 0', () => {
    const i = tg.tensor(new Int32Array([3, -4]));
    expect(i.dtype).toBe('int32');
    expect(i.toArray()).toEqual([3, -4]);
    expect(tg.tensor(new Uint8Array([0, 1])).dtype).toBe('bool');
    expect(tg.tensor([1.7, -1.7, 2.5, -0.2], { dtype: 'int32' }).toArray()).toEqual([1, -1, 2, 0]);
    expect(tg.tensor([0, 2, -0.5, NaN], { dtype: 'bool' }).toArray()).toEqual([false, true, true, true]);
    expect(tg.tensor(new Float32Array([2.9, -2.9]), { dtype: 'int32' }).toArray()).toEqual([2, -2]);
    expect(tg.tensor([true, false], { dtype: 'float32' }).toArray()).toEqual([1, 0]);
    expect(tg.full([2], 2.7, { dtype: 'int32' }).toArray()).toEqual([2, 2]);
    expect(tg.full([2], true).dtype).toBe('bool');
    expect(tg.zeros([2], { dtype: 'bool' }).toArray()).toEqual([false, false]);
    expect(tg.ones([2], { dtype: 'int32' }).toArray()).toEqual([1, 1]);
  });

  test('mixing booleans and numbers, and odd typed arrays, throw', () => {
    expect(() => tg.tensor([true, 1] as never)).toThrow('tensor: ragged nested array, expected shape [2] of booleans, found 1');
    expect(() => tg.tensor([1, true] as never)).toThrow('tensor: ragged nested array, expected shape [2] of numbers, found true');
    expect(() => tg.tensor(new Int16Array(2) as never)).toThrow(
      'tensor: typed arrays must be Float32Array, Float64Array, Int32Array or Uint8Array, got Int16Array',
    );
    expect(() => tg.randn([2], { dtype: 'int32' })).toThrow("randn: dtype must be 'float32' or 'float64', got int32");
    expect(() => tg.rand([2], { dtype: 'bool' })).toThrow("rand: dtype must be 'float32' or 'float64', got bool");
  });

  test('only float tensors can require gradients', () => {
    const message = 'tensor: only floating-point tensors can require gradients, got int32';
    expect(() => tg.tensor([1, 2], { dtype: 'int32', requiresGrad: true })).toThrow(message);
    expect(() => tg.zeros([2], { dtype: 'bool', requiresGrad: true })).toThrow(
      'tensor: only floating-point tensors can require gradients, got bool',
    );
    const i = tg.tensor([1, 2], { dtype: 'int32' });
    expect(() => {
      i.requiresGrad = true;
    }).toThrow(message);
    i.requiresGrad = false;
    expect(i.requiresGrad).toBe(false);
    const f = tg.tensor([1]);
    f.requiresGrad = true;
    expect(f.requiresGrad).toBe(true);
  });
});

describe('cast and to', () => {
  test('float to int32 truncates toward 0, anything to bool is x ≠ 0, bool to float is 0/1', () => {
    const x = tg.tensor([-1.5, -0.5, 0, 0.5, 2.99]);
    expect(tg.cast(x, 'int32').toArray()).toEqual([-1, 0, 0, 0, 2]);
    expect(x.to('int32').dtype).toBe('int32');
    expect(x.to('bool').toArray()).toEqual([true, true, false, true, true]);
    expect(tg.tensor([3, 0], { dtype: 'int32' }).to('bool').toArray()).toEqual([true, false]);
    expect(tg.tensor([true, false]).to('float64').toArray()).toEqual([1, 0]);
    expect(tg.tensor([true, false]).to('int32').toArray()).toEqual([1, 0]);
    expect(x.to('float32')).toBe(x);
  });

  test('float↔float stays differentiable; casting to int32 or bool records no node', () => {
    const x = tg.tensor([1.5, -2], { requiresGrad: true });
    const d = x.to('float64');
    expect(d.requiresGrad).toBe(true);
    d.mul(tg.tensor([2, 3], { dtype: 'float64' }))
      .sum()
      .backward();
    expect(x.grad!.dtype).toBe('float32');
    expect(x.grad!.toArray()).toEqual([2, 3]);
    const i = x.to('int32');
    const b = x.to('bool');
    expect([i.requiresGrad, i.node, b.requiresGrad, b.node]).toEqual([false, null, false, null]);
  });
});

describe('promotion (bool < int32 < float32 < float64)', () => {
  const i32 = () => tg.tensor([1, 2, 3], { dtype: 'int32' });
  const b = () => tg.tensor([true, false, true]);

  test('tensor with tensor', () => {
    expect(tg.promoteTypes('int32', 'float32')).toBe('float32');
    expect(tg.promoteTypes('bool', 'int32')).toBe('int32');
    expect(tg.promoteTypes('float64', 'bool')).toBe('float64');
    expect(tg.promoteTypes('float32', 'float64')).toBe('float64');
    const sum = i32().add(tg.tensor([0.5, 0.5, 0.5]));
    expect([sum.dtype, sum.toArray()]).toEqual(['float32', [1.5, 2.5, 3.5]]);
    expect(i32().add(tg.tensor([1], { dtype: 'float64' })).dtype).toBe('float64');
    const ib = i32().add(b());
    expect([ib.dtype, ib.toArray()]).toEqual(['int32', [2, 2, 4]]);
    expect(
      b()
        .mul(tg.tensor([2.5]))
        .toArray(),
    ).toEqual([2.5, 0, 2.5]);
  });

  test('tensor with a number: an integer keeps int32, a fractional number gives float32', () => {
    const a = i32().mul(2);
    expect([a.dtype, a.toArray()]).toEqual(['int32', [2, 4, 6]]);
    const f = i32().mul(0.5);
    expect([f.dtype, f.toArray()]).toEqual(['float32', [0.5, 1, 1.5]]);
    const r = tg.sub(10, i32());
    expect([r.dtype, r.toArray()]).toEqual(['int32', [9, 8, 7]]);
    expect(b().add(1).dtype).toBe('int32');
    expect(b().add(1).toArray()).toEqual([2, 1, 2]);
    expect(b().add(0.5).dtype).toBe('float32');
    expect(tg.tensor([1]).add(2).dtype).toBe('float32');
    expect(tg.tensor([1], { dtype: 'float64' }).add(2).dtype).toBe('float64');
  });

  test('div of integers divides truly in float32', () => {
    const q = tg.div(tg.tensor([7, -7], { dtype: 'int32' }), tg.tensor([2, 2], { dtype: 'int32' }));
    expect([q.dtype, q.toArray()]).toEqual(['float32', [3.5, -3.5]]);
    expect(i32().div(2).dtype).toBe('float32');
    expect(b().div(2).toArray()).toEqual([0.5, 0, 0.5]);
  });

  test('bool arithmetic: add and maximum are or, mul and minimum are and; sub and neg throw', () => {
    const p = tg.tensor([true, true, false, false]);
    const q = tg.tensor([true, false, true, false]);
    expect(p.add(q).toArray()).toEqual([true, true, true, false]);
    expect(p.maximum(q).toArray()).toEqual([true, true, true, false]);
    expect(p.mul(q).toArray()).toEqual([true, false, false, false]);
    expect(p.minimum(q).toArray()).toEqual([true, false, false, false]);
    expect(p.add(q).dtype).toBe('bool');
    expect(() => p.sub(q)).toThrow('sub: subtracting bool tensors is not supported (a [4] bool, b [4] bool); use logicalXor');
    expect(() => p.neg()).toThrow('neg: negating a bool tensor is not supported (x [4] bool); use logicalNot');
  });
});

describe('existing ops on int32 and bool', () => {
  const i = (data: tg.NestedArray) => tg.tensor(data, { dtype: 'int32' });

  test('arithmetic, abs, neg, relu, pow, maximum and minimum keep int32', () => {
    const x = i([-3, 2, 5]);
    for (const y of [x.add(x), x.sub(1), x.mul(x), x.neg(), x.abs(), x.relu(), x.pow(2), x.maximum(0), x.minimum(0)]) {
      expect(y.dtype).toBe('int32');
    }
    expect(x.pow(2).toArray()).toEqual([9, 4, 25]);
    expect(x.neg().toArray()).toEqual([3, -2, -5]);
    expect(x.relu().toArray()).toEqual([0, 2, 5]);
    expect(x.maximum(0).toArray()).toEqual([0, 2, 5]);
    expect(() => x.pow(i([1, -1, 2]))).toThrow('pow: integers to negative integer powers are not allowed (a [3] int32, b [3] int32)');
  });

  test('exp, log, sqrt, tanh and sigmoid of integers promote to float32', () => {
    const x = i([0, 1, 4]);
    expect(x.exp().dtype).toBe('float32');
    expect(x.sqrt().toArray()).toEqual([0, 1, 2]);
    expect(x.log().data[0]).toBe(-Infinity);
    expect(x.tanh().dtype).toBe('float32');
    expect(tg.tensor([true, false]).sigmoid().toArray()).toEqual([Math.fround(1 / (1 + Math.exp(-1))), 0.5]);
  });

  test('sum keeps int32, counts bools; mean of bools is float32, of int32 throws; max keeps the dtype', () => {
    const x = i([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const s = x.sum(1);
    expect([s.dtype, s.toArray()]).toEqual(['int32', [6, 15]]);
    const b = tg.tensor([true, false, true, true]);
    expect([b.sum().dtype, b.sum().item()]).toEqual(['int32', 3]);
    expect([b.mean().dtype, b.mean().item()]).toEqual(['float32', 0.75]);
    expect(() => x.mean()).toThrow('mean: int32 tensors are not supported (x [2,3] int32); cast to a float dtype first');
    expect([x.max(0).dtype, x.max(0).toArray()]).toEqual(['int32', [4, 5, 6]]);
    expect(i([-5, -7]).max().item()).toBe(-5);
    expect(b.max().toArray()).toBe(true);
  });

  test('shape ops keep the dtype', () => {
    const x = i([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tg.tensor([
      [true, false, true],
      [false, false, true],
    ]);
    for (const t of [x, b]) {
      const ops = [
        t.reshape([3, 2]),
        t.transpose(),
        tg.concat([t, t]),
        tg.stack([t, t]),
        t.slice([0, 1], [2, 3]),
        t.flip(),
        t.pad([1]),
        t.expand([2, 2, 3]),
        t.flatten(0),
        t.unsqueeze(0),
      ];
      for (const y of ops) expect(y.dtype).toBe(t.dtype);
    }
    expect(x.transpose().toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(b.flip([1]).toArray()).toEqual([
      [true, false, true],
      [true, false, false],
    ]);
    expect(x.pad([[0, 1]], 9).toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [9, 9, 9],
    ]);
    expect(tg.concat([x, b]).dtype).toBe('int32');
    expect(tg.concat([x, tg.ones([1, 3])]).dtype).toBe('float32');
  });

  test('matmul of int32 gives int32; bool throws naming the dtypes', () => {
    const a = i([
      [1, 2],
      [3, 4],
    ]);
    const y = tg.matmul(a, a);
    expect([y.dtype, y.toArray()]).toEqual([
      'int32',
      [
        [7, 10],
        [15, 22],
      ],
    ]);
    expect(tg.matmul(a, tg.ones([2, 2])).dtype).toBe('float32');
    expect(() => tg.matmul(tg.ones([2, 3], { dtype: 'bool' }), tg.ones([3, 2]))).toThrow(
      'matmul: bool tensors are not supported (a [2,3] bool, b [3,2] float32)',
    );
  });

  test('conv, pooling, softmax and batch norm want floats, and say so', () => {
    const xi = tg.ones([1, 1, 4, 4], { dtype: 'int32' });
    expect(() => tg.conv2d(xi, tg.ones([1, 1, 2, 2]))).toThrow(
      'conv2d: int32 tensors are not supported (input [1,1,4,4] int32, weight [1,1,2,2] float32)',
    );
    expect(() => tg.maxPool2d(xi, 2)).toThrow('maxPool2d: int32 tensors are not supported (input [1,1,4,4] int32)');
    expect(() => tg.softmax(tg.ones([3], { dtype: 'bool' }))).toThrow('softmax: bool tensors are not supported (x [3] bool)');
    expect(() => tg.logSoftmax(tg.ones([3], { dtype: 'int32' }))).toThrow('logSoftmax: int32 tensors are not supported (x [3] int32)');
    expect(() => tg.batchNorm(tg.ones([2, 3], { dtype: 'int32' }))).toThrow(
      'batchNorm: int32 tensors are not supported (input [2,3] int32)',
    );
    expect(() => tg.convolve(tg.ones([3], { dtype: 'int32' }), tg.ones([2]))).toThrow(
      'convolve: int32 tensors are not supported (x [3] int32, w [2] float32)',
    );
  });

  test('an int32 tensor beside a float one that requires grad: the gradient flows to the float one only', () => {
    const w = tg.tensor([0.5, 2], { requiresGrad: true });
    const n = tg.tensor([3, 4], { dtype: 'int32' });
    w.mul(n).sum().backward();
    expect(w.grad!.toArray()).toEqual([3, 4]);
    expect(n.grad).toBeNull();
  });

  test('crossEntropy takes int32 targets', () => {
    const logits = tg.tensor([
      [2, 0],
      [0, 2],
    ]);
    const a = tg.crossEntropy(logits, tg.tensor([0, 1], { dtype: 'int32' })).item();
    expect(a).toBeCloseTo(Math.log(1 + Math.exp(-2)), 6);
  });
});

describe('large int32 and bool tensors stay off the WebAssembly kernels', () => {
  test('elementwise ops and sums of 10 000 int32 elements give exact integers', () => {
    const n = 10000;
    const x = tg.tensor(Int32Array.from({ length: n }, (_, k) => k - 5000));
    const y = x.mul(3).add(x).abs();
    let want = 0;
    for (let k = 0; k < n; k++) {
      expect(y.data[k]).toBe(Math.abs(4 * (k - 5000)));
      want += Math.abs(4 * (k - 5000));
    }
    expect(y.dtype).toBe('int32');
    expect(y.sum().item()).toBe(want);
    const b = x.to('bool');
    expect(b.add(b).sum().item()).toBe(n - 1);
  });
});
