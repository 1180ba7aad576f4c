/**
 * @file Where the WebAssembly kernels' bytes come from in Node: the .wasm files beside this module
 * (src/kernels/wasm in the repository, dist/cjs/kernels/wasm in the package; `npm run build:wasm`
 * writes them). The browser build swaps this module for bytes.browser.ts, which embeds them.
 */
import * as fs from 'fs';
import * as path from 'path';

/**
 * The two builds of assembly/ (assembly/asconfig.json): with relaxed SIMD, whose fused multiply-add
 * makes the GEMM a third faster, and with plain 128-bit SIMD for runtimes without it.
 */
export const WASM_FILES = { relaxed: 'kernels-relaxed.wasm', simd: 'kernels.wasm' } as const;
export type Variant = keyof typeof WASM_FILES;

/** The bytes of one build, or null when its file is missing. */
export function wasmBytes(variant: Variant): Uint8Array | null {
  const file = path.join(__dirname, WASM_FILES[variant]);
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
