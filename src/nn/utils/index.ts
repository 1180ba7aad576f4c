/** @file tg.nn.utils, as torch.nn.utils: `rnn` (packed sequences), gradient clipping. */
export * as rnn from './rnn';
export { clipGradNorm_, clipGradValue_ } from './clip';
export type { ClipGradNormOptions } from './clip';
