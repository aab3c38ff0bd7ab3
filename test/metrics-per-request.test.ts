import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestMetrics } from '../src/metrics/per-request.js';
import type { RequestRecord } from '../src/metrics/record.js';

const MS = 1e6;

function rec(over: Partial<RequestRecord>): RequestRecord {
  return {
    index: 0,
    sessionId: 'user_0',
    turn: 0,
    line: 1,
    warmup: false,
    startNs: 1000 * MS,
    endNs: 1000 * MS,
    chunkNs: [],
    requestBytes: 100,
    ...over,
  };
}

test('TTFT, TTST, latency, ITL and chunk gaps from a synthetic stream', () => {
  // start 1000 ms; sent at 1005; headers 1020; chunks at 1100, 1110, 1125, 1160; usage says 5 tokens
  const m = requestMetrics(
    rec({
      sentNs: 1005 * MS,
      headersNs: 1020 * MS,
      chunkNs: [1100 * MS, 1110 * MS, 1125 * MS, 1160 * MS],
      firstChunkNs: 1100 * MS,
      lastChunkNs: 1160 * MS,
      endNs: 1161 * MS,
      outputTokens: 5,
      outputTokensSource: 'usage',
    }),
  );
  assert.equal(m.ok, true);
  assert.equal(m.ttftMs, 100);
  assert.equal(m.ttstMs, 10);
  assert.equal(m.requestLatencyMs, 160);
  assert.equal(m.uploadMs, 5);
  assert.equal(m.headersMs, 20);
  assert.deepEqual(m.interChunkMs, [10, 15, 35]);
  // ITL = (160 - 100) / (5 - 1) = 15
  assert.equal(m.itlMs, 15);
  assert.equal(m.tokensPerSecPerUser, 1000 / 15);
  assert.equal(m.outputTokens, 5);
  assert.equal(m.outputTokensSource, 'usage');
});

test('TTFT counts a reasoning chunk; the first non-reasoning content is reported separately', () => {
  const m = requestMetrics(
    rec({
      chunkNs: [1050 * MS, 1060 * MS, 1200 * MS],
      firstChunkNs: 1050 * MS,
      lastChunkNs: 1200 * MS,
      firstContentNs: 1200 * MS,
      endNs: 1200 * MS,
    }),
  );
  assert.equal(m.ttftMs, 50);
  assert.equal(m.ttfotMs, 200);
  // no usage: OSL is the chunk count (3) and says so
  assert.equal(m.outputTokens, 3);
  assert.equal(m.outputTokensSource, 'chunks');
  assert.equal(m.itlMs, (200 - 50) / 2);
});

test('OSL < 2: no ITL, no TTST', () => {
  const m = requestMetrics(
    rec({
      chunkNs: [1100 * MS],
      firstChunkNs: 1100 * MS,
      lastChunkNs: 1100 * MS,
      endNs: 1101 * MS,
      outputTokens: 1,
    }),
  );
  assert.equal(m.ttftMs, 100);
  assert.equal(m.requestLatencyMs, 100);
  assert.equal(m.itlMs, undefined);
  assert.equal(m.ttstMs, undefined);
  assert.deepEqual(m.interChunkMs, []);
});

test('failed requests carry their kind and no latency metrics', () => {
  const m = requestMetrics(
    rec({
      chunkNs: [1100 * MS, 1110 * MS],
      firstChunkNs: 1100 * MS,
      lastChunkNs: 1110 * MS,
      endNs: 1500 * MS,
      error: { kind: 'truncated', message: 'stream ended without [DONE]' },
    }),
  );
  assert.equal(m.ok, false);
  assert.equal(m.errorKind, 'truncated');
  assert.equal(m.ttftMs, undefined);
  assert.equal(m.requestLatencyMs, undefined);
});

test('rate mode: latencies from the intended send time and the send lag', () => {
  const m = requestMetrics(
    rec({
      intendedNs: 990 * MS,
      chunkNs: [1100 * MS, 1200 * MS],
      firstChunkNs: 1100 * MS,
      lastChunkNs: 1200 * MS,
      endNs: 1200 * MS,
    }),
  );
  assert.equal(m.sendLagMs, 10);
  assert.equal(m.correctedTtftMs, 110);
  assert.equal(m.correctedLatencyMs, 210);
  assert.equal(m.ttftMs, 100);
});
