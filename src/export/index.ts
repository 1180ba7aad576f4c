/** @file tg.export: a model as a program of another framework (SPEC §17): PyTorch. */
// Every Tensor method exists once any layer is loaded (Note [methods installed in one place]).
import '../ops/tensor-methods';
export { toTorch } from './torch';
export type { ToTorchOptions, TorchExport } from './torch';
