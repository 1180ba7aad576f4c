/**
 * @file Anomaly mode (SPEC §11 `detectAnomaly`): while it is on, each recorded node keeps the JS stack
 * where its op was called, and the first op whose forward output or backward gradient holds NaN or
 * ±Infinity throws an Error naming the op, its input shapes, the pass and that stack.
 *
 * Note [anomaly cost]: when the mode is off — every normal run — the only cost is one integer test
 * per op and per rule (`currentModes().anomaly > 0`); no stack is captured and no value is scanned.
 */
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { currentModes, withModes } from './mode';
import type { Node } from './node';

/** >0 while a backward rule runs: its inner ops are not checked one by one; its result is (checkBackward). */
let ruleDepth = 0;

export function isAnomalyEnabled(): boolean {
  return currentModes().anomaly > 0;
}

/** Runs a backward rule so that a non-finite value it makes is reported as that rule's, not as a forward op's. */
export function insideRule<T>(fn: () => T): T {
  ruleDepth++;
  try {
    return fn();
  } finally {
    ruleDepth--;
  }
}

/**
 * Runs fn with anomaly detection on (nested calls are fine); returns what fn returns. An async fn
 * keeps the mode across its awaits, for its own task only (Note [async modes] in mode.ts).
 */
export function detectAnomaly<T>(fn: () => T): T {
  return withModes('detectAnomaly', { anomaly: currentModes().anomaly + 1 }, fn);
}

/**
 * The stack of the op call that is recording a node. Capturing it is cheap; formatting it is not,
 * so the Error is kept and its text made only when an anomaly is reported (formatStack).
 */
export function creationStack(): Error {
  return new Error('op created');
}

/** The captured stack as text: the frames outside tapegrad's own engine. */
export function formatStack(captured: Error): string {
  const stack = captured.stack ?? '';
  return stack
    .split('\n')
    .slice(1)
    .filter((line) => !/[\\/](autograd)[\\/](anomaly|primitive)\.[jt]s/.test(line))
    .join('\n');
}

function firstNonFinite(t: Tensor): number {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
}

function describeValue(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** Throws if the forward output of `op` holds a non-finite value (anomaly mode only). */
export function checkForward(op: string, inputs: readonly Tensor[], y: Tensor, stack: Error): void {
  if (ruleDepth > 0) return;
  const at = firstNonFinite(y);
  if (at < 0) return;
  throw new Error(
    `detectAnomaly: ${op} (inputs ${inputs.map((x) => fmt(x.shape)).join(', ') || 'none'}) produced ${describeValue(y.data[at])} ` +
      `in its forward output ${fmt(y.shape)} at element ${at}; the op was called at\n${formatStack(stack)}`,
  );
}

/** Throws if a backward rule returned a non-finite gradient (anomaly mode only). */
export function checkBackward(node: Node, output: Tensor, index: number, g: Tensor): void {
  const at = firstNonFinite(g);
  if (at < 0) return;
  throw new Error(
    `detectAnomaly: the backward of ${node.op} (node #${node.id}, inputs ${node.inputs.map((x) => fmt(x.shape)).join(', ')}, ` +
      `output ${fmt(output.shape)}) returned ${describeValue(g.data[at])} in the gradient of input ${index} at element ${at}; ` +
      `the op was called at\n${node.stack ?? '(no stack: the node was recorded outside detectAnomaly)'}`,
  );
}
