/**
 * @file Layers exported whole: nn.Embedding as one ONNX Gather on its (int32) indices, and
 * nn.RNN / nn.LSTM / nn.GRU as ONNX's own RNN / LSTM / GRU operators, one per layer.
 *
 * Note [layers exported whole]: most layers are exported as the primitives their trace recorded
 * (ops.ts). Two kinds cannot be, and keep a model that takes other inputs than the sample:
 * - nn.Embedding's lookup is a flat-index gather whose indices were read from the sample's token
 *   values when it ran; the trace holds them as a constant, and the token tensor is not even an input
 *   of the recorded node. Exported whole, the lookup is Gather(weight, indices) on the graph's int32
 *   input.
 * - A recurrent layer's trace is unrolled over the sample's T steps with time and batch flattened into
 *   one axis ([T·B, I] rows, sliced B at a time), so it cannot take another batch size. ONNX's RNN,
 *   LSTM and GRU take any batch and any sequence length.
 * toOnnx watches module calls while it traces (nn/module.ts's call observer); for a call this file
 * accepts, every node recorded inside the call's scope is left out and the layer's outputs are written
 * by the emitter here. A recurrent call it cannot write whole (LSTM with projSize — ONNX's LSTM has no
 * projection — or a PackedSequence) is exported unrolled, which needs { dynamicBatch: false }.
 */
import type { ScopeFrame } from '../autograd/scope';
import type { AnyModule } from '../nn/module';
import { GRU, LSTM, RNN } from '../nn/recurrent';
import { Embedding } from '../nn/resample';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import type { Attribute, OnnxGraph } from './graph';

/** One module call seen while tracing: its scope frame, arguments and what it returned. */
export interface LayerCall {
  module: AnyModule;
  frame: ScopeFrame | null;
  args: readonly unknown[];
  out: unknown;
}

/** What a layer's emitter gets: the graph, a name for each output tensor, and the node name and doc. */
export interface LayerEmit {
  g: OnnxGraph;
  /** The value name for an output of the call (the model's output name when it is the model's output). */
  nameFor(t: Tensor): string;
  /** The module path (`rnn`), for node names. */
  name: string;
  dynamic: boolean;
}

export interface LayerExport {
  /** The call's output tensors (what the rest of the graph may read). */
  outputs: Tensor[];
  emit(e: LayerEmit): void;
}

/** A recurrent call exported as its recorded ops: `unrolled` is the error when its input is batched. */
export interface Unrolled {
  unrolled: string;
  input: Tensor;
}

/** Gate blocks of PyTorch's weight rows in ONNX's order: LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h. */
const GATE_ORDER = { LSTM: [0, 3, 1, 2], GRU: [1, 0, 2], RNN_TANH: [0], RNN_RELU: [0] } as const;

type Recurrent = RNN | LSTM | GRU;

/**
 * The whole-layer export of a call; null when the call is exported as its recorded ops; for a
 * recurrent call that cannot be written whole, the error to throw if its input carries a dynamic batch.
 */
export function layerExport(call: LayerCall): LayerExport | Unrolled | null {
  const m = call.module;
  if (m instanceof Embedding) {
    const [indices] = call.args;
    if (!(indices instanceof Tensor) || !(call.out instanceof Tensor)) return null;
    return { outputs: [call.out], emit: (e) => embeddingEmit(e, m, indices, call.out as Tensor) };
  }
  if (m instanceof RNN || m instanceof LSTM || m instanceof GRU) {
    const [x, state] = call.args;
    const isLstm = m instanceof LSTM;
    const why = !(x instanceof Tensor)
      ? 'its input is a PackedSequence'
      : m.projSize > 0
        ? `ONNX's LSTM has no projection (projSize ${m.projSize})`
        : null;
    if (why !== null) {
      const data = x instanceof Tensor ? x : (x as { data: Tensor }).data;
      return {
        input: data,
        unrolled:
          `toOnnx: ${m.constructor.name}${call.frame?.path ? ` '${call.frame.path}'` : ''} has no ONNX ${m.constructor.name} form (${why}); ` +
          `export with { dynamicBatch: false } to unroll it over the sample's steps (input ${fmt(data.shape)})`,
      };
    }
    const [out, hc] = call.out as [Tensor, Tensor | [Tensor, Tensor]];
    const [h0, c0] = isLstm
      ? ((state as [Tensor, Tensor] | null | undefined) ?? [null, null])
      : [(state as Tensor | null | undefined) ?? null, null];
    const [hN, cN] = isLstm ? (hc as [Tensor, Tensor]) : [hc as Tensor, null];
    return {
      outputs: cN === null ? [out, hN] : [out, hN, cN],
      emit: (e) => recurrentEmit(e, m, x as Tensor, h0, c0, { out, hN, cN }),
    };
  }
  return null;
}

function embeddingEmit(e: LayerEmit, m: Embedding, indices: Tensor, out: Tensor): void {
  // paddingIdx only keeps the padding row's gradient at zero: the lookup itself is a plain Gather.
  e.g.node('Gather', [e.g.value(m.weight), e.g.value(indices)], [e.nameFor(out)], { axis: 0 }, `${e.name}/Gather`, 'tapegrad nn.Embedding');
  e.g.markBatched(out, e.dynamic && e.g.isBatched(indices));
}

function recurrentEmit(
  e: LayerEmit,
  m: Recurrent,
  x: Tensor,
  h0: Tensor | null,
  c0: Tensor | null,
  outs: { out: Tensor; hN: Tensor; cN: Tensor | null },
): void {
  const { g } = e;
  const kind = m.constructor.name;
  const opType = m.mode === 'LSTM' ? 'LSTM' : m.mode === 'GRU' ? 'GRU' : 'RNN';
  const doc = `tapegrad nn.${kind}`;
  const H = m.hiddenSize;
  const L = m.numLayers;
  const D = m.numDirections;
  const unbatched = x.ndim === 2;
  let n = 0;
  const node = (op: string, ins: string[], attrs: Record<string, Attribute> = {}, out?: string): string => {
    const name = out ?? g.fresh(`${e.name}_${op.toLowerCase()}${++n}`);
    g.node(op, ins, [name], attrs, `${e.name}/${op}`, doc);
    return name;
  };
  const axes = (values: number[]) => g.int64s(`${e.name}_axes`, values);
  const self = m as unknown as Record<string, Tensor | undefined>;
  const rowsInOnnxOrder = g.int64s(
    `${e.name}_gate_rows`,
    GATE_ORDER[m.mode].flatMap((b) => Array.from({ length: H }, (_, j) => b * H + j)),
  );
  // [D, G, in] from each direction's PyTorch [G, in], gate blocks reordered.
  const stacked = (param: (suffix: string) => Tensor) => {
    const perDir = Array.from({ length: D }, (_, dir) => {
      const reordered = node('Gather', [g.value(param(dir === 1 ? '_reverse' : '')), rowsInOnnxOrder], { axis: 0 });
      return node('Unsqueeze', [reordered, axes([0])]);
    });
    return D === 1 ? perDir[0] : node('Concat', perDir, { axis: 0 });
  };
  // States [L·D, B, H] (unbatched [L·D, H]) as layer l's [D, B, H].
  const layerState = (s: Tensor | null, layer: number): string => {
    if (s === null) return '';
    const v = unbatched ? node('Unsqueeze', [g.value(s), axes([1])]) : g.value(s);
    return node('Slice', [v, g.int64s(`${e.name}_start`, [layer * D]), g.int64s(`${e.name}_end`, [(layer + 1) * D]), axes([0])]);
  };

  // ONNX's layout 0: X [T, B, I], Y [T, D, B, H], Y_h and Y_c [D, B, H].
  let input = unbatched
    ? node('Unsqueeze', [g.value(x), axes([1])])
    : m.batchFirst
      ? node('Transpose', [g.value(x)], { perm: [1, 0, 2] })
      : g.value(x);
  const hs: string[] = [];
  const cs: string[] = [];
  for (let layer = 0; layer < L; layer++) {
    const param = (what: string) => (suffix: string) => self[`${what}_l${layer}${suffix}`]!;
    const bias = m.bias ? node('Concat', [stacked(param('bias_ih')), stacked(param('bias_hh'))], { axis: 1 }) : '';
    const ins = [input, stacked(param('weight_ih')), stacked(param('weight_hh')), bias, '', layerState(h0, layer)];
    if (m.mode === 'LSTM') ins.push(layerState(c0, layer));
    while (ins[ins.length - 1] === '') ins.pop();
    const attrs: Record<string, Attribute> = { hidden_size: H, direction: D === 2 ? 'bidirectional' : 'forward' };
    if (m.mode === 'GRU') attrs.linear_before_reset = 1;
    if (m.mode === 'RNN_RELU') attrs.activations = { strings: new Array<string>(D).fill('Relu') };
    const y = g.fresh(`${e.name}_l${layer}_y`);
    const yh = g.fresh(`${e.name}_l${layer}_h`);
    const outputs = [y, yh];
    if (m.mode === 'LSTM') outputs.push(g.fresh(`${e.name}_l${layer}_c`));
    g.node(opType, ins, outputs, attrs, `${e.name}/${opType}_l${layer}`, doc);
    hs.push(yh);
    if (m.mode === 'LSTM') cs.push(outputs[2]);
    // [T, D, B, H] → [T, B, D·H], the next layer's input.
    input = node('Reshape', [node('Transpose', [y], { perm: [0, 2, 1, 3] }), g.int64s(`${e.name}_seq_shape`, [0, 0, -1])]);
  }
  if (unbatched) node('Squeeze', [input, axes([1])], {}, e.nameFor(outs.out));
  else if (m.batchFirst) node('Transpose', [input], { perm: [1, 0, 2] }, e.nameFor(outs.out));
  else node('Identity', [input], {}, e.nameFor(outs.out));
  const final = (parts: string[], t: Tensor) => {
    if (unbatched) node('Squeeze', [node('Concat', parts, { axis: 0 }), axes([1])], {}, e.nameFor(t));
    else node('Concat', parts, { axis: 0 }, e.nameFor(t));
  };
  final(hs, outs.hN);
  if (outs.cN !== null) final(cs, outs.cN);
  // The output's first axis is the input's (time, or the batch with batchFirst); the states' is L·D.
  g.markBatched(outs.out, e.dynamic && g.isBatched(x));
}
