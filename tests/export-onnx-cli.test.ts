/**
 * `tapegrad export RUN --onnx FILE` of model-family runs (SPEC §17, issue #28): a text model takes int32
 * 'tokens' [N,T] and gives 'logits' [N,T,V] as the run's model does, at batch sizes other than 1; an
 * image sequence classifier takes 'pixels' [N,1,H,W] in [0,1] with the standardisation in the graph,
 * as the run's predict does; a family with no ONNX export is refused in one line naming it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import * as tg from '../src';
import { run as exportCli } from '../src/cli/export';
import { run as trainCli } from '../src/cli/train';
import { loadSession } from '../src/train/session';
import { capture } from './cli-capture';
import { onnxRunner } from './onnx-harness';

jest.setTimeout(300_000);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-export-onnx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const runOnnx = onnxRunner('export-onnx-cli');
const r = tg.rng('export-onnx-cli');

async function trained(model: string, dataset: string): Promise<string> {
  const dir = path.join(tmp, `${model}-${dataset}`);
  const t = await capture(() =>
    trainCli(['--model', model, '--dataset', dataset, '--limit', '400', '--epochs', '1', '--batch-size', '8', '--out', dir]),
  );
  expect(t.err).toEqual([]);
  expect(t.code).toBe(0);
  return dir;
}

function expectClose(got: { data: number[]; dims: number[] }, want: tg.Tensor): void {
  expect(got.dims).toEqual(want.shape);
  const scale = Math.max(...Array.from(want.data, Math.abs));
  got.data.forEach((v, i) => {
    if (!(Math.abs(v - want.data[i]) <= 1e-5 * scale)) throw new Error(`element ${i}: onnxruntime ${v} vs tapegrad ${want.data[i]}`);
  });
}

test.each(['lstm', 'transformer'])(
  'a %s text run: int32 tokens [N,T] in, the run model’s logits out, the vocabulary in the metadata',
  async (model) => {
    const dir = await trained(model, 'text');
    const file = path.join(tmp, `${model}.onnx`);
    const e = await capture(() => exportCli([dir, '--onnx', file]));
    expect(e.err).toEqual([]);
    expect(e.code).toBe(0);
    const { run, spec } = loadSession(dir);
    const V = (spec.saved.vocab as string[]).length;
    const T = model === 'lstm' ? 64 : 32;
    expect(e.out).toEqual([
      expect.stringMatching(
        new RegExp(`^wrote .*: the ${model} model .* input 'tokens' int32 \\[N,${T}\\] .* output 'logits' \\[N,${T},${V}\\]$`),
      ),
    ]);
    const proto = onnx.ModelProto.decode(fs.readFileSync(file));
    expect(JSON.parse(proto.metadataProps!.find((p) => p.key === 'vocabulary')!.value!)).toEqual(spec.saved.vocab);
    const xs = [tg.randint(0, V, [1, T], { rng: r }), tg.randint(0, V, [3, T], { rng: r })];
    const got = runOnnx(fs.readFileSync(file), xs, 'tokens', 'logits');
    xs.forEach((x, k) =>
      expectClose(
        got[k],
        tg.noGrad(() => run.modules.model.forward(x)),
      ),
    );
  },
);

test('a gru digits run: pixels [N,1,8,8] in [0,1] in, the logits whose softmax is the run’s predict', async () => {
  const dir = await trained('gru', 'digits');
  const file = path.join(tmp, 'gru.onnx');
  const e = await capture(() => exportCli([dir, '--onnx', file]));
  expect(e.code).toBe(0);
  expect(e.out).toEqual([expect.stringMatching(/input 'pixels' \[N,1,8,8\] in \[0,1\], output 'logits' \[N,10\]$/)]);
  const { run } = loadSession(dir);
  const x = tg.data.gather(tg.data.loadDigits(), [0, 1, 2, 3, 4]).images;
  const [got] = runOnnx(fs.readFileSync(file), [x], 'pixels', 'logits');
  expectClose({ data: Array.from(tg.softmax(tg.tensor(got.data, { shape: got.dims }), 1).data), dims: got.dims }, run.predict!(x));
});

test('a family without an ONNX export is refused in one line naming it', async () => {
  const dir = await trained('autoencoder', 'digits');
  const e = await capture(() => exportCli([dir, '--onnx', path.join(tmp, 'ae.onnx')]));
  expect(e.code).toBe(2);
  expect(e.err).toEqual([
    'tapegrad export: the autoencoder run on digits has no ONNX export (--onnx exports mlp and cnn, rnn/lstm/gru on images, and rnn/lstm/gru/transformer on text)',
  ]);
  expect(fs.existsSync(path.join(tmp, 'ae.onnx'))).toBe(false);
});
