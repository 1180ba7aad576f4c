/** @file tg.data: the bundled digits, MNIST-format files, batching, splitting and augmentation (SPEC §8). */
export { loadDigits } from './digits';
export { loadIdx, parseIdx } from './idx';
export { batches, gather, trainTestSplit } from './dataset';
export type { Dataset, BatchOptions, SplitOptions } from './dataset';
export * as augment from './augment';
