#!/usr/bin/env node
// The `tapegrad` command: the compiled CLI in dist/ (npm run build writes it; npm ci and npm pack run the build).
'use strict';
const path = require('path');
let cli;
try {
  cli = require(path.join(__dirname, '..', 'dist', 'cjs', 'cli', 'main.js'));
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(path.join('dist', 'cjs', 'cli', 'main.js'))) {
    console.error('tapegrad: the compiled CLI is missing (dist/); run npm run build');
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`tapegrad: ${err && err.message ? err.message : err}`); process.exitCode = 1; },
);
