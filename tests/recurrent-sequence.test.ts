/**
 * @file The LSTM and GRU sequence primitives (Note [LSTM sequence primitive], src/ops/recurrent-sequence.ts)
 * in float64: a hand-derived step, equality with the per-step path (matmul, add and the fused
 * lstmCell per step) for values and every input's gradient, nn.LSTM in every configuration that runs
 * it against the same layer with composed cells, and the errors. gradcheck and gradgradcheck run in
 * the op table (src/testing/cases/recurrent-sequence.ts); the WebAssembly kernel is tested in
 * tests/recurrent-sequence-wasm.test.ts.
 */
import * as tg from '../src';
import { withComposedCells } from '../src/nn/recurrent';
import { gruCell, lstmCell } from '../src/ops/recurrent-cells';
import { gruSequence, lstmSequence } from '../src/ops/recurrent-sequence';

const r = tg.rng('recurrent-sequence');
const randn = (shape: number[], requiresGrad = false, scale = 1) => {
  const x = tg.mul(tg.randn(shape, { rng: r, dtype: 'float64' }), scale);
  x.requiresGrad = requiresGrad;
  return x;
};
const sig = (v: number) => 1 / (1 + Math.exp(-v));

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1e-300;
  let err = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

/** The per-step path the primitive replaces: per step add(gatesX[t], h W_hhᵀ), lstmCell, column slices. */
function perStep(gx: tg.Tensor, whh: tg.Tensor, h0: tg.Tensor, c0: tg.Tensor): tg.Tensor {
  const [T, B, G] = gx.shape;
  const H = G / 4;
  let h = h0;
  let c = c0;
  const hs: tg.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const gates = tg.add(tg.reshape(tg.slice(gx, [t], [t + 1]), [B, G]), tg.matmul(h, tg.transpose(whh, [1, 0])));
    const y = lstmCell(gates, c);
    h = tg.slice(y, [0, 0], [B, H]);
    c = tg.slice(y, [0, H], [B, 2 * H]);
    hs.push(h);
  }
  return tg.stack([...hs, c], 0);
}

describe('lstmSequence', () => {
  test('one step by hand: c = σ(i)·tanh(g) + σ(f)·c0, h = σ(o)·tanh(c), with h0 W_hhᵀ added to the gates', () => {
    const gx = tg.tensor([[[0.5, -1, 2, 0.25]]], { dtype: 'float64' });
    const whh = tg.tensor([[1], [2], [-1], [0.5]], { dtype: 'float64' });
    const h0 = tg.tensor([[0.2]], { dtype: 'float64' });
    const c0 = tg.tensor([[-0.3]], { dtype: 'float64' });
    const y = lstmSequence(gx, whh, h0, c0);
    expect(y.shape).toEqual([2, 1, 1]);
    const [i, f, g, o] = [sig(0.5 + 0.2), sig(-1 + 0.4), Math.tanh(2 - 0.2), sig(0.25 + 0.1)];
    const c = f * -0.3 + i * g;
    expect(y.data[0]).toBeCloseTo(o * Math.tanh(c), 15);
    expect(y.data[1]).toBeCloseTo(c, 15);
  });

  test.each([
    ['all inputs, every output', [true, true, true, true], 'all'],
    ["h's only (the final c unused)", [true, true, true, true], 'hs'],
    ['the final c only', [true, true, false, true], 'c'],
    ['h0 and c0 constant', [true, true, false, false], 'all'],
  ] as const)('equals the per-step path to 1e-12 in float64: %s', (_name, grads, use) => {
    const [T, B, H] = [7, 3, 5];
    const inputs = [randn([T, B, 4 * H]), randn([4 * H, H], false, 0.5), randn([B, H]), randn([B, H])];
    const weights = randn([T + 1, B, H]);
    const run = (f: typeof lstmSequence) => {
      const xs = inputs.map((x, k) => {
        const c = tg.mul(x, 1);
        c.requiresGrad = grads[k];
        return c;
      });
      const y = f(xs[0], xs[1], xs[2], xs[3]);
      const part = use === 'hs' ? tg.slice(y, [0], [T]) : use === 'c' ? tg.slice(y, [T], [T + 1]) : y;
      const w = use === 'hs' ? tg.slice(weights, [0], [T]) : use === 'c' ? tg.slice(weights, [T], [T + 1]) : weights;
      tg.sum(tg.mul(part, w)).backward();
      return [y, ...xs.filter((x) => x.requiresGrad).map((x) => x.grad!)];
    };
    const fused = run(lstmSequence);
    const stepped = run(perStep);
    expect(fused.length).toBe(stepped.length);
    fused.forEach((a, k) => expect(relErr(a.data, stepped[k].data)).toBeLessThan(1e-12));
  });

  test.each([
    ['float32 and float64 mixed promote to float64', 'float32'],
    ['float64', 'float64'],
  ] as const)('dtypes: %s', (_name, dtype) => {
    const gx = tg.randn([2, 1, 4], { rng: r, dtype });
    const y = lstmSequence(gx, randn([4, 1]), randn([1, 1]), randn([1, 1]));
    expect(y.dtype).toBe('float64');
  });

  test.each([
    [
      () => lstmSequence(randn([2, 3]), randn([4, 1]), randn([3, 1]), randn([3, 1])),
      /lstmSequence: expected gatesX of shape \[T, B, 4·H\].*gatesX \[2,3\]/,
    ],
    [
      () => lstmSequence(randn([2, 3, 6]), randn([6, 1]), randn([3, 1]), randn([3, 1])),
      /lstmSequence: expected gatesX of shape \[T, B, 4·H\].*gatesX \[2,3,6\]/,
    ],
    [() => lstmSequence(randn([0, 3, 8]), randn([8, 2]), randn([3, 2]), randn([3, 2])), /lstmSequence: expected gatesX .*T ≥ 1/],
    [
      () => lstmSequence(randn([2, 3, 8]), randn([8, 3]), randn([3, 2]), randn([3, 2])),
      /lstmSequence: expected W_hh of shape \[8, 2\] \(\[4·H, H\], H = 2\) \(gatesX \[2,3,8\], W_hh \[8,3\], h0 \[3,2\], c0 \[3,2\]\)/,
    ],
    [
      () => lstmSequence(randn([2, 3, 8]), randn([8, 2]), randn([2, 2]), randn([3, 2])),
      /lstmSequence: expected h0 of shape \[3, 2\] \(\[B, H\]\).*h0 \[2,2\]/,
    ],
    [
      () => lstmSequence(randn([2, 3, 8]), randn([8, 2]), randn([3, 2]), randn([3, 2, 1])),
      /lstmSequence: expected c0 of shape \[3, 2\].*c0 \[3,2,1\]/,
    ],
    [
      () => lstmSequence(tg.zeros([1, 1, 4], { dtype: 'int32' }), randn([4, 1]), randn([1, 1]), randn([1, 1])),
      /lstmSequence: int32 tensors are not supported/,
    ],
  ])('errors name the op and the shapes %#', (fn, message) => {
    expect(fn).toThrow(message);
  });
});

describe('nn.LSTM runs the sequence primitive (Note [sequence path])', () => {
  type Input = tg.Tensor | tg.nn.utils.rnn.PackedSequence;
  function runLayer(m: tg.nn.LSTM, input: () => Input, leaves: tg.Tensor[], state: tg.Tensor[]) {
    m.zeroGrad();
    for (const s of [...leaves, ...state]) s.grad = null;
    const [out, [h, c]] = m.forward(input(), state.length === 0 ? null : (state as [tg.Tensor, tg.Tensor]));
    const data = out instanceof tg.Tensor ? out : out.data;
    const outs = [data, h, c];
    tg.sum(tg.concat(outs.map((t, k) => tg.mul(tg.reshape(t, [-1]), k + 1)))).backward();
    return [...outs, ...leaves.map((s) => s.grad!), ...state.map((s) => s.grad!), ...m.parameters().map((p) => p.grad!)].map((t) =>
      Array.from(t.data),
    );
  }

  test.each([
    ['2 layers, bidirectional, h0 and c0 given', { numLayers: 2, bidirectional: true }, [5, 2, 3], true],
    ['batchFirst, no initial state', { batchFirst: true }, [2, 5, 3], false],
    ['3 layers with dropout between them (eval)', { numLayers: 3, dropout: 0.5 }, [4, 3, 3], true],
    ['unbatched, bidirectional', { bidirectional: true }, [6, 3], true],
    ['no bias, one step', { bias: false }, [1, 2, 3], false],
  ] as const)('%s: the same numbers as composed cells, to 1e-12', (_name, opts, shape, withState) => {
    const m = new tg.nn.LSTM(3, 4, { ...opts, rng: r, dtype: 'float64' });
    m.eval();
    const D = m.bidirectional ? 2 : 1;
    const x = randn([...shape], true);
    const batch = shape.length === 2 ? [] : [m.batchFirst ? shape[0] : shape[1]];
    const state = withState ? [randn([m.numLayers * D, ...batch, 4], true), randn([m.numLayers * D, ...batch, 4], true)] : [];
    const seq = runLayer(m, () => x, [x], state);
    const ops = tg.viz.viewGraph([m.forward(x, withState ? (state as [tg.Tensor, tg.Tensor]) : null)[0]]).ops.map((o) => o.op);
    expect(ops.filter((o) => o === 'lstmSequence')).toHaveLength(m.numLayers * D);
    const composed = withComposedCells(() => runLayer(m, () => x, [x], state));
    expect(seq.length).toBe(composed.length);
    seq.forEach((a, k) => expect(relErr(a, composed[k])).toBeLessThan(1e-12));
  });

  test('dropout between layers while training uses the seeded generator: the same numbers as composed cells', () => {
    const make = () => new tg.nn.LSTM(3, 4, { numLayers: 2, dropout: 0.5, rng: tg.rng(9), dtype: 'float64' });
    const x = randn([4, 2, 3]);
    const [a] = make().forward(x);
    const [b] = withComposedCells(() => make().forward(x));
    expect(relErr(a.data, b.data)).toBeLessThan(1e-12);
  });

  test('a packed batch keeps the per-step loop, whatever its lengths', () => {
    const m = new tg.nn.LSTM(3, 4, { rng: r, dtype: 'float64' });
    const same = tg.nn.utils.rnn.packSequence([randn([3, 3]), randn([3, 3])]);
    const ragged = tg.nn.utils.rnn.packSequence([randn([3, 3]), randn([2, 3])]);
    const opsOf = (p: tg.nn.utils.rnn.PackedSequence) => tg.viz.viewGraph([m.forward(p)[0].data]).ops.map((o) => o.op);
    expect(opsOf(same).filter((o) => o === 'lstmSequence')).toHaveLength(0);
    expect(opsOf(same).filter((o) => o === 'lstmCell')).toHaveLength(3);
    expect(opsOf(ragged).filter((o) => o === 'lstmSequence')).toHaveLength(0);
    expect(opsOf(ragged).filter((o) => o === 'lstmCell')).toHaveLength(3);
  });
});

describe('gruSequence', () => {
  /** The per-step path: per step gruCell(gi[t], h W_hhᵀ + b_hh, h). */
  function perStepGru(gi: tg.Tensor, whh: tg.Tensor, bhh: tg.Tensor, h0: tg.Tensor): tg.Tensor {
    const [T, B, G] = gi.shape;
    let h = h0;
    const hs: tg.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      h = gruCell(tg.reshape(tg.slice(gi, [t], [t + 1]), [B, G]), tg.add(tg.matmul(h, tg.transpose(whh, [1, 0])), bhh), h);
      hs.push(h);
    }
    return tg.stack(hs, 0);
  }

  test('one step by hand: h = (1 − z)·n + z·h0', () => {
    const gi = tg.tensor([[[0.5, -1, 2]]], { dtype: 'float64' });
    const whh = tg.tensor([[1], [2], [-1]], { dtype: 'float64' });
    const bhh = tg.tensor([0.1, 0.2, 0.3], { dtype: 'float64' });
    const h0 = tg.tensor([[0.4]], { dtype: 'float64' });
    const y = gruSequence(gi, whh, bhh, h0);
    expect(y.shape).toEqual([1, 1, 1]);
    const r = sig(0.5 + 0.4 + 0.1);
    const z = sig(-1 + 0.8 + 0.2);
    const n = Math.tanh(2 + r * (-0.4 + 0.3));
    expect(y.data[0]).toBeCloseTo((1 - z) * n + z * 0.4, 15);
  });

  test.each([
    ['all inputs', [true, true, true, true]],
    ['gi and W_hh only', [true, true, false, false]],
  ] as const)('equals the per-step path to 1e-12 in float64: %s', (_name, grads) => {
    const [T, B, H] = [6, 3, 4];
    const inputs = [randn([T, B, 3 * H]), randn([3 * H, H], false, 0.5), randn([3 * H]), randn([B, H])];
    const weights = randn([T, B, H]);
    const run = (f: typeof gruSequence) => {
      const xs = inputs.map((x, k) => {
        const c = tg.mul(x, 1);
        c.requiresGrad = grads[k];
        return c;
      });
      tg.sum(tg.mul(f(xs[0], xs[1], xs[2], xs[3]), weights)).backward();
      return [f(xs[0], xs[1], xs[2], xs[3]), ...xs.filter((x) => x.requiresGrad).map((x) => x.grad!)];
    };
    const fused = run(gruSequence);
    const stepped = run(perStepGru);
    expect(fused.length).toBe(stepped.length);
    fused.forEach((a, k) => expect(relErr(a.data, stepped[k].data)).toBeLessThan(1e-12));
  });

  test.each([
    [
      () => gruSequence(randn([2, 3, 7]), randn([7, 2]), randn([7]), randn([3, 2])),
      /gruSequence: expected gi of shape \[T, B, 3·H\].*gi \[2,3,7\]/,
    ],
    [
      () => gruSequence(randn([2, 3, 6]), randn([6, 3]), randn([6]), randn([3, 2])),
      /gruSequence: expected W_hh of shape \[6, 2\] \(\[3·H, H\], H = 2\) \(gi \[2,3,6\], W_hh \[6,3\], b_hh \[6\], h0 \[3,2\]\)/,
    ],
    [
      () => gruSequence(randn([2, 3, 6]), randn([6, 2]), randn([4]), randn([3, 2])),
      /gruSequence: expected b_hh of shape \[6\].*b_hh \[4\]/,
    ],
    [
      () => gruSequence(randn([2, 3, 6]), randn([6, 2]), randn([6]), randn([2, 2])),
      /gruSequence: expected h0 of shape \[3, 2\].*h0 \[2,2\]/,
    ],
  ])('errors name the op and the shapes %#', (fn, message) => {
    expect(fn).toThrow(message);
  });

  test.each([
    ['2 layers, bidirectional, h0 given', { numLayers: 2, bidirectional: true }, [5, 2, 3], true],
    ['batchFirst, no bias, no initial state', { batchFirst: true, bias: false }, [2, 5, 3], false],
    ['unbatched', {}, [6, 3], true],
  ] as const)(
    'nn.GRU, %s: one gruSequence per layer and direction, the same numbers as composed cells, to 1e-12',
    (_name, opts, shape, withState) => {
      const m = new tg.nn.GRU(3, 4, { ...opts, rng: r, dtype: 'float64' });
      const D = m.bidirectional ? 2 : 1;
      const x = randn([...shape], true);
      const batch = shape.length === 2 ? [] : [m.batchFirst ? shape[0] : shape[1]];
      const h0 = withState ? randn([m.numLayers * D, ...batch, 4], true) : null;
      const runLayer = () => {
        m.zeroGrad();
        x.grad = null;
        if (h0) h0.grad = null;
        const [out, h] = m.forward(x, h0);
        tg.sum(tg.concat([tg.reshape(out, [-1]), tg.mul(tg.reshape(h, [-1]), 2)])).backward();
        return [out, h, x.grad!, ...(h0 ? [h0.grad!] : []), ...m.parameters().map((p) => p.grad!)].map((t) => Array.from(t.data));
      };
      const seq = runLayer();
      expect(tg.viz.viewGraph([m.forward(x, h0)[0]]).ops.filter((o) => o.op === 'gruSequence')).toHaveLength(m.numLayers * D);
      const composed = withComposedCells(runLayer);
      seq.forEach((a, k) => expect(relErr(a, composed[k])).toBeLessThan(1e-12));
    },
  );
});
