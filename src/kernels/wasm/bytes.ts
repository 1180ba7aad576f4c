/**
 * @file Where the WebAssembly kernels' bytes come from in Node: the .wasm files beside this module
 * (src/kernels/wasm in the repository, dist/cjs/kernels/wasm in the package; `npm run build:wasm`
 * writes them). The browser build swaps this module for bytes.browser.ts, which embeds them.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Build, WASM_FILES } from './builds';

/** The bytes of one build, or null when its file is missing. */
export function wasmBytes(build: Build): Uint8Array | null {
  const file = path.join(__dirname, WASM_FILES[build]);
  return fs.existsSync(file) ? fs.readFileSync(file) : null;
}

/**
 * Turns on relaxed SIMD where the engine has it behind a flag: Node 20's V8 (11.3) does, V8 11.4
 * (Node 22) has it on for good. The flag only adds instructions to WebAssembly.
 */
export function enableRelaxedSimd(): boolean {
  try {
    (require('v8') as typeof import('v8')).setFlagsFromString('--experimental-wasm-relaxed-simd');
    return true;
  } catch {
    return false;
  }
}
