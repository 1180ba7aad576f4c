/**
 * Headless Chromium for the tests that look at pages the way people see them: the browser ships
 * inside the @sparticuz/chromium npm package (no download at install), driven by puppeteer-core.
 *
 * @sparticuz/chromium's default flags are for serverless sandboxes: --single-process, which leaves
 * pages unable to become crossOriginIsolated, and SharedArrayBuffer forced on everywhere. Both are
 * dropped so a page gets exactly the isolation its headers ask for.
 */
import type { Browser, Page } from 'puppeteer-core';

export interface PageWatch {
  /** Page errors, console errors and requests that left the machine, as they happened. */
  problems: string[];
}

export async function launchBrowser(): Promise<Browser> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const chromium = require('@sparticuz/chromium') as { executablePath(): Promise<string>; args: string[] };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const puppeteer = require('puppeteer-core') as typeof import('puppeteer-core');
  const args = [
    ...chromium.args.filter((a) => a !== '--single-process' && !a.startsWith('--enable-features=SharedArrayBuffer')),
    // Nothing but this machine resolves: a request meant for the network fails fast, and is reported.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  ];
  return puppeteer.launch({ executablePath: await chromium.executablePath(), args, headless: true });
}

/**
 * A page that records every page error, console error and non-local request. Requests are watched,
 * not intercepted: interception must answer every request, a Worker's script included, and a
 * request it never sees would hang the page.
 */
export async function watchedPage(browser: Browser): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage();
  const watch: PageWatch = { problems: [] };
  page.on('pageerror', (e) => watch.problems.push(`page error: ${(e as Error).message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') watch.problems.push(`console error: ${m.text()}`);
  });
  page.on('request', (req) => {
    const url = new URL(req.url());
    const local =
      url.protocol === 'data:' ||
      url.protocol === 'blob:' ||
      url.protocol === 'file:' ||
      url.hostname === '127.0.0.1' ||
      url.hostname === 'localhost';
    if (!local) watch.problems.push(`non-local request: ${req.url()}`);
  });
  await page.setViewport({ width: 1280, height: 900 });
  return { page, watch };
}
