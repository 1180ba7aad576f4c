/**
 * The documentation runs: every ```ts block of README.md and docs/*.md type-checks against src and
 * executes, with every `// → value` claim in it checked (tests/docs-harness.ts); docs/api.md
 * documents every public name (and only public names); relative links and images point at files
 * that exist. The harness itself is tested on blocks that must fail.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tg from '../src';
import { Block, docFiles, extractBlocks, ROOT, runBlock, toProgram, typeCheck } from './docs-harness';

const files = docFiles();
const blocks = files.flatMap(([file, text]) => extractBlocks(text, file));

let tmp: string;
let cwd: string;

beforeAll(() => {
  // Blocks write files (models, graphs) relative to the working directory: give them a fresh one.
  cwd = process.cwd();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-docs-'));
  process.chdir(tmp);
});

afterAll(() => {
  process.chdir(cwd);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the docs have code blocks to run', () => {
  expect(blocks.filter((b) => b.file === 'docs/tutorial.md').length).toBeGreaterThan(10);
  expect(blocks.filter((b) => b.file === 'docs/api.md').length).toBeGreaterThan(50);
});

/** Pages that show pictures and commands, not code. */
const PAGES_WITHOUT_SNIPPETS = [
  'docs/graphs.md',
  'docs/architecture.md',
  'docs/cli.md',
  'docs/data.md',
  'docs/performance.md',
  'docs/outgrowing-one-machine.md',
];

test('every block type-checks with the repo tsconfig', () => {
  expect(typeCheck(blocks)).toEqual([]);
});

describe.each(files.map(([file]) => file))('%s', (file) => {
  const own = blocks.filter((b) => b.file === file && b.run);
  if (own.length === 0) {
    // Only the pages meant to have no snippets may have none: a page that loses its last one fails.
    test('is a page meant to have no runnable ts blocks', () => expect(PAGES_WITHOUT_SNIPPETS).toContain(file));
    return;
  }
  test.each(own.map((b) => [b.line, b] as const))('block at line %d runs and its claims hold', async (_line, block) => {
    await runBlock(block, require);
  });
});

test('no-run blocks are rare and say why they cannot run', () => {
  const skipped = blocks.filter((b) => !b.run);
  expect(skipped.length).toBeLessThanOrEqual(3);
});

// ---- docs/api.md covers the public API ---------------------------------------------------------

/** Every runtime name the package exports, qualified as users write it (`tg.nn.Linear`). */
function publicNames(): string[] {
  const namespaces: [string, Record<string, unknown>][] = [
    ['tg', tg],
    ['tg.nn', tg.nn],
    ['tg.nn.utils', tg.nn.utils],
    ['tg.nn.utils.rnn', tg.nn.utils.rnn],
    ['tg.optim', tg.optim],
    ['tg.optim.lrScheduler', tg.optim.lrScheduler],
    ['tg.nn.init', tg.nn.init],
    ['tg.data', tg.data],
    ['tg.data.augment', tg.data.augment],
    ['tg.data.transforms', tg.data.transforms],
    ['tg.viz', tg.viz],
    ['tg.func', tg.func],
    ['tg.onnx', tg.onnx],
    ['tg.export', tg.export],
    ['tg.train', tg.train],
    ['tg.testing', tg.testing],
  ];
  const nested = new Set(namespaces.map(([n]) => n));
  return namespaces.flatMap(([prefix, ns]) =>
    Object.keys(ns)
      .map((k) => `${prefix}.${k}`)
      .filter((name) => !nested.has(name)),
  );
}

/** The names api.md documents: each `tg.…` name in a heading. */
function documentedNames(): Set<string> {
  const api = fs.readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
  const names = new Set<string>();
  for (const line of api.split('\n')) {
    if (!/^#{2,4}\s/.test(line)) continue;
    for (const m of line.matchAll(/`(?:new\s+)?(tg(?:\.[A-Za-z_$][\w$]*)+)/g)) names.add(m[1]);
  }
  return names;
}

test('docs/api.md has a heading for every public name', () => {
  const documented = documentedNames();
  expect(publicNames().filter((n) => !documented.has(n))).toEqual([]);
});

test('docs/api.md documents no name the package does not export', () => {
  const exported = new Set(publicNames());
  const namespaces = new Set([
    'tg.nn',
    'tg.nn.utils',
    'tg.nn.utils.rnn',
    'tg.optim',
    'tg.optim.lrScheduler',
    'tg.nn.init',
    'tg.data',
    'tg.data.augment',
    'tg.data.transforms',
    'tg.viz',
    'tg.func',
    'tg.onnx',
    'tg.export',
    'tg.train',
    'tg.testing',
  ]);
  const stale = [...documentedNames()].filter((n) => !exported.has(n) && !namespaces.has(n) && !n.startsWith('tg.Tensor.'));
  expect(stale).toEqual([]);
});

test('docs/api.md documents every Tensor method it lists under tg.Tensor, and they exist', () => {
  const methods = [...documentedNames()].filter((n) => n.startsWith('tg.Tensor.')).map((n) => n.slice('tg.Tensor.'.length));
  const x = tg.tensor([1]);
  expect(methods.filter((m) => !(m in x))).toEqual([]);
});

test("docs/api.md's list of ops as methods is exactly the Tensor's methods", () => {
  const api = fs.readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
  const section = api.slice(api.indexOf('### Ops as methods'), api.indexOf('```', api.indexOf('### Ops as methods')));
  const list = /`((?:[A-Za-z0-9]+\s+){10,}[A-Za-z0-9]+)`/.exec(section);
  expect(list).not.toBeNull();
  const listed = list![1].split(/\s+/).sort();
  const core = new Set([
    'constructor',
    ...[...documentedNames()].filter((n) => n.startsWith('tg.Tensor.')).map((n) => n.slice('tg.Tensor.'.length)),
  ]);
  const proto = tg.Tensor.prototype as unknown as Record<string, unknown>;
  const methods = Object.getOwnPropertyNames(tg.Tensor.prototype)
    .filter((m) => !core.has(m) && typeof Object.getOwnPropertyDescriptor(proto, m)!.value === 'function')
    .sort();
  expect(listed).toEqual(methods);
});

// ---- links -------------------------------------------------------------------------------------

test('relative links and images in README.md and docs/*.md point at files in the repository', () => {
  const broken: string[] = [];
  for (const [file, text] of files) {
    const prose = text.replace(/```[\s\S]*?```/g, '');
    for (const m of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1].split('#')[0];
      if (target === '' || /^[a-z]+:/i.test(target)) continue;
      const resolved = path.join(ROOT, path.dirname(file), target);
      // A link out of the repository would work here and break for everyone else.
      if (path.relative(ROOT, resolved).startsWith('..') || !fs.existsSync(resolved)) broken.push(`${file}: ${m[1]}`);
    }
  }
  expect(broken).toEqual([]);
});

// ---- the harness catches what it should ---------------------------------------------------------

describe('the docs harness', () => {
  const block = (code: string, run = true): Block => ({ file: 'test.md', line: 10, code, run });

  test('extracts ts blocks with their line, flags and indentation, and nothing else', () => {
    const md = ['# t', '```ts', 'const a = 1;', '```', '```sh', '```ts', '```', '  ```ts no-run', '  const b = 2;', '  ```'].join('\n');
    expect(extractBlocks(md, 'x.md')).toEqual([
      { file: 'x.md', line: 3, code: 'const a = 1;', run: true },
      { file: 'x.md', line: 9, code: 'const b = 2;', run: false },
    ]);
    expect(() => extractBlocks('```ts skip\n```', 'x.md')).toThrow('x.md:1: unknown code-block flag skip');
  });

  test('checks claims, with the tolerance of the written decimals', async () => {
    const r = await runBlock(
      block(
        [
          'tg.add(tg.tensor([1, 2]), 1) // → [2, 3]',
          'const s = tg.sigmoid(tg.tensor(1)).item(); // → 0.7311',
          "tg.fmt([2, 3]) // → '[2,3]'",
          'tg.neg(tg.tensor([s])) // → [-s]',
        ].join('\n'),
      ),
      require,
    );
    expect(r.claims).toBe(4);
    await expect(runBlock(block('tg.add(tg.tensor([1, 2]), 1) // → [2, 4]'), require)).rejects.toThrow(
      'test.md:10: value[1] is 3, expected 4',
    );
    await expect(runBlock(block('tg.sigmoid(tg.tensor(1)).item() // → 0.74'), require)).rejects.toThrow('is 0.731');
  });

  test('checks throws claims', async () => {
    await runBlock(block('tg.reshape(tg.zeros([2, 3]), [4]) // throws: reshape'), require);
    await runBlock(block("await Promise.reject(new Error('async no')) // throws: async no"), require);
    await expect(runBlock(block('tg.zeros([2]) // throws: zeros'), require)).rejects.toThrow('test.md:10: did not throw');
  });

  test('maps a side-effect import of a package entry (tapegrad/jest) to src, as it does the root', () => {
    const src = path.join(ROOT, 'src').split(path.sep).join('/');
    expect(toProgram(block("import 'tapegrad/jest';")).source).toContain(`import '${src}/jest';`);
  });

  test('runs top-level await, maps package imports to src, and reports type errors at the markdown line', async () => {
    const ok = block(["import { tensor } from 'tapegrad';", 'const y = await Promise.resolve(tensor([3])); // → [3]'].join('\n'));
    expect((await runBlock(ok, require)).claims).toBe(1);
    expect(typeCheck([ok, block('\nconst n: string = tg.tensor([1]).item();')])).toEqual([
      "test.md:11: Type 'number' is not assignable to type 'string'.",
    ]);
  });
});
