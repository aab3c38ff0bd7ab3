import { parentPort } from 'node:worker_threads';
import { dataUrlBytes } from '../util/data-url.js';
import { lowerHelperThreadPriority } from '../util/worker.js';
import type { EncodeReply, EncodeRequest } from './image-encoder.js';

/** The image encoder's thread (see image-encoder.ts): data URLs back as transferred buffers. */
lowerHelperThreadPriority();
const port = parentPort!;
port.on('message', (m: EncodeRequest) => {
  try {
    const url = dataUrlBytes(m.prefix, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
    const ab = url.buffer as ArrayBuffer;
    port.postMessage({ id: m.id, url: ab } satisfies EncodeReply, [ab]);
  } catch (err) {
    port.postMessage({ id: m.id, error: (err as Error).message } satisfies EncodeReply);
  }
});
