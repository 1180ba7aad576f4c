/**
 * @file tapegrad's public API (../SPEC.md): everything is importable from here.
 */
export * from './tensor';
export { Rng, rng, manualSeed } from './random/rng';
export * from './autograd';
export * from './ops';
export * as nn from './nn';
export * as optim from './optim';
export * as data from './data';
export * as viz from './viz';
