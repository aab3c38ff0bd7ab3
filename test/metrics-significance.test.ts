import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bootstrapDelta,
  bootstrapDistribution,
  prng,
  seedOf,
  tCdf,
  tInterval,
  tQuantile,
  welch,
} from '../src/metrics/significance.js';
import { computeStats } from '../src/metrics/statistics.js';

// scipy.stats.t.ppf / .cdf (scipy 1.x in AIPerf's venv), full precision.
const PPF: Array<[p: number, df: number, t: number]> = [
  [0.975, 1, 12.706204736174694],
  [0.975, 2, 4.302652729749462],
  [0.975, 4.7, 2.62072607535317],
  [0.975, 9, 2.262157162798205],
  [0.975, 29, 2.045229642132703],
  [0.975, 10000, 1.960201239890626],
  [0.95, 1.5, 3.70518082009675],
  [0.9995, 3, 12.923978636687961],
  [0.6, 100, 0.25402218245822766],
];
const CDF: Array<[t: number, df: number, p: number]> = [
  [-3, 1, 0.10241638234956672],
  [1.7, 2.5, 0.8971938914200581],
  [0.1, 7, 0.5384259701976037],
  [12, 40, 1 - 3.91208565212799e-15],
];

test('t distribution: quantiles and CDF as scipy gives them, for whole and fractional degrees of freedom', () => {
  for (const [p, df, want] of PPF) {
    const got = tQuantile(p, df);
    assert.ok(Math.abs(got - want) <= 1e-10 * Math.abs(want), `t.ppf(${p}, ${df}) = ${want}, got ${got}`);
    assert.ok(Math.abs(tQuantile(1 - p, df) + want) <= 1e-10 * Math.abs(want), 'symmetric');
  }
  for (const [t, df, want] of CDF) {
    const got = tCdf(t, df);
    assert.ok(Math.abs(got - want) <= 1e-12, `t.cdf(${t}, ${df}) = ${want}, got ${got}`);
  }
  assert.equal(tQuantile(0.5, 3), 0);
  assert.ok(Number.isNaN(tQuantile(1, 3)) && Number.isNaN(tQuantile(0.9, 0)));
});

/** Exponential with the given mean (inverse CDF of a uniform). */
const expo = (random: () => number, mean: number) => -mean * Math.log(1 - random());
const sample = (n: number, draw: () => number) => Float64Array.from({ length: n }, draw).sort();

test('bootstrapDistribution: the same statistics as resampling, sorting and computeStats, without the sort', () => {
  const random = prng(7);
  const values = sample(37, () => expo(random, 50));
  const stats = ['avg', 'p1', 'p25', 'p50', 'p90', 'p99'] as const;
  const fast = bootstrapDistribution(values, stats, 40, prng(99));
  const draws = prng(99);
  for (let r = 0; r < 40; r++) {
    const resample = Array.from(
      { length: values.length },
      () => values[Math.floor(draws() * values.length)]!,
    );
    const want = computeStats(resample);
    for (const s of stats) {
      const got = fast[s]![r]!;
      assert.ok(
        Math.abs(got - want[s]) <= 1e-9 * Math.abs(want[s]),
        `resample ${r} ${s}: ${got} vs ${want[s]}`,
      );
    }
  }
});

/** How often the interval covers the truth, and how often it calls a difference significant. */
function coverage(
  reps: number,
  run: (rep: number) => { low: number; high: number; significant: boolean },
  truth: number,
) {
  let covered = 0;
  let significant = 0;
  for (let rep = 0; rep < reps; rep++) {
    const d = run(rep);
    if (d.low <= truth && truth <= d.high) covered++;
    if (d.significant) significant++;
  }
  return { covered: covered / reps, significant: significant / reps };
}

// 200 repetitions: the binomial standard error of a 95 % coverage is 1.5 %; the bounds below are
// three of them either side. The data are seeded, so the figures are the same on every run.
const REPS = 200;
const near95 = (x: number, what: string) => assert.ok(Math.abs(x - 0.95) <= 0.045, `${what}: coverage ${x}`);

test('bootstrap: the 95% interval of a difference of means and of medians covers the truth about 95% of the time', () => {
  // Exponential latencies with means 100 and 110 ms: the differences are known exactly.
  const n = 150;
  // 400 resamples: enough for the 2.5% and 97.5% quantiles here, and the test stays fast.
  const run = (shift: number) => (rep: number) => {
    const random = prng(seedOf(2026, 'coverage', String(shift), String(rep)));
    const a = sample(n, () => expo(random, 100));
    const b = sample(n, () => expo(random, 100 + shift));
    const da = bootstrapDistribution(a, ['avg', 'p50'], 400, prng(seedOf(rep, 'a')));
    const db = bootstrapDistribution(b, ['avg', 'p50'], 400, prng(seedOf(rep, 'b')));
    const sa = computeStats(a);
    const sb = computeStats(b);
    return (['avg', 'p50'] as const).map((s) =>
      bootstrapDelta({ value: sa[s], dist: da[s]!, n }, { value: sb[s], dist: db[s]!, n }),
    );
  };
  const shifted = Array.from({ length: REPS }, (_, rep) => run(10)(rep));
  near95(coverage(REPS, (rep) => shifted[rep]![0]!, 10).covered, 'difference of means');
  near95(coverage(REPS, (rep) => shifted[rep]![1]!, 10 * Math.LN2).covered, 'difference of medians');
  // No difference at all: "significant" about 5% of the time, the interval's other side.
  const none = coverage(REPS, (rep) => run(0)(rep)[0]!, 0);
  near95(none.covered, 'no difference');
  assert.ok(none.significant <= 0.095, `false positives ${none.significant}`);
});

test('Welch: the 95% interval over trials covers the true difference about 95% of the time (unequal variances and counts)', () => {
  const normal = (random: () => number) =>
    Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const trials = (random: () => number, n: number, mean: number, sd: number) => {
    const v = Array.from({ length: n }, () => mean + sd * normal(random));
    const m = v.reduce((x, y) => x + y, 0) / n;
    const s = Math.sqrt(v.reduce((x, y) => x + (y - m) ** 2, 0) / (n - 1));
    return { mean: m, std: s, n };
  };
  const run = (shift: number) => (rep: number) => {
    const random = prng(seedOf(2026, 'welch', String(shift), String(rep)));
    return welch(trials(random, 5, 100, 3), trials(random, 4, 100 + shift, 8))!;
  };
  near95(coverage(REPS, run(5), 5).covered, 'Welch, a difference of 5');
  const none = coverage(REPS, run(0), 0);
  near95(none.covered, 'Welch, no difference');
  assert.ok(none.significant <= 0.095, `false positives ${none.significant}`);
  // A large difference with little spread is significant, with a p-value to match.
  const big = welch({ mean: 100, std: 1, n: 5 }, { mean: 110, std: 1, n: 5 })!;
  assert.equal(big.significant, true);
  assert.ok(big.pValue! < 1e-6 && big.lowPct! > 8 && big.highPct! < 12);
  // Equal variances and counts: Welch's df is 2n - 2 and its interval Student's.
  const eq = welch({ mean: 10, std: 2, n: 6 }, { mean: 12, std: 2, n: 6 })!;
  assert.ok(Math.abs(eq.df! - 10) < 1e-12);
  assert.ok(Math.abs(eq.high - eq.diff - tQuantile(0.975, 10) * Math.sqrt(8 / 6)) < 1e-12);
  assert.equal(
    welch({ mean: 1, std: 0, n: 1 }, { mean: 2, std: 0, n: 3 }),
    undefined,
    'one trial: no interval',
  );
  // AIPerf's own interval of a mean over trials: mean +- t(0.975, n-1) * std / sqrt(n).
  const [lo, hi] = tInterval({ mean: 50, std: 4, n: 5 })!;
  assert.ok(
    Math.abs(hi - 50 - 2.7764451051977934 * (4 / Math.sqrt(5))) < 1e-9 && Math.abs(lo + hi - 100) < 1e-12,
  );
});

test('bootstrap intervals are deterministic for a seed and move little with it', () => {
  const random = prng(3);
  const a = sample(400, () => expo(random, 100));
  const b = sample(400, () => expo(random, 120));
  const delta = (seed: number) =>
    bootstrapDelta(
      {
        value: computeStats(a).avg,
        dist: bootstrapDistribution(a, ['avg'], 2000, prng(seedOf(seed, 'a'))).avg!,
        n: 400,
      },
      {
        value: computeStats(b).avg,
        dist: bootstrapDistribution(b, ['avg'], 2000, prng(seedOf(seed, 'b'))).avg!,
        n: 400,
      },
    );
  assert.deepEqual(delta(1), delta(1));
  const width = delta(1).high - delta(1).low;
  for (const seed of [2, 3, 4]) {
    assert.ok(Math.abs(delta(seed).low - delta(1).low) < 0.1 * width, `seed ${seed}: low moved`);
    assert.ok(Math.abs(delta(seed).high - delta(1).high) < 0.1 * width, `seed ${seed}: high moved`);
  }
});
