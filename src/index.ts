/**
 * @file tapegrad's public API (../SPEC.md): everything is importable from here.
 */
export * from './tensor';
export { Rng, rng, manualSeed } from './random/rng';
export * from './autograd';
export * from './ops';
