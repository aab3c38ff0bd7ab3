import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecordsWriter, recordLine } from '../src/metrics/exporters.js';
import type { RequestRecord } from '../src/metrics/record.js';

const MS = 1e6;
const EPOCH = 1_700_000_000_000 * MS;

function record(index: number, sessionId: string, tokens: number): RequestRecord {
  const chunkNs = Array.from({ length: tokens }, (_, i) => (index + 50 + i * 10) * MS + 123);
  return {
    index,
    sessionId,
    turn: index % 8,
    line: index + 1,
    warmup: false,
    startNs: index * MS,
    sentNs: index * MS + 5_000,
    headersNs: (index + 10) * MS,
    firstChunkNs: chunkNs[0],
    lastChunkNs: chunkNs.at(-1),
    endNs: chunkNs.at(-1)! + MS,
    chunkNs,
    outputTokens: tokens,
    outputTokensSource: 'usage',
    requestBytes: 1000,
    status: 200,
  };
}

test('RecordsWriter: every line as recordLine gives it, in order, across batches, multi-byte text and a line larger than a batch', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-records-'));
  try {
    const path = join(dir, 'records.jsonl');
    const w = new RecordsWriter(path, EPOCH);
    const recs: RequestRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      // Non-ASCII session names take 2 to 4 bytes per character in UTF-8.
      const r = record(i, i % 7 === 0 ? `usér_${i}_€_𝄞` : `user_${i}`, 16 + (i % 50));
      // Some lines take far more bytes than characters, so that a batch's room counted in
      // characters would overflow it.
      recs.push(i % 5 === 0 ? { ...r, error: { kind: 'http', message: 'ü€𝄞'.repeat(400) } } : r);
      // One stream long enough that its line is larger than a whole batch (~0.9 MB).
      if (i === 1500)
        recs.push({ ...record(i, 'long_𝄞', 60_000), error: { kind: 'http', message: 'ünïcode 500' } });
    }
    for (const r of recs) w.write(r);
    await w.close();
    const expected = recs.map((r) => `${recordLine(r, EPOCH)}\n`).join('');
    const bytes = await readFile(path);
    assert.ok(bytes.length > 3 * 256 * 1024, `several batches: ${bytes.length} bytes`);
    assert.equal(bytes.toString('utf8'), expected);
    assert.deepEqual(
      bytes
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { mmload: RequestRecord }).mmload.sessionId),
      recs.map((r) => r.sessionId),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('RecordsWriter: lines reach the file within the flush period, before close', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-records-'));
  try {
    const path = join(dir, 'records.jsonl');
    const w = new RecordsWriter(path, EPOCH);
    for (let i = 0; i < 3; i++) w.write(record(i, `user_${i}`, 4));
    await sleep(300);
    const text = await readFile(path, 'utf8');
    assert.equal(text, [0, 1, 2].map((i) => `${recordLine(record(i, `user_${i}`, 4), EPOCH)}\n`).join(''));
    await w.close();
    await w.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
