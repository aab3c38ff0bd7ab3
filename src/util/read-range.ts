import { read, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/**
 * `length` bytes at `position` of an open file, in a fresh Buffer. A positioned read may return
 * fewer bytes than asked; this reads on until it has them all, so a shorter result means the file
 * ended first (it changed under the reader): the caller says what that means for its input.
 */
export async function readRange(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/**
 * Reads `length` bytes at `position` into the start of `buf` (which must be long enough) and
 * returns how many it got: fewer only when the file ended first. For readers that reuse one
 * buffer instead of allocating one per read.
 */
export async function readRangeInto(
  fh: FileHandle,
  buf: Buffer,
  position: number,
  length: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * readRangeInto on a plain file descriptor with a callback read: no FileHandle promise and result
 * objects per read, for the upload's 200 slices of every 52 MB body (driver/upload.ts).
 */
export function readFdRangeInto(fd: number, buf: Buffer, position: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const step = () =>
      read(fd, buf, done, length - done, position + done, (err, n) => {
        if (err) return reject(err);
        done += n;
        if (n === 0 || done === length) resolve(done);
        else step();
      });
    step();
  });
}

/** readRangeInto with synchronous reads, for a thread of its own (the image encoder's). */
export function readFdRangeIntoSync(fd: number, buf: Buffer, position: number, length: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
