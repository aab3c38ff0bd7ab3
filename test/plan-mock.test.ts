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
  // TTFT = 40 ms + uniform [0, 40) ms: its mean is 60 ms. The mock draws each request's jitter
  // from its seed and the request's index, so the trials see different draws from one distribution.
  const out = await runPlanBenchmark(
    { dataset: path, artifactDir: base, maxTokens: 4, extraInputs: { ignore_eos: true } },
    { trials: 5, trialCooldownS: 0.05 },
    {},
    { mock: { ...PLAIN_MOCK, jitterMs: 40, seed: 11 }, report: false, announce: false },
  );
  assert.equal(out.exitCode, 0);
  assert.equal(out.kind, 'trials');
  assert.deepEqual(await readdir(join(base, 'profile_runs')), [
    'run_0001',
    'run_0002',
    'run_0003',
    'run_0004',
    'run_0005',
  ]);
  for (const r of out.runs) {
    assert.equal(r.outcome.summary.requestCount, 10);
    const files = await readdir(r.dir);
    assert.ok(files.includes('profile_export_mmload.json') && files.includes('records.jsonl'), r.dir);
  }
  const agg = JSON.parse(
    await readFile(join(base, 'aggregate', 'profile_export_aiperf_aggregate.json'), 'utf8'),
  );
  assert.equal(agg.metadata.num_profile_runs, 5);
  assert.equal(agg.metadata.num_successful_runs, 5);
  assert.equal(agg.metadata.confidence_level, 0.95);
  const ttft = agg.metrics.time_to_first_token_avg;
  assert.ok(
    ttft.ci_low <= 60 && 60 <= ttft.ci_high,
    `95 % interval [${ttft.ci_low}, ${ttft.ci_high}] holds 60 ms`,
  );
  // An interval that says something: the trial means scatter by ~4 ms, the interval is not wide open.
  assert.ok(ttft.ci_high - ttft.ci_low < 20, `interval width ${ttft.ci_high - ttft.ci_low}`);
  assert.ok(ttft.std > 0);
  // Each trial's own run_config records what the mock did during that trial only.
  const cfg = JSON.parse(await readFile(join(base, 'profile_runs', 'run_0003', 'run_config.json'), 'utf8'));
  assert.equal(cfg.embeddedMock.requests, 10);
  const csv = await readFile(join(base, 'aggregate', 'profile_export_aiperf_aggregate.csv'), 'utf8');
  assert.match(csv, /^metric,mean,std,min,max,cv,se,ci_low,ci_high,t_critical,unit\r\n/);
  assert.match(csv, /\r\nTotal Runs,5\r\n/);
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
      report: false,
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
    'sweep_aggregate',
  ]);
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
