/**
 * @file The builds of assembly/ (assembly/asconfig.json), named once for Node (bytes.ts) and the
 * browser (bytes.browser.ts): with relaxed SIMD, whose fused multiply-add makes the GEMM a third
 * faster, and with plain 128-bit SIMD for runtimes without it — the two variants the threaded kernels
 * run — and each variant's serial build without shared memory (Note [serial arena] in runtime.ts).
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
