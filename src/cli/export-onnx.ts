/**
 * @file `tapegrad export RUN_DIR --onnx FILE.onnx` for a model-family run (SPEC §17): the text models
 * (rnn, lstm, gru and transformer trained on --dataset text) take int32 character ids 'tokens' [N,T]
 * and give 'logits' [N,T,V], the vocabulary in the model's metadata; the image classifiers rnn, lstm
 * and gru take 'pixels' [N,1,H,W] in [0,1] as the mlp and cnn exports do, the standardisation in the
 * graph. The other families have no ONNX export and are refused in one line naming the family.
 */
import { writeOnnx } from '../onnx';
import { div, sub } from '../ops/elementwise';
import { reshape, slice } from '../ops/shape';
import { LSTM } from '../nn/recurrent';
import { Tensor } from '../tensor/tensor';
import { CHAR_LM_SIZES, CharLmKind, CharRnn } from '../train/families/char-lm';
import { loadClassifierData } from '../train/families/classify';
import { SequenceClassifier } from '../train/families/recurrent-digits';
import { CharTransformer } from '../train/families/transformer';
import { loadSession } from '../train/session';

const TEXT_FAMILIES = ['rnn', 'lstm', 'gru', 'transformer'];

/** Writes the family run in `dir` to `out` as ONNX and returns the line to print; throws, naming the family, when it has no ONNX export. */
export function exportFamilyOnnx(dir: string, out: string): string {
  const { spec, run } = loadSession(dir);
  const { family } = spec;
  const dataset = spec.options.dataset;
  const model = run.modules.model;
  const about = { family, dataset, seed: String(spec.options.seed), architecture: spec.model.architecture };
  if (dataset === 'text' && TEXT_FAMILIES.includes(family) && (model instanceof CharRnn || model instanceof CharTransformer)) {
    const vocab = model.vocabSize;
    const T = model instanceof CharTransformer ? model.sizes.seqLen : CHAR_LM_SIZES[family as CharLmKind].seqLen;
    // Distinct ids (Note [samples traced twice] needs a sample whose permutation differs).
    const sample = new Tensor(
      Int32Array.from({ length: T }, (_, t) => t % vocab),
      [1, T],
    );
    writeOnnx(out, model, sample, {
      inputName: 'tokens',
      outputName: 'logits',
      metadata: { vocabulary: JSON.stringify(spec.saved.vocab ?? null), 'tapegrad.run': JSON.stringify(about) },
    });
    return (
      `wrote ${out}: the ${family} model of the run on ${dataset} (${spec.model.parameters.toLocaleString('en-US')} parameters), ` +
      `input 'tokens' int32 [N,${T}] (character ids: the vocabulary is in the metadata), output 'logits' [N,${T},${vocab}]`
    );
  }
  if (model instanceof SequenceClassifier && ['rnn', 'lstm', 'gru'].includes(family)) {
    const { pixels, imageShape } = loadClassifierData(family, spec.options);
    const { mean, std } = pixels;
    const rnn = model.rnn;
    // The classifier reads the last layer's final hidden state; with one layer in one direction (the
    // family's) that is the output at the last step, whose batch axis ONNX keeps dynamic.
    if (rnn.numLayers !== 1 || rnn.bidirectional)
      throw new Error(`a ${family} classifier with several layers or directions has no ONNX export`);
    const forward = (x: Tensor): Tensor => {
      const n = x.shape[0];
      const [, , H, W] = x.shape;
      const steps = reshape(div(sub(x, mean), std), [n, H, W]);
      const y = rnn instanceof LSTM ? rnn.forward(steps)[0] : rnn.forward(steps)[0];
      const last = reshape(slice(y, [0, H - 1, 0], [n, H, y.shape[2]]), [n, y.shape[2]]);
      return model.fc.forward(last);
    };
    const sample = new Tensor(new Float32Array(imageShape.reduce((a, b) => a * b, 1)), [1, ...imageShape]);
    writeOnnx(out, forward, sample, {
      inputName: 'pixels',
      outputName: 'logits',
      metadata: {
        preprocessing: `inside the graph: (pixels - ${mean}) / ${std}; pixels in [0,1]`,
        classes: JSON.stringify(run.classNames ?? null),
        'tapegrad.run': JSON.stringify(about),
      },
    });
    return (
      `wrote ${out}: the ${family} model of the run on ${dataset} (${spec.model.parameters.toLocaleString('en-US')} parameters), ` +
      `input 'pixels' [N,${imageShape.join(',')}] in [0,1], output 'logits' [N,${model.fc.outFeatures}]`
    );
  }
  throw new Error(
    `the ${family} run on ${dataset} has no ONNX export (--onnx exports mlp and cnn, rnn/lstm/gru on images, and rnn/lstm/gru/transformer on text)`,
  );
}
