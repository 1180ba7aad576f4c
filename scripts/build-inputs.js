#!/usr/bin/env node
/**
 * The inputs of `npm run build`, hashed: src/, assembly/, data/, the build scripts, package.json and
 * the tsconfigs. build-stamp.js records the hash after a build; build-if-changed.js compares it.
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

function files(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function inputsHash() {
  const hash = crypto.createHash('sha256');
  const inputs = [
    ...files(path.join(root, 'src')),
    ...files(path.join(root, 'assembly')),
    ...files(path.join(root, 'data')),
    ...['scripts/build-dist.js', 'scripts/build-browser.js', 'package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) =>
      path.join(root, f),
    ),
  ];
  for (const f of inputs) {
    hash.update(path.relative(root, f));
    hash.update('\0');
    hash.update(fs.readFileSync(f));
    hash.update('\0');
  }
  return hash.digest('hex');
}

module.exports = { inputsHash };
