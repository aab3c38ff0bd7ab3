import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { cellValue } from '../src/plan/sweep.js';
import { smallDataset } from './driver-helpers.js';

// Built code: under tsx the embedded mock's worker thread cannot load its .ts entry (npm test builds dist/ first).
const { runPlanBenchmark } = (await import(
  new URL('../dist/harness/plan.js', import.meta.url).href
)) as typeof import('../src/harness/plan.js');

/**
 * Plans against the embedded mock, whose latency model is known: trials must bracket the
 * configured TTFT, and a sweep over a mock with a capacity must find its saturation point.
 */

// No prefill, image or jitter terms unless a test sets them: TTFT is the configured one.
const PLAIN_MOCK = { ttftMs: 40, itlMs: 4, imageEncodeMs: 0, prefillUsPerToken: 0, jitterMs: 0 };

test("trials: one sub-dir per trial, an aggregate whose TTFT interval holds the mock's mean TTFT", async () => {
  const { dir, path } = await smallDataset(1, 10);
  const base = join(dir, 'trials');
  // TTFT = 40 ms + uniform [0, 100) ms: its mean is 90 ms. The mock draws each request's jitter
  // from its seed and the request's index, so the trials see different draws from one
  // distribution, and the same draws on every machine (one session: requests in a fixed order).
  // With seed 15 the server's 3 trial means are 79.7, 92.9, 96.9 ms: a typical sample (mean
  // 89.9 ms, 95 % interval 67.5..112.2 ms), not one of the 1 in 20 whose interval misses. What
  // the client adds to each TTFT (network, parsing, the mock's timer: ~1 ms idle, 3-6 ms on this
  // shared 2-core machine under load, more on the first request of a run, hence one warm-up
  // request per trial) is small against the interval, so the interval is the server's.
  const out = await runPlanBenchmark(
    { dataset: path, artifactDir: base, maxTokens: 4, extraInputs: { ignore_eos: true }, warmupRequests: 1 },
    { trials: 3, trialCooldownS: 0.05, trialWarmup: 'every' },
    {},
    { mock: { ...PLAIN_MOCK, jitterMs: 100, seed: 15 }, report: false, announce: false },
  );
  assert.equal(out.exitCode, 0);
  assert.equal(out.kind, 'trials');
  assert.deepEqual(await readdir(join(base, 'profile_runs')), ['run_0001', 'run_0002', 'run_0003']);
  for (const r of out.runs) {
    assert.equal(r.outcome.summary.requestCount, 10);
    const files = await readdir(r.dir);
    assert.ok(files.includes('profile_export_mmload.json') && files.includes('records.jsonl'), r.dir);
  }
  const agg = JSON.parse(
    await readFile(join(base, 'aggregate', 'profile_export_aiperf_aggregate.json'), 'utf8'),
  );
  assert.equal(agg.metadata.num_profile_runs, 3);
  assert.equal(agg.metadata.num_successful_runs, 3);
  assert.equal(agg.metadata.confidence_level, 0.95);
  const ttft = agg.metrics.time_to_first_token_avg;
  assert.ok(
    ttft.ci_low <= 90 && 90 <= ttft.ci_high,
    `95 % interval [${ttft.ci_low}, ${ttft.ci_high}] holds 90 ms`,
  );
  // An interval that says something: it excludes the TTFT without jitter and the one with all of it.
  assert.ok(ttft.ci_low > 40 && ttft.ci_high < 140, `interval [${ttft.ci_low}, ${ttft.ci_high}]`);
  assert.ok(ttft.std > 0);
  // Each trial's own run_config records what the mock did during that trial only.
  const cfg = JSON.parse(await readFile(join(base, 'profile_runs', 'run_0003', 'run_config.json'), 'utf8'));
  assert.equal(cfg.embeddedMock.requests, 11, '10 measured and 1 warm-up request');
  const csv = await readFile(join(base, 'aggregate', 'profile_export_aiperf_aggregate.csv'), 'utf8');
  assert.match(csv, /^metric,mean,std,min,max,cv,se,ci_low,ci_high,t_critical,unit\r\n/);
  assert.match(csv, /\r\nTotal Runs,3\r\n/);
});

test('a 4-point concurrency sweep finds the knee of a mock with capacity 4 (within one step)', async () => {
  const { dir, path } = await smallDataset(8, 4);
  const base = join(dir, 'sweep');
  // Service time ~ 50 + 7 x 5 = 85 ms; each request beyond 4 in flight adds ~85 / 4 ms: the
  // throughput stops growing at 4 sessions.
  const out = await runPlanBenchmark(
    { dataset: path, artifactDir: base, maxTokens: 8, extraInputs: { ignore_eos: true } },
    {},
    { sweep: { param: 'concurrency', values: [1, 2, 4, 8] } },
    {
      mock: { ...PLAIN_MOCK, ttftMs: 50, itlMs: 5, capacity: 4, queueMsPerRequest: 22 },
      announce: false,
    },
  );
  assert.equal(out.exitCode, 0);
  const entries = (await readdir(base)).sort();
  assert.deepEqual(entries, [
    'aggregate',
    'concurrency_1',
    'concurrency_2',
    'concurrency_4',
    'concurrency_8',
    'report.html',
    'sweep_aggregate',
  ]);
  // The sweep's report: its curve with the knee ringed; each point keeps its own report.
  const html = await readFile(join(base, 'report.html'), 'utf8');
  assert.match(html, /<h2>Load sweeps<\/h2>/);
  assert.match(html, /class="knee"/);
  assert.ok((await readdir(join(base, 'concurrency_8'))).includes('report.html'));
  const sweep = JSON.parse(
    await readFile(join(base, 'sweep_aggregate', 'profile_export_aiperf_sweep.json'), 'utf8'),
  );
  assert.deepEqual(sweep.metadata.sweep_parameters, [{ name: 'concurrency', values: [1, 2, 4, 8] }]);
  const rps = sweep.per_combination_metrics.map(
    (c: { metrics: Record<string, Record<string, number>> }) => c.metrics.request_throughput!.avg,
  );
  const ttftP50 = out.points!.map((p) => cellValue(p.cell!.metrics, 'time_to_first_token', 'p50')!.value);
  assert.equal(out.points![out.knee!]!.value, 4, `knee at 4: RPS ${rps.map((v: number) => v.toFixed(2))}`);
  assert.deepEqual(sweep.mmload.knee, { concurrency: 4 });
  // Below the capacity TTFT is the model's; at 8 each request waits for 4 others.
  assert.ok(ttftP50[2]! < 50 + 15, `TTFT p50 at 4: ${ttftP50[2]}`);
  assert.ok(ttftP50[3]! > 50 + 4 * 22 - 10, `TTFT p50 at 8: ${ttftP50[3]}`);
  for (const c of [1, 2, 4, 8]) {
    const agg = JSON.parse(
      await readFile(
        join(base, 'aggregate', `concurrency_${c}`, 'profile_export_aiperf_aggregate.json'),
        'utf8',
      ),
    );
    assert.equal(agg.metadata.single_run, true);
    assert.deepEqual(agg.metadata.variation_values, { 'phases.profiling.concurrency': c });
  }
});

test('max-goodput search finds the capacity of the mock within one step, and writes every point it tried', async () => {
  // 32 one-turn sessions: at concurrency c a new session starts the moment one ends, so every
  // request after the first burst arrives with c in flight (no session tails to thin the load).
  const { dir, path } = await smallDataset(32, 1);
  const base = join(dir, 'search');
  // TTFT 100 ms up to 4 requests in flight, 150 ms at 5: an objective of TTFT <= 125 ms is met
  // at concurrency 4 and missed at 5 with 25 ms to spare both ways (a loaded machine delays some
  // first tokens by tens of ms: 80 % attainment leaves room for 6 of 32 at 4). At 5 only the
  // first burst of 4 is good (12.5 %).
  const out = await runPlanBenchmark(
    {
      dataset: path,
      artifactDir: base,
      maxTokens: 8,
      extraInputs: { ignore_eos: true },
      goodput: 'time_to_first_token:125',
    },
    { search: 'max-goodput', sloAttainment: 0.8 },
    { search: { param: 'concurrency', lo: 1, hi: 8 } },
    {
      mock: { ...PLAIN_MOCK, ttftMs: 100, itlMs: 5, capacity: 4, queueMsPerRequest: 50 },
      report: false,
      announce: false,
    },
  );
  assert.equal(out.exitCode, 0);
  assert.equal(out.search!.feasibleMax, 4);
  assert.equal(out.search!.infeasibleMin, 5);
  assert.equal(out.search!.reason, 'monotonic_precision_reached');
  const tried = out.points!.map((p) => p.value);
  assert.deepEqual(tried, [1, 2, 4, 8, 6, 5]);
  const history = JSON.parse(await readFile(join(base, 'search_history.json'), 'utf8'));
  assert.equal(history.recipe, 'max-goodput-under-slo');
  assert.equal(history.convergence_reason, 'monotonic_precision_reached');
  assert.deepEqual(
    history.iterations.map(
      (i: { variation_values: Record<string, number> }) => i.variation_values['phases.profiling.concurrency'],
    ),
    tried,
  );
  assert.deepEqual(
    history.iterations.map((i: { feasible: boolean }) => i.feasible),
    [true, true, true, false, false, false],
  );
  assert.equal(history.boundary_summary.feasible_max.value, 4);
  assert.equal(history.boundary_summary.infeasible_min.first_breach.metric_tag, 'good_request_fraction');
  assert.ok(history.boundary_summary.infeasible_min.first_breach.observed < 0.8);
  assert.equal(history.best_trials[0].variation_values['phases.profiling.concurrency'], 4);
  // Every point tried is a normal run in AIPerf's search layout.
  for (let i = 0; i < tried.length; i++) {
    const files = await readdir(join(base, `search_iter_000${i}`, 'profile_runs', 'run_0001'));
    assert.ok(files.includes('profile_export_mmload.json'));
  }
  const sweep = JSON.parse(
    await readFile(join(base, 'sweep_aggregate', 'profile_export_aiperf_sweep.json'), 'utf8'),
  );
  assert.equal(sweep.metadata.sla_constraints.feasible_count, 3);
  assert.equal(sweep.metadata.sla_constraints.infeasible_count, 3);
});

test('goodput of a sweep point equals the count of good requests in its records.jsonl', async () => {
  const { dir, path } = await smallDataset(6, 3);
  const base = join(dir, 'good');
  const out = await runPlanBenchmark(
    {
      dataset: path,
      artifactDir: base,
      maxTokens: 8,
      extraInputs: { ignore_eos: true },
      goodput: 'time_to_first_token:150',
    },
    {},
    { sweep: { param: 'concurrency', values: [2, 6] } },
    {
      mock: { ...PLAIN_MOCK, ttftMs: 100, itlMs: 5, capacity: 3, queueMsPerRequest: 100 },
      report: false,
      announce: false,
    },
  );
  assert.equal(out.exitCode, 0);
  for (const p of out.points!) {
    const run = p.runs[0]!;
    // Independently of the collector: read each request's TTFT back from records.jsonl.
    const lines = (await readFile(join(run.dir, 'records.jsonl'), 'utf8')).trim().split('\n');
    let good = 0;
    let attempted = 0;
    for (const line of lines) {
      const r = JSON.parse(line);
      if (r.metadata.benchmark_phase !== 'profiling') continue;
      attempted++;
      if (!r.error && r.metrics.time_to_first_token.value <= 150) good++;
    }
    const s = run.outcome.summary;
    assert.equal(s.metrics.good_request_count!.avg, good, `concurrency ${p.value}`);
    assert.equal(p.goodFraction, good / attempted);
  }
  // Capacity 3: at 2 sessions TTFT is 100 ms, at 6 most requests wait 300 ms more.
  assert.ok(out.points![0]!.goodFraction! > 0.5, `at 2: ${out.points![0]!.goodFraction}`);
  assert.ok(out.points![1]!.goodFraction! < 0.5, `at 6: ${out.points![1]!.goodFraction}`);
});
