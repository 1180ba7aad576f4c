/**
 * @file SVG without a system Graphviz: `toSvg` lays out DOT with @viz-js/viz, Graphviz compiled to
 * WebAssembly and shipped on npm, so `npm ci` is all a machine needs (no `dot` binary on PATH).
 */
import { instance } from '@viz-js/viz';

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

/** Strips the XML declaration and DOCTYPE Graphviz puts before `<svg`, which may not appear inside HTML. */
export function inlineSvg(svg: string): string {
  const start = svg.indexOf('<svg');
  return start < 0 ? svg : svg.slice(start);
}
