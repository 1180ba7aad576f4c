/**
 * @file report.html of a model-family run: the page the classifier report has (title, headline,
 * settings, curves, the epoch table, the computation graph) around the family's own sections
 * (reconstructions, samples, attention maps, filters, …). Well-formed XHTML, as report.ts.
 */
import { inlineSvg } from '../viz/svg';
import { escapeXml, lineChart } from './chart';
import type { ReportSection } from './family';
import { reportPage } from './report';

export interface SessionReportInput {
  title: string;
  /** The headline metric and its value, already formatted. */
  headline: string;
  settings: [string, string][];
  epochs: Record<string, number>[];
  timings: { epoch: number; trainSeconds: number; testSeconds: number; examplesPerSecond: number }[];
  unit: string;
  sections: ReportSection[];
  graphSvg: string | null;
  graphError: string | null;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

/** Metrics go into charts by kind: accuracies (0…1) in one, everything else (losses, errors) in another. */
function curves(epochs: Record<string, number>[]): string {
  const keys = [...new Set(epochs.flatMap((e) => Object.keys(e)))].filter((k) => k !== 'epoch');
  const accuracy = keys.filter((k) => /accuracy/i.test(k));
  const other = keys.filter((k) => !accuracy.includes(k));
  const chart = (title: string, names: string[], cls: string, yRange?: [number, number]) =>
    names.length === 0
      ? ''
      : `<div class="${cls}">${lineChart({
          title,
          yLabel: title.toLowerCase(),
          ...(yRange ? { yRange, formatY: (v: number) => `${Math.round(v * 1000) / 10}%` } : {}),
          series: names.map((k, i) => ({ name: k, color: COLORS[i % COLORS.length], values: epochs.map((e) => e[k] ?? Number.NaN) })),
        })}</div>`;
  return `<div class="charts">\n${chart('Loss', other, 'loss-chart')}${chart('Accuracy', accuracy, 'accuracy-chart', [0, 1])}\n</div>`;
}

function cell(k: string, v: number | undefined): string {
  if (v === undefined || v === null) return '';
  if (/accuracy/i.test(k)) return `${(100 * v).toFixed(2)}%`;
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(5);
}

function epochTable(epochs: Record<string, number>[], timings: SessionReportInput['timings'], unit: string): string {
  const keys = [...new Set(epochs.flatMap((e) => Object.keys(e)))].filter((k) => k !== 'epoch');
  const head = `<tr><th>epoch</th>${keys.map((k) => `<th>${escapeXml(k)}</th>`).join('')}<th>time (s)</th><th>${escapeXml(unit)}/s</th></tr>`;
  const rows = epochs.map((e, i) => {
    const t = timings[i];
    const time = t ? (t.trainSeconds + t.testSeconds).toFixed(1) : '';
    const speed = t ? Math.round(t.examplesPerSecond).toString() : '';
    return `<tr><td>${e.epoch}</td>${keys.map((k) => `<td>${cell(k, e[k])}</td>`).join('')}<td>${time}</td><td>${speed}</td></tr>`;
  });
  return `<table class="epochs">\n${head}\n${rows.join('\n')}\n</table>`;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

export function renderSessionReport(r: SessionReportInput): string {
  const body = [
    `<h1>${escapeXml(r.title)}</h1>`,
    `<p class="summary">${escapeXml(r.headline)}</p>`,
    `<table class="settings">\n${r.settings.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${escapeXml(v)}</td></tr>`).join('\n')}\n</table>`,
    '<h2 id="curves">Training curves</h2>',
    curves(r.epochs),
    epochTable(r.epochs, r.timings, r.unit),
    ...r.sections.flatMap((s) => [`<h2 id="${slug(s.title)}">${escapeXml(s.title)}</h2>`, s.html]),
    '<h2 id="graph">Computation graph</h2>',
    r.graphSvg
      ? `<p class="note">One example through the model, clustered by module.</p>\n<div class="graph">${inlineSvg(r.graphSvg)}</div>`
      : `<p class="note">The graph could not be drawn${r.graphError ? `: ${escapeXml(r.graphError)}` : ''}.</p>`,
  ];
  return reportPage(r.title, body);
}
