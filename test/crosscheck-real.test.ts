import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Crosscheck } from '../src/metrics/crosscheck.js';
import { smallDataset } from './driver-helpers.js';
import { ensureAiperf } from './tool-helpers.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', 'bin', 'mmload');

// crosscheck finds AIPerf in the project venv: install it there first (minutes, the first time only).
before(() => ensureAiperf(), { timeout: 900_000 });

// TTFT 300 ms and 48 tokens at 5 ms make each run ~1.8 s: a few ms of scheduling noise stays
// well under the 5% tolerance.
test('the real AIPerf and mmload agree on a small sliding-window workload (embedded mocks)', async () => {
  const { dir, path } = await smallDataset(4, 3, 2);
  const out = join(dir, 'xc');
  const r = await run(
    process.execPath,
    [
      bin,
      'crosscheck',
      path,
      '--concurrency',
      '4',
      '--max-tokens',
      '48',
      '--mock-ttft-ms',
      '300',
      '--extra-inputs',
      'ignore_eos:true',
      '--artifact-dir',
      out,
    ],
    { timeout: 240_000 },
  ).catch((e: { stdout: string; stderr: string; code: number }) => e);
  assert.ok(
    existsSync(join(out, 'crosscheck.json')),
    `crosscheck wrote no crosscheck.json (exit ${'code' in r ? r.code : 0}):\n${r.stdout}\n${r.stderr}`,
  );
  const report = JSON.parse(await readFile(join(out, 'crosscheck.json'), 'utf8')) as Crosscheck;
  const row = (title: string) => report.rows.find((x) => x.check.title === title)!;
  assert.equal(row('requests').mmload, 12);
  assert.equal(row('requests').aiperf, 12);
  assert.equal(row('output tokens').mmload, 12 * 48);
  assert.equal(row('output tokens').aiperf, 12 * 48);
  for (const t of ['TTFT avg ms', 'TTFT p50 ms']) {
    const x = row(t);
    assert.ok(
      Math.abs(x.diffPct!) <= 5 || Math.abs(x.mmload! - x.aiperf!) <= 2,
      `${t}: ${x.mmload} vs ${x.aiperf}`,
    );
  }
  for (const t of ['ITL avg ms', 'RPS'])
    assert.ok(Math.abs(row(t).diffPct!) <= 5, `${t}: ${JSON.stringify(row(t))}`);
  assert.equal(report.agree, true, r.stdout);
  // Ground truth: each tool's TTFT includes the mock's own (arrival to first token) plus transport.
  for (const tool of ['mmload', 'aiperf'] as const) {
    const server = report.server?.[tool];
    assert.ok(server && server.count === 12, `${tool}: the mock's record covers every request`);
    assert.ok(
      row('TTFT avg ms')[tool]! >= server.avg,
      `${tool} TTFT ${row('TTFT avg ms')[tool]} >= server ${server.avg}`,
    );
  }
  assert.match(r.stdout, /embedded mocks' own TTFT/);
  assert.match(r.stdout, /agree within 5%/);
  for (const f of ['mmload/profile_export_mmload.json', 'aiperf/profile_export_aiperf.json', 'report.html']) {
    await readFile(join(out, f));
  }
});

test('crosscheck --goodput --trials 2: both tools count the same good requests, their goodputs agree, rows judged over trials', async () => {
  const { dir, path } = await smallDataset(4, 2, 2);
  const out = join(dir, 'xc-goodput');
  const goodput = 'time_to_first_token:5000 inter_token_latency:50 request_latency:60000';
  const r = await run(
    process.execPath,
    [
      bin,
      ...['crosscheck', path, '--concurrency', '4', '--max-tokens', '16', '--mock-ttft-ms', '100'],
      ...['--extra-inputs', 'ignore_eos:true', '--goodput', goodput, '--trials', '2', '--artifact-dir', out],
    ],
    { timeout: 400_000 },
  ).catch((e: { stdout: string; stderr: string; code: number }) => e);
  assert.ok(
    existsSync(join(out, 'crosscheck.json')),
    `crosscheck wrote no crosscheck.json (exit ${'code' in r ? r.code : 0}):\n${r.stdout}\n${r.stderr}`,
  );
  const report = JSON.parse(await readFile(join(out, 'crosscheck.json'), 'utf8')) as Crosscheck;
  assert.equal(report.trials, 2);
  const row = (title: string) => report.rows.find((x) => x.check.title === title)!;
  // Every request meets these objectives in both tools: AIPerf's own count equals mmload's.
  assert.equal(row('requests').mmload, 16);
  assert.equal(row('good fraction').mmload, 1);
  assert.equal(row('good fraction').aiperf, 1);
  assert.equal(row('goodput').verdict, 'agree', JSON.stringify(row('goodput')));
  assert.equal(row('RPS').interval?.method, 'welch');
  for (const trial of ['run_0001', 'run_0002']) {
    const ai = JSON.parse(
      await readFile(join(out, 'profile_runs', trial, 'aiperf', 'profile_export_aiperf.json'), 'utf8'),
    );
    assert.deepEqual(ai.input_config.slos, {
      time_to_first_token: 5000,
      inter_token_latency: 50,
      request_latency: 60000,
    });
    assert.equal(ai.good_request_count.avg, 8, `${trial}: AIPerf's own good_request_count`);
    const mm = JSON.parse(
      await readFile(join(out, 'profile_runs', trial, 'mmload', 'profile_export_mmload.json'), 'utf8'),
    );
    assert.equal(mm.good_request_count.avg, 8, `${trial}: mmload's good_request_count`);
  }
  assert.match(r.stdout, /Welch's t over 2 trials of each tool/);
  assert.match(r.stdout, /^goodput +\d/m);
});
