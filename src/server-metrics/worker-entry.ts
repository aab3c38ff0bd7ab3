import { parentPort } from 'node:worker_threads';
import { lowerHelperThreadPriority } from '../util/worker.js';
import { type PhaseName, ScrapeSession, type SessionOptions } from './session.js';

/** The scraper's own thread: fetching and parsing /metrics never competes with the driver's event loop. */
const port = parentPort!;
let session: ScrapeSession | undefined;

type Msg =
  | { type: 'start'; options: Omit<SessionOptions, 'log'> }
  | { type: 'phase'; phase: PhaseName }
  | { type: 'stop'; interrupted?: boolean };

port.on('message', async (m: Msg) => {
  try {
    if (m.type === 'start') {
      session = new ScrapeSession({ ...m.options, log: (line) => port.postMessage({ type: 'log', line }) });
      await session.start();
      port.postMessage({ type: 'started' });
      // Niced once the baseline is taken: the run waits for it before its first request.
      lowerHelperThreadPriority();
    } else if (m.type === 'phase') {
      await session?.mark(m.phase);
      port.postMessage({ type: 'phased' });
    } else if (m.type === 'stop') {
      const result = session ? await session.stop({ interrupted: m.interrupted }) : undefined;
      port.postMessage({ type: 'stopped', result });
    }
  } catch (err) {
    port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
});
