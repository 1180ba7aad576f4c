/**
 * The layout DEVELOPERS.md asks for, enforced: no import cycles in src/ (madge, on the imports that
 * exist at run time — type-only imports are erased), and each layer imports only from the layers
 * above it, so applications (cli, train, the gallery, the test op table) never leak into the library.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.join(__dirname, '..', 'src');

/** Lower ranks are imported by higher ones, never the other way round. Same rank: allowed. */
const RANK: Record<string, number> = {
  platform: 0,
  'version.ts': 0,
  random: 1,
  tensor: 2,
  kernels: 3,
  autograd: 4,
  ops: 5,
  // The library's top layer: built only on the public ops (and each other).
  nn: 6,
  optim: 6,
  data: 6,
  viz: 6,
  onnx: 6,
  export: 6,
  func: 6,
  // Applications.
  testing: 7,
  gallery: 7,
  train: 8,
  cli: 9,
  // The package surface: the only files that may gather everything.
  'index.ts': 10,
  'viz-namespace.ts': 10,
  'jest.ts': 10,
};
const LIBRARY_TOP = 6;

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const layerOf = (file: string) => path.relative(SRC, file).split(path.sep)[0];

/** The run-time imports of a file (type-only imports and `export type` are erased by the compiler). */
function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm)) out.push(m[1]);
  return out.map((spec) => path.resolve(path.dirname(file), spec));
}

test('no import cycles in src/ (madge)', async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const madge = require('madge') as (p: string, o: object) => Promise<{ circular(): string[][] }>;
  const result = await madge(SRC, {
    fileExtensions: ['ts'],
    tsConfig: path.join(__dirname, '..', 'tsconfig.json'),
    detectiveOptions: { ts: { skipTypeImports: true }, es6: { skipTypeImports: true } },
  });
  expect(result.circular()).toEqual([]);
});

test('every layer imports only from itself and the layers above it; the library imports no application', () => {
  const wrong: string[] = [];
  for (const file of files(SRC)) {
    const from = layerOf(file);
    expect(RANK[from]).toBeDefined();
    for (const target of imports(file)) {
      // Assets the browser build embeds (the .wasm kernels, the digits) are bytes, not layers.
      if (/\.(wasm|gz)$/.test(target)) continue;
      const to = layerOf(target);
      const rankTo = RANK[to] ?? RANK[`${to}.ts`];
      if (rankTo === undefined) {
        wrong.push(`${path.relative(SRC, file)} imports ${path.relative(SRC, target)}, which is outside the layers`);
      } else if (RANK[from] > LIBRARY_TOP && to === 'index') {
        // An application may use the package as its users do, through its root.
      } else if (rankTo > RANK[from] || (RANK[from] <= LIBRARY_TOP && rankTo > LIBRARY_TOP)) {
        wrong.push(`${path.relative(SRC, file)} (${from}) imports ${path.relative(SRC, target)} (${to})`);
      }
    }
  }
  expect(wrong).toEqual([]);
});

test('the import reader finds run-time imports and skips type-only ones', () => {
  const file = path.join(SRC, 'viz', 'html.ts');
  const found = imports(file).map((p) => path.relative(SRC, p));
  expect(found).toEqual(expect.arrayContaining([path.join('viz', 'dot'), path.join('viz', 'svg')]));
  // `import type { Tensor }` is erased at run time, so it is not an import.
  expect(found).not.toContain(path.join('tensor', 'tensor'));
});

test("docs/architecture.md's index of Notes lists every note the code defines, where it is defined", () => {
  const ROOT = path.join(__dirname, '..');
  const defined = new Map<string, Set<string>>();
  const roots = ['src', 'assembly', 'bench', 'bin', 'scripts', 'tests'];
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'node_modules' || e.name === '__snapshots__' ? [] : walk(p);
      return /\.(ts|js|py)$/.test(e.name) && !e.name.endsWith('.test.ts') ? [p] : [];
    });
  for (const file of roots.flatMap((r) => walk(path.join(ROOT, r)))) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/Note \[([^\]]+)\]:/g)) {
      const where = defined.get(m[1]) ?? new Set<string>();
      where.add(path.relative(ROOT, file).split(path.sep).join('/'));
      defined.set(m[1], where);
    }
  }
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const missing: string[] = [];
  for (const [title, where] of defined) {
    const row = doc.split('\n').find((l) => l.startsWith(`| [${title}] |`));
    if (row === undefined) missing.push(`[${title}] (defined in ${[...where].join(', ')})`);
    else for (const f of where) if (!row.includes(f)) missing.push(`[${title}] does not name ${f}`);
  }
  expect(missing).toEqual([]);
  expect(defined.size).toBeGreaterThan(30);
});

test('outside src/kernels, the library reaches kernels only through the interface (src/kernels/index.ts)', () => {
  const wrong: string[] = [];
  for (const file of files(SRC)) {
    if (layerOf(file) === 'kernels') continue;
    for (const target of imports(file)) {
      const rel = path.relative(SRC, target).split(path.sep).join('/');
      if (rel.startsWith('kernels/') && rel !== 'kernels/index' && rel !== 'kernels')
        wrong.push(`${path.relative(SRC, file)} imports ${rel}`);
    }
  }
  expect(wrong).toEqual([]);
});
