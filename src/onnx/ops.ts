/**
 * @file Each tapegrad primitive as standard ONNX operators (opset 17), side by side with which of its
 * values carry the dynamic batch (Note [dynamic batch] in graph.ts). Compositions (linear, batchNorm
 * in eval mode with running statistics, softmax, conv1d, the signal convolutions) need no entry: they are exported as the
 * primitives they are made of. Every primitive has an entry; backward-only primitives and the
 * expanded scalar graphs have one that throws, saying why.
 */
import type { Node } from '../autograd/node';
import type { PrimitiveName } from '../ops/names';
import { causalMask } from '../ops/attention';
import { Tensor } from '../tensor/tensor';
import { FLOAT } from './graph';
import type { Attribute, OnnxGraph } from './graph';

export interface Emit {
  g: OnnxGraph;
  node: Node;
  /** The node's input tensors and their value names. */
  ins: readonly Tensor[];
  inputs: string[];
  out: Tensor;
  outName: string;
  /** The ONNX node's name (the module path and the op) and its doc string (the tapegrad op). */
  name: string;
  doc: string;
  /** Whether the batch axis is dynamic. */
  dynamic: boolean;
}

type Emitter = (e: Emit) => void;

/** Ends past any real size: ONNX clamps them to the axis length. */
const TO_END = 2 ** 31 - 1;

function simple(opType: string, attrs: (e: Emit) => Record<string, Attribute> = () => ({})): Emitter {
  return (e) => {
    e.g.node(opType, e.inputs, [e.outName], attrs(e), e.name, e.doc);
    e.g.markBatched(
      e.out,
      e.ins.some((x) => e.g.isBatched(x)),
    );
  };
}

/**
 * A unary op as a chain of ONNX nodes, each step [opType, ...operands] where 'x' is the previous
 * value, 'one' the constant 1 and a number a float constant; a step without operands takes 'x'.
 * The last step writes the op's output unless `toOutput` is false (then its value name is returned).
 */
function chain(e: Emit, steps: [string, ...(string | number)[]][], toOutput = true): string {
  let x = e.inputs[0];
  steps.forEach(([opType, ...operands], k) => {
    const last = toOutput && k === steps.length - 1;
    const out = last ? e.outName : e.g.fresh(`${e.name}_${opType.toLowerCase()}${k}`);
    const ins = (operands.length === 0 ? ['x'] : operands).map((o) =>
      o === 'x' ? x : o === 'one' ? e.g.scalar(`${e.name}_one`, 1) : e.g.scalar(`${e.name}_c`, o as number),
    );
    e.g.node(opType, ins, [out], {}, `${e.name}/${opType}`, e.doc);
    x = out;
  });
  if (toOutput) e.g.markBatched(e.out, e.g.isBatched(e.ins[0]));
  return x;
}

function notBatchPreserving(e: Emit, why: string): never {
  throw new Error(
    `toOnnx: ${e.node.op} (${why}) moves the batch axis, so the model cannot take other batch sizes; ` +
      `export with { dynamicBatch: false } (node ${e.name})`,
  );
}

const spatial = (a: { stride: number[]; padding: number[]; dilation?: number[] }) => ({
  strides: [...a.stride],
  pads: [a.padding[0], a.padding[1], a.padding[0], a.padding[1]],
  ...(a.dilation ? { dilations: [...a.dilation] } : {}),
});

/**
 * An op without an ONNX form: exporting a graph that holds it throws, naming the op, where it sits
 * and why. Every primitive has an entry (the table `satisfies` Record<PrimitiveName, Emitter>), so a
 * new primitive without an ONNX decision does not compile.
 */
function noMapping(why: string): Emitter {
  return (e) => {
    const where = e.node.scope ? ` in module '${e.node.scope.path}' (${e.node.scope.kind})` : '';
    throw new Error(`toOnnx: the tapegrad op '${e.node.op}'${where} has no ONNX mapping (${why})`);
  };
}

const BACKWARD_ONLY = noMapping('it runs only in backward passes: export the forward model');
const EXPANDED = noMapping('expanded graphs are for drawing: export the fused op');

/** A node of `opType` on `ins` into a fresh value (or the op's output when `out` is given); returns the value name. */
function step(e: Emit, opType: string, ins: string[], attrs: Record<string, Attribute> = {}, out?: string): string {
  const name = out ?? e.g.fresh(`${e.name}_${opType.toLowerCase()}`);
  e.g.node(opType, ins, [name], attrs, `${e.name}/${opType}`, e.doc);
  return name;
}

/** A [B, parts·width] value split into its column blocks of `width` (ONNX Split along axis 1). */
function splitColumns(e: Emit, x: string, parts: number, width: number): string[] {
  const outs = Array.from({ length: parts }, (_, k) => e.g.fresh(`${e.name}_block${k}`));
  const sizes = e.g.int64s(`${e.name}_split`, new Array<number>(parts).fill(width));
  e.g.node('Split', [x, sizes], outs, { axis: 1 }, `${e.name}/Split`, e.doc);
  return outs;
}

const EMITTERS = {
  add: simple('Add'),
  sub: simple('Sub'),
  mul: simple('Mul'),
  div: simple('Div'),
  pow: simple('Pow'),
  maximum: simple('Max'),
  minimum: simple('Min'),
  neg: simple('Neg'),
  exp: simple('Exp'),
  log: simple('Log'),
  sqrt: simple('Sqrt'),
  abs: simple('Abs'),
  relu: simple('Relu'),
  tanh: simple('Tanh'),
  sigmoid: simple('Sigmoid'),
  // float64 models are exported in float32 (ONNX runtimes lack float64 convolutions): a cast is the identity.
  cast: simple('Identity'),
  clone: simple('Identity'),

  // SPEC §14 (src/ops/compare.ts, math.ts, scan.ts, stats.ts). Compositions where ONNX has no operator.
  where: simple('Where'),
  cumprod: noMapping('ONNX has no cumulative product'),
  // atan2(y, x) = atan(y/x), plus π (y ≥ 0) or −π (y < 0) where x < 0, as Math.atan2 — signed zeros
  // included: "negative" means below zero or −0 (1/v < 0), and at the origin the result is y (x ≥ +0)
  // or ±π (x = −0), where atan(0/0) would be NaN.
  atan2(e) {
    const [y, x] = e.inputs;
    const zero = e.g.scalar(`${e.name}_zero`, 0);
    const one = e.g.scalar(`${e.name}_one`, 1);
    const negative = (v: string) => step(e, 'Or', [step(e, 'Less', [v, zero]), step(e, 'Less', [step(e, 'Div', [one, v]), zero])]);
    const angle = step(e, 'Atan', [step(e, 'Div', [y, x])]);
    const xNegative = negative(x);
    const turn = step(e, 'Where', [negative(y), e.g.scalar(`${e.name}_minus_pi`, -Math.PI), e.g.scalar(`${e.name}_pi`, Math.PI)]);
    const origin = step(e, 'And', [step(e, 'Equal', [x, zero]), step(e, 'Equal', [y, zero])]);
    const atOrigin = step(e, 'Where', [xNegative, turn, y]);
    const elsewhere = step(e, 'Add', [angle, step(e, 'Where', [xNegative, turn, zero])]);
    step(e, 'Where', [origin, atOrigin, elsewhere], {}, e.outName);
    e.g.markBatched(
      e.out,
      e.ins.some((t) => e.g.isBatched(t)),
    );
  },
  // Python's %: a − floor(a/b)·b for floats; ONNX's Mod with fmod 0 is exactly that for integers.
  remainder(e) {
    const [a, b] = e.inputs;
    if (e.out.dtype === 'int32') e.g.node('Mod', [a, b], [e.outName], { fmod: 0 }, e.name, e.doc);
    else step(e, 'Sub', [a, step(e, 'Mul', [step(e, 'Floor', [step(e, 'Div', [a, b])]), b])], {}, e.outName);
    e.g.markBatched(
      e.out,
      e.ins.some((t) => e.g.isBatched(t)),
    );
  },
  sin: simple('Sin'),
  cos: simple('Cos'),
  tan: simple('Tan'),
  asin: simple('Asin'),
  acos: simple('Acos'),
  atan: simple('Atan'),
  sinh: simple('Sinh'),
  cosh: simple('Cosh'),
  erf: simple('Erf'),
  sign: simple('Sign'),
  floor: simple('Floor'),
  ceil: simple('Ceil'),
  // ONNX's Round rounds halves to even, as tapegrad's.
  round: simple('Round'),
  fmod: simple('Mod', () => ({ fmod: 1 })),
  erfc: (e) => chain(e, [['Erf'], ['Sub', 'one', 'x']]),
  log1p: (e) => chain(e, [['Add', 'x', 'one'], ['Log']]),
  expm1: (e) => chain(e, [['Exp'], ['Sub', 'x', 'one']]),
  log2: (e) => chain(e, [['Log'], ['Div', 'x', Math.LN2]]),
  log10: (e) => chain(e, [['Log'], ['Div', 'x', Math.LN10]]),
  // trunc(x) = sign(x)·floor(|x|).
  trunc(e) {
    const sign = e.g.fresh(`${e.name}_sign`);
    e.g.node('Sign', e.inputs, [sign], {}, `${e.name}/Sign`, e.doc);
    const floored = chain(e, [['Abs'], ['Floor']], false);
    e.g.node('Mul', [sign, floored], [e.outName], {}, `${e.name}/Mul`, e.doc);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]));
  },
  cumsum(e) {
    const { axis } = e.node.attrs as { axis: number };
    const batched = e.dynamic && e.g.isBatched(e.ins[0]);
    if (batched && axis === 0) notBatchPreserving(e, 'a running sum along the batch axis');
    e.g.node('CumSum', [e.inputs[0], e.g.int64s(`${e.name}_axis`, [axis])], [e.outName], {}, e.name, e.doc);
    e.g.markBatched(e.out, batched);
  },
  // The primitive norm is p ∉ {0, 1, ±∞} (those are compositions: src/ops/stats.ts): ReduceL2 for
  // p = 2, and (Σ|x|^p)^(1/p) otherwise.
  norm(e) {
    const { p, axes, keepDims } = e.node.attrs as { p: number; axes: number[]; keepDims: boolean };
    const keepdims = keepDims ? 1 : 0;
    if (p === 2) step(e, 'ReduceL2', [e.inputs[0]], { axes, keepdims }, e.outName);
    else {
      const powered = step(e, 'Pow', [step(e, 'Abs', [e.inputs[0]]), e.g.scalar(`${e.name}_p`, p)]);
      const summed = step(e, 'ReduceSum', [powered, e.g.int64s(`${e.name}_axes`, axes)], { keepdims });
      step(e, 'Pow', [summed, e.g.scalar(`${e.name}_inv_p`, 1 / p)], {}, e.outName);
    }
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]) && !axes.includes(0));
  },
  stopGradient: simple('Identity'),

  sum(e) {
    const { axes, keepDims } = e.node.attrs as { axes: number[]; keepDims: boolean };
    if (axes.length === 0) {
      e.g.node('Identity', e.inputs, [e.outName], {}, e.name, e.doc);
    } else {
      e.g.node('ReduceSum', [e.inputs[0], e.g.int64s(`${e.name}_axes`, axes)], [e.outName], { keepdims: keepDims ? 1 : 0 }, e.name, e.doc);
    }
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]) && !axes.includes(0));
  },

  max(e) {
    const { axes, keepDims } = e.node.attrs as { axes: number[]; keepDims: boolean };
    if (axes.length === 0) e.g.node('Identity', e.inputs, [e.outName], {}, e.name, e.doc);
    else e.g.node('ReduceMax', e.inputs, [e.outName], { axes, keepdims: keepDims ? 1 : 0 }, e.name, e.doc);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]) && !axes.includes(0));
  },

  // Batch statistics (training mode, or eval without running statistics): the composition the fused
  // primitive stands for (Note [fused batch norm] in src/ops/normalization.ts), as standard operators.
  batchNorm(e) {
    const { eps, hasWeight, hasBias } = e.node.attrs as { eps: number; hasWeight: boolean; hasBias: boolean };
    const x = e.ins[0];
    const axes = x.shape.map((_, d) => d).filter((d) => d !== 1);
    const perChannel = x.shape.map((n, d) => (d === 1 ? n : 1));
    let step = 0;
    const op = (opType: string, inputs: string[], attrs: Record<string, Attribute> = {}, last = false) => {
      const out = last ? e.outName : e.g.fresh(`${e.name}_${opType.toLowerCase()}${++step}`);
      e.g.node(opType, inputs, [out], attrs, `${e.name}/${opType}`, e.doc);
      return out;
    };
    const mean = op('ReduceMean', [e.inputs[0]], { axes, keepdims: 1 });
    const centered = op('Sub', [e.inputs[0], mean]);
    const variance = op('ReduceMean', [op('Mul', [centered, centered])], { axes, keepdims: 1 });
    const std = op('Sqrt', [op('Add', [variance, e.g.scalar(`${e.name}_eps`, eps)])]);
    const affine = [hasWeight, hasBias].filter(Boolean).length;
    let y = op('Div', [centered, std], {}, affine === 0);
    const channelwise = (k: number) => op('Reshape', [e.inputs[k], e.g.int64s(`${e.name}_channels`, perChannel)]);
    if (hasWeight) y = op('Mul', [y, channelwise(1)], {}, !hasBias);
    if (hasBias) op('Add', [y, channelwise(hasWeight ? 2 : 1)], {}, true);
    e.g.markBatched(e.out, e.g.isBatched(x));
  },

  reshape(e) {
    const { shape } = e.node.attrs as { shape: number[] };
    const x = e.ins[0];
    const batched = e.dynamic && e.g.isBatched(x);
    if (batched && !(shape.length > 0 && x.ndim > 0 && shape[0] === x.shape[0])) notBatchPreserving(e, `to ${JSON.stringify(shape)}`);
    // 0: "this axis as in the input" — the batch, whatever its size.
    const written = batched ? [0, ...shape.slice(1)] : shape;
    e.g.node('Reshape', [e.inputs[0], e.g.int64s(`${e.name}_shape`, written)], [e.outName], {}, e.name, e.doc);
    e.g.markBatched(e.out, batched);
  },

  expand(e) {
    const { shape } = e.node.attrs as { shape: number[] };
    const x = e.ins[0];
    const batched = e.dynamic && e.g.isBatched(x) && x.ndim === shape.length;
    // Expand broadcasts: a 1 keeps the input's (batch) axis as it is.
    const written = batched ? [1, ...shape.slice(1)] : shape;
    e.g.node('Expand', [e.inputs[0], e.g.int64s(`${e.name}_shape`, written)], [e.outName], {}, e.name, e.doc);
    e.g.markBatched(e.out, batched);
  },

  transpose(e) {
    const { perm } = e.node.attrs as { perm: number[] };
    const batched = e.dynamic && e.g.isBatched(e.ins[0]);
    if (batched && perm[0] !== 0) notBatchPreserving(e, `perm ${JSON.stringify(perm)}`);
    e.g.node('Transpose', e.inputs, [e.outName], { perm }, e.name, e.doc);
    e.g.markBatched(e.out, batched);
  },

  flip(e) {
    const { axes } = e.node.attrs as { axes: number[] };
    const batched = e.dynamic && e.g.isBatched(e.ins[0]);
    if (batched && axes.includes(0)) notBatchPreserving(e, 'flipping the batch axis');
    e.g.node(
      'Slice',
      [
        e.inputs[0],
        e.g.int64s(
          `${e.name}_starts`,
          axes.map(() => -1),
        ),
        e.g.int64s(
          `${e.name}_ends`,
          axes.map(() => -TO_END),
        ),
        e.g.int64s(`${e.name}_axes`, axes),
        e.g.int64s(
          `${e.name}_steps`,
          axes.map(() => -1),
        ),
      ],
      [e.outName],
      {},
      e.name,
      e.doc,
    );
    e.g.markBatched(e.out, batched);
  },

  slice(e) {
    const { starts, ends } = e.node.attrs as { starts: number[]; ends: number[] };
    const x = e.ins[0];
    const batched = e.dynamic && e.g.isBatched(x);
    const wholeBatch = starts[0] === 0 && ends[0] === x.shape[0];
    const writtenEnds = batched && wholeBatch ? [TO_END, ...ends.slice(1)] : ends;
    e.g.node(
      'Slice',
      [
        e.inputs[0],
        e.g.int64s(`${e.name}_starts`, starts),
        e.g.int64s(`${e.name}_ends`, writtenEnds),
        e.g.int64s(
          `${e.name}_axes`,
          starts.map((_, d) => d),
        ),
      ],
      [e.outName],
      {},
      e.name,
      e.doc,
    );
    e.g.markBatched(e.out, batched && wholeBatch);
  },

  pad(e) {
    const { mode, widths, fill } = e.node.attrs as { mode: string; widths: [number, number][]; fill: number };
    const onnxMode = ({ constant: 'constant', replicate: 'edge', reflect: 'reflect' } as Record<string, string>)[mode];
    if (onnxMode === undefined) {
      throw new Error(
        `toOnnx: pad mode '${mode}' has no ONNX equivalent in opset 17 (constant, replicate and reflect do) (node ${e.name})`,
      );
    }
    const pads = [...widths.map(([before]) => before), ...widths.map(([, after]) => after)];
    const inputs = [e.inputs[0], e.g.int64s(`${e.name}_pads`, pads)];
    if (onnxMode === 'constant') inputs.push(e.g.scalar(`${e.name}_value`, fill));
    e.g.node('Pad', inputs, [e.outName], { mode: onnxMode }, e.name, e.doc);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]) && widths[0][0] === 0 && widths[0][1] === 0);
  },

  concat(e) {
    const { axis } = e.node.attrs as { axis: number };
    const batched = e.dynamic && e.ins.some((x) => e.g.isBatched(x));
    if (batched && axis === 0) notBatchPreserving(e, 'along the batch axis');
    e.g.node('Concat', e.inputs, [e.outName], { axis }, e.name, e.doc);
    e.g.markBatched(e.out, batched);
  },

  matmul(e) {
    const attrs = (e.node.attrs ?? {}) as { transA?: boolean; transB?: boolean };
    const operand = (i: number, trans: boolean | undefined) => {
      if (!trans) return e.inputs[i];
      const t = e.ins[i];
      const perm = t.shape.map((_, d) => d);
      [perm[t.ndim - 2], perm[t.ndim - 1]] = [perm[t.ndim - 1], perm[t.ndim - 2]];
      const name = e.g.fresh(`${e.name}_t${i}`);
      e.g.node('Transpose', [e.inputs[i]], [name], { perm }, `${e.name}_transpose${i}`, `${e.doc} (operand ${i} transposed)`);
      return name;
    };
    const operands = [operand(0, attrs.transA), operand(1, attrs.transB)];
    if (e.inputs.length === 3) {
      // A bias or mask added inside the product (Note [product epilogue] in src/ops/matmul.ts).
      const product = e.g.fresh(`${e.name}_product`);
      e.g.node('MatMul', operands, [product], {}, `${e.name}_matmul`, e.doc);
      e.g.node('Add', [product, e.inputs[2]], [e.outName], {}, e.name, `${e.doc} (plus its addend)`);
    } else {
      e.g.node('MatMul', operands, [e.outName], {}, e.name, e.doc);
    }
    const [a] = e.ins;
    // An addend has the product's trailing shape: where it carries the batch axis, so does the sum.
    const addendBatched = e.ins.length === 3 && e.ins[2].ndim === e.out.ndim && e.g.isBatched(e.ins[2]);
    e.g.markBatched(e.out, (e.g.isBatched(a) && a.ndim >= 2 && !attrs.transA) || addendBatched);
  },

  conv2d(e) {
    const a = e.node.attrs as { stride: number[]; padding: number[]; dilation: number[]; groups: number };
    const w = e.ins[1];
    e.g.node('Conv', e.inputs, [e.outName], { kernel_shape: w.shape.slice(2), ...spatial(a), group: a.groups }, e.name, e.doc);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]));
  },

  convTranspose2d(e) {
    const a = e.node.attrs as { stride: number[]; padding: number[]; dilation: number[]; groups: number; outputPadding: number[] };
    const w = e.ins[1];
    e.g.node(
      'ConvTranspose',
      e.inputs,
      [e.outName],
      { kernel_shape: w.shape.slice(2), ...spatial(a), output_padding: [...a.outputPadding], group: a.groups },
      e.name,
      e.doc,
    );
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]));
  },

  maxPool2d(e) {
    const a = e.node.attrs as { kernel: number[]; stride: number[]; padding: number[] };
    e.g.node('MaxPool', e.inputs, [e.outName], { kernel_shape: [...a.kernel], ...spatial(a) }, e.name, e.doc);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]));
  },

  avgPool2d(e) {
    const a = e.node.attrs as { kernel: number[]; stride: number[]; padding: number[] };
    // Padding counts as zeros in the average, as in PyTorch's default.
    e.g.node('AveragePool', e.inputs, [e.outName], { kernel_shape: [...a.kernel], ...spatial(a), count_include_pad: 1 }, e.name, e.doc);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]));
  },

  // src/ops/activations.ts: the step mask as a comparison cast back to float (Note [step masks]).
  step(e) {
    const greater = e.g.fresh(`${e.name}_greater`);
    e.g.node('Greater', [e.inputs[0], e.g.scalar(`${e.name}_zero`, 0)], [greater], {}, `${e.name}/Greater`, e.doc);
    e.g.node('Cast', [greater], [e.outName], { to: FLOAT }, `${e.name}/Cast`, e.doc);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]));
  },

  // The flat-index gather (embedding, interpolate, adaptive pooling, indexing) as Reshape → Gather →
  // Reshape. A batched input whose every sample reads the same positions of its own sample (the
  // resampling ops) gathers along axis 1 of [N, -1], so the batch stays dynamic.
  gatherFlat(e) {
    const { index, shape } = e.node.attrs as { index: Int32Array; shape: number[] };
    const x = e.ins[0];
    const batched = e.dynamic && e.g.isBatched(x) && x.ndim > 0 && shape.length > 0 && shape[0] === x.shape[0] && x.shape[0] > 0;
    const per = batched ? x.size / x.shape[0] : x.size;
    const outPer = batched ? index.length / x.shape[0] : index.length;
    if (batched) {
      for (let o = 0; o < index.length; o++) {
        if (index[o] !== Math.floor(o / outPer) * per + index[o % outPer]) notBatchPreserving(e, 'reads across samples');
      }
    }
    const flat = e.g.fresh(`${e.name}_flat`);
    const gathered = e.g.fresh(`${e.name}_gathered`);
    e.g.node(
      'Reshape',
      [e.inputs[0], e.g.int64s(`${e.name}_flat_shape`, batched ? [0, -1] : [-1])],
      [flat],
      {},
      `${e.name}/Flatten`,
      e.doc,
    );
    const indices = e.g.int64s(`${e.name}_indices`, Array.from(index.subarray(0, outPer)));
    e.g.node('Gather', [flat, indices], [gathered], { axis: batched ? 1 : 0 }, `${e.name}/Gather`, e.doc);
    const written = batched ? [0, ...shape.slice(1)] : shape;
    e.g.node('Reshape', [gathered, e.g.int64s(`${e.name}_shape`, written)], [e.outName], {}, `${e.name}/Reshape`, e.doc);
    e.g.markBatched(e.out, batched);
  },

  // gelu as its formula: x·½(1 + Erf(x/√2)), or the tanh form ½x(1 + Tanh(√(2/π)(x + 0.044715x³))).
  gelu(e) {
    const { approximate } = e.node.attrs as { approximate: 'none' | 'tanh' };
    const x = e.inputs[0];
    let k = 0;
    const op = (type: string, ins: string[], out?: string) => {
      const name = out ?? e.g.fresh(`${e.name}_${type.toLowerCase()}`);
      e.g.node(type, ins, [name], {}, `${e.name}/${type}${k++}`, e.doc);
      return name;
    };
    const c = (label: string, v: number) => e.g.scalar(`${e.name}_${label}`, v);
    let gate: string;
    if (approximate === 'tanh') {
      const cube = op('Mul', [op('Mul', [x, x]), x]);
      const inner = op('Mul', [op('Add', [x, op('Mul', [cube, c('kappa', 0.044715)])]), c('beta', Math.sqrt(2 / Math.PI))]);
      gate = op('Tanh', [inner]);
    } else {
      gate = op('Erf', [op('Mul', [x, c('rsqrt2', Math.SQRT1_2)])]);
    }
    const half = op('Mul', [op('Add', [gate, c('one', 1)]), c('half', 0.5)]);
    op('Mul', [x, half], e.outName);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]));
  },

  // Layer norm as the composition the fused primitive stands for (Note [fused layer norm] in
  // src/ops/norms.ts), over its trailing axes; weight and bias broadcast from the right.
  layerNorm(e) {
    const { eps, k, hasWeight, hasBias } = e.node.attrs as { eps: number; k: number; hasWeight: boolean; hasBias: boolean };
    const x = e.ins[0];
    const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    let step = 0;
    const op = (opType: string, inputs: string[], attrs: Record<string, Attribute> = {}, last = false) => {
      const out = last ? e.outName : e.g.fresh(`${e.name}_${opType.toLowerCase()}${++step}`);
      e.g.node(opType, inputs, [out], attrs, `${e.name}/${opType}${step}`, e.doc);
      return out;
    };
    const mean = op('ReduceMean', [e.inputs[0]], { axes, keepdims: 1 });
    const centered = op('Sub', [e.inputs[0], mean]);
    const variance = op('ReduceMean', [op('Mul', [centered, centered])], { axes, keepdims: 1 });
    const std = op('Sqrt', [op('Add', [variance, e.g.scalar(`${e.name}_eps`, eps)])]);
    let y = op('Div', [centered, std], {}, !hasWeight && !hasBias);
    if (hasWeight) y = op('Mul', [y, e.inputs[1]], {}, !hasBias);
    if (hasBias) op('Add', [y, e.inputs[hasWeight ? 2 : 1]], {}, true);
    e.g.markBatched(e.out, e.g.isBatched(x) && k < x.ndim);
  },

  // softmax in one node (Note [fused softmax] in src/ops/softmax.ts).
  softmax(e) {
    const { axis } = e.node.attrs as { axis: number };
    e.g.node('Softmax', e.inputs, [e.outName], { axis }, e.name, e.doc);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]) && axis !== 0);
  },

  // The fused attention as the composition it computes (Note [fused attention] in src/ops/attention.ts):
  // softmax((q·scale)·kᵀ + mask + the causal mask)·v.
  attention(e) {
    const { scale, causal } = e.node.attrs as { scale: number; causal: boolean };
    const [q, k] = e.ins;
    const op = (opType: string, inputs: string[], attrs: Record<string, Attribute> = {}, last = false) => {
      const out = last ? e.outName : e.g.fresh(`${e.name}_${opType.toLowerCase()}`);
      e.g.node(opType, inputs, [out], attrs, `${e.name}/${opType}`, e.doc);
      return out;
    };
    const perm = k.shape.map((_, d) => d);
    [perm[k.ndim - 2], perm[k.ndim - 1]] = [perm[k.ndim - 1], perm[k.ndim - 2]];
    const scaled = op('Mul', [e.inputs[0], e.g.scalar(`${e.name}_scale`, scale)]);
    let scores = op('MatMul', [scaled, op('Transpose', [e.inputs[1]], { perm })]);
    if (e.inputs.length === 4) scores = op('Add', [scores, e.inputs[3]]);
    if (causal) scores = op('Add', [scores, e.g.value(causalMask(q.shape[q.ndim - 2], k.shape[k.ndim - 2], 'float32'))]);
    op('MatMul', [op('Softmax', [scores], { axis: -1 }), e.inputs[2]], {}, true);
    e.g.markBatched(
      e.out,
      e.ins.slice(0, 3).some((x) => e.g.isBatched(x)),
    );
  },

  // log-softmax in one node (Note [fused softmax] in src/ops/softmax.ts).
  logSoftmax(e) {
    const { axis } = e.node.attrs as { axis: number };
    e.g.node('LogSoftmax', e.inputs, [e.outName], { axis }, e.name, e.doc);
    e.g.markBatched(e.out, e.g.isBatched(e.ins[0]) && axis !== 0);
  },

  // Indexing (SPEC §14). Index tensors are constants of the traced graph (written as int64
  // initializers), so an op that indexes the batch axis with them cannot take other batch sizes.
  gather(e) {
    const { axis, index, indexShape } = e.node.attrs as { axis: number; index: Int32Array; indexShape: number[] };
    if (e.dynamic && e.g.isBatched(e.ins[0])) notBatchPreserving(e, 'a constant index of the sample batch size');
    const idx = e.g.int64s(`${e.name}_index`, index, indexShape);
    e.g.node('GatherElements', [e.inputs[0], idx], [e.outName], { axis }, e.name, e.doc);
    e.g.markBatched(e.out, false);
  },

  scatterAdd(e) {
    const { axis, index, indexShape } = e.node.attrs as { axis: number; index: Int32Array; indexShape: number[] };
    if (e.dynamic && (e.g.isBatched(e.ins[0]) || e.g.isBatched(e.ins[1]))) {
      notBatchPreserving(e, 'a constant index of the sample batch size');
    }
    let updates = e.inputs[1];
    if (e.ins[1].shape.some((n, d) => n !== indexShape[d])) {
      // ONNX takes updates of the index's shape; torch reads only that corner of src.
      updates = e.g.fresh(`${e.name}_src`);
      const zeros = indexShape.map(() => 0);
      e.g.node(
        'Slice',
        [e.inputs[1], e.g.int64s(`${e.name}_starts`, zeros), e.g.int64s(`${e.name}_ends`, indexShape)],
        [updates],
        {},
        `${e.name}_src`,
        e.doc,
      );
    }
    const idx = e.g.int64s(`${e.name}_index`, index, indexShape);
    e.g.node('ScatterElements', [e.inputs[0], idx, updates], [e.outName], { axis, reduction: 'add' }, e.name, e.doc);
    e.g.markBatched(e.out, false);
  },

  indexSelect(e) {
    const { axis, index } = e.node.attrs as { axis: number; index: Int32Array };
    const batched = e.dynamic && e.g.isBatched(e.ins[0]);
    if (batched && axis === 0) notBatchPreserving(e, 'selecting along the batch axis');
    e.g.node('Gather', [e.inputs[0], e.g.int64s(`${e.name}_index`, index)], [e.outName], { axis }, e.name, e.doc);
    e.g.markBatched(e.out, batched);
  },

  scatterAddFlat(e) {
    const { index, shape } = e.node.attrs as { index: Int32Array; shape: number[] };
    if (e.dynamic && e.g.isBatched(e.ins[0])) notBatchPreserving(e, 'a constant flat index of the sample batch size');
    const size = shape.reduce((a, b) => a * b, 1);
    const zeros = e.g.value(new Tensor(new Float32Array(size), [size]));
    const flatG = e.g.fresh(`${e.name}_g`);
    const scattered = e.g.fresh(`${e.name}_flat`);
    e.g.node('Reshape', [e.inputs[0], e.g.int64s(`${e.name}_gshape`, [-1])], [flatG], {}, `${e.name}_g`, e.doc);
    e.g.node(
      'ScatterElements',
      [zeros, e.g.int64s(`${e.name}_index`, index), flatG],
      [scattered],
      { axis: 0, reduction: 'add' },
      `${e.name}_scatter`,
      e.doc,
    );
    e.g.node('Reshape', [scattered, e.g.int64s(`${e.name}_shape`, shape)], [e.outName], {}, e.name, e.doc);
    e.g.markBatched(e.out, false);
  },

  topk(e) {
    const { axis, k, largest } = e.node.attrs as { axis: number; k: number; largest: boolean };
    const batched = e.dynamic && e.g.isBatched(e.ins[0]);
    if (batched && axis === 0) notBatchPreserving(e, 'ordering along the batch axis');
    const indices = e.g.fresh(`${e.name}_indices`);
    e.g.node(
      'TopK',
      [e.inputs[0], e.g.int64s(`${e.name}_k`, [k])],
      [e.outName, indices],
      { axis, largest: largest ? 1 : 0, sorted: 1 },
      e.name,
      e.doc,
    );
    e.g.markBatched(e.out, batched);
  },

  // The recurrent steps' fused gate math (Note [fused recurrent cells] in src/ops/recurrent-cells.ts):
  // the equations the primitive stands for, as standard operators.
  lstmCell(e) {
    const { h } = e.node.attrs as { h: number };
    const [i, f, g, o] = splitColumns(e, e.inputs[0], 4, h);
    const c2 = step(e, 'Add', [
      step(e, 'Mul', [step(e, 'Sigmoid', [f]), e.inputs[1]]),
      step(e, 'Mul', [step(e, 'Sigmoid', [i]), step(e, 'Tanh', [g])]),
    ]);
    const h2 = step(e, 'Mul', [step(e, 'Sigmoid', [o]), step(e, 'Tanh', [c2])]);
    step(e, 'Concat', [h2, c2], { axis: 1 }, e.outName);
    e.g.markBatched(
      e.out,
      e.ins.some((x) => e.g.isBatched(x)),
    );
  },

  gruCell(e) {
    const { h } = e.node.attrs as { h: number };
    const [ir, iz, inn] = splitColumns(e, e.inputs[0], 3, h);
    const [hr, hz, hn] = splitColumns(e, e.inputs[1], 3, h);
    const r = step(e, 'Sigmoid', [step(e, 'Add', [ir, hr])]);
    const z = step(e, 'Sigmoid', [step(e, 'Add', [iz, hz])]);
    const n = step(e, 'Tanh', [step(e, 'Add', [inn, step(e, 'Mul', [r, hn])])]);
    step(e, 'Add', [n, step(e, 'Mul', [z, step(e, 'Sub', [e.inputs[2], n])])], {}, e.outName);
    e.g.markBatched(
      e.out,
      e.ins.some((x) => e.g.isBatched(x)),
    );
  },

  // An LSTM layer-direction's whole recurrence (Note [LSTM sequence primitive]): nn.LSTM, its only caller,
  // is exported whole as ONNX's LSTM (src/onnx/layers.ts, Note [layers exported whole]).
  lstmSequence: noMapping("it runs inside nn.LSTM, which exports whole as ONNX's LSTM operator"),
  gruSequence: noMapping("it runs inside nn.GRU, which exports whole as ONNX's GRU operator"),

  // The engine's own and the backward passes' primitives, and the expanded graphs' scalar nodes.
  accumulate: BACKWARD_ONLY,
  convertGradient: BACKWARD_ONLY,
  padAdjoint: BACKWARD_ONLY,
  reluGrad: BACKWARD_ONLY,
  geluGrad: BACKWARD_ONLY,
  conv2dWeight: BACKWARD_ONLY,
  avgPool2dAdjoint: BACKWARD_ONLY,
  indexAdd: BACKWARD_ONLY,
  element: EXPANDED,
  assemble: EXPANDED,
} satisfies Record<PrimitiveName, Emitter>;

/** Writes the node's ONNX operators, or throws naming the op and where it sits. */
export function emit(e: Emit): void {
  const emitter: Emitter | undefined = (EMITTERS as Partial<Record<string, Emitter>>)[e.node.op];
  if (emitter === undefined) {
    // A primitive a user defined (definePrimitive): not tapegrad's, so not in the table.
    const where = e.node.scope ? ` in module '${e.node.scope.path}' (${e.node.scope.kind})` : '';
    throw new Error(`toOnnx: the tapegrad op '${e.node.op}'${where} has no ONNX mapping`);
  }
  emitter(e);
}
