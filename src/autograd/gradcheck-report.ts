/**
 * @file What gradcheck and gradgradcheck return, readable when printed: `String(result)` (and the
 * message of `tg.testing.assertGradcheck`'s Error) says pass or fail, the errors, the op to blame,
 * the worst elements — analytic against numeric, with their indices — and a hint where to look.
 *
 * Note [a result that reads]: `expect(r.ok).toBe(true)` fails with "expected true, received false",
 * which says nothing; PyTorch's gradcheck raises with the numbers. The result stays a plain record
 * (its fields are SPEC §6/§11's), with the text on its prototype, so `toEqual`/`toMatchObject` on
 * it behave as on an object literal and printing it (template strings, console.log via String)
 * gives the summary instead of `[object Object]`.
 */
import { fmt } from '../tensor/shape';

/** The node whose own rule is wrong (Note [blame] in gradcheck.ts). */
export interface Blame {
  op: string;
  nodeId: number;
  /** Which of the node's inputs got the wrong gradient. */
  inputIndex: number;
  inputShapes: number[][];
  maxAbsError: number;
}

/** One failing comparison, among the worst of a check. */
export interface WorstElement {
  /** Where, as in `failures`: e.g. `input 0 [2,3] element 5`, or `random direction 0`. */
  where: string;
  /** The element's index in its input's shape (e.g. [1, 2]); null for a random-direction check. */
  index: number[] | null;
  analytic: number;
  numeric: number;
  absError: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  failures: string[];
  /** Points where the function has a kink and the analytic value is one of its one-sided derivatives (Note [kinks]). */
  kinks: string[];
  /** On failure, the node to blame (Note [blame]); null when every rule passes on its own, or when ok. */
  blame: Blame | null;
  /** The failing comparisons with the largest errors, largest first (at most 5); empty when ok. */
  worst: WorstElement[];
}

/** How a result prints: which check made it, and how many comparisons it ran. */
export interface CheckContext {
  /** `gradcheck`, `gradgradcheck` or `gradcheck (order 2)`. */
  check: string;
  compared: number;
  failed: number;
  fastMode: boolean;
}

const num = (v: number) =>
  Number.isFinite(v) && v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6) ? v.toExponential(3) : String(+v.toPrecision(6));

/** The hint at the end of a failure: where to look next. */
function hint(r: GradcheckResult, c: CheckContext): string {
  if (r.blame !== null) {
    const b = r.blame;
    return (
      `the backward rule of ${b.op} is wrong for its input ${b.inputIndex}: compare it with the derivative of its forward, ` +
      'and check that it multiplies by the incoming gradient gy (and, at order 2, is written with differentiable ops); ' +
      '`tapegrad gradcheck --script FILE.ts` draws the graph with the op in red'
    );
  }
  return (
    'every op passes its own check, so the fault is in how fn uses them: a non-differentiable step (a comparison, ' +
    'rounding, argmax or .data read inside fn), state that changes between calls (dropout without a fixed rng, batch ' +
    'norm in training mode), or values computed in float32 inside fn (gradcheck works in float64)' +
    (c.fastMode ? '; fastMode compares along random directions, so run without it to see single elements' : '')
  );
}

/** The summary text of a result (Note [a result that reads]). */
export function describeResult(r: GradcheckResult, c: CheckContext): string {
  const errors = `max abs error ${num(r.maxAbsError)}, max rel error ${num(r.maxRelError)}`;
  const what = `${c.compared} comparison${c.compared === 1 ? '' : 's'}${c.fastMode ? ' along random directions' : ''}`;
  const kinks =
    r.kinks.length === 0
      ? []
      : [
          `  kinks (one-sided derivatives differ; not failures): ${r.kinks[0]}${r.kinks.length > 1 ? ` (+${r.kinks.length - 1} more)` : ''}`,
        ];
  if (r.ok) return [`${c.check} passed: ${what}, ${errors}`, ...kinks].join('\n');
  const lines = [`${c.check} failed: ${c.failed} of ${what} disagree (${errors})`];
  if (r.blame !== null) {
    const b = r.blame;
    lines.push(
      `  blamed op: ${b.op} (node #${b.nodeId}, inputs ${b.inputShapes.map((s) => fmt(s)).join(', ')}): its own backward ` +
        `disagrees with finite differences of its forward for input ${b.inputIndex} (max abs error ${num(b.maxAbsError)})`,
    );
  } else {
    lines.push('  blamed op: none (every op of the graph passes its own check)');
  }
  lines.push('  worst elements (analytic vs numeric):');
  for (const w of r.worst) {
    const at = w.index === null ? '' : ` at ${fmt(w.index)}`;
    lines.push(`    ${w.where}${at}: analytic ${num(w.analytic)} vs numeric ${num(w.numeric)} (abs error ${num(w.absError)})`);
  }
  if (c.failed > r.worst.length) lines.push(`    … and ${c.failed - r.worst.length} more`);
  lines.push(...kinks, `  hint: ${hint(r, c)}`);
  return lines.join('\n');
}

/** A gradcheck result whose `toString()` is its summary (Note [a result that reads]). */
export class GradcheckReport implements GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  failures: string[];
  kinks: string[];
  blame: Blame | null;
  worst: WorstElement[];
  readonly #context: CheckContext;

  constructor(fields: GradcheckResult, context: CheckContext) {
    this.ok = fields.ok;
    this.maxAbsError = fields.maxAbsError;
    this.maxRelError = fields.maxRelError;
    this.failures = fields.failures;
    this.kinks = fields.kinks;
    this.blame = fields.blame;
    this.worst = fields.worst;
    // A private field, not a property: the record compares and serialises as SPEC's object.
    this.#context = context;
  }

  toString(): string {
    return describeResult(this, this.#context);
  }
}
