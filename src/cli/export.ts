/**
 * @file `tapegrad export RUN_DIR --onnx FILE.onnx`: a saved run's model as ONNX (SPEC §12). The run's
 * input preprocessing is folded into the graph — the ONNX model takes pixels in [0, 1], [N,C,H,W], as
 * tg.data.loadDigits / loadIdx give them — and is also recorded in the model's metadata.
 */
import { writeOnnx } from '../onnx';
import { div, sub } from '../ops/elementwise';
import { zeros } from '../tensor/create';
import { loadRun } from '../train/run';
import { parseCommand } from './args';

const HELP = `usage: tapegrad export RUN_DIR --onnx FILE.onnx

Writes the model a 'tapegrad train' run saved in RUN_DIR as an ONNX file (opset 17) that
onnxruntime runs and Netron opens. The input, 'pixels', is [N,C,H,W] in [0,1] (any batch size N);
the standardisation the model was trained with is part of the graph. The output is 'logits'.`;

const OPTIONS = { onnx: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export async function run(args: string[]): Promise<number> {
  const fail = (message: string): number => {
    console.error(`tapegrad export: ${message}`);
    return 2;
  };
  const parsed = parseCommand('export', args, OPTIONS, HELP);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) return fail(`expected one RUN_DIR, got ${parsed.positionals.length}`);
  const out = parsed.values.onnx;
  if (out === undefined) return fail('--onnx FILE.onnx is required');
  if (!/\.onnx$/i.test(out)) return fail(`--onnx must name a .onnx file, got '${out}'`);
  let saved;
  try {
    saved = loadRun(parsed.positionals[0]);
  } catch (e) {
    return fail((e as Error).message);
  }
  const { spec, model } = saved;
  const { mean, std, pixelScale } = spec.preprocessing;
  writeOnnx(out, (x) => model.forward(div(sub(x, mean), std)), zeros([1, ...spec.model.imageShape]), {
    inputName: 'pixels',
    outputName: 'logits',
    metadata: {
      preprocessing: `inside the graph: (pixels - ${mean}) / ${std}; pixels in [0,1] (raw pixel × ${pixelScale})`,
      classes: JSON.stringify(spec.classNames),
      'tapegrad.run': JSON.stringify({ dataset: spec.dataset, seed: spec.seed, model: spec.model }),
    },
  });
  console.log(
    `wrote ${out}: ${spec.model.architecture} (${spec.model.parameters.toLocaleString('en-US')} parameters), input 'pixels' [N,${spec.model.imageShape.join(',')}] in [0,1], output 'logits' [N,${spec.model.classes}]`,
  );
  return 0;
}
