/** @file tg.export: a model as a program of another framework (SPEC §17): PyTorch. */
export { toTorch } from './torch';
export type { ToTorchOptions, TorchExport } from './torch';
