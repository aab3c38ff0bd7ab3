/**
 * How fast the metrics layer ingests: RequestRecords per second into MetricsCollector (exact
 * values + HDR), and raw HDR recordValue ops per second. Run: node --import tsx bench/metrics-collector.ts
 * A record here is a 64-token stream (64 chunk timestamps), the driver's typical small case; a
 * 1024-token stream costs ~16x the chunk work.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Bench } from 'tinybench';
import { MetricsCollector } from '../src/metrics/collector.js';
import { recordLine } from '../src/metrics/exporters.js';
import { newHistogram } from '../src/metrics/histograms.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { computeStats } from '../src/metrics/statistics.js';

const MS = 1e6;
function record(i: number, tokens: number): RequestRecord {
  const start = i * 10 * MS;
  const chunkNs: number[] = [];
  for (let k = 0; k < tokens; k++) chunkNs.push(start + (50 + k * 10 + (i % 7)) * MS);
  return {
    index: i,
    sessionId: `user_${i % 30}`,
    turn: 0,
    line: i + 1,
    warmup: false,
    startNs: start,
    sentNs: start + MS,
    headersNs: start + 2 * MS,
    firstChunkNs: chunkNs[0],
    lastChunkNs: chunkNs[tokens - 1],
    endNs: chunkNs[tokens - 1]! + MS,
    chunkNs,
    outputTokens: tokens,
    outputTokensSource: 'usage',
    requestBytes: 1000,
  };
}

const RECORDS = 1000;
const recs64 = Array.from({ length: RECORDS }, (_, i) => record(i, 64));
const recs1024 = Array.from({ length: 100 }, (_, i) => record(i, 1024));
const hdrValues = Float64Array.from({ length: 10000 }, (_, i) => 1000 + ((i * 7919) % 5_000_000));
const statValues = Float64Array.from({ length: 100_000 }, (_, i) => Math.exp(((i * 7919) % 1000) / 100));

const bench = new Bench({ time: 1500, warmupTime: 300 });
bench
  .add(`collector.add x${RECORDS} (64-token records)`, () => {
    const c = new MetricsCollector();
    for (const r of recs64) c.add(r);
  })
  .add('collector.add x100 (1024-token records)', () => {
    const c = new MetricsCollector();
    for (const r of recs1024) c.add(r);
  })
  .add(`recordLine x${RECORDS} (64-token records)`, () => {
    let n = 0;
    for (const r of recs64) n += recordLine(r, 1.7e18).length;
    if (n === 0) throw new Error('empty');
  })
  .add('HDR recordValue x10000', () => {
    const h = newHistogram();
    for (const v of hdrValues) h.recordValue(v);
  })
  .add('computeStats over 100k values', () => {
    computeStats(statValues);
  });

await bench.run();

const rows = bench.tasks.map((t) => {
  const r = t.result as unknown as { latency: { p50: number }; throughput: { p50: number } };
  const perRun = t.name.includes('x1000 ')
    ? RECORDS
    : t.name.includes('x100 ')
      ? 100
      : t.name.includes('x10000')
        ? 10000
        : 100_000;
  const medianMs = r.latency.p50;
  return {
    task: t.name,
    'median ms/run': medianMs.toFixed(3),
    'records|values/s (median)': Math.round((perRun * 1000) / medianMs),
  };
});
console.table(rows);
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL('./results/metrics-collector.json', import.meta.url),
  `${JSON.stringify(rows, null, 2)}\n`,
);
