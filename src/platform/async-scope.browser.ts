/**
 * @file The browser's async scope: none (browsers have no AsyncLocalStorage yet), so the autograd
 * modes refuse a function that returns a promise (Note [async modes] in src/autograd/mode.ts).
 */
import type { AsyncScope } from './async-scope';

export type { AsyncScope } from './async-scope';

export function createAsyncScope<T>(): AsyncScope<T> | null {
  return null;
}
