/**
 * @file The WebAssembly kernels' bytes in the browser build: the three builds embedded in the module
 * (~15 KB each), so a page needs no second request and no server configuration for them.
 */
// The browser bundler (scripts/build-browser.js) loads .wasm files as bytes.
import relaxed from './kernels-relaxed.wasm';
import serial from './kernels-serial.wasm';
import simd from './kernels.wasm';

export const WASM_FILES = { relaxed: 'kernels-relaxed.wasm', simd: 'kernels.wasm', serial: 'kernels-serial.wasm' } as const;
export type Build = keyof typeof WASM_FILES;
export type Variant = Exclude<Build, 'serial'>;

export function wasmBytes(build: Build): Uint8Array | null {
  return build === 'relaxed' ? relaxed : build === 'serial' ? serial : simd;
}

/** A page cannot set engine flags: relaxed SIMD runs where the browser has it on. */
export function enableRelaxedSimd(): boolean {
  return false;
}
