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

describe('tapegrad gradcheck --script', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const ROOT = path.join(__dirname, '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-gradcheck-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A script with a planted bug (x² whose backward says 3x) inside relu → matmul → tanh, loading tapegrad from `from`. */
  const buggy = (from: string) => `
const tg = require(${JSON.stringify(from)});
const square = tg.definePrimitive('script_square_' + Math.random().toString(36).slice(2), {
  forward: ([x]) => tg.noGrad(() => x.mul(x)),
  backward: (gy, [x]) => [gy.mul(x.mul(3))],
});
module.exports = () => ({
  fn: (x, w) => tg.tanh(tg.matmul(square.apply([tg.relu(x).add(0.5)], undefined), w)).sum(),
  inputs: [tg.randn([2, 3], { rng: tg.rng(1), requiresGrad: true }), tg.randn([3, 2], { rng: tg.rng(2), requiresGrad: true })],
});`;

  test('names the blamed node and draws it in red in the graph; exits 1', async () => {
    const script = path.join(dir, 'buggy.js');
    fs.writeFileSync(script, buggy(path.join(ROOT, 'src')));
    const out = path.join(dir, 'blame.dot');
    const r = await capture(() => run(['--script', script, '--out', out]));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAILED/);
    expect(r.out).toMatch(/blame: script_square_\w+ \(node #\d+\), input 0 of shapes \[2,3\]/);
    const dot = fs.readFileSync(out, 'utf8');
    // One op node in red, and it is the square.
    const red = [...dot.matchAll(/"(op\d+)" \[\n\s+label = <([^>]*)>;[^\]]*fillcolor = "#f5b7b1"/g)];
    expect(red).toHaveLength(1);
    expect(red[0][2]).toMatch(/^script_square_/);
    // A graph page too, with the same red node.
    const page = path.join(dir, 'blame.html');
    expect((await capture(() => run(['--script', script, '--out', page]))).code).toBe(1);
    expect(fs.readFileSync(page, 'utf8')).toMatch(/<svg[\s\S]*fill="#f5b7b1"/);
  });

  test('a right function passes and exits 0; a malformed export is a usage error', async () => {
    const ok = path.join(dir, 'ok.js');
    fs.writeFileSync(
      ok,
      `const tg = require(${JSON.stringify(path.join(ROOT, 'src'))});
module.exports = { fn: (x) => tg.tanh(x).sum(), inputs: [tg.tensor([0.5, -1], { requiresGrad: true })] };`,
    );
    const good = await capture(() => run(['--script', ok, '--order', '2']));
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/: ok \(max abs error/);
    const bad = path.join(dir, 'bad.js');
    fs.writeFileSync(bad, 'module.exports = { fn: 3 };');
    const r = await capture(() => run(['--script', bad]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.js must export \{ fn, inputs \}/);
    expect((await capture(() => run(['--script', path.join(dir, 'missing.js')]))).err).toMatch(/missing\.js does not exist/);
    expect((await capture(() => run(['--script', ok, '--out', 'g.png']))).code).toBe(2);
  });

  test('through the compiled CLI, a TypeScript script loads with the project’s ts-node', () => {
    const script = path.join(dir, 'buggy.ts');
    fs.writeFileSync(script, buggy(path.join(ROOT, 'dist', 'cjs', 'index.js')).replace('module.exports = ', 'export default '));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'tapegrad.js'), 'gradcheck', '--script', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/blame: script_square_/);
  });

  test('--filter with no match exits 1 saying nothing matched', async () => {
    const r = await capture(() => run(['--filter', 'zzz']));
    expect(r.code).toBe(1);
    expect(r.err).toBe("tapegrad gradcheck: no op case matches --filter 'zzz'");
  });
});

test('a reader that stops early (tapegrad gradcheck | head -1) ends the command quietly with the status of SIGPIPE', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require('node:path') as typeof import('node:path');
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'tapegrad.js'), 'gradcheck'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // The first row arrives long before the table ends: close the pipe then, as `head -1` does.
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  expect(err).not.toMatch(/EPIPE|Error/);
  expect(code).toBe(141);
}, 120_000);
