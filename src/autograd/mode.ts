/** @file Whether ops record nodes: on by default, off inside noGrad and during a plain backward. */

let recording = true;

export function isGradEnabled(): boolean {
  return recording;
}

export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const before = recording;
  recording = enabled;
  try {
    return fn();
  } finally {
    recording = before;
  }
}

/** Runs fn without recording: results have no node and requiresGrad false. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
