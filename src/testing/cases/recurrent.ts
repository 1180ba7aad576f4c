/**
 * @file Gradient cases for the recurrent layers, packed sequences, attention and the Transformer encoder
 * (SPEC §15): every layer is checked with respect to its input, its initial state and every parameter,
 * at first and second order. A module's parameters are the case's inputs: `withParameters` puts the
 * (perturbed) inputs in place of the module's own tensors, by name, before each forward.
 */
import * as tg from '../../index';
import type { Tensor } from '../../index';
import type { OpCase } from '../op-case';

const r = tg.rng('cases:recurrent');
/** A float64 leaf with seeded normal values that requires grad. */
const leaf = (shape: number[], scale = 1) => {
  const t = tg.randn(shape, { rng: r, dtype: 'float64' });
  if (scale !== 1) t.data.forEach((v, i) => (t.data[i] = v * scale));
  t.requiresGrad = true;
  return t;
};

/** Everything a case returns, as one flat tensor. */
const flat = (...ts: (Tensor | null)[]) => tg.concat(ts.filter((t): t is Tensor => t !== null).map((t) => tg.reshape(t, [-1])));

/** Sets the tensor at a dotted property path (`layers.0.self_attn.in_proj_weight`). */
function setPath(root: object, path: string, t: Tensor): void {
  const keys = path.split('.');
  let at = root as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys[keys.length - 1]] = t;
}

/**
 * A case over a module: inputs are `extra()` (input, states) then a copy of every parameter; fn puts
 * the parameters into the module by name and returns `run(module, ...extra)`.
 */
function withParameters<M extends tg.nn.AnyModule>(
  name: string,
  make: () => M,
  extra: () => Tensor[],
  run: (m: M, ...xs: Tensor[]) => Tensor,
): OpCase {
  const m = make();
  const named = m.namedParameters();
  const count = extra().length;
  return {
    name,
    inputs: () => [
      ...extra(),
      ...named.map(([, p]) => {
        const c = tg.tensor(p.data.slice(), { shape: [...p.shape], dtype: 'float64' });
        c.requiresGrad = true;
        return c;
      }),
    ],
    fn: (...xs) => {
      named.forEach(([n], i) => setPath(m, n, xs[count + i]));
      return run(m, ...xs.slice(0, count));
    },
  };
}

const f64 = { dtype: 'float64' as const, rng: tg.rng('cases:recurrent:init') };

/** A float mask with one blocked entry per row but the first column always open. */
const softMask = (shape: number[]) => {
  const m = tg.randn(shape, { rng: r, dtype: 'float64' });
  const S = shape[shape.length - 1];
  for (let i = 0; i < m.size; i++) if (i % S === S - 1 && i % 2 === 1) m.data[i] = -Infinity;
  return m;
};

// Made once: fn must compute the same function at every evaluation.
const mask34 = softMask([3, 4]);
const mask23 = softMask([2, 3]);

export const recurrentCases: OpCase[] = [
  withParameters(
    'RNNCell tanh [2,3] with state',
    () => new tg.nn.RNNCell(3, 2, f64),
    () => [leaf([2, 3]), leaf([2, 2])],
    (m, x, h) => m.forward(x, h),
  ),
  withParameters(
    'RNNCell relu unbatched',
    () => new tg.nn.RNNCell(3, 2, { ...f64, nonlinearity: 'relu' }),
    () => [leaf([3])],
    (m, x) => m.forward(x),
  ),
  withParameters(
    'LSTMCell [2,3] with state',
    () => new tg.nn.LSTMCell(3, 2, f64),
    () => [leaf([2, 3]), leaf([2, 2]), leaf([2, 2])],
    (m, x, h, c) => flat(...m.forward(x, [h, c])),
  ),
  withParameters(
    'GRUCell unbatched, no bias',
    () => new tg.nn.GRUCell(2, 3, { ...f64, bias: false }),
    () => [leaf([2]), leaf([3])],
    (m, x, h) => m.forward(x, h),
  ),
  withParameters(
    'RNN 2 layers bidirectional [3,2,2]',
    () => new tg.nn.RNN(2, 2, { ...f64, numLayers: 2, bidirectional: true }),
    () => [leaf([3, 2, 2]), leaf([4, 2, 2])],
    (m, x, h0) => flat(...m.forward(x, h0)),
  ),
  withParameters(
    'LSTM projSize bidirectional [3,2,2]',
    () => new tg.nn.LSTM(2, 3, { ...f64, projSize: 2, bidirectional: true }),
    () => [leaf([3, 2, 2]), leaf([2, 2, 2]), leaf([2, 2, 3])],
    (m, x, h0, c0) => {
      const [out, [h, c]] = m.forward(x, [h0, c0]);
      return flat(out, h, c);
    },
  ),
  withParameters(
    'LSTM packed sequences of lengths [3,1,2]',
    () => new tg.nn.LSTM(2, 2, f64),
    () => [leaf([3, 3, 2]), leaf([1, 3, 2]), leaf([1, 3, 2])],
    (m, x, h0, c0) => {
      const packed = tg.nn.utils.rnn.packPaddedSequence(x, [3, 1, 2], { enforceSorted: false });
      const [out, [h, c]] = m.forward(packed, [h0, c0]);
      const [padded] = tg.nn.utils.rnn.padPackedSequence(out, { paddingValue: 0.5 });
      return flat(padded, h, c);
    },
  ),
  withParameters(
    'GRU batchFirst [2,3,2] with state',
    () => new tg.nn.GRU(2, 2, { ...f64, batchFirst: true }),
    () => [leaf([2, 3, 2]), leaf([1, 2, 2])],
    (m, x, h0) => flat(...m.forward(x, h0)),
  ),
  {
    name: 'scaledDotProductAttention [2,3,2] float mask',
    inputs: () => [leaf([2, 3, 2]), leaf([2, 4, 2]), leaf([2, 4, 3])],
    fn: (q, k, v) => tg.scaledDotProductAttention(q, k, v, { attnMask: mask34 }),
  },
  {
    name: 'scaledDotProductAttention causal, scale 0.5',
    inputs: () => [leaf([3, 2]), leaf([3, 2]), leaf([3, 2])],
    fn: (q, k, v) => q.scaledDotProductAttention(k, v, { isCausal: true, scale: 0.5 }),
  },
  withParameters(
    'MultiheadAttention kdim/vdim, weights per head',
    () => new tg.nn.MultiheadAttention(4, 2, { ...f64, kdim: 3, vdim: 2 }),
    () => [leaf([2, 1, 4]), leaf([3, 1, 3]), leaf([3, 1, 2])],
    (m, q, k, v) => flat(...m.forward(q, k, v, { averageAttnWeights: false, attnMask: mask23 })),
  ),
  withParameters(
    'TransformerEncoderLayer pre-norm',
    () => new tg.nn.TransformerEncoderLayer(4, 2, { ...f64, dimFeedforward: 3, dropout: 0, normFirst: true }),
    () => [leaf([3, 1, 4])],
    (m, src) => m.forward(src),
  ),
  withParameters(
    'TransformerEncoder 2 post-norm layers, causal',
    () => new tg.nn.TransformerEncoder(new tg.nn.TransformerEncoderLayer(2, 1, { ...f64, dimFeedforward: 2, dropout: 0 }), 2),
    () => [leaf([3, 1, 2])],
    (m, src) => m.forward(src, { isCausal: true }),
  ),
];
