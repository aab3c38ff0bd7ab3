import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type RunOptions, resolvePlanOptions, resolveRunOptions } from '../src/driver/options.js';
import type { RunHooks, RunOutcome } from '../src/driver/run.js';
import type { Summary } from '../src/metrics/summary.js';
import { goodFraction, runSweep, runTrials, searchMaxGoodput } from '../src/plan/run-plan.js';

/**
 * The plans' orchestration with a fake run (no sockets): which options each run gets, the
 * cool-downs, a stop between runs, and what counts. The real engine is in plan-mock.test.ts.
 */

function summary(over: Partial<Summary> = {}, rps = 10): Summary {
  return {
    source: 'mmload',
    label: 'x',
    metrics: {
      request_throughput: { unit: 'requests/sec', avg: rps },
      time_to_first_token: { unit: 'ms', avg: 50, p50: 50, p99: 60, min: 40, max: 70 },
    },
    requestCount: 10,
    errorCount: 0,
    errorsByKind: {},
    ...over,
  };
}

function outcome(o: RunOptions, s: Summary, extra: Partial<RunOutcome> = {}): RunOutcome {
  return {
    summary: s,
    artifactDir: o.artifactDir,
    files: [],
    unwritten: [],
    exitCode: 0,
    interrupted: false,
    observed: {},
    ...extra,
  };
}

async function base(over: Partial<RunOptions> = {}): Promise<RunOptions> {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-plan-'));
  const dataset = join(dir, 'd.jsonl');
  await writeFile(dataset, '{"session_id":"u","text":"hi"}\n');
  return resolveRunOptions({
    dataset,
    url: 'http://127.0.0.1:9',
    artifactDir: join(dir, 'plan'),
    seed: 7,
    warmupRequests: 2,
    ...over,
  });
}

test('trials: one run per trial with its seed and warm-up, cool-downs between them, then the aggregate', async () => {
  const o = await base();
  const seen: Array<Pick<RunOptions, 'artifactDir' | 'seed' | 'warmupRequests' | 'label'>> = [];
  const sleeps: number[] = [];
  const out = await runTrials(o, resolvePlanOptions({ trials: 3, trialCooldownS: 2, trialSeed: 'vary' }), {
    runPoint: async (p) => {
      seen.push({
        artifactDir: p.artifactDir,
        seed: p.seed,
        warmupRequests: p.warmupRequests,
        label: p.label,
      });
      return outcome(p, summary({}, 10 + seen.length));
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  assert.deepEqual(
    seen.map((s) => [s.artifactDir.slice(o.artifactDir.length), s.seed, s.warmupRequests, s.label]),
    [
      ['/profile_runs/run_0001', 7, 2, 'run_0001'],
      ['/profile_runs/run_0002', 8, 0, 'run_0002'],
      ['/profile_runs/run_0003', 9, 0, 'run_0003'],
    ],
  );
  assert.deepEqual(sleeps, [2000, 2000]);
  assert.equal(out.exitCode, 0);
  const rps = out.aggregate!.metrics.request_throughput_avg!;
  assert.deepEqual([rps.mean, rps.min, rps.max], [12, 11, 13]);
  const json = JSON.parse(
    await readFile(join(o.artifactDir, 'aggregate', 'profile_export_aiperf_aggregate.json'), 'utf8'),
  );
  assert.equal(json.metadata.cooldown_seconds, 2);
  assert.deepEqual(
    json.mmload.runs.map((r: { seed: number }) => r.seed),
    [7, 8, 9],
  );
});

test('a stop during a cool-down ends the plan there: no further run, the finished ones aggregated, exit 130', async () => {
  const o = await base();
  const stop = new AbortController();
  let runs = 0;
  const out = await runTrials(o, resolvePlanOptions({ trials: 4, trialCooldownS: 60 }), {
    stop: stop.signal,
    runPoint: async (p) => {
      runs++;
      return outcome(p, summary());
    },
    sleep: async () => {
      stop.abort('SIGINT');
    },
  });
  assert.equal(runs, 1);
  assert.equal(out.exitCode, 130);
  assert.equal(out.signal, 'SIGINT');
  assert.equal(out.aggregate!.numSuccessfulRuns, 1);
  assert.equal(out.aggregate!.singleRun, true);
});

test('a run stopped by a signal is kept but not counted; the plan stops after it (SIGTERM: 143)', async () => {
  const o = await base();
  let n = 0;
  const out = await runSweep(o, { param: 'concurrency', values: [1, 2, 4] }, resolvePlanOptions({}), {
    runPoint: async (p: RunOptions, _h: RunHooks) => {
      n++;
      const signal = p.concurrency === 2 ? ('SIGTERM' as const) : undefined;
      return outcome(p, summary({ wasCancelled: signal !== undefined }), {
        signal,
        interrupted: !!signal,
        exitCode: signal ? 143 : 0,
      });
    },
  });
  assert.equal(n, 2);
  assert.equal(out.exitCode, 143);
  assert.deepEqual(
    out.points!.map((p) => [p.value, p.cell !== undefined]),
    [
      [1, true],
      [2, false],
    ],
  );
  assert.match(out.runs[1]!.excluded!, /^stopped by SIGTERM: partial results in .*concurrency_2$/);
});

test('sweep exit code: a run above --max-error-rate makes the sweep exit 1; rates get AIPerf float dir names', async () => {
  const o = await base();
  const dirs: string[] = [];
  const out = await runSweep(o, { param: 'rate', values: [0.5, 2] }, resolvePlanOptions({}), {
    runPoint: async (p) => {
      dirs.push(p.artifactDir.slice(o.artifactDir.length));
      return outcome(p, summary(), { exitCode: p.requestRate === 2 ? 1 : 0 });
    },
  });
  assert.deepEqual(dirs, ['/rate_0.5', '/rate_2.0']);
  assert.equal(out.exitCode, 1);
});

test('the search runs the loads its planner asks for and pools trials; it needs --goodput', async () => {
  const o = await base();
  await assert.rejects(
    searchMaxGoodput(
      o,
      { param: 'concurrency', lo: 1, hi: 8 },
      resolvePlanOptions({ search: 'max-goodput' }),
    ),
    /needs --goodput/,
  );
  const g = await base({ goodput: 'time_to_first_token:100' });
  const asked: number[] = [];
  const out = await searchMaxGoodput(
    g,
    { param: 'concurrency', lo: 1, hi: 8 },
    resolvePlanOptions({ search: 'max-goodput', trials: 2 }),
    {
      runPoint: async (p) => {
        asked.push(p.concurrency);
        // 10 good of 10 up to concurrency 3, then 5 of 10 (and one failed request).
        const good = p.concurrency <= 3 ? 10 : 5;
        return outcome(
          p,
          summary({
            metrics: {
              request_throughput: { unit: 'requests/sec', avg: 10 },
              good_request_count: { unit: 'requests', avg: good },
              goodput: { unit: 'requests/sec', avg: good },
            },
            errorCount: p.concurrency <= 3 ? 0 : 1,
          }),
        );
      },
    },
  );
  assert.deepEqual(asked, [1, 1, 2, 2, 4, 4, 3, 3]);
  assert.equal(out.search!.feasibleMax, 3);
  assert.equal(out.search!.infeasibleMin, 4);
  assert.equal(out.exitCode, 0);
  assert.equal(out.points![2]!.goodFraction, 10 / 22, 'pooled: 2 x 5 good of 2 x 11 attempted');
  const history = JSON.parse(await readFile(join(g.artifactDir, 'search_history.json'), 'utf8'));
  assert.deepEqual(
    history.iterations.map((i: { feasible: boolean }) => i.feasible),
    [true, true, false, true],
  );
  assert.equal(goodFraction([]), undefined);
});

test('a run that ends on bad input (exit 2) ends the plan: every later run would too', async () => {
  const o = await base();
  const ran: number[] = [];
  const out = await runSweep(
    o,
    { param: 'concurrency', values: [1, 2, 4] },
    resolvePlanOptions({ trials: 2 }),
    {
      runPoint: async (p) => {
        ran.push(p.concurrency);
        return outcome(
          p,
          summary(),
          p.concurrency === 2 ? { exitCode: 2, abortReason: 'd.jsonl:7: field "text" ...' } : {},
        );
      },
    },
  );
  assert.deepEqual(ran, [1, 2]);
  assert.equal(out.exitCode, 2);
  assert.match(out.runs[1]!.excluded!, /^ended on bad input: d\.jsonl:7/);
});
