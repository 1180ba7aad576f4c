/**
 * @file `npm run bench:browser`: the digits CNN training step (the playground's model: conv 3×3 16 →
 * relu → pool → conv 3×3 32 → relu → pool → linear, batch 32, SGD momentum) in headless Chromium
 * (tapegrad/browser, in a crossOriginIsolated page, in a Worker as the playground trains) against
 * Node (the CommonJS build of the same sources), in one run on this machine: medians and the ratio.
 */
import * as path from 'node:path';
import * as tg from '../src';
import { launchBrowser, watchedPage } from '../tests/browser-harness';
import { median } from './measure';

const ROOT = path.join(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startServer } = require(path.join(ROOT, 'scripts', 'playground.js'));

const STEPS = 60;
const WARMUP = 15;

/** The step as source text, run identically by Node and by the page's worker. */
const STEP_SOURCE = `(tg) => {
  const rng = tg.rng(0);
  const { nn } = tg;
  const model = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(128, 10, { rng }),
  );
  const opt = new tg.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const data = tg.data.loadDigits();
  const times = [];
  for (let s = 0; s < ${WARMUP + STEPS}; s++) {
    const idx = Int32Array.from({ length: 32 }, (_, i) => (s * 32 + i) % 1797);
    const batch = tg.data.gather(data, idx);
    const t0 = performance.now();
    opt.zeroGrad();
    tg.crossEntropy(model.forward(batch.images), batch.labels).backward();
    opt.step();
    if (s >= ${WARMUP}) times.push(performance.now() - t0);
  }
  return { times, backend: tg.backend() };
}`;

async function main(): Promise<void> {
  const node = new Function(`return ${STEP_SOURCE}`)()(tg) as { times: number[]; backend: tg.BackendInfo };
  const server = await startServer({ port: 0 });
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchBrowser();
  try {
    const { page } = await watchedPage(browser);
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 60_000 });
    // In a Worker, as the playground trains: a module worker built from the step's source.
    const inPage = (await page.evaluate(`new Promise((resolve, reject) => {
      const src = "import * as tg from '${origin}/tapegrad.mjs'; postMessage((${STEP_SOURCE.replace(/\n/g, ' ').replace(/"/g, '\\"')})(tg));";
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => reject(new Error(e.message));
    })`)) as { times: number[]; backend: tg.BackendInfo };
    const ms = (t: number[]) => median(t);
    const describe = (b: tg.BackendInfo) => `${b.kernels}, ${b.threads} thread${b.threads === 1 ? '' : 's'}`;
    console.log(`digits CNN training step, batch 32, median of ${STEPS} steps after ${WARMUP} warm-up steps:`);
    console.log(
      `  Node ${process.versions.node} (${describe(node.backend)}): ${ms(node.times).toFixed(2)} ms (${(32000 / ms(node.times)).toFixed(0)} images/s)`,
    );
    console.log(
      `  Chromium, in a Worker (${describe(inPage.backend)}): ${ms(inPage.times).toFixed(2)} ms (${(32000 / ms(inPage.times)).toFixed(0)} images/s)`,
    );
    console.log(`  Chromium / Node step time: ${(ms(inPage.times) / ms(node.times)).toFixed(2)}×`);
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
