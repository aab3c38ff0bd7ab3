import { close, open } from 'node:fs';
import { readFdRangeInto } from '../util/read-range.js';
import { TurnBudget } from '../util/turn-budget.js';
import { recycleChunk, STREAM_RAW_CHUNK } from './image-encoder.js';
import { StreamedImage } from './local-images.js';
import type { BodyPart, RequestBody } from './request.js';

/**
 * Written to the socket in slices, so that the "sent" stamp follows the socket's backpressure.
 * 256 KiB: each slice's read and write hold the thread ~0.15 ms (1 MiB held it ~0.5 ms).
 */
const SLICE = 256 * 1024;
/** Slices read and written per event-loop turn, all uploads together (see TurnBudget). */
const uploadBudget = new TurnBudget(4);

/**
 * The buffers that file slices are read into, reused from one upload to the next. A fresh buffer
 * per slice made 52 allocations of 1 MiB per request on the full dataset (3 GB per 60 requests):
 * V8 answered that external memory with hundreds of garbage collections that stalled the event
 * loop, and the loop is what stamps the tokens.
 */
const freeSlices: Buffer[] = [];
const MAX_FREE_SLICES = 64;

/**
 * The body as undici takes it. Up to one slice, a single Buffer: undici writes it (after the
 * headers, corked) synchronously inside dispatch() and calls onRequestSent right after the socket
 * accepted it, which is what "sent" means for the sliced path too (the last slice accepted); the
 * iterable path instead defers the first write by a microtask and walks an async iterator, which
 * put event-loop turns between "start" and the first byte. Larger bodies keep the slices, so that
 * "sent" follows the socket's backpressure on 52 MB uploads.
 */
export function dispatchBody(body: RequestBody): Buffer | AsyncIterable<Buffer> {
  const parts = body.parts;
  if (body.length > SLICE || !parts.every((p): p is Buffer => Buffer.isBuffer(p)))
    return new SliceUpload(parts);
  const buffers = parts as Buffer[];
  return buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers, body.length);
}

/**
 * Slices of a body larger than one slice, paced by the upload budget. Images left in the dataset
 * file are read slice by slice as the socket takes them, so a request in flight holds one slice
 * of its image, not 52 MB. Every slice of one upload is read into the same buffer. That is safe
 * because undici's iterable body (client-h1.js writeIterable) writes a chunk corked, so a chunk
 * larger than the socket's 16 KiB high-water mark always makes write() return false, and undici
 * then waits for 'drain', i.e. until the socket has handed every byte to the kernel, before it
 * asks for the next chunk. The buffer goes back to the pool only when the upload ended normally:
 * after an error a write may still hold it.
 *
 * An iterator by hand rather than an async generator over FileHandle reads: a 52 MB body is 200
 * slices, and the generator's and FileHandle's per-step objects were ~3 KB per slice, 40 % of
 * what the stamping thread allocated on the full dataset (each young-generation collection
 * stops the thread 1-3 ms there).
 */
class SliceUpload implements AsyncIterableIterator<Buffer> {
  private part = 0;
  /** Offset within the current part. */
  private at = 0;
  private slice: Buffer | undefined;
  private readonly fds = new Map<string, number>();
  /** A streamed image's encoded chunk being written, and the next one, asked for ahead. */
  private chunk: Buffer | undefined;
  private chunkAt = 0;
  private ahead: { part: number; raw: number; chunk: Promise<Buffer> } | undefined;
  private ended = false;

  constructor(private readonly parts: BodyPart[]) {
    this.askAhead(0, 0);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Buffer>> {
    try {
      while (this.part < this.parts.length) {
        const p = this.parts[this.part]!;
        if (this.at >= p.length) {
          // The socket took the last slice (undici asks for the next only then): the chunk is free.
          if (this.chunk) recycleChunk(this.chunk);
          this.chunk = undefined;
          this.part++;
          this.at = 0;
          continue;
        }
        if (p instanceof StreamedImage) return { done: false, value: await this.streamed(p) };
        const n = Math.min(SLICE, p.length - this.at);
        if (Buffer.isBuffer(p)) {
          const piece = n === p.length ? p : p.subarray(this.at, this.at + n);
          this.at += n;
          // A slice in memory costs its socket write's copy: paced with the file slices.
          if (n === SLICE) {
            const wait = uploadBudget.take();
            if (wait) await wait;
          }
          return { done: false, value: piece };
        }
        const fd = this.fds.get(p.file) ?? (await this.open(p.file));
        this.slice ??= freeSlices.pop() ?? Buffer.allocUnsafeSlow(SLICE);
        const wait = uploadBudget.take();
        if (wait) await wait;
        if ((await readFdRangeInto(fd, this.slice, p.offset + this.at, n)) !== n)
          throw new Error(`${p.file}: the file changed while the run was reading it`);
        this.at += n;
        return { done: false, value: n === SLICE ? this.slice : this.slice.subarray(0, n) };
      }
      this.end(true);
      return { done: true, value: undefined };
    } catch (err) {
      // A rejected next() ends a for-await loop without return(): the files close here.
      this.end(false);
      throw err;
    }
  }

  /** The next slice of a streamed image, from the chunk being written or the next one. */
  private async streamed(p: StreamedImage): Promise<Buffer> {
    if (!this.chunk || this.chunkAt >= this.chunk.length) {
      if (this.chunk) recycleChunk(this.chunk);
      this.chunk = undefined;
      // Chunks are 4/3 of their raw bytes, and each starts at a multiple of 4 of the encoding.
      const raw = (this.at / 4) * 3;
      const ahead = this.ahead?.part === this.part && this.ahead.raw === raw ? this.ahead.chunk : undefined;
      this.chunk = await (ahead ?? p.chunk(raw));
      this.chunkAt = 0;
      this.askAhead(this.part, raw + STREAM_RAW_CHUNK);
    }
    const n = Math.min(SLICE, this.chunk.length - this.chunkAt);
    const wait = uploadBudget.take();
    if (wait) await wait;
    const piece = this.chunk.subarray(this.chunkAt, this.chunkAt + n);
    this.chunkAt += n;
    this.at += n;
    return piece;
  }

  /**
   * Asks for the streamed chunk after the one at hand: the next of part `part` from raw offset
   * `raw`, or else the first of the next streamed image, so that the socket never waits for it.
   */
  private askAhead(part: number, raw: number): void {
    this.ahead = undefined;
    for (let i = part; i < this.parts.length; i++, raw = 0) {
      const p = this.parts[i];
      if (!(p instanceof StreamedImage) || raw >= p.rawLength) continue;
      const chunk = p.chunk(raw);
      // Awaited with its slice; an upload that ends first leaves it unread.
      chunk.catch(() => {});
      this.ahead = { part: i, raw, chunk };
      return;
    }
  }

  /** undici stopped early (the socket failed or the request was aborted). */
  async return(): Promise<IteratorResult<Buffer>> {
    this.end(false);
    return { done: true, value: undefined };
  }

  private open(file: string): Promise<number> {
    return new Promise((resolve, reject) =>
      open(file, 'r', (err, fd) => {
        if (err) return reject(err);
        if (this.ended) {
          close(fd, ignore);
          return reject(new Error('upload ended'));
        }
        this.fds.set(file, fd);
        resolve(fd);
      }),
    );
  }

  private end(clean: boolean): void {
    if (this.ended) return;
    this.ended = true;
    for (const fd of this.fds.values()) close(fd, ignore);
    this.fds.clear();
    if (this.slice && clean && freeSlices.length < MAX_FREE_SLICES) freeSlices.push(this.slice);
    this.slice = undefined;
    // After an error a write may still hold the chunk: it is not handed out again.
    this.chunk = undefined;
    this.ahead = undefined;
  }
}

const ignore = () => {};
