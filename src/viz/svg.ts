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
  return fitFonts(result.output);
}

/**
 * Note [text that fits]: Graphviz sizes every box from Helvetica's metrics, but a viewer without
 * Helvetica (or Arial, its metric twin) — most Linux desktops, headless Chromium — draws the text in
 * its fallback sans (DejaVu Sans, Open Sans), up to ~18% wider, and labels spilled out of their boxes
 * (tests/graph-overflow.test.ts measures it). The boxes stay as laid out; the text is drawn at 82% of
 * the size they were measured for, and the family lists Helvetica's metric-compatible stand-ins first.
 */
export const TEXT_SCALE = 0.82;

function fitFonts(svg: string): string {
  return svg
    .replace(/ font-size="([\d.]+)"/g, (_m, size: string) => ` font-size="${(Number(size) * TEXT_SCALE).toFixed(2)}"`)
    .replace(/ font-family="Helvetica,sans-Serif"/g, ` font-family="Helvetica,Arial,'Liberation Sans',sans-serif"`);
}

/**
 * Strips the XML declaration and DOCTYPE Graphviz puts before `<svg`, which may not appear inside HTML,
 * and the comment it writes before every node and edge (a tenth of a big page, for the parser to skip).
 */
export function inlineSvg(svg: string): string {
  const start = svg.indexOf('<svg');
  return (start < 0 ? svg : svg.slice(start)).replace(/<!--[^>]*-->\n?/g, '');
}
