/**
 * Is a difference between two results larger than their noise? Pure statistics, no I/O:
 *
 * - Welch's t-test and interval for a difference of means, for results repeated as trials (one
 *   value per trial on each side, unequal variances and counts allowed);
 * - a seeded percentile bootstrap for one run per side, over its per-request values, for a mean or
 *   a percentile (numpy's linear definition, as everywhere in mmload);
 * - Student's t distribution (CDF and quantile, any real degrees of freedom) for both Welch and the
 *   trials' own intervals.
 *
 * The method and its assumptions are in docs/compare.md.
 */
import { PERCENTILES, type PercentileKey, percentileOfSorted } from './statistics.js';

/** The default confidence level (AIPerf's --confidence-level default). */
export const DEFAULT_LEVEL = 0.95;
/**
 * Bootstrap resamples by default: enough for the 2.5 % and 97.5 % quantiles of the resampled
 * differences to move by well under their width between seeds; a few thousand records cost tens
 * of milliseconds per metric (bench/significance.ts, docs/benchmarks.md).
 */
export const DEFAULT_RESAMPLES = 2000;
/** Fewer values than this on a side and the bootstrap's interval is not given (it under-covers). */
export const MIN_BOOTSTRAP_SAMPLES = 8;

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32 (src/util/random.ts): the same stream on every machine for a seed. */
export { mulberry32 as prng } from '../util/random.js';

/**
 * A 32-bit seed from a base seed and names (FNV-1a): each result and metric gets its own stream,
 * so that two sides of a comparison are never resampled with the same indices (that would
 * correlate them and shrink the interval) and a result's own interval does not depend on what it
 * is compared with.
 */
export function seedOf(seed: number, ...parts: string[]): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ 0xff, 0x01000193) >>> 0;
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// Student's t distribution

const LANCZOS = [
  0.999_999_999_999_809_9, 676.520_368_121_885_1, -1259.139_216_722_402_8, 771.323_428_777_653_1,
  -176.615_029_162_140_6, 12.507_343_278_686_905, -0.138_571_095_265_720_12, 9.984_369_578_019_572e-6,
  1.505_632_735_149_311_6e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b), 0 <= x <= 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The fraction converges fast on the side of the mean; the symmetry relation covers the other.
  return x < (a + 1) / (a + b + 2)
    ? (front * betaFraction(a, b, x)) / a
    : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T <= t) for Student's t with `df` > 0 degrees of freedom (real, not only whole). */
export function tCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` > 0 degrees of freedom (scipy.stats.t.ppf). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return Number.NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  // The upper tail, 1 - p, is computed directly so that p close to 1 keeps its precision.
  const upper = 1 - p;
  const tailOf = (t: number) => 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  let lo = 0;
  let hi = 1;
  while (tailOf(hi) > upper) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Number.POSITIVE_INFINITY;
  }
  // Bisection on the tail (monotone): 200 halvings reach the last bit of a double.
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (tailOf(mid) > upper) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

// ---------------------------------------------------------------------------------------------
// Differences and their intervals

/** One side of a Welch comparison: a mean over n trials and their sample standard deviation (ddof 1). */
export interface TrialStats {
  mean: number;
  /** Sample standard deviation (ddof = 1), as AIPerf's aggregate writes it. */
  std: number;
  n: number;
}

/** The change from a baseline `a` to `b`, with its interval: what compare shows beside a delta. */
export interface DeltaInterval {
  method: 'welch' | 'bootstrap';
  level: number;
  /** b - a, in the metric's unit. */
  diff: number;
  /** The interval of b - a. */
  low: number;
  high: number;
  /** The same interval as a change in % of the baseline's value (undefined when it is 0). */
  lowPct?: number;
  highPct?: number;
  /** The interval leaves out 0. */
  significant: boolean;
  /** Welch: the two-sided p-value. */
  pValue?: number;
  /** Welch: the degrees of freedom (Welch-Satterthwaite). */
  df?: number;
  /** Trials (Welch) or per-request values (bootstrap) on each side: [baseline, other]. */
  n: [number, number];
  /** Bootstrap: resamples drawn. */
  resamples?: number;
}

function pctOf(v: number, ref: number): number | undefined {
  return ref === 0 || !Number.isFinite(ref) ? undefined : (v / ref) * 100;
}

/**
 * Welch's unequal-variance t interval for mean(b) - mean(a) at `level`, with the two-sided
 * p-value. Needs two trials or more on each side. The interval in % divides by a's mean, taken as
 * known (its own uncertainty is not propagated: docs/compare.md).
 */
export function welch(a: TrialStats, b: TrialStats, level = DEFAULT_LEVEL): DeltaInterval | undefined {
  if (a.n < 2 || b.n < 2 || !Number.isFinite(a.mean) || !Number.isFinite(b.mean)) return undefined;
  const va = (a.std * a.std) / a.n;
  const vb = (b.std * b.std) / b.n;
  const diff = b.mean - a.mean;
  const se = Math.sqrt(va + vb);
  let half: number;
  let pValue: number;
  let df: number;
  if (!(se > 0)) {
    // No spread on either side: the difference is what it is.
    half = 0;
    df = a.n + b.n - 2;
    pValue = diff === 0 ? 1 : 0;
  } else {
    df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
    half = tQuantile(1 - (1 - level) / 2, df) * se;
    pValue = 2 * (1 - tCdf(Math.abs(diff) / se, df));
  }
  const low = diff - half;
  const high = diff + half;
  return {
    method: 'welch',
    level,
    diff,
    low,
    high,
    lowPct: pctOf(low, a.mean),
    highPct: pctOf(high, a.mean),
    significant: low > 0 || high < 0,
    pValue,
    df,
    n: [a.n, b.n],
  };
}

/** What the bootstrap can resample: the mean or one of the summary percentiles. */
export type BootStat = 'avg' | PercentileKey;
const PCT_OF: Record<string, number> = Object.fromEntries(PERCENTILES.map((p) => [`p${p}`, p]));

/**
 * The bootstrap distribution of each statistic in `stats` over `sorted` (ascending, not modified):
 * `resamples` values per statistic. Each resample draws n indices with replacement; because the
 * sample is sorted, a resample's order statistics are read off the cumulative counts of those
 * indices, so no resample is ever sorted: O(n) per resample, all statistics at once.
 */
export function bootstrapDistribution(
  sorted: Float64Array,
  stats: readonly BootStat[],
  resamples: number,
  random: () => number,
): Record<string, Float64Array> {
  const n = sorted.length;
  const out: Record<string, Float64Array> = {};
  for (const s of stats) out[s] = new Float64Array(resamples);
  if (n === 0) return out;
  const counts = new Uint32Array(n);
  // Order statistics each percentile needs (numpy linear: between ranks floor(pos) and floor(pos)+1).
  const wants = stats
    .filter((s) => s !== 'avg')
    .map((s) => {
      const pos = (n - 1) * ((PCT_OF[s] as number) / 100);
      const lo = Math.min(Math.max(Math.floor(pos), 0), n - 1);
      return { s, lo, hi: Math.min(lo + 1, n - 1), frac: pos - Math.floor(pos) };
    });
  const ranks = [...new Set(wants.flatMap((w) => [w.lo, w.hi]))].sort((x, y) => x - y);
  const at = new Map<number, number>();
  const mean = stats.includes('avg');
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(random() * n)]!++;
    let sum = 0;
    let seen = 0;
    let k = 0;
    for (let j = 0; j < n && (mean || k < ranks.length); j++) {
      const c = counts[j] as number;
      if (c === 0) continue;
      const v = sorted[j] as number;
      if (mean) sum += c * v;
      seen += c;
      while (k < ranks.length && (ranks[k] as number) < seen) at.set(ranks[k++] as number, v);
    }
    if (mean) out.avg![r] = sum / n;
    for (const w of wants) {
      const a = at.get(w.lo) as number;
      const b = at.get(w.hi) as number;
      // numpy's _lerp, as percentileOfSorted.
      out[w.s]![r] = w.frac >= 0.5 ? b - (b - a) * (1 - w.frac) : a + (b - a) * w.frac;
    }
  }
  return out;
}

/** numpy-linear quantile q (0..1) of an unsorted array (sorted in place). */
function quantileInPlace(values: Float64Array, q: number): number {
  values.sort();
  const pos = (values.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, values.length - 1);
  const f = pos - lo;
  return (values[lo] as number) + ((values[hi] as number) - (values[lo] as number)) * f;
}

/** The equal-tailed percentile interval of a bootstrap distribution. */
export function percentileInterval(dist: Float64Array, level = DEFAULT_LEVEL): [number, number] {
  const copy = Float64Array.from(dist);
  const alpha = (1 - level) / 2;
  const low = quantileInPlace(copy, alpha);
  const high = quantileInPlace(copy, 1 - alpha);
  return [low, high];
}

/**
 * The percentile-bootstrap interval of stat(b) - stat(a) from both sides' bootstrap
 * distributions (drawn independently), with the same interval in % of stat(a) (from the
 * resampled ratios, so the baseline's own noise is in it).
 */
export function bootstrapDelta(
  a: { value: number; dist: Float64Array; n: number },
  b: { value: number; dist: Float64Array; n: number },
  level = DEFAULT_LEVEL,
): DeltaInterval {
  const B = Math.min(a.dist.length, b.dist.length);
  const diffs = new Float64Array(B);
  const ratios = new Float64Array(B);
  let ratioOk = a.value !== 0;
  for (let i = 0; i < B; i++) {
    const x = a.dist[i] as number;
    const y = b.dist[i] as number;
    diffs[i] = y - x;
    if (x === 0) ratioOk = false;
    else ratios[i] = (y / x - 1) * 100;
  }
  const [low, high] = percentileInterval(diffs, level);
  const out: DeltaInterval = {
    method: 'bootstrap',
    level,
    diff: b.value - a.value,
    low,
    high,
    significant: low > 0 || high < 0,
    n: [a.n, b.n],
    resamples: B,
  };
  if (ratioOk) [out.lowPct, out.highPct] = percentileInterval(ratios, level);
  return out;
}

/** The t interval of a mean over n trials (AIPerf's aggregate: mean +- t * std / sqrt(n)). */
export function tInterval(s: TrialStats, level = DEFAULT_LEVEL): [number, number] | undefined {
  if (s.n < 2) return undefined;
  const half = tQuantile(1 - (1 - level) / 2, s.n - 1) * (s.std / Math.sqrt(s.n));
  return [s.mean - half, s.mean + half];
}

/**
 * The bootstrap distribution of stat(x) - stat(y) over pairs (x[i], y[i]) resampled together:
 * the same requests seen by a client (x) and by the server (y), so that the server's own
 * request-to-request variation cancels out of the difference. O(n) per resample: both sides are
 * walked in their own sorted order through the shared counts.
 */
export function pairedBootstrapDistribution(
  x: Float64Array,
  y: Float64Array,
  stats: readonly BootStat[],
  resamples: number,
  random: () => number,
): Record<string, Float64Array> {
  const n = Math.min(x.length, y.length);
  const out: Record<string, Float64Array> = {};
  for (const s of stats) out[s] = new Float64Array(resamples);
  if (n === 0) return out;
  const order = (v: Float64Array) => {
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => (v[a] as number) - (v[b] as number));
    return idx;
  };
  const ox = order(x);
  const oy = order(y);
  const counts = new Uint32Array(n);
  const statOf = (v: Float64Array, o: Uint32Array, s: BootStat): number => {
    if (s === 'avg') {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += (counts[j] as number) * (v[j] as number);
      return sum / n;
    }
    const pos = (n - 1) * ((PCT_OF[s] as number) / 100);
    const lo = Math.min(Math.max(Math.floor(pos), 0), n - 1);
    const hi = Math.min(lo + 1, n - 1);
    const frac = pos - Math.floor(pos);
    let seen = 0;
    let a = Number.NaN;
    let b = Number.NaN;
    for (let j = 0; j < n; j++) {
      const i = o[j] as number;
      const c = counts[i] as number;
      if (c === 0) continue;
      const prev = seen;
      seen += c;
      if (prev <= lo && lo < seen) a = v[i] as number;
      if (prev <= hi && hi < seen) {
        b = v[i] as number;
        break;
      }
    }
    return frac >= 0.5 ? b - (b - a) * (1 - frac) : a + (b - a) * frac;
  };
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[Math.floor(random() * n)]!++;
    for (const s of stats) out[s]![r] = statOf(x, ox, s) - statOf(y, oy, s);
  }
  return out;
}

/** stat(x) - stat(y) of the samples themselves (numpy-linear percentiles), for the point estimate. */
export function statOf(v: ArrayLike<number>, s: BootStat): number {
  const sorted = Float64Array.from(v).sort();
  if (s === 'avg') return sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return percentileOfSorted(sorted, PCT_OF[s] as number);
}
