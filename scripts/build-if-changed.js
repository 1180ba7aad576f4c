#!/usr/bin/env node
/**
 * `npm run build` only when its inputs changed since the last build: `npm ci` already builds
 * (prepare), so the `npm pack` (prepack) or `npm test` (pretest) that follows it skips the same work.
 * The inputs are hashed — src/, assembly/, the build scripts, package.json and the tsconfigs — and
 * the hash is written to build/inputs.sha256 after a successful build; a missing dist/ file or any
 * changed byte rebuilds. `TAPEGRAD_FORCE_BUILD=1` always rebuilds.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { execSync } = require('child_process');
const { inputsHash } = require('./build-inputs');

const root = path.join(__dirname, '..');
const stamp = path.join(root, 'build', 'inputs.sha256');
const outputs = ['dist/cjs/index.js', 'dist/esm/index.mjs', 'dist/browser/tapegrad.mjs'].map((f) => path.join(root, f));

const before = inputsHash();
const built = fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8').trim() : null;
if (built === before && outputs.every((f) => fs.existsSync(f)) && process.env.TAPEGRAD_FORCE_BUILD !== '1') {
  console.log('build: dist/ is up to date with src/, assembly/ and the build scripts (TAPEGRAD_FORCE_BUILD=1 rebuilds)');
} else {
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
