import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetricsCollector } from '../src/metrics/collector.js';
import { FILES, RecordsWriter, writeRunArtifacts } from '../src/metrics/exporters.js';
import { HISTOGRAM_TAGS } from '../src/metrics/histograms.js';
import { incompatibilities, mergeShards } from '../src/metrics/merge.js';
import { readResult } from '../src/metrics/readers.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { computeStats } from '../src/metrics/statistics.js';

const MS = 1e6;

/** Deterministic records of one shard; `monoBase` differs per shard as on different machines. */
function shardRecords(shard: number, n: number, monoBase: number): RequestRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const start = monoBase + i * 7 * MS;
    const ttft = (20 + ((i * 13 + shard * 5) % 37)) * MS;
    const chunks = Array.from({ length: 8 }, (_, k) => start + ttft + k * (3 + ((i + k) % 4)) * MS);
    return {
      index: i,
      sessionId: `user_${shard + 3 * (i % 4)}`,
      turn: Math.floor(i / 4),
      line: i + 1,
      warmup: false,
      startNs: start,
      sentNs: start + 0.5 * MS,
      headersNs: start + MS,
      firstChunkNs: chunks[0],
      lastChunkNs: chunks[7],
      endNs: chunks[7]! + 0.2 * MS,
      chunkNs: chunks,
      outputTokens: 8,
      outputTokensSource: 'usage',
      requestBytes: 1000,
    };
  });
}

async function writeShard(
  root: string,
  shard: number,
  count: number,
  records: RequestRecord[],
  epochOffsetNs: number,
  sha = 'abc',
) {
  const dir = join(root, `shard-${shard}-of-${count}`);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const collector = new MetricsCollector();
  const writer = new RecordsWriter(join(dir, FILES.records), epochOffsetNs);
  for (const r of records) {
    collector.add(r);
    writer.write(r);
  }
  await writer.close();
  const config = {
    model: 'm',
    url: 'http://127.0.0.1:1',
    maxTokens: 8,
    concurrency: 4,
    shard: { index: shard, count },
  };
  await writeRunArtifacts(dir, {
    summary: collector.summarize({ label: `s${shard}`, config }),
    histograms: collector.histograms(),
    startEpochMs: (records[0]!.startNs + epochOffsetNs) / 1e6,
    config,
    datasetManifest: { sha256: sha, rows: 100 },
  });
  return dir;
}

test('merged shards: counts add, histograms add, stats equal those of the concatenated records', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmload-merge-'));
  const epoch = 1_795_000_000_000 * MS;
  // Three "machines": unrelated monotonic clocks, the same wall clock (starts 0.5 s apart).
  const monoBases = [5e12, 9e13, 1.2e12];
  const all: RequestRecord[] = [];
  for (let s = 0; s < 3; s++) {
    const recs = shardRecords(s, 20 + s, monoBases[s]!);
    await writeShard(root, s, 3, recs, epoch + s * 500 * MS - monoBases[s]!);
    all.push(...recs);
  }
  const out = join(root, 'merged');
  const r = await mergeShards({ inputs: [root], outDir: out });
  assert.equal(r.shards.length, 3);
  assert.equal(r.summary.requestCount, 63);
  assert.deepEqual(r.warnings, []);

  const concat = new MetricsCollector();
  for (const rec of all) concat.add(rec);
  for (const tag of [
    'time_to_first_token',
    'inter_token_latency',
    'request_latency',
    'inter_chunk_latency',
  ] as const) {
    assert.deepEqual(r.summary.metrics[tag], { unit: 'ms', ...concat.stats(tag) }, tag);
  }
  for (const tag of HISTOGRAM_TAGS) {
    const a = r.histograms.byTag.get(tag);
    const b = concat.histograms().byTag.get(tag);
    assert.equal(a?.totalCount, b?.totalCount, tag);
    for (const p of [50, 90, 99, 100])
      assert.equal(a?.getValueAtPercentile(p), b?.getValueAtPercentile(p), `${tag} p${p}`);
  }
  // Duration spans the earliest start to the latest last chunk across shards, on the wall clock.
  const lastShardEnd = 1000 + 22 * 7 + 100; // ms after the first shard's start, bounded above
  assert.ok(r.summary.durationSec! > 1.0 && r.summary.durationSec! < lastShardEnd / 1000);
  const ttft = computeStats(all.map((x) => (x.firstChunkNs! - x.startNs) / MS));
  assert.equal(r.summary.metrics.time_to_first_token?.p99, ttft.p99);
  const back = await readResult(out);
  assert.equal(back.requestCount, 63);
});

test('refuses shards of different datasets; warns when shards started far apart', async () => {
  const root = await mkdtemp(join(tmpdir(), 'mmload-merge-'));
  await writeShard(root, 0, 2, shardRecords(0, 4, 1e12), 0, 'abc');
  await writeShard(root, 1, 2, shardRecords(1, 4, 1e12), 0, 'def');
  await assert.rejects(mergeShards({ inputs: [root], outDir: join(root, 'm') }), /dataset\.sha256 differs/);

  const root2 = await mkdtemp(join(tmpdir(), 'mmload-merge-'));
  await writeShard(root2, 0, 2, shardRecords(0, 4, 1e12), 0);
  await writeShard(root2, 1, 2, shardRecords(1, 4, 1e12), 60_000 * MS);
  const r = await mergeShards({ inputs: [root2], outDir: join(root2, 'm') });
  assert.match(r.warnings.join(), /started 60\.0 s apart/);
});

test('incompatibilities names the setting and both shards', () => {
  const p = incompatibilities([
    { dir: 'a', config: { model: 'x', shard: { index: 0, count: 2 } } },
    { dir: 'b', config: { model: 'y', shard: { index: 0, count: 2 } } },
  ]);
  assert.deepEqual(p, ['model differs: a has "x", b has "y"', 'shard 0 appears twice']);
});
