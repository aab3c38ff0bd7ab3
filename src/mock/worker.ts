import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
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
  const [ready] = (await Promise.race([
    once(worker, 'message'),
    once(worker, 'error').then(([err]) => {
      throw err;
    }),
  ])) as [{ url: string; port: number }];
  const ask = async (type: 'stats' | 'close'): Promise<MockStats> => {
    const reply = new Promise<MockStats>((resolve, reject) => {
      const onMsg = (m: { type: string; stats: MockStats }) => {
        if (m.type === (type === 'close' ? 'closed' : 'stats')) {
          worker.off('message', onMsg);
          resolve(m.stats);
        }
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
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
