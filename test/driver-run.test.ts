import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runLoad } from '../src/driver/run.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { startMock } from '../src/mock/server.js';
import { runOptions, smallDataset } from './driver-helpers.js';

async function records(dir: string): Promise<RequestRecord[]> {
  const text = await readFile(join(dir, 'records.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).mmload as RequestRecord);
}

test('concurrency mode: sessions in file order, one row of a session at a time, never more than C sessions', async () => {
  const { dir, path } = await smallDataset(5, 3);
  const mock = await startMock({ ttftMs: 5, itlMs: 1, jitterMs: 3, seed: 7 });
  try {
    const out = await runLoad(runOptions(path, join(dir, 'run'), { url: mock.url, concurrency: 2 }));
    assert.equal(out.exitCode, 0);
    assert.equal(out.summary.requestCount, 15);
    const recs = await records(out.artifactDir);
    // Rows of each session were sent in file order (turn t of user u is line t*5+u+1).
    for (const r of recs)
      assert.equal(r.line, r.turn * 5 + Number(r.sessionId.slice(5)) + 1, JSON.stringify(r));
    const bySession = new Map<string, RequestRecord[]>();
    for (const r of recs) bySession.set(r.sessionId, [...(bySession.get(r.sessionId) ?? []), r]);
    for (const [s, rs] of bySession) {
      rs.sort((a, b) => a.startNs - b.startNs);
      assert.deepEqual(
        rs.map((r) => r.turn),
        [0, 1, 2],
        s,
      );
      for (let i = 1; i < rs.length; i++)
        assert.ok(rs[i]!.startNs >= rs[i - 1]!.endNs, `${s}: turn ${i} overlapped the previous`);
    }
    // Sessions started in order of first appearance, at most 2 active at any time.
    const span = [...bySession.entries()].map(([s, rs]) => ({
      s,
      from: rs[0]!.startNs,
      to: rs[rs.length - 1]!.endNs,
    }));
    const order = [...span].sort((a, b) => a.from - b.from).map((x) => x.s);
    assert.deepEqual(order, ['user_0', 'user_1', 'user_2', 'user_3', 'user_4']);
    for (const x of span) {
      const active = span.filter((y) => y.from <= x.from && y.to > x.from).length;
      assert.ok(active <= 2, `${active} sessions active when ${x.s} started`);
    }
    // The mock saw the same sessions (X-Session-Id) and the embedding-cache pattern of the window.
    const seen = mock.records();
    assert.equal(seen.length, 15);
    assert.equal(
      seen.reduce((n, r) => n + r.imageHits, 0),
      5 * 2 * 1,
      'window 2: one image reused per later turn',
    );
  } finally {
    await mock.close();
  }
});

test('failures are counted by kind, kept out of latency statistics, and set the exit code', async () => {
  const { dir, path } = await smallDataset(4, 3);
  const mock = await startMock({
    faults: { http500: { everyNth: 4 }, dropMidStream: { everyNth: 5 }, malformedEvent: { everyNth: 7 } },
  });
  try {
    const out = await runLoad(runOptions(path, join(dir, 'run'), { url: mock.url, concurrency: 3 }));
    const stats = mock.stats();
    const kinds = out.summary.errorsByKind;
    assert.equal(kinds.http, stats.faults.http500);
    assert.equal((kinds.truncated ?? 0) + (kinds.connection ?? 0), stats.faults.dropMidStream);
    assert.equal(kinds.malformed, stats.faults.malformedEvent);
    assert.equal(out.summary.requestCount + out.summary.errorCount, 12);
    assert.equal(out.summary.metrics.time_to_first_token?.count, out.summary.requestCount);
    assert.equal(out.exitCode, 1);
    const tolerant = await runLoad(
      runOptions(path, join(dir, 'run2'), { url: mock.url, concurrency: 3, maxErrorRate: 0.9 }),
    );
    assert.equal(tolerant.exitCode, 0);
  } finally {
    await mock.close();
  }
});

test('timeouts and refused connections are failures of their own kind', async () => {
  const { dir, path } = await smallDataset(2, 1);
  const slow = await startMock({ ttftMs: 2000 });
  try {
    const out = await runLoad(runOptions(path, join(dir, 'slow'), { url: slow.url, timeoutS: 0.2 }));
    assert.deepEqual(out.summary.errorsByKind, { timeout: 2 });
  } finally {
    await slow.close();
  }
  const refused = await runLoad(runOptions(path, join(dir, 'refused'), { url: 'http://127.0.0.1:9' }));
  assert.deepEqual(refused.summary.errorsByKind, { connection: 2 });
  assert.equal(refused.exitCode, 1);
});

test('stops: --request-count cuts sessions, --sessions keeps whole ones, warm-up is not counted', async () => {
  const { dir, path } = await smallDataset(4, 3);
  const mock = await startMock({});
  try {
    const cut = await runLoad(
      runOptions(path, join(dir, 'cut'), { url: mock.url, concurrency: 2, requestCount: 5 }),
    );
    assert.equal(cut.summary.requestCount, 5);
    const whole = await runLoad(
      runOptions(path, join(dir, 'whole'), { url: mock.url, concurrency: 2, sessions: 3 }),
    );
    assert.equal(whole.summary.requestCount, 9);
    const warm = await runLoad(
      runOptions(path, join(dir, 'warm'), { url: mock.url, concurrency: 4, warmupRequests: 2 }),
    );
    assert.equal(warm.summary.requestCount, 12);
    assert.equal(warm.summary.warmupCount, 2);
  } finally {
    await mock.close();
  }
});

test('rate mode: sends follow the plan; latencies corrected from the intended send time', async () => {
  const { dir, path } = await smallDataset(6, 2);
  const mock = await startMock({ ttftMs: 2, itlMs: 1 });
  try {
    const out = await runLoad(
      runOptions(path, join(dir, 'rate'), {
        url: mock.url,
        requestRate: 40,
        concurrency: Number.POSITIVE_INFINITY,
      }),
    );
    assert.equal(out.summary.requestCount, 12);
    const recs = (await records(out.artifactDir)).sort((a, b) => a.intendedNs! - b.intendedNs!);
    for (let i = 1; i < recs.length; i++) {
      assert.ok(
        Math.abs(recs[i]!.intendedNs! - recs[i - 1]!.intendedNs! - 25e6) < 1e3,
        'constant 25 ms plan',
      );
    }
    assert.ok(out.summary.metrics.mmload_corrected_request_latency, 'corrected latency reported');
    assert.ok(out.summary.client?.lateSends !== undefined);
  } finally {
    await mock.close();
  }
});
