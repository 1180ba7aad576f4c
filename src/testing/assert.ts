/**
 * @file `tg.testing`: gradient checks that throw, as PyTorch's gradcheck raises by default — so a
 * test reads `tg.testing.assertGradcheck(fn, [x, w])` and, when a rule is wrong, fails with a message
 * that names the op to blame, the worst elements (analytic against numeric, with their indices) and
 * a hint (Note [a result that reads] in src/autograd/gradcheck-report.ts).
 */
import { gradcheck, gradgradcheck } from '../autograd/gradcheck';
import type { GradcheckOptions, GradcheckResult } from '../autograd/gradcheck';
import { isTensor, type Tensor } from '../tensor/tensor';

/** The options of assertGradcheck: gradcheck's (eps, atol, rtol, fastMode, order, …). */
export type AssertGradcheckOptions = GradcheckOptions;

/** Throws unless fn is a function and inputs an array of tensors (the assertions' and matchers' first check). */
export function assertArguments(op: string, fn: unknown, inputs: unknown): asserts inputs is readonly Tensor[] {
  if (typeof fn !== 'function') throw new Error(`${op}: fn must be a function of the input tensors, got ${typeof fn}`);
  if (!Array.isArray(inputs)) throw new Error(`${op}: inputs must be an array of tensors, got ${typeof inputs}`);
  const bad = inputs.findIndex((x) => !isTensor(x));
  if (bad >= 0) throw new Error(`${op}: inputs[${bad}] is not a Tensor (got ${typeof inputs[bad]})`);
}

/** The Error an assertion throws: its message is the result's summary; the result rides along. */
function failure(op: string, result: GradcheckResult): Error & { result: GradcheckResult } {
  return Object.assign(new Error(`${op}: ${String(result)}`), { result });
}

/**
 * tg.gradcheck, throwing when it fails: the Error's message shows the blamed op, the worst elements
 * and a hint; its `result` field is gradcheck's result. Returns the result when the check passes.
 */
export function assertGradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: AssertGradcheckOptions = {},
): GradcheckResult {
  assertArguments('assertGradcheck', fn, inputs);
  const result = gradcheck(fn, inputs, opts);
  if (!result.ok) throw failure('assertGradcheck', result);
  return result;
}

/** tg.gradgradcheck, throwing when it fails, as assertGradcheck. */
export function assertGradgradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: Omit<AssertGradcheckOptions, 'order'> = {},
): GradcheckResult {
  assertArguments('assertGradgradcheck', fn, inputs);
  const result = gradgradcheck(fn, inputs, opts);
  if (!result.ok) throw failure('assertGradgradcheck', result);
  return result;
}
