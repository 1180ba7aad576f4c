/**
 * @file Which kernels run: decided here, once, on first use (Note [eligibility] in wasm/backend.ts
 * decides per call within the WebAssembly backend).
 *
 * TAPEGRAD_WASM: 0/off/false runs the TypeScript kernels; `simd` keeps to the plain-SIMD build
 * (the same bits on every machine: see README); anything else loads the relaxed-SIMD build where
 * the engine has it. TAPEGRAD_THREADS: threads in all (default: one per core, at most 4).
 */
import { createJsKernels, jsKernels } from './js';
import type { BackendInfo, Kernels } from './kernels';
import { threadCount } from './wasm/parallel';
import { createWasmKernels } from './wasm/backend';
import { loadRuntime } from './wasm/runtime';

export type { BackendInfo, BinaryOp, CompareOp, GeluApproximation, Kernels, ScanOp, UnaryOp } from './kernels';
export type { ConvGeometry } from './types';
export type { PoolGeometry } from './types';
export type { BatchNormStats } from './types';
export type { LayerNormStats } from './types';
export type { AdagradStep, AdamStep, RmspropStep, SgdStep } from './types';
export { jsKernels } from './js';

function env(name: string): string | undefined {
  return typeof process === 'object' && process !== null && process.env ? process.env[name] : undefined;
}

/** TAPEGRAD_WASM: 'off' (0, off, false), 'simd' (no relaxed SIMD) or 'auto' (anything else, the default). */
export function wasmMode(): 'off' | 'simd' | 'auto' {
  const v = (env('TAPEGRAD_WASM') ?? '').toLowerCase();
  return v === '0' || v === 'off' || v === 'false' ? 'off' : v === 'simd' ? 'simd' : 'auto';
}

export interface KernelChoice {
  /** 'auto' (the default), 'simd' (plain SIMD only) or 'off' (TypeScript only). */
  wasm?: 'off' | 'simd' | 'auto';
  /** Threads in all; default TAPEGRAD_THREADS, else one per core (at most 4). */
  threads?: number;
}

/** Loads the kernels a choice asks for, falling back to TypeScript with the reason. */
export function selectKernels({ wasm = wasmMode(), threads = threadCount(env('TAPEGRAD_THREADS')) }: KernelChoice = {}): Kernels {
  if (wasm === 'off') return createJsKernels({ kernels: 'js', threads: 1, reason: 'TAPEGRAD_WASM turns the WebAssembly kernels off' });
  const loaded = loadRuntime({ threads, allowRelaxed: wasm !== 'simd' });
  if (loaded.runtime === undefined) return createJsKernels({ kernels: 'js', threads: 1, reason: loaded.reason });
  return createWasmKernels(loaded.runtime, jsKernels);
}

let active: Kernels | null = null;

/** The kernels every op calls; chosen from the environment on first use. */
export function kernels(): Kernels {
  return active ?? (active = selectKernels());
}

/**
 * Chooses the kernels before (or instead of) the environment: `tapegrad train --threads N` and tests
 * call this. Kernels already running keep their worker threads until the process ends.
 */
export function useKernels(choice: KernelChoice | Kernels): Kernels {
  active = 'gemm' in choice ? choice : selectKernels(choice);
  return active;
}

/** What runs now (SPEC §10): the kernels, the threads they may use, and why WebAssembly is off if it is. */
export function backend(): BackendInfo {
  return { ...kernels().info };
}
