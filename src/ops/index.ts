// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import './tensor-methods';
export * from './operands';
export * from './elementwise';
export * from './compare';
export * from './extrema';
export * from './scan';
export * from './stats';
export * from './math';
import './creation-methods';
export * from './reduce';
export { expand } from './broadcast';
export * from './shape';
export * from './matmul';
export * from './softmax';
export * from './layers';
export * from './normalization';
export * from './loss';
export * from './regularization';
export { convolve, correlate, convolve2d, type SignalMode, type SignalOptions } from './signal';
export { conv1d, conv2d, convTranspose2d, type ConvOptions, type ConvTransposeOptions, type SpatialOption } from './conv';
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d, type PoolOptions } from './pool';
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
  type GeluOptions,
  type SoftplusOptions,
} from './activations';
export { layerNorm, groupNorm, instanceNorm, type LayerNormOptions, type GroupNormOptions, type InstanceNormOptions } from './norms';
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
  type ClassLossOptions,
  type CrossEntropyOptions,
  type WeightedLossOptions,
  type BceWithLogitsOptions,
  type LossReductionOptions,
  type SmoothL1Options,
  type HuberOptions,
  type KlDivOptions,
  type MarginOptions,
  type TripletMarginOptions,
} from './losses';
export { scaledDotProductAttention, type AttentionOptions } from './attention';
export { embedding, type EmbeddingOptions } from './embedding';
export { convTranspose1d } from './conv';
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
  type InterpolateOptions,
  type InterpolateMode,
  type AdaptiveSize,
  type ChannelDropoutOptions,
} from './resample';
