import type { PlanOutcome, SweepPointSummary } from './run-plan.js';
import { cellStats, cellValue, type SweepParam } from './sweep.js';

/** The console tables of a plan (pure): the trials' intervals, a sweep's points, a search's path. */

function num(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
}

function grid(rows: string[][], leftColumns = 1): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}

/** The figures a plan's tables show, in the recipe's order; goodput only when measured. */
const TRIAL_ROWS: Array<{ label: string; tag: string; stat: string }> = [
  { label: 'Request throughput (req/s)', tag: 'request_throughput', stat: 'avg' },
  { label: 'Output tokens/s', tag: 'output_token_throughput', stat: 'avg' },
  { label: 'Goodput (req/s)', tag: 'goodput', stat: 'avg' },
  { label: 'TTFT avg (ms)', tag: 'time_to_first_token', stat: 'avg' },
  { label: 'TTFT p50 (ms)', tag: 'time_to_first_token', stat: 'p50' },
  { label: 'TTFT p99 (ms)', tag: 'time_to_first_token', stat: 'p99' },
  { label: 'ITL avg (ms)', tag: 'inter_token_latency', stat: 'avg' },
  { label: 'ITL p99 (ms)', tag: 'inter_token_latency', stat: 'p99' },
  { label: 'Request latency avg (ms)', tag: 'request_latency', stat: 'avg' },
];

/** Trials: per figure the mean, std, cv and interval over the trials that counted. */
export function formatTrialsTable(out: PlanOutcome): string {
  const a = out.aggregate;
  if (!a) return 'no trial finished: nothing to aggregate\n';
  const level = `${(a.confidenceLevel * 100).toFixed(0)} % CI`;
  const rows: string[][] = [['Metric', 'mean', 'std', 'cv', level, 'min', 'max']];
  for (const r of TRIAL_ROWS) {
    const c = a.metrics[`${r.tag}_${r.stat}`];
    if (!c) continue;
    const ci = a.singleRun ? 'n/a (1 run)' : `${num(c.ci_low)} .. ${num(c.ci_high)}`;
    const cv = Number.isFinite(c.cv) ? `${(c.cv * 100).toFixed(1)} %` : '-';
    rows.push([r.label, num(c.mean), num(c.std), cv, ci, num(c.min), num(c.max)]);
  }
  const failed = a.failedRuns.map((f) => `\n${f.label} not counted: ${f.error}`).join('');
  return `${grid(rows)}\n${a.numSuccessfulRuns} of ${a.numRuns} trial(s) counted${failed}\n`;
}

function loadLabel(param: SweepParam): string {
  return param === 'concurrency' ? 'Concurrency' : 'Rate (req/s)';
}

function pointRow(p: SweepPointSummary, note: string): string[] {
  // A point cut short by a signal is not aggregated; its row still shows what it measured.
  const metrics =
    p.cell?.metrics ??
    cellStats(
      p.runs.map((r) => ({ label: r.label, summary: r.outcome.summary })),
      0.95,
    );
  const v = (tag: string, stat: string) => (metrics ? cellValue(metrics, tag, stat)?.value : undefined);
  const errors = p.runs.reduce((n, r) => n + r.outcome.summary.errorCount, 0);
  return [
    String(p.value),
    num(v('request_throughput', 'avg')),
    num(v('output_token_throughput', 'avg')),
    num(v('goodput', 'avg')),
    p.goodFraction === undefined ? '-' : `${(p.goodFraction * 100).toFixed(1)} %`,
    num(v('time_to_first_token', 'p50')),
    num(v('time_to_first_token', 'p99')),
    num(v('inter_token_latency', 'p50')),
    num(v('inter_token_latency', 'p99')),
    String(errors),
    note,
  ];
}

const POINT_HEAD = [
  'RPS',
  'Out tok/s',
  'Goodput',
  'Good',
  'TTFT p50',
  'TTFT p99',
  'ITL p50',
  'ITL p99',
  'Errors',
  '',
];

/** A sweep: one row per point (means over trials), the knee marked. */
export function formatSweepTable(out: PlanOutcome): string {
  const param = out.param!;
  const points = [...(out.points ?? [])].sort((a, b) => a.value - b.value);
  const knee = out.knee !== undefined ? out.points![out.knee] : undefined;
  const rows = [[loadLabel(param), ...POINT_HEAD]];
  for (const p of points)
    rows.push(pointRow(p, p === knee ? '<- knee' : p.cell ? '' : 'partial: not counted'));
  const tail =
    knee !== undefined
      ? `knee at ${param} ${knee.value}: past it, more load bought less than half its share of throughput`
      : points.length > 1
        ? 'no knee within the sweep: throughput still grew with load at the last point'
        : '';
  return `${grid(rows)}\n${tail ? `${tail}\n` : ''}`;
}

/** A search: the points in the order tried, then what it found. */
export function formatSearchTable(out: PlanOutcome, attainment: number): string {
  const param = out.param!;
  const rows = [['#', loadLabel(param), ...POINT_HEAD]];
  (out.points ?? []).forEach((p, i) => {
    const verdict =
      p.goodFraction === undefined
        ? 'partial: not judged'
        : p.goodFraction >= attainment
          ? 'meets'
          : 'misses';
    rows.push([String(i), ...pointRow(p, verdict)]);
  });
  const s = out.search!;
  const what = param === 'concurrency' ? 'concurrency' : 'request rate';
  const found =
    s.feasibleMax !== undefined
      ? `max-goodput: ${what} ${s.feasibleMax} is the highest that met the objective (>= ${(attainment * 100).toFixed(1)} % good)` +
        (s.infeasibleMin !== undefined ? `; ${s.infeasibleMin} missed it` : '; the upper bound met it too')
      : `max-goodput: no ${what} within the bounds met the objective (>= ${(attainment * 100).toFixed(1)} % good)`;
  // The most goodput need not be at the highest load that meets the objective (past the knee,
  // more load adds waiting, not good requests): say where it was when it differs.
  const judged = (out.points ?? []).filter(
    (p) => p.goodFraction !== undefined && p.goodFraction >= attainment,
  );
  const goodputOf = (p: SweepPointSummary) =>
    p.cell ? cellValue(p.cell.metrics, 'goodput', 'avg')?.value : undefined;
  const best = judged.reduce<SweepPointSummary | undefined>(
    (a, p) => ((goodputOf(p) ?? -1) > (a ? (goodputOf(a) ?? -1) : -1) ? p : a),
    undefined,
  );
  const most =
    best && best.value !== s.feasibleMax && goodputOf(best) !== undefined
      ? `\nthe most goodput among the loads that met it: ${num(goodputOf(best))} req/s at ${what} ${best.value}`
      : '';
  return `${grid(rows, 1)}\n${found} (${s.reason})${most}\n`;
}
