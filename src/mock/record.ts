import { type FileHandle, open } from 'node:fs/promises';
import { UserError } from '../util/errors.js';
import { fsReason } from '../util/fs-errors.js';
import type { MockRecord } from './types.js';

/** Session id: an X-Session-Id header if the client sent one, else the first words of the text. */
export function sessionIdOf(header: string | string[] | undefined, text: string): string {
  if (typeof header === 'string' && header.length > 0) return header;
  return text.slice(0, 200).split(/\s+/).filter(Boolean).slice(0, 8).join(' ');
}

/**
 * The JSONL file of per-request records, written as requests finish: a killed mock (SIGKILL, an
 * OOM kill) leaves every record but those of its last `flushMs`. Lines are batched into one
 * write per `flushMs` (or per 1 MiB) and every write holds whole lines.
 */
export interface RecordSink {
  add(r: MockRecord): void;
  /** Writes what is pending and closes the file; rejects if any write failed. */
  close(): Promise<void>;
}

const MAX_PENDING_BYTES = 1024 * 1024;

/** Opens (creates or truncates) `path` now, so that a bad path fails before any request. */
export async function openRecordSink(path: string, flushMs = 100): Promise<RecordSink> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'w');
  } catch (err) {
    throw new UserError(`cannot write records to ${path}: ${fsReason(err)}`);
  }
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  let failure: unknown;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending === '') return;
    const data = pending;
    pending = '';
    chain = chain.then(async () => {
      if (failure) return;
      try {
        await fh.write(data);
      } catch (err) {
        failure = err;
      }
    });
  };
  return {
    add(r) {
      pending += `${JSON.stringify(r)}\n`;
      if (pending.length >= MAX_PENDING_BYTES) flush();
      else if (!timer) {
        timer = setTimeout(flush, flushMs);
        // The server keeps the process alive while it serves; the flush timer should not.
        timer.unref();
      }
    },
    async close() {
      flush();
      await chain;
      await fh.close();
      // A full disk is the machine's state, not a bad flag: exit 1 like the other write errors.
      if (failure) throw new UserError(`cannot write records to ${path}: ${fsReason(failure)}`, 1);
    },
  };
}
