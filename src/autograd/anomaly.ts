/**
 * @file Anomaly mode (SPEC §11 `detectAnomaly`): while it is on, each recorded node keeps the JS stack
 * where its op was called, and the first op whose forward output or backward gradient holds NaN or
 * ±Infinity throws an Error naming the op, its input shapes, the pass and that stack.
 *
 * Note [anomaly cost]: when the mode is off — every normal run — the only cost is one integer test
 * per op and per rule (`currentModes().anomaly > 0`); no stack is captured and no value is scanned.
 *
 * Note [blame the producer]: a NaN travels. The op that *receives* one (a matmul fed a NaN, or a
 * backward rule whose saved input holds one) is not where it was made, and naming it sends the
 * user to the wrong line. So before an op is named, its inputs (forward) or its forward values
 * (backward) are checked: when they already hold the non-finite value, the graph is walked back,
 * inputs first, to the first tensor that holds one although every input of its op is finite — the
 * op that produced it (recorded before the mode was on, or made under noGrad so not checked), or a
 * tensor no op made (data). Only when the op's own inputs are finite is the op itself to blame.
 *
 * Note [the user's line]: V8 keeps 10 frames of a stack by default, and a composite op (crossEntropy
 * → logSoftmax → … → Primitive.apply) spends them all inside tapegrad, so the caller's line was cut
 * off. While the mode is on, Error.stackTraceLimit is raised, and a formatted stack drops the frames
 * of tapegrad's own files (its src/ or dist/ folder, or the browser bundle) and Node's internals,
 * leaving the user's code.
 */
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { currentModes, withModes } from './mode';
import type { Node } from './node';
import { postOrder } from './walk';

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

/** Frames kept while anomaly mode is on (Note [the user's line]). */
const ANOMALY_STACK_FRAMES = 200;
/** detectAnomaly calls not yet finished, in any task: the stack limit is process-wide, the mode is not. */
let active = 0;
let stackLimitBefore: number | undefined;

function enter(): void {
  if (active++ === 0) {
    stackLimitBefore = Error.stackTraceLimit;
    Error.stackTraceLimit = Math.max(Error.stackTraceLimit, ANOMALY_STACK_FRAMES);
  }
}

function leave(): void {
  if (--active === 0 && stackLimitBefore !== undefined) {
    Error.stackTraceLimit = stackLimitBefore;
    stackLimitBefore = undefined;
  }
}

/**
 * Runs fn with anomaly detection on (nested calls are fine); returns what fn returns. An async fn
 * keeps the mode across its awaits, for its own task only (Note [async modes] in mode.ts); the
 * raised stack limit lasts until it settles.
 */
export function detectAnomaly<T>(fn: () => T): T {
  enter();
  let result: T;
  try {
    result = withModes('detectAnomaly', { anomaly: currentModes().anomaly + 1 }, fn);
  } catch (e) {
    leave();
    throw e;
  }
  if (result instanceof Promise) return result.finally(leave) as T;
  leave();
  return result;
}

/**
 * The stack of the op call that is recording a node. Capturing it is cheap; formatting it is not,
 * so the Error is kept and its text made only when an anomaly is reported (formatStack).
 */
export function creationStack(): Error {
  return new Error('op created');
}

/**
 * Where tapegrad's own code lives, read from this file's place in a stack: the folder above
 * autograd/ (src/ or dist/cjs/), or — in the browser bundle, where every module shares one file — that file.
 */
const LIBRARY_LOCATION: string | null = (() => {
  const frame = (new Error().stack ?? '').split('\n')[1] ?? '';
  const file = /\(?((?:file:\/\/|\/|[A-Za-z]:\\|https?:\/\/)[^()]*?):\d+:\d+\)?\s*$/.exec(frame)?.[1];
  if (file === undefined) return null;
  const inTree = /^(.*[\\/])autograd[\\/]anomaly\.[cm]?[jt]s$/.exec(file);
  return inTree !== null ? inTree[1] : file;
})();

/** Whether a stack line is a frame of tapegrad itself or of Node's internals (Note [the user's line]). */
function isInternalFrame(line: string): boolean {
  if (/\(node:|at node:|\(internal\//.test(line)) return true;
  if (LIBRARY_LOCATION !== null) return line.includes(LIBRARY_LOCATION);
  return /[\\/]autograd[\\/](anomaly|primitive)\.[jt]s/.test(line);
}

/** The captured stack as text: the frames outside tapegrad (all of them if none is). */
export function formatStack(captured: Error): string {
  const frames = (captured.stack ?? '').split('\n').slice(1);
  const own = frames.filter((line) => !isInternalFrame(line));
  return (own.length > 0 ? own : frames).join('\n');
}

function firstNonFinite(t: Tensor): number {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
}

function describeValue(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

const NO_STACK = '(not recorded: the op ran outside detectAnomaly)';

/** A tensor's first non-finite element as text, e.g. `NaN at element 3`, or null when all are finite. */
function nonFinite(t: Tensor): string | null {
  const at = firstNonFinite(t);
  return at < 0 ? null : `${describeValue(t.data[at])} at element ${at}`;
}

/**
 * Where the non-finite values among `from`'s history began (Note [blame the producer]): walking the
 * recorded graph inputs first, the first tensor that holds one while every input of its op is finite.
 */
function findProducer(from: readonly Tensor[]): { t: Tensor; node: Node | null } | null {
  let found: { t: Tensor; node: Node | null } | null = null;
  const bad = new Map<Tensor, boolean>();
  const holds = (t: Tensor) => {
    let b = bad.get(t);
    if (b === undefined) bad.set(t, (b = firstNonFinite(t) >= 0));
    return b;
  };
  postOrder(
    from,
    (t) => (found === null && t.node !== null ? t.node.inputs : []),
    (t) => {
      if (found !== null || !holds(t)) return;
      if (t.node === null || t.node.inputs.every((x) => !holds(x))) found = { t, node: t.node };
    },
  );
  return found;
}

/** The sentence that names the producer found by findProducer, with where it was called. */
function describeProducer(p: { t: Tensor; node: Node | null }): string {
  const { t, node } = p;
  if (node === null) {
    const name = t.name ? ` '${t.name}'` : '';
    return (
      `the tensor${name} ${fmt(t.shape)} already holds ${nonFinite(t)} and no op recorded in the graph made it ` +
      '(a leaf made from data, or computed with gradients off): check where its values come from'
    );
  }
  return (
    `${node.op} (node #${node.id}, inputs ${node.inputs.map((x) => fmt(x.shape)).join(', ') || 'none'}) produced ${nonFinite(t)} ` +
    `in its forward output ${fmt(t.shape)}; the op was called at\n${node.stack ?? NO_STACK}`
  );
}

/** Throws if the forward output of `op` holds a non-finite value (anomaly mode only), naming its producer. */
export function checkForward(op: string, inputs: readonly Tensor[], y: Tensor, stack: Error): void {
  if (ruleDepth > 0) return;
  const at = firstNonFinite(y);
  if (at < 0) return;
  const shapes = inputs.map((x) => fmt(x.shape)).join(', ') || 'none';
  const received = inputs.findIndex((x) => firstNonFinite(x) >= 0);
  if (received >= 0) {
    const producer = findProducer([inputs[received]])!;
    throw new Error(
      `detectAnomaly: ${describeProducer(producer)}\n` +
        `(found when ${op} (inputs ${shapes}) received it in its input ${received}; ${op} was called at\n${formatStack(stack)})`,
    );
  }
  throw new Error(
    `detectAnomaly: ${op} (inputs ${shapes}) produced ${describeValue(y.data[at])} ` +
      `in its forward output ${fmt(y.shape)} at element ${at}; the op was called at\n${formatStack(stack)}`,
  );
}

/**
 * Throws if a backward rule returned a non-finite gradient (anomaly mode only). When the rule's
 * forward values already hold one, their producer is named instead (Note [blame the producer]);
 * when the incoming gradient does, the seed is.
 */
export function checkBackward(node: Node, output: Tensor, index: number, g: Tensor, gy?: Tensor): void {
  const at = firstNonFinite(g);
  if (at < 0) return;
  const where = `the backward of ${node.op} (node #${node.id}) returned ${describeValue(g.data[at])} in the gradient of input ${index}`;
  const producer = findProducer([...node.inputs, output]);
  if (producer !== null) throw new Error(`detectAnomaly: ${describeProducer(producer)}\n(found during backward: ${where})`);
  if (gy !== undefined && firstNonFinite(gy) >= 0) {
    throw new Error(
      `detectAnomaly: the gradient flowing into ${node.op} (node #${node.id}, output ${fmt(output.shape)}) already holds ` +
        `${nonFinite(gy)}: it came in with backward's or grad's gradient argument (${where})`,
    );
  }
  throw new Error(
    `detectAnomaly: the backward of ${node.op} (node #${node.id}, inputs ${node.inputs.map((x) => fmt(x.shape)).join(', ')}, ` +
      `output ${fmt(output.shape)}) returned ${describeValue(g.data[at])} in the gradient of input ${index} at element ${at}; ` +
      `the op was called at\n${node.stack ?? '(no stack: the node was recorded outside detectAnomaly)'}`,
  );
}
