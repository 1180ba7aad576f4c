/** @file The WebAssembly kernels' entry point: every export here is callable from src/kernels/wasm. */
export { gemm, gemmScratchBytes } from './gemm';
// Dot products of rows with rows: the convolution weight gradient's product (Note [row dots]).
export { rowDots } from './row-dots';
export { addPartials, conv2dForward, conv2dInputGrad, conv2dWeightGrad, convScratchBytes, weightGradScratchBytes } from './conv';
export { directForward, directWeightGrad, directWeightGradTasks } from './direct';
export { shallowForward, shallowScratchBytes } from './shallow';
export { binaryOp, unaryOp } from './elementwise';
export { maxPool2d, scatterAddFlat } from './pool';
export { batchNormBackward, batchNormForward, maskPositive } from './normalization';
// Layer norm's forward and backward on rows (assembly/layer-norm.ts, Note [fused layer norm]).
export { layerNormBackward, layerNormForward } from './layer-norm';
export { gatherAxis, scatterAddAxis } from './indexing';
export { adagradStep, adamStep, rmspropStep, sgdStep } from './optimizers';
// Comparisons, where and index selection (assembly/select.ts).
export { compareOp, indexAddRows, indexSelectRows, whereOp } from './select';
// Winograd F(2×2, 3×3) convolution (issue 29).
export { winogradForward, winogradScratchBytes, winogradWeights } from './winograd';
// GELU's forward and backward, exact and tanh form (assembly/gelu.ts, Note [fused gelu]).
export { geluBackward, geluForward } from './gelu';
// softmax's and log-softmax's forward and backward on rows (assembly/softmax.ts, Note [fused softmax]).
export { logSoftmaxRows, logSoftmaxRowsBackward, softmaxRows, softmaxRowsBackward } from './softmax';
// An LSTM or GRU layer-direction's whole recurrence (issue 29, assembly/recurrent.ts).
export {
  gruScratchBytes,
  gruSequenceBackward,
  gruSequenceForward,
  lstmActivation,
  lstmScratchBytes,
  lstmSequenceBackward,
  lstmSequenceForward,
  packRecurrentWeights,
} from './recurrent';
// Strided copies: transposes, head splits, broadcasts (assembly/movement.ts).
export { stridedCopy } from './movement';
// Fused scaled dot-product attention, forward and backward (assembly/attention.ts, Note [fused attention]).
export { attentionBackward, attentionForward, attentionScratchBytes } from './attention';
