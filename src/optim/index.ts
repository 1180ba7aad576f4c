/** @file tg.optim: optimisers with torch.optim's update rules (SPEC §7). */
export { Optimizer } from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam } from './adam';
export type { AdamOptions } from './adam';
