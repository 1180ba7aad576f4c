#!/usr/bin/env node
/**
 * `npm run playground`: serves playground/ and the browser build (dist/browser) on 127.0.0.1 with
 * the COOP/COEP headers that make the page crossOriginIsolated, so the kernels can use threads.
 * `--port N` (default 8080; 0 picks a free one). tests/browser.test.ts starts the same server.
 *
 * `/csp/` serves the same page under a Content-Security-Policy that forbids WebAssembly, to show
 * the fallback to the TypeScript kernels.
 */
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const root = path.join(__dirname, '..');
const FILES = {
  '/': ['playground/index.html', 'text/html; charset=utf-8'],
  '/index.html': ['playground/index.html', 'text/html; charset=utf-8'],
  '/app.js': ['playground/app.js', 'text/javascript; charset=utf-8'],
  '/train-worker.js': ['playground/train-worker.js', 'text/javascript; charset=utf-8'],
  '/playground.css': ['playground/playground.css', 'text/css; charset=utf-8'],
  '/tapegrad.mjs': ['dist/browser/tapegrad.mjs', 'text/javascript; charset=utf-8'],
  '/tapegrad.mjs.map': ['dist/browser/tapegrad.mjs.map', 'application/json'],
};

/** Starts the server; resolves to it once it listens (its address() has the port). */
function startServer({ port = 8080, host = '127.0.0.1' } = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const csp = url.pathname.startsWith('/csp/');
    const route = FILES[csp ? url.pathname.slice(4) : url.pathname];
    if (req.method !== 'GET' || route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const file = path.join(root, route[0]);
    if (!fs.existsSync(file)) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${route[0]} is missing: run npm run build`);
      return;
    }
    const headers = {
      'content-type': route[1],
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
    };
    // No 'wasm-unsafe-eval': the page may run scripts from itself but not compile WebAssembly.
    if (csp)
      headers['content-security-policy'] =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; img-src 'self' data:";
    res.writeHead(200, headers);
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

module.exports = { startServer };

if (require.main === module) {
  const at = process.argv.indexOf('--port');
  const port = at >= 0 ? Number(process.argv[at + 1]) : 8080;
  startServer({ port }).then(
    (server) => {
      const { port: actual } = server.address();
      console.log(`tapegrad playground: http://127.0.0.1:${actual}/ (Ctrl-C stops it)`);
    },
    (e) => {
      console.error(`playground: ${e.message}`);
      process.exit(1);
    },
  );
}
