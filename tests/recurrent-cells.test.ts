/**
 * @file The fused LSTM and GRU steps (Note [fused recurrent cells], src/ops/recurrent-cells.ts):
 * values and gradients against reference loops written here from PyTorch's equations (float64, and
 * float32 at a large size against the float64 loop), gradcheck and gradgradcheck of each input with
 * all or part of the output's gradient flowing, the layers giving the same numbers fused and composed
 * (Note [composed cells for drawing]), the kernels of every backend agreeing, and the errors.
 */
import * as tg from '../src';
import { jsKernels, kernels } from '../src/kernels';
import { withComposedCells } from '../src/nn/recurrent';
import { gruCell, lstmCell } from '../src/ops/recurrent-cells';

const r = tg.rng('recurrent-cells');
const randn = (shape: number[], dtype: 'float32' | 'float64' = 'float64', requiresGrad = false) =>
  tg.randn(shape, { rng: r, dtype, requiresGrad });

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** LSTM step from the equations, float64: y [B, 2H] = [h' | c'] and, for upstream gy, the gradients. */
function lstmReference(gates: ArrayLike<number>, c: ArrayLike<number>, B: number, H: number, gy: ArrayLike<number>) {
  const y = new Float64Array(2 * B * H);
  const gGates = new Float64Array(4 * B * H);
  const gc = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const a = (k: number) => gates[b * 4 * H + k * H + j];
      const [i, f, g, o] = [sig(a(0)), sig(a(1)), Math.tanh(a(2)), sig(a(3))];
      const cp = c[b * H + j];
      const c2 = f * cp + i * g;
      const h2 = o * Math.tanh(c2);
      y[b * 2 * H + j] = h2;
      y[b * 2 * H + H + j] = c2;
      const dh = gy[b * 2 * H + j];
      // ∂L/∂c' in all: directly, and through h' = o·tanh(c').
      const dc = gy[b * 2 * H + H + j] + dh * o * (1 - Math.tanh(c2) ** 2);
      gGates[b * 4 * H + j] = dc * g * i * (1 - i);
      gGates[b * 4 * H + H + j] = dc * cp * f * (1 - f);
      gGates[b * 4 * H + 2 * H + j] = dc * i * (1 - g * g);
      gGates[b * 4 * H + 3 * H + j] = dh * Math.tanh(c2) * o * (1 - o);
      gc[b * H + j] = dc * f;
    }
  }
  return { y, gGates, gc };
}

/** GRU step from PyTorch's equations, float64, and its gradients for upstream gy. */
function gruReference(gi: ArrayLike<number>, gh: ArrayLike<number>, hp: ArrayLike<number>, B: number, H: number, gy: ArrayLike<number>) {
  const y = new Float64Array(B * H);
  const ggi = new Float64Array(3 * B * H);
  const ggh = new Float64Array(3 * B * H);
  const ghp = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const at = (k: number) => b * 3 * H + k * H + j;
      const rr = sig(gi[at(0)] + gh[at(0)]);
      const z = sig(gi[at(1)] + gh[at(1)]);
      const n = Math.tanh(gi[at(2)] + rr * gh[at(2)]);
      const h = hp[b * H + j];
      y[b * H + j] = (1 - z) * n + z * h;
      const d = gy[b * H + j];
      const dn = d * (1 - z) * (1 - n * n);
      const dr = dn * gh[at(2)] * rr * (1 - rr);
      const dz = d * (h - n) * z * (1 - z);
      [ggi[at(0)], ggi[at(1)], ggi[at(2)]] = [dr, dz, dn];
      [ggh[at(0)], ggh[at(1)], ggh[at(2)]] = [dr, dz, dn * rr];
      ghp[b * H + j] = d * z;
    }
  }
  return { y, ggi, ggh, ghp };
}

/** Largest |a − b| relative to the largest |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 1e-300;
  let err = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
  return err / scale;
}

describe('lstmCell', () => {
  test('a hand-worked step: zero gates, c = 1', () => {
    // σ(0) = 1/2, tanh(0) = 0: c' = c/2 = 0.5, h' = tanh(0.5)/2.
    const y = lstmCell(tg.zeros([1, 4], { dtype: 'float64' }), tg.ones([1, 1], { dtype: 'float64' }));
    expect(y.shape).toEqual([1, 2]);
    expect(y.data[0]).toBeCloseTo(Math.tanh(0.5) / 2, 15);
    expect(y.data[1]).toBe(0.5);
  });

  test.each([
    ['h and c', true, true],
    ["h' only", true, false],
    ["c' only", false, true],
  ])('values and gradients match the equations in float64 (%s flowing)', (_name, hFlows, cFlows) => {
    const [B, H] = [3, 5];
    const gates = randn([B, 4 * H], 'float64', true);
    const c = randn([B, H], 'float64', true);
    const gy = randn([B, 2 * H]);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        if (!hFlows) gy.data[b * 2 * H + j] = 0;
        if (!cFlows) gy.data[b * 2 * H + H + j] = 0;
      }
    }
    const y = lstmCell(gates, c);
    y.backward(gy);
    const want = lstmReference(gates.data, c.data, B, H, gy.data);
    expect(relErr(y.data, want.y)).toBeLessThan(1e-15);
    expect(relErr(gates.grad!.data, want.gGates)).toBeLessThan(1e-14);
    expect(relErr(c.grad!.data, want.gc)).toBeLessThan(1e-14);
  });

  test.each([
    ['both outputs, both inputs', (g: tg.Tensor, c: tg.Tensor) => lstmCell(g, c), true],
    ["h' only", (g: tg.Tensor, c: tg.Tensor) => tg.slice(lstmCell(g, c), [0, 0], [2, 3]), true],
    ["c' only, c constant", (g: tg.Tensor, c: tg.Tensor) => tg.slice(lstmCell(g, c), [0, 3], [2, 6]), false],
    ["tanh of h' (second order through both)", (g: tg.Tensor, c: tg.Tensor) => tg.tanh(tg.sum(lstmCell(g, c), 1)), true],
  ])('gradcheck and gradgradcheck in float64: %s', (_name, fn, cGrad) => {
    const inputs = [randn([2, 12], 'float64', true), randn([2, 3], 'float64', cGrad)];
    const result = tg.gradcheck(fn, inputs, { order: 2 });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
  });

  test('float32 at B=64, H=256 against the float64 equations', () => {
    const [B, H] = [64, 256];
    const gates = randn([B, 4 * H], 'float32', true);
    const c = randn([B, H], 'float32', true);
    const gy = randn([B, 2 * H], 'float32');
    const y = lstmCell(gates, c);
    y.backward(gy);
    expect(y.dtype).toBe('float32');
    const want = lstmReference(gates.data, c.data, B, H, gy.data);
    expect(relErr(y.data, want.y)).toBeLessThan(1e-6);
    expect(relErr(gates.grad!.data, want.gGates)).toBeLessThan(1e-6);
    expect(relErr(c.grad!.data, want.gc)).toBeLessThan(1e-6);
  });

  test('mixed dtypes meet in float64', () => {
    const y = lstmCell(randn([2, 8], 'float32'), randn([2, 2], 'float64'));
    expect(y.dtype).toBe('float64');
  });

  test.each([
    [() => lstmCell(tg.zeros([2, 7]), tg.zeros([2, 1])), /lstmCell: expected gates of shape \[B, 4·H\] \(gates \[2,7\], c \[2,1\]\)/],
    [
      () => lstmCell(tg.zeros([2, 8]), tg.zeros([3, 2])),
      /lstmCell: expected c of shape \[2, 2\] \(\[B, H\], H = 2\) \(gates \[2,8\], c \[3,2\]\)/,
    ],
    [() => lstmCell(tg.zeros([8]), tg.zeros([2])), /lstmCell: expected gates of shape \[B, 4·H\] \(gates \[8\], c \[2\]\)/],
    [() => lstmCell(tg.zeros([1, 4], { dtype: 'int32' }), tg.zeros([1, 1])), /lstmCell: int32 tensors are not supported/],
  ])('errors name the op and the shapes %#', (fn, message) => {
    expect(fn).toThrow(message);
  });
});

describe('gruCell', () => {
  test('a hand-worked step: zero gates', () => {
    // r = z = 1/2, n = tanh(0) = 0: h' = h/2.
    const z = tg.zeros([1, 3], { dtype: 'float64' });
    const y = gruCell(z, z, tg.tensor([[0.8]], { dtype: 'float64' }));
    expect(Array.from(y.data)).toEqual([0.4]);
  });

  test('values and gradients match the equations in float64', () => {
    const [B, H] = [4, 3];
    const [gi, gh, hp] = [randn([B, 3 * H], 'float64', true), randn([B, 3 * H], 'float64', true), randn([B, H], 'float64', true)];
    const gy = randn([B, H]);
    const y = gruCell(gi, gh, hp);
    y.backward(gy);
    const want = gruReference(gi.data, gh.data, hp.data, B, H, gy.data);
    expect(relErr(y.data, want.y)).toBeLessThan(1e-15);
    expect(relErr(gi.grad!.data, want.ggi)).toBeLessThan(1e-14);
    expect(relErr(gh.grad!.data, want.ggh)).toBeLessThan(1e-14);
    expect(relErr(hp.grad!.data, want.ghp)).toBeLessThan(1e-14);
  });

  test.each([
    ['every input', [true, true, true]],
    ['h constant', [true, true, false]],
    ['gh only', [false, true, false]],
    ['h only', [false, false, true]],
  ])('gradcheck and gradgradcheck in float64: %s', (_name, grads) => {
    const inputs = [randn([2, 6], 'float64', grads[0]), randn([2, 6], 'float64', grads[1]), randn([2, 2], 'float64', grads[2])];
    const result = tg.gradcheck((gi, gh, h) => tg.mul(gruCell(gi, gh, h), gruCell(gi, gh, h)), inputs, { order: 2 });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(true);
  });

  test('float32 at B=64, H=256 against the float64 equations', () => {
    const [B, H] = [64, 256];
    const [gi, gh, hp] = [randn([B, 3 * H], 'float32', true), randn([B, 3 * H], 'float32', true), randn([B, H], 'float32', true)];
    const gy = randn([B, H], 'float32');
    const y = gruCell(gi, gh, hp);
    y.backward(gy);
    const want = gruReference(gi.data, gh.data, hp.data, B, H, gy.data);
    expect(relErr(y.data, want.y)).toBeLessThan(1e-6);
    expect(relErr(gi.grad!.data, want.ggi)).toBeLessThan(1e-6);
    expect(relErr(gh.grad!.data, want.ggh)).toBeLessThan(1e-6);
    expect(relErr(hp.grad!.data, want.ghp)).toBeLessThan(1e-6);
  });

  test.each([
    [
      () => gruCell(tg.zeros([2, 6]), tg.zeros([2, 3]), tg.zeros([2, 2])),
      /gruCell: expected gh of shape \[2, 6\] \(\[B, 3·H\], H = 2\) \(gi \[2,6\], gh \[2,3\], h \[2,2\]\)/,
    ],
    [() => gruCell(tg.zeros([2, 6]), tg.zeros([2, 6]), tg.zeros([1, 2])), /gruCell: expected h of shape \[2, 2\] \(\[B, H\], H = 2\)/],
    [() => gruCell(tg.zeros([2, 5]), tg.zeros([2, 6]), tg.zeros([2, 2])), /gruCell: expected gi of shape \[B, 3·H\] \(gi \[2,5\]/],
  ])('errors name the op and the shapes %#', (fn, message) => {
    expect(fn).toThrow(message);
  });
});

describe('the kernels of the running backend and the TypeScript ones agree', () => {
  test('float32, B=64, H=256, forward and backward of both cells', () => {
    const [B, H] = [64, 256];
    const data = (n: number) => Float32Array.from(randn([n]).data);
    const [gates, c, gyL] = [data(4 * B * H), data(B * H), data(2 * B * H)];
    const run = (k: typeof jsKernels) => {
      const y = new Float32Array(2 * B * H);
      const saved = new Float32Array(5 * B * H);
      k.lstmCellForward(gates, c, B, H, y, saved);
      const gg = new Float32Array(4 * B * H);
      const gc = new Float32Array(B * H);
      k.lstmCellBackward(gyL, saved, c, B, H, gg, gc);
      const [gi, gh, hp, gyG] = [data(3 * B * H), data(3 * B * H), data(B * H), data(B * H)];
      const yG = new Float32Array(B * H);
      const savedG = new Float32Array(3 * B * H);
      k.gruCellForward(gi, gh, hp, B, H, yG, savedG);
      const [ggi, ggh, ghp] = [new Float32Array(3 * B * H), new Float32Array(3 * B * H), new Float32Array(B * H)];
      k.gruCellBackward(gyG, savedG, gh, hp, B, H, ggi, ggh, ghp);
      return [y, gg, gc, yG, ggi, ggh, ghp];
    };
    const state = r.state();
    const mine = run(kernels());
    r.setState(state);
    const ref = run(jsKernels);
    mine.forEach((a, k) => expect(relErr(a, ref[k])).toBeLessThan(1e-6));
  });
});

describe('the layers give the same numbers fused and composed (Note [composed cells for drawing])', () => {
  type Input = tg.Tensor | tg.nn.utils.rnn.PackedSequence;
  /** Output and the gradients of the leaves, the state and every parameter of a forward, as flat arrays. */
  function runLayer(m: tg.nn.Module<any, any>, input: () => Input, leaves: tg.Tensor[], state: tg.Tensor[]) {
    m.zeroGrad();
    for (const s of [...leaves, ...state]) s.grad = null;
    const out = m.forward(input(), state.length === 0 ? null : state.length === 1 ? state[0] : state);
    const flat = (v: unknown): tg.Tensor[] =>
      v instanceof tg.Tensor ? [v] : v instanceof tg.nn.utils.rnn.PackedSequence ? [v.data] : (v as unknown[]).flatMap(flat);
    const outs = flat(out);
    tg.sum(tg.concat(outs.map((t, k) => tg.mul(tg.reshape(t, [-1]), k + 1)))).backward();
    return [...outs, ...leaves.map((s) => s.grad!), ...state.map((s) => s.grad!), ...m.parameters().map((p) => p.grad!)].map((t) =>
      Array.from(t.data),
    );
  }

  test.each([
    [
      'LSTM 2 layers, bidirectional, projSize',
      () => new tg.nn.LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2, rng: r, dtype: 'float64' }),
      true,
      'lstm',
    ],
    [
      'GRU 2 layers, bidirectional',
      () => new tg.nn.GRU(3, 4, { numLayers: 2, bidirectional: true, rng: r, dtype: 'float64' }),
      true,
      'gru',
    ],
    ['LSTM over a packed batch', () => new tg.nn.LSTM(3, 4, { rng: r, dtype: 'float64' }), false, 'lstm'],
    ['GRU over a packed batch', () => new tg.nn.GRU(3, 4, { bidirectional: true, rng: r, dtype: 'float64' }), false, 'gru'],
  ] as const)('%s', (_name, make, padded, kind) => {
    const m = make();
    const D = m.bidirectional ? 2 : 1;
    const L = m.numLayers;
    const Hr = m.projSize > 0 ? m.projSize : m.hiddenSize;
    const leaves = padded ? [randn([4, 2, 3], 'float64', true)] : [4, 2, 3].map((n) => randn([n, 3], 'float64', true));
    const input = (): Input => (padded ? leaves[0] : tg.nn.utils.rnn.packSequence(leaves, { enforceSorted: false }));
    const batch = leaves.length === 1 ? 2 : 3;
    const hs = [randn([L * D, batch, Hr], 'float64', true)];
    const state = kind === 'lstm' ? [...hs, randn([L * D, batch, m.hiddenSize], 'float64', true)] : hs;
    const fused = runLayer(m, input, leaves, state);
    const composed = withComposedCells(() => runLayer(m, input, leaves, state));
    expect(fused.length).toBe(composed.length);
    fused.forEach((a, k) => expect(relErr(a, composed[k])).toBeLessThan(1e-12));
  });

  test('LSTMCell and GRUCell', () => {
    const lstm = new tg.nn.LSTMCell(3, 4, { rng: r, dtype: 'float64' });
    const gru = new tg.nn.GRUCell(3, 4, { rng: r, dtype: 'float64' });
    const x = randn([2, 3], 'float64', true);
    const h = randn([2, 4], 'float64', true);
    const c = randn([2, 4], 'float64', true);
    for (const [m, state] of [
      [lstm, [h, c]],
      [gru, [h]],
    ] as const) {
      const fused = runLayer(m, () => x, [x], [...state]);
      const composed = withComposedCells(() => runLayer(m, () => x, [x], [...state]));
      fused.forEach((a, k) => expect(relErr(a, composed[k])).toBeLessThan(1e-12));
    }
  });

  test('an LSTM step draws one lstmCell node, a GRU step one gruCell node', () => {
    // With projections the LSTM runs step by step (Note [sequence path] in src/nn/recurrent.ts).
    const lstm = new tg.nn.LSTM(2, 3, { projSize: 2, rng: r });
    const [out] = lstm.forward(tg.randn([2, 1, 2], { rng: r, requiresGrad: true }));
    const ops = tg.viz.viewGraph([out]).ops.map((o) => o.op);
    expect(ops.filter((o) => o === 'lstmCell')).toHaveLength(2);
    expect(ops.filter((o) => o === 'sigmoid')).toHaveLength(0);
    expect(ops.filter((o) => o === 'lstmSequence')).toHaveLength(0);
    // Over a packed batch the GRU runs step by step too.
    const gru = new tg.nn.GRU(2, 3, { rng: r });
    const [g] = gru.forward(tg.nn.utils.rnn.packSequence([tg.randn([3, 2], { rng: r, requiresGrad: true })]));
    expect(tg.viz.viewGraph([g.data]).ops.filter((o) => o.op === 'gruCell')).toHaveLength(3);
    expect(tg.viz.viewGraph([g.data]).ops.filter((o) => o.op === 'gruSequence')).toHaveLength(0);
  });
});
