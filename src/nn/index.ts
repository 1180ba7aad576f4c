/** @file tg.nn: modules, layers, initialisation and model files (SPEC §7). */
// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import '../ops/tensor-methods';
export { Module, parameter } from './module';
export type { AnyModule } from './module';
export type { StateDict, StateDictInput, LoadStateDictOptions, LoadStateDictResult } from './module';
export { Linear, Dropout, BatchNorm1d, BatchNorm2d, ReLU, Tanh, Sigmoid, Flatten, Sequential } from './layers';
export type { LinearOptions, BatchNormLayerOptions } from './layers';
export { Conv1d, Conv2d, MaxPool2d, AvgPool2d, MaxPool1d, AvgPool1d } from './conv';
export type { ConvLayerOptions } from './conv';
export { kaimingUniformBound, biasBound, uniformParameter } from './init';
export type { InitOptions } from './init';
export { save, load, stateDictToJson, stateDictFromJson } from './serialize';

// Module utilities and containers (SPEC §15, §18).
export type { ModuleOptions, FloatDType } from './module';
export { Identity, Softmax, LogSoftmax, Unflatten, ModuleList, ModuleDict } from './containers';

// Activation modules (SPEC §15).
export {
  LeakyReLU,
  ELU,
  SELU,
  CELU,
  GELU,
  SiLU,
  Mish,
  Softplus,
  LogSigmoid,
  Hardtanh,
  ReLU6,
  Hardsigmoid,
  Hardswish,
  Softsign,
  Tanhshrink,
  PReLU,
  Softshrink,
  Hardshrink,
  Threshold,
} from './activations';

// Normalisation modules (SPEC §15).
export { LayerNorm, GroupNorm, InstanceNorm1d, InstanceNorm2d } from './norms';
export type { LayerNormLayerOptions, GroupNormLayerOptions, InstanceNormLayerOptions } from './norms';

// Recurrent layers (SPEC §15).
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from './recurrent';
export type { RNNBaseOptions, RNNOptions, LSTMOptions, RNNCellOptions, Nonlinearity } from './recurrent';
export * as utils from './utils';

// Loss modules (SPEC §15).
export {
  CrossEntropyLoss,
  NLLLoss,
  BCELoss,
  BCEWithLogitsLoss,
  MSELoss,
  L1Loss,
  SmoothL1Loss,
  HuberLoss,
  KLDivLoss,
  CosineEmbeddingLoss,
  MarginRankingLoss,
  TripletMarginLoss,
  CosineSimilarity,
} from './losses';
// Attention and the Transformer encoder (SPEC §15).
export { MultiheadAttention, TransformerEncoderLayer, TransformerEncoder } from './attention';
export type {
  MultiheadAttentionOptions,
  MultiheadAttentionForwardOptions,
  TransformerActivation,
  TransformerEncoderLayerOptions,
  TransformerEncoderLayerForwardOptions,
  TransformerEncoderOptions,
  TransformerEncoderForwardOptions,
} from './attention';

// Embedding and resampling modules (SPEC §15).
export {
  Embedding,
  ConvTranspose1d,
  ConvTranspose2d,
  Upsample,
  AdaptiveAvgPool1d,
  AdaptiveAvgPool2d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  Dropout2d,
  AlphaDropout,
  PixelShuffle,
  PixelUnshuffle,
} from './resample';
export type { EmbeddingLayerOptions, ConvTransposeLayerOptions, UpsampleOptions } from './resample';
// Initialisation (SPEC §16).
export * as init from './initializers';
