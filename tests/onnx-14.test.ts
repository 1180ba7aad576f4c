/** SPEC §14's primitives exported to ONNX (src/onnx/ops.ts) and run in onnxruntime-web against tapegrad. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';

const r = tg.rng('onnx-14');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-onnx14-'));
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

/** Runs the model in onnxruntime-web (tests/onnx-runner.js, a plain Node process) on each input. */
function runOnnx(bytes: Uint8Array, xs: tg.Tensor[]): { data: number[]; dims: number[] }[] {
  const model = path.join(workDir, `m${xs.length}-${Date.now()}.onnx`);
  fs.writeFileSync(model, bytes);
  const job = {
    model,
    inputName: 'input',
    outputName: 'output',
    inputs: xs.map((x) => ({ data: Array.from(x.data), shape: [...x.shape] })),
  };
  const res = spawnSync(process.execPath, [path.join(__dirname, 'onnx-runner.js')], {
    input: JSON.stringify(job),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const out = JSON.parse(res.stdout || '{"error":"no output"}');
  if (!Array.isArray(out)) throw new Error(`onnxruntime: ${out.error} ${res.stderr}`);
  return out;
}

/** Runs the exported model on each input and compares with tapegrad's f, element by element (float32 tolerance). */
function expectOnnxMatches(f: (x: tg.Tensor) => tg.Tensor, bytes: Uint8Array, runs: tg.Tensor[]): void {
  const results = runOnnx(bytes, runs);
  runs.forEach((x, k) => {
    const want = f(x);
    expect(results[k].dims).toEqual(want.shape);
    for (let i = 0; i < want.size; i++) {
      if (!(Math.abs(results[k].data[i] - want.data[i]) <= 1e-4 * (1 + Math.abs(want.data[i])))) {
        throw new Error(`element ${i}: onnxruntime ${results[k].data[i]} vs tapegrad ${want.data[i]}`);
      }
    }
  });
}

test('where, the unary math, fmod, cumsum and the 2-norm run in onnxruntime and match, at another batch size too', () => {
  const mask = tg.tensor([true, false, true, true, false]);
  const f = (x: tg.Tensor) => {
    const t = tg.tanh(x);
    const terms = [
      tg.where(mask, tg.sin(x), tg.cos(x)),
      tg.tan(t),
      tg.asin(t),
      tg.acos(t),
      tg.atan(x),
      tg.sinh(x),
      tg.cosh(x),
      tg.erf(x),
      tg.erfc(x),
      tg.log1p(x.abs()),
      tg.expm1(x),
      tg.log2(x.abs().add(1)),
      tg.log10(x.abs().add(1)),
      tg.sign(x),
      tg.floor(x.mul(3)),
      tg.ceil(x.mul(3)),
      tg.round(x.mul(3)),
      tg.trunc(x.mul(3)),
      tg.fmod(x, 0.3),
      tg.cumsum(x, 1),
      tg.norm(x, 2, 1, true),
      tg.maskedFill(x, mask, 0.5),
    ];
    return terms.reduce((a, b) => a.add(b));
  };
  const sample = tg.randn([2, 5], { rng: r });
  const bytes = tg.onnx.toOnnx(f, sample);
  const runs = [tg.randn([2, 5], { rng: r }), tg.randn([4, 5], { rng: r })];
  expectOnnxMatches(f, bytes, runs);
});

test('atan2 in all four quadrants and on the axes, remainder with either sign, and the p-norms run in onnxruntime and match', () => {
  // The second operands cover x < 0 with y ≥ 0 and y < 0, x = 0, and the origin itself.
  const other = tg.tensor([[-1.5, -0.5, 0, 0.75, 2, -3]]);
  const divisor = tg.tensor([[0.7, -0.7, 1.3, -2.1, 0.4, -0.4]]);
  const f = (x: tg.Tensor) => {
    const y = x.mul(tg.tensor([[1, 1, 1, 1, 1, 0]]));
    const terms = [
      tg.atan2(y, other),
      tg.atan2(other, y),
      // The origin, with every sign of zero: ±0 / ±0.
      tg.atan2(x.mul(0), other.mul(0)),
      tg.remainder(x.mul(3), divisor),
      tg.norm(x, 1, 1, true),
      tg.norm(x, 3, 1, true),
      tg.norm(x, 0.5, 1, true),
      tg.norm(x, -1.5, 1, true),
    ];
    return terms.reduce((a, b) => a.add(b));
  };
  const sample = tg.randn([2, 6], { rng: r });
  const bytes = tg.onnx.toOnnx(f, sample);
  const runs = [tg.randn([2, 6], { rng: r }), tg.randn([3, 6], { rng: r })];
  expectOnnxMatches(f, bytes, runs);
});

test('a primitive without an ONNX operator throws naming itself and why', () => {
  const x = tg.randn([2, 3], { rng: r });
  expect(() => tg.onnx.toOnnx((t) => tg.cumprod(t, 1), x)).toThrow(
    "toOnnx: the tapegrad op 'cumprod' has no ONNX mapping (ONNX has no cumulative product)",
  );
});

test("amax, amin and the ±inf norms are refused: their maximum and tie mask are the sample's, not the graph's", () => {
  const x = tg.randn([2, 3], { rng: r });
  const refused =
    /^toOnnx: (amax's maximum|amin's minimum) and tie mask in \S+ is computed from the traced sample outside the graph; exported as a constant, the model would give the sample's answer for every input/;
  expect(() => tg.onnx.toOnnx((t) => tg.amax(t, 1), x)).toThrow(refused);
  expect(() => tg.onnx.toOnnx((t) => tg.amin(t, 1).add(t.sum(1)), x)).toThrow(refused);
  expect(() => tg.onnx.toOnnx((t) => tg.norm(t, Infinity, 1), x)).toThrow(refused);
  // max (a primitive) exports: ReduceMax of the real input.
  expect(tg.onnx.toOnnx((t) => tg.max(t, 1), x).length).toBeGreaterThan(0);
});
