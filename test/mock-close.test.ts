import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startMock } from '../src/mock/server.js';
import { chatBody, post } from './mock-helpers.js';

test('close() returns promptly with streams open, clients see the cut, records are written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-mock-'));
  try {
    const recordPath = join(dir, 'mock.jsonl');
    const m = await startMock({ itlMs: 50, recordPath });
    const done = await post(
      m.url,
      chatBody('finished one', { stream: true, max_tokens: 2, ignore_eos: true }),
    );
    assert.equal(done.status, 200);
    const open = Array.from({ length: 3 }, (_, i) =>
      post(m.url, chatBody(`open ${i}`, { stream: true, max_tokens: 1000, ignore_eos: true })),
    );
    await new Promise((r) => setTimeout(r, 120));
    const t0 = Date.now();
    await m.close();
    assert.ok(Date.now() - t0 < 1000, 'close is prompt');
    const results = await Promise.all(open);
    for (const r of results)
      assert.ok(
        !r.chunks
          .map((c) => c.text)
          .join('')
          .includes('[DONE]'),
      );
    const lines = (await readFile(recordPath, 'utf8')).trim().split('\n');
    const recs = lines.map((l) => JSON.parse(l));
    assert.equal(recs.length, 4);
    const first = recs.find((r) => r.sessionId === 'finished one');
    assert.equal(first.outputTokens, 2);
    assert.ok(
      first.arrivalNs <= first.bodyNs &&
        first.bodyNs <= first.firstTokenNs &&
        first.firstTokenNs <= first.lastTokenNs,
    );
    await m.close(); // idempotent
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
