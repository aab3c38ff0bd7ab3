import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { UserError } from '../util/errors.js';
import type { MockOptions, MockStats } from './types.js';

/**
 * The embedded mock on a worker thread, for `run` without --url, `demo` and crosscheck. In the
 * driver's own event loop the mock's token timers and the driver's chunk stamps would delay each
 * other (measured: ~20 ms of event-loop delay at p99 in the demo); on its own thread it does not.
 */
export interface ThreadedMock {
  url: string;
  port: number;
  stats(): Promise<MockStats>;
  /** Stops the server; resolves with its final counters. */
  close(): Promise<MockStats>;
}

export async function startMockThread(opts: Partial<MockOptions>): Promise<ThreadedMock> {
  // Under tsx (tests, benches) the sources are .ts; built, they are .js beside this file.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const worker = new Worker(new URL(`./worker-entry${ext}`, import.meta.url), { workerData: opts });
  // once() rejects on the worker's 'error' event: a startMock that throws ends up here.
  const [ready] = (await once(worker, 'message').catch((err: unknown) => {
    // Crossing the thread keeps name and exitCode but not the class: a bad recordPath is still
    // the user's error, not a bug.
    const e = err as { name?: string; message?: string; exitCode?: unknown };
    if (e.name === 'UserError' && typeof e.exitCode === 'number')
      throw new UserError(e.message ?? '', e.exitCode);
    throw err;
  })) as [{ url: string; port: number }];
  const ask = async (type: 'stats' | 'close'): Promise<MockStats> => {
    const reply = new Promise<MockStats>((resolve, reject) => {
      // Both listeners go once answered: a plan asks for the counters before and after every run.
      const onError = (err: unknown) => {
        worker.off('message', onMsg);
        reject(err);
      };
      const onMsg = (m: { type: string; stats: MockStats }) => {
        if (m.type === (type === 'close' ? 'closed' : 'stats')) {
          worker.off('message', onMsg);
          worker.off('error', onError);
          resolve(m.stats);
        }
      };
      worker.on('message', onMsg);
      worker.once('error', onError);
    });
    worker.postMessage({ type });
    return reply;
  };
  return {
    url: ready.url,
    port: ready.port,
    stats: () => ask('stats'),
    async close() {
      const stats = await ask('close');
      await worker.terminate();
      return stats;
    },
  };
}
