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
  /** Takes a copy of small chunks (the caller may reuse its buffer); returns the chunk's offset. */
  write(chunk: Buffer): Promise<number>;
  /** Puts every byte written so far into the file (before reading any of it back). */
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

/** fs.promises.open, or a stand-in (tests simulate a full disk with one). */
export type OpenFile = (path: string, flags: string) => Promise<FileHandle>;

/** Writes to a temporary sibling of `path`, renamed to `path` only by commit(). */
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
  // Small chunks (row heads, commas, quotes) are gathered and written together: one write per
  // chunk costs a trip through libuv's threadpool each, which made text-only rows crawl.
  const staging = Buffer.allocUnsafe(STAGING_BYTES);
  let staged = 0;
  let flushed = 0;
  const writeAt = async (buf: Buffer, position: number) => {
    let done = 0;
    try {
      while (done < buf.length) {
        const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw describeWriteError(err, path);
    }
  };
  const flush = async () => {
    if (staged === 0) return;
    const n = staged;
    staged = 0;
    await writeAt(staging.subarray(0, n), flushed);
    flushed += n;
  };
  return {
    tempPath,
    get bytes() {
      return bytes;
    },
    readable: fh,
    async write(chunk) {
      const at = bytes;
      hash.update(chunk);
      bytes += chunk.length;
      if (staged + chunk.length > staging.length) await flush();
      if (chunk.length >= staging.length) {
        await writeAt(chunk, flushed);
        flushed += chunk.length;
      } else {
        chunk.copy(staging, staged);
        staged += chunk.length;
      }
      return at;
    },
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
