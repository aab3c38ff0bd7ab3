import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { compareSummaries, formatComparison, formatDelta } from '../src/metrics/compare.js';
import { readResult } from '../src/metrics/readers.js';

const CONFIGS = ['vllm-serve', 'dynamo-fd', 'dynamo-fd-ec'];
const load = (hw: string) => Promise.all(CONFIGS.map((c) => readResult(`fixtures/aiperf/recipe/${hw}/${c}`)));

function deltas(c: ReturnType<typeof compareSummaries>, label: string, key: string): string {
  return formatDelta(c.rows.find((r) => r.label === label)!.cells[key]!.deltaPct);
}

test('compare reproduces the H100 deltas the recipe states', async () => {
  const c = compareSummaries(await load('h100'));
  assert.equal(c.baseline, 'vllm-serve');
  assert.equal(deltas(c, 'dynamo-fd', 'rps'), '+12.8%');
  assert.equal(deltas(c, 'dynamo-fd', 'ttft_avg'), '-60.4%');
  assert.equal(deltas(c, 'dynamo-fd-ec', 'rps'), '+29.8%');
  assert.equal(deltas(c, 'dynamo-fd-ec', 'ttft_avg'), '-66.4%');
  assert.equal(deltas(c, 'dynamo-fd-ec', 'ttft_p50'), '-87.4%');
});

test('compare reproduces the GB200 deltas the recipe states', async () => {
  const c = compareSummaries(await load('gb200'));
  assert.equal(deltas(c, 'dynamo-fd', 'rps'), '+18.8%');
  assert.equal(deltas(c, 'dynamo-fd', 'ttft_avg'), '-36.6%');
  assert.equal(deltas(c, 'dynamo-fd-ec', 'rps'), '+31.5%');
  assert.equal(deltas(c, 'dynamo-fd-ec', 'ttft_avg'), '-43.3%');
  assert.equal(deltas(c, 'dynamo-fd-ec', 'ttft_p50'), '-45.9%');
});

test('--baseline changes the reference; unknown baseline and duplicate labels are errors', async () => {
  const results = await load('h100');
  const c = compareSummaries(results, 'dynamo-fd');
  assert.equal(deltas(c, 'vllm-serve', 'rps'), formatDelta(((0.719 - 0.811) / 0.811) * 100));
  assert.throws(() => compareSummaries(results, 'sglang'), /--baseline "sglang" is none of/);
  assert.throws(() => compareSummaries([results[0]!, results[0]!]), /labelled "vllm-serve"/);
});

test('mmload compare CLI prints the table with the recipe deltas, and md/csv/json formats', () => {
  const dirs = CONFIGS.map((c) => `fixtures/aiperf/recipe/h100/${c}`);
  const table = execFileSync('node', ['bin/mmload', 'compare', ...dirs], { encoding: 'utf8' });
  assert.match(table, /^dynamo-fd\s+0\.811 \(\+12\.8%\)\s+28\.42 \(\+33\.6%\)\s+7193\.37 \(-60\.4%\)/m);
  assert.match(table, /^dynamo-fd-ec\s+0\.933 \(\+29\.8%\).*2369\.01 \(-87\.4%\)/m);
  const md = execFileSync('node', ['bin/mmload', 'compare', ...dirs, '--format', 'md'], { encoding: 'utf8' });
  assert.match(md, /^\| dynamo-fd \| 0\.811 \(\+12\.8%\) \|/m);
  const csv = execFileSync('node', ['bin/mmload', 'compare', ...dirs, '--format', 'csv'], {
    encoding: 'utf8',
  });
  assert.equal(csv.split('\n')[1]!.split(',')[0], 'vllm-serve');
  const json = JSON.parse(
    execFileSync('node', ['bin/mmload', 'compare', ...dirs, '--format', 'json'], { encoding: 'utf8' }),
  );
  assert.equal(json.rows.length, 3);
});

test('formatComparison marks missing values with a dash', async () => {
  const out = formatComparison(compareSummaries(await load('gb200')), 'table');
  assert.match(out, /Output tok\/s/);
  assert.match(out.split('\n')[2]!, /-$/);
});
