/**
 * @file `rnn`, `lstm` and `gru` on `--dataset text`: character-level language models, an
 * embedding of each character, one recurrent layer (nn.RNN, nn.LSTM or nn.GRU, batch first) and
 * a linear read-out of the next character's logits, trained on random windows of the text with
 * Adam, a cosine schedule and gradient clipping (the shared machinery is text-lm.ts). The digits
 * side of these three families is src/train/families/recurrent-digits.ts; the registry picks by
 * dataset.
 */
import { noGrad } from '../../autograd/mode';
import * as nn from '../../nn';
import type { Rng } from '../../random/rng';
import { tensor } from '../../tensor/create';
import type { FloatDType } from '../../tensor/dtype';
import type { Tensor } from '../../tensor/tensor';
import type { Family, FamilyContext, FamilyOptions, FamilyRun } from '../family';
import type { Hyper } from '../options';
import { makeOptimizer, makeScheduler, describeOptimizer } from '../optimizers';
import type { LRScheduler } from '../../optim/lr-scheduler';
import { languageModelRun, savedVocabulary, textDataFor, TextGenerator } from './text-lm';

export type CharLmKind = 'rnn' | 'lstm' | 'gru';

/** The architecture of each kind on the text task (not options: Note [a family is rebuilt from its options]). */
export const CHAR_LM_SIZES: Record<CharLmKind, { embedDim: number; hiddenSize: number; seqLen: number }> = {
  rnn: { embedDim: 32, hiddenSize: 128, seqLen: 64 },
  lstm: { embedDim: 32, hiddenSize: 128, seqLen: 64 },
  gru: { embedDim: 32, hiddenSize: 128, seqLen: 64 },
};

/** The text task's hyper-parameters for each kind when the command line does not override them. */
export function charLmDefaults(kind: CharLmKind): Hyper {
  return {
    epochs: 5,
    batchSize: 32,
    // Note [a high learning rate for a short run]: the default run has about 265 steps, and at
    // Adam's usual 3e-3 an LSTM is still near the unigram loss after them (2.70 against 3.29 nats);
    // at 0.02, with the gradients clipped to norm 1, it reaches about 1.9 (measured with the
    // PyTorch mirror, examples/torch/char_lm.py). The plain RNN is steadier at 0.01.
    lr: kind === 'rnn' ? 0.01 : 0.02,
    momentum: 0.9,
    weightDecay: 0,
    cropPadding: 0,
    flipP: 0,
    optimizer: 'adam',
    scheduler: 'cosine',
    clipGradNorm: 1,
  };
}

type Recurrent = nn.RNN | nn.LSTM | nn.GRU;
type State = Tensor | [Tensor, Tensor] | null;

/** Embedding → RNN/LSTM/GRU (batch first) → Linear: ids [B, T] to logits [B, T, V]. State-dict keys embedding.*, rnn.*, head.*. */
export class CharRnn extends nn.Module {
  readonly embedding: nn.Embedding;
  readonly rnn: Recurrent;
  readonly head: nn.Linear;

  constructor(
    readonly kind: CharLmKind,
    readonly vocabSize: number,
    sizes: { embedDim: number; hiddenSize: number },
    opts: { rng: Rng; dtype?: FloatDType },
  ) {
    super();
    const { rng, dtype } = opts;
    this.embedding = new nn.Embedding(vocabSize, sizes.embedDim, { rng, dtype });
    const r = { batchFirst: true, rng, dtype };
    this.rnn =
      kind === 'lstm'
        ? new nn.LSTM(sizes.embedDim, sizes.hiddenSize, r)
        : kind === 'gru'
          ? new nn.GRU(sizes.embedDim, sizes.hiddenSize, r)
          : new nn.RNN(sizes.embedDim, sizes.hiddenSize, r);
    this.head = new nn.Linear(sizes.hiddenSize, vocabSize, { rng, dtype });
  }

  /** The logits and the state after the last step, from `state` (null: zeros). */
  run(x: Tensor, state: State): [Tensor, State] {
    const e = this.embedding.forward(x);
    const [h, next] =
      this.rnn instanceof nn.LSTM ? this.rnn.forward(e, state as [Tensor, Tensor] | null) : this.rnn.forward(e, state as Tensor | null);
    return [this.head.forward(h), next];
  }

  forward(x: Tensor): Tensor {
    return this.run(x, null)[0];
  }

  /** Generation that carries the recurrent state from one call to the next. */
  generator(): TextGenerator {
    let state: State = null;
    return {
      advance: (ids) => {
        this.eval();
        const [logits, next] = noGrad(() => this.run(tensor(ids, { shape: [1, ids.length], dtype: 'int32' }), state));
        state = next;
        const V = this.vocabSize;
        return Float64Array.from(logits.data.subarray((ids.length - 1) * V, ids.length * V));
      },
    };
  }
}

/** The model, optimiser and schedule of a char LM, as the CLI's run and the parity test build them. */
export function buildCharLm(
  kind: CharLmKind,
  vocabSize: number,
  h: Hyper,
  batchesPerEpoch: number,
  opts: { rng: Rng; dtype?: FloatDType },
): { model: CharRnn; optimizer: ReturnType<typeof makeOptimizer>; scheduler: LRScheduler | null; clip: number | null } {
  const model = new CharRnn(kind, vocabSize, CHAR_LM_SIZES[kind], opts);
  const optimizer = makeOptimizer(h, model.parameters());
  const scheduler = makeScheduler(h, optimizer, Math.max(1, h.epochs * batchesPerEpoch)) as LRScheduler | null;
  return { model, optimizer, scheduler, clip: h.clipGradNorm ?? null };
}

/** `tapegrad train --model rnn|lstm|gru --dataset text`: the FamilyRun. */
export function createCharLm(kind: CharLmKind, opts: FamilyOptions, ctx: FamilyContext): FamilyRun {
  const sizes = CHAR_LM_SIZES[kind];
  const text = textDataFor(opts, savedVocabulary(ctx.saved, kind));
  const initRng = ctx.rng('init');
  const batchRng = ctx.rng('batches');
  const V = text.vocab.length;
  // The schedule's length needs the batches per epoch, which needs the text; a rebuilt run that
  // only samples gets its scheduler state from the checkpoint, so its length does not matter then.
  const trainChars = ctx.saved === null ? text.data().train.length : Number(ctx.saved.trainCharacters ?? 0);
  const limitedChars = opts.limit !== null ? Math.min(trainChars, Math.max(sizes.seqLen + 2, opts.limit)) : trainChars;
  const batches = Math.max(1, Math.floor(limitedChars / (opts.batchSize * sizes.seqLen)));
  const parts = buildCharLm(kind, V, opts, batches, { rng: initRng });
  const name = { rnn: 'RNN (tanh)', lstm: 'LSTM', gru: 'GRU' }[kind];
  const params = parts.model.parameters().reduce((n, p) => n + p.size, 0);
  const run = languageModelRun(
    opts,
    text.vocab,
    text.data,
    {
      ...parts,
      seqLen: sizes.seqLen,
      generator: () => parts.model.generator(),
      description:
        `character ${name}: embedding ${V}→${sizes.embedDim}, ${name} hidden ${sizes.hiddenSize}, linear ${sizes.hiddenSize}→${V} ` +
        `(${params} parameters); ${describeOptimizer(opts)}`,
    },
    batchRng,
  );
  const spec = run.spec;
  run.spec = () => ({ ...spec(), trainCharacters: trainChars });
  return run;
}

/**
 * The Family of `rnn`, `lstm` or `gru` with the text task added: `--dataset text` trains the
 * char LM here, any other dataset goes to `digits` (the classifier of recurrent-digits.ts) when
 * given. With `digits` null the family trains on text only.
 */
export function charLmFamily(kind: CharLmKind, digits: Family | null = null): Family {
  const other = (dataset: string): Family => {
    if (digits === null) throw new Error(`${kind}: --dataset ${dataset} is not available; this build trains ${kind} on --dataset text`);
    return digits;
  };
  return {
    name: kind,
    datasets: digits ? [...digits.datasets, 'text'] : ['text'],
    defaults: (dataset) => (dataset === 'text' ? charLmDefaults(kind) : other(dataset).defaults(dataset)),
    create: (opts, ctx) => (opts.dataset === 'text' ? createCharLm(kind, opts, ctx) : other(opts.dataset).create(opts, ctx)),
  };
}
