import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crosscheck, formatCrosscheck } from '../src/metrics/crosscheck.js';
import type { Summary } from '../src/metrics/summary.js';

function summary(source: Summary['source'], ttftAvg: number, rps: number, tokens: number): Summary {
  return {
    source,
    label: source,
    requestCount: 12,
    errorCount: 0,
    errorsByKind: {},
    metrics: {
      request_count: { unit: 'requests', avg: 12 },
      total_osl: { unit: 'tokens', avg: tokens },
      time_to_first_token: { unit: 'ms', avg: ttftAvg, p50: ttftAvg, p90: ttftAvg * 1.2, p99: ttftAvg * 1.5 },
      request_throughput: { unit: 'requests/sec', avg: rps },
      benchmark_duration: { unit: 'sec', avg: 12 / rps },
    },
  };
}

test('agreement within tolerance, or within the absolute slack for small times', () => {
  const c = crosscheck(summary('mmload', 51, 10.2, 192), summary('aiperf', 50, 10, 192), 5);
  assert.equal(c.agree, true);
  const ttft = c.rows.find((r) => r.check.title === 'TTFT avg ms')!;
  assert.equal(ttft.verdict, 'agree');
  assert.ok(Math.abs(ttft.diffPct! - 2) < 1e-9);
  // 1.2 ms off a 10 ms TTFT is 12% (1.8 ms at p99), yet within the 2 ms slack.
  assert.equal(crosscheck(summary('mmload', 11.2, 10, 192), summary('aiperf', 10, 10, 192), 5).agree, true);
  assert.equal(c.rows.find((r) => r.check.title === 'ITL avg ms')!.verdict, 'missing');
});

test('disagreement: RPS beyond tolerance, token counts not exactly equal', () => {
  const c = crosscheck(summary('mmload', 50, 11, 191), summary('aiperf', 50, 10, 192), 5);
  assert.equal(c.agree, false);
  const differ = c.rows.filter((r) => r.verdict === 'DIFFER').map((r) => r.check.title);
  assert.deepEqual(differ, ['output tokens', 'duration s', 'RPS', 'output tok/s']);
  assert.match(formatCrosscheck(c), /DIFFER beyond 5% on: output tokens, duration s, RPS, output tok\/s/);
  // RPS is compared over the same duration definition; the reported figure is shown, not judged.
  const reported = c.rows.find((r) => r.check.title === 'RPS as reported')!;
  assert.equal(reported.verdict, 'info');
});
