/**
 * @file `tapegrad graph`: run() in-process for the file it writes and its messages, and once
 * through bin/tapegrad.js for the exit status a shell sees.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tg from '../src';
import { run } from '../src/cli/graph';
import { findAll, parseXml } from './viz-helpers';

const BIN = join(__dirname, '..', 'bin', 'tapegrad.js');
const tmp = () => mkdtempSync(join(tmpdir(), 'tapegrad-graph-'));

/** Runs the command, returning its status and what it printed. */
async function runGraph(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...m) => void out.push(m.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...m) => void err.push(m.join(' ')));
  try {
    return { status: await run(args), stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('tapegrad graph (in process)', () => {
  test("--out FILE.svg writes the tutorial's expanded figure and exits 0", async () => {
    const file = join(tmp(), 'conv1d.svg');
    const r = await runGraph(['conv1d', '--expand', '--out', file]);
    expect(r).toEqual({ status: 0, stdout: `tapegrad graph: wrote ${file}`, stderr: '' });
    const texts = findAll(parseXml(readFileSync(file, 'utf8')), 'text').map((t) => t.text);
    expect(texts.filter((t) => t === 'mul')).toHaveLength(9);
    expect(texts).toContain('x[2]·w[1]');
  });

  test('--out FILE.dot writes the same DOT as toDot with the flags applied', async () => {
    const file = join(tmp(), 'mlp.dot');
    expect((await runGraph(['mlp', '--values', '--grads', '--collapse', '1', '--out', file])).status).toBe(0);
    const g = tg.viz.namedGraph('mlp');
    expect(readFileSync(file, 'utf8')).toBe(tg.viz.toDot(g.roots, { ...g.options, values: true, grads: true, collapse: 1 }));
    expect(readFileSync(file, 'utf8')).toContain('>grad<');
  });

  test.each([
    [['resnet'], "tapegrad graph: unknown graph 'resnet' (graphs: conv1d, conv2d, mlp, cnn, lstm; or --script FILE, or a RUN_DIR)"],
    [[], 'tapegrad graph: name a graph (conv1d, conv2d, mlp, cnn, lstm)'],
    [['cnn', '--expand'], 'tapegrad graph: --expand applies to conv1d, conv2d and lstm, not cnn'],
    [['cnn', '--collapse=-1'], "tapegrad graph: --collapse must be a non-negative integer, got '-1'"],
    [['cnn', '--collapse', '-1'], "tapegrad graph: --collapse must be a non-negative integer, got '-1'"],
    [['cnn', '--rankdir', 'RL'], "tapegrad graph: --rankdir must be LR or TB, got 'RL'"],
    [['cnn', '--out', 'cnn.png'], "tapegrad graph: --out must end in .svg, .dot or .html, got 'cnn.png'"],
    [
      ['cnn', '--bogus'],
      "tapegrad graph: unknown option '--bogus' (options: --expand, --focus, --values, --grads, --collapse, --steps, --hidden, --grad-norms, --rankdir, --script, --out, --help)",
    ],
  ])('bad arguments %j exit 2 with a one-line message', async (args, message) => {
    const r = await runGraph(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr.startsWith(message)).toBe(true);
  });

  test('an unwritable path exits 1 with a one-line message and writes nothing', async () => {
    const file = join(tmp(), 'no-such-dir', 'g.svg');
    const r = await runGraph(['conv2d', '--out', file]);
    expect(r).toEqual({ status: 1, stdout: '', stderr: `tapegrad graph: cannot write '${file}': its directory does not exist` });
    expect(existsSync(file)).toBe(false);
  });

  test('--help prints the usage and exits 0', async () => {
    const r = await runGraph(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: tapegrad graph <conv1d\|conv2d\|mlp\|cnn\|lstm>/);
  });
});

describe('tapegrad graph (through bin/tapegrad.js)', () => {
  test('writes <name>.svg in the working directory and exits 0, with no Graphviz on PATH', () => {
    const dir = tmp();
    const r = spawnSync(process.execPath, [BIN, 'graph', 'conv2d'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: '' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(parseXml(readFileSync(join(dir, 'conv2d.svg'), 'utf8')).name).toBe('svg');
  });

  test('an unknown graph exits non-zero with one line on stderr', () => {
    const r = spawnSync(process.execPath, [BIN, 'graph', 'resnet'], { cwd: tmp(), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining("unknown graph 'resnet'")]);
  });
});
