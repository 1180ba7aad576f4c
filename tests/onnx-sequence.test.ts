/**
 * Sequence models exported to ONNX (SPEC §12, issues #25 and #28) and run in onnxruntime: nn.Embedding
 * on an int32 token input (one Gather), the recurrent layers as ONNX's own RNN/LSTM/GRU at batch sizes
 * other than the sample's, the two text families end to end (the character LSTM/GRU/RNN and the
 * decoder-only transformer) on int32 tokens [N, T], and the refusals: a token-dependent constant, an
 * unrolled recurrent layer with a dynamic batch. Results must match tapegrad within 1e-5 of the
 * largest magnitude (the float32 tolerance of the other ONNX tests).
 */
import * as tg from '../src';
import { CharRnn } from '../src/train/families/char-lm';
import { CharTransformer, TRANSFORMER_SIZES } from '../src/train/families/transformer';
import { onnx } from 'onnx-proto';
import { onnxRunner } from './onnx-harness';

jest.setTimeout(300_000);

const { nn } = tg;
const r = tg.rng('onnx-sequence');
const randn = (shape: number[]) => tg.randn(shape, { rng: r });
const tokens = (shape: number[], vocab: number) => tg.randint(0, vocab, shape, { rng: r });

const runOnnx = onnxRunner('onnx-sequence');

/** Exports fn on `sample`, runs every input of `runs` in onnxruntime and compares with tapegrad. */
function check(fn: tg.nn.Module | ((x: tg.Tensor) => tg.Tensor), sample: tg.Tensor, runs: tg.Tensor[], dynamicBatch = true): Uint8Array {
  const bytes = tg.onnx.toOnnx(fn, sample, { dynamicBatch });
  const results = runOnnx(bytes, runs);
  runs.forEach((x, k) => {
    const want = tg.noGrad(() => (fn instanceof nn.Module ? fn.forward(x) : fn(x)));
    expect(results[k].dims).toEqual(want.shape);
    let scale = 1e-30;
    for (let i = 0; i < want.size; i++) scale = Math.max(scale, Math.abs(want.data[i]));
    for (let i = 0; i < want.size; i++) {
      if (!(Math.abs(results[k].data[i] - want.data[i]) <= 1e-5 * scale)) {
        throw new Error(`run ${k} element ${i}: onnxruntime ${results[k].data[i]} vs tapegrad ${want.data[i]} (scale ${scale})`);
      }
    }
  });
  return bytes;
}

const decoded = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes);

describe('nn.Embedding on int32 token ids', () => {
  test('one Gather on an INT32 input with a dynamic batch; the looked-up rows are the table rows', () => {
    const emb = new nn.Embedding(7, 3, { paddingIdx: 0, rng: r });
    const sample = tg.tensor(
      [
        [1, 0, 6],
        [2, 2, 5],
      ],
      { dtype: 'int32' },
    );
    const bytes = check(emb, sample, [sample, tokens([5, 3], 7), tokens([1, 3], 7)]);
    const model = decoded(bytes);
    expect(model.graph!.input![0].type!.tensorType!.elemType).toBe(6); // INT32
    expect(model.graph!.input![0].type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['N', 3]);
    expect(model.graph!.node!.map((n) => n.opType)).toEqual(['Gather']);
    // By hand: token 6 of the first sequence reads row 6 of the table.
    const out = runOnnx(bytes, [sample])[0];
    expect(out.data.slice(6, 9)).toEqual(Array.from(emb.weight.data.subarray(18, 21)));
  });

  test('token and position embeddings added (the positions a constant int32 initializer)', () => {
    const tok = new nn.Embedding(11, 4, { rng: r });
    const pos = new nn.Embedding(5, 4, { rng: r });
    const fn = (x: tg.Tensor) => tg.add(tok.forward(x), pos.forward(tg.arange(x.shape[1], { dtype: 'int32' })));
    check(fn, tokens([2, 5], 11), [tokens([1, 5], 11), tokens([4, 5], 11)]);
  });

  test('a token-dependent constant, tg.embedding as a function and integer ops on the tokens are refused', () => {
    const emb = new nn.Embedding(7, 3, { rng: r });
    const sample = tokens([2, 4], 7);
    const masked = (x: tg.Tensor) => tg.where(tg.eq(x, 0).reshape([2, 4, 1]), 0, emb.forward(x));
    expect(() => tg.onnx.toOnnx(masked, sample)).toThrow(
      /toOnnx: the constant 'const_2x4x1' read by where \(tapegrad where\) changes with the int32 input's values \(input \[2,4\]\)/,
    );
    expect(() => tg.onnx.toOnnx((x) => tg.embedding(x, emb.weight), sample)).toThrow(
      /toOnnx: the output \[2,4,3\] does not read the int32 input \[2,4\] through the graph/,
    );
    expect(() => tg.onnx.toOnnx((x) => emb.forward(tg.remainder(tg.add(x, 1), 7)), sample)).toThrow(/does not read the int32 input/);
    expect(() => tg.onnx.toOnnx(emb, tg.tensor([true, false]))).toThrow(
      /toOnnx: the sample must be a float or int32 tensor, got bool \[2\]/,
    );
  });
});

describe('recurrent layers as ONNX RNN/LSTM/GRU, at other batch sizes', () => {
  const kinds = {
    LSTM: (o: tg.nn.LSTMOptions) => new nn.LSTM(3, 4, { rng: r, ...o }),
    GRU: (o: tg.nn.RNNBaseOptions) => new nn.GRU(3, 4, { rng: r, ...o }),
    'RNN relu': (o: tg.nn.RNNBaseOptions) => new nn.RNN(3, 4, { rng: r, nonlinearity: 'relu', ...o }),
  };
  const options: [string, tg.nn.RNNBaseOptions][] = [
    ['time first', {}],
    ['batchFirst', { batchFirst: true }],
    ['2 layers, bidirectional, no bias', { numLayers: 2, bidirectional: true, bias: false }],
    ['batchFirst, 2 layers, bidirectional', { batchFirst: true, numLayers: 2, bidirectional: true }],
  ];
  for (const [kind, make] of Object.entries(kinds)) {
    test.each(options)(`${kind}, %s: the output at batch sizes 1 and 5 (batchFirst) or other lengths (time first)`, (_, o) => {
      const m = make(o).eval();
      const fn = (x: tg.Tensor) => (m as tg.nn.GRU).forward(x)[0];
      const [s, b] = o.batchFirst ? [[2, 6, 3], (n: number) => [n, 6, 3]] : [[6, 2, 3], (n: number) => [6, n, 3]];
      // Time first, the graph input's first axis is the time: other lengths run, at the sample's batch.
      const runs = o.batchFirst ? [randn(b(1)), randn(b(5))] : [randn([6, 2, 3]), randn([9, 2, 3])];
      const bytes = check(fn, randn(s), runs);
      expect(decoded(bytes).graph!.node!.filter((n) => ['LSTM', 'GRU', 'RNN'].includes(n.opType!)).length).toBe(o.numLayers ?? 1);
    });
  }

  test('the final states (LSTM h and c, GRU h) from given initial states, and an unbatched input', () => {
    const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true, rng: r });
    const [h0, c0] = [randn([4, 2, 4]), randn([4, 2, 4])];
    const states = (x: tg.Tensor) => {
      const [out, [h, c]] = lstm.forward(x, [h0, c0]);
      return tg.concat([out.reshape([-1]), h.reshape([-1]), c.reshape([-1])]);
    };
    check(states, randn([2, 5, 3]), [randn([2, 5, 3])], false);
    const gru = new nn.GRU(3, 4, { numLayers: 2, rng: r });
    const h1 = randn([2, 4]);
    check((x) => tg.concat(gru.forward(x, h1).map((t) => t.reshape([-1]))), randn([5, 3]), [randn([5, 3])], false);
  });

  test('an LSTM with projections or a packed batch is unrolled, so a dynamic batch is refused, naming the layer', () => {
    const model = new nn.Sequential(new nn.Linear(3, 3, { rng: r }));
    const proj = new nn.LSTM(3, 4, { projSize: 2, batchFirst: true, rng: r });
    const fn = (x: tg.Tensor) => proj.forward(model.forward(x))[0];
    expect(() => tg.onnx.toOnnx(fn, randn([2, 5, 3]))).toThrow(
      /toOnnx: LSTM has no ONNX LSTM form \(ONNX's LSTM has no projection \(projSize 2\)\); export with \{ dynamicBatch: false \}.*\(input \[2,5,3\]\)/,
    );
    check(fn, randn([2, 5, 3]), [randn([2, 5, 3])], false);
  });
});

describe('the text families end to end on int32 tokens [N, T]', () => {
  test.each(['lstm', 'gru', 'rnn'] as const)('the character %s (Embedding → recurrent → Linear) at batch sizes 1 and 5', (kind) => {
    const V = 13;
    const model = new CharRnn(kind, V, { embedDim: 6, hiddenSize: 8 }, { rng: r });
    check(model, tokens([3, 10], V), [tokens([1, 10], V), tokens([5, 10], V)]);
  });

  test('the decoder-only transformer: token + position embeddings, causal pre-norm layers, LayerNorm, read-out', () => {
    const V = 11;
    const sizes = { ...TRANSFORMER_SIZES, dModel: 8, nhead: 2, numLayers: 2, dimFeedforward: 16, seqLen: 6 };
    const model = new CharTransformer(V, sizes, { rng: r });
    check(model, tokens([2, 6], V), [tokens([1, 6], V), tokens([5, 6], V)]);
    // A window shorter than the model's context is exported for that length.
    check(model, tokens([2, 4], V), [tokens([3, 4], V)]);
  });

  test('MultiheadAttention with a key padding mask (of the sample batch: exported with a fixed batch)', () => {
    const m = new nn.MultiheadAttention(4, 2, { batchFirst: true, rng: r }).eval();
    const keyPaddingMask = tg.tensor([
      [false, false, true],
      [false, true, true],
    ]);
    check((x) => m.forward(x, x, x, { keyPaddingMask })[0], randn([2, 3, 4]), [randn([2, 3, 4])], false);
  });
});

test('a float model with a mask computed from its input (a comparison makes no graph node) is refused, naming the reader', () => {
  const leaky = (x: tg.Tensor) => tg.where(tg.gt(x, 0), x, tg.mul(x, 0.1));
  expect(() => tg.onnx.toOnnx(leaky, randn([2, 5]))).toThrow(
    /toOnnx: the constant 'const_2x5' read by where \(tapegrad where\) changes with the input's values \(sample \[2,5\]\)/,
  );
  // The same function written with the activation's step mask exports.
  check((x) => tg.leakyRelu(x, 0.1), randn([2, 5]), [randn([3, 5])]);
});
