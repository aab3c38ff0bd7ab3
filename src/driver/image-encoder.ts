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

export type EncodeRequest =
  | { type: 'url'; id: number; prefix: string; data: Uint8Array }
  /** Base64 of `length` bytes at `position` of the open file `fd`, into `out` when one is given. */
  | { type: 'chunk'; id: number; fd: number; position: number; length: number; out?: ArrayBuffer };
export type EncodeReply =
  | { id: number; url: ArrayBuffer }
  | { id: number; chunk: ArrayBuffer; bytes: number }
  | { id: number; error: string };

/**
 * Raw bytes per streamed chunk: a multiple of 3, so that the chunks' base64 joined is the whole
 * file's; 1 MiB encoded.
 */
export const STREAM_RAW_CHUNK = 3 * 256 * 1024;
export const STREAM_CHUNK = (STREAM_RAW_CHUNK / 3) * 4;

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
/** Chunk buffers back from finished uploads, handed to the thread again (no allocation per chunk). */
const freeChunks: ArrayBuffer[] = [];
const MAX_FREE_CHUNKS = 64;

function encoder(): Worker {
  if (worker) return worker;
  const w = startModuleWorker(import.meta.url, './image-encoder-entry.js');
  w.on('message', (m: EncodeReply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if ('error' in m) p.reject(new Error(m.error));
    else if ('chunk' in m) p.resolve(Buffer.from(m.chunk, 0, m.bytes));
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
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  const move = handOver && own ? [data.buffer as ArrayBuffer] : [];
  return ask((id) => ({ type: 'url', id, prefix, data }), move);
}

/**
 * The base64 of `length` bytes (at most STREAM_RAW_CHUNK; a multiple of 3 unless the file ends
 * there) at `position` of the open file `fd`, read and encoded on the encoder's thread, for
 * uploads that stream a local image instead of holding its data URL. Give the buffer back with
 * recycleChunk once the socket has taken it.
 */
export function encodeFileChunk(fd: number, position: number, length: number): Promise<Buffer> {
  const out = freeChunks.pop();
  return ask((id) => ({ type: 'chunk', id, fd, position, length, out }), out ? [out] : []);
}

export function recycleChunk(chunk: Buffer): void {
  const ab = chunk.buffer as ArrayBuffer;
  if (ab.byteLength === STREAM_CHUNK && freeChunks.length < MAX_FREE_CHUNKS) freeChunks.push(ab);
}

function ask(request: (id: number) => EncodeRequest, transfer: ArrayBuffer[]): Promise<Buffer> {
  const w = encoder();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // Held while an encoding is in flight, so that a caller awaiting it keeps the process alive.
    w.ref();
    w.postMessage(request(id), transfer);
  });
}
