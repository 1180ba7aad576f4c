/**
 * Every case a family file under src/testing/cases/ exports is in the op table that gradcheck-table,
 * gradgradcheck and `tapegrad gradcheck` run: a merge once dropped the normalisation, loss and
 * resampling cases from it, and nothing failed for a day.
 */
import * as fs from 'fs';
import * as path from 'path';
import { opCases } from '../src/testing/op-cases';

const DIR = path.join(__dirname, '..', 'src', 'testing', 'cases');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.ts'));

test('there are case files to check', () => {
  expect(files.length).toBeGreaterThan(5);
});

test.each(files)('every case %s exports is in the op table', (file) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(path.join(DIR, file)) as Record<string, unknown>;
  const inTable = new Set<unknown>(opCases);
  const arrays = Object.entries(exported).filter(([name, v]) => name.endsWith('Cases') && Array.isArray(v));
  expect(arrays.length).toBeGreaterThan(0);
  const missing = arrays.flatMap(([name, v]) => (v as { name: string }[]).filter((c) => !inTable.has(c)).map((c) => `${name}: ${c.name}`));
  expect(missing).toEqual([]);
});
