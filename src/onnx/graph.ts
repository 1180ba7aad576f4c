/**
 * @file The ONNX graph being written: value names, initializers, nodes, and which values carry the
 * dynamic batch dimension. The op mappings (ops.ts) talk to this; index.ts turns it into a model.
 *
 * Note [dynamic batch]: the graph is traced on one sample, so every shape it saw is concrete. The
 * input's first axis is the batch; a value "is batched" when its first axis comes from it (through
 * elementwise ops, convolutions, pooling, reductions over other axes, reshapes that keep the first
 * axis). Wherever an op writes a shape — Reshape, Expand, Slice — the batched axis is written so
 * ONNX takes it from the data (Reshape's 0, Expand's 1, Slice to the end) instead of the sample's N.
 */
import type { onnx } from 'onnx-proto';
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';

/** ONNX's TensorProto.DataType codes for the types the export writes. */
export const FLOAT = 1;
export const INT32 = 6;
export const INT64 = 7;
export const BOOL = 9;

export type Attribute = number | number[] | string | { floats: number[] } | { strings: string[] };

export class OnnxGraph {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly names = new Map<Tensor, string>();
  private readonly batched = new Set<Tensor>();
  private readonly used = new Set<string>();
  private counter = 0;

  /**
   * @param nameOf a module name for a tensor that is a parameter or buffer (`features.0.weight`),
   *               else undefined
   */
  constructor(private readonly nameOf: (t: Tensor) => string | undefined) {}

  /** A fresh value or node name, unique in the graph. */
  fresh(base: string): string {
    let name = base.replace(/[^\w.:/-]/g, '_');
    if (this.used.has(name)) name = `${name}_${++this.counter}`;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Declares the graph input. */
  input(t: Tensor, name: string): void {
    this.names.set(t, this.fresh(name));
    this.batched.add(t);
  }

  /** The value name of a tensor: known, or a new initializer for a tensor the graph reads as a constant. */
  value(t: Tensor): string {
    const known = this.names.get(t);
    if (known !== undefined) return known;
    // A recorded value is named when its node is written, before anything reads it (topological order).
    if (t.node !== null)
      throw new Error(`toOnnx: internal error: the recorded value ${fmt(t.shape)} (${t.node.op}) is read before it is written`);
    const name = this.fresh(this.nameOf(t) ?? `const_${fmt(t.shape).replace(/[[\],]/g, (c) => (c === ',' ? 'x' : ''))}`);
    this.names.set(t, name);
    // int32 and bool constants (where's condition, masks) keep their type; ONNX stores both in int32_data.
    if (t.dtype === 'bool' || t.dtype === 'int32') {
      this.initializers.push({ name, dims: [...t.shape], dataType: t.dtype === 'bool' ? BOOL : INT32, int32Data: Array.from(t.data) });
    } else {
      this.initializers.push({ name, dims: [...t.shape], dataType: FLOAT, floatData: Array.from(t.data, Math.fround) });
    }
    return name;
  }

  /** The output name for a tensor an op makes here. */
  output(t: Tensor, base: string): string {
    const name = this.fresh(base);
    this.names.set(t, name);
    return name;
  }

  /** An int64 initializer (shapes, axes, pads; indices, with their `dims`). */
  int64s(base: string, values: ArrayLike<number>, dims: readonly number[] = [values.length]): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [...dims], dataType: INT64, int64Data: Array.from(values) });
    return name;
  }

  /** A scalar float initializer. */
  scalar(base: string, value: number): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [], dataType: FLOAT, floatData: [Math.fround(value)] });
    return name;
  }

  isBatched(t: Tensor): boolean {
    return this.batched.has(t);
  }

  markBatched(t: Tensor, batched: boolean): void {
    if (batched) this.batched.add(t);
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, Attribute>, name: string, docString: string): void {
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: this.fresh(name),
      docString,
      attribute: Object.entries(attrs).map(([key, v]) => attribute(key, v)),
    });
  }
}

function attribute(name: string, v: Attribute): onnx.IAttributeProto {
  // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7, STRINGS 8.
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('strings' in v) return { name, type: 8, strings: v.strings.map((s) => new TextEncoder().encode(s)) };
  return { name, type: 6, floats: v.floats };
}
