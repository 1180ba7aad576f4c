#!/usr/bin/env node
// The `tapegrad` command: the compiled CLI in dist/ (npm run build writes it; npm ci and npm pack run the build).
'use strict';
const path = require('path');

// Note [training heap]: a training step allocates megabytes of tensor storage (ArrayBuffers, outside
// the JS heap) but little on the heap, which stays near 8 MB; V8 then answers the storage churn with a
// full mark-compact every few dozen milliseconds (about 300 in a Fashion-MNIST epoch, `--trace-gc`).
// Starting with a 64 MB old space makes them rare: the epoch ran about 12% faster. V8 takes the flag
// only at start-up, so `train` runs in a child Node with it; Ctrl-C and SIGTERM reach the child (its
// handler saves the checkpoint), and the child's exit status is the command's.
const HEAP_FLAG = '--initial-old-space-size=64';
if (process.argv[2] === 'train' && !process.execArgv.some((a) => a.startsWith('--initial-old-space-size'))) {
  const { spawn } = require('child_process');
  const child = spawn(process.execPath, [...process.execArgv, HEAP_FLAG, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    for (const s of ['SIGINT', 'SIGTERM']) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code;
  });
} else {
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
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`tapegrad: ${err && err.message ? err.message : err}`);
      process.exitCode = 1;
    },
  );
}
