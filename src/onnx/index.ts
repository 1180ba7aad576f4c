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
 */
// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import '../ops/tensor-methods';
import { onnx } from 'onnx-proto';
import { topoSort } from '../autograd/engine';
import { enableGrad } from '../autograd/mode';
import { sampleDependence } from '../autograd/sample-constants';
import { Module } from '../nn/module';
import { writeBytes } from '../platform/files';
import type { Storage } from '../tensor/dtype';
import { fmt } from '../tensor/shape';
import { Tensor } from '../tensor/tensor';
import { version } from '../version';
import { FLOAT, OnnxGraph } from './graph';
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

function valueInfo(name: string, shape: readonly number[], dynamic: boolean): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: { elemType: FLOAT, shape: { dim: shape.map((d, i) => (dynamic && i === 0 ? { dimParam: 'N' } : { dimValue: d })) } },
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
  const inputName = opts.inputName ?? 'input';
  const outputName = opts.outputName ?? 'output';
  const dynamic = opts.dynamicBatch ?? true;
  if (dynamic && sample.ndim === 0) throw new Error('toOnnx: a 0-d sample has no batch axis; pass { dynamicBatch: false }');

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
  const x = new Tensor(sample.data, sample.shape, true);
  let y: Tensor;
  try {
    y = enableGrad(() => (model instanceof Module ? model.forward(x) : model(x)));
  } finally {
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
  order.forEach((t, k) => {
    const node = t.node!;
    const last = k === order.length - 1;
    const base = `${node.scope ? `${node.scope.path}/` : ''}${node.op}`;
    for (const v of node.inputs) {
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
  if (dynamic && !graph.isBatched(y)) {
    throw new Error(`toOnnx: the output ${fmt(y.shape)} does not keep the input's batch axis; export with { dynamicBatch: false }`);
  }

  const proto = onnx.ModelProto.create({
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
      input: [valueInfo(inputName, sample.shape, dynamic)],
      output: [valueInfo(outputName, y.shape, dynamic)],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** Writes toOnnx's bytes to `path`. */
export function writeOnnx(path: string, model: Traceable, sample: Tensor, opts: OnnxOptions = {}): void {
  writeBytes(path, toOnnx(model, sample, opts));
}
