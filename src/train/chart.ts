/** @file Inline SVG line charts for report.html (loss and accuracy per epoch). */
import { escapeXml } from '../viz/escape';

export { escapeXml } from '../viz/escape';

export interface Series {
  name: string;
  color: string;
  /** values[i] belongs to epoch i + 1. */
  values: number[];
}

export interface LineChartOptions {
  title: string;
  yLabel: string;
  series: Series[];
  /** Fixed y range, e.g. [0, 1] for accuracy; otherwise 0..max of the data. */
  yRange?: [number, number];
  /** How y tick labels are written. */
  formatY?: (y: number) => string;
}

const WIDTH = 460;
const HEIGHT = 280;
/** The legend sits in the top margin, between the title and the plot, so it never covers data. */
const LEGEND_Y = 36;
const MARGIN = { left: 56, right: 16, top: 52, bottom: 44 };

/** Round numbers for axis ticks: 1, 2 or 5 times a power of ten. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * A chart with epochs on x and one polyline plus one marker per epoch for each series. Markers
 * carry `class="point"` and `data-epoch`, so a test (or a reader) can count them.
 */
export function lineChart(opts: LineChartOptions): string {
  const epochs = Math.max(1, ...opts.series.map((s) => s.values.length));
  const all = opts.series.flatMap((s) => s.values).filter(Number.isFinite);
  const [y0, y1] = opts.yRange ?? [0, Math.max(1e-9, ...all) * 1.05];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  // A single epoch sits in the middle rather than on the axis.
  const x = (epoch: number): number => MARGIN.left + (epochs === 1 ? plotW / 2 : ((epoch - 1) / (epochs - 1)) * plotW);
  const y = (v: number): number => MARGIN.top + plotH - ((Math.min(y1, Math.max(y0, v)) - y0) / (y1 - y0)) * plotH;
  const formatY = opts.formatY ?? ((v: number) => String(Number(v.toPrecision(3))));

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(opts.title)}">`,
  );
  parts.push(`<title>${escapeXml(opts.title)}</title>`);
  parts.push(`<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(opts.title)}</text>`);

  const yStep = niceStep(y1 - y0, 5);
  for (let v = Math.ceil(y0 / yStep) * yStep; v <= y1 + 1e-12; v += yStep) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${num(y(v))}" y2="${num(y(v))}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${num(y(v) + 4)}" text-anchor="end" font-size="11">${escapeXml(formatY(v))}</text>`);
  }
  const xStep = Math.max(1, Math.ceil(epochs / 10));
  for (let e = 1; e <= epochs; e += xStep) {
    parts.push(`<text x="${num(x(e))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11">${e}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
  );
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="12">epoch</text>`);
  parts.push(
    `<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(opts.yLabel)}</text>`,
  );

  opts.series.forEach((s, i) => {
    const name = escapeXml(s.name);
    const points = s.values.map((v, j) => [x(j + 1), y(v)]);
    if (points.length > 1) {
      parts.push(
        `<polyline class="curve" data-series="${name}" fill="none" stroke="${s.color}" stroke-width="2" points="${points.map(([px, py]) => `${num(px)},${num(py)}`).join(' ')}"/>`,
      );
    }
    points.forEach(([px, py], j) => {
      parts.push(
        `<circle class="point" data-series="${name}" data-epoch="${j + 1}" cx="${num(px)}" cy="${num(py)}" r="3" fill="${s.color}"><title>${name}, epoch ${j + 1}: ${escapeXml(formatY(s.values[j]))}</title></circle>`,
      );
    });
  });
  // One row of legend entries, left to right, each as wide as its name (about 6.5 px a character at 11 px).
  let lx = MARGIN.left;
  opts.series.forEach((s) => {
    parts.push(
      `<g class="legend"><rect x="${num(lx)}" y="${LEGEND_Y - 9}" width="10" height="10" fill="${s.color}"/>` +
        `<text x="${num(lx + 14)}" y="${LEGEND_Y}" font-size="11">${escapeXml(s.name)}</text></g>`,
    );
    lx += 14 + 6.5 * s.name.length + 16;
  });
  parts.push('</svg>');
  return parts.join('\n');
}
