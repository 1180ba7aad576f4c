#!/usr/bin/env node
/** The first step of `npm run build`: removes dist/, so files of modules that moved or were deleted do not linger in the package. */
'use strict';
const fs = require('fs');
const path = require('path');
fs.rmSync(path.join(__dirname, '..', 'dist'), { recursive: true, force: true });
