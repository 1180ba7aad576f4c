/**
 * Graph pages (SPEC §13, tg.viz.toHtml) opened the way people open them: from file:// in headless
 * Chromium (tests/browser-harness.ts), with no request leaving the page and no console error.
 * Clicking a tensor shows its values; folding a module hides what it holds; the focus view of the
 * expanded conv2d has the window's products; the traced backward pass shows its steps; a huge graph
 * gets the cut view with a notice; and hostile names stay text.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import * as tg from '../src';
import { run as graphRun } from '../src/cli/graph';
import { launchBrowser, PageWatch, watchedPage } from './browser-harness';

jest.setTimeout(180_000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapegrad-pages-'));
let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function open(name: string, html: string): Promise<{ page: Page; watch: PageWatch }> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, html);
  const opened = await watchedPage(browser);
  await opened.page.goto(pathToFileURL(file).href);
  await opened.page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  return opened;
}

/** Clicks the node whose DOT id (kept as data-id: its SVG <title> says the node in words) is `id`. */
const clickNode = (page: Page, id: string) =>
  page.evaluate((target) => {
    const g = Array.from(document.querySelectorAll('g.node')).find((n) => n.getAttribute('data-id') === target)!;
    g.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  }, id);
const visible = async (page: Page) => Number(await page.evaluate(() => document.body.dataset.visibleNodes));
const countText = (page: Page, text: string) =>
  page.evaluate((t) => Array.from(document.querySelectorAll('g.node text')).filter((e) => e.textContent === t).length, text);

test('the expanded 1-D convolution: every node drawn; clicking x shows its values and gradient', async () => {
  const g = tg.viz.namedGraph('conv1d', { expand: true });
  const html = await tg.viz.toHtml(g.roots, g.options);
  expect(html).not.toMatch(/\b(src|href)=["']?https?:/);
  const { page, watch } = await open('conv1d.html', html);
  const nodes = await page.$$eval('g.node', (els) => els.length);
  expect(await visible(page)).toBe(nodes);
  expect(await countText(page, 'mul')).toBe(9);
  await clickNode(page, 't0');
  const panel = await page.$eval('#panel', (el) => el.textContent ?? '');
  expect(panel).toContain('0, 1, 2, 3, 4');
  expect(panel).toContain('gradient (.grad)');
  // Selecting x highlights what depends on it.
  expect(await page.$$eval('g.node.related', (els) => els.length)).toBeGreaterThan(10);
  expect(watch.problems).toEqual([]);
});

test('folding a module hides what it holds; the repeated-blocks badge and button are there', async () => {
  const g = tg.viz.namedGraph('cnn');
  const { page, watch } = await open('cnn.html', await tg.viz.toHtml(g.roots, g.options));
  const before = await visible(page);
  await page.evaluate(() => {
    const cluster = Array.from(document.querySelectorAll('g.cluster')).find((c) => /0: Conv2d/.test(c.textContent ?? ''))!;
    cluster.querySelector('text')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  });
  const after = await visible(page);
  expect(after).toBeLessThan(before);
  expect(await page.$eval('#count', (el) => el.textContent)).toBe(`${after} of ${before} nodes shown`);
  expect(await page.$$eval('text.badge', (els) => els.length)).toBeGreaterThan(0);
  // A click on a relu op shows its attributes and module.
  const op = await page.evaluate(() =>
    Array.from(document.querySelectorAll('g.node'))
      .find((n) => n.querySelector('text')?.textContent === 'relu')!
      .getAttribute('data-id')!,
  );
  await clickNode(page, op);
  expect(await page.$eval('#panel', (el) => el.textContent)).toMatch(/relu.*module1 \(ReLU\)/);
  // Search marks matching nodes.
  await page.type('#search', 'relu');
  expect(await page.$$eval('g.node.match', (els) => els.length)).toBe(2);
  expect(watch.problems).toEqual([]);
});

test.each([
  [[0, 1, 1, 1], 27],
  [[0, 1, 2, 2], 12],
])('the expanded conv2d focused on output %j draws its %i products (padding left out) and nothing else', async (focus, products) => {
  const g = tg.viz.namedGraph('conv2d', { expand: true });
  const { page, watch } = await open(`conv2d-${focus.join('')}.html`, await tg.viz.toHtml(g.roots, { ...g.options, focus, values: true }));
  expect(await countText(page, 'mul')).toBe(products);
  // One sum chain and the bias: as many adds as products (the last adds the bias).
  expect(await countText(page, 'add')).toBe(products);
  expect(watch.problems).toEqual([]);
  expect(() => tg.viz.toDot(g.roots, { focus: [0, 9, 0, 0] })).toThrow(
    "toDot: focus [0,9,0,0] is not an element of the root's shape [1,2,3,3]",
  );
  expect(() => tg.viz.toDot(tg.viz.namedGraph('conv2d').roots, { focus: [0, 0, 0, 0] })).toThrow('toDot: focus needs an expanded graph');
});

test('the traced backward pass: the order the rules ran and the gradients along the edges; intermediates get gradients', async () => {
  const x = tg.tensor(
    [
      [1, -2],
      [3, 0.5],
    ],
    { requiresGrad: true, name: 'x' },
  );
  const w = tg.tensor(
    [
      [0.5, 1],
      [-1, 2],
    ],
    { requiresGrad: true, name: 'w' },
  );
  const h = tg.tanh(tg.matmul(x, w));
  h.name = 'h';
  const loss = tg.sum(tg.mul(h, h));
  tg.viz.traceBackward(() => loss.backward());
  const { page, watch } = await open('traced.html', await tg.viz.toHtml(loss, { values: true }));
  await page.click('#backward');
  const marks = Number(await page.evaluate(() => document.body.dataset.backwardMarks));
  // Four rules ran (sum, mul, tanh, matmul); each sent a gradient along each of its edges.
  const steps = await page.$$eval('text.step', (els) =>
    els
      .map((e) => e.textContent ?? '')
      .filter((t) => t.startsWith('#'))
      .sort(),
  );
  expect(steps).toEqual(['#1', '#2', '#3', '#4']);
  expect(marks).toBeGreaterThan(4);
  const hId = await page.evaluate(() =>
    Array.from(document.querySelectorAll('g.node'))
      .find((n) => /^h/.test(n.querySelector('text')?.textContent ?? ''))!
      .getAttribute('data-id')!,
  );
  await clickNode(page, hId);
  expect(await page.$eval('#panel', (el) => el.textContent)).toContain('gradient (traced backward)');
  expect(watch.problems).toEqual([]);
});

test('a 100,000-op chain: the page draws the part nearest the output and says so, without hanging', async () => {
  let y = tg.tensor([0.5], { requiresGrad: true, name: 'x' });
  for (let i = 0; i < 100_000; i++) y = i % 2 === 0 ? y.mul(0.999) : y.tanh();
  const html = await tg.viz.toHtml(y);
  const { page, watch } = await open('chain.html', html);
  expect(await page.$eval('#notice', (el) => el.textContent)).toMatch(
    /^This graph has \d[\d,]* nodes, more than Graphviz lays out quickly \(3,000\), and no modules to fold: the 1,500 tensors nearest the outputs are drawn/,
  );
  expect(await visible(page)).toBeLessThanOrEqual(3000);
  expect(watch.problems).toEqual([]);
});

test('a wide graph opens at a legible zoom on its inputs; hovering shows nodes and edges in words, never DOT ids', async () => {
  let y = tg.tensor([1, 2, 3], { requiresGrad: true, name: 'x' });
  for (let i = 0; i < 120; i++) y = i % 2 === 0 ? y.mul(0.5) : y.tanh();
  const { page, watch } = await open('wide.html', await tg.viz.toHtml(y));
  const scale = await page.$eval('#canvas', (el) => Number(/scale\(([\d.]+)\)/.exec((el as HTMLElement).style.transform)![1]));
  expect(scale).toBeGreaterThanOrEqual(0.5);
  // The input x is on screen.
  const inView = await page.evaluate(() => {
    const g = Array.from(document.querySelectorAll('g.node')).find((n) => n.getAttribute('data-id') === 't0')!;
    const r = g.getBoundingClientRect();
    const v = document.getElementById('viewport')!.getBoundingClientRect();
    return r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom;
  });
  expect(inView).toBe(true);
  const titles = await page.$$eval('g.node > title, g.edge > title, g.cluster > title', (els) => els.map((e) => e.textContent ?? ''));
  expect(titles.length).toBeGreaterThan(200);
  expect(titles.filter((t) => /^(t|op|m|c)\d+$|->|^cluster_/.test(t))).toEqual([]);
  expect(titles).toContain('x [3] float32; value [1, 2, 3]');
  expect(titles).toContain('x [3] float32 \u2192 mul');
  expect(watch.problems).toEqual([]);
});

test('names with "<>&, newlines and </script> stay text in the page', async () => {
  const x = tg.tensor([1, 2], { requiresGrad: true, name: '</script><b>"x" & y\n' });
  const { page, watch } = await open('names.html', await tg.viz.toHtml(x.mul(2).sum(), { title: '<i>title</i> & </script>' }));
  expect(await page.$eval('#title', (el) => el.textContent)).toBe('<i>title</i> & </script>');
  await clickNode(page, 't0');
  expect(await page.$eval('#panel h2', (el) => el.textContent)).toContain('</script><b>"x" & y');
  expect(await page.$$eval('b', (els) => els.length)).toBe(0);
  expect(watch.problems).toEqual([]);
});

describe('tapegrad graph: pages, focus, scripts and run directories', () => {
  const quiet = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      return { code: await graphRun(args), out, err };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  };

  test('conv2d --expand --focus writes a page named after its flags', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const r = await quiet(['conv2d', '--expand', '--focus', '0,1,1,1', '--out', 'focus.html']);
      expect(r.code).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'focus.html'), 'utf8')).toContain('<svg');
      const named = await quiet(['conv2d', '--expand', '--focus', '0,1,1,1', '--values']);
      expect(named.out[0]).toBe('tapegrad graph: wrote conv2d-expanded-focus0-1-1-1-values.svg');
      expect((await quiet(['conv2d', '--focus', '0,0,0,0'])).err[0]).toMatch(/--focus goes with --expand/);
    } finally {
      process.chdir(cwd);
    }
  });

  test('--script draws the roots a file exports; a RUN_DIR draws the saved model with its gradients', async () => {
    const script = path.join(dir, 'roots.js');
    fs.writeFileSync(
      script,
      `const tg = require(${JSON.stringify(path.join(__dirname, '..', 'src'))});
module.exports = () => { const a = tg.tensor([1, 2], { requiresGrad: true, name: 'a' }); return tg.exp(a).sum(); };`,
    );
    const r = await quiet(['--script', script, '--out', path.join(dir, 'script.dot')]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'script.dot'), 'utf8')).toMatch(/label = <exp>/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { run: train } = require('../src/cli/train') as typeof import('../src/cli/train');
    const runDir = path.join(dir, 'run');
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await train(['--epochs', '1', '--limit', '60', '--batch-size', '30', '--out', runDir])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const g = await quiet([runDir, '--out', path.join(dir, 'run.dot')]);
    expect(g.code).toBe(0);
    const dot = fs.readFileSync(path.join(dir, 'run.dot'), 'utf8');
    expect(dot).toContain('block1.conv.weight');
    expect(dot).toMatch(/grad/);
  });
});
