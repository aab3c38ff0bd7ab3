import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveRunOptions } from '../src/driver/options.js';
import { runLoad } from '../src/driver/run.js';
import { MetricsCollector } from '../src/metrics/collector.js';
import { toAiperfCsv, toAiperfJson, writeRunArtifacts } from '../src/metrics/exporters.js';
import { formatGoodput, isGood, objectivesOf, parseGoodput } from '../src/metrics/goodput.js';
import { requestMetrics } from '../src/metrics/per-request.js';
import { readResult } from '../src/metrics/readers.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { formatRunTable } from '../src/metrics/table.js';
import { startMock } from '../src/mock/server.js';
import { UserError } from '../src/util/errors.js';
import { smallDataset } from './driver-helpers.js';

const MS = 1e6;

/** A successful request: TTFT `ttftMs`, then `tokens` chunks `itlMs` apart. */
function ok(index: number, ttftMs: number, itlMs: number, tokens: number): RequestRecord {
  const startMs = index * 1000;
  const chunkNs = Array.from({ length: tokens }, (_, i) => (startMs + ttftMs + i * itlMs) * MS);
  const last = chunkNs[chunkNs.length - 1]!;
  return {
    index,
    sessionId: `user_${index}`,
    turn: 0,
    line: index + 1,
    warmup: false,
    startNs: startMs * MS,
    firstChunkNs: chunkNs[0],
    lastChunkNs: last,
    endNs: last + MS,
    chunkNs,
    outputTokens: tokens,
    outputTokensSource: 'usage',
    requestBytes: 100,
    status: 200,
  };
}

test("parseGoodput: AIPerf's syntax, its dict semantics and its comparisons", () => {
  const o = parseGoodput('  time_to_first_token:2000 inter_token_latency:30\trequest_latency:6e4 ');
  assert.deepEqual(
    o.map((x) => [x.tag, x.threshold, x.largerIsBetter, x.unit]),
    [
      ['time_to_first_token', 2000, false, 'ms'],
      ['inter_token_latency', 30, false, 'ms'],
      ['request_latency', 60000, false, 'ms'],
    ],
  );
  // A tag given twice keeps its first place and its last value, as a Python dict does.
  assert.deepEqual(
    parseGoodput('time_to_first_token:1 request_latency:2 time_to_first_token:1_500.5').map((x) => [
      x.tag,
      x.threshold,
    ]),
    [
      ['time_to_first_token', 1500.5],
      ['request_latency', 2],
    ],
  );
  assert.equal(parseGoodput('output_token_throughput_per_user:600')[0]!.largerIsBetter, true);
  assert.equal(
    formatGoodput(parseGoodput('time_to_first_token:2000 inter_token_latency:30')),
    'time_to_first_token:2000 inter_token_latency:30',
  );
  for (const [bad, why] of [
    ['', /got nothing/],
    ['time_to_first_token', /not in 'metric:value' format/],
    [':5', /empty metric name/],
    ['time_to_first_token:', /empty value/],
    ['time_to_first_token:fast', /must be a finite number, got 'fast'/],
    ['time_to_first_token:inf', /must be a finite number/],
    ['ttft:100', /unknown metric tag "ttft"/],
    ['inter_chunk_latency:5', /not a per-request metric with one value/],
    ['request_throughput:5', /not a per-request metric with one value/],
    ['error_isl:5', /not a per-request metric with one value/],
  ] as const) {
    assert.throws(() => parseGoodput(bad), why, bad);
  }
});

test('isGood: every objective met, bounds inclusive, a missing value fails (one output token has no ITL)', () => {
  const slo = parseGoodput('time_to_first_token:100 inter_token_latency:10');
  assert.equal(isGood(requestMetrics(ok(0, 100, 10, 5)), slo), true, 'exactly at both bounds');
  assert.equal(isGood(requestMetrics(ok(0, 100.5, 10, 5)), slo), false);
  assert.equal(isGood(requestMetrics(ok(0, 50, 11, 5)), slo), false);
  assert.equal(isGood(requestMetrics(ok(0, 50, 5, 1)), slo), false, 'no ITL with one token');
  // Larger is better: tokens/s per user at least the bound (1000 / ITL: 100 at 10 ms).
  const tps = parseGoodput('output_token_throughput_per_user:100');
  assert.equal(isGood(requestMetrics(ok(0, 50, 10, 5)), tps), true);
  assert.equal(isGood(requestMetrics(ok(0, 50, 12, 5)), tps), false);
});

test('collector: good requests among the valid ones; goodput over the benchmark duration; fraction over all attempted', () => {
  const c = new MetricsCollector({ goodput: 'time_to_first_token:100 request_latency:200' });
  const recs = [
    ok(0, 80, 10, 5), // latency 120: good
    ok(1, 120, 10, 5), // TTFT too long
    ok(2, 90, 40, 5), // latency 250: too long
    ok(3, 100, 25, 5), // latency 200: good (bounds inclusive)
    { ...ok(4, 10, 1, 2), error: { kind: 'http' as const, message: 'HTTP 500', status: 500 } },
    { ...ok(5, 10, 1, 2), warmup: true },
  ];
  for (const r of recs) c.add(r);
  const s = c.summarize({ label: 'x', config: { goodput: 'time_to_first_token:100 request_latency:200' } });
  assert.equal(s.metrics.good_request_count?.avg, 2);
  assert.equal(s.metrics.good_request_count?.unit, 'requests');
  assert.equal(s.metrics.goodput?.unit, 'requests/sec');
  assert.ok(Math.abs(s.metrics.goodput!.avg! - 2 / s.durationSec!) < 1e-12);
  assert.ok(
    Math.abs(s.metrics.goodput!.avg! / s.metrics.request_throughput!.avg! - 2 / 4) < 1e-12,
    'the same duration as request_throughput',
  );
  assert.equal(s.metrics.good_request_fraction?.avg, 2 / 5, 'the failed request counts against it');
  assert.equal(s.metrics.good_request_fraction?.unit, 'ratio');
  // AIPerf's tags and units in the JSON, its CSV names.
  const json = toAiperfJson(s);
  assert.deepEqual(json.good_request_count, { unit: 'requests', avg: 2 });
  assert.deepEqual(json.good_request_fraction, { unit: 'ratio', avg: 0.4 });
  const csv = toAiperfCsv(s);
  assert.match(csv, /\r\nGood Request Count,2\.00\r\n/);
  assert.match(csv, /\r\nGoodRequestFraction \(ratio\),0\.40\r\n/);
  assert.match(csv, /\r\nGoodput \(requests\/sec\),\d+\.\d\d\r\n/);
  assert.match(
    formatRunTable(s),
    /Goodput: +\d+\.\d{3} requests\/sec, 2 good of 5 requests \(40\.0%\): time_to_first_token <= 100 ms, request_latency <= 200 ms/,
  );
  assert.deepEqual(
    objectivesOf(s)?.map((o) => o.tag),
    ['time_to_first_token', 'request_latency'],
  );
});

test('without --goodput nothing of it is exported; with objectives and no valid request the count is 0', () => {
  const plain = new MetricsCollector();
  plain.add(ok(0, 80, 10, 5));
  const s = plain.summarize({ label: 'x' });
  for (const tag of ['good_request_count', 'goodput', 'good_request_fraction'])
    assert.equal(s.metrics[tag], undefined, tag);
  assert.doesNotMatch(formatRunTable(s), /Goodput/);
  assert.doesNotMatch(toAiperfCsv(s), /Good/);
  const none = new MetricsCollector({ goodput: 'time_to_first_token:100' });
  none.add({ ...ok(0, 10, 1, 2), error: { kind: 'timeout', message: 'timed out' } });
  const e = none.summarize({ label: 'x' });
  assert.equal(e.metrics.good_request_count?.avg, 0);
  assert.equal(e.metrics.good_request_fraction?.avg, 0);
  assert.equal(e.metrics.goodput, undefined, 'no duration without a valid request');
});

test('--goodput is checked with the other options (exit 2, the value named)', () => {
  assert.throws(
    () => resolveRunOptions({ dataset: 'd.jsonl', url: 'http://127.0.0.1:1', goodput: 'ttft:5' }),
    (err: unknown) =>
      err instanceof UserError &&
      err.exitCode === 2 &&
      /^--goodput ttft:5: unknown metric tag "ttft"/.test(err.message),
  );
});

test('a run against the mock: good_request_count equals a count made independently from records.jsonl', async () => {
  const { dir, path } = await smallDataset(6, 4);
  // TTFT 20 ms plus a seeded jitter in [0, 40): about half the requests meet 40 ms.
  const mock = await startMock({ ttftMs: 20, itlMs: 2, jitterMs: 40, seed: 11 });
  const goodput = 'time_to_first_token:40 inter_token_latency:30 request_latency:60000';
  try {
    const out = await runLoad(
      resolveRunOptions({
        dataset: path,
        url: mock.url,
        artifactDir: join(dir, 'run'),
        concurrency: 3,
        maxTokens: 6,
        extraInputs: { ignore_eos: true },
        goodput,
      }),
    );
    assert.equal(out.exitCode, 0);
    const lines = (await readFile(join(out.artifactDir, 'records.jsonl'), 'utf8')).trim().split('\n');
    let good = 0;
    let attempted = 0;
    for (const line of lines) {
      const r = JSON.parse(line) as {
        metadata: { benchmark_phase: string };
        metrics: Record<string, { value: number }>;
        error: unknown;
      };
      if (r.metadata.benchmark_phase !== 'profiling') continue;
      attempted++;
      if (r.error) continue;
      const v = (t: string) => r.metrics[t]?.value;
      const meets = (t: string, max: number) => v(t) !== undefined && v(t)! <= max;
      if (
        meets('time_to_first_token', 40) &&
        meets('inter_token_latency', 30) &&
        meets('request_latency', 60000)
      )
        good++;
    }
    assert.equal(attempted, 24);
    assert.ok(good > 0 && good < attempted, `the bound splits the requests (${good} good of ${attempted})`);
    const read = await readResult(out.artifactDir);
    assert.equal(read.metrics.good_request_count?.avg, good);
    assert.ok(Math.abs(read.metrics.good_request_fraction!.avg! - good / attempted) < 1e-12);
    assert.equal(read.config?.goodput, goodput, 'the objectives are kept with the result');
  } finally {
    await mock.close();
  }
});

test('the report shows goodput and marks each objective on its percentile curve', async () => {
  const { loadReportRun } = await import('../src/report/from-results.js');
  const { renderReport } = await import('../src/report/html.js');
  const c = new MetricsCollector({ goodput: 'time_to_first_token:100 request_latency:200' });
  for (const r of [ok(0, 80, 10, 5), ok(1, 120, 10, 5)]) c.add(r);
  const dir = await mkdtemp(join(tmpdir(), 'mmload-goodput-'));
  await writeRunArtifacts(dir, {
    summary: c.summarize({
      label: 'slo',
      config: { goodput: 'time_to_first_token:100 request_latency:200' },
    }),
  });
  const html = renderReport([await loadReportRun(dir)]);
  assert.match(html, /<th>Goodput \(req\/s\)<\/th>/);
  assert.match(html, /class="tick mark-label" fill="#b91c1c">SLO &#60;= 100 ms<\/text>/);
  assert.match(html, /SLO &#60;= 200 ms/);
  assert.equal(html.match(/class="mark"/g)?.length, 2, 'TTFT and request latency, not ITL');
  // Without objectives: no goodput column, no marks.
  const plain = new MetricsCollector();
  plain.add(ok(0, 80, 10, 5));
  const dir2 = await mkdtemp(join(tmpdir(), 'mmload-goodput-'));
  await writeRunArtifacts(dir2, { summary: plain.summarize({ label: 'plain' }) });
  const html2 = renderReport([await loadReportRun(dir2)]);
  assert.doesNotMatch(html2, /Goodput|class="mark"/);
});
