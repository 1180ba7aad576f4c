/** @file Writing a graph to a file: DOT text, an SVG drawing, or a graph page, by the file's extension. */
import { writeTextAsync } from '../platform/files';
import type { Tensor } from '../tensor/tensor';
import { toDot } from './dot';
import { HtmlOptions, toHtml } from './html';
import { toSvg } from './svg';

const WRITE_ERRORS: Record<string, string> = {
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a parent of it is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  EROFS: 'read-only file system',
};

/** Writes the graph behind `roots` to `path`: DOT text for `.dot`/`.gv`, a drawing for `.svg`, a graph page for `.html`. */
export async function writeGraph(path: string, roots: Tensor | readonly Tensor[], opts: HtmlOptions = {}): Promise<void> {
  const ext = (/\.[^./\\]*$/.exec(path)?.[0] ?? '').toLowerCase();
  if (ext !== '.dot' && ext !== '.gv' && ext !== '.svg' && ext !== '.html') {
    throw new Error(`writeGraph: cannot write '${path}': unknown extension '${ext || '(none)'}' (use .dot, .gv, .svg or .html)`);
  }
  const text = ext === '.html' ? await toHtml(roots, opts) : ext === '.svg' ? await toSvg(toDot(roots, opts)) : toDot(roots, opts);
  try {
    await writeTextAsync(path, text);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new Error(`writeGraph: cannot write '${path}': ${(err.code && WRITE_ERRORS[err.code]) ?? err.message}`);
  }
}
