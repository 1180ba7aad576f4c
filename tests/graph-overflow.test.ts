/**
 * Figures as a person sees them (issue #32): every gallery figure and a user-style graph of each kind
 * (conv1d, conv2d expanded and focused, a CNN with cross-entropy, clustered and folded) is laid out by
 * Graphviz, rendered in headless Chromium, and every text box measured against its node's shape — a
 * label that spills out of its box fails. Screenshots go to $TAPEGRAD_SCREENSHOTS when set.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';
import * as tg from '../src';
import { launchBrowser, watchedPage } from './browser-harness';

jest.setTimeout(300_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-overflow-'));
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The user-style graphs: what a new user draws of their own code. */
function userGraphs(): [string, tg.Tensor[], tg.viz.DotOptions][] {
  const r = tg.rng(7);
  const x1 = tg.randn([1, 2, 8], { rng: r, requiresGrad: true, name: 'x' });
  const w1 = tg.randn([3, 2, 3], { rng: r, requiresGrad: true, name: 'w' });
  const conv1d = tg.conv1d(x1, w1, null, { padding: 1 });
  const x2 = tg.randn([1, 3, 5, 5], { rng: r, requiresGrad: true, name: 'x' });
  const w2 = tg.randn([2, 3, 3, 3], { rng: r, requiresGrad: true, name: 'w' });
  const expanded = tg.conv2d(x2, w2, null, { stride: 2, padding: 1, expand: true });
  const model = new tg.nn.Sequential(
    new tg.nn.Conv2d(1, 4, 3, { padding: 1, rng: r }),
    new tg.nn.BatchNorm2d(4),
    new tg.nn.ReLU(),
    new tg.nn.MaxPool2d(2),
    new tg.nn.Flatten(),
    new tg.nn.Linear(64, 3, { rng: r }),
  );
  const loss = tg.crossEntropy(model.forward(tg.randn([2, 1, 8, 8], { rng: r, name: 'images' })), [0, 2]);
  loss.backward();
  return [
    ['user-conv1d', [conv1d], { title: 'my conv1d, padding 1: x [1,2,8] and w [3,2,3] give [1,3,8]' }],
    ['user-conv1d-expanded', [conv1d], { expand: true, values: true }],
    ['user-conv2d-focus', [expanded], { focus: [0, 1, 1, 1], values: true }],
    ['user-cnn', [loss], { grads: true, title: 'my CNN with batch norm and cross-entropy, one training step' }],
    ['user-cnn-folded', [loss], { collapse: 1 }],
  ];
}

test('no text overflows its node, in every gallery figure and every user-style graph', async () => {
  const figures: [string, tg.Tensor[], tg.viz.DotOptions][] = [];
  for (const name of tg.viz.GRAPH_NAMES) {
    const g = tg.viz.namedGraph(name);
    figures.push([name, g.roots, g.options]);
    if (name === 'conv1d' || name === 'conv2d' || name === 'lstm') {
      const e = tg.viz.namedGraph(name, { expand: true });
      figures.push([`${name}-expanded`, e.roots, e.options]);
    }
  }
  figures.push(...userGraphs());
  const overflows: string[] = [];
  const { page } = await watchedPage(browser);
  for (const [name, roots, options] of figures) {
    const svg = await tg.viz.toSvg(tg.viz.toDot(roots, options));
    const file = path.join(dir, `${name}.html`);
    fs.writeFileSync(file, `<!doctype html><html><body style="margin:0">${svg.slice(svg.indexOf('<svg'))}</body></html>`);
    await page.goto(pathToFileURL(file).href);
    const found = await page.evaluate(() => {
      const out: string[] = [];
      const slack = 1.5;
      for (const g of Array.from(document.querySelectorAll('g.node'))) {
        const shape = g.querySelector('polygon, path, ellipse') as SVGGraphicsElement | null;
        if (shape === null) continue;
        const box = shape.getBBox();
        for (const t of Array.from(g.querySelectorAll('text')) as SVGTextElement[]) {
          const b = t.getBBox();
          if (
            b.x < box.x - slack ||
            b.x + b.width > box.x + box.width + slack ||
            b.y < box.y - slack ||
            b.y + b.height > box.y + box.height + slack
          ) {
            out.push(`'${t.textContent}' (${Math.round(b.x + b.width - (box.x + box.width))}px past the right edge)`);
          }
        }
      }
      // The title must fit the canvas.
      const root = document.querySelector('svg')!;
      const width = root.viewBox.baseVal.width;
      for (const t of Array.from(document.querySelectorAll('g.graph > text')) as SVGTextElement[]) {
        const b = t.getBBox();
        if (b.x + b.width > width + slack) out.push(`title '${t.textContent}' is ${Math.round(b.x + b.width - width)}px past the canvas`);
      }
      return out;
    });
    overflows.push(...found.map((f) => `${name}: ${f}`));
    const shots = process.env.TAPEGRAD_SCREENSHOTS;
    if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  }
  expect(overflows).toEqual([]);
});
