/**
 * @file What every character-level language model of the text task shares (`rnn`, `lstm`, `gru`
 * with `--dataset text`, and `transformer`): the training step (cross-entropy per character,
 * optional gradient clipping, one optimiser and one scheduler step), the epoch of random windows,
 * the validation loss, sampling with a temperature, and the report's samples and loss table.
 * src/train/families/char-lm.ts and transformer.ts supply the model and how it generates.
 */
import { noGrad } from '../../autograd/mode';
import type { Module } from '../../nn/module';
import { clipGradNorm_ } from '../../nn/utils/clip';
import { crossEntropy } from '../../ops/losses';
import { reshape } from '../../ops/shape';
import type { LRScheduler } from '../../optim/lr-scheduler';
import type { Optimizer } from '../../optim/optimizer';
import { rng as makeRng, Rng } from '../../random/rng';
import { tensor } from '../../tensor/create';
import type { Tensor } from '../../tensor/tensor';
import { escapeXml } from '../chart';
import type { BatchStats, FamilyOptions, FamilyRun, ReportSection, SampleOptions } from '../family';
import { decodeText, encodeText, evaluationWindows, loadTextData, randomWindows, TextData, unigramEntropy } from '../text-data';

/** A character model: ids [B, T] (int32) to next-character logits [B, T, V]. */
export type CharModel = Module<Tensor, Tensor>;

/** Generation, one character at a time: `advance(ids)` reads ids after what it has read and returns the logits of the next character. */
export interface TextGenerator {
  advance(ids: Int32Array): Float64Array;
}

/** The loss of a batch of windows: mean cross-entropy per character, logits [B, T, V] against targets [B, T]. */
export function lmLoss(model: CharModel, x: Int32Array, y: Int32Array, batch: number, seqLen: number): Tensor {
  const logits = model.forward(tensor(x, { shape: [batch, seqLen], dtype: 'int32' }));
  const V = logits.shape[2];
  return crossEntropy(reshape(logits, [batch * seqLen, V]), tensor(y, { dtype: 'int32' }));
}

/** One training step: the loss, backward, gradients clipped to `clip` (null: not clipped), the optimiser's and the scheduler's step. */
export function lmTrainStep(
  step: { model: CharModel; optimizer: Optimizer; scheduler: LRScheduler | null; clip: number | null },
  x: Int32Array,
  y: Int32Array,
  batch: number,
  seqLen: number,
): number {
  step.model.train();
  const loss = lmLoss(step.model, x, y, batch, seqLen);
  step.optimizer.zeroGrad();
  loss.backward();
  if (step.clip !== null) clipGradNorm_(step.model.parameters(), step.clip);
  step.optimizer.step();
  step.scheduler?.step();
  return loss.item();
}

/** The mean loss per character over `ids` cut into consecutive windows of seqLen, in eval mode without a graph. */
export function lmValidationLoss(model: CharModel, ids: Int32Array, seqLen: number): number {
  model.eval();
  const { full, rest } = evaluationWindows(ids, seqLen);
  return noGrad(() => {
    let sum = 0;
    let n = 0;
    // Chunks of up to 64 windows keep memory bounded on a long user text.
    for (let w = 0; w < full.count; w += 64) {
      const count = Math.min(64, full.count - w);
      const x = full.x.subarray(w * seqLen, (w + count) * seqLen);
      const y = full.y.subarray(w * seqLen, (w + count) * seqLen);
      sum += lmLoss(model, x, y, count, seqLen).item() * count * seqLen;
      n += count * seqLen;
    }
    if (rest) {
      sum += lmLoss(model, rest.x, rest.y, 1, rest.x.length).item() * rest.x.length;
      n += rest.x.length;
    }
    return sum / n;
  });
}

/**
 * Draws the next id from `logits` at `temperature`: 0 is greedy (the arg max, the lowest id on a
 * tie); otherwise the softmax of logits / temperature, sampled by inverting its CDF with one
 * uniform draw from `rng`.
 */
export function drawNext(logits: Float64Array, temperature: number, rng: Rng): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature === 0) return best;
  const p = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    p[i] = Math.exp((logits[i] - logits[best]) / temperature);
    total += p[i];
  }
  let u = rng.next() * total;
  for (let i = 0; i < p.length; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return best;
}

/**
 * Generates `length` characters after `prompt` (the returned text starts with the prompt). An empty
 * prompt starts after a newline (or a space, or the first character of the vocabulary).
 */
export function generateText(
  generator: TextGenerator,
  vocab: readonly string[],
  o: { prompt: string; length: number; temperature: number; rng: Rng },
): string {
  if (!Number.isInteger(o.length) || o.length < 0) throw new Error(`sample: --length must be a non-negative integer, got ${o.length}`);
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature))
    throw new Error(`sample: --temperature must be a finite number >= 0, got ${o.temperature}`);
  const start = o.prompt !== '' ? o.prompt : vocab.includes('\n') ? '\n' : vocab.includes(' ') ? ' ' : vocab[0];
  let logits = generator.advance(encodeText(start, vocab, 'sample: the prompt has'));
  const out: number[] = [];
  for (let i = 0; i < o.length; i++) {
    const id = drawNext(logits, o.temperature, o.rng);
    out.push(id);
    if (i + 1 < o.length) logits = generator.advance(Int32Array.of(id));
  }
  return o.prompt + decodeText(out, vocab);
}

/** The temperatures and prompt the report samples at, and how much. */
export const REPORT_TEMPERATURES = [0, 0.5, 0.8, 1];
export const REPORT_SAMPLE_LENGTH = 300;

/** How many characters the report's computation graph unrolls. */
export const GRAPH_CHARACTERS = 4;

/** What a text model gives the shared run: its module, optimiser, schedule, generator and sizes. */
export interface LmParts {
  model: CharModel;
  optimizer: Optimizer;
  scheduler: LRScheduler | null;
  clip: number | null;
  seqLen: number;
  generator(): TextGenerator;
  description: string;
  /** Extra sections (the transformer's attention maps), after the samples and the losses. */
  extraSections?(data: { vocab: string[]; prompt: string }): ReportSection[];
}

/** The vocabulary a run was trained with (run.json's `family.vocab`), or null when training anew. */
export function savedVocabulary(saved: Record<string, unknown> | null, family: string): string[] | null {
  if (saved === null) return null;
  const v = saved.vocab;
  if (!Array.isArray(v) || v.length === 0 || !v.every((c) => typeof c === 'string'))
    throw new Error(`${family}: run.json's family.vocab must be the list of the model's characters`);
  return v as string[];
}

/**
 * The text data of a run: loaded now when training (the vocabulary comes from the text), lazily
 * when rebuilding a saved run (the vocabulary is the saved one), so `sample` works without the text.
 */
export function textDataFor(opts: FamilyOptions, saved: string[] | null): { vocab: string[]; data(): TextData } {
  if (saved === null) {
    const d = loadTextData(opts.textFile);
    return { vocab: d.vocab, data: () => d };
  }
  let d: TextData | null = null;
  return { vocab: saved, data: () => (d ??= loadTextData(opts.textFile, saved)) };
}

/** The prompt the report samples from and draws attention for: the first words of the validation text. */
export function reportPrompt(data: TextData): string {
  const text = decodeText(data.val.subarray(0, 200), data.vocab);
  const words = text.split(/(?<=\s)/);
  let prompt = '';
  for (const w of words.slice(1)) {
    if (prompt.length + w.length > 24) break;
    prompt += w;
  }
  return prompt.trim() === '' ? text.slice(0, 16) : prompt;
}

/** The FamilyRun of a character model: everything but the model comes from here. */
export function languageModelRun(opts: FamilyOptions, vocab: string[], data: () => TextData, parts: LmParts, rng: Rng): FamilyRun {
  const { model, optimizer, scheduler, seqLen } = parts;
  const B = opts.batchSize;
  const limited = (ids: Int32Array) => (opts.limit !== null ? ids.subarray(0, Math.max(seqLen + 2, opts.limit)) : ids);
  const train = () => limited(data().train);
  const val = () => limited(data().val);
  const batchesPerEpoch = () => Math.max(1, Math.floor(train().length / (B * seqLen)));
  let lastVal: number | null = null;
  // The unigram entropy of the validation text the loss is measured on (all of it, or its first --limit characters).
  const unigram = () => (opts.limit !== null ? unigramEntropy(val(), vocab.length) : data().unigramLoss);
  const run: FamilyRun = {
    modules: { model },
    optimizers: { model: optimizer },
    schedulers: scheduler ? { model: scheduler } : {},
    description: parts.description,
    get dataDescription() {
      const d = data();
      return `${train().length} train / ${val().length} validation characters of ${d.source}, vocabulary of ${vocab.length}, windows of ${seqLen}`;
    },
    unit: 'characters',
    get batchesPerEpoch() {
      return batchesPerEpoch();
    },
    async trainEpoch(_epoch: number, onBatch: (done: number, stats: BatchStats) => Promise<boolean>) {
      const ids = train();
      const n = batchesPerEpoch();
      let sum = 0;
      for (let b = 0; b < n; b++) {
        const { x, y } = randomWindows(ids, B, seqLen, rng);
        sum += lmTrainStep(parts, x, y, B, seqLen);
        if (await onBatch(b + 1, { loss: sum / (b + 1), examples: (b + 1) * B * seqLen })) return null;
      }
      return { trainLoss: sum / n };
    },
    evaluate() {
      lastVal = lmValidationLoss(model, val(), seqLen);
      return { valLoss: lastVal, unigramLoss: unigram() };
    },
    headline: 'valLoss',
    summary() {
      const valLoss = lastVal ?? lmValidationLoss(model, val(), seqLen);
      return { valLoss, unigramLoss: unigram(), vocabularySize: vocab.length, seqLen };
    },
    async report() {
      const d = data();
      const prompt = reportPrompt(d);
      const valLoss = lastVal ?? lmValidationLoss(model, val(), seqLen);
      const samples = REPORT_TEMPERATURES.map((t) => {
        const text = generateText(parts.generator(), vocab, {
          prompt,
          length: REPORT_SAMPLE_LENGTH,
          temperature: t,
          rng: samplingRng(opts.seed, t),
        });
        return `<h3>temperature ${t}${t === 0 ? ' (greedy)' : ''}</h3><pre class="sample"><b>${escapeXml(prompt)}</b>${escapeXml(text.slice(prompt.length))}</pre>`;
      });
      const sections: ReportSection[] = [
        {
          title: 'Samples',
          html:
            `<p>${REPORT_SAMPLE_LENGTH} characters generated after the prompt (in bold, the start of the validation text) at a few temperatures; ` +
            `<code>tapegrad sample RUN --prompt "..." --temperature T</code> makes more.</p>` +
            samples.join(''),
        },
        { title: 'Validation loss', html: lossTable(valLoss, unigram(), vocab.length) },
      ];
      if (parts.extraSections) sections.push(...parts.extraSections({ vocab, prompt }));
      return sections;
    },
    spec() {
      return { vocab, seqLen };
    },
    // The report draws the model on the first 4 characters of the validation text: 4 time steps
    // (or positions) keep the drawing readable.
    graphInput: () => ({
      module: model,
      input: tensor(val().slice(0, GRAPH_CHARACTERS), { shape: [1, GRAPH_CHARACTERS], dtype: 'int32' }),
    }),
    sample(o: SampleOptions) {
      return { text: generateText(parts.generator(), vocab, o) };
    },
  };
  return run;
}

/** The report's generator for temperature t: seeded by the run's seed, the same on every report of the same weights. */
function samplingRng(seed: number, t: number): Rng {
  return makeRng(`report-sample-${seed}-${t}`);
}

/** valLoss beside unigramLoss, in nats and bits per character, and their perplexities. */
function lossTable(valLoss: number, unigramLoss: number, vocabSize: number): string {
  const row = (name: string, nats: number) =>
    `<tr><td>${escapeXml(name)}</td><td>${nats.toFixed(4)}</td><td>${(nats / Math.LN2).toFixed(3)}</td><td>${Math.exp(nats).toFixed(2)}</td></tr>`;
  return (
    `<table><tr><th>model</th><th>nats / char</th><th>bits / char</th><th>perplexity</th></tr>` +
    row('this model (valLoss)', valLoss) +
    row('unigram frequencies (unigramLoss)', unigramLoss) +
    row(`uniform over the ${vocabSize} characters`, Math.log(vocabSize)) +
    `</table><p>The validation text is the last 10% of the text. The unigram loss is the entropy of its character frequencies: ` +
    `what a model that ignores context pays per character. The model is ${(unigramLoss - valLoss).toFixed(3)} nats per character below it.</p>`
  );
}
