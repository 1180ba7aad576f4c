export * from './operands';
export * from './elementwise';
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
export { scaledDotProductAttention, type AttentionOptions } from './attention';
