import { parentPort } from 'node:worker_threads';
import { dataUrlBytes } from '../util/data-url.js';
import { readFdRangeIntoSync } from '../util/read-range.js';
import { lowerHelperThreadPriority } from '../util/worker.js';
import { type EncodeReply, type EncodeRequest, STREAM_CHUNK, STREAM_RAW_CHUNK } from './image-encoder.js';

/** The image encoder's thread (see image-encoder.ts): data URLs back as transferred buffers. */
lowerHelperThreadPriority();
const port = parentPort!;
/** The raw bytes of a streamed chunk, read here and reused. */
const raw = Buffer.allocUnsafeSlow(STREAM_RAW_CHUNK);

port.on('message', (m: EncodeRequest) => {
  try {
    if (m.type === 'url') {
      const url = dataUrlBytes(m.prefix, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
      const ab = url.buffer as ArrayBuffer;
      port.postMessage({ id: m.id, url: ab } satisfies EncodeReply, [ab]);
      return;
    }
    if (readFdRangeIntoSync(m.fd, raw, m.position, m.length) !== m.length)
      throw new Error('the file changed while the run was reading it');
    const chunk = Buffer.from(m.out ?? new ArrayBuffer(STREAM_CHUNK));
    const bytes = chunk.write(raw.toString('base64', 0, m.length), 0, 'latin1');
    const ab = chunk.buffer as ArrayBuffer;
    port.postMessage({ id: m.id, chunk: ab, bytes } satisfies EncodeReply, [ab]);
  } catch (err) {
    port.postMessage({ id: m.id, error: (err as Error).message } satisfies EncodeReply);
  }
});
