/**
 * @file Recurrent layers as PyTorch has them: the cells (`RNNCell`, `LSTMCell`, `GRUCell`) and the
 * multi-layer, optionally bidirectional sequence layers (`RNN`, `LSTM`, `GRU`), with PyTorch's
 * equations, gate order (i,f,g,o and r,z,n), parameter names and shapes (`weight_ih_l0`,
 * `weight_hh_l0_reverse`, `weight_hr_l0`, …) and default initialisation U(−1/√H, 1/√H). An LSTM
 * or GRU layer-direction is one primitive over all its steps (Note [sequence path]); otherwise every step is
 * a matmul for the hidden-to-hidden part and, for the LSTM and the GRU, one fused primitive for the
 * gate math (Note [fused recurrent cells] in src/ops/recurrent-cells.ts); the plain RNN's step is a
 * composition (matmul, add, tanh or relu). No backward code of its own.
 *
 * Note [hoisted input projection]: the input part of every gate, x_t @ W_ihᵀ + b_ih, does not depend on
 * the state, so it is computed for all time steps at once (one matmul over the whole sequence) and each
 * step slices its rows; only h @ W_hhᵀ runs per step. For the LSTM and the plain RNN b_hh is folded into
 * that hoisted term as well (it is added unchanged at every step): the projection's bias is b_ih + b_hh,
 * a [gates·H] sum, rather than a second [T·B, gates·H] add and, backward, a second sum over its rows
 * (a drawing of composed cells keeps the second add, as the gallery's `graph lstm` shows it); the GRU keeps b_hh with h @ W_hhᵀ,
 * because its n gate multiplies (W_hn h + b_hn) by r.
 *
 * Note [steps as sequences of batch sizes]: a padded batch [T, B, I] and a PackedSequence are run by one
 * loop: the input is the packed data [N, I] with `batchSizes[t]` rows at step t (all B for a padded
 * batch), sorted so that the sequences still running are the first rows. Going forward, the state
 * shrinks to the first batchSizes[t] rows and the rows that stop are kept as those sequences' final
 * states; going backward (the reverse direction) it grows, each sequence starting from its h0 row at its
 * own last step. So every sequence runs exactly to its own length and its final state is at that step.
 *
 * Note [step scopes]: each time step of the per-step loop runs inside its own scope
 * (src/autograd/scope.ts), one level below the layer's module scope, so `tg.viz.toDot(out, {collapse: 1})`
 * draws a GRU over 20 steps (or an LSTM with composed cells) as 20 step boxes rather than hundreds of op
 * nodes. An LSTM layer-direction run as one primitive (Note [sequence path]) is one `sequence` box.
 */
import { composite, currentScope, withScope } from '../autograd/scope';
import { defaultRng, Rng } from '../random/rng';
import { zeros } from '../tensor/create';
import { FloatDType, promoteTypes } from '../tensor/dtype';
import { fmt, sameShape } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { add, mul, relu, sigmoid, sub, tanh } from '../ops/elementwise';
import { dropout, linear } from '../ops/layers';
import { matmulTransposed } from '../ops/matmul';
import { gruCell, lstmCell } from '../ops/recurrent-cells';
import { concat, flip, reshape, slice, squeeze, stack, transpose, unsqueeze } from '../ops/shape';
import { gruSequence, lstmSequence } from '../ops/recurrent-sequence';
import { uniformParameter } from './init';
import { pyFloat, pyInt } from './repr';
import { Module, ModuleOptions } from './module';
import { PackedSequence } from './utils/rnn';
import { selectAlong } from './utils/select';

export type RecurrentMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
export type Nonlinearity = 'tanh' | 'relu';

/** Gates per hidden unit: W_ih is [gates·H, I]. */
const GATES: Record<RecurrentMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** One cell's (or one layer-direction's) weights. */
interface CellWeights {
  wih: Tensor;
  whh: Tensor;
  bih: Tensor | null;
  bhh: Tensor | null;
  /** LSTM projection [projSize, H], or null. */
  whr: Tensor | null;
}

/** Columns [a, b) of a 2-D tensor. */
const cols = (x: Tensor, a: number, b: number): Tensor => slice(x, [0, a], [x.shape[0], b]);
/** Rows [a, b) of a tensor. */
const rows = (x: Tensor, a: number, b: number): Tensor => slice(x, [a], [b]);

/** The state-independent part of every gate for all rows of x [N, I] (Note [hoisted input projection]). */
function inputProjection(mode: RecurrentMode, x: Tensor, w: CellWeights): Tensor {
  if (mode === 'GRU' || w.bhh === null) return linear(x, w.wih, w.bih);
  // The drawing of composed cells (Note [composed cells for drawing]) keeps b_hh as its own add.
  if (composedCells > 0) return add(linear(x, w.wih, w.bih), w.bhh);
  return linear(x, w.wih, add(w.bih!, w.bhh));
}

/**
 * Note [composed cells for drawing]: the LSTM and GRU steps run their gate math as one fused primitive
 * (Note [fused recurrent cells]), drawn as one `lstmCell`/`gruCell` node. A drawing that teaches the
 * equations — the gallery's `graph lstm`, whose expanded view names every gate i_t, f_t, g_t, o_t and
 * the products they make — runs the cells inside `withComposedCells`, which gives the same values and
 * gradients through the composition of slices, sigmoid/tanh, mul and add the fused primitive stands for.
 */
let composedCells = 0;

/** Runs fn with the LSTM and GRU steps written as compositions of primitives (Note [composed cells for drawing]). */
export function withComposedCells<T>(fn: () => T): T {
  composedCells++;
  try {
    return fn();
  } finally {
    composedCells--;
  }
}

/**
 * One step of the cell: `gi` is the hoisted input part [B, gates·H] (biases folded in as
 * inputProjection does), h [B, Hr] and, for the LSTM, c [B, H]. Returns the new state.
 */
function cellStep(mode: RecurrentMode, gi: Tensor, h: Tensor, c: Tensor | null, w: CellWeights): { h: Tensor; c: Tensor | null } {
  switch (mode) {
    case 'RNN_TANH':
      return { h: tanh(add(gi, matmulTransposed(h, w.whh))), c: null };
    case 'RNN_RELU':
      return { h: relu(add(gi, matmulTransposed(h, w.whh))), c: null };
    case 'LSTM': {
      if (composedCells > 0) return composedStep(mode, gi, h, c, w);
      const H = w.whh.shape[0] / 4;
      const y = lstmCell(add(gi, matmulTransposed(h, w.whh)), c!);
      const h2 = cols(y, 0, H);
      return { h: w.whr !== null ? matmulTransposed(h2, w.whr) : h2, c: cols(y, H, 2 * H) };
    }
    case 'GRU':
      if (composedCells > 0) return composedStep(mode, gi, h, c, w);
      return { h: gruCell(gi, linear(h, w.whh, w.bhh), h), c: null };
  }
}

/** cellStep's LSTM and GRU as compositions of primitives (Note [composed cells for drawing]). */
function composedStep(mode: 'LSTM' | 'GRU', gi: Tensor, h: Tensor, c: Tensor | null, w: CellWeights): { h: Tensor; c: Tensor | null } {
  switch (mode) {
    case 'LSTM': {
      const H = w.whh.shape[0] / 4;
      const gates = add(gi, matmulTransposed(h, w.whh));
      const i = sigmoid(cols(gates, 0, H));
      const f = sigmoid(cols(gates, H, 2 * H));
      const g = tanh(cols(gates, 2 * H, 3 * H));
      const o = sigmoid(cols(gates, 3 * H, 4 * H));
      const c2 = add(mul(f, c!), mul(i, g));
      const h2 = mul(o, tanh(c2));
      return { h: w.whr !== null ? matmulTransposed(h2, w.whr) : h2, c: c2 };
    }
    case 'GRU': {
      const H = w.whh.shape[0] / 3;
      const gh = linear(h, w.whh, w.bhh);
      const rz = sigmoid(add(cols(gi, 0, 2 * H), cols(gh, 0, 2 * H)));
      const r = cols(rz, 0, H);
      const z = cols(rz, H, 2 * H);
      const n = tanh(add(cols(gi, 2 * H, 3 * H), mul(r, cols(gh, 2 * H, 3 * H))));
      // (1 - z) * n + z * h, written with one fewer op.
      return { h: add(n, mul(z, sub(h, n))), c: null };
    }
  }
}

/**
 * Note [step rows]: step t reads rows offsets[t] .. offsets[t+1] of the hoisted projection. Slicing
 * each step's rows out of the whole [N, G] tensor would make the backward quadratic in the number of
 * steps (each slice's gradient is padded back to [N, G], and T of them are summed); halving the rows
 * recursively instead gives the same T pieces through log2 T levels of slices, so the backward pads
 * and sums O(N·G·log T) values. The tree runs in a scope of its own, drawn as one box.
 */
function stepRows(gi: Tensor, offsets: readonly number[]): Tensor[] {
  const T = offsets.length;
  const out = new Array<Tensor>(T);
  // `x` holds the rows of steps lo .. hi-1; its first row is step lo's first.
  const split = (x: Tensor, lo: number, hi: number): void => {
    if (hi - lo === 1) {
      out[lo] = x;
      return;
    }
    const mid = (lo + hi) >> 1;
    const cut = offsets[mid] - offsets[lo];
    split(rows(x, 0, cut), lo, mid);
    split(rows(x, cut, x.shape[0]), mid, hi);
  };
  split(gi, 0, T);
  return out;
}

/**
 * Note [sequence path]: an LSTM layer-direction runs as one `lstmSequence` primitive (Note [LSTM
 * sequence primitive] in src/ops/recurrent-sequence.ts) for a padded or unbatched input without a
 * projection, and a GRU layer-direction as one `gruSequence` for a padded or unbatched input: every other option (layers, bidirectional, batchFirst, dropout between layers, h0/c0
 * given or not) only changes what it is given. The reverse direction runs the primitive on the steps
 * flipped in time and flips its outputs back. Two configurations keep the per-step loop: projSize
 * (the projection h W_hrᵀ sits inside the recurrence, which the primitive does not have) and a
 * PackedSequence (the state shrinks and grows between steps: Note [steps as sequences of batch
 * sizes]; one whose sequences all have one length too, because the ONNX export writes packed calls
 * unrolled, Note [layers exported whole], and the primitive has no ONNX emitter of its own); so does
 * a drawing under withComposedCells.
 */
function lstmDirection(gi: Tensor, w: CellWeights, start: State, T: number, B: number, reverse: boolean): { out: Tensor; final: State } {
  const H = w.whh.shape[1];
  let gx = reshape(gi, [T, B, 4 * H]);
  if (reverse) gx = flip(gx, [0]);
  const y = lstmSequence(gx, w.whh, start.h, start.c!);
  let hs = slice(y, [0], [T]);
  if (reverse) hs = flip(hs, [0]);
  return {
    out: reshape(hs, [T * B, H]),
    final: { h: reshape(slice(y, [T - 1], [T]), [B, H]), c: reshape(slice(y, [T], [T + 1]), [B, H]) },
  };
}

/** Note [sequence path] for the GRU: b_hh stays with the recurrence (zeros without biases). */
function gruDirection(gi: Tensor, w: CellWeights, start: State, T: number, B: number, reverse: boolean): { out: Tensor; final: State } {
  const H = w.whh.shape[1];
  let gx = reshape(gi, [T, B, 3 * H]);
  if (reverse) gx = flip(gx, [0]);
  const bhh = w.bhh ?? zeros([3 * H], { dtype: w.whh.dtype });
  const y = gruSequence(gx, w.whh, bhh, start.h);
  const final = reshape(slice(y, [T - 1], [T]), [B, H]);
  return { out: reshape(reverse ? flip(y, [0]) : y, [T * B, H]), final: { h: final, c: null } };
}

/** PyTorch's default: every weight and bias U(−1/√H, 1/√H), drawn in parameter order. */
function recurrentParameter(shape: number[], hiddenSize: number, opts: { rng?: Rng; dtype?: FloatDType }): Tensor {
  return uniformParameter(shape, hiddenSize > 0 ? 1 / Math.sqrt(hiddenSize) : 0, opts);
}

function checkSize(layer: string, what: string, n: number, min = 0): void {
  if (!Number.isInteger(n) || n < min) throw new Error(`${layer}: ${what} must be an integer >= ${min}, got ${n}`);
}

// ---- the sequence layers ------------------------------------------------------------------------

export interface RNNBaseOptions extends ModuleOptions {
  /** Stacked layers; default 1. */
  numLayers?: number;
  /** Default true: b_ih and b_hh. */
  bias?: boolean;
  /** Input and output [B, T, feature] instead of [T, B, feature] (the states stay [L·D, B, H]). */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, while training. */
  dropout?: number;
  bidirectional?: boolean;
}

export interface RNNOptions extends RNNBaseOptions {
  nonlinearity?: Nonlinearity;
}

export interface LSTMOptions extends RNNBaseOptions {
  /** LSTM with projections: h = (o ⊙ tanh c) @ W_hrᵀ of size projSize; 0 (default) for none. */
  projSize?: number;
}

/** The input as the loop runs it (Note [steps as sequences of batch sizes]). */
interface Steps {
  /** [N, I]: the rows of step t are offsets[t] .. offsets[t] + batchSizes[t]. */
  data: Tensor;
  batchSizes: number[];
  offsets: number[];
  /** A padded (or unbatched) input, every step the whole batch: not a PackedSequence. */
  padded: boolean;
}

function stepsOf(batchSizes: number[], data: Tensor, padded: boolean): Steps {
  const offsets: number[] = [];
  let at = 0;
  for (const b of batchSizes) {
    offsets.push(at);
    at += b;
  }
  return { data, batchSizes, offsets, padded };
}

/**
 * The state a layer runs from and ends in: h, and c for the LSTM. In the sorted row order of the
 * packed batch while running.
 */
interface State {
  h: Tensor;
  c: Tensor | null;
}

abstract class RNNBase<HX> extends Module<Tensor | PackedSequence, [Tensor | PackedSequence, HX]> {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  private readonly rng: Rng | undefined;

  constructor(
    readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: RNNBaseOptions & { projSize?: number },
  ) {
    super();
    const name = this.constructor.name;
    checkSize(name, 'inputSize', inputSize);
    checkSize(name, 'hiddenSize', hiddenSize, 1);
    this.numLayers = opts.numLayers ?? 1;
    checkSize(name, 'numLayers', this.numLayers, 1);
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1)) throw new Error(`${name}: dropout must be in [0,1], got ${this.dropout}`);
    this.bidirectional = opts.bidirectional ?? false;
    this.projSize = opts.projSize ?? 0;
    checkSize(name, 'projSize', this.projSize);
    if (this.projSize >= hiddenSize && this.projSize > 0) {
      throw new Error(`${name}: projSize ${this.projSize} must be smaller than hiddenSize ${hiddenSize}`);
    }
    this.rng = opts.rng;
    const g = opts.rng ?? defaultRng();
    const init = { rng: g, dtype: opts.dtype };
    const gates = GATES[mode] * hiddenSize;
    const realHidden = this.projSize > 0 ? this.projSize : hiddenSize;
    const self = this as unknown as Record<string, Tensor>;
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let dir = 0; dir < this.numDirections; dir++) {
        const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? inputSize : realHidden * this.numDirections;
        self[`weight_ih${suffix}`] = recurrentParameter([gates, layerInput], hiddenSize, init);
        self[`weight_hh${suffix}`] = recurrentParameter([gates, realHidden], hiddenSize, init);
        if (this.bias) {
          self[`bias_ih${suffix}`] = recurrentParameter([gates], hiddenSize, init);
          self[`bias_hh${suffix}`] = recurrentParameter([gates], hiddenSize, init);
        }
        if (this.projSize > 0) self[`weight_hr${suffix}`] = recurrentParameter([this.projSize, hiddenSize], hiddenSize, init);
      }
    }
  }

  /** PyTorch's extra_repr: the sizes, then each option that differs from its default. */
  override extraRepr(): string {
    const parts = [pyInt(this.inputSize), pyInt(this.hiddenSize)];
    if (this.projSize !== 0) parts.push(`proj_size=${pyInt(this.projSize)}`);
    if (this.numLayers !== 1) parts.push(`num_layers=${pyInt(this.numLayers)}`);
    if (!this.bias) parts.push('bias=False');
    if (this.batchFirst) parts.push('batch_first=True');
    if (this.dropout !== 0) parts.push(`dropout=${pyFloat(this.dropout)}`);
    if (this.bidirectional) parts.push('bidirectional=True');
    return parts.join(', ');
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  private weights(layer: number, dir: number): CellWeights {
    const self = this as unknown as Record<string, Tensor | undefined>;
    const suffix = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
    return {
      wih: self[`weight_ih${suffix}`]!,
      whh: self[`weight_hh${suffix}`]!,
      bih: self[`bias_ih${suffix}`] ?? null,
      bhh: self[`bias_hh${suffix}`] ?? null,
      whr: self[`weight_hr${suffix}`] ?? null,
    };
  }

  /**
   * Runs the stack on x: a padded [T, B, I] ([B, T, I] with batchFirst), an unbatched [T, I], or a
   * PackedSequence; `h0`/`c0` are [L·D, B, Hr] / [L·D, B, H] ([L·D, Hr] unbatched), zeros when omitted.
   */
  protected run(x: Tensor | PackedSequence, h0: Tensor | null, c0: Tensor | null): [Tensor | PackedSequence, Tensor, Tensor | null] {
    const name = this.constructor.name;
    const L = this.numLayers;
    const D = this.numDirections;
    const H = this.hiddenSize;
    const Hr = this.projSize > 0 ? this.projSize : H;
    const isLstm = this.mode === 'LSTM';
    const packed = x instanceof PackedSequence;
    const data = packed ? x.data : x;
    const shapes = `(input ${fmt(data.shape)})`;

    let steps: Steps;
    let batch: number;
    let unbatched = false;
    let timeSteps: number;
    if (x instanceof PackedSequence) {
      if (x.data.ndim !== 2) throw new Error(`${name}: packed data must be 2-d [N, inputSize], got ${fmt(x.data.shape)}`);
      const batchSizes = Array.from(x.batchSizes.data, Number);
      steps = stepsOf(batchSizes, x.data, false);
      batch = batchSizes[0];
      timeSteps = batchSizes.length;
    } else {
      if (x.ndim !== 2 && x.ndim !== 3) {
        throw new Error(`${name}: expected input of 2 (unbatched) or 3 dimensions, got ${fmt(x.shape)}`);
      }
      unbatched = x.ndim === 2;
      const seq = unbatched ? unsqueeze(x, 1) : this.batchFirst ? transpose(x, [1, 0, 2]) : x;
      [timeSteps, batch] = seq.shape;
      steps = stepsOf(new Array<number>(timeSteps).fill(batch), reshape(seq, [timeSteps * batch, seq.shape[2]]), true);
    }
    const inFeatures = data.shape[data.ndim - 1];
    if (inFeatures !== this.inputSize) {
      throw new Error(`${name}: input size ${inFeatures} does not match inputSize ${this.inputSize} ${shapes}`);
    }
    if (timeSteps === 0) throw new Error(`${name}: input has no time steps ${shapes}`);

    // The initial states, checked, batched and put in the packed batch's sorted row order.
    const dtype = promoteTypes(data.dtype, this.weights(0, 0).wih.dtype);
    const initial = (given: Tensor | null, what: string, size: number): Tensor[] => {
      const expected = unbatched ? [L * D, size] : [L * D, batch, size];
      if (given === null) return Array.from({ length: L * D }, () => zeros([batch, size], { dtype }));
      if (!sameShape(given.shape, expected)) {
        throw new Error(`${name}: expected ${what} of shape ${fmt(expected)}, got ${fmt(given.shape)} ${shapes}`);
      }
      let s = unbatched ? unsqueeze(given, 1) : given;
      if (x instanceof PackedSequence && x.sortedIndices !== null) s = selectAlong(s, 1, Array.from(x.sortedIndices.data, Number));
      return Array.from({ length: L * D }, (_, k) => reshape(rows(s, k, k + 1), [batch, size]));
    };
    const hs = initial(h0, isLstm ? 'h0' : 'hx', Hr);
    const cs = isLstm ? initial(c0, 'c0', H) : null;

    const scope = currentScope();
    const base = scope?.path ?? '';
    const kind = `${name} step`;
    const hN: Tensor[] = [];
    const cN: Tensor[] = [];
    let input = steps.data;
    for (let layer = 0; layer < L; layer++) {
      if (layer > 0 && this.dropout > 0 && this.training) input = dropout(input, this.dropout, { rng: this.rng });
      const outs: Tensor[] = [];
      for (let dir = 0; dir < D; dir++) {
        const k = layer * D + dir;
        const label = `${base === '' ? '' : `${base}.`}l${layer}${dir === 1 ? '_reverse' : ''}`;
        const r = this.direction(steps, input, this.weights(layer, dir), { h: hs[k], c: cs ? cs[k] : null }, dir === 1, (t, fn) =>
          t === 'rows'
            ? withScope(`${label}.rows`, `${name} rows`, fn)
            : t === 'sequence'
              ? withScope(`${label}.seq`, `${name} sequence`, fn)
              : withScope(`${label}.t${t}`, kind, fn),
        );
        outs.push(r.out);
        hN.push(r.final.h);
        if (r.final.c) cN.push(r.final.c);
      }
      input = outs.length === 1 ? outs[0] : concat(outs, 1);
    }

    const unsort = (t: Tensor) =>
      x instanceof PackedSequence && x.unsortedIndices !== null ? selectAlong(t, 1, Array.from(x.unsortedIndices.data, Number)) : t;
    const finish = (states: Tensor[]) => {
      const s = unsort(stack(states, 0));
      return unbatched ? squeeze(s, 1) : s;
    };
    const hOut = finish(hN);
    const cOut = isLstm ? finish(cN) : null;
    if (x instanceof PackedSequence) return [new PackedSequence(input, x.batchSizes, x.sortedIndices, x.unsortedIndices), hOut, cOut];
    let out = reshape(input, [timeSteps, batch, D * Hr]);
    if (unbatched) out = squeeze(out, 1);
    else if (this.batchFirst) out = transpose(out, [1, 0, 2]);
    return [out, hOut, cOut];
  }

  /** One layer in one direction over every step (Note [steps as sequences of batch sizes]). */
  private direction(
    steps: Steps,
    input: Tensor,
    w: CellWeights,
    start: State,
    reverse: boolean,
    inScope: <T>(t: number | 'rows' | 'sequence', fn: () => T) => T,
  ): { out: Tensor; final: State } {
    const { batchSizes, offsets } = steps;
    const T = batchSizes.length;
    const gi = inputProjection(this.mode, input, w);
    if (this.mode === 'LSTM' && w.whr === null && composedCells === 0 && steps.padded) {
      return inScope('sequence', () => lstmDirection(gi, w, start, T, batchSizes[0], reverse));
    }
    if (this.mode === 'GRU' && composedCells === 0 && steps.padded) {
      return inScope('sequence', () => gruDirection(gi, w, start, T, batchSizes[0], reverse));
    }
    const perStep = inScope('rows', () => stepRows(gi, offsets));
    const outs: Tensor[] = new Array(T);
    const step = (t: number, s: State): State =>
      inScope(t, () => {
        const next = cellStep(this.mode, perStep[t], s.h, s.c, w);
        outs[t] = next.h;
        return next;
      });
    let s: State;
    if (!reverse) {
      s = start;
      const stopped: State[] = [];
      for (let t = 0; t < T; t++) {
        const b = batchSizes[t];
        if (b < s.h.shape[0]) {
          // Sequences b.. end before step t: their state now is their final state.
          stopped.push({ h: rows(s.h, b, s.h.shape[0]), c: s.c && rows(s.c, b, s.c.shape[0]) });
          s = { h: rows(s.h, 0, b), c: s.c && rows(s.c, 0, b) };
        }
        s = step(t, s);
      }
      if (stopped.length > 0) {
        const parts = [s, ...stopped.reverse()];
        s = { h: concat(parts.map((p) => p.h)), c: s.c && concat(parts.map((p) => p.c!)) };
      }
    } else {
      // Each sequence starts at its own last step, from its own row of the initial state.
      const b0 = batchSizes[T - 1];
      s = { h: rows(start.h, 0, b0), c: start.c && rows(start.c, 0, b0) };
      for (let t = T - 1; t >= 0; t--) {
        const b = batchSizes[t];
        const have = s.h.shape[0];
        if (b > have) s = { h: concat([s.h, rows(start.h, have, b)]), c: s.c && concat([s.c, rows(start.c!, have, b)]) };
        s = step(t, s);
      }
    }
    return { out: T === 1 ? outs[0] : concat(outs), final: s };
  }
}

/** Elman RNN: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu), stacked and optionally bidirectional. */
export class RNN extends RNNBase<Tensor> {
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    const nonlinearity = opts.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
      throw new Error(`RNN: unknown nonlinearity '${String(nonlinearity)}' (use 'tanh' or 'relu')`);
    }
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts);
    this.nonlinearity = nonlinearity;
  }

  forward(x: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(x: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(x: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor];
  forward(x: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const [out, h] = this.run(x, hx, null);
    return [out, h];
  }
}

/** Long short-term memory: gates i, f, g, o; optional projections (projSize). */
export class LSTM extends RNNBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, opts: LSTMOptions = {}) {
    super('LSTM', inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, state?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(x: PackedSequence, state?: [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  forward(x: Tensor | PackedSequence, state?: [Tensor, Tensor] | null): [Tensor | PackedSequence, [Tensor, Tensor]];
  forward(x: Tensor | PackedSequence, state: [Tensor, Tensor] | null = null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (state !== null && (!Array.isArray(state) || state.length !== 2)) {
      throw new Error('LSTM: the initial state must be a pair [h0, c0]');
    }
    const [out, h, c] = this.run(x, state ? state[0] : null, state ? state[1] : null);
    return [out, [h, c!]];
  }
}

/** Gated recurrent unit: gates r, z, n, with n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)). */
export class GRU extends RNNBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('GRU', inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(x: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(x: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor];
  forward(x: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    const [out, h] = this.run(x, hx, null);
    return [out, h];
  }
}

// ---- the cells ----------------------------------------------------------------------------------

export interface RNNCellOptions extends ModuleOptions {
  bias?: boolean;
}

abstract class CellBase<S> extends Module<Tensor, S> {
  readonly weight_ih: Tensor;
  readonly weight_hh: Tensor;
  readonly bias_ih: Tensor | null;
  readonly bias_hh: Tensor | null;

  constructor(
    protected readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: RNNCellOptions,
  ) {
    super();
    const name = this.constructor.name;
    checkSize(name, 'inputSize', inputSize);
    checkSize(name, 'hiddenSize', hiddenSize, 1);
    const init = { rng: opts.rng ?? defaultRng(), dtype: opts.dtype };
    const gates = GATES[mode] * hiddenSize;
    this.weight_ih = recurrentParameter([gates, inputSize], hiddenSize, init);
    this.weight_hh = recurrentParameter([gates, hiddenSize], hiddenSize, init);
    const bias = opts.bias ?? true;
    this.bias_ih = bias ? recurrentParameter([gates], hiddenSize, init) : null;
    this.bias_hh = bias ? recurrentParameter([gates], hiddenSize, init) : null;
  }

  override extraRepr(): string {
    const parts = [pyInt(this.inputSize), pyInt(this.hiddenSize)];
    if (this.bias_ih === null) parts.push('bias=False');
    if (this.mode === 'RNN_RELU') parts.push('nonlinearity=relu');
    return parts.join(', ');
  }

  /** x as [B, I] (unbatched [I] gets a batch of one), checked. */
  protected batched(x: Tensor): { x2: Tensor; unbatched: boolean } {
    const name = this.constructor.name;
    if (x.ndim !== 1 && x.ndim !== 2) throw new Error(`${name}: expected input of 1 (unbatched) or 2 dimensions, got ${fmt(x.shape)}`);
    const features = x.shape[x.ndim - 1];
    if (features !== this.inputSize) {
      throw new Error(`${name}: input size ${features} does not match inputSize ${this.inputSize} (input ${fmt(x.shape)})`);
    }
    return { x2: x.ndim === 1 ? unsqueeze(x, 0) : x, unbatched: x.ndim === 1 };
  }

  /** A state of [B, H] ([H] unbatched), checked; zeros when omitted. */
  protected stateOf(s: Tensor | null | undefined, what: string, x: Tensor, x2: Tensor, unbatched: boolean): Tensor {
    const expected = unbatched ? [this.hiddenSize] : [x2.shape[0], this.hiddenSize];
    if (s === null || s === undefined) return zeros([x2.shape[0], this.hiddenSize], { dtype: promoteTypes(x.dtype, this.weight_ih.dtype) });
    if (!sameShape(s.shape, expected)) {
      throw new Error(`${this.constructor.name}: expected ${what} of shape ${fmt(expected)}, got ${fmt(s.shape)} (input ${fmt(x.shape)})`);
    }
    return unbatched ? unsqueeze(s, 0) : s;
  }

  protected step(x2: Tensor, h: Tensor, c: Tensor | null): State {
    const w: CellWeights = { wih: this.weight_ih, whh: this.weight_hh, bih: this.bias_ih, bhh: this.bias_hh, whr: null };
    // One step drawn as one node, `lstmCell` (Note [composite scopes] in src/autograd/scope.ts).
    const name = this.mode === 'LSTM' ? 'lstmCell' : this.mode === 'GRU' ? 'gruCell' : 'rnnCell';
    const args = [x2, h, c, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh];
    return composite(name, this.mode === 'RNN_RELU' ? 'relu' : '', args, () =>
      cellStep(this.mode, inputProjection(this.mode, x2, w), h, c, w),
    );
  }
}

/** One step of the Elman RNN: forward(x [B,I] | [I], h? ) -> h'. */
export class RNNCell extends CellBase<Tensor> {
  readonly nonlinearity: Nonlinearity;

  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions & { nonlinearity?: Nonlinearity } = {}) {
    const nonlinearity = opts.nonlinearity ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
      throw new Error(`RNNCell: unknown nonlinearity '${String(nonlinearity)}' (use 'tanh' or 'relu')`);
    }
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, opts);
    this.nonlinearity = nonlinearity;
  }

  forward(x: Tensor, hx: Tensor | null = null): Tensor {
    const { x2, unbatched } = this.batched(x);
    const { h } = this.step(x2, this.stateOf(hx, 'hx', x, x2, unbatched), null);
    return unbatched ? squeeze(h, 0) : h;
  }
}

/** One LSTM step: forward(x, [h, c]?) -> [h', c']. */
export class LSTMCell extends CellBase<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    super('LSTM', inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, state: [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    if (state !== null && (!Array.isArray(state) || state.length !== 2)) throw new Error('LSTMCell: the state must be a pair [h, c]');
    const { x2, unbatched } = this.batched(x);
    const h = this.stateOf(state?.[0], 'h', x, x2, unbatched);
    const c = this.stateOf(state?.[1], 'c', x, x2, unbatched);
    const next = this.step(x2, h, c);
    return unbatched ? [squeeze(next.h, 0), squeeze(next.c!, 0)] : [next.h, next.c!];
  }
}

/** One GRU step: forward(x, h?) -> h'. */
export class GRUCell extends CellBase<Tensor> {
  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    super('GRU', inputSize, hiddenSize, opts);
  }

  forward(x: Tensor, hx: Tensor | null = null): Tensor {
    const { x2, unbatched } = this.batched(x);
    const { h } = this.step(x2, this.stateOf(hx, 'hx', x, x2, unbatched), null);
    return unbatched ? squeeze(h, 0) : h;
  }
}
