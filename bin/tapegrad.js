#!/usr/bin/env node
// The `tapegrad` command: the compiled CLI in dist/ (npm run build writes it; npm ci and npm pack run the build).
'use strict';
const path = require('path');

// Note [training heap]: a training step allocates megabytes of tensor storage (ArrayBuffers, outside
// the JS heap) but little on the heap, which stays near 8 MB; V8 then answers the storage churn with a
// full mark-compact every few dozen milliseconds (about 300 in a Fashion-MNIST epoch, `--trace-gc`).
// Starting with a 64 MB old space makes them rare: the epoch ran about 12% faster. V8 takes the flag
// only at start-up, so `train` runs in a child Node with it; Ctrl-C, SIGTERM and SIGHUP reach the
// child (its SIGINT handler saves the checkpoint), and the child's exit status is the command's.
//
// Note [no orphan]: the child must never outlive this process. Signals are forwarded, but `kill -9`
// of this process (or a crash) forwards nothing; so the child also holds an IPC channel to this
// process and knows its pid (TAPEGRAD_PARENT_PID): when the channel closes or the child is
// re-parented, it exits at once, before writing anything more (src/cli/train.ts checks again right
// before each write).
// A reader that stops early (`tapegrad eval RUN | head`) closes the pipe; the next write then fails
// with EPIPE. Like the shell's own tools, end quietly instead of printing a stack trace; the status
// is the shell's for a process ended by SIGPIPE (128 + 13).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

const HEAP_FLAG = '--initial-old-space-size=64';
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];
if (process.argv[2] === 'train' && !process.execArgv.some((a) => a.startsWith('--initial-old-space-size'))) {
  const { spawn } = require('child_process');
  const child = spawn(process.execPath, [...process.execArgv, HEAP_FLAG, __filename, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TAPEGRAD_PARENT_PID: String(process.pid) },
  });
  const forward = (signal) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    for (const s of FORWARDED) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code;
  });
} else {
  const parent = Number(process.env.TAPEGRAD_PARENT_PID);
  if (parent > 0) {
    // Note [no orphan]: the child side. 129: the status of a process ended by its hang-up.
    const orphaned = () => process.exit(129);
    if (process.channel) {
      process.on('disconnect', orphaned);
      process.channel.unref();
    }
    setInterval(() => {
      if (process.ppid !== parent) orphaned();
    }, 100).unref();
    // A forwarded SIGTERM or SIGHUP ends the child between two writes, never inside one (a file
    // write is synchronous and handlers run after it), so no temporary file is left behind.
    for (const signal of ['SIGTERM', 'SIGHUP']) process.once(signal, () => process.kill(process.pid, signal));
  }
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
