/**
 * @file `npm run docs:graphs`: draws the example graphs into docs/graphs/ (shown in docs/graphs.md),
 * the same graphs `tapegrad graph` draws. The output is deterministic, so a rerun changes nothing
 * unless the graphs did. `npm run docs:graphs -- lstm cnn` draws only the figures of those graphs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
/// <reference lib="dom" />
import * as tg from '../src';

interface Figure {
  file: string;
  graph: string;
  expand?: boolean;
  /** lstm only. */
  steps?: number;
  options?: tg.viz.DotOptions;
}

const FIGURES: Figure[] = [
  { file: 'conv1d-expanded.svg', graph: 'conv1d', expand: true },
  { file: 'conv1d.svg', graph: 'conv1d' },
  { file: 'conv2d.svg', graph: 'conv2d', options: { values: true, grads: true } },
  { file: 'conv2d-expanded.svg', graph: 'conv2d', expand: true },
  { file: 'mlp.svg', graph: 'mlp', options: { values: true, grads: true } },
  { file: 'cnn.svg', graph: 'cnn' },
  { file: 'cnn-collapsed.svg', graph: 'cnn', options: { collapse: 1, values: true, grads: true, rankdir: 'TB' } },
  { file: 'conv2d-focus.svg', graph: 'conv2d', expand: true, options: { focus: [0, 1, 1, 1], values: true } },
  { file: 'lstm.svg', graph: 'lstm' },
  { file: 'lstm-cell.svg', graph: 'lstm', expand: true, steps: 1 },
];

/** Graph pages, and screenshots of them as a person sees them (headless Chromium), for docs/graphs.md. */
const PAGES: (Figure & { shot: string; click?: string; backwardStep?: number })[] = [
  { file: 'conv1d-expanded.html', shot: 'conv1d-expanded-page.png', graph: 'conv1d', expand: true, click: 't0' },
  {
    file: 'conv2d-focus.html',
    shot: 'conv2d-focus-page.png',
    graph: 'conv2d',
    expand: true,
    options: { focus: [0, 1, 1, 1], values: true },
    click: 't0',
  },
  { file: 'cnn.html', shot: 'cnn-page.png', graph: 'cnn', options: { values: true, grads: true } },
  // The backward pass stepped back to where it enters the fourth step's box.
  { file: 'lstm.html', shot: 'lstm-page.png', graph: 'lstm', backwardStep: 36 },
];

async function screenshots(dir: string, pages: typeof PAGES): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { launchBrowser } = require('../tests/browser-harness') as typeof import('../tests/browser-harness');
  const browser = await launchBrowser();
  try {
    for (const p of pages) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 760 });
      await page.goto(`file://${join(dir, p.file)}`);
      await page.waitForSelector('body[data-ready=true]');
      if (p.click) {
        // The page keeps each node's DOT id as data-id (its <title> says the node in words).
        await page.evaluate((id) => {
          const g = Array.from(document.querySelectorAll('g.node')).find((n) => n.getAttribute('data-id') === id);
          g?.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        }, p.click);
      }
      if (p.backwardStep !== undefined) {
        await page.click('#backward');
        await page.$eval(
          '#step',
          (el, k) => {
            (el as HTMLInputElement).value = String(k);
            el.dispatchEvent(new Event('input'));
          },
          p.backwardStep,
        );
      }
      await page.screenshot({ path: join(dir, p.shot) });
      console.log(`wrote docs/graphs/${p.shot}`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const dir = join(__dirname, '..', 'docs', 'graphs');
  mkdirSync(dir, { recursive: true });
  const only = process.argv.slice(2);
  const wanted = (f: Figure) => only.length === 0 || only.includes(f.graph);
  for (const f of FIGURES.filter(wanted)) {
    const g = tg.viz.namedGraph(f.graph, { expand: f.expand, ...(f.steps !== undefined ? { steps: f.steps } : {}) });
    const svg = await tg.viz.toSvg(tg.viz.toDot(g.roots, { ...g.options, ...f.options }));
    writeFileSync(join(dir, f.file), svg);
    console.log(`wrote docs/graphs/${f.file} (${Math.round(svg.length / 1024)} kB)`);
  }
  for (const p of PAGES.filter(wanted)) {
    const g = tg.viz.namedGraph(p.graph, { expand: p.expand, ...(p.steps !== undefined ? { steps: p.steps } : {}) });
    const html = await tg.viz.toHtml(g.roots, { ...g.options, ...p.options });
    writeFileSync(join(dir, p.file), html);
    console.log(`wrote docs/graphs/${p.file} (${Math.round(html.length / 1024)} kB)`);
  }
  await screenshots(dir, PAGES.filter(wanted));
}

main().catch((e: Error) => {
  console.error(`docs:graphs: ${e.message}`);
  process.exitCode = 1;
});
