import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { readResult } from '../src/metrics/readers.js';
import { tCdf } from '../src/metrics/significance.js';
import { confidenceCsvText, confidenceJsonText } from '../src/plan/aggregate-files.js';
import { aggregateTrials, confidenceOf, tCritical } from '../src/plan/confidence.js';

const FX = 'fixtures/aiperf/trials-real';

// scipy.stats.t.ppf(1 - (1 - level) / 2, df), scipy 1.x in AIPerf's venv.
const SCIPY: Array<[df: number, level: number, t: number]> = [
  [1, 0.8, 3.0776835371752544],
  [1, 0.95, 12.706204736174694],
  [1, 0.999, 636.6192487687897],
  [2, 0.9, 2.9199855803537242],
  [2, 0.95, 4.302652729749462],
  [2, 0.99, 9.924843200918287],
  [3, 0.95, 3.1824463052837078],
  [4, 0.95, 2.7764451051977934],
  [5, 0.99, 4.032142983555228],
  [9, 0.95, 2.262157162798205],
  [19, 0.9, 1.7291328115213682],
  [29, 0.999, 3.6594050194663748],
  [100, 0.8, 1.290074761346516],
  [100, 0.95, 1.9839715185235518],
];

test("t critical values agree with scipy's t.ppf to 1e-9", () => {
  for (const [df, level, want] of SCIPY) {
    const got = tCritical(level, df);
    assert.ok(Math.abs(got - want) / want < 1e-9, `df ${df} level ${level}: ${got} vs ${want}`);
  }
  assert.ok(Math.abs(tCdf(0, 3) - 0.5) < 1e-15);
  assert.ok(Math.abs(tCdf(-4.302652729749462, 2) - 0.025) < 1e-12);
});

test('confidenceOf: sample std (ddof 1), se, t interval; one value has no interval; a zero mean has cv inf', () => {
  const c = confidenceOf([10, 12, 14], 0.95, 'ms');
  assert.equal(c.mean, 12);
  assert.equal(c.std, 2);
  assert.ok(Math.abs(c.se - 2 / Math.sqrt(3)) < 1e-12);
  assert.ok(Math.abs(c.ci_high - (12 + 4.302652729749462 * c.se)) < 1e-9);
  assert.ok(Math.abs(c.ci_low + c.ci_high - 24) < 1e-9);
  assert.equal(c.cv, 2 / 12);
  const one = confidenceOf([7], 0.95, 'ms');
  assert.deepEqual([one.std, one.se, one.ci_low, one.ci_high, one.cv], [0, 0, 7, 7, 0]);
  assert.ok(Number.isNaN(one.t_critical));
  assert.equal(confidenceOf([0, 0], 0.9, 'tokens').cv, Number.POSITIVE_INFINITY);
});

test("AIPerf's own three runs, aggregated by mmload, give AIPerf's aggregate figure for figure", async () => {
  const runs = [];
  for (const r of ['run_0001', 'run_0002', 'run_0003'])
    runs.push({ label: r, summary: await readResult(`${FX}/profile_runs/${r}/profile_export_aiperf.json`) });
  const mine = aggregateTrials(runs, 0.95)!;
  const theirs = JSON.parse(await readFile(`${FX}/aggregate/profile_export_aiperf_aggregate.json`, 'utf8'));
  assert.deepEqual(Object.keys(mine.metrics).sort(), Object.keys(theirs.metrics).sort());
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  for (const [key, t] of Object.entries(theirs.metrics) as Array<
    [string, Record<string, number | string | null>]
  >) {
    const m = mine.metrics[key]!;
    for (const f of ['mean', 'std', 'min', 'max', 'se', 'ci_low', 'ci_high', 't_critical'] as const)
      assert.ok(close(m[f], t[f] as number), `${key}.${f}: ${m[f]} vs ${t[f]}`);
    // AIPerf writes an infinite cv (a zero mean) as null.
    if (t.cv === null) assert.equal(m.cv, Number.POSITIVE_INFINITY, key);
    else assert.ok(close(m.cv, t.cv as number), `${key}.cv`);
    assert.equal(m.unit, t.unit, `${key}.unit`);
  }

  // The files mmload writes have AIPerf's layout: same keys, same metadata, same CSV rows.
  const meta = { cooldownSeconds: 0.5 };
  const json = JSON.parse(confidenceJsonText(mine, meta, { label: 'x' }));
  assert.deepEqual(Object.keys(json), ['schema_version', 'metadata', 'metrics', 'mmload']);
  assert.equal(json.schema_version, theirs.schema_version);
  assert.deepEqual(json.metadata, theirs.metadata);
  assert.deepEqual(
    Object.keys(json.metrics.time_to_first_token_avg),
    Object.keys(theirs.metrics.time_to_first_token_avg),
  );
  assert.equal(json.metrics.tokens_in_flight_min.cv, null);

  const csv = confidenceCsvText(mine, meta);
  const theirCsv = await readFile(`${FX}/aggregate/profile_export_aiperf_aggregate.csv`, 'utf8');
  const rows = (text: string) => text.split('\r\n');
  const [mineHead, ...mineRest] = rows(csv);
  const [theirHead, ...theirRest] = rows(theirCsv);
  assert.equal(mineHead, theirHead);
  // AIPerf's metric order is a Python set's: compare the rows by metric name, every one of them
  // byte for byte (the fixture is fixed, so no value can move across a rounding boundary).
  const byName = (lines: string[]) =>
    new Map(lines.filter((l) => l.includes(',')).map((l) => [l.split(',')[0]!, l]));
  const a = byName(mineRest);
  const b = byName(theirRest);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [k, line] of b) assert.equal(a.get(k), line, k);
  // The metadata rows at the end, exactly.
  assert.deepEqual(mineRest.slice(-7), theirRest.slice(-7));
});
