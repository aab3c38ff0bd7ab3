/**
 * THE statistics function of mmload. Matches AIPerf (aiperf/metrics/metric_dicts.py, `to_result`):
 * numpy.percentile's default "linear" method and np.std (population, ddof=0), so that a value
 * printed by mmload and one printed by AIPerf over the same numbers are the same number.
 */
export const PERCENTILES = [1, 5, 10, 25, 50, 75, 90, 95, 99] as const;
export type PercentileKey = 'p1' | 'p5' | 'p10' | 'p25' | 'p50' | 'p75' | 'p90' | 'p95' | 'p99';
export const PERCENTILE_KEYS: readonly PercentileKey[] = PERCENTILES.map((p) => `p${p}` as PercentileKey);

export interface Stats extends Record<PercentileKey, number> {
  avg: number;
  min: number;
  max: number;
  sum: number;
  count: number;
  std: number;
}

/** numpy.percentile(sorted, q) with the default linear interpolation; `sorted` ascending, non-empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  // numpy's own arithmetic ('linear': (n - 1) * (q / 100)), so the interpolation weight is
  // bit-for-bit the one numpy uses.
  const pos = (n - 1) * (q / 100);
  const lo = Math.min(Math.max(Math.floor(pos), 0), n - 1);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - Math.floor(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  // numpy's _lerp form: exact at the ends (frac 0 gives a, frac 1 gives b).
  return frac >= 0.5 ? b - (b - a) * (1 - frac) : a + (b - a) * frac;
}

/** Statistics over `values` (not modified). Returns count 0 and NaN elsewhere for no values. */
export function computeStats(values: ArrayLike<number>): Stats {
  const n = values.length;
  if (n === 0) {
    const nan = Number.NaN;
    return {
      avg: nan,
      min: nan,
      max: nan,
      sum: 0,
      count: 0,
      std: nan,
      p1: nan,
      p5: nan,
      p10: nan,
      p25: nan,
      p50: nan,
      p75: nan,
      p90: nan,
      p95: nan,
      p99: nan,
    };
  }
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  const avg = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const d = (sorted[i] as number) - avg;
    sq += d * d;
  }
  const stats = {
    avg,
    min: sorted[0] as number,
    max: sorted[n - 1] as number,
    sum,
    count: n,
    std: Math.sqrt(sq / n),
  } as Stats;
  for (const p of PERCENTILES) stats[`p${p}`] = percentileOfSorted(sorted, p);
  return stats;
}
