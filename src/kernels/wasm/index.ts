/**
 * @file The WebAssembly kernel runtime the typed-array kernels dispatch to, loaded once at import:
 * null when TAPEGRAD_WASM=0 or when the module cannot load (Note [falling back] in runtime.ts).
 */
import { loadRuntime, Runtime, wasmDisabled } from './runtime';

export type { Runtime } from './runtime';
export { loadRuntime, unavailableReason, wasmDisabled, wasmMode } from './runtime';

export const runtime: Runtime | null = wasmDisabled() ? null : loadRuntime();
