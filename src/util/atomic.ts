import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors.js';

/** A temporary sibling of `path`: same directory (so rename is atomic), unique, and ignorable. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now().toString(36)}`);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Refuses to overwrite `path` unless `force`. */
export async function assertWritable(path: string, force: boolean): Promise<void> {
  if (!force && (await exists(path))) {
    throw new UserError(`${path} already exists; pass --force to overwrite it`);
  }
}

/** Writes a whole small file atomically (temp file + rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * A write stream to a temporary name that becomes `path` only on `commit()`. `abort()` removes the
 * temporary file, so a failed or interrupted write never leaves a half file under the final name.
 */
export interface AtomicFile {
  readonly stream: WriteStream;
  readonly tempPath: string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export function openAtomic(path: string, highWaterMark = 4 * 1024 * 1024): AtomicFile {
  const tempPath = tempPathFor(path);
  const stream = createWriteStream(tempPath, { highWaterMark });
  let settled = false;
  const closed = () =>
    new Promise<void>((resolve, reject) => {
      if (stream.closed) return resolve();
      stream.once('close', resolve);
      stream.once('error', reject);
    });
  return {
    stream,
    tempPath,
    async commit() {
      if (settled) return;
      settled = true;
      await new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.end(() => resolve());
      });
      await closed();
      await rename(tempPath, path);
    },
    async abort() {
      if (settled) return;
      settled = true;
      stream.destroy();
      await closed().catch(() => {});
      await rm(tempPath, { force: true });
    },
  };
}
