/**
 * @file The WebAssembly kernels' bytes in the browser build: the four builds embedded in the module
 * (~75 KB each), so a page needs no second request and no server configuration for them.
 */
// The browser bundler (scripts/build-browser.js) loads .wasm files as bytes.
import relaxed from './kernels-relaxed.wasm';
import serial from './kernels-serial.wasm';
import serialRelaxed from './kernels-serial-relaxed.wasm';
import simd from './kernels.wasm';
import type { Build } from './builds';

const BYTES: Record<Build, Uint8Array> = { relaxed, simd, serial, 'serial-relaxed': serialRelaxed };

export function wasmBytes(build: Build): Uint8Array | null {
  return BYTES[build];
}

/** A page cannot set engine flags: relaxed SIMD runs where the browser has it on. */
export function enableRelaxedSimd(): boolean {
  return false;
}
