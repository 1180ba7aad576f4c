/**
 * @file tg.onnx (SPEC §12): a model or function traced in eval mode on a sample, written as an ONNX
 * model (opset 17) that onnxruntime runs and Netron draws. The protobuf is written by onnx-proto
 * (protobufjs code generated from onnx.proto), not by hand.
 *
 * The trace: the sample and every parameter become leaves that record (their values untouched),
 * the function runs once in eval mode, and the recorded nodes — topologically sorted — are mapped
 * op by op (ops.ts). Parameters and buffers become initializers named as in the state dict
 * (`0.weight`); other constants become initializers too; node names are the module path and the op
 * (`features.0/conv2d`), each with a doc string naming the tapegrad op and its attributes.
 * nn.Embedding and the recurrent layers are written whole instead (Note [layers exported whole] in
 * layers.ts), so a model may take int32 token ids (an ONNX INT32 input) and keep a dynamic batch.
 */
// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import '../ops/tensor-methods';
import { onnx } from 'onnx-proto';
import { topoSort } from '../autograd/engine';
import { enableGrad } from '../autograd/mode';
import { sampleDependence } from '../autograd/sample-constants';
import { currentScope, ScopeFrame } from '../autograd/scope';
import { Module, setModuleCallObserver } from '../nn/module';
import { writeBytes } from '../platform/files';
import type { Storage } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { version } from '../version';
import { FLOAT, INT32, OnnxGraph } from './graph';
import { LayerCall, LayerExport, layerExport, Unrolled } from './layers';
import { emit } from './ops';

export interface OnnxOptions {
  /** The ONNX opset the operators follow; 17 (the default) or later. */
  opset?: number;
  inputName?: string;
  outputName?: string;
  /** The first axis of the input and output is the batch, of any size (default true). */
  dynamicBatch?: boolean;
  /** Key–value pairs stored as the model's metadata_props (Netron shows them). */
  metadata?: Record<string, string>;
}

type Traceable = Module | ((x: Tensor) => Tensor);

const OPSET = 17;
/** ONNX IR version 8 goes with opsets 17–18. */
const IR_VERSION = 8;

function valueInfo(name: string, shape: readonly number[], dynamic: boolean, elemType = FLOAT): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: { elemType, shape: { dim: shape.map((d, i) => (dynamic && i === 0 ? { dimParam: 'N' } : { dimValue: d })) } },
    },
  };
}

/** The model as ONNX bytes, traced in eval mode on `sample` (SPEC §12). */
export function toOnnx(model: Traceable, sample: Tensor, opts: OnnxOptions = {}): Uint8Array {
  const opset = opts.opset ?? OPSET;
  if (!Number.isInteger(opset) || opset < OPSET) throw new Error(`toOnnx: opset must be an integer ≥ ${OPSET}, got ${opset}`);
  if (!(sample instanceof Tensor)) throw new Error('toOnnx: the sample must be a Tensor');
  if (typeof model !== 'function' && !(model instanceof Module))
    throw new Error('toOnnx: expected an nn.Module or a function of one tensor');
  if (sample.dtype === 'bool') throw new Error(`toOnnx: the sample must be a float or int32 tensor, got bool ${fmt(sample.shape)}`);
  const dynamic = opts.dynamicBatch ?? true;
  if (dynamic && sample.ndim === 0) throw new Error('toOnnx: a 0-d sample has no batch axis; pass { dynamicBatch: false }');
  const proto = build(model, sample, opts, opset, dynamic);
  // Note [samples traced twice]. A second trace that throws (a value check on the permuted sample) proves nothing either way.
  let again: onnx.ModelProto | null = null;
  try {
    again = build(model, permuted(sample), opts, opset, dynamic);
  } catch {
    again = null;
  }
  if (again !== null) checkSampleFree(proto, again, sample);
  return onnx.ModelProto.encode(proto).finish();
}

/**
 * Note [samples traced twice]: the trace records what depends on the input through graph nodes; a
 * value an op computes from the input's values outside the graph reaches the file as a constant, and
 * the model then answers the sample for every input. Some ops mark theirs (amax's tie mask: sample-
 * constants.ts); others cannot be told from a true constant: a mask made from the input by a
 * comparison (bool results make no nodes), maskedSelect's positions, and for an int32 input (token
 * ids, which cannot record at all: Note [dtypes]) any integer op on the ids before their nn.Embedding
 * or tg.embedding called as a function. So the model is traced a second time on the sample's values
 * permuted (the same values, so ids stay valid), and both graphs must be identical, constants
 * included; a difference throws, naming the constant and the node that reads it.
 */
function permuted(sample: Tensor): Tensor {
  const data = sample.data.slice();
  data.reverse();
  // A rotation as well, so a palindromic sample still changes where it can.
  if (data.length > 1) {
    const first = data[0];
    data.copyWithin(0, 1);
    data[data.length - 1] = first;
  }
  return new Tensor(data, sample.shape);
}

function sameValues(a: ArrayLike<unknown> | null | undefined, b: ArrayLike<unknown> | null | undefined): boolean {
  const n = a?.length ?? 0;
  if (n !== (b?.length ?? 0)) return false;
  for (let i = 0; i < n; i++)
    if (Number(a![i]) !== Number(b![i]) && !(Number.isNaN(Number(a![i])) && Number.isNaN(Number(b![i])))) return false;
  return true;
}

function checkSampleFree(a: onnx.ModelProto, b: onnx.ModelProto, sample: Tensor): void {
  const ga = a.graph!;
  const gb = b.graph!;
  const initB = new Map((gb.initializer ?? []).map((t) => [t.name, t]));
  const what =
    sample.dtype === 'int32' ? `the int32 input's values (input ${fmt(sample.shape)})` : `the input's values (sample ${fmt(sample.shape)})`;
  const changed = (t: onnx.ITensorProto) => {
    const u = initB.get(t.name);
    return (
      u === undefined ||
      !sameValues(t.dims, u.dims) ||
      t.dataType !== u.dataType ||
      !sameValues(t.floatData, u.floatData) ||
      !sameValues(t.int32Data, u.int32Data) ||
      !sameValues(t.int64Data, u.int64Data)
    );
  };
  for (const t of ga.initializer ?? []) {
    if (!changed(t)) continue;
    const reader = (ga.node ?? []).find((n) => n.input?.includes(t.name!));
    throw new Error(
      `toOnnx: the constant '${t.name}'${reader ? ` read by ${reader.name} (${reader.docString})` : ''} changes with ${what}: it is ` +
        `computed from the sample outside the graph (a mask or positions taken from the input, integer ops on token ids, ` +
        `tg.embedding called as a function) or drawn at random; exported as a constant, the model would give the sample's answer for every input` +
        (sample.dtype === 'int32' ? '; feed token ids to nn.Embedding directly' : ''),
    );
  }
  const nodesB = gb.node ?? [];
  (ga.node ?? []).forEach((n, i) => {
    if (JSON.stringify(n) !== JSON.stringify(nodesB[i])) {
      throw new Error(`toOnnx: the graph traced on the sample changes with ${what} (at node ${n.name}); it cannot be exported`);
    }
  });
  if (nodesB.length !== (ga.node ?? []).length)
    throw new Error(`toOnnx: the graph traced on the sample changes with ${what}; it cannot be exported`);
}

/** One trace of the model on `sample`, as an ONNX model. */
function build(model: Traceable, sample: Tensor, opts: OnnxOptions, opset: number, dynamic: boolean): onnx.ModelProto {
  const inputName = opts.inputName ?? 'input';
  const outputName = opts.outputName ?? 'output';
  const tokens = sample.dtype === 'int32';

  // Parameters record so the graph reaches them; their module names label the initializers.
  const named = new Map<Storage, string>();
  const restore: [Tensor, boolean][] = [];
  let wasTraining: boolean | null = null;
  if (model instanceof Module) {
    for (const [name, p] of model.namedParameters()) {
      named.set(p.data, name);
      restore.push([p, p.requiresGrad]);
      p.requiresGrad = true;
    }
    for (const [name, b] of model.namedBuffers()) named.set(b.data, name);
    wasTraining = model.training;
    model.eval();
  }
  // An int32 input cannot require grad; it reaches the graph through nn.Embedding (Note [layers exported whole]).
  const x = new Tensor(sample.data, sample.shape, !tokens);
  // Every module call, so that layers exported whole (layers.ts) can be found by their scope frames.
  const calls: LayerCall[] = [];
  const before = setModuleCallObserver({
    enter: (module, args) => {
      const call: LayerCall = { module, frame: currentScope(), args, out: undefined };
      calls.push(call);
      return call;
    },
    exit: (call: LayerCall, out) => {
      call.out = out;
    },
  });
  let y: Tensor;
  try {
    y = enableGrad(() => (model instanceof Module ? model.forward(x) : model(x)));
  } finally {
    setModuleCallObserver(before);
    for (const [p, r] of restore) p.requiresGrad = r;
    if (model instanceof Module && wasTraining) model.train();
  }
  if (!(y instanceof Tensor)) throw new Error('toOnnx: the model must return a Tensor');
  if (y === x) throw new Error('toOnnx: the model returns its input unchanged; there is nothing to export');

  // A constant is named after the parameter or buffer whose storage it views (a reshaped running mean).
  const graph = new OnnxGraph((t) => named.get(t.data));
  graph.input(x, inputName);
  const order = topoSort([y]).filter((t) => t.node !== null);
  if (order.length === 0) throw new Error(`toOnnx: the output ${fmt(y.shape)} does not depend on the input`);

  // The calls exported whole, by scope frame; a node in one's frame is written by it (layers.ts).
  const whole = new Map<ScopeFrame, { layer: LayerExport; emitted: boolean }>();
  const unrolled = new Map<ScopeFrame, Unrolled>();
  for (const call of calls) {
    if (call.frame === null) continue;
    const layer = layerExport(call);
    if (layer === null) continue;
    if ('unrolled' in layer) unrolled.set(call.frame, layer);
    else whole.set(call.frame, { layer, emitted: false });
  }
  const wholeOf = (t: Tensor) => {
    for (let f = t.node!.scope; f !== null; f = f.parent) {
      const w = whole.get(f);
      if (w !== undefined) return { ...w, frame: f };
      const u = unrolled.get(f);
      // An unrolled recurrent layer flattens time and batch into one axis (Note [layers exported whole]).
      if (u !== undefined && dynamic && graph.isBatched(u.input)) throw new Error(u.unrolled);
    }
    return undefined;
  };
  let readsInput = false;
  order.forEach((t, k) => {
    const node = t.node!;
    const last = k === order.length - 1;
    const base = `${node.scope ? `${node.scope.path}/` : ''}${node.op}`;
    const inLayer = wholeOf(t);
    if (inLayer !== undefined) {
      const entry = whole.get(inLayer.frame)!;
      if (!entry.emitted && inLayer.layer.outputs.includes(t)) {
        entry.emitted = true;
        const path = inLayer.frame.path === '' ? inLayer.frame.kind : inLayer.frame.path;
        readsInput ||= calls.some((c) => c.frame === inLayer.frame && c.args.includes(x));
        inLayer.layer.emit({
          g: graph,
          nameFor: (o) => graph.output(o, o === y ? outputName : `${path}_out`),
          name: path,
          dynamic,
        });
      }
      return;
    }
    for (const v of node.inputs) {
      if (v === x) readsInput = true;
      const what = v.node === null ? sampleDependence(v) : undefined;
      if (what !== undefined)
        throw new Error(
          `toOnnx: ${what} in ${base} is computed from the traced sample outside the graph; exported as a constant, ` +
            `the model would give the sample's answer for every input (amax, amin and norm with p = ±inf cannot be exported)`,
        );
    }
    const described = node.describe();
    const inputs = node.inputs.map((v) => graph.value(v));
    emit({
      g: graph,
      node,
      ins: node.inputs,
      inputs,
      out: t,
      outName: graph.output(t, last ? outputName : `${base}_out`),
      name: base,
      doc: `tapegrad ${node.op}${described ? ` ${described}` : ''}${node.scope ? ` in ${node.scope.path} (${node.scope.kind})` : ''}`,
      dynamic,
    });
  });
  if (order[order.length - 1] !== y) throw new Error('toOnnx: internal error: the output is not the last node');
  if (tokens && !readsInput) {
    throw new Error(
      `toOnnx: the output ${fmt(y.shape)} does not read the int32 input ${fmt(sample.shape)} through the graph; ` +
        `token ids are exported through nn.Embedding (not tg.embedding called as a function, nor integer ops on them)`,
    );
  }
  if (dynamic && !graph.isBatched(y)) {
    throw new Error(`toOnnx: the output ${fmt(y.shape)} does not keep the input's batch axis; export with { dynamicBatch: false }`);
  }

  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'tapegrad',
    producerVersion: version,
    docString: `Exported by tapegrad ${version} from ${model instanceof Module ? `a ${model.constructor.name}` : 'a function'} traced in eval mode on a sample ${fmt(sample.shape)}.`,
    opsetImport: [{ domain: '', version: opset }],
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: model instanceof Module ? model.constructor.name : 'tapegrad',
      node: graph.nodes,
      initializer: graph.initializers,
      input: [valueInfo(inputName, sample.shape, dynamic, tokens ? INT32 : FLOAT)],
      output: [valueInfo(outputName, y.shape, dynamic)],
    },
  });
}

/** Writes toOnnx's bytes to `path`. */
export function writeOnnx(path: string, model: Traceable, sample: Tensor, opts: OnnxOptions = {}): void {
  writeBytes(path, toOnnx(model, sample, opts));
}
