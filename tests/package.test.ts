/**
 * The package as a user gets it (SPEC §10): `npm pack`, then `npm install ./tapegrad-<v>.tgz` into a
 * fresh project outside the repository, and from there: require() from CommonJS, import from an
 * .mjs file, a TypeScript file compiled with `tsc --strict` against the shipped declarations (both
 * module resolutions users have), and `npx tapegrad` — each running the tutorial's convolve and a
 * conv2d backward on the WebAssembly kernels. Then the .wasm files are damaged, and the same
 * package must fall back to the TypeScript kernels and say why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

jest.setTimeout(300_000);

let project = '';
let tarball = '';

function run(cmd: string, args: string[], cwd = project, env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  // The user's environment, not the test runner's: no TAPEGRAD_* choices leak in unless a test sets them.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAPEGRAD_') && !k.startsWith('npm_')));
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...clean, ...env }, timeout: 240_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function node(file: string, env: NodeJS.ProcessEnv = {}) {
  const r = run(process.execPath, [file], project, env);
  if (r.code !== 0) throw new Error(`node ${file} exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** What each consumer prints: the tutorial's convolve, a conv2d backward's gradient sums, and the backend. */
const PROBE = `
const y = tg.convolve(tg.tensor([0, 1, 2, 3, 4]), tg.tensor([1, -1, 2]));
const x = tg.randn([2, 3, 16, 16], { rng: tg.rng(1), requiresGrad: true });
const w = tg.randn([8, 3, 3, 3], { rng: tg.rng(2), requiresGrad: true });
tg.conv2d(x, w, null, { padding: 1 }).relu().sum().backward();
const gsum = (t) => Array.from(t.grad.data).reduce((a, b) => a + b, 0);
console.log(JSON.stringify({ convolve: y.toArray(), gx: gsum(x), gw: gsum(w), backend: tg.backend(), version: tg.version }));
`;

beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-consumer-'));
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-pack-'));
  // `npm test` builds dist/ first (pretest), as prepack does for a release; packing without the
  // scripts here keeps dist/ unchanged while other test files (the browser test) serve it.
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cjs', 'index.js')) || !fs.existsSync(path.join(ROOT, 'dist', 'browser', 'tapegrad.mjs'))) {
    throw new Error('dist/ is missing: run npm run build (npm test does it first)');
  }
  const out = execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The build's own lines come first; the JSON listing is the rest.
  const packed = JSON.parse(out.slice(out.search(/^\[/m)));
  tarball = path.join(packDir, packed[0].filename);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const install = run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
  if (install.code !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
});

afterAll(() => {
  for (const dir of [project, tarball && path.dirname(tarball)]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the tarball ships dist (with the .wasm kernels), data, bin, README and LICENSE — and no tests, bench or sources', () => {
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  for (const f of [
    'dist/cjs/index.js',
    'dist/cjs/index.d.ts',
    'dist/esm/index.mjs',
    'dist/esm/index.d.mts',
    'dist/cjs/kernels/wasm/kernels.wasm',
    'dist/cjs/kernels/wasm/kernels-relaxed.wasm',
    'dist/cjs/kernels/wasm/kernels-serial.wasm',
    'dist/cjs/kernels/wasm/kernels-serial-relaxed.wasm',
    'data/digits.csv.gz',
    'dist/browser/tapegrad.mjs',
    'dist/browser/tapegrad.d.mts',
    'bin/tapegrad.js',
    'dist/cjs/jest.js',
    'dist/cjs/jest.d.ts',
    'dist/esm/jest.mjs',
    'dist/esm/jest.d.mts',
    'jest.d.ts',
    'tsconfig.scripts.json',
    'README.md',
    'LICENSE',
    'package.json',
  ]) {
    expect(listing).toContain(f);
  }
  const unwanted = listing.filter(
    (f) =>
      /^(tests|bench|src|assembly|docs|examples|scripts)\//.test(f) ||
      f.endsWith('.svg') ||
      (f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.d.mts')),
  );
  expect(unwanted).toEqual([]);
});

test('tapegrad/browser resolves to one ES module that imports nothing, with the kernels and digits inside', () => {
  const file = require.resolve('tapegrad/browser', { paths: [project] });
  expect(file).toBe(path.join(project, 'node_modules', 'tapegrad', 'dist', 'browser', 'tapegrad.mjs'));
  const text = fs.readFileSync(file, 'utf8');
  expect(text).not.toMatch(/^\s*import\s.*from\s/m);
  expect(text).not.toMatch(/\brequire\(["']/);
  expect(text).not.toMatch(/(\bfrom|\brequire\(|\bimport\()\s*["']node:/);
  expect(text).toMatch(/\bexport\s*\{/);
});

test('the runtime dependencies are what the library calls: no TypeScript tooling', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'tapegrad', 'package.json'), 'utf8'));
  expect(Object.keys(pkg.dependencies).sort()).toEqual([
    '@viz-js/viz',
    'cli-progress',
    'fflate',
    'jpeg-js',
    'onnx-proto',
    'pngjs',
    'seedrandom',
  ]);
  for (const tool of ['typescript', 'ts-node']) expect(fs.existsSync(path.join(project, 'node_modules', tool))).toBe(false);
});

const expected = (r: { convolve: number[]; gx: number; gw: number; backend: { kernels: string }; version: string }) => {
  expect(r.convolve).toEqual([0, 1, 1, 3, 5, 2, 8]);
  expect(Number.isFinite(r.gx) && Number.isFinite(r.gw) && r.gw !== 0).toBe(true);
  expect(r.backend.kernels).toMatch(/^wasm-/);
  expect(r.version).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
};

let reference: { gx: number; gw: number } | undefined;

test('require() from CommonJS runs convolve and a conv2d backward on the WebAssembly kernels', () => {
  fs.writeFileSync(path.join(project, 'main.cjs'), `const tg = require('tapegrad');\n${PROBE}`);
  const r = node('main.cjs');
  expected(r);
  reference = r;
});

test('import from an ES module gives the same results, through the same single copy of the library', () => {
  fs.writeFileSync(
    path.join(project, 'main.mjs'),
    `import * as tg from 'tapegrad';\nimport tgDefault from 'tapegrad';\nimport { createRequire } from 'node:module';
if (createRequire(import.meta.url)('tapegrad') !== tgDefault) throw new Error('import and require see two copies');\n${PROBE}`,
  );
  const r = node('main.mjs');
  expected(r);
  expect({ gx: r.gx, gw: r.gw }).toEqual({ gx: reference!.gx, gw: reference!.gw });
});

test.each([
  ['commonjs', 'node10'],
  ['node16', 'node16'],
])(
  'a TypeScript file compiles with tsc --strict (module %s, resolution %s) against the shipped declarations, and runs',
  (module, resolution) => {
    const dir = path.join(project, `ts-${module}`);
    fs.mkdirSync(dir, { recursive: true });
    const typed = PROBE.replace('const gsum = (t) =>', 'const gsum = (t: tg.Tensor) =>').replace('t.grad.data', 't.grad!.data');
    fs.writeFileSync(
      path.join(dir, 'main.ts'),
      `import * as tg from 'tapegrad';\nconst n: number = tg.tensor([1, 2]).sum().item();\nvoid n;\n${typed}`,
    );
    // node16 resolution reads the exports map: tapegrad/browser's declarations resolve for an ES module.
    const files = ['main.ts'];
    if (module === 'node16') {
      fs.writeFileSync(
        path.join(dir, 'browser.mts'),
        "import type * as tgb from 'tapegrad/browser';\nimport * as tg from 'tapegrad';\nexport const same: typeof tgb.conv2d = tg.conv2d;\n",
      );
      files.push('browser.mts');
    }
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `ts-${module}`, private: true }));
    // No skipLibCheck: the shipped .d.ts files themselves must type-check under --strict.
    const tsc = run(
      process.execPath,
      [
        TSC,
        '--strict',
        '--target',
        'ES2022',
        '--module',
        module,
        '--moduleResolution',
        resolution,
        '--types',
        'node',
        '--typeRoots',
        path.join(ROOT, 'node_modules', '@types'),
        '--outDir',
        'out',
        ...files,
      ],
      dir,
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    const r = node(path.join(dir, 'out', 'main.js'));
    expected(r);
  },
);

test('tapegrad/jest: the matchers load from CommonJS and ESM (one copy of the library), and are typed for jest under both module resolutions', () => {
  const probe = `const x = tg.tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
const good = gradientMatchers.toPassGradcheck((v) => v.tanh().sum(), [x]);
const bad = tg.definePrimitive('consumer.badSquare', { forward: ([v]) => tg.noGrad(() => tg.mul(v, v)), backward: (gy, [v]) => [tg.mul(gy, v)] });
const r = gradientMatchers.toPassGradcheck((v) => bad.apply([v], undefined).sum(), [x]);
console.log(JSON.stringify({ good: good.pass, bad: r.pass, message: r.message() }));`;
  fs.writeFileSync(
    path.join(project, 'jest-probe.cjs'),
    `const tg = require('tapegrad');\nconst { gradientMatchers } = require('tapegrad/jest');\n${probe}`,
  );
  fs.writeFileSync(
    path.join(project, 'jest-probe.mjs'),
    `import * as tg from 'tapegrad';\nimport { gradientMatchers } from 'tapegrad/jest';\n${probe}`,
  );
  for (const file of ['jest-probe.cjs', 'jest-probe.mjs']) {
    const r = node(file);
    expect(r.good).toBe(true);
    expect(r.bad).toBe(false);
    expect(r.message).toMatch(/^toPassGradcheck: gradcheck failed: .*\n {2}blamed op: consumer\.badSquare /);
  }
  for (const [module, resolution] of [
    ['commonjs', 'node10'],
    ['node16', 'node16'],
  ]) {
    const dir = path.join(project, `jest-${module}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'grad.test.ts'),
      `import * as tg from 'tapegrad';
import 'tapegrad/jest';
const x = tg.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
test('tanh', () => {
  expect((v: tg.Tensor) => v.tanh().sum()).toPassGradcheck([x], { atol: 1e-6 });
  expect((v: tg.Tensor) => v.tanh().sum()).toPassGradgradcheck([x]);
  // @ts-expect-error the inputs are tensors
  expect((v: tg.Tensor) => v).toPassGradcheck(42);
});
`,
    );
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `jest-${module}`, private: true }));
    const tsc = run(
      process.execPath,
      [
        TSC,
        '--strict',
        '--noEmit',
        '--target',
        'ES2022',
        '--module',
        module,
        '--moduleResolution',
        resolution,
        '--types',
        'node,jest',
        '--typeRoots',
        path.join(ROOT, 'node_modules', '@types'),
        'grad.test.ts',
      ],
      dir,
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  }
});

test('a scratch .ts file outside the repository runs under ts-node with the shipped tsconfig.scripts.json (-P, or extended)', () => {
  const tsNode = path.join(ROOT, 'node_modules', '.bin', 'ts-node');
  const dir = path.join(project, 'scratch');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'scratch.ts'),
    `import * as tg from 'tapegrad';\nconst x = tg.tensor([1, 2], { dtype: 'float64', requiresGrad: true });\nconsole.log(String(tg.gradcheck((v: tg.Tensor) => v.tanh().sum(), [x])));\n`,
  );
  const viaP = run(tsNode, ['-P', path.join('..', 'node_modules', 'tapegrad', 'tsconfig.scripts.json'), 'scratch.ts'], dir);
  expect(viaP.stderr).toBe('');
  expect(viaP.stdout).toMatch(/^gradcheck passed: 2 comparisons/);
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: 'tapegrad/tsconfig.scripts.json' }));
  const viaExtends = run(tsNode, ['scratch.ts'], dir);
  expect(viaExtends.stderr).toBe('');
  expect(viaExtends.stdout).toMatch(/^gradcheck passed: 2 comparisons/);
});

test('npx tapegrad: --version, --help in well under half a second, and train --epochs 1 on the WebAssembly kernels', () => {
  const version = run(NPM, ['exec', '--', 'tapegrad', '--version']);
  expect(version.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  const bin = path.join(project, 'node_modules', '.bin', 'tapegrad');
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    const help = run(bin, ['train', '--help']);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: tapegrad train/);
  }
  // Not a benchmark: a loose bound that a CLI starting ts-node (1.4–2.5 s) could never meet.
  expect(times.sort((a, b) => a - b)[2]).toBeLessThan(1000);
  const train = run(bin, ['train', '--epochs', '1', '--limit', '200', '--out', path.join(project, 'run')]);
  expect(train.stderr).toBe('');
  expect(train.code).toBe(0);
  expect(train.stdout).toMatch(/kernels: WebAssembly (relaxed SIMD|SIMD), \d+ threads?/);
  expect(train.stdout).toMatch(/test accuracy \d+\.\d\d%/);
});

test('damaged .wasm files: the package falls back to the TypeScript kernels and says why, in backend() and the train header', () => {
  const wasmDir = path.join(project, 'node_modules', 'tapegrad', 'dist', 'cjs', 'kernels', 'wasm');
  for (const f of ['kernels.wasm', 'kernels-relaxed.wasm']) fs.writeFileSync(path.join(wasmDir, f), 'not a wasm module');
  const r = node('main.cjs');
  expect(r.convolve).toEqual([0, 1, 1, 3, 5, 2, 8]);
  expect(r.backend.kernels).toBe('js');
  expect(r.backend.reason).toMatch(/the WebAssembly kernels did not load: /);
  // The TypeScript kernels agree with WebAssembly to float32 rounding.
  expect(Math.abs(r.gw - reference!.gw)).toBeLessThan(1e-3 * Math.abs(reference!.gw));
  const train = run(path.join(project, 'node_modules', '.bin', 'tapegrad'), [
    'train',
    '--epochs',
    '1',
    '--limit',
    '100',
    '--out',
    path.join(project, 'run-js'),
  ]);
  expect(train.code).toBe(0);
  expect(train.stdout).toMatch(/kernels: TypeScript \(WebAssembly off: the WebAssembly kernels did not load: /);
  // Missing files: the same, with its own reason.
  for (const f of ['kernels.wasm', 'kernels-relaxed.wasm']) fs.rmSync(path.join(wasmDir, f));
  expect(node('main.cjs').backend).toEqual({
    kernels: 'js',
    threads: 1,
    reason: 'the WebAssembly kernels are missing (npm run build:wasm builds them)',
  });
});

test("the repository's sources load with its own ts-node, as external acceptance suites load them", () => {
  const script = `require(${JSON.stringify(path.join(ROOT, 'node_modules', 'ts-node'))}).register({ project: ${JSON.stringify(path.join(ROOT, 'tsconfig.json'))}, transpileOnly: true });
const tg = require(${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))});
${PROBE}`;
  fs.writeFileSync(path.join(project, 'from-source.cjs'), script);
  const r = node('from-source.cjs');
  expected(r);
});
