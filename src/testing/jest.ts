/**
 * @file `tapegrad/jest`: gradient checks as jest matchers, typed for jest's `expect`.
 *
 *     import 'tapegrad/jest';     // registers the matchers when jest's global expect is there
 *     expect((x, w) => tg.conv2d(x, w)).toPassGradcheck([x, w]);
 *     expect(fn).toPassGradgradcheck([x], { atol: 1e-4 });
 *
 * A failure prints the check's summary: the op to blame, the worst elements (analytic against
 * numeric, with indices) and a hint (src/autograd/gradcheck-report.ts). With another runner, or
 * jest's `@jest/globals`, pass `gradientMatchers` to `expect.extend` yourself.
 */
import { gradcheck, gradgradcheck } from '../autograd/gradcheck';
import type { GradcheckOptions, GradcheckResult } from '../autograd/gradcheck';
import type { Tensor } from '../tensor/tensor';
import { assertArguments } from './assert';

/** What a jest matcher returns. */
export interface GradientMatcherResult {
  pass: boolean;
  message(): string;
}

type Check = (fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradcheckOptions) => GradcheckResult;

function matcher(name: string, check: Check) {
  return function (fn: unknown, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradientMatcherResult {
    assertArguments(name, fn, inputs);
    const result = check(fn as (...inputs: Tensor[]) => Tensor, inputs, opts);
    const message = result.ok
      ? () => `expected fn not to pass ${name.replace(/^toPass/, '').toLowerCase()}, but it did:\n${String(result)}`
      : () => `${name}: ${String(result)}`;
    return { pass: result.ok, message };
  };
}

/** The matchers, for `expect.extend(gradientMatchers)`; importing this module registers them with jest's global expect. */
export const gradientMatchers = {
  toPassGradcheck: matcher('toPassGradcheck', (fn, inputs, opts) => gradcheck(fn, inputs, opts)),
  toPassGradgradcheck: matcher('toPassGradgradcheck', (fn, inputs, { order: _order, ...opts }) => gradgradcheck(fn, inputs, opts)),
};

declare global {
  // jest's own declarations (@types/jest) extend its matchers through this namespace.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // The type parameters must be exactly @types/jest's for the declarations to merge.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Matchers<R, T = {}> {
      /** The received function passes tg.gradcheck at `inputs` (a failure prints the blamed op, the worst elements, a hint). */
      toPassGradcheck(inputs: readonly Tensor[], opts?: GradcheckOptions): R;
      /** The received function passes tg.gradgradcheck at `inputs`. */
      toPassGradgradcheck(inputs: readonly Tensor[], opts?: Omit<GradcheckOptions, 'order'>): R;
    }
  }
}

const host = globalThis as unknown as { expect?: { extend?: (matchers: object) => void } };
if (host.expect !== undefined && typeof host.expect.extend === 'function') host.expect.extend(gradientMatchers);
