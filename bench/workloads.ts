/**
 * @file The benchmark workloads W1–W10 and E1: what each one computes and how much work one step is,
 * so every engine is measured on the same definition and reported in the same unit. W1–W10 are single
 * steps timed in the engine's process (W8–W10 are whole training steps of sequence and generative
 * models: an LSTM language model, a convolutional autoencoder, a small decoder-only transformer);
 * E1 is one whole training epoch of the CLI's Fashion-MNIST recipe, and E2 one epoch of the
 * character LSTM on the text tapegrad ships, each run as the user runs it and timed by the job
 * itself (training only, as the job reports it) against its PyTorch mirror doing the same.
 */

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6' | 'W7' | 'W8' | 'W9' | 'W10' | 'E1' | 'E2';

export interface Workload {
  id: WorkloadId;
  title: string;
  unit: 'GFLOP/s' | 'images/s' | 'tokens/s' | 'op/s';
  /** Work done by one step, in the unit's numerator (flops, images, ops). */
  work: number;
  /** The target for tapegrad, in `unit` (0: none). */
  target: number;
  /**
   * The issue's target as a ratio of PyTorch's speed on the same machine and run (issue 29's for W3,
   * W8–W10 and E1: against the faster configuration of the PyTorch it names, 2.13).
   */
  vsPytorch?: number;
}

export interface Conv2dShape {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  fh: number;
  fw: number;
  stride: number;
  padding: number;
  bias: boolean;
}

export const W1: Conv2dShape = { n: 32, c: 16, h: 32, w: 32, k: 32, fh: 3, fw: 3, stride: 1, padding: 1, bias: true };
export const W2: Conv2dShape = { n: 64, c: 3, h: 32, w: 32, k: 16, fh: 5, fw: 5, stride: 2, padding: 2, bias: false };
export const W3 = { m: 256, k: 512, n: 256 };
export const W4 = { batch: 64, size: 28, classes: 10, lr: 0.01 };
export const W5 = { length: 2000 };
export const W6 = { samples: 100_000, taps: 101 };
/** The CLI's Fashion-MNIST recipe (src/train/options.ts DEFAULTS): LeNet-5 with batch norm, SGD with momentum. */
export const W7 = { batch: 32, size: 28, classes: 10, lr: 0.05, momentum: 0.9, weightDecay: 5e-4 };
/**
 * A character-level LSTM language model's training step: tokens [steps, batch] (time first, PyTorch's
 * default layout) → Embedding(vocab, embed) → 1-layer LSTM(embed, hidden) → Linear(hidden, vocab) →
 * cross-entropy against the next tokens over all steps·batch positions → backward → Adam (lr 1e-3).
 */
export const W8 = { steps: 35, batch: 32, vocab: 96, embed: 64, hidden: 256, lr: 1e-3 };
/**
 * A convolutional autoencoder's training step on [batch, 1, 28, 28] images in [0, 1]: Conv2d(1→c1, 3,
 * stride 2, padding 1) → ReLU (14×14) → Conv2d(c1→c2, same) → ReLU (7×7) → ConvTranspose2d(c2→c1, 3,
 * stride 2, padding 1, outputPadding 1) → ReLU (14×14) → ConvTranspose2d(c1→1, same) (28×28) → sigmoid
 * → binary cross-entropy against the input → backward → Adam (lr 1e-3).
 */
export const W9 = { batch: 64, size: 28, c1: 16, c2: 32, lr: 1e-3 };
/**
 * A small decoder-only (GPT-style) transformer's training step: tokens [batch, context] → token
 * Embedding(vocab, dModel) + a learned position embedding [context, dModel] → `layers` pre-norm
 * TransformerEncoderLayers (dModel, heads, feed-forward 4·dModel, GELU, no dropout, batch first) under
 * a causal mask → final LayerNorm → Linear(dModel, vocab) → cross-entropy against the next tokens →
 * backward → AdamW (lr 3e-4, weight decay 0.01).
 */
export const W10 = { batch: 16, context: 64, vocab: 96, dModel: 128, heads: 4, layers: 4, ff: 512, lr: 3e-4, weightDecay: 0.01 };
/** Fashion-MNIST's training set: one epoch is this many images. */
export const E1 = { images: 60_000 };
/**
 * E2: `tapegrad train --model lstm --dataset text --epochs 1` against examples/torch/char_lm.py: the
 * shipped text (data/tapegrad-tutorial.txt, whose length both sides check), 10% held out, and as many
 * batches of 32 random windows of 64 characters as fit in the rest.
 */
export const E2 = { textCharacters: 122_491, batch: 32, seqLen: 64 };
const e2Batches = Math.floor((E2.textCharacters - Math.round(E2.textCharacters * 0.1)) / (E2.batch * E2.seqLen));

export function convOut(size: number, f: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - f) / stride) + 1;
}

/** Forward counts 2·MACs; forward + backward (input, weight and bias gradients) counts 3× that. */
function conv2dFlops(s: Conv2dShape): number {
  const ho = convOut(s.h, s.fh, s.stride, s.padding);
  const wo = convOut(s.w, s.fw, s.stride, s.padding);
  return 3 * 2 * s.n * s.k * ho * wo * s.c * s.fh * s.fw;
}

export const WORKLOADS: Workload[] = [
  { id: 'W1', title: 'conv2d [32,16,32,32]*[32,16,3,3]+b s1 p1', unit: 'GFLOP/s', work: conv2dFlops(W1), target: 30, vsPytorch: 0.4 },
  { id: 'W2', title: 'conv2d [64,3,32,32]*[16,3,5,5] s2 p2', unit: 'GFLOP/s', work: conv2dFlops(W2), target: 0, vsPytorch: 0.4 },
  { id: 'W3', title: 'matmul [256,512]@[512,256]', unit: 'GFLOP/s', work: 3 * 2 * W3.m * W3.k * W3.n, target: 40, vsPytorch: 0.5 },
  { id: 'W4', title: 'LeNet-5 train step, batch 64, 28×28', unit: 'images/s', work: W4.batch, target: 3000, vsPytorch: 0.5 },
  { id: 'W5', title: '2000-op chain on [1] (add/mul/tanh)', unit: 'op/s', work: W5.length, target: 500_000 },
  {
    id: 'W6',
    title: '1-D valid conv, 100 000 samples, 101 taps',
    unit: 'GFLOP/s',
    work: 3 * 2 * (W6.samples - W6.taps + 1) * W6.taps,
    target: 7,
  },
  {
    id: 'W7',
    title: 'LeNet-5 + batch norm train step (SGD momentum), batch 32',
    unit: 'images/s',
    work: W7.batch,
    target: 0,
    vsPytorch: 1.0,
  },
  {
    id: 'W8',
    title: `LSTM LM train step (embed ${W8.embed}, hidden ${W8.hidden}, ${W8.steps} steps × batch ${W8.batch}, Adam)`,
    unit: 'tokens/s',
    work: W8.steps * W8.batch,
    target: 0,
    vsPytorch: 1.0,
  },
  {
    id: 'W9',
    title: `conv autoencoder train step (2 conv s2 down, 2 conv-transpose up, BCE), batch ${W9.batch}, 28×28`,
    unit: 'images/s',
    work: W9.batch,
    target: 0,
    vsPytorch: 0.8,
  },
  {
    id: 'W10',
    title: `decoder-only transformer train step (${W10.layers} layers, d ${W10.dModel}, ${W10.heads} heads, context ${W10.context} × batch ${W10.batch}, AdamW)`,
    unit: 'tokens/s',
    work: W10.context * W10.batch,
    target: 0,
    vsPytorch: 0.8,
  },
  { id: 'E1', title: 'Fashion-MNIST epoch, the CLI recipe end to end', unit: 'images/s', work: E1.images, target: 0, vsPytorch: 1.2 },
  {
    id: 'E2',
    title: `character LSTM epoch on the shipped text (train --model lstm --dataset text), end to end`,
    unit: 'tokens/s',
    work: e2Batches * E2.batch * E2.seqLen,
    target: 0,
  },
];

/** The W5 chain cycles through these three ops; add and mul take a constant operand. */
export const CHAIN_OPS = ['add', 'mul', 'tanh'] as const;
export const CHAIN_ADD = 0.1;
export const CHAIN_MUL = 0.9;

/** A deterministic fill for benchmark inputs (engines must not depend on each other's generators). */
export function fillRandom<T extends Float32Array | Float64Array>(out: T, seed: number): T {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export function randomArray(size: number, seed: number): Float32Array {
  return fillRandom(new Float32Array(size), seed);
}

export function randomLabels(n: number, classes: number, seed: number): Int32Array {
  const x = randomArray(n, seed);
  return Int32Array.from(x, (v) => Math.min(classes - 1, Math.floor(((v + 1) / 2) * classes)));
}
