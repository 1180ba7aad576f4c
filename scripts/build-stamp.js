#!/usr/bin/env node
/** The last step of `npm run build`: records the hash of the build's inputs (see build-if-changed.js). */
'use strict';
const fs = require('fs');
const path = require('path');
const { inputsHash } = require('./build-inputs');
const dir = path.join(__dirname, '..', 'build');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'inputs.sha256'), inputsHash() + '\n');
