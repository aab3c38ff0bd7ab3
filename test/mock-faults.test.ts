import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideFault, parseFaultSpec } from '../src/mock/faults.js';
import { mulberry32 } from '../src/mock/rng.js';
import { startMock } from '../src/mock/server.js';
import type { FaultConfig } from '../src/mock/types.js';
import { chatBody, post, strictEvents } from './mock-helpers.js';

const body = chatBody('fault test', { stream: true, max_tokens: 10, ignore_eos: true });

async function once(faults: FaultConfig, itlMs = 0) {
  const m = await startMock({ faults, itlMs });
  try {
    const r = await post(m.url, body);
    return { r, stats: m.stats(), rec: m.records()[0] };
  } finally {
    await m.close();
  }
}

test('http500 and http429 answer with an error body', async () => {
  for (const [kind, status] of [
    ['http500', 500],
    ['http429', 429],
  ] as const) {
    const { r, stats, rec } = await once({ [kind]: { everyNth: 1 } });
    assert.equal(r.status, status);
    const j = JSON.parse(r.chunks.map((c) => c.text).join(''));
    assert.equal(typeof j.error.message, 'string');
    assert.equal(stats.faults[kind], 1);
    assert.equal(rec?.fault, kind);
  }
});

test('dropMidStream: the client sees the stream cut before [DONE]', async () => {
  const { r, stats } = await once({ dropMidStream: { everyNth: 1 } }, 1);
  assert.equal(r.status, 200);
  const text = r.chunks.map((c) => c.text).join('');
  assert.ok(!text.includes('[DONE]'));
  assert.ok(r.error !== undefined || !text.includes('finish_reason":"length'), 'stream truncated');
  assert.ok(r.error, 'the body stream errors (connection dropped)');
  assert.equal(stats.faults.dropMidStream, 1);
});

test('malformedEvent: one event is not valid JSON', async () => {
  const { r } = await once({ malformedEvent: { everyNth: 1 } }, 1);
  const events = strictEvents(r.chunks);
  const bad = events.filter((e) => {
    if (e.data === '[DONE]') return false;
    try {
      JSON.parse(e.data);
      return false;
    } catch {
      return true;
    }
  });
  assert.equal(bad.length, 1);
});

test('delayHeadersMs delays the response headers', async () => {
  const { r } = await once({ delayHeadersMs: { everyNth: 1, ms: 150 } });
  assert.ok(r.headersAtMs - r.startMs >= 149, `headers after ${(r.headersAtMs - r.startMs).toFixed(1)} ms`);
});

test('stallMs stalls once between tokens', async () => {
  const { r } = await once({ stallMs: { everyNth: 1, ms: 150 } }, 1);
  const events = strictEvents(r.chunks);
  let maxGap = 0;
  for (let i = 1; i < events.length; i++) maxGap = Math.max(maxGap, events[i]!.atMs - events[i - 1]!.atMs);
  // One gap carries the stall (less the lateness of the token before it); the total holds it exactly.
  assert.ok(maxGap >= 120, `max gap ${maxGap.toFixed(1)}`);
  const total = events[events.length - 1]!.atMs - r.startMs;
  assert.ok(total >= 150 + 9, `stream took ${total.toFixed(1)} ms`);
  assert.equal(events[events.length - 1]!.data, '[DONE]');
});

test('probabilistic faults are seeded and every one is counted and seen by the client', async () => {
  const counts: number[] = [];
  for (let run = 0; run < 2; run++) {
    const m = await startMock({ seed: 42, faults: { http500: { probability: 0.3 } } });
    let seen = 0;
    for (let i = 0; i < 40; i++) if ((await post(m.url, body)).status === 500) seen++;
    assert.equal(m.stats().faults.http500, seen);
    counts.push(seen);
    await m.close();
  }
  assert.equal(counts[0], counts[1]);
  assert.ok(counts[0]! > 0 && counts[0]! < 40);
});

test('everyNth fires on exactly every Nth request', () => {
  const fired = [];
  for (let seq = 1; seq <= 9; seq++)
    fired.push(decideFault({ http429: { everyNth: 3 } }, seq, mulberry32(seq)) !== undefined);
  assert.deepEqual(fired, [false, false, true, false, false, true, false, false, true]);
});

test('CLI fault specs parse, and bad ones are rejected', () => {
  assert.deepEqual(parseFaultSpec('http500=0.05'), ['http500', { probability: 0.05, ms: undefined }]);
  assert.deepEqual(parseFaultSpec('stallMs=/10@2000'), ['stallMs', { everyNth: 10, ms: 2000 }]);
  assert.throws(() => parseFaultSpec('nope=0.1'), /kind must be one of/);
  assert.throws(() => parseFaultSpec('http500=2'), /probability/);
  assert.throws(() => parseFaultSpec('http500'), /expected/);
});

test('non-stream requests see the faults too: dropped connection, truncated JSON', async () => {
  const plain = chatBody('fault test', { max_tokens: 4, ignore_eos: true });
  for (const kind of ['dropMidStream', 'malformedEvent'] as const) {
    const m = await startMock({ faults: { [kind]: { everyNth: 1 } } });
    try {
      let failed = false;
      try {
        const r = await post(m.url, plain);
        JSON.parse(r.chunks.map((c) => c.text).join(''));
      } catch {
        failed = true;
      }
      assert.ok(failed, `${kind} observed`);
    } finally {
      await m.close();
    }
  }
});
