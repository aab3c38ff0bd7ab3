import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { locateAiperf, PROJECT_ROOT } from '../src/aiperf/locate.js';
import {
  CATALOGUE,
  HDR_METRICS,
  METRIC_LIST,
  metricDef,
  RECORD_METRICS,
  TABLE_ROWS,
} from '../src/metrics/catalogue.js';
import { MetricsCollector } from '../src/metrics/collector.js';
import { recordLine, toAiperfCsv } from '../src/metrics/exporters.js';
import { HISTOGRAM_TAGS, histogramUnit } from '../src/metrics/histograms.js';
import { requestMetrics } from '../src/metrics/per-request.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { type Summary, stat } from '../src/metrics/summary.js';
import { formatRunTable } from '../src/metrics/table.js';

const MS = 1e6;
const REAL = join(PROJECT_ROOT, 'fixtures', 'aiperf', 'real-small');

/** A rate-mode request with every timestamp, so that every per-request metric has a value. */
function full(index: number): RequestRecord {
  const start = (1000 + index * 50) * MS;
  const chunkNs = [0, 1, 2, 3, 4].map((k) => start + (40 + k * 7 + index) * MS);
  return {
    index,
    sessionId: 's',
    turn: index,
    line: index + 1,
    warmup: false,
    intendedNs: start - 2 * MS,
    dispatchNs: start - 0.5 * MS,
    startNs: start,
    sentNs: start + MS,
    headersNs: start + 5 * MS,
    firstChunkNs: chunkNs[0],
    lastChunkNs: chunkNs[4],
    firstContentNs: chunkNs[1],
    endNs: chunkNs[4]! + MS,
    chunkNs,
    outputTokens: 5,
    outputTokensSource: 'usage',
    reasoningTokens: 1,
    promptTokens: 300,
    requestBytes: 100,
    status: 200,
  };
}

test('catalogue: every consumer follows it (summary, HDR, records.jsonl, console table)', () => {
  const c = new MetricsCollector();
  const recs = [full(0), full(1), full(2)];
  for (const r of recs) c.add(r);
  const failed: RequestRecord = { ...full(3), error: { kind: 'http', status: 500, message: 'HTTP 500: x' } };
  c.add(failed);
  const s = c.summarize({ label: 'all' });
  for (const d of RECORD_METRICS) {
    const want = d.inSummary !== false;
    assert.equal(d.tag in s.metrics, want, `${d.tag} in the summary`);
    if (want) assert.equal(s.metrics[d.tag]!.unit, d.unit, d.tag);
    assert.equal(c.histograms().byTag.has(d.tag), d.hdr !== undefined, `${d.tag} has a histogram`);
  }
  assert.deepEqual([...c.histograms().byTag.keys()].sort(), HDR_METRICS.map((d) => d.tag).sort());
  assert.deepEqual([...HISTOGRAM_TAGS].sort(), HDR_METRICS.map((d) => d.tag).sort());
  assert.equal(histogramUnit('output_sequence_length'), 'count');
  assert.equal(histogramUnit('time_to_first_token'), 'us');
  // A histogram read from a log may carry a tag mmload does not know: times, by default.
  assert.equal(histogramUnit('some_other_tool_metric'), 'us');

  const ok = JSON.parse(recordLine(recs[0]!, 0)).metrics as Record<string, { unit: string }>;
  const bad = JSON.parse(recordLine(failed, 0)).metrics as Record<string, { unit: string }>;
  for (const d of RECORD_METRICS) {
    const scope = d.scope ?? 'ok';
    const written = d.recordsOrder !== undefined;
    assert.equal(d.tag in ok, written && scope !== 'failed', `${d.tag} in an ok record`);
    assert.equal(d.tag in bad, written && scope !== 'ok', `${d.tag} in a failed record`);
    if (d.tag in ok) assert.equal(ok[d.tag]!.unit, d.unit);
  }
  assert.deepEqual(bad, { error_isl: { value: 300, unit: 'tokens' } });

  const table = formatRunTable(s);
  const rows = TABLE_ROWS.map((d) => table.indexOf(`${d.header} (${d.unit})`));
  assert.ok(
    rows.every((at) => at >= 0),
    'every table row shown',
  );
  assert.deepEqual(
    rows,
    [...rows].sort((a, b) => a - b),
    'in tableRow order',
  );
  for (const d of RECORD_METRICS) {
    if (d.tableRow === undefined) assert.ok(!table.includes(`${d.header} (`), `${d.tag} is not a table row`);
  }
  // Run-level metrics: each from its own formula over the run's totals.
  assert.equal(stat(s, 'request_count', 'avg'), 3);
  assert.equal(stat(s, 'error_request_count', 'avg'), 1);
  assert.equal(stat(s, 'total_osl', 'avg'), 15);
  assert.equal(stat(s, 'total_output_tokens', 'avg'), 12);
  assert.equal(stat(s, 'total_reasoning_tokens', 'avg'), 3);
  assert.equal(stat(s, 'total_isl', 'avg'), 900);
  const m = requestMetrics(recs[0]!);
  assert.equal(stat(s, 'mmload_send_lag', 'max'), m.sendLagMs);
});

test('catalogue: tags and units as AIPerf 0.13 writes them; mmload-only tags start with mmload_', () => {
  const real = JSON.parse(readFileSync(join(REAL, 'profile_export_aiperf.json'), 'utf8')) as Record<
    string,
    { unit?: string }
  >;
  const realCsv = readFileSync(join(REAL, 'profile_export_aiperf.csv'), 'utf8');
  for (const d of METRIC_LIST) {
    if (d.tag.startsWith('mmload_')) continue;
    const r = real[d.tag];
    if (!r) continue;
    assert.equal(d.unit, r.unit, `${d.tag} unit`);
    // The CSV names the metric by header (and unit), as AIPerf's does.
    const summary: Summary = {
      source: 'mmload',
      label: 'x',
      metrics: { [d.tag]: { unit: d.unit, avg: 1 } },
      requestCount: 1,
      errorCount: 0,
      errorsByKind: {},
    };
    const name = toAiperfCsv(summary).split('\r\n')[1]!.split(',')[0]!;
    assert.ok(realCsv.includes(`\r\n${name},`), `${d.tag}: "${name}" is a row name of AIPerf's CSV`);
  }
  assert.equal(metricDef('no_such_metric'), undefined);
  assert.equal(metricDef('time_to_first_token')?.header, 'Time to First Token');
});

test("catalogue: AIPerf's own registry has the same header, short header, unit and direction", () => {
  // Not skipped without AIPerf (as test/aiperf-real.test.ts): locateAiperf names `npm run setup:aiperf`.
  const aiperf = locateAiperf();
  const python = join(dirname(aiperf.path), 'python');
  const tags = METRIC_LIST.map((d) => d.tag).filter((t) => !t.startsWith('mmload_'));
  const script = `
import json, sys
from aiperf.metrics.metric_registry import MetricRegistry
from aiperf.common.enums import MetricFlags
out = {}
for tag in json.loads(sys.argv[1]):
    c = MetricRegistry.get_class(tag)
    out[tag] = {"header": c.header, "short": c.short_header, "unit": str(c.display_unit or c.unit),
                "larger": bool(c.flags & MetricFlags.LARGER_IS_BETTER)}
print(json.dumps(out))
`;
  const got = JSON.parse(
    execFileSync(python, ['-c', script, JSON.stringify(tags)], { encoding: 'utf8', timeout: 120_000 }),
  ) as Record<string, { header: string; short: string; unit: string; larger: boolean }>;
  for (const tag of tags) {
    const d = metricDef(tag)!;
    assert.deepEqual(
      { header: d.header, short: d.shortHeader, unit: d.unit, larger: d.largerIsBetter ?? false },
      got[tag],
      tag,
    );
  }
});

test('catalogue: a misspelt tag does not compile', () => {
  const s: Summary = {
    source: 'mmload',
    label: 'x',
    metrics: {},
    requestCount: 0,
    errorCount: 0,
    errorsByKind: {},
  };
  // npm run typecheck fails if any of these lines compiles.
  // @ts-expect-error: not a metric mmload measures
  assert.equal(stat(s, 'time_to_frist_token', 'avg'), undefined);
  // @ts-expect-error: not a metric mmload measures
  assert.equal(new MetricsCollector().stats('request_latncy'), undefined);
  // @ts-expect-error: no such entry
  assert.equal(CATALOGUE.time_to_frist_token, undefined);
});
