#!/usr/bin/env node
// The `tapegrad` command: runs the TypeScript CLI through ts-node (transpile only, for start-up speed).
const path = require('path');
require('ts-node').register({ project: path.join(__dirname, '..', 'tsconfig.json'), transpileOnly: true });
require('../src/cli/main').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(`tapegrad: ${err && err.message ? err.message : err}`); process.exitCode = 1; },
);
