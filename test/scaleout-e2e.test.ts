import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { HistogramSet } from '../src/metrics/histograms.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { startMock } from '../src/mock/server.js';
import { smallDataset } from './driver-helpers.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', 'bin', 'mmload');

async function recordsOf(dir: string): Promise<RequestRecord[]> {
  return (await readFile(join(dir, 'records.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).mmload as RequestRecord);
}

for (const shards of [2, 3]) {
  test(`${shards} shard processes against one endpoint merge exactly`, async () => {
    const users = 7;
    const turns = 3;
    const { dir, path } = await smallDataset(users, turns);
    const mock = await startMock({ ttftMs: 3, itlMs: 1, jitterMs: 2, seed: shards });
    try {
      const runDir = join(dir, 'runs');
      const startAt = new Date(Date.now() + 1500).toISOString();
      await Promise.all(
        Array.from({ length: shards }, (_, i) =>
          run(process.execPath, [
            bin,
            'run',
            path,
            '--url',
            mock.url,
            '--concurrency',
            '2',
            '--max-tokens',
            '6',
            '--shard',
            `${i}/${shards}`,
            '--start-at',
            startAt,
            '--artifact-dir',
            runDir,
            '--extra-inputs',
            'ignore_eos:true',
            '--quiet',
          ]),
        ),
      );
      const merged = join(runDir, 'merged');
      await run(process.execPath, [bin, 'merge', runDir, '-o', merged]);
      const summary = JSON.parse(await readFile(join(merged, 'profile_export_mmload.json'), 'utf8'));
      assert.equal(summary.request_count.avg, users * turns);

      const owner = new Map<string, number>();
      const all: RequestRecord[] = [];
      for (let i = 0; i < shards; i++) {
        for (const r of await recordsOf(join(runDir, `shard-${i}-of-${shards}`))) {
          const prev = owner.get(r.sessionId);
          assert.ok(prev === undefined || prev === i, `${r.sessionId} in shards ${prev} and ${i}`);
          owner.set(r.sessionId, i);
          all.push(r);
        }
      }
      assert.equal(owner.size, users);
      // The merged histograms equal histograms of the concatenated per-request TTFTs.
      const hist = HistogramSet.fromIntervalLog(await readFile(join(merged, 'histograms.hlog'), 'utf8'));
      const concat = new HistogramSet();
      for (const r of all) concat.record('time_to_first_token', (r.firstChunkNs! - r.startNs) / 1e6);
      const a = hist.byTag.get('time_to_first_token')!;
      const b = concat.byTag.get('time_to_first_token')!;
      assert.equal(a.totalCount, users * turns);
      for (const p of [50, 90, 99, 100])
        assert.equal(a.getValueAtPercentile(p), b.getValueAtPercentile(p), `p${p}`);
      const ttfts = all.map((r) => (r.firstChunkNs! - r.startNs) / 1e6).sort((x, y) => x - y);
      assert.equal(summary.time_to_first_token.max, ttfts[ttfts.length - 1]);
    } finally {
      await mock.close();
    }
  });
}
