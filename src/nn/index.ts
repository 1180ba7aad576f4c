/** @file tg.nn: modules, layers, initialisation and model files (SPEC §7). */
export { Module, parameter } from './module';
export type { AnyModule } from './module';
export type { StateDict, LoadStateDictOptions } from './module';
export { Linear, Dropout, BatchNorm1d, BatchNorm2d, ReLU, Tanh, Sigmoid, Flatten, Sequential } from './layers';
export type { LinearOptions, BatchNormLayerOptions } from './layers';
export { Conv1d, Conv2d, MaxPool2d, AvgPool2d, MaxPool1d, AvgPool1d } from './conv';
export type { ConvLayerOptions } from './conv';
export { kaimingUniformBound, biasBound, uniformParameter } from './init';
export type { InitOptions } from './init';
export { save, load, stateDictToJson, stateDictFromJson } from './serialize';
export * as init from './initializers';
export * as utils from './utils';
