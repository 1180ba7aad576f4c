/**
 * @file report.html: one self-contained page per run — settings, loss and accuracy curves, the
 * confusion matrix, first-layer filters and feature maps, and the model's computation graph.
 * Written as well-formed XHTML-style markup (every element closed, every text escaped), so an XML
 * parser reads it as well as a browser does.
 */
import { escapeXml } from './chart';

import type { Confusion } from './metrics';
import { GreyImage, pngDataUri } from './png';

export interface ImageRow {
  label: string;
  input: GreyImage;
  maps: GreyImage[];
}

export const REPORT_STYLE = `
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 2px 8px; text-align: right; }
table.settings td:first-child { text-align: left; color: #555; }
table.confusion td { width: 2.6em; height: 1.8em; text-align: center; font-size: 0.85em; }
table.confusion th { font-size: 0.85em; font-weight: normal; color: #555; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
img.pixels { image-rendering: pixelated; border: 1px solid #ccc; margin: 1px; }
.maps, .filters { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4em; margin: 0.4em 0; }
table.settings td { overflow-wrap: anywhere; }
.graph svg { max-width: 100%; height: auto; }
.note { color: #666; font-size: 0.9em; }
`;

export function percent(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

export function image(img: GreyImage, scale: number, title: string): string {
  return `<img class="pixels" src="${pngDataUri(img)}" width="${img.width * scale}" height="${img.height * scale}" alt="${escapeXml(title)}" title="${escapeXml(title)}"/>`;
}

/** Rows are true classes, columns predictions; each cell is shaded by its share of its row. */
export function confusionTable(classNames: string[], confusion: Confusion): string {
  const head = `<tr><th>true \\ predicted</th>${classNames.map((c) => `<th>${escapeXml(c)}</th>`).join('')}</tr>`;
  const rows = confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    const cells = row.map((count, p) => {
      const share = count / total;
      const hue = t === p ? '31,119,180' : '214,39,40';
      const color = share > 0.55 ? '#fff' : '#222';
      return `<td style="background: rgba(${hue},${share.toFixed(3)}); color: ${color}" title="${escapeXml(`${classNames[t]} predicted as ${classNames[p]}: ${count}`)}">${count}</td>`;
    });
    return `<tr><th>${escapeXml(classNames[t])}</th>${cells.join('')}</tr>`;
  });
  return `<table class="confusion">\n${head}\n${rows.join('\n')}\n</table>`;
}

export function filterGrid(filters: GreyImage[]): string {
  const scale = Math.max(4, Math.round(48 / filters[0].width));
  return `<div class="filters">${filters.map((f, i) => image(f, scale, `filter ${i}`)).join('')}</div>`;
}

/** The page around a report's sections: one self-contained, well-formed XHTML document (empty sections left out). */
export function reportPage(title: string, sections: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html xmlns="http://www.w3.org/1999/xhtml" lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    `<title>${escapeXml(title)}</title>`,
    `<style>${REPORT_STYLE}</style>`,
    '</head>',
    '<body>',
    ...sections.filter((s) => s !== ''),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
