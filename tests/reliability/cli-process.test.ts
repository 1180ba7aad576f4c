/**
 * Issue #31, items 1 and 6, with real processes: `tapegrad train` (bin/tapegrad.js, which runs the
 * training in a child Node) leaves no orphan — killing the parent with SIGKILL, or hanging it up,
 * stops the child at once, before it writes model.json, metrics.json or report.html — and an
 * unwritable --out is exit 2 in tapegrad's words before any data is loaded. Runs are small (the
 * digits, an MLP, 100 examples) and every wait is bounded.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run as trainRun } from '../../src/cli/train';
import { outProbe } from '../../src/cli/train-args';

jest.setTimeout(120_000);

const BIN = path.join(__dirname, '..', '..', 'bin', 'tapegrad.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-orphan-'));
const started: number[] = [];
afterAll(() => {
  // Whatever a failing test left running is ended here, by its own pid.
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The train child of `parent` (bin/tapegrad.js re-runs itself with a heap flag). */
function childOf(parent: number): number {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], { encoding: 'utf8' }).trim();
  const pid = Number(out.split(/\s+/)[0]);
  if (!(pid > 0)) throw new Error(`no child of ${parent}`);
  return pid;
}

/** Starts a long digits run; resolves once its first checkpoint is on disk, with both pids. */
async function longRun(out: string): Promise<{ parent: ChildProcess; child: number }> {
  const parent = spawn(process.execPath, [BIN, 'train', '--model', 'mlp', '--limit', '100', '--epochs', '2000', '--out', out], {
    stdio: 'ignore',
    env: { ...process.env, CI: '1' },
  });
  started.push(parent.pid!);
  await until('the first checkpoint', () => fs.existsSync(path.join(out, 'checkpoint.json')), 60_000);
  const child = childOf(parent.pid!);
  started.push(child);
  return { parent, child };
}

const RESULTS = ['model.json', 'metrics.json', 'timings.json', 'report.html'];

test.each([['SIGKILL'], ['SIGHUP'], ['SIGTERM']] as const)(
  '%s to the parent stops the training child at once, and it writes no results',
  async (signal) => {
    const out = path.join(tmp, signal);
    const { parent, child } = await longRun(out);
    expect(alive(child)).toBe(true);
    const exited = new Promise<string | null>((resolve) => parent.on('exit', (_code, s) => resolve(s)));
    parent.kill(signal);
    expect(await exited).toBe(signal);
    await until('the child to end', () => !alive(child), 5_000);
    // Long enough for an orphan to have finished a few more epochs and tried to write.
    await new Promise((r) => setTimeout(r, 500));
    for (const f of RESULTS) expect(fs.existsSync(path.join(out, f))).toBe(false);
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  },
);

describe('an unwritable --out is exit 2 with a message, before any data is loaded', () => {
  async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      return { code: await fn(), out, err };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  test('a read-only file system (EROFS, simulated for the probe file)', async () => {
    const dir = path.join(tmp, 'read-only');
    fs.mkdirSync(dir);
    const real = outProbe.create;
    outProbe.create = () => {
      throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    };
    try {
      for (const out of [dir, path.join(dir, 'new', 'run')]) {
        const r = await capture(() => trainRun(['--model', 'mlp', '--epochs', '1', '--out', out]));
        expect(r.code).toBe(2);
        expect(r.err).toEqual([`tapegrad train: --out ${out} is not writable: nothing can be created in ${dir} (a read-only file system)`]);
        // Nothing ran: no header (printed once the data is loaded), nothing created.
        expect(r.out).toEqual([]);
      }
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      outProbe.create = real;
    }
  });

  test('through the command: a directory nothing can be created in', () => {
    // /sys is read-only in containers and for ordinary users alike; a file in the way works everywhere.
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    const r = spawn(process.execPath, [BIN, 'train', '--out', path.join(file, 'run')]);
    return new Promise<void>((resolve) => {
      let err = '';
      r.stderr!.on('data', (d) => (err += d));
      r.on('close', (code) => {
        expect(code).toBe(2);
        expect(err.trim()).toBe(`tapegrad train: --out ${path.join(file, 'run')} cannot be created: ${file} is not a directory`);
        resolve();
      });
    });
  });
});
