/**
 * @file The scope stack: nn pushes a frame around each module's forward, composite ops (conv1d,
 * crossEntropy, batch norm, …) push one around their body, and every node remembers the frame it was
 * made in — so a graph can be drawn clustered by module, with each composite as one node named as
 * the user called it (Note [composite scopes]).
 *
 * Note [composite scopes]: an op written as a composition of primitives (conv1d is a reshape, a
 * conv2d and a reshape; crossEntropy a dozen) records those primitives — that is what backward
 * runs. A drawing should still show what the user called. `composite(name, attrs, inputs, fn)` runs
 * fn in a frame marked as a composite: it takes no part in module paths (its path is its module's)
 * or depths, and toDot draws everything recorded inside it as one node `name attrs`, unless asked to
 * expand it. Nested composites fold into the outermost.
 */
import type { Tensor } from '../tensor/tensor';

/** What marks a frame as a composite op's (Note [composite scopes]). */
export interface CompositeInfo {
  /** The op as the user called it, e.g. `conv1d`. */
  readonly op: string;
  /** Its attributes in words, e.g. `stride=2 pad=1`; '' when none. */
  readonly attrs: string;
  /** Its tensor arguments, in order (edges into its node are numbered by them). */
  readonly inputs: readonly Tensor[];
}

export interface ScopeFrame {
  /** Dotted path from the outermost module, e.g. `features.0`; '' for the root module. */
  readonly path: string;
  /** The module's class name, e.g. `Conv2d` (a composite's op name). */
  readonly kind: string;
  readonly parent: ScopeFrame | null;
  /** 1 for the outermost module; a composite has its module's depth (0 outside any). */
  readonly depth: number;
  /** Distinguishes two calls of the same module. */
  readonly id: number;
  /** Set on a composite op's frame (Note [composite scopes]). */
  readonly composite?: CompositeInfo;
  /** A module's own parameters and buffers with their state-dict names (`0.weight`), read when a graph is drawn. */
  readonly tensorNames?: () => readonly (readonly [string, Tensor])[];
}

let current: ScopeFrame | null = null;
let frames = 0;

export function currentScope(): ScopeFrame | null {
  return current;
}

function run<T>(frame: ScopeFrame, fn: () => T): T {
  const before = current;
  current = frame;
  try {
    return fn();
  } finally {
    current = before;
  }
}

export function withScope<T>(path: string, kind: string, fn: () => T, tensorNames?: () => readonly (readonly [string, Tensor])[]): T {
  const parent = current;
  const depth = parent === null ? 1 : parent.depth + 1;
  return run({ path, kind, parent, depth, id: ++frames, ...(tensorNames !== undefined ? { tensorNames } : {}) }, fn);
}

/** Runs a composite op's body in its own frame, so graphs draw it as one node (Note [composite scopes]). */
export function composite<T>(op: string, attrs: string, inputs: readonly (Tensor | null | undefined)[], fn: () => T): T {
  const parent = current;
  const info: CompositeInfo = { op, attrs, inputs: inputs.filter((x): x is Tensor => x !== null && x !== undefined) };
  return run({ path: parent?.path ?? '', kind: op, parent, depth: parent?.depth ?? 0, id: ++frames, composite: info }, fn);
}
