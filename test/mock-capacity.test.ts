import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queueDelayMs } from '../src/mock/latency.js';
import { startMock } from '../src/mock/server.js';
import { chatBody, post } from './mock-helpers.js';

test('queue delay: none up to the capacity, one step per request beyond it; capacity 0 is no limit', () => {
  const p = { capacity: 4, queueMsPerRequest: 25 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 9].map((n) => queueDelayMs(p, n)),
    [0, 0, 0, 0, 25, 50, 125],
  );
  assert.equal(queueDelayMs({ capacity: 0, queueMsPerRequest: 25 }, 100), 0);
  assert.equal(queueDelayMs({ capacity: 2, queueMsPerRequest: 0 }, 100), 0);
});

test('the mock holds requests beyond its capacity: the 3rd and 4th of 4 at once wait 1 and 2 steps', async () => {
  // A long TTFT keeps the first two in flight while the others connect, even on a loaded machine.
  const m = await startMock({ ttftMs: 300, itlMs: 2, capacity: 2, queueMsPerRequest: 100 });
  try {
    // Warm-up so that the measured requests see only the model.
    await post(m.url, chatBody('w', { stream: true, max_tokens: 1 }));
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        post(m.url, chatBody(`q${i}`, { stream: true, max_tokens: 4, ignore_eos: true })),
      ),
    );
    for (const r of results) assert.equal(r.status, 200);
    const recs = m.records().slice(1);
    assert.equal(recs.length, 4);
    // Which request arrived third is up to the sockets; how many waited how long is not.
    const queued = recs.map((r) => r.queuedMs ?? 0).sort((a, b) => a - b);
    assert.deepEqual(queued, [0, 0, 100, 200]);
    for (const r of recs) {
      const ttft = (r.firstTokenNs! - r.bodyNs) / 1e6;
      assert.ok(ttft >= 300 + (r.queuedMs ?? 0), `TTFT ${ttft.toFixed(1)} ms holds its queueing`);
    }
    // The queue is before the first token: the tokens after it keep their ITL.
    const slowest = recs.find((r) => r.queuedMs === 200)!;
    assert.ok((slowest.lastTokenNs! - slowest.firstTokenNs!) / 1e6 < 3 * 2 + 60);
  } finally {
    await m.close();
  }
});

test('without a capacity nothing is queued (the default model is unchanged)', async () => {
  const m = await startMock({ ttftMs: 5, queueMsPerRequest: 100 });
  try {
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) => post(m.url, chatBody(`q${i}`, { stream: true, max_tokens: 2 }))),
    );
    assert.ok(m.records().every((r) => r.queuedMs === undefined));
  } finally {
    await m.close();
  }
});
