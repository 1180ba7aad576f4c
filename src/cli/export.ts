/**
 * @file `tapegrad export RUN_DIR --onnx FILE.onnx`: a saved run's model as ONNX (SPEC §12). The run's
 * input preprocessing is folded into the graph — the ONNX model takes pixels in [0, 1], [N,C,H,W], as
 * tg.data.loadDigits / loadIdx give them — and is also recorded in the model's metadata.
 */
import { writeOnnx } from '../onnx';
import { div, sub } from '../ops/elementwise';
import { zeros } from '../tensor/create';
import * as path from 'path';
import { isClassicRun, loadRun } from '../train/classic-run';
import { writeTorchProgram } from '../train/torch-program';
import { torchProgramKind, writeFamilyTorchProgram } from '../train/torch-program-families';
import { parseCommand } from './args';
import { exportFamilyOnnx } from './export-onnx';

const HELP = `usage: tapegrad export RUN_DIR --onnx FILE.onnx
       tapegrad export RUN_DIR --torch DIR

--onnx: writes the model a 'tapegrad train' run saved in RUN_DIR as an ONNX file (opset 17) that
onnxruntime runs and Netron opens. Image classifiers (mlp, cnn; rnn, lstm, gru on digits or
fashion-mnist) take 'pixels' [N,C,H,W] in [0,1] (any batch size N), the standardisation the model
was trained with part of the graph. Text models (rnn, lstm, gru, transformer on --dataset text) take
'tokens', int32 character ids [N,T] (T the training window), the vocabulary in the model's metadata.
The output is 'logits'. The other families (autoencoder, vae, gan, dbn) have no ONNX export.

--torch: writes the run as a PyTorch program in DIR: model.py (a torch.nn.Module whose state_dict
keys are tapegrad's), weights.safetensors, train.py (the same recipe, runnable as 'python train.py'
and as 'torchrun --nproc_per_node N train.py'), run.json and a README. 'tapegrad import DIR' brings
the weights PyTorch wrote back. Runs of mlp, cnn, rnn, lstm, gru (images or --dataset text) and
transformer export; a classifier's train.py prints 'accuracy 97.50%', a character language model's
'val loss 1.9412' (nats per character) and its next-character accuracy as 'accuracy 41.20%'.`;

const OPTIONS = { onnx: { type: 'string' }, torch: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export async function run(args: string[]): Promise<number> {
  const fail = (message: string): number => {
    console.error(`tapegrad export: ${message}`);
    return 2;
  };
  const parsed = parseCommand('export', args, OPTIONS, HELP);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length !== 1) return fail(`expected one RUN_DIR, got ${parsed.positionals.length}`);
  const out = parsed.values.onnx;
  const torchDir = parsed.values.torch;
  if ((out === undefined) === (torchDir === undefined)) return fail('give one of --onnx FILE.onnx or --torch DIR');
  if (out !== undefined && !/\.onnx$/i.test(out)) return fail(`--onnx must name a .onnx file, got '${out}'`);
  if (out !== undefined) {
    // A model-family run other than the classic mlp/cnn (whose export is below, as for format 1):
    // the text models and the image sequence classifiers (export-onnx.ts).
    try {
      if (!isClassicRun(parsed.positionals[0])) {
        console.log(exportFamilyOnnx(parsed.positionals[0], out));
        return 0;
      }
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  if (torchDir !== undefined) {
    try {
      // One dispatch: mlp/cnn runs go to torch-program.ts, the families with a program to
      // torch-program-families.ts, any other family is refused, named.
      const files =
        torchProgramKind(parsed.positionals[0]) === 'family'
          ? writeFamilyTorchProgram(parsed.positionals[0], torchDir)
          : writeTorchProgram(loadRun(parsed.positionals[0]), torchDir);
      console.log(`wrote ${torchDir}: ${files.join(', ')}`);
      console.log(
        `run it: python ${path.join(torchDir, 'train.py')}   or   torchrun --nproc_per_node 2 ${path.join(torchDir, 'train.py')}`,
      );
      return 0;
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  if (out === undefined) return fail('--onnx FILE.onnx is required');
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
