import { tQuantile } from '../metrics/significance.js';
import { AIPERF_STAT_KEYS, type MetricSummary, type StatName, type Summary } from '../metrics/summary.js';

/**
 * Statistics of one metric over repeated runs, as AIPerf 0.13's ConfidenceAggregation computes them
 * (aiperf/orchestrator/aggregation/confidence.py): the sample mean, the sample standard deviation
 * (ddof = 1), min and max over the runs, cv = std / mean, se = std / sqrt(n), and the t interval
 * mean +- t(1 - (1 - level) / 2, n - 1) x se. Pure.
 */
export interface ConfidenceMetric {
  mean: number;
  std: number;
  min: number;
  max: number;
  /** std / mean; Infinity when the mean is 0 (AIPerf writes it as null in JSON, "inf" in CSV). */
  cv: number;
  se: number;
  ci_low: number;
  ci_high: number;
  /** NaN for a single run (no interval: AIPerf's degraded mode). */
  t_critical: number;
  unit: string;
}

/** The statistics aggregated: AIPerf's STAT_KEYS, in its order. */
export const AGGREGATED_STATS: readonly StatName[] = AIPERF_STAT_KEYS;

/** One run of a repeated measurement: its summary, or why it has none (failed, interrupted). */
export interface TrialResult {
  /** run_0001, ... (AIPerf's run labels). */
  label: string;
  summary?: Summary;
  /** Set when the run does not count: it failed before a summary, or a signal cut it short. */
  error?: string;
}

export interface ConfidenceAggregate {
  aggregationType: 'confidence';
  numRuns: number;
  numSuccessfulRuns: number;
  failedRuns: Array<{ label: string; error: string }>;
  confidenceLevel: number;
  runLabels: string[];
  /** Only one run counted: every interval is the point itself (AIPerf's single_run). */
  singleRun: boolean;
  /** `<tag>_<stat>` (AIPerf's flattened key, e.g. time_to_first_token_p99) -> statistics. */
  metrics: Record<string, ConfidenceMetric>;
}

/** The two-sided critical value at `level` (scipy.stats.t.ppf(1 - (1 - level) / 2, df), as AIPerf). */
export function tCritical(level: number, df: number): number {
  return tQuantile(1 - (1 - level) / 2, df);
}

/** The statistics of `values` (at least one) at confidence `level`. */
export function confidenceOf(values: readonly number[], level: number, unit: string): ConfidenceMetric {
  const n = values.length;
  if (n === 0) throw new RangeError('confidenceOf needs at least one value');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (n === 1) {
    return {
      mean,
      std: 0,
      min,
      max,
      cv: 0,
      se: 0,
      ci_low: mean,
      ci_high: mean,
      t_critical: Number.NaN,
      unit,
    };
  }
  let sq = 0;
  for (const v of values) sq += (v - mean) * (v - mean);
  const std = Math.sqrt(sq / (n - 1));
  const se = std / Math.sqrt(n);
  const t = tCritical(level, n - 1);
  return {
    mean,
    std,
    min,
    max,
    cv: mean !== 0 ? std / mean : Number.POSITIVE_INFINITY,
    se,
    ci_low: mean - t * se,
    ci_high: mean + t * se,
    t_critical: t,
    unit,
  };
}

function finite(m: MetricSummary | undefined, stat: StatName): number | undefined {
  const v = m?.[stat];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Every statistic of every metric the counted runs have, over the runs that have it (a value
 * missing or not finite in one run is left out, as AIPerf does). Metrics keep the first run's
 * order (the catalogue's), statistics AIPerf's STAT_KEYS order.
 */
export function aggregateTrials(
  trials: readonly TrialResult[],
  level: number,
): ConfidenceAggregate | undefined {
  if (!(level > 0 && level < 1)) throw new RangeError(`confidence level must be in (0, 1), got ${level}`);
  const counted = trials.filter((t) => t.summary && t.error === undefined);
  if (counted.length === 0) return undefined;
  const tags: string[] = [];
  for (const t of counted)
    for (const tag of Object.keys(t.summary!.metrics)) if (!tags.includes(tag)) tags.push(tag);
  const metrics: Record<string, ConfidenceMetric> = {};
  for (const tag of tags) {
    for (const stat of AGGREGATED_STATS) {
      const values: number[] = [];
      let unit = '';
      for (const t of counted) {
        const m = t.summary!.metrics[tag];
        const v = finite(m, stat);
        if (v === undefined) continue;
        values.push(v);
        if (!unit) unit = m!.unit;
      }
      if (values.length > 0) metrics[`${tag}_${stat}`] = confidenceOf(values, level, unit);
    }
  }
  return {
    aggregationType: 'confidence',
    numRuns: trials.length,
    numSuccessfulRuns: counted.length,
    failedRuns: trials
      .filter((t) => !counted.includes(t))
      .map((t) => ({ label: t.label, error: t.error ?? 'no summary' })),
    confidenceLevel: level,
    runLabels: counted.map((t) => t.label),
    singleRun: counted.length === 1,
    metrics,
  };
}
