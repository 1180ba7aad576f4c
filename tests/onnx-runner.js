#!/usr/bin/env node
// Runs ONNX models in onnxruntime-web (WebAssembly) in a plain Node process — jest's module sandbox
// cannot give onnxruntime the dynamic import() it loads its WebAssembly with. Reads a JSON job from
// stdin: { model: path, inputName, outputName, inputs: [{ data: number[], shape: number[], dtype? }] }
// (dtype 'int32' for token ids, float32 otherwise);
// writes [{ data: number[], dims: number[] }] (one per input), or { error } on failure.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-web');

ort.env.wasm.numThreads = 1;

async function main() {
  const job = JSON.parse(fs.readFileSync(0, 'utf8'));
  const session = await ort.InferenceSession.create(fs.readFileSync(job.model));
  const outputs = [];
  for (const input of job.inputs) {
    const feeds = {
      [job.inputName]:
        input.dtype === 'int32'
          ? new ort.Tensor('int32', Int32Array.from(input.data), input.shape)
          : new ort.Tensor('float32', Float32Array.from(input.data), input.shape),
    };
    const out = (await session.run(feeds))[job.outputName];
    outputs.push({ data: Array.from(out.data), dims: Array.from(out.dims) });
  }
  process.stdout.write(JSON.stringify(outputs));
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }));
});
