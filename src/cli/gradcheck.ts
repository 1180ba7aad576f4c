/**
 * @file `tapegrad gradcheck`: gradchecks every row of the op table (orders 1 and 2) and prints a
 * table of the worst errors; or, with --script, the function a user's file exports, with the node
 * gradcheck blames and, with --out, the graph drawn with that node in red. Exit status 0 when every
 * check passes, 1 when one fails (or nothing matched --filter), 2 for bad arguments.
 */
import { parseArgs } from 'node:util';
import { explainGradcheck, gradcheck, GradcheckOptions, GradcheckResult } from '../autograd/gradcheck';
import { primitives } from '../autograd/primitive';
import { Tensor } from '../tensor/tensor';
import { primitivesUsed } from '../testing/op-coverage';
import { opCases } from '../testing/op-cases';
import { writeGraph } from '../viz/render';
import { loadScript, ScriptError } from './script';

const HELP = `usage: tapegrad gradcheck [--filter TEXT]
       tapegrad gradcheck --script FILE [--order 1|2] [--fast] [--out FILE.svg|FILE.dot|FILE.html]

Checks gradients against central differences in float64.

Without --script: every op in the registry (orders 1 and 2); prints op, max abs error,
max rel error, pass/fail.

  --filter TEXT   only the cases whose name contains TEXT (no match is an error)

With --script FILE (.js, .cjs, .mjs; .ts with ts-node installed in your project): FILE's default
export is { fn, inputs, options? } — or a function returning it — where fn(...inputs) returns a
tensor. Prints the verdict, the errors, kinks, and the node to blame: the first whose own backward
rule disagrees with finite differences of its own forward.

  --order 1|2     also check second derivatives (2)
  --fast          random projections instead of the full Jacobian (PyTorch's fast_mode)
  --out FILE      write the graph (.svg, .dot or a graph page .html) with the blamed node in red`;

function formatError(v: number): string {
  return v === 0 ? '0' : v.toExponential(2);
}

const usageError = (message: string): number => {
  console.error(`tapegrad gradcheck: ${message} (tapegrad gradcheck --help shows the options)`);
  return 2;
};

export async function run(args: string[]): Promise<number> {
  let values: { filter?: string; script?: string; order?: string; fast?: boolean; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        filter: { type: 'string' },
        script: { type: 'string' },
        order: { type: 'string' },
        fast: { type: 'boolean' },
        out: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    return usageError((e as Error).message.split('\n')[0]);
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.script === undefined) {
    for (const flag of ['order', 'fast', 'out'] as const) if (values[flag] !== undefined) return usageError(`--${flag} goes with --script`);
    return runTable(values.filter);
  }
  if (values.filter !== undefined) return usageError('--filter is for the op table, not for --script');
  if (values.order !== undefined && values.order !== '1' && values.order !== '2')
    return usageError(`--order must be 1 or 2, got '${values.order}'`);
  if (values.out !== undefined && !/\.(svg|dot|html)$/i.test(values.out))
    return usageError(`--out must end in .svg, .dot or .html, got '${values.out}'`);
  return runScript(values.script, { order: values.order === '2' ? 2 : 1, fastMode: values.fast ?? false }, values.out);
}

interface ScriptCheck {
  fn: (...inputs: Tensor[]) => Tensor;
  inputs: Tensor[];
  options?: GradcheckOptions;
}

function asCheck(file: string, exported: unknown): ScriptCheck {
  const value = typeof exported === 'function' && !('inputs' in exported) ? (exported as () => unknown)() : exported;
  const c = value as Partial<ScriptCheck> | null;
  if (
    c === null ||
    typeof c !== 'object' ||
    typeof c.fn !== 'function' ||
    !Array.isArray(c.inputs) ||
    !c.inputs.every((x) => x instanceof Tensor)
  ) {
    throw new ScriptError(`${file} must export { fn, inputs } (or a function returning it), where inputs are tensors of this tapegrad`);
  }
  return c as ScriptCheck;
}

async function runScript(file: string, flags: GradcheckOptions, out: string | undefined): Promise<number> {
  let check: ScriptCheck;
  try {
    check = asCheck(file, await loadScript(file));
  } catch (e) {
    if (e instanceof ScriptError) {
      console.error(`tapegrad gradcheck: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const { result, graph } = explainGradcheck(check.fn, check.inputs, { ...check.options, ...flags });
  report(file, result);
  if (out !== undefined) {
    const root = graph ?? check.fn(...check.inputs);
    await writeGraph(out, root, {
      highlight: result.blame ? [result.blame.nodeId] : [],
      title: `gradcheck ${file}: ${result.ok ? 'ok' : 'FAILED'}`,
    });
    console.log(`wrote ${out}${result.blame ? ' (the blamed node in red)' : ''}`);
  }
  return result.ok ? 0 : 1;
}

function report(file: string, r: GradcheckResult): void {
  console.log(
    `gradcheck ${file}: ${r.ok ? 'ok' : 'FAILED'} (max abs error ${formatError(r.maxAbsError)}, max rel error ${formatError(r.maxRelError)})`,
  );
  for (const f of r.failures) console.log(`  failure: ${f}`);
  if (r.kinks.length > 0)
    console.log(
      `  ${r.kinks.length} kink${r.kinks.length === 1 ? '' : 's'} (not failures): ${r.kinks[0]}${r.kinks.length > 1 ? ', …' : ''}`,
    );
  if (!r.ok) {
    console.log(
      r.blame === null
        ? '  blame: none — every rule agrees with differences of its own forward; look for a step that is not differentiable as written'
        : `  blame: ${r.blame.op} (node #${r.blame.nodeId}), input ${r.blame.inputIndex} of shapes ${r.blame.inputShapes.map((s) => `[${s.join(',')}]`).join(', ')}, max abs error ${formatError(r.blame.maxAbsError)}`,
    );
  }
}

function runTable(filter: string | undefined): number {
  const cases = opCases.filter((c) => filter === undefined || c.name.includes(filter));
  if (cases.length === 0) {
    console.error(`tapegrad gradcheck: no op case matches --filter '${filter}'`);
    return 1;
  }
  const rows: string[][] = [];
  let failed = 0;
  for (const c of cases) {
    for (const order of c.order === 1 ? [1] : [1, 2]) {
      let cells: string[];
      try {
        const r = gradcheck(c.fn, c.inputs(), { order: order as 1 | 2 });
        if (!r.ok) failed++;
        cells = [formatError(r.maxAbsError), formatError(r.maxRelError), r.ok ? 'pass' : `FAIL ${r.failures[0] ?? ''}`];
      } catch (e) {
        failed++;
        cells = ['-', '-', `ERROR ${(e as Error).message}`];
      }
      rows.push([c.name, String(order), ...cells]);
    }
  }
  const header = ['op', 'order', 'max abs error', 'max rel error', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i < 4 ? r[i].length : 0))));
  const line = (r: string[]) => r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]) : cell)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  rows.forEach((r) => console.log(line(r)));

  const covered = new Set(opCases.flatMap((c) => [...primitivesUsed(c)]));
  const uncovered =
    filter === undefined
      ? primitives()
          .map((p) => p.name)
          .filter((n) => !covered.has(n))
      : [];
  console.log(`\n${rows.length - failed} passed, ${failed} failed`);
  if (uncovered.length > 0) console.log(`primitives without a gradient case: ${uncovered.join(', ')}`);
  return failed === 0 && uncovered.length === 0 ? 0 : 1;
}
