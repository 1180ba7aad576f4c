/**
 * @file How long the graph page of a 10,001-node chain takes to be ready in headless Chromium, the
 * measurement docs/graphs.md reports: `npx ts-node --transpile-only scripts/graph-page-load.ts
 * [--rounds N] [--out FILE] [--compare OTHER.html]`. Builds the page (x, then 5,000 `tanh` ops;
 * `toHtml(y, { maxNodes: 12000 })`), writes it to FILE if asked, then loads it N times (default 5)
 * from file:// in one browser — alternating with OTHER.html when given, e.g. the same page written by
 * an older tapegrad, so both see the same machine — and times puppeteer's `goto` to the page's ready
 * mark (`body[data-ready=true]`). Prints each load with the page's own clock (readyMs since navigation
 * began, scriptMs of its script) and the medians. Timed by hand, never in jest: the machine is shared.
 */
/// <reference lib="dom" />
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tg from '../src';
import { launchBrowser, watchedPage } from '../tests/browser-harness';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main(): Promise<void> {
  const rounds = Number(flag('--rounds') ?? 5);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got '${flag('--rounds')}'`);
  let y = tg.tensor([0.5, 0.25], { requiresGrad: true, name: 'x' });
  for (let i = 0; i < 5000; i++) y = y.tanh();
  const t0 = Date.now();
  const html = await tg.viz.toHtml(y, { maxNodes: 12_000 });
  console.log(`toHtml: ${Date.now() - t0} ms, ${(html.length / 1e6).toFixed(1)} MB`);
  const dir = mkdtempSync(join(tmpdir(), 'tapegrad-page-load-'));
  const page = resolve(flag('--out') ?? join(dir, 'chain-10k.html'));
  writeFileSync(page, html);
  const other = flag('--compare');
  const files = other !== undefined ? [page, resolve(other)] : [page];
  const browser = await launchBrowser();
  const times = new Map<string, number[][]>(files.map((f) => [f, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const f of files) {
        const { page: p, watch } = await watchedPage(browser);
        const start = Date.now();
        await p.goto(pathToFileURL(f).href, { timeout: 120_000 });
        await p.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
        const ms = Date.now() - start;
        const [readyMs, scriptMs] = await p.evaluate(() => [Number(document.body.dataset.readyMs), Number(document.body.dataset.scriptMs)]);
        times.get(f)!.push([ms, readyMs, scriptMs]);
        console.log(
          `${f}: ready ${ms} ms from goto (page's clock: ready at ${readyMs} ms, script ${scriptMs} ms)${watch.problems.length ? `; ${watch.problems.join('; ')}` : ''}`,
        );
        await p.close();
      }
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [f, t] of times) {
    console.log(
      `median of ${t.length}, ${f}: ready ${median(t.map((x) => x[0]))} ms from goto; page's clock ${median(t.map((x) => x[1]))} ms, script ${median(t.map((x) => x[2]))} ms`,
    );
  }
}

main().catch((e: Error) => {
  console.error(`graph-page-load: ${e.message}`);
  process.exitCode = 1;
});
