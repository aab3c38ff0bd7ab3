/**
 * What compare's intervals cost: the bootstrap of one metric's mean and percentiles (avg, p50,
 * p90, p99 at once, as compare draws them) over a few thousand per-request values, at the
 * default 2,000 resamples; against the plain way (resample, sort, computeStats) for the same
 * draws; and Student's t quantile that Welch and the trials' intervals call.
 * Run: node --import tsx bench/significance.ts
 */
import { Bench } from 'tinybench';
import { bootstrapDistribution, DEFAULT_RESAMPLES, prng, tQuantile } from '../src/metrics/significance.js';
import { computeStats } from '../src/metrics/statistics.js';

const STATS = ['avg', 'p50', 'p90', 'p99'] as const;

function latencies(n: number): Float64Array {
  const random = prng(n);
  return Float64Array.from({ length: n }, () => 100 - 30 * Math.log(1 - random())).sort();
}

/** Resample, sort, computeStats: what the counts-based bootstrap replaces. */
function naive(sorted: Float64Array, resamples: number, random: () => number): number {
  let acc = 0;
  const n = sorted.length;
  const buf = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) buf[i] = sorted[Math.floor(random() * n)] as number;
    acc += computeStats(buf).p99;
  }
  return acc;
}

const bench = new Bench({ iterations: 5, warmupIterations: 1, time: 0 });
for (const n of [1000, 5000]) {
  const v = latencies(n);
  bench.add(`bootstrap ${n} values x ${DEFAULT_RESAMPLES} resamples (avg, p50, p90, p99)`, () => {
    bootstrapDistribution(v, STATS, DEFAULT_RESAMPLES, prng(1));
  });
  bench.add(`naive resample + sort + computeStats, ${n} values x ${DEFAULT_RESAMPLES}`, () => {
    naive(v, DEFAULT_RESAMPLES, prng(1));
  });
}
bench.add('tQuantile(0.975, df) x 1000, df 2..20', () => {
  for (let i = 0; i < 1000; i++) tQuantile(0.975, 2 + (i % 50) * 0.37);
});
await bench.run();
console.table(
  bench.tasks.map((t) => {
    const r = t.result as unknown as { latency: { mean: number; p50: number } };
    return { task: t.name, 'mean ms': r.latency.mean.toFixed(1), 'p50 ms': r.latency.p50.toFixed(1) };
  }),
);
