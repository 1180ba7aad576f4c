/**
 * @file Running the documentation: every ```ts block of README.md and docs/*.md is extracted,
 * type-checked against the repo's src (tsconfig's strict settings) and executed, so docs cannot rot.
 *
 * How a block becomes a program:
 * - Imports are written as users write them — `import * as tg from 'tapegrad'` or `from './src'` —
 *   and are pointed at the repo's src. A block that imports neither gets `import * as tg from 'tapegrad'`
 *   prepended (api.md's one-line examples rely on it).
 * - A line ending in `// → <expected>` is a claim: the value of the line's expression (or of the
 *   variable a `const`/`let` line declares) must equal `expected`, a literal or an expression
 *   evaluated in the block's scope. Tensors compare by toArray(), typed arrays as arrays; numbers
 *   within half a unit of the last decimal written (or 1e-5 relative for integers).
 *   `// throws: <text>` claims that the line throws (or rejects with) an Error whose message
 *   contains <text>.
 * - The body runs inside an async function, so `await` works at the top level of a block.
 * - ```ts no-run marks a block that cannot run by nature (it needs a download); it is still type-checked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

export const ROOT = path.join(__dirname, '..');
const SRC = path.join(ROOT, 'src');

export interface Block {
  /** Path relative to the repo root, e.g. `docs/tutorial.md`. */
  file: string;
  /** 1-based line of the first code line in the markdown file. */
  line: number;
  code: string;
  run: boolean;
}

const FENCE = /^(\s*)```\s*(ts|typescript)\b(.*)$/;

/** The ```ts blocks of a markdown text, in order. Other languages are ignored. */
export function extractBlocks(markdown: string, file: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) {
      // Skip over fences of other languages, so a ```ts inside them is not taken for a block.
      if (/^\s*```/.test(lines[i])) {
        const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l));
        if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code fence`);
        i = end;
      }
      continue;
    }
    const indent = open[1].length;
    const flags = open[3]
      .trim()
      .split(/\s+/)
      .filter((f) => f !== '');
    const unknown = flags.filter((f) => f !== 'no-run');
    if (unknown.length > 0) throw new Error(`${file}:${i + 1}: unknown code-block flag ${unknown.join(' ')} (only no-run)`);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]); j++) body.push(lines[j].slice(Math.min(indent, lines[j].search(/\S|$/))));
    if (j === lines.length) throw new Error(`${file}:${i + 1}: unclosed code fence`);
    blocks.push({ file, line: i + 2, code: body.join('\n'), run: !flags.includes('no-run') });
    i = j;
  }
  return blocks;
}

/** README.md and every docs/*.md, as [relative path, text]. */
export function docFiles(): [string, string][] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs].map((f) => [f, fs.readFileSync(path.join(ROOT, f), 'utf8')]);
}

const PACKAGE_IMPORT = /(from\s+|import\s+|import\s*\(\s*|require\s*\(\s*)(['"])(tapegrad|\.\.?\/src)(\/[^'"]*)?\2/g;

/** The program a block becomes: imports pointed at src, claims turned into checks, the body in an async function. */
export function toProgram(block: Block): { source: string; bodyOffset: number } {
  const where = (i: number) => `${block.file}:${block.line + i}`;
  const lines = block.code.split('\n');
  const imports: string[] = [];
  const body: string[] = [];
  let importsPackage = false;
  lines.forEach((raw, i) => {
    const line = raw.replace(PACKAGE_IMPORT, (_m, head: string, q: string, _pkg: string, sub = '') => {
      importsPackage = true;
      return `${head}${q}${path.join(SRC, sub).split(path.sep).join('/')}${q}`;
    });
    // Import lines stay at the top level; everything else goes in the body, line for line.
    if (/^import\s/.test(line)) {
      imports.push(line);
      body.push('');
    } else body.push(claim(line, where(i)));
  });
  const prelude = importsPackage ? [] : [`import * as tg from '${SRC.split(path.sep).join('/')}';`];
  const head = [...prelude, ...imports, 'export {};', '__done((async () => {'];
  return { source: [...head, ...body, '})());', ''].join('\n'), bodyOffset: head.length };
}

const CLAIM = /^(\s*)(.*?);?\s*\/\/\s*(→|throws:)\s*(.*)$/;
const DECLARATION = /^(?:const|let)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=/;

/** A line with a `// →` or `// throws:` claim, rewritten to check it. */
function claim(line: string, where: string): string {
  const m = CLAIM.exec(line);
  if (!m || m[2].trim() === '') return line;
  const [, indent, code, kind, expected] = m;
  const text = JSON.stringify(expected.trim());
  const at = JSON.stringify(where);
  if (kind === 'throws:') return `${indent}await __throws(async () => { ${code}; }, ${text}, ${at});`;
  const want = `() => (${expected.trim()})`;
  const decl = DECLARATION.exec(code);
  if (decl) return `${indent}${code}; __show(${decl[1]}, ${want}, ${text}, ${at});`;
  return `${indent}__show((${code}), ${want}, ${text}, ${at});`;
}

const DECLARATIONS = `
declare function __done(p: Promise<void>): void;
declare function __show(value: unknown, expected: () => unknown, text: string, where: string): void;
declare function __throws(fn: () => Promise<void>, expected: string, where: string): Promise<void>;
`;

/** Type errors of all blocks, each as `file:line: message`, checked as one program with the repo's compiler options. */
export function typeCheck(blocks: readonly Block[]): string[] {
  const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const options = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
  const virtual = new Map<string, { source: string; block: Block; bodyOffset: number }>();
  blocks.forEach((block, i) => {
    const { source, bodyOffset } = toProgram(block);
    virtual.set(path.join(ROOT, `__doc_block_${i}.ts`), { source, block, bodyOffset });
  });
  const declarations = path.join(ROOT, '__doc_declarations.d.ts');
  const host = ts.createCompilerHost(options);
  // Type roots (@types/node, @types/jest) resolve from the repo, whatever the working directory.
  host.getCurrentDirectory = () => ROOT;
  const read = (f: string) => (f === declarations ? DECLARATIONS : virtual.get(f)?.source);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = read(path.resolve(f));
    return text !== undefined ? ts.createSourceFile(f, text, lang) : getSourceFile(f, lang, ...rest);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => read(path.resolve(f)) !== undefined || fileExists(f);
  const program = ts.createProgram([declarations, ...virtual.keys()], { ...options, noEmit: true }, host);
  // Only the blocks are checked (src is tsc's business), which spares checking all of src.
  const diagnostics = [...virtual.keys()].flatMap((f) => {
    const sf = program.getSourceFile(f)!;
    return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  });
  const errors: string[] = [];
  for (const d of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...diagnostics]) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const v = d.file ? virtual.get(path.resolve(d.file.fileName)) : undefined;
    // Errors inside src are tsc's business (npm test runs it); a block's own errors are reported here.
    if (d.file && !v) continue;
    if (!v || d.start === undefined) {
      errors.push(`(program): ${message}`);
      continue;
    }
    const line = d.file!.getLineAndCharacterOfPosition(d.start).line;
    const mdLine = line >= v.bodyOffset ? v.block.line + line - v.bodyOffset : v.block.line;
    errors.push(`${v.block.file}:${mdLine}: ${message}`);
  }
  return errors;
}

/** Numbers match within half a unit of the literal's last decimal, integers within 1e-5 relative. */
function tolerance(expected: string, e: number): number {
  const decimals = Math.max(0, ...Array.from(expected.matchAll(/\d\.(\d+)/g), (m) => m[1].length));
  return Math.max(decimals > 0 ? 0.5 * 10 ** -decimals * (1 + 1e-9) : 0, 1e-5 * Math.max(1, Math.abs(e)));
}

function plain(v: unknown): unknown {
  const t = v as { toArray?: unknown; shape?: unknown } | null;
  if (t !== null && typeof t === 'object' && typeof t.toArray === 'function' && Array.isArray(t.shape)) return t.toArray();
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}

/** Where actual and expected differ ('' when they agree). */
function difference(actual: unknown, expected: unknown, tol: (e: number) => number, at = ''): string {
  const a = plain(actual);
  if (typeof expected === 'number') {
    if (typeof a !== 'number') return `${at} is ${JSON.stringify(a)}, expected the number ${expected}`;
    if (Number.isNaN(expected) ? Number.isNaN(a) : Object.is(a, expected) || Math.abs(a - expected) <= tol(expected)) return '';
    return `${at} is ${a}, expected ${expected}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(a)) return `${at} is ${JSON.stringify(a)}, expected an array`;
    if (a.length !== expected.length) return `${at} has length ${a.length}, expected ${expected.length}: ${JSON.stringify(a)}`;
    for (let i = 0; i < a.length; i++) {
      const d = difference(a[i], expected[i], tol, `${at}[${i}]`);
      if (d) return d;
    }
    return '';
  }
  if (expected !== null && typeof expected === 'object') {
    if (a === null || typeof a !== 'object') return `${at} is ${JSON.stringify(a)}, expected an object`;
    for (const key of Object.keys(expected)) {
      const d = difference((a as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], tol, `${at}.${key}`);
      if (d) return d;
    }
    return '';
  }
  return Object.is(a, expected) ? '' : `${at} is ${JSON.stringify(a)}, expected ${JSON.stringify(expected)}`;
}

export interface RunResult {
  /** What the block printed with console.log. */
  output: string[];
  /** Claims checked. */
  claims: number;
}

/**
 * Transpiles a block and runs it with `requireFn` resolving its imports (the test's own require, so
 * the block shares the test's tapegrad instance). Throws on an error or a failed claim, naming the line.
 */
export async function runBlock(block: Block, requireFn: NodeRequire): Promise<RunResult> {
  const js = ts.transpileModule(toProgram(block).source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: block.file,
  }).outputText;
  const output: string[] = [];
  const log = (...args: unknown[]) => void output.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(plain(a)))).join(' '));
  const sandboxConsole = { ...console, log, info: log, warn: log };
  let claims = 0;
  const show = (value: unknown, expected: () => unknown, text: string, where: string) => {
    claims++;
    const d = difference(value, plain(expected()), (x) => tolerance(text, x));
    if (d) throw new Error(`${where}: value${d}`);
  };
  const throws = async (fn: () => Promise<void>, expected: string, where: string) => {
    claims++;
    try {
      await fn();
    } catch (err) {
      const message = (err as Error).message;
      if (!message.includes(expected)) throw new Error(`${where}: threw '${message}', expected a message containing '${expected}'`);
      return;
    }
    throw new Error(`${where}: did not throw (expected '${expected}')`);
  };
  let done: Promise<void> = Promise.resolve();
  const exports = {};
  const fn = new Function('require', 'module', 'exports', 'console', '__done', '__show', '__throws', js);
  fn(requireFn, { exports }, exports, sandboxConsole, (p: Promise<void>) => void (done = p), show, throws);
  await done;
  return { output, claims };
}
