import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { computeStats, PERCENTILE_KEYS } from '../src/metrics/statistics.js';

test('computeStats on 1..5 equals hand-computed values', () => {
  const s = computeStats([5, 1, 4, 2, 3]);
  assert.equal(s.count, 5);
  assert.equal(s.sum, 15);
  assert.equal(s.avg, 3);
  assert.equal(s.min, 1);
  assert.equal(s.max, 5);
  // population std: sqrt((4+1+0+1+4)/5) = sqrt(2)
  assert.equal(s.std, Math.SQRT2);
  // linear interpolation at (n-1)*q: p50 -> index 2 -> 3; p25 -> index 1 -> 2; p90 -> 3.6 -> 4.6
  assert.equal(s.p50, 3);
  assert.equal(s.p25, 2);
  assert.ok(Math.abs(s.p90 - 4.6) < 1e-12);
  assert.ok(Math.abs(s.p99 - 4.96) < 1e-12);
  assert.ok(Math.abs(s.p1 - 1.04) < 1e-12);
});

test('computeStats on two values interpolates between them', () => {
  const s = computeStats([10, 20]);
  assert.equal(s.p50, 15);
  assert.ok(Math.abs(s.p10 - 11) < 1e-12);
  assert.equal(s.std, 5);
});

test('computeStats of one value: every percentile is that value, std 0', () => {
  const s = computeStats([7.5]);
  for (const k of PERCENTILE_KEYS) assert.equal(s[k], 7.5);
  assert.equal(s.std, 0);
});

test('computeStats of nothing has count 0 and NaN statistics', () => {
  const s = computeStats([]);
  assert.equal(s.count, 0);
  assert.ok(Number.isNaN(s.p50));
});

test('computeStats does not reorder its input', () => {
  const v = [3, 1, 2];
  computeStats(v);
  assert.deepEqual(v, [3, 1, 2]);
});

test('computeStats equals numpy (fixtures/numpy/statistics-cases.json) on random data', () => {
  const doc = JSON.parse(
    readFileSync(new URL('../fixtures/numpy/statistics-cases.json', import.meta.url), 'utf8'),
  ) as {
    cases: { name: string; values: number[]; expected: Record<string, number> }[];
  };
  assert.ok(doc.cases.length >= 10);
  for (const c of doc.cases) {
    const s = computeStats(c.values) as unknown as Record<string, number>;
    for (const [k, want] of Object.entries(c.expected)) {
      const got = s[k] as number;
      // percentiles, min and max use numpy's exact arithmetic; sums differ only by summation order
      const tol = ['avg', 'sum', 'std'].includes(k) ? 1e-12 * Math.max(1, Math.abs(want)) : 0;
      assert.ok(Math.abs(got - want) <= tol, `${c.name} ${k}: got ${got}, numpy ${want}`);
    }
  }
});
