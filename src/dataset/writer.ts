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
  write(chunk: Buffer): Promise<number>;
  /** The file holding what was written, for read-back; undefined when the sink is a pipe. */
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
  return err instanceof Error ? err : new Error(String(err));
}

/** Writes to a temporary sibling of `path`, renamed to `path` only by commit(). */
export async function openFileSink(path: string): Promise<RowSink & { tempPath: string }> {
  const tempPath = tempPathFor(path);
  let fh: FileHandle;
  try {
    fh = await open(tempPath, 'wx+');
  } catch (err) {
    throw describeWriteError(err, path);
  }
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  let settled = false;
  return {
    tempPath,
    get bytes() {
      return bytes;
    },
    readable: fh,
    async write(chunk) {
      const at = bytes;
      let done = 0;
      try {
        while (done < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, at + done);
          done += bytesWritten;
        }
      } catch (err) {
        throw describeWriteError(err, path);
      }
      hash.update(chunk);
      bytes += chunk.length;
      return at;
    },
    sha256: () => hash.copy().digest('hex'),
    async commit() {
      if (settled) return;
      settled = true;
      try {
        await fh.close();
        await rename(tempPath, path);
      } catch (err) {
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
