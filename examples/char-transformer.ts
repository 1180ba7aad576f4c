/**
 * @file A small decoder-only character transformer, as a PyTorch user writes one: token and
 * learned position embeddings, causal pre-norm nn.TransformerEncoderLayers, a final LayerNorm and
 * a linear read-out; AdamW, a linear warm-up into a cosine decay (SequentialLR of LinearLR and
 * CosineAnnealingLR) and gradient clipping; on the text tapegrad ships. `tapegrad train --model
 * transformer` trains the same model (src/train/families/transformer.ts).
 *
 * Run: npx ts-node examples/char-transformer.ts   (a few CPU-minutes; TAPEGRAD_SMOKE=1: 20 batches)
 */
import * as tg from '../src';
import { loadText, unigramEntropy } from './char-lstm';

const { nn, optim, data } = tg;

export class CharTransformer extends nn.Module {
  readonly token: tg.nn.Embedding;
  readonly position: tg.nn.Embedding;
  readonly encoder: tg.nn.TransformerEncoder;
  readonly norm: tg.nn.LayerNorm;
  readonly head: tg.nn.Linear;

  constructor(
    vocabSize: number,
    readonly o: { dModel: number; nhead: number; numLayers: number; context: number; rng: tg.Rng },
  ) {
    super();
    const { dModel, rng } = o;
    this.token = new nn.Embedding(vocabSize, dModel, { rng });
    this.position = new nn.Embedding(o.context, dModel, { rng });
    const layer = new nn.TransformerEncoderLayer(dModel, o.nhead, {
      dimFeedforward: 4 * dModel,
      dropout: 0,
      activation: 'gelu',
      batchFirst: true,
      normFirst: true,
      rng,
    });
    this.encoder = new nn.TransformerEncoder(layer, o.numLayers);
    this.norm = new nn.LayerNorm(dModel);
    this.head = new nn.Linear(dModel, vocabSize, { rng });
  }

  /** ids [B, T] → logits [B, T, V]; each position sees only itself and what came before. */
  forward(x: tg.Tensor): tg.Tensor {
    const T = x.shape[1];
    const h = tg.add(this.token.forward(x), this.position.forward(tg.arange(T, { dtype: 'int32' })));
    return this.head.forward(this.norm.forward(this.encoder.forward(h, { isCausal: true })));
  }
}

function lmLoss(logits: tg.Tensor, y: tg.Tensor): tg.Tensor {
  const [B, T, V] = logits.shape;
  return tg.crossEntropy(tg.reshape(logits, [B * T, V]), tg.reshape(y, [B * T]));
}

/** Greedy text after `prompt`, over a sliding context window. */
export function greedy(model: CharTransformer, vocab: string[], prompt: string, length: number): string {
  model.eval();
  const ids = Array.from(prompt, (c) => vocab.indexOf(c));
  return tg.noGrad(() => {
    for (let i = 0; i < length; i++) {
      const context = ids.slice(-model.o.context);
      const logits = model.forward(tg.tensor(Int32Array.from(context), { shape: [1, context.length], dtype: 'int32' }));
      ids.push(tg.argmax(tg.index(logits, 0, -1)).item());
    }
    return ids.map((i) => vocab[i]).join('');
  });
}

export function main(opts: { smoke?: boolean; log?: (line: string) => void } = {}) {
  const log = opts.log ?? console.log;
  const rng = tg.rng(0);
  const context = 32;
  const { vocab, train, val } = loadText(context);
  const model = new CharTransformer(vocab.length, { dModel: 64, nhead: 4, numLayers: 2, context, rng });
  const loader = new data.DataLoader(train, { batchSize: 32, shuffle: true, dropLast: true, rng });
  const epochs = opts.smoke ? 1 : 6;
  const totalSteps = opts.smoke ? 20 : epochs * Math.floor(train.length / 32);
  const warmup = Math.max(1, Math.round(0.05 * totalSteps));
  const optimizer = new optim.AdamW(model.parameters(), { lr: 0.01, weightDecay: 0.01 });
  const scheduler = new optim.lrScheduler.SequentialLR(optimizer, {
    schedulers: [
      new optim.lrScheduler.LinearLR(optimizer, { startFactor: 1 / warmup, totalIters: warmup }),
      new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: totalSteps - warmup }),
    ],
    milestones: [warmup],
  });
  const n = Math.floor((val.length - 1) / context) * context;
  const valX = tg.tensor(val.slice(0, n), { shape: [n / context, context], dtype: 'int32' });
  const valY = tg.tensor(val.slice(1, n + 1), { shape: [n / context, context], dtype: 'int32' });
  const losses: number[] = [];
  let valLoss = NaN;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    for (const [x, y] of loader) {
      const loss = lmLoss(model.forward(x), y);
      optimizer.zeroGrad();
      loss.backward();
      nn.utils.clipGradNorm_(model.parameters(), 1);
      optimizer.step();
      scheduler.step();
      losses.push(loss.item());
      if (opts.smoke && losses.length === 20) break;
    }
    model.eval();
    valLoss = tg.noGrad(() => lmLoss(model.forward(valX), valY).item());
    log(`epoch ${epoch}: train loss ${losses[losses.length - 1].toFixed(3)}, validation loss ${valLoss.toFixed(3)} nats/char`);
  }
  const unigramLoss = unigramEntropy(val, vocab.length);
  const text = greedy(model, vocab, 'The gradient', 60);
  log(`unigram entropy of the validation text: ${unigramLoss.toFixed(3)} nats/char`);
  log(`greedy sample: ${JSON.stringify(text)}`);
  return { losses, valLoss, unigramLoss, text };
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1' });
