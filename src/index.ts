/**
 * @file tapegrad's public API: everything users import, listed by name (the contract is SPEC.md in
 * the steering repository; docs/api.md documents each name, and a test fails when one is missing).
 */
// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import './ops/tensor-methods';
export { version } from './version';
export { backend } from './kernels';
export type { BackendInfo } from './kernels';

// Tensors (SPEC §1), and the shape helpers custom ops use.
export { Tensor, isTensor } from './tensor/tensor';
export type { NestedArray, NestedBoolArray } from './tensor/tensor';
export { tensor, scalar, zeros, ones, full, arange, randn, rand } from './tensor/create';
export type { TensorOptions, RandomOptions } from './tensor/create';
export { DEFAULT_DTYPE, allocate, dtypeOf, promoteTypes, isDType, isFloating } from './tensor/dtype';
export type { DType, FloatDType, Storage } from './tensor/dtype';
export {
  broadcastShapes,
  tryBroadcastShapes,
  checkPermutation,
  checkShape,
  fmt,
  normalizeAxes,
  normalizeAxis,
  reducedShape,
  sameShape,
  sizeOf,
  stridesOf,
} from './tensor/shape';
export { Rng, rng, manualSeed } from './random/rng';

// The engine (SPEC §6).
export {
  Node,
  definePrimitive,
  lookupPrimitive,
  primitives,
  Primitive,
  noGrad,
  enableGrad,
  isGradEnabled,
  withScope,
  currentScope,
  topoSort,
  backward,
  grad,
  gradcheck,
} from './autograd';
export type { Rule, WithSaved, ScopeFrame, BackwardOptions, GradOptions, GradcheckOptions, GradcheckResult } from './autograd';

// Gradient tools (SPEC §11).
export { gradgradcheck, detectAnomaly } from './autograd';
export type { Blame, GradHook, HookHandle } from './autograd';
export * as func from './func';

// Ops (SPEC §2–§5).
export { operands, constant, cast, asTensor, clone } from './ops/operands';
export type { TensorLike } from './ops/operands';
export { add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, abs, relu, tanh, sigmoid } from './ops/elementwise';
export { sum, sumTo, expand } from './ops/broadcast';
export { mean, max } from './ops/reduce';
export { reshape, transpose, transposeLast2, flatten, flip, pad, slice, concat, stack, squeeze, unsqueeze } from './ops/shape';
export type { PadMode, PadOptions } from './ops/shape';
export { matmul } from './ops/matmul';
export { softmax, logSoftmax } from './ops/softmax';
export { linear, dropout } from './ops/layers';
export type { DropoutOptions } from './ops/layers';
export { batchNorm } from './ops/normalization';
export type { BatchNormOptions } from './ops/normalization';
export { crossEntropy, svmLoss, mseLoss, euclideanLoss } from './ops/loss';
export type { Reduction, ReductionOptions, SvmLossOptions, Targets } from './ops/loss';
export { l2Penalty, l1Penalty, maxNorm } from './ops/regularization';
export { convolve, correlate, convolve2d } from './ops/signal';
export type { SignalMode, SignalOptions } from './ops/signal';
export { conv1d, conv2d, convTranspose2d } from './ops/conv';
export type { ConvOptions, ConvTransposeOptions, SpatialOption } from './ops/conv';
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d } from './ops/pool';
export type { PoolOptions } from './ops/pool';

// Activations (SPEC §15).
export {
  leakyRelu,
  elu,
  selu,
  celu,
  gelu,
  silu,
  mish,
  softplus,
  logSigmoid,
  hardtanh,
  relu6,
  hardsigmoid,
  hardswish,
  softsign,
  tanhshrink,
  prelu,
  softshrink,
  hardshrink,
  threshold,
} from './ops/activations';
export type { GeluOptions, SoftplusOptions } from './ops/activations';

// Normalisation (SPEC §15).
export { layerNorm, groupNorm, instanceNorm } from './ops/norms';
export type { LayerNormOptions, GroupNormOptions, InstanceNormOptions } from './ops/norms';

// Losses (SPEC §15; crossEntropy is exported with the losses of §5).
export {
  nllLoss,
  bceLoss,
  bceWithLogits,
  l1Loss,
  smoothL1Loss,
  huberLoss,
  klDiv,
  cosineSimilarity,
  marginRankingLoss,
  cosineEmbeddingLoss,
  tripletMarginLoss,
} from './ops/losses';
export type {
  ClassLossOptions,
  CrossEntropyOptions,
  WeightedLossOptions,
  BceWithLogitsOptions,
  LossReductionOptions,
  SmoothL1Options,
  HuberOptions,
  KlDivOptions,
  MarginOptions,
  TripletMarginOptions,
} from './ops/losses';

// Embedding and resampling layers (SPEC §15).
export { embedding } from './ops/embedding';
export type { EmbeddingOptions } from './ops/embedding';
export { convTranspose1d } from './ops/conv';
export {
  interpolate,
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  dropout2d,
  alphaDropout,
  pixelShuffle,
  pixelUnshuffle,
} from './ops/resample';
export type { InterpolateOptions, InterpolateMode, AdaptiveSize, ChannelDropoutOptions } from './ops/resample';

// Shape ops added in SPEC §14 and §18 (permute; transpose's two-axis form lives in ./ops/shape).
export { permute } from './ops/shape';
export { narrow, split, chunk, unbind, repeat, tile, movedim, roll, unflatten, diagonal, tril, triu, outer } from './ops/rearrange';
export { einsum } from './ops/einsum';

// Attention (SPEC §15).
export { scaledDotProductAttention } from './ops/attention';
export type { AttentionOptions } from './ops/attention';

// Indexing and sorting (SPEC §14).
export { gather, scatterAdd, indexSelect, maskedSelect, oneHot, index, indexPut } from './ops/indexing';
export type { Index, IndexPutOptions } from './ops/indexing';
export { sort, argsort, topk } from './ops/sorting';
export type { SortOptions, TopkOptions, ValuesAndIndices } from './ops/sorting';

// Namespaces (SPEC §7, §8).
export * as nn from './nn';
export * as optim from './optim';
export * as data from './data';
export * as viz from './viz-namespace';
export * as onnx from './onnx';
export * as train from './train/public';

// Files: safetensors (SPEC §16).
export { save, load, saveBytes, loadBytes, loadMetadata } from './tensor/safetensors';
// Gradient tests that read like tests (issue #32): tg.testing.assertGradcheck; the jest matchers are tapegrad/jest.
export * as testing from './testing/public';
export type { WorstElement } from './autograd/gradcheck-report';
// Integer and boolean tensors, comparisons, reductions and math (SPEC §14).
export {
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  logicalAnd,
  logicalOr,
  logicalXor,
  logicalNot,
  isNan,
  isFinite,
  all,
  any,
  where,
  maskedFill,
} from './ops/compare';
export { argmax, argmin, min, maxWithIndices, minWithIndices, amax, amin } from './ops/extrema';
export { cumsum, cumprod, prod } from './ops/scan';
export { var, std, logsumexp, norm } from './ops/stats';
export type { VarOptions } from './ops/stats';
export {
  sin,
  cos,
  tan,
  asin,
  acos,
  atan,
  sinh,
  cosh,
  erf,
  erfc,
  log1p,
  expm1,
  log2,
  log10,
  sign,
  floor,
  ceil,
  round,
  trunc,
  square,
  rsqrt,
  reciprocal,
  atan2,
  fmod,
  remainder,
  clamp,
  lerp,
} from './ops/math';
export {
  linspace,
  eye,
  zerosLike,
  onesLike,
  fullLike,
  randnLike,
  randLike,
  randint,
  randperm,
  bernoulli,
  multinomial,
} from './tensor/creation';
export type { RngOptions, RandintOptions, MultinomialOptions } from './tensor/creation';
import './ops/creation-methods';
export * as export from './export';
