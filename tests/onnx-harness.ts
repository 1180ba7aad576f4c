/**
 * @file onnxruntime as the reference for ONNX tests: `onnxRunner(label)` gives a function that writes
 * an exported model to a temporary folder (removed after the test file) and runs it in
 * onnxruntime-web in a plain Node process (tests/onnx-runner.js; jest's module sandbox cannot give
 * onnxruntime the dynamic import() it loads its WebAssembly with), once per input.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Tensor } from '../src';

export type OnnxOutput = { data: number[]; dims: number[] };

export function onnxRunner(label: string): (bytes: Uint8Array, xs: Tensor[], inputName?: string, outputName?: string) => OnnxOutput[] {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `tapegrad-${label}-`));
  afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));
  let models = 0;
  return (bytes, xs, inputName = 'input', outputName = 'output') => {
    const model = path.join(workDir, `m${++models}.onnx`);
    fs.writeFileSync(model, bytes);
    const job = {
      model,
      inputName,
      outputName,
      inputs: xs.map((x) => ({ data: Array.from(x.data, Number), shape: [...x.shape], dtype: x.dtype })),
    };
    const out = spawnSync(process.execPath, [path.join(__dirname, 'onnx-runner.js')], {
      input: JSON.stringify(job),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const parsed = JSON.parse(out.stdout || '{"error":"no output"}');
    if (!Array.isArray(parsed)) throw new Error(`onnxruntime: ${parsed.error} ${out.stderr}`);
    return parsed;
  };
}
