#!/usr/bin/env node
/** `npm version` hook: writes package.json's version into src/version.ts (tg.version). */
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const file = path.join(root, 'src', 'version.ts');
const text = fs.readFileSync(file, 'utf8').replace(/export const version = '[^']*';/, `export const version = '${version}';`);
fs.writeFileSync(file, text);
