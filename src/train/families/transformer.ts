/**
 * @file `tapegrad train --model transformer` (text only): a small decoder-only character model —
 * token embedding plus a learned positional embedding, a stack of causal pre-norm
 * nn.TransformerEncoderLayers, a final LayerNorm and a linear read-out — trained with AdamW, a
 * linear warm-up into a cosine decay (one LambdaLR) and gradient clipping. The report adds each
 * layer's attention heads on one prompt. Training, evaluation and sampling are text-lm.ts's.
 *
 * Note [a decoder is a causal encoder]: a decoder-only model has no cross-attention, so each block
 * is PyTorch's TransformerEncoderLayer with a causal mask (`isCausal`; the PyTorch mirror passes
 * the same mask as -inf above the diagonal). Pre-norm (`normFirst`) with a final LayerNorm, as
 * GPT-2: it trains without the careful warm-up post-norm needs.
 */
import { noGrad } from '../../autograd/mode';
import * as nn from '../../nn';
import type { LRScheduler } from '../../optim/lr-scheduler';
import { LambdaLR } from '../../optim/lr-scheduler';
import { AdamW } from '../../optim';
import type { Optimizer } from '../../optim/optimizer';
import { add } from '../../ops/elementwise';
import { arange, tensor } from '../../tensor/create';
import type { FloatDType } from '../../tensor/dtype';
import type { Rng } from '../../random/rng';
import type { Tensor } from '../../tensor/tensor';
import { escapeXml } from '../chart';
import type { Family, FamilyContext, FamilyOptions, FamilyRun, ReportSection } from '../family';
import type { Hyper } from '../options';
import { describeOptimizer, makeScheduler } from '../optimizers';
import { encodeText } from '../text-data';
import { languageModelRun, savedVocabulary, textDataFor, TextGenerator } from './text-lm';

/** The architecture (not options: Note [a family is rebuilt from its options]). */
export const TRANSFORMER_SIZES = { dModel: 64, nhead: 4, numLayers: 2, dimFeedforward: 256, seqLen: 32, dropout: 0 };

export type TransformerSizes = typeof TRANSFORMER_SIZES;

/** The fraction of the training steps spent warming the learning rate up linearly. */
export const WARMUP_FRACTION = 0.05;

export function transformerDefaults(dataset: string): Hyper {
  if (dataset !== 'text') throw new Error(`transformer: trains on --dataset text only, got '${dataset}'`);
  return {
    epochs: 6,
    batchSize: 32,
    // Note [short windows, many steps]: measured with the PyTorch mirror over the same CPU budget,
    // windows of 32 (about 640 steps) at lr 0.01 reach 2.04 nats per character where windows of 64
    // (about 320 steps) at 2e-3 stay at 2.73; the unigram entropy is 3.29.
    lr: 0.01,
    momentum: 0.9,
    weightDecay: 0.01,
    cropPadding: 0,
    flipP: 0,
    optimizer: 'adamw',
    scheduler: 'cosine',
    clipGradNorm: 1,
  };
}

/** A decoder-only character transformer: ids [B, T] to logits [B, T, V]. Keys token.*, position.*, encoder.layers.i.*, norm.*, head.*. */
export class CharTransformer extends nn.Module {
  readonly token: nn.Embedding;
  readonly position: nn.Embedding;
  readonly encoder: nn.TransformerEncoder;
  readonly norm: nn.LayerNorm;
  readonly head: nn.Linear;

  constructor(
    readonly vocabSize: number,
    readonly sizes: TransformerSizes,
    opts: { rng: Rng; dtype?: FloatDType },
  ) {
    super();
    const { rng, dtype } = opts;
    const d = sizes.dModel;
    this.token = new nn.Embedding(vocabSize, d, { rng, dtype });
    this.position = new nn.Embedding(sizes.seqLen, d, { rng, dtype });
    const layer = new nn.TransformerEncoderLayer(d, sizes.nhead, {
      dimFeedforward: sizes.dimFeedforward,
      dropout: sizes.dropout,
      activation: 'gelu',
      batchFirst: true,
      normFirst: true,
      rng,
      dtype,
    });
    this.encoder = new nn.TransformerEncoder(layer, sizes.numLayers);
    this.norm = new nn.LayerNorm(d, { dtype });
    this.head = new nn.Linear(d, vocabSize, { rng, dtype });
  }

  /** Token plus position embeddings of ids [B, T]. */
  private embed(x: Tensor): Tensor {
    const T = x.shape[1];
    if (T > this.sizes.seqLen)
      throw new Error(`CharTransformer: a window of ${T} characters is longer than the model's ${this.sizes.seqLen}`);
    return add(this.token.forward(x), this.position.forward(arange(T, { dtype: 'int32' })));
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(this.norm.forward(this.encoder.forward(this.embed(x), { isCausal: true })));
  }

  /** Each layer's attention weights [heads, T, T] on ids [1, T] (eval mode, no graph). */
  attentionMaps(x: Tensor): Float64Array[][] {
    this.eval();
    return noGrad(() => {
      let h = this.embed(x);
      const maps: Float64Array[][] = [];
      for (const layer of this.encoder.layers as Iterable<nn.TransformerEncoderLayer>) {
        const a = layer.norm1.forward(h);
        const [, w] = layer.self_attn.forward(a, a, a, { isCausal: true, needWeights: true, averageAttnWeights: false });
        const T = x.shape[1];
        maps.push(Array.from({ length: this.sizes.nhead }, (_, i) => Float64Array.from(w!.data.subarray(i * T * T, (i + 1) * T * T))));
        h = layer.forward(h, { isCausal: true });
      }
      return maps;
    });
  }

  /** Generation over a sliding context of the last seqLen characters. */
  generator(): TextGenerator {
    let context: number[] = [];
    return {
      advance: (ids) => {
        this.eval();
        context = context.concat(Array.from(ids)).slice(-this.sizes.seqLen);
        const T = context.length;
        const logits = noGrad(() => this.forward(tensor(Int32Array.from(context), { shape: [1, T], dtype: 'int32' })));
        const V = this.vocabSize;
        return Float64Array.from(logits.data.subarray((T - 1) * V, T * V));
      },
    };
  }
}

/** lr factor at scheduler step s: linear warm-up over `warmup` steps, then cosine decay to 0 at `total`. */
export function warmupCosine(warmup: number, total: number): (step: number) => number {
  return (s) =>
    s < warmup ? (s + 1) / warmup : 0.5 * (1 + Math.cos((Math.PI * Math.min(s - warmup, total - warmup)) / Math.max(1, total - warmup)));
}

/** The model, AdamW, the warm-up + cosine schedule and the clipping, as the run and the parity test build them. */
export function buildTransformer(
  vocabSize: number,
  h: Hyper,
  batchesPerEpoch: number,
  opts: { rng: Rng; dtype?: FloatDType; sizes?: TransformerSizes },
): { model: CharTransformer; optimizer: Optimizer; scheduler: LRScheduler | null; clip: number | null; warmup: number; total: number } {
  const model = new CharTransformer(vocabSize, opts.sizes ?? TRANSFORMER_SIZES, opts);
  const optimizer = new AdamW(model.parameters(), { lr: h.lr, weightDecay: h.weightDecay });
  const total = Math.max(1, h.epochs * batchesPerEpoch);
  const warmup = Math.max(1, Math.round(WARMUP_FRACTION * total));
  const scheduler =
    (h.scheduler ?? 'cosine') === 'cosine'
      ? new LambdaLR(optimizer, warmupCosine(warmup, total))
      : (makeScheduler(h, optimizer, total) as LRScheduler | null);
  return { model, optimizer, scheduler, clip: h.clipGradNorm ?? null, warmup, total };
}

/** `tapegrad train --model transformer`: the FamilyRun. */
export function createTransformer(opts: FamilyOptions, ctx: FamilyContext): FamilyRun {
  if (opts.dataset !== 'text') throw new Error(`transformer: trains on --dataset text only, got '${opts.dataset}'`);
  const sizes = TRANSFORMER_SIZES;
  const text = textDataFor(opts, savedVocabulary(ctx.saved, 'transformer'));
  const initRng = ctx.rng('init');
  const batchRng = ctx.rng('batches');
  const V = text.vocab.length;
  const trainChars = ctx.saved === null ? text.data().train.length : Number(ctx.saved.trainCharacters ?? 0);
  const limitedChars = opts.limit !== null ? Math.min(trainChars, Math.max(sizes.seqLen + 2, opts.limit)) : trainChars;
  const batches = Math.max(1, Math.floor(limitedChars / (opts.batchSize * sizes.seqLen)));
  const parts = buildTransformer(V, { ...opts, optimizer: 'adamw' }, batches, { rng: initRng });
  const params = parts.model.parameters().reduce((n, p) => n + p.size, 0);
  const optimizerText = describeOptimizer({ ...opts, optimizer: 'adamw' });
  const schedule =
    (opts.scheduler ?? 'cosine') === 'cosine'
      ? optimizerText.replace(
          '(cosine decay, stepped every batch)',
          `(linear warm-up over ${parts.warmup} steps, then cosine decay; stepped every batch)`,
        )
      : optimizerText;
  const run = languageModelRun(
    opts,
    text.vocab,
    text.data,
    {
      ...parts,
      seqLen: sizes.seqLen,
      generator: () => parts.model.generator(),
      description:
        `character transformer: ${sizes.numLayers} causal pre-norm layers, d_model ${sizes.dModel}, ${sizes.nhead} heads, ` +
        `feed-forward ${sizes.dimFeedforward}, context ${sizes.seqLen}, vocabulary ${V} (${params} parameters); ` +
        schedule,
      extraSections: ({ vocab, prompt }) => [attentionSection(parts.model, vocab, prompt)],
    },
    batchRng,
  );
  const spec = run.spec;
  run.spec = () => ({ ...spec(), trainCharacters: trainChars });
  return run;
}

export const transformer: Family = {
  name: 'transformer',
  datasets: ['text'],
  defaults: transformerDefaults,
  create: createTransformer,
};

// ---- the report's attention maps ---------------------------------------------------------------

/** A character as an axis label: space, newline and tab made visible. */
function label(c: string): string {
  return c === ' ' ? '␣' : c === '\n' ? '↵' : c === '\t' ? '⇥' : c;
}

/** One head's weights [T, T] as an SVG heat map: queries down the side, keys along the top, white 0 to dark 1. */
export function heatMapSvg(w: ArrayLike<number>, chars: string[], title: string): string {
  const T = chars.length;
  const cell = 12;
  const margin = 16;
  const top = 30;
  const size = T * cell;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${margin + size + 4}" height="${top + margin + size + 4}" font-family="monospace" font-size="10">`,
  );
  parts.push(`<text x="${margin}" y="10">${escapeXml(title)}</text>`);
  for (let j = 0; j < T; j++) {
    parts.push(
      `<text x="${margin + j * cell + cell / 2}" y="${top + margin - 4}" text-anchor="middle">${escapeXml(label(chars[j]))}</text>`,
    );
  }
  for (let i = 0; i < T; i++) {
    const y = top + margin + i * cell;
    parts.push(`<text x="${margin - 3}" y="${y + cell - 2}" text-anchor="end">${escapeXml(label(chars[i]))}</text>`);
    for (let j = 0; j < T; j++) {
      const v = Math.max(0, Math.min(1, w[i * T + j]));
      const g = Math.round(255 * (1 - v));
      parts.push(
        `<rect x="${margin + j * cell}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${g},${g},255)"><title>${escapeXml(`${label(chars[i])} → ${label(chars[j])}: ${v.toFixed(3)}`)}</title></rect>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The report section: each layer's heads on the prompt. */
function attentionSection(model: CharTransformer, vocab: string[], prompt: string): ReportSection {
  const chars = Array.from(prompt).slice(0, model.sizes.seqLen);
  const ids = encodeText(chars.join(''), vocab, 'report: the prompt has');
  const maps = model.attentionMaps(tensor(ids, { shape: [1, ids.length], dtype: 'int32' }));
  const rows = maps.map(
    (heads, l) =>
      `<h3>layer ${l + 1}</h3><div class="heads">${heads.map((w, h) => heatMapSvg(w, chars, `layer ${l + 1}, head ${h + 1}`)).join(' ')}</div>`,
  );
  return {
    title: 'Attention maps',
    html:
      `<p>Where each character of the prompt “${escapeXml(prompt)}” looks (rows: the query character; columns: the characters it attends to, ` +
      `only earlier ones under the causal mask; darker is more weight; each row sums to 1).</p>` +
      rows.join(''),
  };
}
