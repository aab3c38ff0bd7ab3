import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { resolveRunOptions } from '../src/driver/options.js';
import { runLoad } from '../src/driver/run.js';
import { readResult } from '../src/metrics/readers.js';
import { percentileOfSorted } from '../src/metrics/statistics.js';
import { VLLM_TTFT_BUCKETS } from '../src/mock/metrics.js';
import { startMock } from '../src/mock/server.js';
import { loadReportRun } from '../src/report/from-results.js';
import { renderReport } from '../src/report/html.js';
import { commonView, viewValue } from '../src/server-metrics/common-view.js';
import { serverComparison, withServerComparison } from '../src/server-metrics/compare-rows.js';
import { formatServerMetricsBlock, serverMetricsBlock } from '../src/server-metrics/console.js';
import { SERVER_METRICS_FILES, type ServerMetricsExport } from '../src/server-metrics/export.js';
import { ServerMetricsObserver, serverMetricsEndpoints } from '../src/server-metrics/observer.js';
import { parsePrometheusText } from '../src/server-metrics/parse.js';
import { readServerMetricsExport } from '../src/server-metrics/read.js';
import {
  counterStats,
  gaugeStats,
  histogramQuantile,
  histogramStats,
  sortedBuckets,
} from '../src/server-metrics/window-stats.js';
import { runOptions, smallDataset } from './driver-helpers.js';

test('parser: types, labels with escapes, timestamps, NaN and Inf, untyped, bad lines kept out', () => {
  const text = [
    '# HELP vllm:prompt_tokens_total Number of prefill tokens\\nprocessed.',
    '# TYPE vllm:prompt_tokens_total counter',
    'vllm:prompt_tokens_total{model_name="a \\"b\\" \\\\ c\\nd",engine="0"} 10.0',
    'vllm:prompt_tokens_created{model_name="x",engine="0"} 1.7e9',
    '# TYPE g gauge',
    'g{a="1"} NaN 1700000000000',
    'g{a="2"} +Inf',
    'g{a="3"} -Inf',
    'g{a="4",} 4e-3',
    '# TYPE h histogram',
    'h_bucket{le="0.1",x="y"} 1',
    'h_bucket{le="+Inf",x="y"} 3',
    'h_sum{x="y"} 0.7',
    'h_count{x="y"} 3',
    '# TYPE s summary',
    's{quantile="0.5"} 2',
    's{quantile="0.99"} 9',
    's_sum 30',
    's_count 10',
    'llamacpp:untyped_thing 3',
    'bad line here',
    'g{a="5" 1',
    '# EOF',
  ].join('\n');
  const r = parsePrometheusText(text);
  const by = Object.fromEntries(r.families.map((f) => [f.name, f]));
  assert.deepEqual(Object.keys(by).sort(), ['g', 'h', 'llamacpp:untyped_thing', 's', 'vllm:prompt_tokens']);
  assert.equal(by['vllm:prompt_tokens']!.type, 'counter');
  assert.equal(by['vllm:prompt_tokens']!.help, 'Number of prefill tokens\nprocessed.');
  assert.deepEqual(by['vllm:prompt_tokens']!.samples, [
    { value: 10, labels: { model_name: 'a "b" \\ c\nd', engine: '0' } },
  ]);
  const g = by.g!.samples;
  assert.ok(Number.isNaN(g[0]!.value));
  assert.equal(g[0]!.timestampMs, 1700000000000);
  assert.equal(g[1]!.value, Number.POSITIVE_INFINITY);
  assert.equal(g[2]!.value, Number.NEGATIVE_INFINITY);
  assert.deepEqual(g[3], { value: 0.004, labels: { a: '4' } });
  assert.deepEqual(by.h!.samples, [
    { labels: { x: 'y' }, buckets: { '0.1': 1, '+Inf': 3 }, sum: 0.7, count: 3 },
  ]);
  assert.deepEqual(by.s!.samples, [{ quantiles: { '0.5': 2, '0.99': 9 }, sum: 30, count: 10 }]);
  assert.equal(by['llamacpp:untyped_thing']!.type, 'untyped');
  assert.equal(r.badLineCount, 2);
  assert.deepEqual(
    r.badLines.map((b) => b.line),
    [21, 22],
  );
});

test('window statistics: counter deltas from the last scrape before the window, gauges inside it, histogram percentiles from bucket deltas', () => {
  const s = 1e9;
  const counter = [0, 5, 9, 20, 26].map((v, i) => ({ t: i * s, sample: { value: v } }));
  // Window [1.5 s, 3.5 s]: reference is the scrape at 1 s (5), last inside is 3 s (20).
  assert.deepEqual(counterStats(counter, { startNs: 1.5 * s, endNs: 3.5 * s }), { total: 15, rate: 7.5 });
  // A reset clamps at 0, as AIPerf does.
  assert.equal(
    counterStats(
      [
        { t: 0, sample: { value: 9 } },
        { t: s, sample: { value: 2 } },
      ],
      { startNs: 0.5 * s, endNs: 2 * s },
    )!.total,
    0,
  );
  const gauge = [1, 2, 3, 4, 100].map((v, i) => ({ t: i * s, sample: { value: v } }));
  const gs = gaugeStats(gauge, { startNs: 0.5 * s, endNs: 3.5 * s })!;
  assert.equal(gs.avg, 3);
  assert.equal(gs.max, 4);
  assert.equal(gs.p50, 3);
  assert.equal(gs.std, 1);
  const hist = [
    { t: 0, sample: { buckets: { '0.1': 10, '0.2': 10, '+Inf': 10 }, sum: 0.5, count: 10 } },
    { t: s, sample: { buckets: { '0.1': 10, '0.2': 20, '+Inf': 20 }, sum: 2, count: 20 } },
  ];
  const hs = histogramStats(hist, { startNs: 0.5 * s, endNs: 2 * s })!;
  assert.deepEqual(hs.buckets, { '0.1': 0, '0.2': 10, '+Inf': 10 });
  assert.equal(hs.stats.count, 10);
  assert.equal(hs.stats.avg, 0.15);
  // All ten in (0.1, 0.2]: the median interpolates to the middle of the bucket.
  assert.ok(Math.abs(hs.stats.p50_estimate! - 0.15) < 1e-12);
  assert.equal(histogramQuantile(0.99, sortedBuckets({ '1': 1, '+Inf': 100 })), 1);
});

function exportOf(metrics: ServerMetricsExport['metrics']): ServerMetricsExport {
  return {
    schema_version: '1.1',
    summary: { endpoints_configured: ['x'], endpoints_successful: ['x'], start_time: '', end_time: '' },
    metrics,
  };
}

test('common view: SGLang names map to the same quantities; counters found with or without _total; other families listed as unmapped', () => {
  const e = exportOf({
    'sglang:num_running_reqs': {
      type: 'gauge',
      description: '',
      series: [
        { labels: { tp_rank: '0' }, stats: { avg: 3, p50: 3, p99: 4, max: 4 } },
        { labels: { tp_rank: '1' }, stats: { avg: 2, p50: 2, p99: 2, max: 2 } },
      ],
    },
    'sglang:cached_tokens_total': {
      type: 'counter',
      description: '',
      series: [{ stats: { total: 30, rate: 3 } }],
    },
    'sglang:prompt_tokens_total': {
      type: 'counter',
      description: '',
      series: [{ stats: { total: 120, rate: 12 } }],
    },
    'sglang:time_to_first_token_seconds': {
      type: 'histogram',
      description: '',
      series: [
        { stats: { count: 4, sum: 0.6 }, buckets: { '0.1': 2, '0.2': 4, '+Inf': 4 } },
        { stats: { count: 4, sum: 1.0 }, buckets: { '0.1': 0, '0.2': 4, '+Inf': 4 } },
      ],
    },
    'sglang:something_else': { type: 'gauge', description: '', series: [{ stats: { avg: 1 } }] },
  });
  const v = commonView(e);
  assert.deepEqual(v.servers, ['SGLang']);
  assert.equal(viewValue(v, 'requests_running')!.avg, 5);
  assert.equal(viewValue(v, 'prefix_cache_hit_rate')!.value, 0.25);
  const ttft = viewValue(v, 'server_ttft')!;
  assert.equal(ttft.count, 8);
  assert.equal(ttft.avg, 200);
  // Merged buckets: 2 at <= 0.1 s, 6 in (0.1, 0.2]: the median is inside the second bucket.
  assert.ok(ttft.p50! > 100 && ttft.p50! <= 200);
  assert.deepEqual(v.unmapped, ['sglang:something_else']);
});

test('endpoints: the URL own /metrics first, extra ones completed as AIPerf does, none with --no-server-metrics', () => {
  const o = resolveRunOptions({
    dataset: 'd',
    url: 'http://user:pw@127.0.0.1:8000/v1',
    serverMetrics: ['127.0.0.1:9090', 'http://w:1/m'],
  });
  assert.deepEqual(serverMetricsEndpoints(o), [
    'http://127.0.0.1:8000/metrics',
    'http://127.0.0.1:9090/metrics',
    'http://w:1/m',
  ]);
  assert.deepEqual(serverMetricsEndpoints({ ...o, serverMetrics: false }), []);
  assert.throws(
    () =>
      resolveRunOptions({
        dataset: 'd',
        url: 'http://a',
        serverMetricsFormats: ['json', 'parquet'] as never,
      }),
    /--server-metrics-formats .*parquet is not written by mmload/,
  );
});

function bucketIndex(seconds: number): number {
  const i = VLLM_TTFT_BUCKETS.findIndex((b) => seconds <= b);
  return i < 0 ? VLLM_TTFT_BUCKETS.length : i;
}

test('end to end against the mock: image-cache hits, tokens and TTFT scraped over the profiling window equal the mock records', async () => {
  const { dir, path } = await smallDataset(6, 4);
  const mock = await startMock({ ttftMs: 20, jitterMs: 60, itlMs: 1, imageEncodeMs: 5, seed: 3 });
  try {
    const o = runOptions(path, join(dir, 'run'), {
      url: mock.url,
      concurrency: 3,
      warmupRequests: 3,
      serverMetricsInterval: 0.05,
    });
    const out = await runLoad(o, {
      observers: [
        new ServerMetricsObserver({
          endpoints: serverMetricsEndpoints(o),
          intervalS: 0.05,
          formats: o.serverMetricsFormats,
        }),
      ],
    });
    assert.equal(out.exitCode, 0);
    const e = out.observed.serverMetrics as ServerMetricsExport;
    assert.ok(e, 'the observer returned the export');
    const onDisk = JSON.parse(await readFile(join(out.artifactDir, SERVER_METRICS_FILES.json), 'utf8'));
    assert.deepEqual(onDisk.metrics, e.metrics);
    // Warm-up requests arrive first and are all answered before profiling starts.
    const recs = [...mock.records()].sort((a, b) => a.arrivalNs - b.arrivalNs);
    assert.equal(recs.length, 3 + 24);
    const profiling = recs.slice(3);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const hits = sum(profiling.map((r) => r.imageHits));
    const queries = sum(profiling.map((r) => r.imageHits + r.imageMisses));
    assert.ok(hits > 0, 'the sliding window re-sends images');
    const view = commonView(e);
    const mm = viewValue(view, 'mm_cache_hit_rate')!;
    assert.equal(mm.hits, hits);
    assert.equal(mm.queries, queries);
    assert.equal(viewValue(view, 'generation_tokens')!.total, sum(profiling.map((r) => r.outputTokens)));
    assert.equal(viewValue(view, 'prompt_tokens')!.total, sum(profiling.map((r) => r.promptTokens)));
    // The warm-up has its own window.
    assert.equal(
      e.warmup_metrics!['vllm:mm_cache_queries']!.series[0]!.stats!.total,
      sum(recs.slice(0, 3).map((r) => r.imageHits + r.imageMisses)),
    );
    // Server-side TTFT: the histogram's percentiles within one bucket of the mock's own.
    const ttft = viewValue(view, 'server_ttft')!;
    assert.equal(ttft.count, profiling.length);
    const own = Float64Array.from(profiling.map((r) => (r.firstTokenNs! - r.bodyNs) / 1e9)).sort();
    assert.ok(Math.abs(ttft.avg! / 1000 - sum([...own]) / own.length) < 1e-9, 'the average is exact');
    for (const [p, est] of [
      [50, ttft.p50!],
      [90, ttft.p90!],
      [99, ttft.p99!],
    ] as const) {
      const exact = percentileOfSorted(own, p);
      assert.ok(
        Math.abs(bucketIndex(est / 1000) - bucketIndex(exact)) <= 1,
        `p${p}: server ${est} ms, mock ${exact * 1000} ms`,
      );
    }
    // The files: JSONL one line per scrape (the boundary scrapes included), the raw scrapes, the CSV.
    const lines = (await readFile(join(out.artifactDir, SERVER_METRICS_FILES.jsonl), 'utf8'))
      .trim()
      .split('\n');
    const scrapes = lines.map((l) => JSON.parse(l));
    assert.ok(scrapes.length >= 4, `${scrapes.length} scrapes`);
    assert.ok(scrapes.some((s) => s.benchmark_phase === 'warmup'));
    assert.ok(scrapes.some((s) => s.benchmark_phase === 'profiling'));
    assert.ok(scrapes.every((s) => s.metrics['vllm:time_to_first_token_seconds'][0].buckets['+Inf'] >= 0));
    const raw = gunzipSync(await readFile(join(out.artifactDir, SERVER_METRICS_FILES.raw))).toString();
    assert.equal(raw.split('# mmload-scrape ').length - 1, scrapes.length);
    assert.match(
      await readFile(join(out.artifactDir, SERVER_METRICS_FILES.csv), 'utf8'),
      /vllm:mm_cache_hits,count,/,
    );
    const block = serverMetricsBlock(out)!;
    assert.match(block, /Multimodal-cache hit rate/);
    assert.match(block, /TTFT, client vs server/);
    const cfg = JSON.parse(await readFile(join(out.artifactDir, 'run_config.json'), 'utf8'));
    assert.deepEqual(cfg.serverMetrics.endpoints, [`${mock.url}/metrics`]);
  } finally {
    await mock.close();
  }
});

test('scrapes that fail are counted, never fatal: a missing /metrics is said once, a hanging one times out', async () => {
  const { dir, path } = await smallDataset(2, 2);
  const mock = await startMock({ ttftMs: 5, itlMs: 1 });
  // One endpoint answers 404, one never answers.
  const hang = createServer((req) => {
    req.resume();
  });
  const missing = createServer((req, res) => {
    req.resume();
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => missing.listen(0, '127.0.0.1', r));
  const lines: string[] = [];
  try {
    const o = runOptions(path, join(dir, 'run'), {
      url: mock.url,
      serverMetrics: [
        `127.0.0.1:${(missing.address() as AddressInfo).port}`,
        `127.0.0.1:${(hang.address() as AddressInfo).port}`,
      ],
    });
    const out = await runLoad(o, {
      log: (l) => lines.push(l),
      observers: [
        new ServerMetricsObserver({
          endpoints: serverMetricsEndpoints(o),
          intervalS: 0.2,
          formats: ['json'],
        }),
      ],
    });
    assert.equal(out.exitCode, 0);
    const e = out.observed.serverMetrics as ServerMetricsExport;
    const info = e.summary.endpoint_info!;
    const [own, miss, slow] = e.summary.endpoints_configured;
    assert.equal(info[own!]!.failed_fetches, 0);
    assert.equal(info[miss!]!.failed_fetches, info[miss!]!.total_fetches);
    assert.equal(lines.filter((l) => l.includes('answered 404')).length, 1, lines.join('\n'));
    assert.ok(info[slow!]!.timed_out_fetches! >= 1);
    assert.deepEqual(e.summary.endpoints_successful, [own]);
    assert.match(formatServerMetricsBlock(e, out.summary), /scrape\(s\) failed: timed out after 1000 ms/);
    // Only the asked-for format was written.
    await assert.rejects(stat(join(out.artifactDir, SERVER_METRICS_FILES.csv)));
  } finally {
    await mock.close();
    hang.closeAllConnections();
    await new Promise((r) => hang.close(r));
    await new Promise((r) => missing.close(r));
  }
});

const AIPERF_FIXTURE = new URL('../fixtures/aiperf/server-metrics', import.meta.url).pathname;

test("AIPerf 0.13's own server metrics export reads the same: common view, compare rows, report section", async () => {
  const e = (await readServerMetricsExport(AIPERF_FIXTURE))!;
  const view = commonView(e);
  assert.deepEqual(view.servers, ['vLLM']);
  assert.equal(viewValue(view, 'generation_tokens')!.total, 48);
  assert.equal(viewValue(view, 'mm_cache_hit_rate')!.hits, 8);
  assert.equal(viewValue(view, 'mm_cache_hit_rate')!.queries, 12);
  assert.equal(viewValue(view, 'server_ttft')!.count, 6);

  // Against an mmload run of the same dataset on the mock: one compare, one report.
  const mock = await startMock({ ttftMs: 20, itlMs: 5 });
  const dir = await mkdtemp(join(tmpdir(), 'mmload-sm-'));
  try {
    const o = runOptions(
      new URL('../fixtures/aiperf/small-dataset.jsonl', import.meta.url).pathname,
      join(dir, 'mm'),
      {
        url: mock.url,
        concurrency: 2,
        serverMetricsInterval: 0.05,
      },
    );
    const out = await runLoad(o, {
      observers: [
        new ServerMetricsObserver({
          endpoints: serverMetricsEndpoints(o),
          intervalS: 0.05,
          formats: o.serverMetricsFormats,
        }),
      ],
    });
    assert.equal(out.exitCode, 0);
    const results = [
      await readResult(`aiperf=${AIPERF_FIXTURE}`),
      await readResult(`mmload=${out.artifactDir}`),
    ];
    const c = (await serverComparison(results))!;
    assert.deepEqual(c.labels, ['aiperf', 'mmload']);
    const row = (k: string) => c.rows.find((r) => r.key === k)!.values;
    // The same dataset on the same mock: the same multimodal-cache hit rate from both tools' files.
    assert.deepEqual(
      row('mm_hit_pct').map((v) => v?.toFixed(1)),
      ['66.7', '66.7'],
    );
    const text = await withServerComparison('client table\n', results, 'table');
    assert.match(text, /^client table\n\nserver +aiperf +mmload\n/);
    assert.match(text, /Multimodal-cache hit % +66\.7 +66\.7/);
    const json = JSON.parse(await withServerComparison(JSON.stringify({ rows: [] }), results, 'json'));
    assert.deepEqual(json.server.labels, ['aiperf', 'mmload']);
    // The report: both results' server series on the client's time axis.
    const runs = [
      await loadReportRun(`aiperf=${AIPERF_FIXTURE}`),
      await loadReportRun(`mmload=${out.artifactDir}`),
    ];
    assert.ok(runs[1]!.server!.some((s) => s.key === 'requests_running' && s.points.length > 0));
    assert.ok(runs[0]!.server!.some((s) => s.key === 'generation_tokens'));
    const html = renderReport(runs);
    assert.match(html, /<h2>Server metrics over the run<\/h2>/);
    assert.match(html, /Requests running \(server\)/);
  } finally {
    await mock.close();
  }
});
