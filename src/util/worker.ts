import { getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on one of mmload's modules, given as the URL of its `.js` file next to
 * the caller (import.meta.url-relative). Built, that file runs as is; under tsx (tests, benches)
 * the `.ts` source is loaded with tsx registered in the thread, since Node 20 does not pass the
 * loader on to workers.
 */
export function startModuleWorker(callerUrl: string, jsName: string, workerData?: unknown): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(jsName, callerUrl), { workerData });
  const entry = new URL(jsName.replace(/\.js$/, '.ts'), callerUrl).href;
  const api = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true, workerData },
  );
}

/** How much nicer a helper thread is than the stamping thread: lower priority, without privileges. */
export const HELPER_NICE = 10;

/**
 * Called on a helper thread (dataset reader, image encoder, /metrics scraper): a helper ready to
 * run beside the stamping thread, on a host with no core to spare, took the core it wanted, and
 * the tokens that arrived meanwhile were stamped late. On Linux the nice value is
 * the calling thread's own, so this one thread yields and the rest of the process does not (a
 * higher nice needs no privilege). On other systems it would lower the whole process: left alone.
 * Full dataset at concurrency 30 beside the mock on 2 cores, 7 alternated runs: the stamping
 * thread's event-loop delay p99 median 8.15 -> 6.43 ms, lower in every pair, request rate alike.
 * The reader and the scraper call it only once their first job is done (the first rows, the
 * baseline scrape), as the run waits for both before its first request: niced from their start,
 * they took 365 ms at median from the reader's start to the first request, 325 ms after (6
 * alternated runs on the full dataset beside the mock).
 */
export function lowerHelperThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(Math.min(19, getPriority() + HELPER_NICE));
  } catch {
    // A sandbox that refuses setpriority: the thread keeps the process's priority.
  }
}
