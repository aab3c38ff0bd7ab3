import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { mmload, waitFor } from './cli-helpers.js';
import { smallDataset } from './driver-helpers.js';

/** `mmload run` with trials, lists of loads and --search, as a user types them (built CLI). */

const FAST = [
  '--max-tokens',
  '4',
  '--extra-inputs',
  'ignore_eos:true',
  '--mock-ttft-ms',
  '5',
  '--mock-itl-ms',
  '1',
];

test('bad plan flags are refused before any run, naming the flag and the value as typed (exit 2)', async () => {
  const { dir, path } = await smallDataset(2, 2);
  const cases: Array<[string[], RegExp]> = [
    [['--concurrency', '1,x'], /^mmload: --concurrency 1,x: x is not a number$/m],
    [['--concurrency', '1,2.5'], /^mmload: --concurrency 2.5: must be a whole number >= 1$/m],
    [['--concurrency', '1,,4'], /^mmload: --concurrency 1,,4: an empty value in the list$/m],
    [['--request-rate', '1,-2'], /^mmload: --request-rate -2: must be a positive number of requests\/s$/m],
    [['--concurrency', '1,2', '--request-rate', '1,2'], /sweep one of them at a time/],
    [['--concurrency', '2,2'], /--concurrency 2,2: a value is repeated/],
    [['--search', 'max-goodput'], /give its bounds as --concurrency LO,HI or --request-rate LO,HI/],
    [['--search', 'max-goodput', '--concurrency', '1,4,8'], /\(got 3 values\)/],
    [['--search', 'max-goodput', '--concurrency', '1,8'], /--search max-goodput needs --goodput/],
    [['--trials', '0'], /^mmload: --trials 0: must be a whole number >= 1$/m],
    [
      ['--trials', '2', '--shard', '0/2'],
      /^mmload: --shard: trials, sweeps and searches run on one machine/m,
    ],
    [
      ['--trials', '2', '--confidence-level', '1.5'],
      /^mmload: --confidence-level 1.5: must be between 0 and 1/m,
    ],
  ];
  for (const [flags, message] of cases) {
    const r = await mmload(['run', path, '--artifact-dir', join(dir, 'never'), ...flags]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, flags.join(' '));
    assert.ok(!existsSync(join(dir, 'never', 'profile_runs')), 'no run started');
  }
  // crosscheck takes one value per load flag.
  const x = await mmload(['crosscheck', path, '--concurrency', '1,2', '--artifact-dir', join(dir, 'x')]);
  assert.equal(x.code, 2);
  assert.match(x.stderr, /--concurrency 1,2: not a number/);
});

test('--trials: the trials table on stdout, the aggregate in AIPerf layout, exit 0', async () => {
  const { dir, path } = await smallDataset(2, 2);
  const base = join(dir, 'tr');
  const r = await mmload(['run', path, ...FAST, '--trials', '2', '--artifact-dir', base]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /95 % CI/);
  assert.match(r.stdout, /^TTFT p99 \(ms\) /m);
  assert.match(r.stderr, /\[trial 2\/2\] 4 ok, 0 failed/);
  assert.match(r.stderr, /trials: 2 run\(s\) \| results in /);
  assert.deepEqual((await readdir(base)).sort(), ['aggregate', 'profile_runs', 'report.html']);
  const agg = JSON.parse(
    await readFile(join(base, 'aggregate', 'profile_export_aiperf_aggregate.json'), 'utf8'),
  );
  assert.deepEqual(agg.metadata.run_labels, ['run_0001', 'run_0002']);
  // compare reads the trials directory as one result with its trials.
  const c = await mmload(['compare', base, '--format', 'json']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(JSON.parse(c.stdout).rows[0].trials, 2);
});

test('SIGTERM during a sweep: the finished point and the partial one kept, the summary of what finished, exit 143', async () => {
  const { dir, path } = await smallDataset(3, 6);
  const base = join(dir, 'sw');
  let pid = 0;
  const run = mmload(
    [
      'run',
      path,
      '--max-tokens',
      '4',
      '--extra-inputs',
      'ignore_eos:true',
      '--mock-ttft-ms',
      '150',
      '--concurrency',
      '1,2,3',
      '--artifact-dir',
      base,
    ],
    { onStart: (p) => (pid = p) },
  );
  // The first point (18 requests one after the other, ~0.15 s each) ends; the second starts.
  await waitFor(
    () => existsSync(join(base, 'concurrency_1', 'profile_export_mmload.json')),
    60_000,
    'the first point',
  );
  await waitFor(() => existsSync(join(base, 'concurrency_2')), 10_000, 'the second point to start');
  await new Promise((r) => setTimeout(r, 300));
  process.kill(pid, 'SIGTERM');
  const r = await run;
  assert.equal(r.code, 143, r.stderr);
  assert.match(
    r.stderr,
    /stopped by SIGTERM: the runs that finished are aggregated; the partial one is kept/,
  );
  assert.ok(!existsSync(join(base, 'concurrency_3')), 'no point started after the signal');
  const partial = JSON.parse(
    await readFile(join(base, 'concurrency_2', 'profile_export_mmload.json'), 'utf8'),
  );
  assert.equal(partial.was_cancelled, true);
  const sweep = JSON.parse(
    await readFile(join(base, 'sweep_aggregate', 'profile_export_aiperf_sweep.json'), 'utf8'),
  );
  assert.equal(sweep.num_profile_runs, 2);
  assert.equal(sweep.num_successful_runs, 1);
  assert.deepEqual(
    sweep.per_combination_metrics.map(
      (c: { parameters: { concurrency: number } }) => c.parameters.concurrency,
    ),
    [1],
  );
  assert.equal(sweep.failed_runs[0].label, 'concurrency_2');
  assert.match(sweep.failed_runs[0].error, /^stopped by SIGTERM/);
  assert.match(r.stdout, /^2 .*partial: not counted$/m);
});
