import type { Worker } from 'node:worker_threads';
import { dataUrlBytes } from '../util/data-url.js';
import { startModuleWorker } from '../util/worker.js';

/**
 * Local images as data URLs (`data:image/<format>;base64,...` as bytes), encoded on a thread of
 * their own. On the stamping thread a 7.8 MB PNG of the recipe cost ~21 ms (11.5 ms of base64,
 * 7.6 ms turning the string into bytes, a copy), and a path-mode run at concurrency 30 encodes
 * 150 of them at its start: its event loop stalled up to 0.8 s, and every token that arrived
 * meanwhile was stamped that late. Small images stay here: a thread hop costs more than they do.
 */
export const ENCODE_HERE_BYTES = 64 * 1024;

export interface EncodeRequest {
  id: number;
  prefix: string;
  data: Uint8Array;
}
export type EncodeReply = { id: number; url: ArrayBuffer } | { id: number; error: string };

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();

function encoder(): Worker {
  if (worker) return worker;
  const w = startModuleWorker(import.meta.url, './image-encoder-entry.js');
  w.on('message', (m: EncodeReply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if ('error' in m) p.reject(new Error(m.error));
    else p.resolve(Buffer.from(m.url));
  });
  // Every encoding in flight fails with the thread's error (or its exit: none waits forever);
  // the next one starts a new thread.
  const fail = (err: Error) => {
    if (worker === w) worker = undefined;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the image encoder thread exited (code ${code})`)));
  w.unref();
  worker = w;
  return w;
}

/**
 * `data`'s data URL. With `handOver`, the caller gives `data` away: when it is a buffer of its own
 * it is moved to the thread instead of copied (and is empty afterwards).
 */
export function encodeDataUrl(format: string, data: Buffer, handOver = false): Promise<Buffer> {
  const prefix = `data:image/${format};base64,`;
  if (data.length <= ENCODE_HERE_BYTES) return Promise.resolve(dataUrlBytes(prefix, data));
  const w = encoder();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // Held while an encoding is in flight, so that a caller awaiting it keeps the process alive.
    w.ref();
    const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const move = handOver && own ? [data.buffer as ArrayBuffer] : [];
    w.postMessage({ id, prefix, data } satisfies EncodeRequest, move);
  });
}
