/** @file `tg.testing` as the package publishes it: gradient checks that throw with a readable message. */
export { assertGradcheck, assertGradgradcheck } from './assert';
export type { AssertGradcheckOptions } from './assert';
