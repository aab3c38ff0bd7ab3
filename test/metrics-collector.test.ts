import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { test } from 'node:test';
import { loopDelayStats } from '../src/metrics/client-health.js';
import { MetricsCollector } from '../src/metrics/collector.js';
import { FILES, RecordsWriter, writeRunArtifacts } from '../src/metrics/exporters.js';
import { readResult } from '../src/metrics/readers.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { computeStats } from '../src/metrics/statistics.js';
import { formatRunTable } from '../src/metrics/table.js';
import type { CpuUse } from '../src/util/cpu-use.js';

const MS = 1e6;

/** A request starting at `startMs` with `tokens` chunks every `itlMs` after a `ttftMs` wait. */
function ok(index: number, startMs: number, ttftMs: number, itlMs: number, tokens: number): RequestRecord {
  const chunkNs: number[] = [];
  for (let i = 0; i < tokens; i++) chunkNs.push((startMs + ttftMs + i * itlMs) * MS);
  const last = chunkNs[chunkNs.length - 1]!;
  return {
    index,
    sessionId: `user_${index % 3}`,
    turn: Math.floor(index / 3),
    line: index + 1,
    warmup: false,
    startNs: startMs * MS,
    sentNs: (startMs + 2) * MS,
    headersNs: (startMs + 3) * MS,
    firstChunkNs: chunkNs[0],
    lastChunkNs: last,
    endNs: last + 1 * MS,
    chunkNs,
    outputTokens: tokens,
    outputTokensSource: 'usage',
    requestBytes: 1000,
    status: 200,
  };
}

function sample(): RequestRecord[] {
  const warm = { ...ok(0, 0, 500, 10, 4), warmup: true };
  const failed: RequestRecord = {
    ...ok(4, 1500, 100, 10, 2),
    error: { kind: 'http', message: 'HTTP 500', status: 500 },
  };
  const timeout: RequestRecord = {
    ...ok(5, 1600, 100, 10, 2),
    error: { kind: 'timeout', message: 'timed out' },
  };
  return [
    warm,
    ok(1, 1000, 100, 10, 11), // ends: last chunk 1200, end 1201
    ok(2, 1100, 200, 20, 6), // last chunk 1400, end 1401
    ok(3, 2000, 300, 5, 21), // last chunk 2400, end 2401
    failed,
    timeout,
  ];
}

test('collector: AIPerf formulas over valid measured requests; warm-up ignored; errors by kind', () => {
  const c = new MetricsCollector();
  for (const r of sample()) c.add(r);
  const s = c.summarize({ label: 'run' });
  assert.equal(s.requestCount, 3);
  assert.equal(s.errorCount, 2);
  assert.deepEqual(s.errorsByKind, { http: 1, timeout: 1 });
  assert.deepEqual(s.errorDetails, [
    { code: 500, type: 'http', message: 'HTTP 500', count: 1 },
    { code: null, type: 'timeout', message: 'timed out', count: 1 },
  ]);
  assert.equal(s.warmupCount, 1);
  // duration = last content chunk (2400, AIPerf's start + request_latency) - first start (1000) = 1.4 s
  assert.ok(Math.abs(s.durationSec! - 1.4) < 1e-12);
  assert.ok(Math.abs(s.metrics.request_throughput!.avg! - 3 / 1.4) < 1e-12);
  assert.ok(Math.abs(s.metrics.output_token_throughput!.avg! - 38 / 1.4) < 1e-9);
  const ttft = s.metrics.time_to_first_token!;
  assert.equal(ttft.unit, 'ms');
  assert.equal(ttft.count, 3);
  assert.equal(ttft.avg, 200);
  assert.equal(ttft.p50, 200);
  // ITL per request = (latency - TTFT) / (OSL - 1) = the chunk spacing: 10, 20, 5
  assert.equal(s.metrics.inter_token_latency!.avg, 35 / 3);
  // every chunk gap: 10 x 10 ms, 5 x 20 ms, 20 x 5 ms
  assert.equal(s.metrics.inter_chunk_latency!.count, 35);
  assert.equal(s.metrics.output_sequence_length!.avg, 38 / 3);
  assert.equal(s.metrics.mmload_upload_time!.avg, 2);
  assert.equal(s.outputTokenSource, 'usage');
  assert.equal(s.metrics.request_count!.avg, 3);
  assert.equal(s.metrics.error_request_count!.avg, 2);
  // timeline: seconds since first measured start (1000 ms): ends at 0.201, 0.401, 1.401 s; errors at ~0.6, ~0.7 s
  assert.deepEqual(
    s.timeline!.map((t) => [t.completed, t.outputTokens, t.errors]),
    [
      [2, 17, 2],
      [1, 21, 0],
    ],
  );
  assert.match(formatRunTable(s), /Time to First Token \(ms\)\s+200\.0/);
});

test('collector: the summary warns when the client event loop could have distorted timestamps', () => {
  const c = new MetricsCollector();
  for (const r of sample()) c.add(r);
  const quiet = c.summarize({
    label: 'a',
    client: { eventLoopDelayMs: { p50: 0.1, p99: 0.3, max: 1 }, warnings: [] },
  });
  assert.deepEqual(quiet.client!.warnings, []);
  // 0.9 ms is above 5% of the ITL but inside the monitor's 1 ms rounding: no warning
  const rounding = c.summarize({
    label: 'r',
    client: { eventLoopDelayMs: { p50: 0.2, p99: 0.9, max: 1 }, warnings: [] },
  });
  assert.deepEqual(rounding.client!.warnings, []);
  // ITL avg is 11.67 ms: a 4 ms p99 stall is more than 5% of it
  const busy = c.summarize({
    label: 'b',
    client: { eventLoopDelayMs: { p50: 1, p99: 4, max: 9 }, warnings: [] },
  });
  assert.equal(busy.client!.warnings.length, 1);
  assert.match(busy.client!.warnings[0]!, /event-loop delay p99 4\.00 ms .* ITL avg 11\.67 ms/);
  // With the run's CPU figures the warning says why the loop stalled.
  const cause = (cpu: CpuUse) =>
    c.summarize({ label: 'b', client: { eventLoopDelayMs: { p50: 1, p99: 4, max: 9 }, cpu, warnings: [] } })
      .client!.warnings[0]!;
  const cpu = { processCores: 1.3, hostCpus: 2, availableCpus: 2 };
  assert.match(
    cause({ ...cpu, hostBusy: 0.97 }),
    /host's 2 CPUs were 97 % busy \(mmload used 1\.30 cores\): the client waited for a CPU/,
  );
  assert.match(
    cause({ ...cpu, hostBusy: 0.4 }),
    /host's 2 CPUs were 40 % busy and mmload used 1\.30 cores on average, which does not explain it: the stalls came in bursts/,
  );
  assert.match(
    cause({ ...cpu, hostBusy: 0.5, cgroupLimitCores: 1, throttledMs: 812.4, throttledPeriods: 31 }),
    /CPU quota of 1\.00 cores held it back for 812 ms in 31 periods/,
  );
  const late = c.summarize({ label: 'c', client: { lateSends: 2, warnings: [] } });
  assert.match(late.client!.warnings[0]!, /2 of 5 requests left later than planned/);
  const images = (rereads: number) =>
    c.summarize({
      label: 'c',
      client: { localImages: { reads: 40, rereads, hits: 160, maxBytes: 2 ** 30 }, warnings: [] },
    }).client!.warnings;
  assert.deepEqual(images(0), []);
  assert.match(images(8)[0]!, /8 of 40 local image reads .* 1024 MiB image cache .* --image-cache-mb/);
  const streamed = (maxBytes: number) =>
    c.summarize({
      label: 'c',
      client: {
        localImages: { reads: 0, rereads: 0, hits: 0, streamed: 12, noRoom: 12, maxBytes },
        warnings: [],
      },
    }).client!.warnings;
  assert.match(
    streamed(2 ** 20)[0]!,
    /12 local image uses found no room in --image-cache-mb 1 MiB and were streamed/,
  );
  assert.deepEqual(streamed(0), [], '--image-cache-mb 0 asks for streaming');
});

test('collector: rate mode gives coordinated-omission-corrected latencies', () => {
  const c = new MetricsCollector();
  const r = ok(0, 1000, 100, 10, 3);
  c.add({ ...r, intendedNs: 900 * MS });
  const s = c.summarize({ label: 'rate' });
  assert.equal(s.metrics.mmload_corrected_time_to_first_token!.avg, 200);
  assert.equal(s.metrics.mmload_corrected_request_latency!.avg, 220);
  assert.equal(s.metrics.mmload_send_lag!.avg, 100);
});

test('artifacts: AIPerf-schema JSON and CSV, records appended during the run, read back by readResult', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-metrics-'));
  try {
    const c = new MetricsCollector();
    const writer = new RecordsWriter(join(dir, FILES.records), 1_700_000_000_000 * MS);
    for (const r of sample()) {
      c.add(r);
      writer.write(r);
    }
    await writer.close();
    const summary = c.summarize({ label: 'run', toolVersion: '0.1.0', config: { concurrency: 30 } });
    await writeRunArtifacts(dir, {
      summary,
      histograms: c.histograms(),
      config: { concurrency: 30 },
      datasetManifest: { sha256: 'abc' },
    });

    const json = JSON.parse(await readFile(join(dir, FILES.json), 'utf8'));
    // Same layout as a real AIPerf 0.13.0 export: version, per-metric key order, scalar shape.
    const real = JSON.parse(await readFile('fixtures/aiperf/real-small/profile_export_aiperf.json', 'utf8'));
    assert.equal(json.schema_version, real.schema_version);
    for (const tag of [
      'time_to_first_token',
      'inter_token_latency',
      'inter_chunk_latency',
      'request_latency',
    ]) {
      assert.deepEqual(Object.keys(json[tag]), Object.keys(real[tag]), tag);
    }
    for (const tag of [
      'request_throughput',
      'request_count',
      'benchmark_duration',
      'output_token_throughput',
    ]) {
      assert.deepEqual(Object.keys(json[tag]), Object.keys(real[tag]), tag);
      assert.equal(json[tag].unit, real[tag].unit, tag);
    }
    assert.deepEqual(json.request_throughput, { unit: 'requests/sec', avg: 3 / 1.4 });
    assert.deepEqual(json.benchmark_duration.unit, 'sec');
    assert.deepEqual(
      json.error_summary.map((e: { error_details: { type: string }; count: number }) => [
        e.error_details.type,
        e.count,
      ]),
      [
        ['http', 1],
        ['timeout', 1],
      ],
    );
    for (const key of Object.keys(json)) {
      const aiperfKey = /^(schema_version|was_cancelled|error_summary|start_time|end_time)$/.test(key);
      const known = aiperfKey || key.startsWith('mmload') || 'unit' in json[key];
      assert.ok(known, `unexpected key ${key}`);
    }

    const csv = await readFile(join(dir, FILES.csv), 'utf8');
    const lines = csv.split('\r\n');
    const realCsv = (await readFile('fixtures/aiperf/real-small/profile_export_aiperf.csv', 'utf8')).split(
      '\r\n',
    );
    assert.equal(lines[0], realCsv[0]);
    assert.ok(lines.includes('Request Count,3.00'));
    const realNames = new Set(realCsv.map((l) => l.split(',')[0]));
    for (const name of [
      'Time to First Token (ms)',
      'Request Throughput (requests/sec)',
      'Benchmark Duration (sec)',
    ]) {
      assert.ok(realNames.has(name) && lines.some((l) => l.startsWith(`${name},`)), name);
    }
    assert.ok(lines.some((l) => l.startsWith('Time to First Token (ms),200.00,100.00,300.00,')));
    assert.ok(lines.includes('Metric,Value'));

    const records = (await readFile(join(dir, FILES.records), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(records.length, 6);
    assert.equal(records[0].metadata.benchmark_phase, 'warmup');
    assert.equal(records[1].metrics.time_to_first_token.value, 100);
    assert.equal(records[1].metadata.request_start_ns, 1_700_000_001_000 * MS);
    assert.equal(records[4].error.code, 500);
    assert.equal(records[5].error.code, null);
    assert.deepEqual(json.error_summary[0], {
      error_details: { code: 500, type: 'http', message: 'HTTP 500' },
      count: 1,
    });
    assert.equal(records[4].metrics.time_to_first_token, undefined);

    const back = await readResult(dir);
    assert.equal(back.source, 'mmload');
    // The run's own label (issue 11: --label names the result), not the directory's name.
    assert.equal(back.label, 'run');
    assert.equal(back.requestCount, 3);
    assert.equal(back.errorCount, 2);
    assert.deepEqual(back.errorsByKind, { http: 1, timeout: 1 });
    assert.equal(back.metrics.time_to_first_token!.p99, summary.metrics.time_to_first_token!.p99);
    assert.deepEqual(back.timeline, summary.timeline);
    const hlog = await readFile(join(dir, FILES.hlog), 'utf8');
    assert.match(hlog, /Tag=inter_chunk_latency,/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('records: batched lines reach the file within the flush interval, before close, all of them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-recw-'));
  try {
    const path = join(dir, FILES.records);
    const writer = new RecordsWriter(path);
    const recs = Array.from({ length: 50 }, (_, i) => ok(i, i * 10, 50, 10, 4));
    for (const r of recs) writer.write(r);
    // No close: what a process killed after this point leaves on disk.
    await new Promise((r) => setTimeout(r, 400));
    const early = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    assert.equal(early.length, 50);
    assert.deepEqual(
      early.map((l) => JSON.parse(l).mmload.index),
      recs.map((r) => r.index),
    );
    writer.write(ok(50, 600, 50, 10, 4));
    await writer.close();
    assert.equal((await readFile(path, 'utf8')).split('\n').filter(Boolean).length, 51);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('event-loop delay: the timer resolution is taken off what Node records', async () => {
  const fake = { count: 3, max: 14e6, percentile: (p: number) => (p === 50 ? 9.8e6 : 12.5e6) };
  assert.deepEqual(loopDelayStats(fake, 10), { p50: 0, p99: 2.5, max: 4 });
  assert.equal(loopDelayStats({ ...fake, count: 0 }, 10), undefined);
  // A real idle loop: Node reports ~10 ms per 10 ms tick, which is no delay at all.
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await new Promise((r) => setTimeout(r, 300));
  h.disable();
  assert.ok(h.percentile(50) / 1e6 >= 9, 'Node still records the whole interval');
  assert.ok(loopDelayStats(h, 10)!.p50 < 5, JSON.stringify(loopDelayStats(h, 10)));
});

test('client health: send lag and late sends come from mmload_send_lag, failed requests included', () => {
  const c = new MetricsCollector();
  // Planned 0.5, 2, 0.2 and 7 ms before the dispatch; the last one failed; warm-up is not measured.
  const lags = [0.5, 2, 0.2, 7];
  lags.forEach((lag, i) => {
    const r = ok(i + 1, 1000 + i * 100, 50, 10, 4);
    const rec: RequestRecord = { ...r, intendedNs: r.startNs - lag * MS };
    c.add(i === 3 ? { ...rec, error: { kind: 'timeout', message: 'timed out' } } : rec);
  });
  c.add({ ...ok(9, 900, 50, 10, 4), intendedNs: 800 * MS, warmup: true });
  const stats = computeStats(lags);
  const s = c.summarize({
    label: 'rate',
    // What the driver used to pass from its own percentile: the collector's figures replace it.
    client: { lateSends: 99, sendLagMs: { p50: -1, p99: -1, max: -1 }, preconnected: 2, warnings: [] },
  });
  assert.deepEqual(s.client!.sendLagMs, { p50: stats.p50, p99: stats.p99, max: 7 });
  assert.equal(s.client!.lateSends, 2);
  assert.equal(s.client!.preconnected, 2);
  assert.equal(s.metrics.mmload_send_lag!.count, 4);
  assert.equal(s.metrics.mmload_send_lag!.p99, stats.p99);
  // Latencies stay over the valid requests only.
  assert.equal(s.metrics.mmload_corrected_request_latency!.count, 3);
  // 2 of 4 requests late: the warning quotes the same p99.
  assert.match(s.client!.warnings.join(), new RegExp(`2 of 4 requests .* p99 ${stats.p99.toFixed(2)} ms`));
  // Without meta.client the figures are still there.
  assert.equal(c.summarize({ label: 'bare' }).client!.lateSends, 2);
  // Concurrency mode (no planned send times): no send-lag figures at all.
  const conc = new MetricsCollector();
  conc.add(ok(1, 1000, 50, 10, 4));
  const cs = conc.summarize({ label: 'c', client: { preconnected: 1, warnings: [] } });
  assert.equal(cs.client!.lateSends, undefined);
  assert.equal(cs.client!.sendLagMs, undefined);
  assert.equal(conc.summarize({ label: 'none' }).client, undefined);
});
