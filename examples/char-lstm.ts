/**
 * @file A character-level LSTM language model, as a PyTorch user writes one: the text tapegrad
 * ships (data/tapegrad-tutorial.txt, the project's own docs as prose), a vocabulary of its
 * characters, a TensorDataset of windows and a shuffling DataLoader, Embedding → LSTM → Linear,
 * cross-entropy per character, Adam with a cosine schedule and gradient clipping; then the
 * validation loss beside the unigram entropy, and a sample. `tapegrad train --model lstm
 * --dataset text` trains the same model (src/train/families/char-lm.ts).
 *
 * Run: npx ts-node examples/char-lstm.ts   (about 2 CPU-minutes; TAPEGRAD_SMOKE=1: 20 batches)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tg from '../src';

const { nn, optim, data } = tg;

export class CharLSTM extends nn.Module {
  readonly embedding: tg.nn.Embedding;
  readonly lstm: tg.nn.LSTM;
  readonly head: tg.nn.Linear;

  constructor(vocabSize: number, opts: { embedDim: number; hiddenSize: number; rng: tg.Rng }) {
    super();
    this.embedding = new nn.Embedding(vocabSize, opts.embedDim, { rng: opts.rng });
    this.lstm = new nn.LSTM(opts.embedDim, opts.hiddenSize, { batchFirst: true, rng: opts.rng });
    this.head = new nn.Linear(opts.hiddenSize, vocabSize, { rng: opts.rng });
  }

  /** ids [B, T] → logits [B, T, V], and the LSTM's state after the last step. */
  step(x: tg.Tensor, state: [tg.Tensor, tg.Tensor] | null = null): [tg.Tensor, [tg.Tensor, tg.Tensor]] {
    const [h, next] = this.lstm.forward(this.embedding.forward(x), state);
    return [this.head.forward(h), next];
  }

  forward(x: tg.Tensor): tg.Tensor {
    return this.step(x)[0];
  }
}

/** The text as ids, its vocabulary, and windows of seqLen (+1 for the targets) as a dataset. */
export function loadText(seqLen: number): { vocab: string[]; train: tg.data.TensorDataset; val: Int32Array; ids: Int32Array } {
  const text = fs.readFileSync(path.join(__dirname, '..', 'data', 'tapegrad-tutorial.txt'), 'utf8');
  const chars = Array.from(text);
  const vocab = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const index = new Map(vocab.map((c, i) => [c, i]));
  const ids = Int32Array.from(chars, (c) => index.get(c)!);
  const nVal = Math.round(ids.length * 0.1); // the last 10% validates
  const trainIds = ids.subarray(0, ids.length - nVal);
  const n = Math.floor((trainIds.length - 1) / seqLen);
  const x = new Int32Array(n * seqLen);
  const y = new Int32Array(n * seqLen);
  for (let i = 0; i < n; i++) {
    x.set(trainIds.subarray(i * seqLen, (i + 1) * seqLen), i * seqLen);
    y.set(trainIds.subarray(i * seqLen + 1, (i + 1) * seqLen + 1), i * seqLen);
  }
  const train = new data.TensorDataset(
    tg.tensor(x, { shape: [n, seqLen], dtype: 'int32' }),
    tg.tensor(y, { shape: [n, seqLen], dtype: 'int32' }),
  );
  return { vocab, train, val: ids.subarray(ids.length - nVal), ids };
}

/** Mean cross-entropy per character of logits [B, T, V] against targets [B, T]. */
function lmLoss(logits: tg.Tensor, y: tg.Tensor): tg.Tensor {
  const [B, T, V] = logits.shape;
  return tg.crossEntropy(tg.reshape(logits, [B * T, V]), tg.reshape(y, [B * T]));
}

/** −Σ p ln p of the characters' frequencies: the loss of a model without context. */
export function unigramEntropy(ids: Int32Array, vocabSize: number): number {
  const counts = new Array<number>(vocabSize).fill(0);
  for (const id of ids) counts[id]++;
  return counts.filter((c) => c > 0).reduce((h, c) => h - (c / ids.length) * Math.log(c / ids.length), 0);
}

/** Greedy (temperature 0) or sampled text after `prompt`, carrying the LSTM state. */
export function sample(model: CharLSTM, vocab: string[], prompt: string, length: number, temperature: number, rng: tg.Rng): string {
  model.eval();
  return tg.noGrad(() => {
    const ids = Array.from(prompt, (c) => vocab.indexOf(c));
    let [logits, state] = model.step(tg.tensor(Int32Array.from(ids), { shape: [1, ids.length], dtype: 'int32' }));
    let out = prompt;
    for (let i = 0; i < length; i++) {
      const last = tg.index(logits, 0, -1); // the logits of the next character, [V]
      const next = temperature === 0 ? tg.argmax(last).item() : drawFrom(tg.softmax(tg.div(last, temperature)).data, rng);
      out += vocab[next];
      [logits, state] = model.step(tg.tensor(Int32Array.of(next), { shape: [1, 1], dtype: 'int32' }), state);
    }
    return out;
  });
}

function drawFrom(p: ArrayLike<number>, rng: tg.Rng): number {
  let u = rng.next();
  for (let i = 0; i < p.length; i++) if ((u -= p[i]) < 0) return i;
  return p.length - 1;
}

export function main(opts: { smoke?: boolean; log?: (line: string) => void } = {}) {
  const log = opts.log ?? console.log;
  const rng = tg.rng(0);
  const seqLen = 64;
  const { vocab, train, val } = loadText(seqLen);
  const model = new CharLSTM(vocab.length, { embedDim: 32, hiddenSize: 128, rng });
  const loader = new data.DataLoader(train, { batchSize: 32, shuffle: true, dropLast: true, rng });
  const epochs = opts.smoke ? 1 : 5;
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.02 });
  const totalSteps = opts.smoke ? 20 : epochs * Math.floor(train.length / 32);
  const scheduler = new optim.lrScheduler.CosineAnnealingLR(optimizer, { tMax: totalSteps });
  const valX = tg.tensor(val.slice(0, Math.floor((val.length - 1) / seqLen) * seqLen), { dtype: 'int32' });
  const valY = tg.tensor(val.slice(1, valX.size + 1), { dtype: 'int32' });
  const start = performance.now();
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
    valLoss = tg.noGrad(() => lmLoss(model.forward(tg.reshape(valX, [-1, seqLen])), tg.reshape(valY, [-1, seqLen])).item());
    log(`epoch ${epoch}: train loss ${losses[losses.length - 1].toFixed(3)}, validation loss ${valLoss.toFixed(3)} nats/char`);
  }
  const unigramLoss = unigramEntropy(val, vocab.length);
  const text = sample(model, vocab, 'The gradient', 80, 0.5, tg.rng(1));
  log(`unigram entropy of the validation text: ${unigramLoss.toFixed(3)} nats/char; ${((performance.now() - start) / 1000).toFixed(1)} s`);
  log(`sample (temperature 0.5): ${JSON.stringify(text)}`);
  return { losses, valLoss, unigramLoss, text };
}

if (require.main === module) main({ smoke: process.env.TAPEGRAD_SMOKE === '1' });
