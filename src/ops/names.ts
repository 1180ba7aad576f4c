/**
 * @file The names of tapegrad's own primitives, as one union type: ops define theirs through
 * `defineOp`, so a misspelt name is a compile error, and tables keyed by op (the ONNX emitters) are
 * checked against it. A test compares this list with the registry, so it cannot drift. Primitives a
 * user defines with `definePrimitive` keep plain string names.
 */
import { definePrimitive, Primitive, Rule } from '../autograd/primitive';

/** math.ts's one-argument elementwise functions (SPEC §14), each its own primitive under its PyTorch name. */
export const ELEMENTWISE_MATH = [
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'erf',
  'erfc',
  'log1p',
  'expm1',
  'log2',
  'log10',
  'sign',
  'floor',
  'ceil',
  'round',
  'trunc',
] as const;

export const PRIMITIVE_NAMES = [
  // src/autograd/accumulate.ts: the engine's own.
  'accumulate',
  'convertGradient',
  // operands.ts, broadcast.ts, shape.ts
  'cast',
  'stopGradient',
  'clone',
  'sum',
  'expand',
  'reshape',
  'transpose',
  'flip',
  'slice',
  'pad',
  'padAdjoint',
  'concat',
  // elementwise.ts
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'relu',
  'reluGrad',
  'tanh',
  'sigmoid',
  // reduce.ts, matmul.ts, normalization.ts
  'max',
  'matmul',
  'batchNorm',
  // conv.ts, pool.ts, expanded.ts
  'conv2d',
  'conv2dWeight',
  'convTranspose2d',
  'maxPool2d',
  'avgPool2d',
  'avgPool2dAdjoint',
  'gatherFlat',
  'scatterAddFlat',
  'element',
  'assemble',
  // activations.ts (the indicator of Note [step masks]; gelu and its backward, Note [fused gelu])
  'step',
  'gelu',
  'geluGrad',
  // compare.ts, math.ts, scan.ts (SPEC §14)
  'where',
  'cumsum',
  'cumprod',
  'norm',
  'atan2',
  'fmod',
  'remainder',
  ...ELEMENTWISE_MATH,
  // indexing.ts (SPEC §14): each pair is the other's adjoint.
  'gather',
  'scatterAdd',
  'indexSelect',
  'indexAdd',
  // sorting.ts
  'topk',
  // softmax.ts: softmax and log-softmax in one pass per line (Note [fused softmax])
  'softmax',
  'logSoftmax',
  // attention.ts: scores, softmax and the product with v in one kernel per entry (Note [fused attention])
  'attention',
  // norms.ts: layer norm in one pass per row (Note [fused layer norm])
  'layerNorm',
  // recurrent-cells.ts: the LSTM and GRU steps' fused gate math (Note [fused recurrent cells])
  'lstmCell',
  'gruCell',
  // recurrent-sequence.ts: an LSTM layer-direction's whole recurrence (Note [LSTM sequence primitive])
  'lstmSequence',
  'gruSequence',
] as const;

export type PrimitiveName = (typeof PRIMITIVE_NAMES)[number];

/** definePrimitive for tapegrad's own ops: the name must be one of PRIMITIVE_NAMES. */
export function defineOp<A = undefined, S = undefined>(name: PrimitiveName, rule: Rule<A, S>): Primitive<A, S> {
  return definePrimitive<A, S>(name, rule);
}
