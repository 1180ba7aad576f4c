/** `tapegrad gradcheck`: a table of max errors per op and order, and an exit status that says whether all passed. */
import { run } from '../src/cli/gradcheck';

function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return fn().then((code) => {
    log.mockRestore();
    error.mockRestore();
    return { code, out: out.join('\n'), err: err.join('\n') };
  });
}

test('prints one row per case and order, with errors and a pass/fail column, and exits 0 when all pass', async () => {
  const { code, out } = await capture(() => run(['--filter', 'tanh']));
  expect(code).toBe(0);
  const lines = out.split('\n');
  expect(lines[0]).toMatch(/^op\s+order\s+max abs error\s+max rel error\s+result$/);
  const rows = lines.filter((l) => /^\S.*\s(1|2)\s+\S+\s+\S+\s+pass$/.test(l));
  expect(rows.length).toBeGreaterThanOrEqual(2);
  expect(rows.some((r) => /\s2\s/.test(r))).toBe(true);
  expect(out).toMatch(new RegExp(`${rows.length} passed, 0 failed`));
});

test('an unknown option exits 2 with a one-line message', async () => {
  const { code, err } = await capture(() => run(['--bogus']));
  expect(code).toBe(2);
  expect(err.split('\n')).toHaveLength(1);
  expect(err).toMatch(/^tapegrad gradcheck: .*bogus/);
});

test('--help describes the command and exits 0', async () => {
  const { code, out } = await capture(() => run(['--help']));
  expect(code).toBe(0);
  expect(out).toMatch(/usage: tapegrad gradcheck/);
});
