/**
 * @file What graph nodes say: numbers, value summaries, and HTML-like label markup.
 *
 * Note [escaping labels]: every label is a Graphviz HTML-like label (`<…>`), never a quoted
 * string. Quoted strings would need DOT's own escapes (`\"`, `\\`, and `\n`, `\l`, `\N`, … which
 * Graphviz interprets), and the DOT writer (as ts-graphviz 2) escapes only quotes and newlines, so a name ending in a
 * backslash would break the file. Inside an HTML-like label only the XML entities matter, which
 * `escapeHtml` writes; Graphviz then writes the text into SVG escaped again, so a name such as
 * `a"b<c>&{d}` is shown exactly as it is. Line breaks in names become `<BR/>`; other control
 * characters (which XML 1.0 cannot carry at all, or Graphviz drops, as it does tabs) are shown as
 * their Unicode control pictures, e.g. ␉ for a tab.
 */
import { fmt } from '../tensor/shape';
import type { Tensor } from '../tensor/tensor';
import { xmlSafe } from './escape';

/** Tensors with at most this many elements show every value; larger ones show min/mean/max. */
export const MAX_SHOWN_VALUES = 16;

/** Text as HTML-like label content: entities for `& < > "`, `<BR/>` for line breaks. */
export function escapeHtml(text: string): string {
  return xmlSafe(
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/\r\n|\r|\n/g, '<BR/>')
      // Tab and DEL are legal XML but break a Graphviz label's layout: shown as their Control Pictures too.
      .replace(/[\u0009\u007f]/g, (c) => String.fromCharCode(c === '\u007f' ? 0x2421 : 0x2409)),
  );
}

/** Four significant digits, no trailing zeros; integers in full. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v === 0 ? 0 : v);
  return String(Number(v.toPrecision(4)));
}

/** min, mean and max of a tensor's values, formatted. */
function summarize(t: Tensor): [string, string, string] {
  const { data } = t;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return [formatNumber(min), formatNumber(sum / data.length), formatNumber(max)];
}

/** All of a small tensor's values as lines of text: NumPy-style brackets, one line per row. */
export function formatValues(t: Tensor): string[] {
  const { data, shape } = t;
  if (shape.length === 0) return [formatNumber(data[0])];
  if (data.length === 0) return ['[]'];
  const last = shape[shape.length - 1];
  const lines: string[] = [];
  for (let start = 0; start < data.length; start += last) {
    const row = Array.from(data.subarray(start, start + last), formatNumber).join(', ');
    // A row opens (closes) one bracket per axis whose block it starts (ends).
    let open = 0;
    let close = 0;
    for (let d = shape.length - 2, block = last; d >= 0; d--) {
      if (start % (block * shape[d]) === 0) open++;
      if ((start + last) % (block * shape[d]) === 0) close++;
      block *= shape[d];
    }
    const indent = ' '.repeat(shape.length - 1 - open);
    lines.push(`${indent}${'['.repeat(open + 1)}${row}${']'.repeat(close + 1)}${close + 1 < shape.length ? ',' : ''}`);
  }
  return lines;
}

export interface TensorLabelOptions {
  values: boolean;
  grads: boolean;
  /** The name to show when the tensor has none of its own (a state-dict name, `x[0,2]`: see dot.ts). */
  name?: string;
}

/** A tensor's values in one line for a tooltip: all of them when few, else min/mean/max. */
export function valuesInWords(t: Tensor): string {
  if (t.size <= 8) return t.ndim === 0 ? formatNumber(t.data[0]) : `[${Array.from(t.data, formatNumber).join(', ')}]`;
  const [min, mean, max] = summarize(t);
  return `min ${min}, mean ${mean}, max ${max}`;
}

const SMALL = 'POINT-SIZE="9" COLOR="#555555"';
const MONO = 'FACE="Courier"';
const GRAD_COLOR = '#b03a2e';

const small = (text: string) => `<FONT ${SMALL}>${escapeHtml(text)}</FONT>`;
const mono = (text: string, color?: string) => `<FONT ${MONO}${color ? ` COLOR="${color}"` : ''}>${escapeHtml(text)}</FONT>`;
const cell = (content: string, align = 'LEFT', colspan = 1, padding = 1) =>
  `<TD ALIGN="${align}"${colspan > 1 ? ` COLSPAN="${colspan}"` : ''}${padding !== 1 ? ` CELLPADDING="${padding}"` : ''}>${content}</TD>`;

/**
 * A tensor node: name, shape and dtype; optionally its values and, once backward has stored one,
 * its gradient. Small tensors list every number (value above grad); large ones get a little
 * table, min/mean/max down the side, value and grad side by side.
 */
export function tensorLabel(t: Tensor, opts: TensorLabelOptions): string {
  const columns: { title: string; t: Tensor; color?: string }[] = [];
  if (opts.values) columns.push({ title: 'value', t });
  if (opts.grads && t.grad !== null) columns.push({ title: 'grad', t: t.grad, color: GRAD_COLOR });
  const large = t.size > MAX_SHOWN_VALUES;
  const width = large ? 1 + columns.length : 2;
  const rows: string[] = [];
  const name = t.name !== undefined && t.name !== '' ? t.name : opts.name;
  if (name !== undefined && name !== '') rows.push(cell(`<B>${escapeHtml(name)}</B>`, 'CENTER', width));
  rows.push(cell(small(`${fmt(t.shape)} ${t.dtype}`), 'CENTER', width));
  if (large && columns.length > 0) {
    const stats = columns.map((c) => summarize(c.t));
    // The headers get the values' wider padding too, or `value` and `grad` run together as `valuegrad`.
    rows.push(cell('') + columns.map((c) => cell(small(c.title), 'RIGHT', 1, 3)).join(''));
    ['min', 'mean', 'max'].forEach((what, k) => {
      // The wider padding keeps the value and grad columns apart.
      rows.push(cell(small(what)) + columns.map((c, i) => cell(mono(stats[i][k], c.color), 'RIGHT', 1, 3)).join(''));
    });
  } else {
    for (const c of columns) {
      const lines =
        formatValues(c.t)
          .map((l) => mono(l, c.color))
          .join('<BR ALIGN="LEFT"/>') + '<BR ALIGN="LEFT"/>';
      rows.push(cell(small(c.title)) + cell(lines));
    }
  }
  return `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">${rows.map((r) => `<TR>${r}</TR>`).join('')}</TABLE>>`;
}

// Bold and regular text never share a line: Graphviz places each run by its own width estimate,
// so a viewer whose fallback font is wider would draw them over each other.

/** An op node: the primitive's name, then its attributes, e.g. `conv2d stride=2 pad=1`. */
export function opLabel(op: string, attrs: string): string {
  return `<${escapeHtml(attrs === '' ? op : `${op} ${attrs}`)}>`;
}

/** A module, as a cluster title or a collapsed node: its dotted name and its class, e.g. `features.0: Conv2d`. */
export function moduleLabel(path: string, kind: string, detail?: string): string {
  const name = `<B>${escapeHtml(path === '' ? kind : `${path}: ${kind}`)}</B>`;
  return `<${name}${detail === undefined ? '' : `<BR/><FONT ${SMALL}>${escapeHtml(detail)}</FONT>`}>`;
}

/** A title's lines are at most this many characters (a longer word gets a line of its own). */
export const TITLE_WIDTH = 44;

/** Text broken into lines of at most `width` characters at spaces. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r\n|\r|\n/)) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines;
}

/**
 * The graph's title, wrapped: Graphviz sizes the canvas to the graph, not to the title, so a long
 * one-line title ran off the right edge of a narrow drawing.
 */
export function titleLabel(title: string): string {
  return `<${wrapText(title, TITLE_WIDTH)
    .map((line) => `<B>${escapeHtml(line)}</B>`)
    .join('<BR ALIGN="LEFT"/>')}>`;
}
