import type { MetricTag } from './catalogue.js';
import { formatErrors } from './errors.js';
import type { Stats } from './statistics.js';
import { type ErrorDetailsCount, type StatName, type Summary, stat } from './summary.js';

/**
 * mmload's numbers against AIPerf's for the same workload on the same endpoint. Pure: two
 * summaries in, rows with differences and verdicts out.
 */
export interface CrosscheckCheck {
  title: string;
  tag: MetricTag;
  stat: StatName;
  /** A value derived from several metrics instead of tag/stat. */
  derive?: (s: Summary) => number | undefined;
  /** Shown for reference, without a verdict (tails of small runs are too noisy to judge). */
  info?: boolean;
  /** 'exact': counts must be equal; 'relative': within the tolerance in % (or the absolute slack). */
  rule: 'exact' | 'relative';
  /** Absolute slack in the metric's unit, for small times where a percentage is too strict. */
  absSlack?: number;
}

export const CROSSCHECK_CHECKS: CrosscheckCheck[] = [
  { title: 'requests', tag: 'request_count', stat: 'avg', rule: 'exact' },
  { title: 'output tokens', tag: 'total_osl', stat: 'avg', rule: 'exact' },
  { title: 'TTFT avg ms', tag: 'time_to_first_token', stat: 'avg', rule: 'relative', absSlack: 2 },
  { title: 'TTFT p50 ms', tag: 'time_to_first_token', stat: 'p50', rule: 'relative', absSlack: 2 },
  {
    title: 'TTFT p90 ms',
    tag: 'time_to_first_token',
    stat: 'p90',
    rule: 'relative',
    absSlack: 2,
    info: true,
  },
  {
    title: 'TTFT p99 ms',
    tag: 'time_to_first_token',
    stat: 'p99',
    rule: 'relative',
    absSlack: 2,
    info: true,
  },
  { title: 'ITL avg ms', tag: 'inter_token_latency', stat: 'avg', rule: 'relative', absSlack: 0.2 },
  {
    title: 'ITL p50 ms',
    tag: 'inter_token_latency',
    stat: 'p50',
    rule: 'relative',
    absSlack: 0.2,
    info: true,
  },
  {
    title: 'ITL p99 ms',
    tag: 'inter_token_latency',
    stat: 'p99',
    rule: 'relative',
    absSlack: 0.2,
    info: true,
  },
  { title: 'latency avg ms', tag: 'request_latency', stat: 'avg', rule: 'relative', absSlack: 2 },
  { title: 'latency p99 ms', tag: 'request_latency', stat: 'p99', rule: 'relative', absSlack: 2, info: true },
  { title: 'duration s', tag: 'benchmark_duration', stat: 'avg', rule: 'relative' },
  // Both tools' RPS over the same definition of the duration (first start to last content chunk):
  // AIPerf 0.13 reports request_throughput over its profiling window (phase start to the last
  // response), a few ms longer, shown below for reference.
  {
    title: 'RPS',
    tag: 'request_throughput',
    stat: 'avg',
    rule: 'relative',
    derive: (s) => perSecond(s, 'request_count'),
  },
  {
    title: 'output tok/s',
    tag: 'output_token_throughput',
    stat: 'avg',
    rule: 'relative',
    derive: (s) => perSecond(s, 'total_osl'),
  },
  { title: 'RPS as reported', tag: 'request_throughput', stat: 'avg', rule: 'relative', info: true },
];

function perSecond(s: Summary, tag: MetricTag): number | undefined {
  const n = stat(s, tag, 'avg');
  const d = stat(s, 'benchmark_duration', 'avg');
  return n === undefined || d === undefined || d <= 0 ? undefined : n / d;
}

export type Verdict = 'agree' | 'DIFFER' | 'missing' | 'info';

export interface CrosscheckRow {
  check: CrosscheckCheck;
  mmload?: number;
  aiperf?: number;
  /** (mmload - aiperf) / aiperf in %. */
  diffPct?: number;
  verdict: Verdict;
}

export interface Crosscheck {
  tolerancePct: number;
  rows: CrosscheckRow[];
  agree: boolean;
  /** With embedded mocks: the server's own TTFT (arrival to first token written) during each run. */
  server?: { mmload?: Stats; aiperf?: Stats };
  /** Failed requests of each tool with their distinct messages (AIPerf's error_summary), when any failed. */
  errors?: Record<'mmload' | 'aiperf', { count: number; details: ErrorDetailsCount[] }>;
}

/** Distinct error messages listed per tool under the crosscheck table. */
export const CROSSCHECK_ERROR_MESSAGES = 5;

export function crosscheck(mm: Summary, ai: Summary, tolerancePct: number): Crosscheck {
  const rows = CROSSCHECK_CHECKS.map((check): CrosscheckRow => {
    const value = (s: Summary) => (check.derive ? check.derive(s) : stat(s, check.tag, check.stat));
    const a = value(mm);
    const b = value(ai);
    if (a === undefined || b === undefined) return { check, mmload: a, aiperf: b, verdict: 'missing' };
    const diffPct = b === 0 ? (a === 0 ? 0 : Number.POSITIVE_INFINITY) : ((a - b) / b) * 100;
    if (check.info) return { check, mmload: a, aiperf: b, diffPct, verdict: 'info' };
    const ok =
      check.rule === 'exact'
        ? a === b
        : Math.abs(diffPct) <= tolerancePct ||
          (check.absSlack !== undefined && Math.abs(a - b) <= check.absSlack);
    return { check, mmload: a, aiperf: b, diffPct, verdict: ok ? 'agree' : 'DIFFER' };
  });
  // A metric neither tool reports is no disagreement; one that only one reports is worth a look
  // but not a failure (e.g. AIPerf omits ITL when every response has a single token).
  const out: Crosscheck = { tolerancePct, rows, agree: rows.every((r) => r.verdict !== 'DIFFER') };
  if (mm.errorCount > 0 || ai.errorCount > 0) {
    const of = (s: Summary) => ({
      count: s.errorCount,
      details: (s.errorDetails ?? []).map((d) => ({ ...d })),
    });
    out.errors = { mmload: of(mm), aiperf: of(ai) };
  }
  return out;
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '-';
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 3);
}

/** Why small differences are expected: printed under the table. */
export const CROSSCHECK_NOTES = [
  'Both tools stamp an SSE event at the socket read that delivered it; events that arrive in one read share a time in both (a gap of 0 ms).',
  "Both tools' first requests include a connect. After that AIPerf's start is taken before aiohttp's request call, mmload's when undici writes the request (its wait before reusing a connection is left out): the mock's own TTFT below shows each tool's excess.",
  'RPS and tokens/s depend on the benchmark duration of each run (first request start to last response), so scheduling jitter moves them a little.',
];

export function formatCrosscheck(c: Crosscheck): string {
  const head = ['metric', 'mmload', 'aiperf', 'diff', 'verdict'];
  const body = c.rows.map((r) => [
    r.check.title,
    fmt(r.mmload),
    fmt(r.aiperf),
    r.diffPct === undefined ? '-' : `${r.diffPct >= 0 ? '+' : ''}${r.diffPct.toFixed(2)}%`,
    r.verdict,
  ]);
  const grid = [head, ...body];
  const widths = head.map((_, i) => Math.max(...grid.map((row) => row[i]!.length)));
  const lines = grid.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const verdict = c.agree
    ? `mmload and AIPerf agree within ${c.tolerancePct}%.`
    : `mmload and AIPerf DIFFER beyond ${c.tolerancePct}% on: ${c.rows
        .filter((r) => r.verdict === 'DIFFER')
        .map((r) => r.check.title)
        .join(', ')}.`;
  return `${lines.join('\n')}\n${formatFailures(c)}\n${verdict}\n${CROSSCHECK_NOTES.map((n) => `  - ${n}`).join('\n')}\n${formatServer(c)}`;
}

/** Each tool's failed requests with the servers' messages: the first thing to read when counts differ. */
function formatFailures(c: Crosscheck): string {
  if (!c.errors) return '';
  const lines = ['', 'Failed requests:'];
  for (const tool of ['mmload', 'aiperf'] as const) {
    const e = c.errors[tool];
    lines.push(`  ${tool}: ${e.count} failed`);
    for (const l of formatErrors(e.details, CROSSCHECK_ERROR_MESSAGES)) lines.push(`    ${l}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The ground truth under both: what each embedded mock measured itself. A client's TTFT is the
 * server's plus sending the request and receiving the first chunk, so it is never below it; the
 * excess is the tool's own overhead on this machine.
 */
function formatServer(c: Crosscheck): string {
  if (!c.server) return '';
  const lines = [
    "\nThe embedded mocks' own TTFT (request arrival to first token written), and each tool's excess over it:",
  ];
  for (const tool of ['mmload', 'aiperf'] as const) {
    const s = c.server[tool];
    const row = (title: string) => c.rows.find((r) => r.check.title === title)?.[tool];
    const avg = row('TTFT avg ms');
    const p50 = row('TTFT p50 ms');
    if (!s || avg === undefined || p50 === undefined) continue;
    lines.push(
      `  during ${tool.padEnd(6)}'s run: avg ${s.avg.toFixed(3)} ms, p50 ${s.p50.toFixed(3)} ms; ${tool} measured ` +
        `${(avg - s.avg).toFixed(3)} / ${(p50 - s.p50).toFixed(3)} ms more`,
    );
  }
  return `${lines.join('\n')}\n`;
}
