/**
 * tg.onnx (SPEC §12), verified by a real runtime: every exported model runs in onnxruntime-web
 * (WebAssembly, in Node) and its output must match tapegrad's on the same inputs within 1e-5 of the
 * largest magnitude — every nn layer and option, the CLI's digits CNN and LeNet-5, and batch sizes
 * other than the sample's. Then what the file records (producer, names, doc strings) and the errors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as tg from '../src';
import { buildModel } from '../src/train/models';

jest.setTimeout(120_000);

import { spawnSync } from 'node:child_process';

const { nn } = tg;
const r = tg.rng('onnx');
const randn = (shape: number[], dtype: tg.DType = 'float32') => tg.randn(shape, { rng: r, dtype });

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-onnx-run-'));
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));
let models = 0;

/** Runs the model in onnxruntime-web (tests/onnx-runner.js, a plain Node process) on each input. */
function runOnnx(bytes: Uint8Array, xs: tg.Tensor[], inputName = 'input', outputName = 'output'): { data: number[]; dims: number[] }[] {
  const model = path.join(workDir, `m${++models}.onnx`);
  fs.writeFileSync(model, bytes);
  const job = { model, inputName, outputName, inputs: xs.map((x) => ({ data: Array.from(x.data), shape: [...x.shape] })) };
  const r = spawnSync(process.execPath, [path.join(__dirname, 'onnx-runner.js')], {
    input: JSON.stringify(job),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const out = JSON.parse(r.stdout || '{"error":"no output"}');
  if (!Array.isArray(out)) throw new Error(`onnxruntime: ${out.error} ${r.stderr}`);
  return out;
}

/** Exports on `sample`, runs on every input in `runs`, compares with tapegrad (eval mode). */
async function check(
  model: tg.nn.Module | ((x: tg.Tensor) => tg.Tensor),
  sample: tg.Tensor,
  runs: tg.Tensor[],
  opts: tg.onnx.OnnxOptions = {},
): Promise<Uint8Array> {
  const bytes = tg.onnx.toOnnx(model, sample, opts);
  if (model instanceof tg.nn.Module) model.eval();
  const results = runOnnx(bytes, runs, opts.inputName, opts.outputName);
  for (const [k, x] of runs.entries()) {
    const want = tg.noGrad(() => (model instanceof tg.nn.Module ? model.forward(x) : model(x)));
    const got = results[k];
    expect([...got.dims]).toEqual(want.shape);
    let scale = 1e-30;
    for (let i = 0; i < want.size; i++) scale = Math.max(scale, Math.abs(want.data[i]));
    for (let i = 0; i < want.size; i++) {
      if (!(Math.abs(got.data[i] - want.data[i]) <= 1e-5 * scale))
        throw new Error(`element ${i}: onnxruntime ${got.data[i]} vs tapegrad ${want.data[i]} (scale ${scale})`);
    }
  }
  return bytes;
}

describe('every layer and option runs in onnxruntime and matches tapegrad, at other batch sizes too', () => {
  test('Linear, with and without bias', async () => {
    await check(
      new nn.Sequential(new nn.Linear(5, 4, { rng: r }), new nn.ReLU(), new nn.Linear(4, 3, { bias: false, rng: r })),
      randn([2, 5]),
      [randn([2, 5]), randn([7, 5])],
    );
  });

  test.each([
    ['stride 2, padding 1, bias', { stride: 2, padding: 1 }, 4, 6],
    ['dilation 2, padding [1,2], no bias', { dilation: 2, padding: [1, 2], bias: false }, 4, 6],
    ['groups 2', { groups: 2, padding: 1 }, 4, 6],
    ['depthwise', { groups: 4, padding: 1 }, 4, 4],
  ] as [string, Record<string, unknown>, number, number][])('Conv2d %s', async (_label, o, cin, cout) => {
    await check(new nn.Conv2d(cin, cout, 3, { ...o, rng: r }), randn([2, cin, 9, 8]), [randn([3, cin, 9, 8])]);
  });

  test('batchNorm with the batch statistics (the fused primitive), every affine combination, [N,C] and [N,C,H,W]', async () => {
    const w = randn([3]);
    const b = randn([3]);
    await check((x) => tg.batchNorm(x, { weight: w, bias: b, eps: 1e-3 }), randn([4, 3, 5, 5]), [randn([6, 3, 5, 5])]);
    await check((x) => tg.batchNorm(x, { weight: w }), randn([5, 3]), [randn([7, 3])]);
    await check((x) => tg.batchNorm(x, { bias: b }), randn([5, 3, 4]), [randn([2, 3, 4])]);
    await check((x) => tg.batchNorm(x), randn([5, 3]), [randn([3, 3])]);
  });

  test('Conv1d with stride, padding, dilation and groups', async () => {
    await check(new nn.Conv1d(4, 6, 3, { stride: 2, padding: 2, dilation: 2, groups: 2, rng: r }), randn([2, 4, 17]), [randn([5, 4, 17])]);
  });

  test('convTranspose2d with stride, padding, outputPadding, dilation and groups', async () => {
    const w = randn([4, 3, 3, 3]);
    const b = randn([6]);
    const fn = (x: tg.Tensor) => tg.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 });
    await check(fn, randn([2, 4, 5, 5]), [randn([3, 4, 5, 5])]);
    const w2 = randn([3, 2, 2, 3]);
    await check((x) => tg.convTranspose2d(x, w2, null, { dilation: 2 }), randn([1, 3, 4, 4]), [randn([2, 3, 4, 4])]);
  });

  test('pooling, 2-D and 1-D, max and average, with padding (average counts the zeros)', async () => {
    await check(
      new nn.Sequential(new nn.MaxPool2d(3, { stride: 2, padding: 1 }), new nn.AvgPool2d(2, { padding: 1 })),
      randn([2, 3, 10, 9]),
      [randn([4, 3, 10, 9])],
    );
    await check(new nn.Sequential(new nn.MaxPool1d(2), new nn.AvgPool1d(3, { stride: 1, padding: 1 })), randn([2, 3, 12]), [
      randn([3, 3, 12]),
    ]);
  });

  test('BatchNorm2d and BatchNorm1d in eval mode, with trained running statistics; Dropout as the identity', async () => {
    const bn2 = new nn.Sequential(new nn.Conv2d(2, 3, 3, { rng: r }), new nn.BatchNorm2d(3), new nn.Dropout(0.5));
    const bn1 = new nn.Sequential(new nn.Linear(4, 5, { rng: r }), new nn.BatchNorm1d(5));
    // A few training batches move the running statistics and the affine parameters off their defaults.
    for (const [m, shape] of [
      [bn2, [8, 2, 6, 6]],
      [bn1, [8, 4]],
    ] as const) {
      m.train();
      for (let i = 0; i < 3; i++) m.forward(tg.add(tg.mul(randn([...shape]), 3), 2));
      for (const p of m.parameters()) p.data.set(p.data.map((v) => v + 0.1));
    }
    await check(bn2, randn([2, 2, 6, 6]), [randn([5, 2, 6, 6])]);
    await check(bn1, randn([2, 4]), [randn([6, 4])]);
  });

  test('activations, softmax and logSoftmax, exp and log, elementwise arithmetic with broadcasting', async () => {
    const c = randn([1, 6]);
    const fn = (x: tg.Tensor) => {
      const h = tg.add(tg.mul(tg.tanh(x), c), tg.sigmoid(x));
      const s = tg.sub(tg.softmax(h), tg.logSoftmax(tg.div(h, 2), 1));
      return tg.add(tg.log(tg.add(tg.exp(tg.relu(s)), 1)), tg.maximum(tg.neg(x), tg.minimum(x, 0.5)));
    };
    await check(fn, randn([2, 6]), [randn([2, 6]), randn([9, 6])]);
  });

  test('reshape, flatten, transpose, concat, slice, pad (constant and replicate), matmul', async () => {
    const m = randn([12, 5]);
    const fn = (x: tg.Tensor) => {
      const a = tg.transpose(x, [0, 2, 1, 3]); // [N,4,3,2]
      const b = tg.concat(
        [
          tg.flatten(a),
          tg.flatten(
            tg.pad(
              x,
              [
                [0, 0],
                [0, 0],
                [1, 0],
                [0, 1],
              ],
              { mode: 'replicate' },
            ),
          ),
        ],
        1,
      );
      const c = tg.slice(
        tg.pad(
          b,
          [
            [0, 0],
            [2, 2],
          ],
          1.5,
        ),
        [0, 3],
        [x.shape[0], 15],
      );
      return tg.matmul(c, m);
    };
    await check(fn, randn([2, 3, 4, 2]), [randn([2, 3, 4, 2]), randn([5, 3, 4, 2])]);
  });

  test("the tutorial's true convolutions: convolve and convolve2d (no batch axis: dynamicBatch false)", async () => {
    const w = tg.tensor([1, -1, 2]);
    for (const mode of ['full', 'same', 'valid'] as const) {
      await check((x) => tg.convolve(x, w, mode), tg.tensor([0, 1, 2, 3, 4]), [tg.tensor([0, 1, 2, 3, 4]), randn([5])], {
        dynamicBatch: false,
      });
    }
    const k = randn([3, 2]);
    await check((x) => tg.convolve2d(x, k, 'same'), randn([5, 6]), [randn([5, 6])], { dynamicBatch: false });
  });

  test("the CLI's digits CNN and LeNet-5 (with batch norm), at batch sizes other than the sample's", async () => {
    const cnn = buildModel('cnn', [1, 8, 8], 10, tg.rng(1));
    await check(cnn, randn([2, 1, 8, 8]), [randn([1, 1, 8, 8]), randn([17, 1, 8, 8])]);
    const lenet = buildModel('cnn', [1, 28, 28], 10, tg.rng(2));
    lenet.train();
    lenet.forward(randn([8, 1, 28, 28]));
    await check(lenet, randn([2, 1, 28, 28]), [randn([5, 1, 28, 28])]);
  });

  test('a float64 model is exported as float32', async () => {
    const m = new nn.Linear(3, 2, { rng: r });
    for (const p of m.parameters()) p.data = Float64Array.from(p.data);
    await check(m, randn([2, 3], 'float64'), [randn([4, 3], 'float64')]);
    const model = onnx.ModelProto.decode(tg.onnx.toOnnx(m, randn([2, 3], 'float64')));
    expect(model.graph!.initializer!.every((t) => t.dataType === 1)).toBe(true);
  });
});

describe('what the file records', () => {
  const model = new nn.Sequential(
    new nn.Conv2d(1, 2, 3, { padding: 1, rng: r }),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(2 * 4 * 4, 3, { rng: r }),
  );
  const decoded = onnx.ModelProto.decode(tg.onnx.toOnnx(model, randn([2, 1, 4, 4]), { inputName: 'images', outputName: 'logits' }));

  test('producer, opset, a dynamic batch axis, and the input and output names', () => {
    expect(decoded.producerName).toBe('tapegrad');
    expect(decoded.producerVersion).toBe(tg.version);
    expect(Number(decoded.opsetImport[0].version)).toBe(17);
    const input = decoded.graph!.input![0];
    expect(input.name).toBe('images');
    expect(input.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))).toEqual(['N', 1, 4, 4]);
    expect(decoded.graph!.output![0].name).toBe('logits');
  });

  test('weights are initializers with their module names; nodes are named by module and documented by tapegrad op', () => {
    const inits = decoded.graph!.initializer!.map((t) => t.name);
    for (const name of ['0.weight', '0.bias', '3.weight', '3.bias']) expect(inits).toContain(name);
    const nodes = decoded.graph!.node!;
    const conv = nodes.find((n) => n.opType === 'Conv')!;
    expect(conv.name).toBe('0/conv2d');
    expect(conv.docString).toBe('tapegrad conv2d pad=1 in 0 (Conv2d)');
    expect(conv.input).toEqual(['images', '0.weight', '0.bias']);
    expect(nodes.every((n) => n.docString!.startsWith('tapegrad '))).toBe(true);
  });

  test('writeOnnx writes the same bytes to a file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-onnx-')), 'm.onnx');
    tg.onnx.writeOnnx(file, model, randn([2, 1, 4, 4]));
    expect(onnx.ModelProto.decode(fs.readFileSync(file)).graph!.node!.length).toBe(decoded.graph!.node!.length);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});

describe('errors', () => {
  test('an op with no mapping names the op and the module it sits in', () => {
    const odd = tg.definePrimitive('onnx_test_odd', { forward: ([x]) => tg.noGrad(() => tg.mul(x, 2)), backward: (gy) => [gy] });
    class Odd extends nn.Module {
      forward(x: tg.Tensor): tg.Tensor {
        return odd.apply([x], undefined);
      }
    }
    const m = new nn.Sequential(new nn.ReLU(), new Odd());
    expect(() => tg.onnx.toOnnx(m, randn([2, 3]))).toThrow(
      "toOnnx: the tapegrad op 'onnx_test_odd' in module '1' (Odd) has no ONNX mapping",
    );
    expect(() => tg.onnx.toOnnx((x) => tg.conv2d(x, randn([1, 1, 2, 2]), null, { expand: true }), randn([1, 1, 3, 3]))).toThrow(
      /toOnnx: the tapegrad op '(element|assemble)' has no ONNX mapping \(expanded graphs are for drawing/,
    );
  });

  test('a pad mode ONNX lacks, a batch axis that moves, and bad arguments', () => {
    expect(() =>
      tg.onnx.toOnnx(
        (x) =>
          tg.pad(
            x,
            [
              [0, 0],
              [1, 1],
            ],
            { mode: 'symmetric' },
          ),
        randn([2, 3]),
      ),
    ).toThrow("toOnnx: pad mode 'symmetric' has no ONNX equivalent");
    expect(() => tg.onnx.toOnnx((x) => tg.transpose(x), randn([2, 3]))).toThrow('moves the batch axis');
    expect(tg.onnx.toOnnx((x) => tg.transpose(x), randn([2, 3]), { dynamicBatch: false })).toBeInstanceOf(Uint8Array);
    expect(() => tg.onnx.toOnnx((x) => x, randn([2]))).toThrow('nothing to export');
    expect(() => tg.onnx.toOnnx((x) => x.relu(), randn([2]), { opset: 9 })).toThrow('toOnnx: opset must be an integer ≥ 17, got 9');
  });
});
