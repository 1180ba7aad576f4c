/** @file tg.optim: optimisers with torch.optim's update rules (SPEC §7, §16). */
// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import '../ops/tensor-methods';
export { Optimizer } from './optimizer';
export type { ParamGroup, ParamGroupInput, Params, OptimizerStateDict, StateTensor } from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export { Adagrad } from './adagrad';
export type { AdagradOptions } from './adagrad';
export * as lrScheduler from './lr-scheduler';
