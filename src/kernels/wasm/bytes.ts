/**
 * @file Where the WebAssembly kernels' bytes come from in Node: the .wasm files beside this module
 * (src/kernels/wasm in the repository, dist/cjs/kernels/wasm in the package; `npm run build:wasm`
 * writes them). The browser build swaps this module for bytes.browser.ts, which embeds them.
 */
import * as fs from 'fs';
import * as path from 'path';

/**
 * The builds of assembly/ (assembly/asconfig.json): with relaxed SIMD, whose fused multiply-add
 * makes the GEMM a third faster, and with plain 128-bit SIMD for runtimes without it — the two
 * variants the threaded kernels run — and each variant's serial build without shared memory (Note
 * [serial arena] in runtime.ts).
 */
export const WASM_FILES = {
  relaxed: 'kernels-relaxed.wasm',
  simd: 'kernels.wasm',
  serial: 'kernels-serial.wasm',
  'serial-relaxed': 'kernels-serial-relaxed.wasm',
} as const;
export type Build = keyof typeof WASM_FILES;
export type Variant = 'relaxed' | 'simd';
/** The serial build of each variant: the same code, so the same bits, as its threaded instance. */
export const SERIAL_BUILD: Record<Variant, Build> = { relaxed: 'serial-relaxed', simd: 'serial' };

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
