/**
 * @file A value that follows one asynchronous task across its awaits and into the tasks it starts,
 * and no other (Node's AsyncLocalStorage). The browser build swaps in async-scope.browser.ts, which
 * has none: there the autograd modes refuse async functions instead (Note [async modes] in
 * src/autograd/mode.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface AsyncScope<T> {
  /** Runs fn with `value` as the scope's value, for fn's synchronous part and every continuation it schedules. */
  run<R>(value: T, fn: () => R): R;
  /** The value of the innermost run around the current task, if any. */
  get(): T | undefined;
}

export function createAsyncScope<T>(): AsyncScope<T> | null {
  const storage = new AsyncLocalStorage<T>();
  return { run: (value, fn) => storage.run(value, fn), get: () => storage.getStore() };
}
