/**
 * @file One row of the op table that drives gradient tests (tests/gradcheck-table.test.ts) and
 * `tapegrad gradcheck`: a function of some tensors and the inputs to check it at. Which primitives
 * it exercises is measured from its graphs (op-coverage.ts), not declared.
 */
import { lookupPrimitive, Primitive } from '../autograd/primitive';
import type { PrimitiveName } from '../ops/names';
import type { Tensor } from '../tensor/tensor';

export interface OpCase {
  /** Shown in test names and the CLI table, e.g. `conv2d stride=2 pad=1`. */
  name: string;
  /** Fresh inputs (any dtype: gradcheck copies them to float64); those with requiresGrad are checked. */
  inputs: () => Tensor[];
  fn: (...xs: Tensor[]) => Tensor;
  /** Highest derivative order to check: 2 unless the op is only piecewise linear in a way that makes order 2 meaningless. */
  order?: 1 | 2;
}

/** One of tapegrad's own primitives by its (checked) name, for cases that call a primitive directly. */
export function builtin(name: PrimitiveName): Primitive<any, any> {
  return lookupPrimitive(name);
}
