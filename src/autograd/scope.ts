/**
 * @file The module scope stack: nn pushes a frame around each module's forward, and every node
 * remembers the frame it was made in, so a graph can be drawn clustered by module.
 */

export interface ScopeFrame {
  /** Dotted path from the outermost module, e.g. `features.0`; '' for the root module. */
  readonly path: string;
  /** The module's class name, e.g. `Conv2d`. */
  readonly kind: string;
  readonly parent: ScopeFrame | null;
  /** 1 for the outermost module. */
  readonly depth: number;
  /** Distinguishes two calls of the same module. */
  readonly id: number;
}

let current: ScopeFrame | null = null;
let frames = 0;

export function currentScope(): ScopeFrame | null {
  return current;
}

export function withScope<T>(path: string, kind: string, fn: () => T): T {
  const before = current;
  current = { path, kind, parent: before, depth: before ? before.depth + 1 : 1, id: ++frames };
  try {
    return fn();
  } finally {
    current = before;
  }
}
