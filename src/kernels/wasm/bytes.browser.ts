/**
 * @file The WebAssembly kernels' bytes in the browser build: both builds embedded in the module
 * (~11 KB each), so a page needs no second request and no server configuration for them.
 */
// The browser bundler (scripts/build-browser.js) loads .wasm files as bytes.
import relaxed from './kernels-relaxed.wasm';
import simd from './kernels.wasm';

export const WASM_FILES = { relaxed: 'kernels-relaxed.wasm', simd: 'kernels.wasm' } as const;
export type Variant = keyof typeof WASM_FILES;

export function wasmBytes(variant: Variant): Uint8Array | null {
  return variant === 'relaxed' ? relaxed : simd;
}

/** A page cannot set engine flags: relaxed SIMD runs where the browser has it on. */
export function enableRelaxedSimd(): boolean {
  return false;
}
