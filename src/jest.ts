/**
 * @file `tapegrad/jest`, the package's entry for jest users: importing it registers the gradient
 * matchers (`expect(fn).toPassGradcheck(inputs, opts)`, `toPassGradgradcheck`) and declares them
 * for jest's `expect` types. The matchers live in src/testing/jest.ts.
 */
export { gradientMatchers } from './testing/jest';
export type { GradientMatcherResult } from './testing/jest';
