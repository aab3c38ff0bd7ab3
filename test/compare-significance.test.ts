import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { resolveRunOptions } from '../src/driver/options.js';
import { runLoad } from '../src/driver/run.js';
import { compareSummaries, RESAMPLED_TAGS } from '../src/metrics/compare.js';
import { readResult, readSamplesOf } from '../src/metrics/readers.js';
import { smallDataset } from './driver-helpers.js';

/**
 * Two mock configurations whose TTFT differs by 10 % are told apart; two of the same TTFT (other
 * jitter seeds: two runs of one configuration) are not. The mock's jitter (uniform 0-30 ms) is the
 * noise; each run has 80 requests. The seeds are ones whose 80 jitter draws average 15.0-15.3 ms
 * (seed 1's average 17.5: a run's own average moves by about 1 ms either way), so that each run's
 * realized difference is the configured one and the verdicts do not sit on a boundary.
 */
const CONFIGS = [
  { label: 'base', ttftMs: 100, seed: 16 },
  { label: 'slower', ttftMs: 110, seed: 13 },
  { label: 'same', ttftMs: 100, seed: 4 },
];
const dirs: string[] = [];

before(async () => {
  // The built worker: under the test runner a worker thread cannot load the .ts sources.
  const { startMockThread } = (await import(
    new URL('../dist/mock/worker.js', import.meta.url).href
  )) as typeof import('../src/mock/worker.js');
  const { dir, path } = await smallDataset(20, 4);
  // A first run in a process is a few ms slower per request (its code not yet compiled, its
  // images not yet read): a run thrown away first, so that the baseline does not carry that.
  for (const c of [{ label: 'discarded', ttftMs: 100, seed: 9 }, ...CONFIGS]) {
    // The mock in its own thread, so that its timers do not share the driver's event loop.
    const mock = await startMockThread({ ttftMs: c.ttftMs, itlMs: 2, jitterMs: 30, seed: c.seed });
    try {
      const out = await runLoad(
        resolveRunOptions({
          dataset: path,
          url: mock.url,
          artifactDir: join(dir, c.label),
          label: c.label,
          concurrency: 4,
          // Each mock is a fresh thread: its first requests run cold code. Not measured.
          warmupRequests: 8,
          maxTokens: 4,
          extraInputs: { ignore_eos: true },
        }),
      );
      assert.equal(out.summary.requestCount, 80);
      if (c.label !== 'discarded') dirs.push(out.artifactDir);
    } finally {
      await mock.close();
    }
  }
});

test('a 10% slower TTFT is significant; the same TTFT with other jitter is not (bootstrap over records.jsonl)', async () => {
  const results = await Promise.all(dirs.map((d) => readResult(d)));
  const c = compareSummaries(results, 'base', { samples: await readSamplesOf(results, RESAMPLED_TAGS) });
  const cell = (label: string, key: string) => c.rows.find((r) => r.label === label)!.cells[key]!;
  for (const key of ['ttft_avg', 'ttft_p50']) {
    const slower = cell('slower', key).delta!;
    assert.equal(slower.method, 'bootstrap');
    assert.equal(slower.significant, true, `${key}: ${JSON.stringify(slower)}`);
    assert.ok(slower.lowPct! > 0, `${key}: the interval lies above 0`);
    const same = cell('same', key).delta!;
    assert.equal(same.significant, false, `${key}: ${JSON.stringify(same)}`);
    assert.ok(same.lowPct! < 0 && same.highPct! > 0);
  }
  // The 10 ms lie inside the slower run's interval of the change in TTFT avg.
  const d = cell('slower', 'ttft_avg').delta!;
  assert.ok(d.low < 10 && 10 < d.high, `10 ms within [${d.low}, ${d.high}]`);
  // Run-level figures get no interval from a single run each: the note says what is needed.
  assert.equal(cell('slower', 'rps').delta, undefined);
  assert.match(cell('slower', 'rps').note!, /needs trials/);
  assert.equal(c.rows.find((r) => r.label === 'base')!.records, 80);
});

test('mmload compare prints the intervals, and the same ones on every run (seeded)', () => {
  const table = () => execFileSync('node', ['bin/mmload', 'compare', ...dirs], { encoding: 'utf8' });
  const out = table();
  assert.match(out, /^slower\s.*\(\+\d+\.\d% \[\+\d+\.\d, \+\d+\.\d\]\*\)/m);
  assert.match(
    out,
    /^\[low, high\]: 95% interval of the change in %, bootstrap over per-request records \(2000 resamples, seed 0\)/m,
  );
  assert.match(
    out,
    /^No interval for RPS, Output tok\/s: a run-level figure: needs trials on both sides\.$/m,
  );
  assert.equal(table(), out);
  const csv = execFileSync('node', ['bin/mmload', 'compare', ...dirs, '--format', 'csv'], {
    encoding: 'utf8',
  });
  const [head, , slower] = csv
    .trim()
    .split('\n')
    .map((l) => l.split(','));
  const col = (name: string) => slower![head!.indexOf(name)];
  assert.equal(col('ttft_avg_significant'), 'true');
  assert.equal(col('ttft_avg_method'), 'bootstrap');
  assert.ok(Number(col('ttft_avg_ci_low_pct')) > 0);
  assert.equal(col('rps_note'), 'a run-level figure: needs trials on both sides');
  const json = JSON.parse(
    execFileSync(
      'node',
      ['bin/mmload', 'compare', ...dirs, '--format', 'json', '--confidence-level', '0.9'],
      {
        encoding: 'utf8',
      },
    ),
  );
  assert.equal(json.intervals.level, 0.9);
  assert.equal(json.rows[1].cells.ttft_avg.delta.level, 0.9);
  const md = execFileSync('node', ['bin/mmload', 'compare', ...dirs, '--format', 'md'], { encoding: 'utf8' });
  assert.match(md, /^\| slower \| .*\]\*\) \|/m);
  assert.match(md, /\n\n\[low, high\]: 95% interval/);
});

test('the report draws each figure with its interval as an error bar and the changes with theirs', async () => {
  const { loadReportRun } = await import('../src/report/from-results.js');
  const { renderReport } = await import('../src/report/html.js');
  const runs = await Promise.all(dirs.map((d) => loadReportRun(d)));
  const html = renderReport(runs, { baseline: 'base' });
  // TTFT avg, TTFT p50 and ITL avg have intervals for each of the three results (p99 has too few values).
  assert.equal(html.match(/class="error-bar"/g)?.length, 9);
  assert.match(html, /slower: \d+(\.\d+)? ms, interval \d+(\.\d+)? to \d+(\.\d+)?/);
  assert.match(html, /<span class="ci">\[\+\d+\.\d, \+\d+\.\d\]\*<\/span>/);
  assert.match(
    html,
    /<li>No interval for RPS, Output tok\/s: a run-level figure: needs trials on both sides\.<\/li>/,
  );
});
