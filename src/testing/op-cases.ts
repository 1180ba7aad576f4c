/** @file The op table: every family's gradient cases, in one list. */
import type { OpCase } from './op-case';
import { coreCases } from './cases/core';
import { learningCases } from './cases/learning';
import { convCases } from './cases/conv';
import { indexingCases } from './cases/indexing';
import { layersExtCases } from './cases/layers-ext';
import { mathCases } from './cases/math';
import { recurrentCases } from './cases/recurrent';
import { shapeOpCases } from './cases/shape-ops';
import { recurrentCellCases } from './cases/recurrent-cells';
import { fusedCases } from './cases/fused';
import { recurrentSequenceCases } from './cases/recurrent-sequence';

export type { OpCase } from './op-case';

export const opCases: readonly OpCase[] = [
  ...coreCases,
  ...learningCases,
  ...convCases,
  ...indexingCases,
  // Activations, normalisation, losses, resampling (SPEC §15).
  ...layersExtCases,
  ...mathCases,
  ...recurrentCases,
  ...shapeOpCases,
  ...recurrentCellCases,
  // The transformer path's fused primitives (issue 29).
  ...fusedCases,
  ...recurrentSequenceCases,
];
