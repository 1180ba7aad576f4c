/**
 * @file `tapegrad gradcheck`: gradchecks every row of the op table (orders 1 and 2) and prints a
 * table of the worst errors. Exits 1 if any check fails or a registered primitive has no row.
 */
import { parseArgs } from 'node:util';
import { gradcheck } from '../autograd/gradcheck';
import { primitives } from '../autograd/primitive';
import { opCases } from '../testing/op-cases';

const HELP = `usage: tapegrad gradcheck [--filter TEXT]

Checks every op in the registry against central differences in float64 (orders 1 and 2)
and prints op, max abs error, max rel error, pass/fail. Exit status 1 if any fails.

  --filter TEXT   only the cases whose name contains TEXT`;

function formatError(v: number): string {
  return v === 0 ? '0' : v.toExponential(2);
}

export async function run(args: string[]): Promise<number> {
  let values: { filter?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { filter: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    console.error(`tapegrad gradcheck: ${(e as Error).message}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const cases = opCases.filter((c) => values.filter === undefined || c.name.includes(values.filter));
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

  const covered = new Set(opCases.flatMap((c) => c.covers));
  const uncovered = values.filter === undefined ? primitives().map((p) => p.name).filter((n) => !covered.has(n)) : [];
  console.log(`\n${rows.length - failed} passed, ${failed} failed`);
  if (uncovered.length > 0) console.log(`primitives without a gradient case: ${uncovered.join(', ')}`);
  return failed === 0 && uncovered.length === 0 ? 0 : 1;
}
