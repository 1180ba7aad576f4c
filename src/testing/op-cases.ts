/** @file The op table: every family's gradient cases, in one list. */
import type { OpCase } from './op-case';
import { coreCases } from './cases/core';
import { learningCases } from './cases/learning';
import { convCases } from './cases/conv';
import { layersExtCases } from './cases/layers-ext';
import { shapeOpCases } from './cases/shape-ops';
import { recurrentCases } from './cases/recurrent';

export type { OpCase } from './op-case';

export const opCases: readonly OpCase[] = [
  ...coreCases,
  ...learningCases,
  ...convCases,
  ...shapeOpCases,
  ...layersExtCases,
  ...recurrentCases,
];
