import { percentileOfSorted } from '../metrics/statistics.js';
import type { MetricSample } from './types.js';

/**
 * Statistics of one series over a time window, with AIPerf 0.13's semantics
 * (aiperf/server_metrics/export_stats.py): counters and histograms are differences between the
 * last scrape in the window and a reference (the last scrape before the window, else the first
 * in it), clamped at 0 for a reset; gauges are statistics of the scraped values in the window
 * (numpy's linear percentiles, std with ddof=1). Pure functions over arrays of scrapes.
 */

export interface Point {
  /** Epoch ns of the scrape. */
  t: number;
  sample: MetricSample;
}

export interface Window {
  startNs: number;
  endNs: number;
}

export const GAUGE_PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99] as const;

export interface GaugeStats {
  avg: number;
  min: number;
  max: number;
  std: number;
  p1: number;
  p5: number;
  p10: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  p95: number;
  p99: number;
}

export interface CounterStats {
  total: number;
  rate: number;
}

export interface HistogramStats {
  count: number;
  sum?: number;
  avg?: number;
  count_rate?: number;
  sum_rate?: number;
  p1_estimate?: number;
  p5_estimate?: number;
  p10_estimate?: number;
  p25_estimate?: number;
  p50_estimate?: number;
  p75_estimate?: number;
  p90_estimate?: number;
  p95_estimate?: number;
  p99_estimate?: number;
}

/** Index of the last point before the window, and the points inside it (both in time order). */
function split(points: readonly Point[], w: Window): { ref?: Point; inside: Point[] } {
  let ref: Point | undefined;
  const inside: Point[] = [];
  for (const p of points) {
    if (p.t < w.startNs) ref = p;
    else if (p.t <= w.endNs) inside.push(p);
  }
  return { ref, inside };
}

export function gaugeStats(points: readonly Point[], w: Window): GaugeStats | undefined {
  const values = split(points, w)
    .inside.map((p) => p.sample.value)
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (values.length === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  const n = values.length;
  const avg = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - avg) ** 2, 0) / (n - 1)) : 0;
  const out: Record<string, number> = { avg, min: sorted[0]!, max: sorted[n - 1]!, std };
  for (const p of GAUGE_PERCENTILES) out[`p${p}`] = percentileOfSorted(sorted, p);
  return out as unknown as GaugeStats;
}

export function counterStats(points: readonly Point[], w: Window): CounterStats | undefined {
  const { ref, inside } = split(points, w);
  const finite = inside.filter((p) => Number.isFinite(p.sample.value));
  if (finite.length === 0) return undefined;
  const base = ref && Number.isFinite(ref.sample.value) ? ref : finite[0]!;
  const last = finite[finite.length - 1]!;
  const total = Math.max((last.sample.value as number) - (base.sample.value as number), 0);
  const seconds = (last.t - base.t) / 1e9;
  return { total, rate: seconds > 0 ? total / seconds : 0 };
}

/** Upper bounds in ascending order with their cumulative counts; +Inf last. */
export function sortedBuckets(buckets: Record<string, number>): Array<[le: number, key: string, n: number]> {
  return Object.entries(buckets)
    .map(
      ([k, n]) =>
        [k === '+Inf' || k === 'Inf' ? Number.POSITIVE_INFINITY : Number(k), k, n] as [
          number,
          string,
          number,
        ],
    )
    .filter(([le]) => !Number.isNaN(le))
    .sort((a, b) => a[0] - b[0]);
}

/**
 * Prometheus' histogram_quantile over cumulative bucket counts: linear interpolation inside the
 * bucket the rank falls in, from 0 for the first bucket (when its bound is positive); a rank in
 * the +Inf bucket is the largest finite bound. AIPerf refines this (histogram_percentiles.py:
 * learned per-bucket means); the bucket it lands in is the same, which is what a histogram knows.
 */
export function histogramQuantile(
  q: number,
  cumulative: Array<[le: number, key: string, n: number]>,
): number | undefined {
  if (cumulative.length === 0) return undefined;
  const total = cumulative[cumulative.length - 1]![2];
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevN = 0;
  for (let i = 0; i < cumulative.length; i++) {
    const [le, , n] = cumulative[i]!;
    if (n >= rank) {
      if (le === Number.POSITIVE_INFINITY) {
        const finite = cumulative.filter(([b]) => Number.isFinite(b));
        return finite.length > 0 ? finite[finite.length - 1]![0] : undefined;
      }
      const lower = i === 0 ? Math.min(le, 0) : prevLe;
      if (n === prevN) return le;
      return lower + ((le - lower) * (rank - prevN)) / (n - prevN);
    }
    prevLe = le;
    prevN = n;
  }
  return undefined;
}

const EST = [1, 5, 10, 25, 50, 75, 90, 95, 99] as const;

export interface HistogramWindow {
  stats: HistogramStats;
  /** Bucket deltas over the window (cumulative, keyed as the server wrote them); undefined after a reset. */
  buckets?: Record<string, number>;
}

/** Bucket deltas and estimated percentiles of a histogram series over the window. */
export function histogramStats(points: readonly Point[], w: Window): HistogramWindow | undefined {
  const { ref, inside } = split(points, w);
  const usable = inside.filter((p) => p.sample.buckets && typeof p.sample.count === 'number');
  if (usable.length === 0) return undefined;
  const base = ref?.sample.buckets ? ref : usable[0]!;
  const last = usable[usable.length - 1]!;
  const count = Math.max((last.sample.count ?? 0) - (base.sample.count ?? 0), 0);
  const sum = Math.max((last.sample.sum ?? 0) - (base.sample.sum ?? 0), 0);
  let buckets: Record<string, number> | undefined = {};
  for (const [k, n] of Object.entries(last.sample.buckets!)) {
    const d = n - (base.sample.buckets![k] ?? 0);
    if (d < 0) {
      buckets = undefined;
      break;
    }
    buckets[k] = d;
  }
  if (count === 0) return { stats: { count: 0 }, buckets };
  const seconds = (last.t - base.t) / 1e9;
  const stats: HistogramStats = {
    count,
    sum,
    avg: sum / count,
    ...(seconds > 0 ? { count_rate: count / seconds, sum_rate: sum / seconds } : {}),
  };
  if (buckets) {
    const cumulative = sortedBuckets(buckets);
    for (const p of EST) {
      const v = histogramQuantile(p / 100, cumulative);
      if (v !== undefined) stats[`p${p}_estimate` as keyof HistogramStats] = v as never;
    }
  }
  return { stats, buckets };
}

/** Bucket-wise sum of several series' window deltas (engines, workers): one distribution. */
export function mergeBuckets(list: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of list) for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}
