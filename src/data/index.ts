/** @file tg.data: the bundled digits, MNIST-format files, batching, splitting and augmentation (SPEC §8); datasets, the DataLoader and transforms (SPEC §16). */
// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import '../ops/tensor-methods';
export { loadDigits } from './digits';
export { loadIdx, parseIdx } from './idx';
export { batches, gather, trainTestSplit } from './dataset';
export type { ImageSet, ImageDataset, BatchOptions, SplitOptions } from './dataset';
export * as augment from './augment';

// Datasets and the DataLoader, as torch.utils.data (SPEC §16).
export { TensorDataset, Subset, randomSplit, DataLoader, defaultCollate } from './loader';
export type { Dataset, Collated, DataLoaderOptions, RandomSplitOptions } from './loader';
export * as transforms from './transforms';
export { loadCifar10, imageFolder, ImageFolder } from './images';
export type { ImageFolderOptions } from './images';
