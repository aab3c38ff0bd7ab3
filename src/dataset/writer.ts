import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { tempPathFor } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { ClosedPipeError } from '../util/pipe.js';

/**
 * Where generated rows go. Every byte written is hashed on the way (for the manifest). A file
 * sink can also copy back a range it wrote earlier, which is how repeated images are written
 * without keeping them in memory: the first copy in the output is the cache, and the page cache
 * makes reading it back cheap.
 */
export interface RowSink {
  readonly bytes: number;
  /**
   * Returns the chunk's offset once the caller may reuse `chunk` (small chunks are copied, large
   * ones written first).
   */
  write(chunk: Buffer): Promise<number>;
  /**
   * The sink keeps `chunk` until it is in the file, so the call returns (with its offset) while
   * the write is still going: the caller must not change `chunk` before writtenUpTo() has passed
   * its end.
   */
  handOver(chunk: Buffer): Promise<number>;
  /** Resolves when every byte below `end` is in the file (before reading it back). */
  writtenUpTo(end: number): Promise<void>;
  /** Puts every byte written so far into the file. */
  flush(): Promise<void>;
  /** The file holding what was written, for read-back after flush(); undefined for a pipe. */
  readonly readable: FileHandle | undefined;
  sha256(): string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Turns the I/O errors a user can act on into a clear message. */
export function describeWriteError(err: unknown, target: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC')
    return new UserError(`disk full while writing ${target}; nothing was left under that name`, 1);
  if (code === 'EDQUOT') return new UserError(`disk quota exceeded while writing ${target}`, 1);
  if (code === 'EACCES' || code === 'EPERM')
    return new UserError(`cannot write ${target}: permission denied`, 1);
  if (code === 'ENOENT') return new UserError(`cannot write ${target}: its directory does not exist`, 1);
  if (code === 'EPIPE') return new ClosedPipeError(target);
  if (code === 'EISDIR') return new UserError(`cannot write ${target}: it is a directory`, 1);
  return err instanceof Error ? err : new Error(String(err));
}

const STAGING_BYTES = 1 << 20;
/**
 * Writes to the file in flight at once. Each is a pwrite at its own offset on libuv's threadpool,
 * so they may finish in any order; two keep a core copying into the page cache while the main
 * thread hashes the next chunk and a third pool thread reads an image back (four pool threads by
 * default, sharp's encodes share them). Four measured no faster than two on 2 cores.
 */
const MAX_IN_FLIGHT = 2;

/** fs.promises.open, or a stand-in (tests simulate a full disk with one). */
export type OpenFile = (path: string, flags: string) => Promise<FileHandle>;

/**
 * Writes to a temporary sibling of `path`, renamed to `path` only by commit(). Writes go out
 * behind the caller (write-behind): one at a time, generate spent its wall time waiting for each
 * write, then each read-back, then hashing, in turn, with a core idle (bench/generate-vs-dd.ts).
 */
export async function openFileSink(
  path: string,
  openFile: OpenFile = open,
): Promise<RowSink & { tempPath: string }> {
  const tempPath = tempPathFor(path);
  let fh: FileHandle;
  try {
    fh = await openFile(tempPath, 'wx+');
  } catch (err) {
    throw describeWriteError(err, path);
  }
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  let settled = false;
  /** The first write that failed: every later call throws it. */
  let failure: Error | undefined;
  /** Writes in flight: their byte ranges and their promises (which never reject). */
  const inFlight = new Set<{ start: number; end: number; done: Promise<void> }>();
  // Small chunks (row heads, commas, quotes) are gathered and written together: one write per
  // chunk costs a trip through libuv's threadpool each, which made text-only rows crawl.
  const spareStaging: Buffer[] = [];
  let staging: Buffer = Buffer.allocUnsafe(STAGING_BYTES);
  let staged = 0;
  /** The file offset of staging[0]. */
  let stagedAt = 0;

  const check = () => {
    if (failure) throw failure;
  };
  const writeAt = async (buf: Buffer, position: number) => {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
      done += bytesWritten;
    }
  };
  /** Starts writing `buf` at `position`, after waiting for room; `then` runs once it is written. */
  const start = async (buf: Buffer, position: number, then?: () => void) => {
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race([...inFlight].map((w) => w.done));
    const w = { start: position, end: position + buf.length, done: Promise.resolve() };
    w.done = writeAt(buf, position).then(
      () => {
        inFlight.delete(w);
        then?.();
      },
      (err: unknown) => {
        inFlight.delete(w);
        failure ??= describeWriteError(err, path);
      },
    );
    inFlight.add(w);
  };
  const flushStaging = async () => {
    if (staged === 0) return;
    const full = staging.subarray(0, staged);
    const at = stagedAt;
    const buffer = staging;
    staging = spareStaging.pop() ?? Buffer.allocUnsafe(STAGING_BYTES);
    stagedAt += staged;
    staged = 0;
    await start(full, at, () => spareStaging.push(buffer));
  };
  const writtenUpTo = async (end: number) => {
    if (staged > 0 && stagedAt < end) await flushStaging();
    for (const w of [...inFlight]) if (w.start < end) await w.done;
    check();
  };
  const flush = () => writtenUpTo(Number.POSITIVE_INFINITY);
  /** Takes `chunk`'s place in the file and hashes it; a large one goes out as it is. */
  const place = async (chunk: Buffer): Promise<{ at: number; direct: boolean }> => {
    check();
    const at = bytes;
    hash.update(chunk);
    bytes += chunk.length;
    if (staged + chunk.length > staging.length || chunk.length >= staging.length) await flushStaging();
    if (chunk.length >= staging.length) {
      stagedAt = bytes;
      await start(chunk, at);
      return { at, direct: true };
    }
    chunk.copy(staging, staged);
    staged += chunk.length;
    return { at, direct: false };
  };
  return {
    tempPath,
    get bytes() {
      return bytes;
    },
    readable: fh,
    async write(chunk) {
      const { at, direct } = await place(chunk);
      if (direct) await writtenUpTo(at + chunk.length);
      return at;
    },
    async handOver(chunk) {
      return (await place(chunk)).at;
    },
    writtenUpTo,
    flush,
    sha256: () => hash.copy().digest('hex'),
    async commit() {
      if (settled) return;
      settled = true;
      try {
        await flush();
        await fh.close();
        await rename(tempPath, path);
      } catch (err) {
        await fh.close().catch(() => {});
        await rm(tempPath, { force: true });
        throw describeWriteError(err, path);
      }
    },
    async abort() {
      if (settled) return;
      settled = true;
      await Promise.all([...inFlight].map((w) => w.done));
      await fh.close().catch(() => {});
      await rm(tempPath, { force: true });
    },
  };
}

/** Writes to a stream (stdout), honouring backpressure. */
export function openStreamSink(stream: Writable, name = 'stdout'): RowSink {
  const hash = createHash('sha256');
  let bytes = 0;
  let failure: Error | undefined;
  const onError = (err: Error) => {
    failure = describeWriteError(err, name);
  };
  stream.on('error', onError);
  return {
    get bytes() {
      return bytes;
    },
    readable: undefined,
    flush: async () => {},
    writtenUpTo: async () => {},
    handOver(chunk) {
      return this.write(chunk);
    },
    async write(chunk) {
      if (failure) throw failure;
      if (stream.destroyed || stream.writableEnded) throw describeWriteError({ code: 'EPIPE' }, name);
      const at = bytes;
      hash.update(chunk);
      bytes += chunk.length;
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const cleanup = () => {
            stream.off('drain', done);
            stream.off('error', fail);
            stream.off('close', closed);
          };
          const done = () => {
            cleanup();
            resolve();
          };
          const fail = (err: Error) => {
            cleanup();
            reject(describeWriteError(err, name));
          };
          const closed = () => fail(Object.assign(new Error('closed'), { code: 'EPIPE' }));
          stream.once('drain', done);
          stream.once('error', fail);
          stream.once('close', closed);
        });
      }
      if (failure) throw failure;
      return at;
    },
    sha256: () => hash.copy().digest('hex'),
    async commit() {
      stream.off('error', onError);
      if (failure) throw failure;
    },
    async abort() {
      stream.off('error', onError);
    },
  };
}
