import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { readResult } from '../src/metrics/readers.js';
import { type SweepFileInput, sweepCsvText, sweepJsonText } from '../src/plan/aggregate-files.js';
import { aggregateDir, pointDirName, runDir, sweepAggregateDir } from '../src/plan/layout.js';
import { MonotonicSearch } from '../src/plan/search.js';
import { bestConfigurations, cellStats, cellValue, findKnee, paretoOptimal } from '../src/plan/sweep.js';

const FX = 'fixtures/aiperf/sweep-real';

test("AIPerf's layout: directory names and places of runs and aggregates", () => {
  assert.equal(pointDirName('concurrency', 4), 'concurrency_4');
  assert.equal(pointDirName('rate', 2), 'rate_2.0');
  assert.equal(pointDirName('rate', 0.5), 'rate_0.5');
  assert.equal(runDir('b', 'trials', 3, 0), 'b/profile_runs/run_0001');
  assert.equal(runDir('b', 'sweep', 1, 0, { param: 'concurrency', value: 8 }), 'b/concurrency_8');
  assert.equal(runDir('b', 'sweep', 2, 1, { param: 'rate', value: 1 }), 'b/profile_runs/trial_0002/rate_1.0');
  assert.equal(
    runDir('b', 'search', 1, 0, { param: 'concurrency', value: 6, iteration: 4 }),
    'b/search_iter_0004/profile_runs/run_0001',
  );
  assert.equal(aggregateDir('b'), 'b/aggregate');
  assert.equal(aggregateDir('b', { param: 'concurrency', value: 2 }), 'b/aggregate/concurrency_2');
  assert.equal(sweepAggregateDir('b', 1), 'b/sweep_aggregate');
  assert.equal(sweepAggregateDir('b', 3), 'b/aggregate/sweep_aggregate');
});

test("a single-trial sweep of AIPerf's own runs gives AIPerf's sweep cells and table", async () => {
  const theirs = JSON.parse(await readFile(`${FX}/sweep_aggregate/profile_export_aiperf_sweep.json`, 'utf8'));
  const cells = [];
  for (const c of [1, 2]) {
    const summary = await readResult(`${FX}/concurrency_${c}/profile_export_aiperf.json`);
    cells.push({
      parameters: { concurrency: c },
      metrics: cellStats([{ label: 'run_0001', summary }], 0.95)!,
    });
  }
  for (let i = 0; i < 2; i++) {
    const want = theirs.per_combination_metrics[i];
    assert.deepEqual(cells[i]!.parameters, want.parameters);
    assert.deepEqual(Object.keys(cells[i]!.metrics).sort(), Object.keys(want.metrics).sort());
    for (const [tag, stats] of Object.entries(want.metrics) as Array<[string, Record<string, unknown>]>)
      assert.deepEqual(cells[i]!.metrics[tag], stats, tag);
  }
  const input: SweepFileInput = {
    param: 'concurrency',
    values: [1, 2],
    cells,
    numRuns: 2,
    numSuccessfulRuns: 2,
    failedRuns: [],
    confidenceLevel: 0.95,
    trialsPerValue: 1,
    bestConfigurations: bestConfigurations(cells),
    paretoOptimal: paretoOptimal(cells),
  };
  const json = JSON.parse(sweepJsonText(input, { label: 'x' }));
  assert.deepEqual(Object.keys(json), [...Object.keys(theirs), 'mmload']);
  assert.deepEqual(json.metadata, theirs.metadata);
  // AIPerf looks its best configurations up by flattened keys only, so its single-trial sweeps have
  // none; mmload reads the single-trial cells too.
  assert.deepEqual(theirs.best_configurations, {});
  assert.deepEqual(json.best_configurations.best_throughput.parameters, { concurrency: 2 });
  const mine = sweepCsvText(input).split('\r\n');
  const theirCsv = (await readFile(`${FX}/sweep_aggregate/profile_export_aiperf_sweep.csv`, 'utf8')).split(
    '\r\n',
  );
  assert.deepEqual(mine.slice(0, 3), theirCsv.slice(0, 3), 'the per-point table, byte for byte');
  assert.deepEqual(mine.slice(-8), theirCsv.slice(-8), 'the metadata section');
  // goodput and its fraction are read from AIPerf's cells like any metric.
  assert.equal(cellValue(cells[0]!.metrics, 'good_request_fraction', 'avg')?.value, 0.5);
});

test('cells over several trials hold the flattened keys with intervals; cellValue reads both shapes', () => {
  const summary = (rps: number, ttftP99: number) => ({
    source: 'mmload' as const,
    label: 'x',
    metrics: {
      request_throughput: { unit: 'requests/sec', avg: rps },
      time_to_first_token: { unit: 'ms', avg: ttftP99 / 2, p99: ttftP99, min: 1, max: ttftP99 },
    },
    requestCount: 10,
    errorCount: 0,
    errorsByKind: {},
  });
  const cell = cellStats(
    [
      { label: 'run_0001', summary: summary(10, 100) },
      { label: 'run_0002', summary: summary(12, 120) },
      { label: 'run_0003', summary: summary(11, 110), error: 'stopped by SIGINT' },
    ],
    0.95,
  )!;
  const v = cellValue(cell, 'time_to_first_token', 'p99')!;
  assert.equal(v.value, 110);
  assert.ok(v.ciLow! < 110 && v.ciHigh! > 110);
  assert.equal(cellValue(cell, 'request_throughput', 'avg')!.value, 11);
  assert.equal(cell.request_throughput_avg!.std, Math.SQRT2);
});

test('knee: the last point where more load still bought throughput', () => {
  const pts = (loads: number[], t: number[]) => loads.map((load, i) => ({ load, throughput: t[i]! }));
  assert.equal(findKnee(pts([1, 2, 4, 8, 16], [1, 2, 4, 4.1, 4])), 2);
  assert.equal(findKnee(pts([1, 2, 4, 8], [1, 1.95, 3.8, 7.5])), undefined, 'still scaling');
  assert.equal(findKnee(pts([1, 2, 3], [1, 1.2, 1.3])), 0);
  assert.equal(findKnee(pts([4], [4])), undefined);
});

test("the search follows AIPerf's monotonic planner: doubling, then bisection to one step", () => {
  const run = (
    lo: number,
    hi: number,
    ok: (v: number) => boolean,
    param: 'concurrency' | 'rate' = 'concurrency',
  ) => {
    const s = new MonotonicSearch({ param, lo, hi, precision: 0.05, maxIterations: 30 });
    const tried: number[] = [];
    for (let v = s.ask(); v !== undefined; v = s.ask()) {
      tried.push(v);
      s.tell(v, ok(v));
    }
    return { tried, s };
  };
  const a = run(1, 16, (v) => v <= 4);
  assert.deepEqual(a.tried, [1, 2, 4, 8, 6, 5]);
  assert.equal(a.s.feasibleMax, 4);
  assert.equal(a.s.infeasibleMin, 5);
  assert.equal(a.s.convergenceReason, 'monotonic_precision_reached');
  const b = run(1, 10, () => true);
  assert.deepEqual(b.tried, [1, 2, 4, 8, 10]);
  assert.equal(b.s.convergenceReason, 'monotonic_no_failure_in_range');
  const c = run(2, 10, () => false);
  assert.deepEqual(c.tried, [2]);
  assert.equal(c.s.convergenceReason, 'monotonic_no_pass_in_range');
  const d = run(0.5, 8, (v) => v <= 3, 'rate');
  assert.ok(d.s.feasibleMax! <= 3 && (d.s.infeasibleMin! - d.s.feasibleMax!) / d.s.infeasibleMin! < 0.05);
  assert.ok(d.s.feasibleMax! > 3 * 0.95);
});
