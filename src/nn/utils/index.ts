/** @file tg.nn.utils: helpers around training (torch.nn.utils). */
export { clipGradNorm_, clipGradValue_ } from './clip';
export type { ClipGradNormOptions } from './clip';
