import { parentPort, workerData } from 'node:worker_threads';
import { readDataset } from '../dataset/reader.js';
import { InputError } from '../util/errors.js';
import { lowerHelperThreadPriority } from '../util/worker.js';
import type { ScannerReply, ScannerRequest, ScannerSetup } from './row-scanner.js';

/**
 * The dataset's reader on a thread of its own (see row-scanner.ts): reads the file, parses and
 * detaches rows, and sends them over in the batches the run asks for.
 */
// Niced after the first rows are sent: until then the reader is on the path to the first request.
let niced = false;
const port = parentPort!;
const setup = workerData as ScannerSetup;
const post = (m: ScannerReply) => port.postMessage(m);
const rows = readDataset(setup.path, {
  detached: true,
  onInvalid: setup.skipInvalid
    ? (err) =>
        post({
          type: 'invalid',
          error: { file: err.file, line: err.line, field: err.field, detail: err.detail },
        })
    : undefined,
})[Symbol.asyncIterator]();

port.on('message', async (m: ScannerRequest) => {
  if (m.type === 'close') {
    await rows.return?.();
    port.close();
    return;
  }
  const batch = [];
  try {
    for (let i = 0; i < m.n; i++) {
      const r = await rows.next();
      if (r.done) {
        post({ type: 'rows', rows: batch, end: true });
        return;
      }
      batch.push(r.value);
    }
    post({ type: 'rows', rows: batch, end: false });
    if (!niced) {
      niced = true;
      lowerHelperThreadPriority();
    }
  } catch (err) {
    post({
      type: 'failed',
      rows: batch,
      error:
        err instanceof InputError
          ? { file: err.file, line: err.line, field: err.field, detail: err.detail }
          : { message: err instanceof Error ? err.message : String(err) },
    });
  }
});
