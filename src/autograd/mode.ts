/**
 * @file The autograd modes: whether ops record nodes (on by default, off inside noGrad and during a
 * plain backward) and whether anomaly detection is on (detectAnomaly, in anomaly.ts).
 *
 * Note [async modes]: `noGrad(async () => …)` must keep the mode across its awaits for its own task
 * and never lend it to tasks that happen to run meanwhile (a mode in a plain global, switched on
 * entry and off when the promise settles, would leak into every unrelated task interleaved with it).
 * In Node every mode change runs fn inside an AsyncLocalStorage scope, so the mode follows fn's task
 * and the tasks fn starts, and nothing else. Browsers have no AsyncLocalStorage: there the modes are
 * a global switched around a synchronous fn, and a fn that is async or returns a promise is refused
 * with an error that says to keep the mode inside each synchronous step.
 */
import { createAsyncScope } from '../platform/async-scope';

/** The modes in force for the current task. */
export interface Modes {
  /** Ops record nodes. */
  grad: boolean;
  /** detectAnomaly calls around the current task (nested calls count). */
  anomaly: number;
}

const outside: Modes = { grad: true, anomaly: 0 };
const scope = createAsyncScope<Modes>();
/** The browser fallback's modes (Note [async modes]); unused where a scope exists. */
let global: Modes = outside;

export function currentModes(): Modes {
  return scope === null ? global : (scope.get() ?? outside);
}

function isThenable(v: unknown): boolean {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

const ASYNC_REFUSED = (name: string) =>
  `${name}: this JavaScript runtime has no AsyncLocalStorage, so the mode cannot follow an async function across its awaits ` +
  `without leaking into other tasks; call ${name} around each synchronous step instead (e.g. await load(); ${name}(() => model.forward(x)))`;

/** Runs fn with the modes `change` makes of the current ones (Note [async modes]). `name` is the caller, for errors. */
export function withModes<T>(name: string, change: Partial<Modes>, fn: () => T): T {
  const next: Modes = { ...currentModes(), ...change };
  if (scope !== null) return scope.run(next, fn);
  if (fn.constructor?.name === 'AsyncFunction') throw new Error(ASYNC_REFUSED(name));
  const before = global;
  global = next;
  let result: T;
  try {
    result = fn();
  } finally {
    global = before;
  }
  if (isThenable(result)) throw new Error(ASYNC_REFUSED(name));
  return result;
}

export function isGradEnabled(): boolean {
  return currentModes().grad;
}

export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  return withModes(enabled ? 'enableGrad' : 'noGrad', { grad: enabled }, fn);
}

/** Runs fn without recording: results have no node and requiresGrad false. Async fns keep the mode across awaits (Note [async modes]). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
