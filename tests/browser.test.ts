/// <reference lib="dom" />
/**
 * tapegrad/browser in real headless Chromium (tests/browser-harness.ts): the playground served by
 * scripts/playground.js with COOP/COEP, its convolutions and graphs, training in its Worker, results
 * equal bit for bit to Node's on the same kernels and threads, and the TypeScript fallback under a
 * Content-Security-Policy that forbids WebAssembly. Any page error, console error or request off
 * this machine fails the test.
 */
import type { Server } from 'node:http';
import * as path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import * as tg from '../src';
import { useKernels, kernels, selectKernels } from '../src/kernels';
import { launchBrowser, PageWatch, watchedPage } from './browser-harness';

jest.setTimeout(180_000);

const ROOT = path.join(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startServer } = require(path.join(ROOT, 'scripts', 'playground.js')) as { startServer(o: { port: number }): Promise<Server> };

let server: Server;
let browser: Browser;
let page: Page;
let watch: PageWatch;
let origin = '';

beforeAll(async () => {
  server = await startServer({ port: 0 });
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  browser = await launchBrowser();
  ({ page, watch } = await watchedPage(browser));
  await page.goto(`${origin}/?steps=30`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

const text = (id: string) => page.$eval(`#${id}`, (el) => el.textContent ?? '');
const data = (id: string, key: string) => page.$eval(`#${id}`, (el, k) => (el as HTMLElement).dataset[k as string] ?? '', key);

test('the page is crossOriginIsolated and runs the WebAssembly kernels on threads; tg.backend() says so', async () => {
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const backend = (await page.evaluate("import('/tapegrad.mjs').then((tg) => tg.backend())")) as tg.BackendInfo;
  expect(backend.kernels).toMatch(/^wasm-/);
  expect(backend.threads).toBeGreaterThanOrEqual(2);
  expect(await text('backend')).toMatch(/kernels: wasm-(relaxed-)?simd, \d+ threads/);
});

test("the tutorial's 1-D convolution: values, gradients, and an expanded graph with Node's node count; edits redraw", async () => {
  expect(await text('y1')).toBe('(1, 3, 5)');
  // The same graph built in Node: its gradients, and one SVG node group per graph node.
  const x = tg.tensor([0, 1, 2, 3, 4], { dtype: 'float64', requiresGrad: true, name: 'x' });
  const w = tg.tensor([1, -1, 2], { dtype: 'float64', requiresGrad: true, name: 'w' });
  const y = tg.convolve(x, w, 'valid', { expand: true });
  y.name = 'y';
  y.retainGrad();
  y.backward(tg.tensor([1, 2, 3], { dtype: 'float64' }));
  // For 'valid', dL/dx is the full correlation of dL/dy with w (the tutorial's derivation); Node's engine is gradchecked.
  expect(await text('gx1')).toBe(`(${Array.from(x.grad!.data).join(', ')})`);
  expect(await text('gw1')).toBe(`(${Array.from(w.grad!.data).join(', ')})`);
  const svg = await tg.viz.toSvg(tg.viz.toDot([y], { values: true, grads: true, title: "y = convolve(x, w, 'valid'); dL/dy = (1, 2, …)" }));
  const nodes = (svg.match(/<g id="node\d+" class="node">/g) ?? []).length;
  expect(nodes).toBeGreaterThan(20);
  expect(Number(await data('graph1', 'nodes'))).toBe(nodes);
  expect(await page.$$eval('#graph1 g.node', (els) => els.length)).toBe(nodes);
  // Edit w: y and the graph follow.
  await page.$eval('#w1', (el) => {
    (el as HTMLInputElement).value = '1, 1';
    el.dispatchEvent(new Event('input'));
  });
  await page.waitForFunction(() => document.getElementById('y1')!.textContent === '(1, 3, 5, 7)');
  await page.waitForFunction(
    () => document.querySelectorAll('#graph1 g.node').length > 0 && document.getElementById('graph1')!.textContent!.includes('[4]'),
  );
});

test('the 2-D layer: output size 3, and one output drawn as its 27 products and the bias', async () => {
  expect(await text('size2')).toContain('(5 − 3 + 2·1)/2 + 1 = 3');
  expect(await data('graph2e', 'products')).toBe('27');
  const muls = await page.$$eval('#graph2e g.node text', (els) => els.filter((e) => e.textContent === 'mul').length);
  expect(muls).toBe(27);
  expect(await text('y2')).toContain('the fused layer agrees');
  // A corner output has only 12 products inside the image.
  await page.select('#i2', '0');
  await page.select('#j2', '0');
  await page.waitForFunction(() => (document.getElementById('graph2e') as HTMLElement).dataset.products === '12');
});

test('training in the Worker: the loss falls, the confusion matrix counts the 360 test digits, the pad predicts', async () => {
  try {
    await page.waitForSelector('body[data-worker-ready=true]', { timeout: 120_000 });
  } catch (e) {
    // Say where the worker got to (its status line) and what the page reported.
    throw new Error(
      `the training worker did not become ready: status '${await text('status')}'; page problems: ${JSON.stringify(watch.problems)}`,
    );
  }
  await page.click('#start');
  await page.waitForSelector('body[data-trained=true]', { timeout: 120_000 });
  const losses = JSON.parse(await data('curves', 'losses')) as number[];
  expect(losses.length).toBeGreaterThanOrEqual(5);
  expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7);
  const cells = await page.$$eval('#confusion td', (tds) => tds.map((td) => Number(td.textContent || 0)));
  expect(cells.reduce((a, b) => a + b, 0)).toBe(360);
  expect(await page.$$eval('#filters canvas', (els) => els.length)).toBe(16);
  expect(await text('speed')).toMatch(/\d+ images\/s/);
  // Draw a stroke on the pad: a prediction with probabilities appears.
  const box = (await (await page.$('#pad'))!.boundingBox())!;
  await page.mouse.move(box.x + 80, box.y + 20);
  await page.mouse.down();
  await page.mouse.move(box.x + 80, box.y + 140, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction(() => /^\d$/.test(document.getElementById('prediction')!.textContent ?? ''));
  expect(await text('probs')).toMatch(/^\d: \d+\.\d%/);
});

test('results equal the Node build bit for bit on the same kernels and thread count', async () => {
  const probe = `import('/tapegrad.mjs').then((tgb) => {
    const r = tgb.rng(42);
    const x = tgb.randn([8, 16, 20, 20], { rng: r, requiresGrad: true });
    const w = tgb.randn([24, 16, 3, 3], { rng: r, requiresGrad: true });
    const a = tgb.randn([67, 129], { rng: r });
    const b = tgb.randn([129, 253], { rng: r });
    const y = tgb.conv2d(x, w, null, { padding: 1 });
    y.sum().backward();
    const bits = (t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
    return { backend: tgb.backend(), y: bits(y), gw: bits(w.grad), mm: bits(tgb.matmul(a, b)) };
  })`;
  const inPage = (await page.evaluate(probe)) as { backend: tg.BackendInfo; y: number[]; gw: number[]; mm: number[] };
  const saved = kernels();
  try {
    const node = selectKernels({ threads: inPage.backend.threads, wasm: inPage.backend.kernels === 'wasm-simd' ? 'simd' : 'auto' });
    expect(node.info.kernels).toBe(inPage.backend.kernels);
    useKernels(node);
    const r = tg.rng(42);
    const x = tg.randn([8, 16, 20, 20], { rng: r, requiresGrad: true });
    const w = tg.randn([24, 16, 3, 3], { rng: r, requiresGrad: true });
    const a = tg.randn([67, 129], { rng: r });
    const b = tg.randn([129, 253], { rng: r });
    const y = tg.conv2d(x, w, null, { padding: 1 });
    y.sum().backward();
    const bits = (t: tg.Tensor) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
    expect(inPage.y).toEqual(bits(y));
    expect(inPage.gw).toEqual(bits(w.grad!));
    expect(inPage.mm).toEqual(bits(tg.matmul(a, b)));
  } finally {
    useKernels(saved);
  }
});

test('a Content-Security-Policy that forbids WebAssembly: the page still works, on the TypeScript kernels, and backend() says why', async () => {
  const { page: csp, watch: cspWatch } = await watchedPage(browser);
  await csp.goto(`${origin}/csp/`);
  await csp.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
  const backend = (await csp.evaluate("import('/csp/tapegrad.mjs').then((tg) => tg.backend())")) as tg.BackendInfo;
  expect(backend.kernels).toBe('js');
  expect(backend.reason).toMatch(/^the WebAssembly kernels did not load: .*(Content Security Policy|unsafe-eval)/i);
  expect(await csp.$eval('#y1', (el) => el.textContent)).toBe('(1, 3, 5)');
  expect(await csp.$eval('#backend', (el) => el.textContent)).toMatch(/kernels: js, 1 thread \(the WebAssembly kernels did not load/);
  // Graphviz is WebAssembly too: the page says the graph cannot be drawn, instead of breaking.
  expect(await csp.$eval('#graph1', (el) => el.textContent)).toMatch(/The graph cannot be drawn here: Graphviz runs as WebAssembly/);
  // The browser reports the blocked compile as a CSP violation in the console; nothing else may go wrong.
  expect(cspWatch.problems.filter((p) => !/WebAssembly|wasm-unsafe-eval|Content Security Policy/i.test(p))).toEqual([]);
  await csp.close();
});

test('no page error, console error or request off this machine', () => {
  expect(watch.problems).toEqual([]);
});
