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
