import type { Worker } from 'node:worker_threads';
import type { DatasetRow, ImageRef } from '../dataset/types.js';
import { InputError } from '../util/errors.js';
import { startModuleWorker } from '../util/worker.js';

/**
 * The run's rows, read and parsed on a thread of their own. On the full dataset the reader reads
 * 12.5 GB and scans every 52 MB row for its image strings; on the thread that stamps token
 * arrivals each row's scan held the event loop ~15 ms (bench/driver-chunk-accuracy.ts, CPU
 * profile). Here the rows come over detached (a large row's images stay in the file as byte
 * ranges), so a message carries a row's text, not its images.
 */
export interface ScannerSetup {
  path: string;
  skipInvalid: boolean;
}

export type ScannerRequest = { type: 'more'; n: number } | { type: 'close' };

type WireError =
  | { file: string; line: number; field: string | undefined; detail: string }
  | { message: string };

export type ScannerReply =
  | { type: 'rows'; rows: DatasetRow[]; end: boolean }
  | { type: 'failed'; rows: DatasetRow[]; error: WireError }
  | { type: 'invalid'; error: WireError & { file: string } };

/** Rows asked for at a time: few, so that the run's read-ahead pacing stays the row source's. */
const BATCH = 4;

function toError(e: WireError): Error {
  return 'file' in e ? new InputError(e.file, e.line, e.field, e.detail) : new Error(e.message);
}

/** A row as it comes through structured clone: its Buffers arrive as Uint8Arrays. */
function revive(row: DatasetRow): DatasetRow {
  if (!row.images.some((r) => r.kind === 'data-url')) return row;
  const images = row.images.map((ref): ImageRef => {
    if (ref.kind !== 'data-url') return ref;
    const u = ref.url as unknown as Uint8Array;
    return { ...ref, url: Buffer.from(u.buffer, u.byteOffset, u.byteLength) };
  });
  return { ...row, images };
}

/** The rows of `path`, in file order, as an async iterator fed by the scanner thread. */
export function scannedRows(
  path: string,
  opts: { onInvalid?: (err: InputError) => void } = {},
): AsyncIterableIterator<DatasetRow> {
  let worker: Worker | undefined;
  const queue: DatasetRow[] = [];
  let ended = false;
  let failure: Error | undefined;
  let asking: Promise<void> | undefined;
  const start = () => {
    worker = startModuleWorker(import.meta.url, './row-scanner-entry.js', {
      path,
      skipInvalid: opts.onInvalid !== undefined,
    } satisfies ScannerSetup);
    worker.unref();
  };
  // Never rejects: a failure is kept for next() to throw, so a read-ahead nobody awaits is safe.
  const ask = (n = BATCH): Promise<void> =>
    new Promise<void>((resolve) => {
      const w = worker!;
      const onMessage = (m: ScannerReply) => {
        if (m.type === 'invalid') {
          opts.onInvalid?.(toError(m.error) as InputError);
          return;
        }
        w.off('message', onMessage);
        w.off('error', onError);
        for (const r of m.rows) queue.push(revive(r));
        if (m.type === 'failed') failure = toError(m.error);
        else if (m.end) ended = true;
        resolve();
      };
      const onError = (err: Error) => {
        w.off('message', onMessage);
        failure = err;
        resolve();
      };
      w.on('message', onMessage);
      w.once('error', onError);
      w.postMessage({ type: 'more', n } satisfies ScannerRequest);
    });
  // The thread starts at once and reads the first row, so that it is ready when asked (one row:
  // the first request does not wait for a batch of 52 MB rows to be scanned).
  start();
  asking = ask(1).finally(() => {
    asking = undefined;
  });
  const close = async () => {
    ended = true;
    const w = worker;
    worker = undefined;
    if (w) await w.terminate();
  };
  const it: AsyncIterableIterator<DatasetRow> = {
    async next() {
      for (;;) {
        const row = queue.shift();
        if (row) {
          // Ask for the next batch while this one is used: the thread reads on meanwhile.
          if (queue.length === 0 && !ended && !failure && worker && !asking)
            asking = ask().finally(() => {
              asking = undefined;
            });
          return { done: false, value: row };
        }
        if (failure) {
          const f = failure;
          failure = undefined;
          await close();
          throw f;
        }
        if (ended && !asking) {
          await close();
          return { done: true, value: undefined };
        }
        asking ??= ask().finally(() => {
          asking = undefined;
        });
        await asking;
      }
    },
    async return() {
      await close();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
