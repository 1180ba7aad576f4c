/**
 * @file Argument checks the layer ops share (convolution and pooling): a spatial option as one
 * integer per axis, and a tensor argument, each with an error naming the op and the shapes.
 */
import { Tensor } from '../tensor/tensor';

/** One number for every spatial axis, or one number per axis. */
export type SpatialOption = number | readonly number[];

/**
 * A spatial option (stride, padding, …) as one integer ≥ `min` per axis; `context` names the shapes
 * for the error message.
 */
export function spatialOption(
  op: string,
  name: string,
  value: SpatialOption | undefined,
  dims: number,
  fallback: number,
  min: number,
  context: () => string,
): number[] {
  const what = min > 0 ? 'positive integers' : 'non-negative integers';
  if (value === undefined) return new Array<number>(dims).fill(fallback);
  if (!Array.isArray(value) && typeof value !== 'number') {
    throw new Error(`${op}: ${name} must be a number or ${dims} numbers, got ${String(value)} (${context()})`);
  }
  const list = typeof value === 'number' ? new Array<number>(dims).fill(value) : [...value];
  if (list.length !== dims) {
    throw new Error(`${op}: ${name} must be a number or ${dims} numbers, got ${JSON.stringify(value)} (${context()})`);
  }
  if (!list.every((v) => Number.isInteger(v) && v >= min)) {
    throw new Error(`${op}: ${name} must be ${what}, got ${JSON.stringify(value)} (${context()})`);
  }
  return list;
}

export function checkTensor(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  return x;
}

/**
 * Throws on an option the op (or layer, optimiser, scheduler) does not take, naming it and listing
 * its own: a PyTorch option tapegrad does not have (ceilMode, paddingMode) or a misspelling must not
 * silently be the default. `ignored` options are taken without effect (PyTorch's switches for its
 * own fast paths) and not listed; an option set to undefined is as good as absent.
 */
export function rejectUnknownOptions(
  op: string,
  opts: unknown,
  known: readonly string[],
  context?: () => string,
  ignored: readonly string[] = [],
): void {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) return;
  for (const [key, value] of Object.entries(opts)) {
    if (value === undefined || known.includes(key) || ignored.includes(key)) continue;
    throw new Error(`${op}: unknown option '${key}' (options: ${known.join(', ')})${context ? ` (${context()})` : ''}`);
  }
}
