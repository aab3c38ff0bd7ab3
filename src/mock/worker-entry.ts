import { parentPort, workerData } from 'node:worker_threads';
import { startMock } from './server.js';
import type { MockOptions } from './types.js';

/** The embedded mock's own thread: its event loop never competes with the driver's timestamps. */
const port = parentPort!;
const mock = await startMock(workerData as Partial<MockOptions>);
port.on('message', async (msg: { type: string }) => {
  if (msg.type === 'stats') port.postMessage({ type: 'stats', stats: mock.stats() });
  if (msg.type === 'close') {
    const stats = mock.stats();
    await mock.close();
    port.postMessage({ type: 'closed', stats });
    port.close();
  }
});
port.postMessage({ type: 'ready', url: mock.url, port: mock.port });
