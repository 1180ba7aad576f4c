/**
 * @file Starting the kernel worker threads in Node (worker_threads). The browser build swaps in
 * worker-host.browser.ts (Web Workers). Both run the same program body, handed the compiled module,
 * the shared memory, the thread's number and the export names.
 */

export interface WorkerData {
  module: unknown;
  memory: unknown;
  thread: number;
  names: readonly string[];
}

/** Whether this thread may block in Atomics.wait (Node: every thread). */
export const canBlock = true;

/** Cores to use by default. */
export function cores(): number {
  const os = require('os') as typeof import('os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Threads this host can run kernels on: no limit in Node. */
export function threadLimit(): { max: number; reason?: string } {
  return { max: Infinity };
}

/**
 * Starts a worker running `body` — the source of a function body that reads `data` — or returns
 * false when this runtime has no workers. `onError` runs if the worker dies.
 */
export function startWorker(body: string, data: WorkerData, onError: () => void): boolean {
  let Worker: typeof import('worker_threads').Worker;
  try {
    ({ Worker } = require('worker_threads') as typeof import('worker_threads'));
  } catch {
    return false;
  }
  const source = `const data = require('worker_threads').workerData;\n${body}`;
  const worker = new Worker(source, { eval: true, workerData: data });
  // Unref'd: a worker never keeps a process (a CLI, a jest worker) alive.
  worker.unref();
  worker.on('error', onError);
  return true;
}
