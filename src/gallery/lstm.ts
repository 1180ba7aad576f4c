/**
 * @file The gallery's LSTM (`tapegrad graph lstm`, tg.viz.namedGraph('lstm')): an `nn.LSTMCell`
 * unrolled over a short sequence by a loop, as a user writes it, with a loss on the last hidden state
 * so every tensor has a gradient. Drawn two ways:
 *
 * - folded (the default): one box per time step — each call of the cell (Note [boxes of repeated
 *   calls] in src/viz/dot.ts) — labelled with its number and the norm of the gradient flowing back
 *   into it, ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖, so vanishing or exploding gradients through time can be read
 *   off the row of boxes; between them x_t, h_t and c_t with their values and gradients;
 * - expanded: every step drawn out as the cell's ops in a frame, the gates named as the equations
 *   name them (i, f, g, o; Note [gate names]), values and gradients on every node — the tutorial's
 *   way of drawing a computation. The cell runs its composed form for this (Note [composed cells for
 *   drawing]): nn.LSTMCell's fused gate math would be one node. With `steps: 1` it is one cell: x_1, h_0, c_0 → gates → c_1, h_1.
 *
 * Everything random is seeded: every build gives the same graph, values and gradients.
 */
import { backward } from '../autograd';
import type { ScopeFrame } from '../autograd/scope';
import { LSTMCell } from '../nn';
import { withComposedCells } from '../nn/recurrent';
import { mseLoss } from '../ops/loss';
import { slice } from '../ops/shape';
import { rng } from '../random/rng';
import { tensor } from '../tensor/create';
import type { Tensor } from '../tensor/tensor';
import type { DotOptions } from '../viz/dot';
import { traceBackward } from '../viz/trace';
import { viewGraph } from '../viz/view';

export interface LstmGraphOptions {
  /** Time steps T (1 to 32). Default 6. */
  steps?: number;
  /** Hidden size H (1 to 16). Default 2. */
  hidden?: number;
  /** Draw every step's ops, gates named, instead of one box per step. Default false. */
  expand?: boolean;
}

/** The input size of the example: two features per step. */
export const LSTM_INPUT_SIZE = 2;
export const LSTM_DEFAULT_STEPS = 6;
export const LSTM_DEFAULT_HIDDEN = 2;
const MAX_STEPS = 32;
const MAX_HIDDEN = 16;

export interface LstmGraph {
  roots: Tensor[];
  options: DotOptions;
  /** The sequence x [T, 2], its target y, the cell, the states h_0 … h_T and c_0 … c_T, and the loss, for checking the drawing. */
  x: Tensor;
  y: Tensor;
  cell: LSTMCell;
  h: Tensor[];
  c: Tensor[];
  loss: Tensor;
}

function checkSize(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`namedGraph: lstm ${what} must be an integer from 1 to ${max}, got ${v}`);
}

/**
 * Note [gate names]: inside a call of the cell, the gates are the activations of the four column
 * blocks of the pre-activations (PyTorch's order i, f, g, o: sigmoid, sigmoid, tanh, sigmoid); the
 * drawing names them from the block each one reads (its slice's column start / H), with the step, as
 * `i_t`, `f_t`, `g_t`, `o_t`, and the tensor they are sliced from `gates_t`. Found from the recorded
 * graph — a call is known by the scope frame its h_t was made in — so the drawing shows exactly what
 * nn.LSTMCell computed; nothing in the cell is changed to draw it.
 */
function nameGates(loss: Tensor, hidden: number, stepOf: Map<ScopeFrame, number>): void {
  const gateNames = ['i', 'f', 'g', 'o'];
  for (const { producer, tensor: t } of viewGraph([loss]).tensors) {
    if (producer === null || (producer.op !== 'sigmoid' && producer.op !== 'tanh')) continue;
    const from = producer.inputs[0].producer;
    const step = producer.scope === null ? undefined : stepOf.get(producer.scope);
    if (from === null || from.op !== 'slice' || step === undefined) continue;
    const start = /^0:\d+,(\d+):/.exec(from.attrs);
    if (start === null) continue;
    t.name = `${gateNames[Number(start[1]) / hidden]}_${step}`;
    from.inputs[0].tensor.name = `gates_${step}`;
  }
  // Then what the gates make: f_t⊙c_{t-1}, i_t⊙g_t and tanh(c_t), in the order they were made.
  for (const { producer, tensor: t } of viewGraph([loss]).tensors) {
    if (producer === null || t.name !== undefined || producer.scope === null || !stepOf.has(producer.scope)) continue;
    const [a, b] = producer.inputs.map((v) => v.tensor.name);
    if (producer.op === 'mul' && a !== undefined && b !== undefined) t.name = `${a}⊙${b}`;
    if (producer.op === 'tanh' && a !== undefined) t.name = `tanh(${a})`;
  }
}

/** The LSTM example: T steps of an LSTMCell(2, H) from seeded weights, inputs and initial state; L = mse(h_T, y). */
export function lstmGraph(opts: LstmGraphOptions = {}): LstmGraph {
  const T = opts.steps ?? LSTM_DEFAULT_STEPS;
  const H = opts.hidden ?? LSTM_DEFAULT_HIDDEN;
  checkSize('steps', T, MAX_STEPS);
  checkSize('hidden size', H, MAX_HIDDEN);
  const expand = opts.expand ?? false;
  const I = LSTM_INPUT_SIZE;
  const r = rng('tapegrad-lstm');
  const cell = new LSTMCell(I, H, { rng: r });
  // Drawn with their state-dict names (weight_ih, weight_hh, bias_ih, bias_hh).
  const values = (n: number, scale: number) => Array.from({ length: n }, () => Number((scale * r.normal()).toFixed(2)));
  const x = tensor(values(T * I, 1), { shape: [T, I], name: 'x' });
  const h = [tensor(values(H, 0.5), { shape: [1, H], requiresGrad: true, name: 'h_0' })];
  const c = [tensor(values(H, 0.5), { shape: [1, H], requiresGrad: true, name: 'c_0' })];
  const y = tensor(values(H, 0.5), { shape: [1, H], name: 'y' });
  // The cell's equations drawn op by op, both ways (Note [composed cells for drawing] in src/nn/recurrent.ts).
  withComposedCells(() => {
    for (let t = 1; t <= T; t++) {
      const xt = slice(x, [t - 1, 0], [t, I]);
      xt.name = `x_${t}`;
      const [ht, ct] = cell.forward(xt, [h[t - 1], c[t - 1]]);
      ht.name = `h_${t}`;
      ct.name = `c_${t}`;
      h.push(ht);
      c.push(ct);
    }
  });
  const loss = mseLoss(h[T], y);
  loss.name = 'L';
  // Every drawn tensor keeps its gradient (shown beside its value); the pass is traced for the graph page.
  for (const v of viewGraph([loss]).tensors) if (v.producer !== null) v.tensor.retainGrad();
  traceBackward(() => backward(loss));
  if (expand) {
    const stepOf = new Map<ScopeFrame, number>();
    h.forEach((ht, t) => {
      if (ht.node?.scope) stepOf.set(ht.node.scope, t);
    });
    nameGates(loss, H, stepOf);
  }
  const title = expand
    ? `LSTMCell(${I}, ${H}) unrolled over ${T} step${T === 1 ? '' : 's'}, every gate drawn; L = mseLoss(h_${T}, y)`
    : `LSTMCell(${I}, ${H}) unrolled over ${T} step${T === 1 ? '' : 's'}, one box per step with ‖∂L/∂h_t‖; L = mseLoss(h_${T}, y)`;
  // Drawn out, a step is a long chain of wide rows of numbers: top to bottom keeps it on a page.
  const options: DotOptions = {
    title,
    values: true,
    grads: true,
    gradNorms: true,
    ...(expand ? { rankdir: 'TB', expand: true } : { collapse: 0 }),
  };
  return { roots: [loss], options, x, y, cell, h, c, loss };
}
