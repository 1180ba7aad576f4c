/**
 * @file report.html: one self-contained page per run — settings, loss and accuracy curves, the
 * confusion matrix, first-layer filters and feature maps, and the model's computation graph.
 * Written as well-formed XHTML-style markup (every element closed, every text escaped), so an XML
 * parser reads it as well as a browser does.
 */
import { inlineSvg } from '../viz/svg';
import { escapeXml, lineChart } from './chart';

import type { Confusion, EpochMetrics, EpochTiming } from './metrics';
import { GreyImage, pngDataUri } from './png';

export interface ImageRow {
  label: string;
  input: GreyImage;
  maps: GreyImage[];
}

export interface ReportInput {
  title: string;
  /** Name/value rows describing the run; values may come from the command line. */
  settings: [string, string][];
  epochs: EpochMetrics[];
  timings: EpochTiming[];
  classNames: string[];
  confusion: Confusion;
  /** The first conv layer's filters, one image per output channel (null for an MLP). */
  filters: GreyImage[] | null;
  /** A few test images and the feature maps the first conv layer (after ReLU) makes of them. */
  featureMaps: ImageRow[] | null;
  /** `tg.viz.toSvg` output; null when the graph could not be drawn. */
  graphSvg: string | null;
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

function settingsTable(rows: [string, string][]): string {
  const body = rows.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${escapeXml(v)}</td></tr>`).join('\n');
  return `<table class="settings">\n${body}\n</table>`;
}

function epochTable(epochs: EpochMetrics[], timings: EpochTiming[]): string {
  const head =
    '<tr><th>epoch</th><th>train loss</th><th>train acc</th><th>test loss</th><th>test acc</th><th>time (s)</th><th>images/s</th></tr>';
  const rows = epochs.map((e, i) => {
    const t = timings[i];
    const time = t ? (t.trainSeconds + t.testSeconds).toFixed(1) : '';
    const speed = t ? Math.round(t.imagesPerSecond).toString() : '';
    return `<tr><td>${e.epoch}</td><td>${e.trainLoss.toFixed(4)}</td><td>${percent(e.trainAccuracy)}</td><td>${e.testLoss.toFixed(4)}</td><td>${percent(e.testAccuracy)}</td><td>${time}</td><td>${speed}</td></tr>`;
  });
  return `<table class="epochs">\n${head}\n${rows.join('\n')}\n</table>`;
}

function curves(epochs: EpochMetrics[]): string {
  const loss = lineChart({
    title: 'Loss',
    yLabel: 'cross-entropy',
    series: [
      { name: 'train', color: '#1f77b4', values: epochs.map((e) => e.trainLoss) },
      { name: 'test', color: '#d62728', values: epochs.map((e) => e.testLoss) },
    ],
  });
  const accValues = epochs.flatMap((e) => [e.trainAccuracy, e.testAccuracy]);
  const low = Math.max(0, Math.floor(Math.min(1, ...accValues) * 10) / 10);
  const accuracy = lineChart({
    title: 'Accuracy',
    yLabel: 'accuracy',
    yRange: [low === 1 ? 0.9 : low, 1],
    formatY: (v) => `${Math.round(v * 1000) / 10}%`,
    series: [
      { name: 'train', color: '#1f77b4', values: epochs.map((e) => e.trainAccuracy) },
      { name: 'test', color: '#d62728', values: epochs.map((e) => e.testAccuracy) },
    ],
  });
  return `<div class="charts">\n<div class="loss-chart">${loss}</div>\n<div class="accuracy-chart">${accuracy}</div>\n</div>`;
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

function featureMapRows(rows: ImageRow[]): string {
  const scale = Math.max(2, Math.round(56 / rows[0].input.width));
  return rows
    .map((r) => {
      const maps = r.maps.map((m, i) => image(m, scale, `${r.label}: feature map ${i}`)).join('');
      return `<div class="maps">${image(r.input, scale, r.label)}<span>→</span>${maps}</div>`;
    })
    .join('\n');
}

export function renderReport(r: ReportInput): string {
  const final = r.epochs[r.epochs.length - 1];
  const sections = [
    `<h1>${escapeXml(r.title)}</h1>`,
    final
      ? `<p class="summary">Test accuracy after ${r.epochs.length} epoch${r.epochs.length === 1 ? '' : 's'}: <strong>${percent(final.testAccuracy)}</strong></p>`
      : '',
    settingsTable(r.settings),
    '<h2 id="curves">Loss and accuracy</h2>',
    curves(r.epochs),
    epochTable(r.epochs, r.timings),
    '<h2 id="confusion">Confusion matrix (test set)</h2>',
    confusionTable(r.classNames, r.confusion),
  ];
  if (r.filters && r.filters.length > 0) {
    sections.push(
      '<h2 id="filters">First-layer filters</h2>',
      '<p class="note">Each filter stretched from its own minimum (black) to maximum (white).</p>',
      filterGrid(r.filters),
    );
  }
  if (r.featureMaps && r.featureMaps.length > 0) {
    sections.push(
      '<h2 id="feature-maps">Feature maps</h2>',
      '<p class="note">Test images and the first convolution layer\'s activations (after ReLU).</p>',
      featureMapRows(r.featureMaps),
    );
  }
  sections.push('<h2 id="graph">Computation graph</h2>');
  sections.push(
    r.graphSvg
      ? `<p class="note">One example through the model and the loss, clustered by module.</p>\n<div class="graph">${inlineSvg(r.graphSvg)}</div>`
      : '<p class="note">The graph could not be drawn.</p>',
  );
  return reportPage(r.title, sections);
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
