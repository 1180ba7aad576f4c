/**
 * @file The TypeScript implementation of `Kernels`: every kernel, for both dtypes. It is the
 * reference the WebAssembly kernels are tested against, the float64 path, and the fallback
 * wherever WebAssembly is off, missing or not worth its copies.
 */
import * as compare from './compare';
import * as conv from './conv';
import * as elementwise from './elementwise';
import * as indexing from './indexing';
import type { BackendInfo, Kernels } from '../kernels';
import { addRepeating, gemmJs } from './matmul';
import * as movement from './movement';
import * as normalization from './normalization';
import { adagradStep, adamStep, rmspropStep, sgdStep } from './optimizers';
import * as pool from './pool';
import * as reduce from './reduce';
import * as recurrent from './recurrent';
import * as activations from './activations';
import * as softmax from './softmax';
import * as attention from './attention';
import * as layerNorm from './layer-norm';
import * as recurrentSequence from './recurrent-sequence';

export function createJsKernels(info: BackendInfo = { kernels: 'js', threads: 1 }): Kernels {
  return {
    info,
    gemm: gemmJs,
    conv2dForward: conv.conv2dForward,
    convTranspose2dForward: conv.convTranspose2dForward,
    conv2dWeightGrad: conv.conv2dWeightGrad,
    unary: elementwise.unary,
    binary: elementwise.binary,
    maskPositive: elementwise.maskPositive,
    compare: compare.compare,
    where: compare.where,
    scan: compare.scan,
    mapWith: elementwise.map,
    binaryWith: elementwise.binaryWith,
    conv2dTaps: conv.conv2dTaps,
    sum: reduce.sum,
    max: reduce.max,
    maxPool2d: pool.maxPool2d,
    avgPool2d: pool.avgPool2d,
    avgPool2dAdjoint: pool.avgPool2dAdjoint,
    gatherFlat: pool.gatherFlat,
    scatterAddFlat: pool.scatterAddFlat,
    stridedCopy: movement.stridedCopy,
    transpose: movement.transpose,
    gatherAxes: movement.gatherAxes,
    scatterAddAxes: movement.scatterAddAxes,
    concat: movement.concat,
    gatherAxis: indexing.gatherAxis,
    scatterAddAxis: indexing.scatterAddAxis,
    indexSelect: indexing.indexSelect,
    indexAdd: indexing.indexAdd,
    argsort: indexing.argsort,
    batchNormForward: normalization.batchNormForward,
    batchNormBackward: normalization.batchNormBackward,
    sgdStep,
    adamStep,
    rmspropStep,
    adagradStep,
    // the recurrent cells
    lstmCellForward: recurrent.lstmCellForward,
    lstmCellBackward: recurrent.lstmCellBackward,
    gruCellForward: recurrent.gruCellForward,
    gruCellBackward: recurrent.gruCellBackward,
    // GELU, fused
    gelu: activations.gelu,
    geluBackward: activations.geluBackward,
    // softmax, fused
    softmaxForward: softmax.softmaxForward,
    softmaxBackward: softmax.softmaxBackward,
    logSoftmaxForward: softmax.logSoftmaxForward,
    logSoftmaxBackward: softmax.logSoftmaxBackward,
    // scaled dot-product attention, fused
    attentionForward: attention.attentionForward,
    attentionBackward: attention.attentionBackward,
    // layer norm, fused
    layerNormForward: layerNorm.layerNormForward,
    layerNormBackward: layerNorm.layerNormBackward,
    // batched products, one gemm per entry
    gemmBatched: (a, aOffsets, b, bOffsets, out, m, k, n, transA, transB, addend = null) => {
      for (let t = 0; t < aOffsets.length; t++) gemmJs(a, aOffsets[t], b, bOffsets[t], out, t * m * n, m, k, n, false, transA, transB);
      if (addend !== null) addRepeating(out, 0, aOffsets.length * m * n, addend);
    },
    // an LSTM layer-direction's whole recurrence
    lstmSequenceForward: recurrentSequence.lstmSequenceForward,
    lstmSequenceBackward: recurrentSequence.lstmSequenceBackward,
    gruSequenceForward: recurrentSequence.gruSequenceForward,
    gruSequenceBackward: recurrentSequence.gruSequenceBackward,
  };
}

export const jsKernels: Kernels = createJsKernels();
