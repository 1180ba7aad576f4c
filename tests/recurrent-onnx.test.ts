/**
 * The recurrent layers, attention and the Transformer encoder export to ONNX. Attention is its recorded
 * primitives; a padded recurrent call is ONNX's own LSTM/GRU/RNN, and an LSTM with projections or a
 * packed batch is unrolled over the sample's steps (Note [layers exported whole]), which moves the batch
 * axis, so these are made with { dynamicBatch: false } (tests/onnx-sequence.test.ts has the dynamic
 * ones). Each export runs in onnxruntime (tests/onnx-runner.js) and must match tapegrad within 1e-5
 * of the largest magnitude.
 */
import * as tg from '../src';
import { onnxRunner } from './onnx-harness';

jest.setTimeout(120_000);

const r = tg.rng('recurrent-onnx');
const randn = (shape: number[]) => tg.randn(shape, { rng: r });

const runOnnx = onnxRunner('recurrent-onnx');

/** Exports fn on `sample`, runs every input of `runs` in onnxruntime and compares with tapegrad. */
function check(fn: (x: tg.Tensor) => tg.Tensor, sample: tg.Tensor, runs: tg.Tensor[], dynamicBatch: boolean): void {
  const bytes = tg.onnx.toOnnx(fn, sample, { dynamicBatch });
  const results = runOnnx(bytes, runs);
  runs.forEach((x, k) => {
    const want = tg.noGrad(() => fn(x));
    expect(results[k].dims).toEqual(want.shape);
    let scale = 1e-30;
    for (let i = 0; i < want.size; i++) scale = Math.max(scale, Math.abs(want.data[i]));
    for (let i = 0; i < want.size; i++) {
      if (!(Math.abs(results[k].data[i] - want.data[i]) <= 1e-5 * scale)) {
        throw new Error(`element ${i}: onnxruntime ${results[k].data[i]} vs tapegrad ${want.data[i]} (scale ${scale})`);
      }
    }
  });
}

describe('recurrent layers export unrolled and run in onnxruntime', () => {
  test('LSTM 2 layers bidirectional with projections, output and both states', () => {
    const m = new tg.nn.LSTM(3, 5, { numLayers: 2, bidirectional: true, projSize: 2, rng: r }).eval();
    const fn = (x: tg.Tensor) => {
      const [out, [h, c]] = m.forward(x);
      return tg.concat([out.reshape([-1]), h.reshape([-1]), c.reshape([-1])]);
    };
    check(fn, randn([4, 2, 3]), [randn([4, 2, 3]), randn([4, 2, 3])], false);
  });

  test('GRU batchFirst with a given initial state', () => {
    const m = new tg.nn.GRU(3, 4, { batchFirst: true, rng: r });
    const h0 = randn([1, 2, 4]);
    check((x) => m.forward(x, h0)[0], randn([2, 5, 3]), [randn([2, 5, 3])], false);
  });

  test('RNN relu, and a packed batch padded back', () => {
    const m = new tg.nn.RNN(3, 4, { nonlinearity: 'relu', rng: r });
    check((x) => m.forward(x)[1], randn([3, 2, 3]), [randn([3, 2, 3])], false);
    const lstm = new tg.nn.LSTM(3, 4, { rng: r });
    const packed = (x: tg.Tensor) => {
      const [out] = lstm.forward(tg.nn.utils.rnn.packPaddedSequence(x, [2, 4, 3], { enforceSorted: false }));
      return tg.nn.utils.rnn.padPackedSequence(out)[0];
    };
    check(packed, randn([4, 3, 3]), [randn([4, 3, 3])], false);
  });
});

describe('attention exports with a dynamic batch', () => {
  test('MultiheadAttention with bool masks, batchFirst', () => {
    const m = new tg.nn.MultiheadAttention(4, 2, { batchFirst: true, rng: r }).eval();
    const mask = tg.tensor([
      [false, true, true],
      [false, false, true],
      [false, false, false],
    ]);
    check((x) => m.forward(x, x, x, { attnMask: mask })[0], randn([2, 3, 4]), [randn([2, 3, 4]), randn([5, 3, 4])], true);
  });

  test('scaledDotProductAttention, causal', () => {
    check((x) => tg.scaledDotProductAttention(x, x, x, { isCausal: true }), randn([2, 4, 3]), [randn([3, 4, 3])], true);
  });

  test('TransformerEncoder, pre-norm with gelu, and post-norm', () => {
    for (const opts of [{ normFirst: true, activation: 'gelu' as const }, {}]) {
      const layer = new tg.nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, batchFirst: true, rng: r, ...opts });
      const enc = new tg.nn.TransformerEncoder(layer, 2).eval();
      check((x) => enc.forward(x), randn([2, 3, 4]), [randn([3, 3, 4])], true);
    }
  });
});
