import type { MetricSummary, Summary } from '../metrics/summary.js';
import { aggregateTrials, type ConfidenceMetric, type TrialResult } from './confidence.js';

/**
 * A sweep's numbers, as AIPerf 0.13's sweep aggregation holds them
 * (aiperf/cli_runner/_sweep_aggregate.py, aiperf/orchestrator/aggregation/sweep.py), and what is
 * read from them: one cell of statistics per point, the best configurations, the Pareto set, the
 * knee. Pure.
 */

/** The load parameter a sweep varies, by AIPerf's phase field names (its sweep files' "parameters" keys): --concurrency, --request-rate. */
export type SweepParam = 'concurrency' | 'rate';

/** AIPerf's dotted config path of the swept value (search_history.json's variation_values). */
export const PARAM_PATH: Record<SweepParam, string> = {
  concurrency: 'phases.profiling.concurrency',
  rate: 'phases.profiling.rate',
};

/**
 * One cell's statistics. A point with one trial keeps each metric under its tag with AIPerf's
 * single-run projection ({mean, avg, std 0, min, max, cv 0, ci_low = ci_high = mean, unit, p1..p99,
 * count, sum}); a point with several trials has `<tag>_<stat>` keys holding
 * {mean, std, min, max, cv, ci_low, ci_high, unit} over the trials.
 */
export type CellStats = Record<string, Record<string, number | string | null>>;

const PERCENTILE_FIELDS = ['p1', 'p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p99'] as const;

/** AIPerf's _json_metric_to_stats: one run's metric as a sweep cell entry. */
function singleRunStats(m: MetricSummary): Record<string, number | string> {
  const avg = m.avg ?? 0;
  const out: Record<string, number | string> = {
    mean: avg,
    avg,
    std: 0,
    min: m.min ?? avg,
    max: m.max ?? avg,
    cv: 0,
    ci_low: avg,
    ci_high: avg,
    unit: m.unit,
  };
  for (const p of PERCENTILE_FIELDS) if (typeof m[p] === 'number') out[p] = m[p]!;
  if (typeof m.count === 'number') out.count = m.count;
  if (typeof m.sum === 'number') out.sum = m.sum;
  return out;
}

function confidenceStats(c: ConfidenceMetric): Record<string, number | string> {
  return {
    mean: c.mean,
    std: c.std,
    min: c.min,
    max: c.max,
    cv: c.cv,
    ci_low: c.ci_low,
    ci_high: c.ci_high,
    unit: c.unit,
  };
}

/** A point's cell: undefined when none of its trials counted. */
export function cellStats(trials: readonly TrialResult[], level: number): CellStats | undefined {
  const counted = trials.filter((t) => t.summary && t.error === undefined);
  if (counted.length === 0) return undefined;
  if (counted.length === 1) {
    const s = counted[0]!.summary as Summary;
    return Object.fromEntries(Object.entries(s.metrics).map(([tag, m]) => [tag, singleRunStats(m)]));
  }
  const agg = aggregateTrials(counted, level)!;
  return Object.fromEntries(Object.entries(agg.metrics).map(([k, c]) => [k, confidenceStats(c)]));
}

/** A statistic's value in a cell of either shape (and its interval when the cell has trials). */
export function cellValue(
  cell: CellStats,
  tag: string,
  stat: string,
): { value: number; ciLow?: number; ciHigh?: number; unit?: string } | undefined {
  const flat = cell[`${tag}_${stat}`];
  if (flat && typeof flat.mean === 'number') {
    return {
      value: flat.mean,
      ciLow: typeof flat.ci_low === 'number' ? flat.ci_low : undefined,
      ciHigh: typeof flat.ci_high === 'number' ? flat.ci_high : undefined,
      unit: typeof flat.unit === 'string' ? flat.unit : undefined,
    };
  }
  const single = cell[tag];
  if (!single) return undefined;
  const v = stat === 'avg' ? (single.avg ?? single.mean) : single[stat];
  return typeof v === 'number' && Number.isFinite(v)
    ? { value: v, unit: typeof single.unit === 'string' ? single.unit : undefined }
    : undefined;
}

export interface SweepCell {
  parameters: Record<string, number>;
  metrics: CellStats;
}

const THROUGHPUT = { tag: 'request_throughput', stat: 'avg' } as const;
/** AIPerf's latency candidates: TTFT p99 when streaming, else request latency p99. */
const LATENCY_CANDIDATES = [
  { tag: 'time_to_first_token', stat: 'p99' },
  { tag: 'request_latency', stat: 'p99' },
] as const;

function latencyKey(cells: readonly SweepCell[]) {
  return LATENCY_CANDIDATES.find((k) => cells.every((c) => cellValue(c.metrics, k.tag, k.stat)));
}

/**
 * AIPerf's best_configurations: the cell with the highest request throughput and the one with
 * the lowest TTFT p99 (request latency p99 without streaming). AIPerf looks both up by their
 * flattened keys only, so its single-trial sweeps leave this empty; mmload reads either shape.
 */
export function bestConfigurations(cells: readonly SweepCell[]): Record<string, unknown> {
  const best: Record<string, unknown> = {};
  if (cells.length === 0) return best;
  if (cells.every((c) => cellValue(c.metrics, THROUGHPUT.tag, THROUGHPUT.stat))) {
    const top = cells.reduce((a, b) =>
      cellValue(b.metrics, THROUGHPUT.tag, THROUGHPUT.stat)!.value >
      cellValue(a.metrics, THROUGHPUT.tag, THROUGHPUT.stat)!.value
        ? b
        : a,
    );
    const v = cellValue(top.metrics, THROUGHPUT.tag, THROUGHPUT.stat)!;
    best.best_throughput = {
      parameters: { ...top.parameters },
      metric: v.value,
      unit: v.unit ?? 'requests/sec',
    };
  }
  const lat = latencyKey(cells);
  if (lat) {
    const low = cells.reduce((a, b) =>
      cellValue(b.metrics, lat.tag, lat.stat)!.value < cellValue(a.metrics, lat.tag, lat.stat)!.value ? b : a,
    );
    const v = cellValue(low.metrics, lat.tag, lat.stat)!;
    best.best_latency_p99 = { parameters: { ...low.parameters }, metric: v.value, unit: v.unit ?? 'ms' };
  }
  return best;
}

/** AIPerf's pareto_optimal: cells no other beats on throughput (max) and latency p99 (min) at once. */
export function paretoOptimal(cells: readonly SweepCell[]): Array<Record<string, number>> {
  const lat = latencyKey(cells);
  if (!lat || !cells.every((c) => cellValue(c.metrics, THROUGHPUT.tag, THROUGHPUT.stat))) return [];
  const xy = cells.map((c) => ({
    c,
    t: cellValue(c.metrics, THROUGHPUT.tag, THROUGHPUT.stat)!.value,
    l: cellValue(c.metrics, lat.tag, lat.stat)!.value,
  }));
  const front = xy.filter(
    (a) => !xy.some((b) => b !== a && b.t >= a.t && b.l <= a.l && (b.t > a.t || b.l < a.l)),
  );
  return front
    .map((f) => ({ ...f.c.parameters }))
    .sort((a, b) =>
      JSON.stringify(Object.entries(a).sort()).localeCompare(JSON.stringify(Object.entries(b).sort())),
    );
}

/**
 * The knee of a load sweep: the last point where more load still bought throughput. Going from
 * point i to i + 1, if throughput grew by less than half of the relative load increase
 * (T[i+1] / T[i] - 1 < (L[i+1] / L[i] - 1) / 2), the server has stopped scaling and point i is
 * the knee. Undefined when throughput kept scaling to the last point (the sweep stopped short of
 * saturation) or with fewer than two points. Points must be sorted by load.
 */
export function findKnee(points: ReadonlyArray<{ load: number; throughput: number }>): number | undefined {
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    if (!(a.load > 0 && a.throughput > 0)) continue;
    const loadGain = b.load / a.load - 1;
    const gain = b.throughput / a.throughput - 1;
    if (loadGain > 0 && gain < loadGain / 2) return i;
  }
  return undefined;
}
