import { type MetricTag, metricDef } from './catalogue.js';
import { formatErrors } from './errors.js';
import {
  type BootStat,
  bootstrapDelta,
  bootstrapDistribution,
  DEFAULT_LEVEL,
  DEFAULT_RESAMPLES,
  type DeltaInterval,
  MIN_BOOTSTRAP_SAMPLES,
  pairedBootstrapDistribution,
  prng,
  seedOf,
  statOf,
  welch,
} from './significance.js';
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
  /** A --goodput row: shown only when a tool reports goodput. */
  goodput?: boolean;
  /** A row of the server's own usage counts: shown only when both tools have them. */
  usage?: boolean;
  /**
   * A count of output tokens (OSL): judged exact only when both tools counted alike. A client-side
   * tokenizer's count of the returned text need not equal the tokens the server generated (AIPerf
   * measures the gap as usage_completion_tokens_diff_pct); the usage row is then the exact one.
   */
  tokenCount?: boolean;
}

export const CROSSCHECK_CHECKS: CrosscheckCheck[] = [
  { title: 'requests', tag: 'request_count', stat: 'avg', rule: 'exact' },
  { title: 'output tokens', tag: 'total_osl', stat: 'avg', rule: 'exact', tokenCount: true },
  { title: 'usage output tokens', tag: 'usage_completion_tokens', stat: 'sum', rule: 'exact', usage: true },
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
  // With --goodput (left out when neither tool has it). Good requests per second over the same
  // duration definition as RPS; AIPerf's own figure uses its profiling window, shown for reference.
  { title: 'good fraction', tag: 'good_request_fraction', stat: 'avg', rule: 'relative', goodput: true },
  {
    title: 'goodput',
    tag: 'goodput',
    stat: 'avg',
    rule: 'relative',
    goodput: true,
    derive: (s) => perSecond(s, 'good_request_count'),
  },
  { title: 'goodput as reported', tag: 'goodput', stat: 'avg', rule: 'relative', info: true, goodput: true },
];

function perSecond(s: Summary, tag: MetricTag): number | undefined {
  const n = stat(s, tag, 'avg');
  const d = stat(s, 'benchmark_duration', 'avg');
  return n === undefined || d === undefined || d <= 0 ? undefined : n / d;
}

export type Verdict = 'agree' | 'DIFFER' | 'missing' | 'info';

/**
 * Why a row agrees or differs: within the runs' noise (its interval holds 0), within the
 * tolerance (a real but small difference), because the servers' runs differed and both tools
 * measured them alike (the ground truth of the embedded mocks), or beyond the tolerance.
 */
export type VerdictReason = 'noise' | 'tolerance' | 'servers' | 'exact' | 'beyond';

type Tool = 'mmload' | 'aiperf';

export interface CrosscheckRow {
  check: CrosscheckCheck;
  mmload?: number;
  aiperf?: number;
  /** (mmload - aiperf) / aiperf in %. */
  diffPct?: number;
  verdict: Verdict;
  reason?: VerdictReason;
  /** The interval of mmload - aiperf: the two runs' combined noise (records or trials). */
  interval?: DeltaInterval;
  /**
   * With the embedded mocks: each server's own figure during that tool's run(s), each tool's
   * excess over it (ms for per-request rows, % for run-level ones) and the interval of the
   * difference of the excesses, mmload's minus AIPerf's.
   */
  truth?: {
    server: Partial<Record<Tool, number>>;
    excess: Partial<Record<Tool, number>>;
    unit: string;
    interval?: DeltaInterval;
  };
  /** DIFFER with a ground truth: the tool that measured further from its server. */
  attributedTo?: Tool;
}

export interface Crosscheck {
  tolerancePct: number;
  rows: CrosscheckRow[];
  agree: boolean;
  /** With embedded mocks: the server's own TTFT (arrival to first token written) during each run. */
  server?: { mmload?: Stats; aiperf?: Stats };
  /** Failed requests of each tool with their distinct messages (AIPerf's error_summary), when any failed. */
  errors?: Record<Tool, { count: number; details: ErrorDetailsCount[] }>;
  /** Trials per tool (crosscheck --trials), when more than one. */
  trials?: number;
  /** How the intervals were made. */
  intervals?: { level: number; resamples: number; seed: number };
}

/** Distinct error messages listed per tool under the crosscheck table. */
export const CROSSCHECK_ERROR_MESSAGES = 5;

/** What the embedded mock saw of a run: its own figures, the ground truth under the client's. */
export interface ServerTruth {
  /** Successful streams. */
  requests: number;
  outputTokens: number;
  /** First arrival to last token written, s (the server's view of benchmark_duration). */
  durationSec?: number;
  /** Per-request server values (ms), by tag: TTFT, request latency, ITL. */
  values: Record<string, Float64Array>;
  /**
   * The same requests as the client saw them, joined by X-Request-ID: client[tag][i] and
   * server[tag][i] are one request.
   */
  pairs?: Record<string, { client: Float64Array; server: Float64Array }>;
}

/** One tool's run: its summary, its per-request values and, with the embedded mock, the truth. */
export interface ToolRun {
  summary: Summary;
  /** Per-request values of successful measured requests, by tag. */
  values?: Record<string, Float64Array>;
  truth?: ServerTruth;
}

export interface CrosscheckOptions {
  /**
   * AIPerf counted output tokens with a client-side tokenizer of a real model while mmload took
   * the server's counts: the OSL rows are then different quantities, shown without a verdict.
   */
  oslFromTokenizer?: boolean;
  level?: number;
  resamples?: number;
  seed?: number;
}

/** The per-request rows' tags and statistics that crosscheck resamples. */
export const CROSSCHECK_RESAMPLED: ReadonlyArray<{ tag: MetricTag; stat: BootStat }> =
  CROSSCHECK_CHECKS.filter(
    (c) => !c.derive && metricDef(c.tag)?.kind === 'record' && (c.stat === 'avg' || /^p\d+$/.test(c.stat)),
  ).map((c) => ({ tag: c.tag, stat: c.stat as BootStat }));

/** The server's own value of a row, from its truth; undefined where a mock cannot know it. */
function serverValue(check: CrosscheckCheck, t: ServerTruth | undefined, own: Summary): number | undefined {
  if (!t) return undefined;
  const perSec = (n: number | undefined) =>
    n !== undefined && t.durationSec && t.durationSec > 0 ? n / t.durationSec : undefined;
  switch (check.title) {
    case 'duration s':
      return t.durationSec;
    case 'RPS':
      return perSec(t.requests);
    case 'output tok/s':
      return perSec(t.outputTokens);
    case 'goodput':
      // The mock does not judge objectives: the tool's own good requests over the server's span,
      // so that goodput's excess is its duration's (the good counts are the good fraction's row).
      return perSec(stat(own, 'good_request_count', 'avg'));
  }
  const v = t.values[check.tag];
  if (check.info || !v || v.length === 0 || !isResampled(check)) return undefined;
  return statOf(v, check.stat as BootStat);
}

function isResampled(c: CrosscheckCheck): boolean {
  return !c.derive && CROSSCHECK_RESAMPLED.some((r) => r.tag === c.tag && r.stat === c.stat);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
function trialStats(v: number[]) {
  const m = mean(v);
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
  return { mean: m, std: sd, n: v.length };
}

export function crosscheck(mm: Summary, ai: Summary, tolerancePct: number): Crosscheck {
  return crosscheckRuns({ mmload: [{ summary: mm }], aiperf: [{ summary: ai }] }, tolerancePct);
}

/**
 * Both tools' runs (one each, or one per trial, alternated) on the same workload. Each judged row
 * gets an interval of the difference when the noise is known: Welch over the trials' values, else
 * a bootstrap over both runs' per-request values. With the embedded mocks' own records, a row is
 * judged on the tools' excesses over their servers instead (the servers' runs may differ; the
 * tools should not), and a difference is attributed to the tool that measured further from its
 * server. A row DIFFERs only when its difference is significant (its interval leaves out 0) and
 * beyond the tolerance; without an interval (run-level rows of single runs against a real
 * server) the tolerance alone decides, as before.
 */
export function crosscheckRuns(
  runs: Record<Tool, ToolRun[]>,
  tolerancePct: number,
  opts: CrosscheckOptions = {},
): Crosscheck {
  const level = opts.level ?? DEFAULT_LEVEL;
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  const seed = opts.seed ?? 0;
  const trials = Math.min(runs.mmload.length, runs.aiperf.length);
  if (trials === 0) throw new Error('crosscheck needs a run of each tool');
  const summaries = (t: Tool) => runs[t].slice(0, trials).map((r) => r.summary);
  const hasGoodput = [...summaries('mmload'), ...summaries('aiperf')].some(
    (s) => stat(s, 'good_request_count', 'avg') !== undefined,
  );
  const hasUsage = (t: Tool) =>
    summaries(t).every((s) => stat(s, 'usage_completion_tokens', 'sum') !== undefined);
  const checks = CROSSCHECK_CHECKS.filter(
    (c) => (!c.goodput || hasGoodput) && (!c.usage || (hasUsage('mmload') && hasUsage('aiperf'))),
  );

  const rows = checks.map((check): CrosscheckRow => {
    const value = (s: Summary) => (check.derive ? check.derive(s) : stat(s, check.tag, check.stat));
    const per = (t: Tool) => summaries(t).map(value);
    const mmV = per('mmload');
    const aiV = per('aiperf');
    const complete = (v: Array<number | undefined>): v is number[] => v.every((x) => x !== undefined);
    const shown = (v: Array<number | undefined>) =>
      complete(v)
        ? check.rule === 'exact' && trials > 1
          ? v.reduce((a, b) => a + b, 0)
          : mean(v)
        : undefined;
    const a = shown(mmV);
    const b = shown(aiV);
    if (a === undefined || b === undefined || !complete(mmV) || !complete(aiV))
      return { check, mmload: a, aiperf: b, verdict: 'missing' };
    const diffPct = b === 0 ? (a === 0 ? 0 : Number.POSITIVE_INFINITY) : ((a - b) / b) * 100;
    const row: CrosscheckRow = { check, mmload: a, aiperf: b, diffPct, verdict: 'agree' };
    if (check.info || (check.tokenCount && opts.oslFromTokenizer)) {
      row.verdict = 'info';
      return row;
    }
    if (check.rule === 'exact') {
      const same = mmV.every((x, i) => x === aiV[i]);
      row.verdict = same ? 'agree' : 'DIFFER';
      row.reason = same ? 'exact' : 'beyond';
      return row;
    }
    const beyond = (diff: number, ref: number) =>
      !(
        Math.abs(ref === 0 ? (diff === 0 ? 0 : Number.POSITIVE_INFINITY) : (diff / ref) * 100) <=
          tolerancePct ||
        (check.absSlack !== undefined && Math.abs(diff) <= check.absSlack)
      );

    // The noise of mmload - AIPerf: trials, else the runs' records.
    if (trials > 1) row.interval = welch(trialStats(aiV), trialStats(mmV), level);
    else if (isResampled(check)) row.interval = recordsInterval(check, runs.aiperf[0]!, runs.mmload[0]!);

    // The ground truth: each tool's excess over its own server.
    const serverV = (t: Tool) => runs[t].slice(0, trials).map((r) => serverValue(check, r.truth, r.summary));
    const mmS = serverV('mmload');
    const aiS = serverV('aiperf');
    if (complete(mmS) && complete(aiS)) {
      const runLevel = !isResampled(check);
      // Per-request rows: ms above the server; run-level rows (rates, durations): % off the server's.
      const excess = (v: number, srv: number) => (runLevel ? (v / srv - 1) * 100 : v - srv);
      const mmE = mmV.map((v, i) => excess(v, mmS[i]!));
      const aiE = aiV.map((v, i) => excess(v, aiS[i]!));
      row.truth = {
        server: { mmload: mean(mmS), aiperf: mean(aiS) },
        excess: { mmload: mean(mmE), aiperf: mean(aiE) },
        unit: runLevel ? '%' : (metricDef(check.tag)?.unit ?? ''),
      };
      if (trials > 1) row.truth.interval = welch(trialStats(aiE), trialStats(mmE), level);
      else if (!runLevel) {
        const paired = excessInterval(check, runs.mmload[0]!.truth!, runs.aiperf[0]!.truth!);
        if (paired) {
          // Over the joined requests, so that the excess and its interval are of the same requests.
          row.truth.interval = paired.interval;
          row.truth.excess = { mmload: paired.mmload, aiperf: paired.aiperf };
        }
      }
      const e = row.truth.excess.mmload! - row.truth.excess.aiperf!;
      const eInterval = row.truth.interval;
      // A difference of excesses in % points is already relative; in ms, relative to AIPerf's value.
      const eBeyond = runLevel ? Math.abs(e) > tolerancePct : beyond(e, b);
      const eSignificant = eInterval ? eInterval.significant : true;
      if (eBeyond && eSignificant) {
        row.verdict = 'DIFFER';
        row.reason = 'beyond';
        row.attributedTo =
          Math.abs(row.truth.excess.mmload!) >= Math.abs(row.truth.excess.aiperf!) ? 'mmload' : 'aiperf';
      } else {
        const rawDiffers = beyond(a - b, b) && (row.interval ? row.interval.significant : true);
        row.reason = rawDiffers ? 'servers' : eInterval && !eInterval.significant ? 'noise' : 'tolerance';
      }
      return row;
    }

    if (row.interval) {
      const differs = row.interval.significant && beyond(a - b, b);
      row.verdict = differs ? 'DIFFER' : 'agree';
      row.reason = differs ? 'beyond' : row.interval.significant ? 'tolerance' : 'noise';
      return row;
    }
    const differs = beyond(a - b, b);
    row.verdict = differs ? 'DIFFER' : 'agree';
    row.reason = differs ? 'beyond' : 'tolerance';
    return row;
  });

  // A metric neither tool reports is no disagreement; one that only one reports is worth a look
  // but not a failure (e.g. AIPerf omits ITL when every response has a single token).
  const out: Crosscheck = { tolerancePct, rows, agree: rows.every((r) => r.verdict !== 'DIFFER') };
  if (trials > 1) out.trials = trials;
  if (
    rows.some((r) => r.interval?.method === 'bootstrap' || r.truth?.interval?.method === 'bootstrap') ||
    trials > 1
  )
    out.intervals = { level, resamples, seed };
  const mm = summaries('mmload');
  const ai = summaries('aiperf');
  const errorsOf = (ss: Summary[]) => ({
    count: ss.reduce((n, s) => n + s.errorCount, 0),
    details: ss.flatMap((s) => (s.errorDetails ?? []).map((d) => ({ ...d }))),
  });
  if ([...mm, ...ai].some((s) => s.errorCount > 0))
    out.errors = { mmload: errorsOf(mm), aiperf: errorsOf(ai) };
  return out;

  /** Bootstrap of mmload's statistic minus AIPerf's over both runs' per-request values. */
  function recordsInterval(check: CrosscheckCheck, ai: ToolRun, mm: ToolRun): DeltaInterval | undefined {
    const bs = check.stat as BootStat;
    const side = (r: ToolRun, tool: Tool) => {
      const v = r.values?.[check.tag];
      if (!v || v.length < MIN_BOOTSTRAP_SAMPLES) return undefined;
      const sorted = Float64Array.from(v).sort();
      const dist = bootstrapDistribution(sorted, [bs], resamples, prng(seedOf(seed, tool, check.tag)))[bs]!;
      return { value: stat(r.summary, check.tag, check.stat) ?? statOf(sorted, bs), dist, n: sorted.length };
    };
    const x = side(ai, 'aiperf');
    const y = side(mm, 'mmload');
    return x && y ? bootstrapDelta(x, y, level) : undefined;
  }

  /** Bootstrap of (mmload - its server) - (AIPerf - its server), each over its joined requests. */
  function excessInterval(
    check: CrosscheckCheck,
    mm: ServerTruth,
    ai: ServerTruth,
  ): { interval: DeltaInterval; mmload: number; aiperf: number } | undefined {
    const bs = check.stat as BootStat;
    const side = (t: ServerTruth, tool: Tool) => {
      const p = t.pairs?.[check.tag];
      if (!p || p.client.length < MIN_BOOTSTRAP_SAMPLES) return undefined;
      const dist = pairedBootstrapDistribution(
        p.client,
        p.server,
        [bs],
        resamples,
        prng(seedOf(seed, tool, 'excess', check.tag)),
      )[bs]!;
      return { value: statOf(p.client, bs) - statOf(p.server, bs), dist, n: p.client.length };
    };
    const x = side(ai, 'aiperf');
    const y = side(mm, 'mmload');
    if (!x || !y) return undefined;
    // bootstrapDelta's % is of its baseline's value, here AIPerf's excess: not meaningful.
    const d = bootstrapDelta(x, y, level);
    delete d.lowPct;
    delete d.highPct;
    return { interval: d, mmload: y.value, aiperf: x.value };
  }
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '-';
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 3);
}

/** Why small differences are expected: printed under the table (the mocks' part only with them). */
function crosscheckNotes(withMocks: boolean): string[] {
  return [
    'Both tools stamp an SSE event at the socket read that delivered it; events that arrive in one read share a time in both (a gap of 0 ms).',
    "Both tools' first requests include a connect. After that AIPerf's start is taken before aiohttp's request call, mmload's when undici writes the request (its wait before reusing a connection is left out)" +
      (withMocks ? ": the mock's own TTFT below shows each tool's excess." : '.'),
    'RPS and tokens/s depend on the benchmark duration of each run (first request start to last response), so scheduling jitter moves them a little.',
  ];
}

const sign = (v: number, digits: number) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

/** `[-0.8, +2.1]%`: the interval of mmload - AIPerf in % of AIPerf's value. */
function intervalText(r: CrosscheckRow): string {
  const d = r.interval;
  if (!d || d.lowPct === undefined || d.highPct === undefined) return '-';
  return `[${sign(d.lowPct, 2)}, ${sign(d.highPct, 2)}]%`;
}

/** Each tool's excess over its server: `+0.812 / +15.3 ms`. */
function excessText(r: CrosscheckRow): string {
  const t = r.truth;
  if (!t || t.excess.mmload === undefined || t.excess.aiperf === undefined) return '-';
  const digits = t.unit === '%' ? 2 : 3;
  return `${sign(t.excess.mmload, digits)} / ${sign(t.excess.aiperf, digits)} ${t.unit}`;
}

const REASON_TEXT: Record<VerdictReason, string> = {
  noise: 'noise',
  tolerance: 'tolerance',
  servers: 'servers',
  exact: '',
  beyond: '',
};

function verdictText(r: CrosscheckRow): string {
  if (r.verdict === 'DIFFER') return r.attributedTo ? `DIFFER (${r.attributedTo})` : 'DIFFER';
  if (r.verdict !== 'agree' || !r.reason || !REASON_TEXT[r.reason]) return r.verdict;
  return `agree (${REASON_TEXT[r.reason]})`;
}

export function formatCrosscheck(c: Crosscheck): string {
  const withTruth = c.rows.some((r) => r.truth);
  const head = [
    'metric',
    'mmload',
    'aiperf',
    'diff',
    'interval',
    ...(withTruth ? ['over server mm / ai'] : []),
    'verdict',
  ];
  const body = c.rows.map((r) => [
    r.check.title,
    fmt(r.mmload),
    fmt(r.aiperf),
    r.diffPct === undefined ? '-' : `${r.diffPct >= 0 ? '+' : ''}${r.diffPct.toFixed(2)}%`,
    intervalText(r),
    ...(withTruth ? [excessText(r)] : []),
    verdictText(r),
  ]);
  const grid = [head, ...body];
  const widths = head.map((_, i) => Math.max(...grid.map((row) => row[i]!.length)));
  const lines = grid.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const differ = c.rows.filter((r) => r.verdict === 'DIFFER');
  const osl = c.rows.find((r) => r.check.tokenCount && r.verdict === 'info');
  if (osl)
    lines.push(
      `(${osl.check.title}: AIPerf's is its tokenizer's count of the returned text, mmload's the server's; re-tokenizing generated text need not give back the same count${c.rows.some((r) => r.check.usage) ? ', so the usage row is the one judged' : ''})`,
    );
  // The mocks' own TTFT is printed below the notes only when the runs had embedded mocks.
  const notes = crosscheckNotes(c.server !== undefined);
  const verdict = c.agree
    ? `mmload and AIPerf agree within ${c.tolerancePct}% (or within their runs' noise).`
    : `mmload and AIPerf DIFFER beyond ${c.tolerancePct}% on: ${differ.map((r) => r.check.title).join(', ')}.`;
  return `${lines.join('\n')}\n${formatFailures(c)}\n${verdict}\n${formatReasons(c)}${notes.map((n) => `  - ${n}`).join('\n')}\n${formatServer(c)}`;
}

/** What the verdicts rest on: the intervals' method, and the rows a ground truth explained or blamed. */
function formatReasons(c: Crosscheck): string {
  const lines: string[] = [];
  const pct = `${Math.round((c.intervals?.level ?? DEFAULT_LEVEL) * 1000) / 10}%`;
  const methods = new Set(
    c.rows.flatMap((r) => [r.interval?.method, r.truth?.interval?.method]).filter(Boolean),
  );
  if (methods.size > 0) {
    const how = [
      methods.has('welch') ? `Welch's t over ${c.trials} trials of each tool` : '',
      methods.has('bootstrap')
        ? `a bootstrap over both runs' per-request records (${c.intervals?.resamples} resamples, seed ${c.intervals?.seed})`
        : '',
    ].filter(Boolean);
    lines.push(
      `interval: ${pct} interval of mmload - AIPerf, from ${how.join(' and ')}; a row DIFFERs only when its interval leaves out 0 and it is beyond the tolerance ("agree (noise)": the interval holds 0; "agree (tolerance)": real but within ${c.tolerancePct}%).`,
    );
  }
  if (c.rows.some((r) => r.truth)) {
    lines.push(
      "over server: each tool's figure less its own embedded mock's (ms above it, or % off it): with a ground truth a row is judged on these excesses, not on the tools' raw difference.",
    );
  }
  for (const r of c.rows) {
    const t = r.truth;
    if (!t || t.excess.mmload === undefined || t.excess.aiperf === undefined) continue;
    const digits = t.unit === '%' ? 2 : 3;
    const ex = (tool: Tool) => `${sign(t.excess[tool]!, digits)} ${t.unit}`;
    if (r.reason === 'servers') {
      const s = t.server;
      const moved =
        s.mmload !== undefined && s.aiperf !== undefined && s.aiperf !== 0
          ? ` (the server's own ${r.check.title} moved ${sign(((s.mmload - s.aiperf) / s.aiperf) * 100, 2)}%)`
          : '';
      lines.push(
        `${r.check.title}: the two servers' runs differed${moved}; each tool measured its own alike (mmload ${ex('mmload')}, AIPerf ${ex('aiperf')}).`,
      );
    } else if (r.verdict === 'DIFFER' && r.attributedTo) {
      const name = r.attributedTo === 'mmload' ? 'mmload' : 'AIPerf';
      const other = r.attributedTo === 'mmload' ? 'aiperf' : 'mmload';
      lines.push(
        `${r.check.title}: ${name} measured ${ex(r.attributedTo)} off its server, the other tool ${ex(other)}: the difference is ${name}'s.`,
      );
    }
  }
  return lines.length > 0 ? `${lines.map((l) => `  ${l}`).join('\n')}\n` : '';
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
