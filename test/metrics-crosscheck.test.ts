import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  crosscheck,
  crosscheckRuns,
  formatCrosscheck,
  type ServerTruth,
  type ToolRun,
} from '../src/metrics/crosscheck.js';
import { prng } from '../src/metrics/significance.js';
import { computeStats } from '../src/metrics/statistics.js';
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

test("a real model's client-side tokenizer: OSL shown without a verdict, the server's usage counts judged exact", () => {
  // AIPerf re-tokenized 511 tokens of text the server generated as 512 (its usage says 512).
  const usage = (s: Summary, sum: number) => {
    s.metrics.usage_completion_tokens = { unit: 'tokens', avg: sum / 12, sum };
    return s;
  };
  const mm = usage(summary('mmload', 50, 10, 512), 512);
  const ai = usage(summary('aiperf', 50, 10, 511), 512);
  const runs = { mmload: [{ summary: mm }], aiperf: [{ summary: ai }] };
  const c = crosscheckRuns(runs, 5, { oslFromTokenizer: true });
  assert.equal(c.agree, true);
  assert.equal(row(c, 'output tokens').verdict, 'info');
  assert.equal(row(c, 'usage output tokens').verdict, 'agree');
  assert.match(
    formatCrosscheck(c),
    /output tokens: AIPerf's is its tokenizer's count .* the usage row is the one judged/,
  );
  // A real server has no ground truth of its own: the notes do not point to one.
  assert.doesNotMatch(formatCrosscheck(c), /mock's own TTFT/);
  const st = { count: 12, avg: 50, p50: 50 } as never;
  assert.match(
    formatCrosscheck({ ...c, server: { mmload: st, aiperf: st } }),
    /the mock's own TTFT below shows/,
  );
  // Counted alike (the mock's word-level tokenizer), the OSL is exact and 511 != 512 DIFFERs.
  assert.deepEqual(
    crosscheckRuns(runs, 5)
      .rows.filter((r) => r.verdict === 'DIFFER')
      .map((r) => r.check.title),
    ['output tokens'],
  );
  // A server's usage that differs is a disagreement whatever the tokenizer.
  const off = crosscheckRuns({ mmload: [{ summary: mm }], aiperf: [{ summary: usage(ai, 511) }] }, 5, {
    oslFromTokenizer: true,
  });
  assert.equal(row(off, 'usage output tokens').verdict, 'DIFFER');
  // Without usage in both, there is no usage row.
  assert.equal(row(crosscheck(summary('mmload', 50, 10, 512), ai, 5), 'usage output tokens'), undefined);
});

/** n seeded values around `center` (uniform +-spread), as a TTFT sample. */
function values(n: number, center: number, spread: number, seed: number): Float64Array {
  const random = prng(seed);
  return Float64Array.from({ length: n }, () => center + spread * (2 * random() - 1));
}

/** A tool's run: its summary built from its per-request TTFTs, and optionally the server's truth. */
function toolRun(
  source: Summary['source'],
  ttft: Float64Array,
  durationS: number,
  truth?: ServerTruth,
): ToolRun {
  const st = computeStats(ttft);
  const s = summary(source, st.avg, ttft.length / durationS, 192);
  s.metrics.time_to_first_token = { unit: 'ms', ...st };
  return { summary: s, values: { time_to_first_token: ttft }, truth };
}

function truthOf(server: Float64Array, client: Float64Array, durationS: number): ServerTruth {
  return {
    requests: server.length,
    outputTokens: 192,
    durationSec: durationS,
    values: { time_to_first_token: server },
    pairs: { time_to_first_token: { client, server } },
  };
}

const row = (c: ReturnType<typeof crosscheckRuns>, title: string) =>
  c.rows.find((r) => r.check.title === title)!;

test('noise: a 6% TTFT difference between two 12-request runs lies within their noise: agree, not DIFFER', () => {
  const mm = values(12, 60, 25, 1);
  const ai = values(12, 60, 25, 2);
  const c = crosscheckRuns({ mmload: [toolRun('mmload', mm, 1)], aiperf: [toolRun('aiperf', ai, 1)] }, 5);
  const r = row(c, 'TTFT avg ms');
  assert.ok(Math.abs(r.diffPct!) > 5, `the raw difference ${r.diffPct}% is beyond the tolerance`);
  assert.equal(r.interval?.method, 'bootstrap');
  assert.equal(r.interval?.significant, false);
  assert.equal(r.verdict, 'agree');
  assert.equal(r.reason, 'noise');
  // The same difference over 2,000 requests each is real: DIFFER.
  const big = crosscheckRuns(
    {
      mmload: [toolRun('mmload', values(2000, 60 * (1 + r.diffPct! / 100), 25, 3), 100)],
      aiperf: [toolRun('aiperf', values(2000, 60, 25, 4), 100)],
    },
    5,
  );
  assert.equal(row(big, 'TTFT avg ms').verdict, 'DIFFER');
  assert.match(formatCrosscheck(big), /DIFFER beyond 5% on: TTFT avg ms/);
});

test('ground truth: when the servers moved and each tool measured its own alike, the verdict says so (agree: servers)', () => {
  // The second server was 8% slower over the run and 10 ms slower per request; both tools add ~1 ms.
  const srvMm = values(200, 100, 20, 5);
  const srvAi = Float64Array.from(values(200, 110, 20, 6));
  const plus = (v: Float64Array, ms: number, seed: number) => {
    const random = prng(seed);
    return v.map((x) => x + ms + 0.2 * random());
  };
  const mm = plus(srvMm, 1, 7);
  const ai = plus(srvAi, 1, 8);
  const c = crosscheckRuns(
    {
      mmload: [toolRun('mmload', mm, 10, truthOf(srvMm, mm, 10))],
      aiperf: [toolRun('aiperf', ai, 10.8, truthOf(srvAi, ai, 10.8))],
    },
    5,
  );
  const ttft = row(c, 'TTFT avg ms');
  assert.equal(ttft.interval?.significant, true, 'the raw TTFTs do differ');
  assert.equal(ttft.verdict, 'agree');
  assert.equal(ttft.reason, 'servers');
  assert.ok(
    Math.abs(ttft.truth!.excess.mmload! - 1.1) < 0.05 && Math.abs(ttft.truth!.excess.aiperf! - 1.1) < 0.05,
  );
  const rps = row(c, 'RPS');
  assert.ok(rps.diffPct! > 5);
  assert.equal(rps.verdict, 'agree');
  assert.equal(rps.reason, 'servers');
  assert.equal(c.agree, true);
  assert.match(
    formatCrosscheck(c),
    /RPS: the two servers' runs differed \(the server's own RPS moved \+8\.00%\)/,
  );
});

test('ground truth: a tool that measures far above its server is named (DIFFER: aiperf)', () => {
  const srvMm = values(200, 100, 20, 9);
  const srvAi = values(200, 100, 20, 10);
  const mm = srvMm.map((x) => x + 1);
  const ai = srvAi.map((x, i) => x + 15 + (i % 3));
  const c = crosscheckRuns(
    {
      mmload: [toolRun('mmload', mm, 10, truthOf(srvMm, mm, 10))],
      aiperf: [toolRun('aiperf', ai, 10, truthOf(srvAi, ai, 10))],
    },
    5,
  );
  const ttft = row(c, 'TTFT avg ms');
  assert.equal(ttft.verdict, 'DIFFER');
  assert.equal(ttft.attributedTo, 'aiperf');
  assert.equal(ttft.truth?.interval?.significant, true);
  assert.match(
    formatCrosscheck(c),
    /TTFT avg ms: AIPerf measured \+15\.995 ms off its server, the other tool \+1\.000 ms: the difference is AIPerf's\./,
  );
});

test("trials: rows judged on the per-trial values with Welch (a 6% RPS difference within the trials' spread agrees)", () => {
  const trial = (source: Summary['source'], rps: number) => ({ summary: summary(source, 50, rps, 192) });
  const noisy = crosscheckRuns(
    {
      mmload: [10.6, 9.4, 11.2].map((r) => trial('mmload', r)),
      aiperf: [9.1, 10.4, 9.4].map((r) => trial('aiperf', r)),
    },
    5,
  );
  const rps = row(noisy, 'RPS');
  assert.equal(noisy.trials, 3);
  assert.equal(rps.interval?.method, 'welch');
  assert.ok(rps.diffPct! > 5);
  assert.equal(rps.verdict, 'agree');
  assert.equal(rps.reason, 'noise');
  const steady = crosscheckRuns(
    {
      mmload: [10.6, 10.61, 10.59].map((r) => trial('mmload', r)),
      aiperf: [10, 10.01, 9.99].map((r) => trial('aiperf', r)),
    },
    5,
  );
  assert.equal(row(steady, 'RPS').verdict, 'DIFFER');
  // Counts must be equal in every trial; the table shows their sums.
  assert.equal(row(steady, 'requests').mmload, 36);
  assert.match(formatCrosscheck(steady), /Welch's t over 3 trials of each tool/);
});
