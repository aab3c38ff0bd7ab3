import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { NOTES } from '../src/metrics/compare.js';
import { compareSweeps, formatSweepComparison } from '../src/metrics/sweep-compare.js';
import { sweepJsonText } from '../src/plan/aggregate-files.js';
import { readSweep } from '../src/plan/read-sweep.js';
import type { CellStats } from '../src/plan/sweep.js';
import { isSweepSpec, loadSweepForReport } from '../src/report/from-sweep.js';
import { renderReport } from '../src/report/html.js';

const AIPERF_SWEEP = 'fixtures/aiperf/sweep-real';

/** A single-trial cell as a sweep file holds it: RPS, TTFT and ITL percentiles. */
function cell(rps: number, ttftP99: number): CellStats {
  return {
    request_throughput: {
      mean: rps,
      avg: rps,
      std: 0,
      min: rps,
      max: rps,
      cv: 0,
      ci_low: rps,
      ci_high: rps,
      unit: 'requests/sec',
    },
    time_to_first_token: { mean: ttftP99 / 2, avg: ttftP99 / 2, p50: ttftP99 / 2, p99: ttftP99, unit: 'ms' },
    inter_token_latency: { mean: 5, avg: 5, p50: 5, p99: 6, unit: 'ms' },
  };
}

/** An mmload sweep file alone (no point runs beside it): loads 1, 2, 4, 8 of a server saturating at 4. */
async function syntheticSweep(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-sweep-'));
  const cells = [
    { parameters: { concurrency: 1 }, metrics: cell(10, 60) },
    { parameters: { concurrency: 2 }, metrics: cell(20, 62) },
    { parameters: { concurrency: 4 }, metrics: cell(39, 65) },
    { parameters: { concurrency: 8 }, metrics: cell(41, 300) },
  ];
  await mkdir(join(dir, 'sweep_aggregate'));
  await writeFile(
    join(dir, 'sweep_aggregate', 'profile_export_aiperf_sweep.json'),
    sweepJsonText(
      {
        param: 'concurrency',
        values: [1, 2, 4, 8],
        cells,
        numRuns: 4,
        numSuccessfulRuns: 4,
        failedRuns: [],
        confidenceLevel: 0.95,
        trialsPerValue: 1,
        bestConfigurations: {},
        paretoOptimal: [],
      },
      { label: 'vllm', knee: { concurrency: 4 } },
    ),
  );
  return dir;
}

test("AIPerf's own sweep reads as a sweep: its points, their runs and its --goodput objective", async () => {
  assert.ok(await isSweepSpec(AIPERF_SWEEP));
  assert.ok(await isSweepSpec(`aip=${AIPERF_SWEEP}`));
  assert.ok(!(await isSweepSpec('fixtures/aiperf/real-small')));
  const s = await readSweep(`aip=${AIPERF_SWEEP}`);
  assert.equal(s.label, 'aip');
  assert.equal(s.source, 'aiperf');
  assert.equal(s.param, 'concurrency');
  assert.deepEqual(
    s.points.map((p) => p.load),
    [1, 2],
  );
  assert.ok(s.points.every((p) => p.dir?.endsWith(`concurrency_${p.load}`)));
  const { curve, runs } = await loadSweepForReport(`aip=${AIPERF_SWEEP}`);
  assert.deepEqual(
    runs.map((r) => r.label),
    ['aip concurrency_1', 'aip concurrency_2'],
  );
  assert.deepEqual(
    curve.objectives?.map((o) => [o.tag, o.threshold]),
    [['time_to_first_token', 25]],
  );
});

test('the report draws one curve per sweep, rings the knee and marks the objective', async () => {
  const mine = await readSweep(await syntheticSweep());
  assert.equal(mine.source, 'mmload');
  assert.equal(mine.label, 'vllm');
  assert.equal(mine.knee, 4);
  const aip = await loadSweepForReport(`aip=${AIPERF_SWEEP}`);
  const html = renderReport(aip.runs, { sweeps: [{ sweep: mine }, aip.curve] });
  assert.match(html, /<h2>Load sweeps<\/h2>/);
  const ttftChart = html.slice(
    html.indexOf('TTFT p99 against throughput'),
    html.indexOf('ITL p99 against throughput'),
  );
  assert.equal((ttftChart.match(/<g class="series"/g) ?? []).length, 2, 'one curve per sweep');
  assert.equal(
    (ttftChart.match(/class="knee"/g) ?? []).length,
    1,
    "the knee of the sweep that has one (AIPerf's two points scale)",
  );
  assert.match(ttftChart, /SLO &#60;= 25 ms \(aip\)/);
  // A sweep read from its aggregate alone (no runs beside it) still makes a report.
  const alone = renderReport([], { sweeps: [{ sweep: mine }] });
  assert.match(alone, /knee at concurrency 4/);
});

test('compare: two sweeps point by point, at the loads both have', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-sweepcmp-'));
  await cp(AIPERF_SWEEP, join(dir, 'b'), { recursive: true });
  // The second sweep lacks its concurrency 2: only concurrency 1 is compared.
  const sweepFile = join(dir, 'b', 'sweep_aggregate', 'profile_export_aiperf_sweep.json');
  const doc = JSON.parse(await readFile(sweepFile, 'utf8'));
  doc.per_combination_metrics = doc.per_combination_metrics.slice(0, 1);
  await writeFile(sweepFile, JSON.stringify(doc));
  const c = await compareSweeps([`a=${AIPERF_SWEEP}`, `b=${join(dir, 'b')}`], { seed: 1 });
  assert.deepEqual(
    c.points.map((p) => p.load),
    [1],
  );
  assert.deepEqual(c.unmatched, [{ label: 'a', loads: [2] }]);
  const rows = c.points[0]!.comparison.rows;
  assert.deepEqual(
    rows.map((r) => [r.label, r.baseline]),
    [
      ['a', true],
      ['b', false],
    ],
  );
  // The same run on both sides: no change. Its records were found (6 requests: too few for a
  // bootstrap interval, which the note says, rather than "no per-request records").
  assert.equal(rows[1]!.cells.ttft_avg!.deltaPct, 0);
  assert.equal(rows[1]!.cells.ttft_avg!.note, NOTES.fewRecords);
  const table = formatSweepComparison(c, 'table');
  assert.match(table, /^concurrency 1\n/);
  assert.match(table, /Not compared \(not in every sweep\): a: concurrency 2/);
  const csv = formatSweepComparison(c, 'csv').split('\n');
  assert.match(csv[0]!, /^concurrency,config,/);
  assert.match(csv[1]!, /^1,a,aiperf,true,/);
  await assert.rejects(compareSweeps([AIPERF_SWEEP, AIPERF_SWEEP]), /two sweeps are labelled "sweep-real"/);
});
