import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadReportRun } from '../src/report/from-results.js';

const root = join(import.meta.dirname, '..');
const small = join(root, 'fixtures', 'aiperf', 'real-small');
const recipe = join(root, 'fixtures', 'aiperf', 'recipe', 'h100');

test('a real AIPerf export with per-request records: curves and TTFT scatter from the records', async () => {
  const run = await loadReportRun(small);
  assert.equal(run.source, 'aiperf');
  const ttft = run.curves.time_to_first_token!;
  assert.ok(ttft.length > 5);
  // Curves are monotone and end at the maximum: they come from the sorted per-request values.
  for (let i = 1; i < ttft.length; i++) assert.ok(ttft[i]![1] >= ttft[i - 1]![1]);
  assert.equal(run.ttftOverRun!.length, run.headline.requests);
  const p50 = ttft.find(([p]) => p === 50)![1];
  assert.ok(
    Math.abs(p50 - run.headline.ttftP50Ms!) < 1e-6,
    `p50 ${p50} vs summary ${run.headline.ttftP50Ms}`,
  );
});

test('a summary without records: curves from its percentiles, and a note saying so', async () => {
  const run = await loadReportRun(`vllm=${join(recipe, 'vllm-serve')}`);
  assert.equal(run.label, 'vllm');
  assert.deepEqual(
    run.curves.time_to_first_token?.filter(([p]) => [50, 90, 99].includes(p)),
    [
      [50, 18829.99],
      [90, 26991.82],
      [99, 48589.22],
    ],
  );
  assert.ok(run.notes?.some((n) => n.includes('no per-request records')));
});

test('mmload report writes one HTML file and refuses to overwrite without --force', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-report-'));
  const out = join(dir, 'r.html');
  const bin = join(root, 'bin', 'mmload');
  const args = [
    bin,
    'report',
    ...['vllm-serve', 'dynamo-fd', 'dynamo-fd-ec'].map((c) => join(recipe, c)),
    '-o',
    out,
  ];
  execFileSync(process.execPath, args);
  const html = await readFile(out, 'utf8');
  assert.match(html, /<svg/);
  assert.match(html, /dynamo-fd-ec/);
  assert.ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), 'self-contained: no script, no external URL');
  assert.throws(() => execFileSync(process.execPath, args, { stdio: 'pipe' }), /--force/);
});
