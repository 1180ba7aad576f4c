/**
 * @file SVG without a system Graphviz: `toSvg` lays out DOT with @viz-js/viz, Graphviz compiled to
 * WebAssembly and shipped on npm, so `npm ci` is all a machine needs (no `dot` binary on PATH).
 */
import { writeTextAsync } from '../platform/files';
import { instance } from '@viz-js/viz';
import type { Tensor } from '../tensor/tensor';
import { DotOptions, toDot } from './dot';

type Viz = Awaited<ReturnType<typeof instance>>;

/** Compiling the WebAssembly module is the slow part, so one instance serves every call. */
let shared: Promise<Viz> | null = null;

/** The DOT text laid out by Graphviz's `dot` engine, as an SVG document. Invalid DOT throws. */
export async function toSvg(dot: string): Promise<string> {
  shared ??= instance();
  const viz = await shared;
  const result = viz.render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    const messages = result.errors.map((e) => e.message.trim()).filter((m) => m !== '');
    throw new Error(`toSvg: Graphviz could not render the graph: ${messages.join('; ') || 'unknown error'}`);
  }
  return result.output;
}

const WRITE_ERRORS: Record<string, string> = {
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a parent of it is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  EROFS: 'read-only file system',
};

/** Writes the graph behind `roots` to `path`: DOT text for `.dot`/`.gv`, a drawing for `.svg`. */
export async function writeGraph(path: string, roots: Tensor | readonly Tensor[], opts: DotOptions = {}): Promise<void> {
  const ext = (/\.[^./\\]*$/.exec(path)?.[0] ?? '').toLowerCase();
  if (ext !== '.dot' && ext !== '.gv' && ext !== '.svg') {
    throw new Error(`writeGraph: cannot write '${path}': unknown extension '${ext || '(none)'}' (use .dot, .gv or .svg)`);
  }
  const dot = toDot(roots, opts);
  const text = ext === '.svg' ? await toSvg(dot) : dot;
  try {
    await writeTextAsync(path, text);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`writeGraph: cannot write '${path}': ${(err.code && WRITE_ERRORS[err.code]) ?? err.message}`);
  }
}
