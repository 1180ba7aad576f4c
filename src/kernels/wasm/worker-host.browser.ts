/**
 * @file Starting the kernel worker threads in a page: Web Workers from a Blob URL, handed the module
 * and the shared memory by postMessage — which browsers allow only in a crossOriginIsolated page
 * (COOP/COEP headers). Elsewhere the kernels run on the page's own thread.
 */
import type { WorkerData } from './worker-host';

export type { WorkerData } from './worker-host';

const scope = globalThis as unknown as {
  crossOriginIsolated?: boolean;
  Worker?: new (url: string) => { postMessage(data: unknown): void; onerror: (() => void) | null };
  Blob?: new (parts: string[], opts: { type: string }) => unknown;
  URL: { createObjectURL(blob: unknown): string };
  document?: unknown;
};

export function cores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/** A page's main thread may not block in Atomics.wait; a worker (a training worker, say) may. */
export const canBlock = scope.document === undefined;

export function threadLimit(): { max: number; reason?: string } {
  if (scope.crossOriginIsolated !== true) return { max: 1, reason: 'threads need a crossOriginIsolated page (COOP/COEP headers)' };
  if (scope.Worker === undefined) return { max: 1, reason: 'this context cannot start Web Workers' };
  return { max: Infinity };
}

export function startWorker(body: string, data: WorkerData, onError: () => void): boolean {
  if (threadLimit().max <= 1 || scope.Blob === undefined) return false;
  const source = `self.onmessage = (event) => {\n  self.onmessage = null;\n  const data = event.data;\n${body}\n};`;
  const url = scope.URL.createObjectURL(new scope.Blob([source], { type: 'text/javascript' }));
  const worker = new scope.Worker!(url);
  worker.onerror = onError;
  worker.postMessage(data);
  return true;
}
