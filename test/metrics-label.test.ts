import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetricsCollector } from '../src/metrics/collector.js';
import { compareSummaries } from '../src/metrics/compare.js';
import { writeRunArtifacts } from '../src/metrics/exporters.js';
import { readResult } from '../src/metrics/readers.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { loadReportRun } from '../src/report/from-results.js';
import { renderReport } from '../src/report/html.js';

const MS = 1e6;
const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'mmload');
const aiperfDir = join(root, 'fixtures', 'aiperf', 'recipe', 'h100', 'vllm-serve');

/** An mmload result in `dir`, written as `mmload run --label <label>` writes it. */
async function writeRun(dir: string, label: string, ttftMs: number): Promise<void> {
  const c = new MetricsCollector();
  for (let i = 0; i < 3; i++) {
    const start = (1000 + i * 100) * MS;
    const chunkNs = [start + ttftMs * MS, start + (ttftMs + 10) * MS];
    const rec: RequestRecord = {
      index: i,
      sessionId: 's',
      turn: i,
      line: i + 1,
      warmup: false,
      startNs: start,
      firstChunkNs: chunkNs[0],
      lastChunkNs: chunkNs[1],
      endNs: chunkNs[1]!,
      chunkNs,
      outputTokens: 2,
      outputTokensSource: 'usage',
      requestBytes: 10,
    };
    c.add(rec);
  }
  await mkdir(dir, { recursive: true });
  await writeRunArtifacts(dir, { summary: c.summarize({ label, config: { label } }) });
}

test('--label names the result in compare and report, over the directory name; NAME=path over both', async () => {
  const tmp = await mkdtemp(join(tmpdir(), 'mmload-label-'));
  try {
    const a = join(tmp, 'artifacts', 'run-1');
    const b = join(tmp, 'artifacts', 'run-2');
    await writeRun(a, 'h100 vllm', 50);
    await writeRun(b, 'h100 dynamo-fd', 25);

    assert.equal((await readResult(a)).label, 'h100 vllm');
    assert.equal((await readResult(join(a, 'profile_export_mmload.json'))).label, 'h100 vllm');
    assert.equal((await readResult(`mine=${a}`)).label, 'mine');
    // AIPerf's files carry no label: the directory name.
    assert.equal((await readResult(aiperfDir)).label, 'vllm-serve');

    const cmp = compareSummaries([await readResult(a), await readResult(b)]);
    assert.deepEqual(
      cmp.rows.map((r) => r.label),
      ['h100 vllm', 'h100 dynamo-fd'],
    );
    assert.equal(cmp.baseline, 'h100 vllm');

    // The CLI, as a user runs it: labels in the table, and --baseline takes a label.
    const table = execFileSync(process.execPath, [bin, 'compare', a, b, '--baseline', 'h100 dynamo-fd'], {
      encoding: 'utf8',
    });
    assert.match(table, /^h100 dynamo-fd \(baseline\)/m);
    assert.match(table, /^h100 vllm +/m);
    assert.ok(!table.includes('run-1') && !table.includes('run-2'), table);
    const csv = execFileSync(process.execPath, [bin, 'compare', `x=${a}`, b, '--format', 'csv'], {
      encoding: 'utf8',
    });
    assert.deepEqual(
      csv
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
      ['x', 'h100 dynamo-fd'],
    );

    const runs = [await loadReportRun(a), await loadReportRun(b)];
    assert.deepEqual(
      runs.map((r) => r.label),
      ['h100 vllm', 'h100 dynamo-fd'],
    );
    const html = renderReport(runs, { baseline: 'h100 dynamo-fd' });
    assert.match(html, /<td>h100 dynamo-fd \(baseline\)<\/td>/);
    assert.ok(!html.includes('run-1'));
    const out = join(tmp, 'r.html');
    execFileSync(process.execPath, [bin, 'report', a, b, '-o', out]);
    const cli = await readFile(out, 'utf8');
    assert.match(cli, /<td>h100 vllm \(baseline\)<\/td>/);
    assert.match(cli, /<td>h100 dynamo-fd<\/td>/);

    // Two runs given the same --label: compare says so and how to tell them apart.
    const c = join(tmp, 'artifacts', 'run-3');
    await writeRun(c, 'h100 vllm', 40);
    assert.throws(
      () => execFileSync(process.execPath, [bin, 'compare', a, c], { stdio: 'pipe' }),
      (e: Error & { status?: number; stderr?: Buffer }) =>
        e.status === 2 &&
        /two results are labelled "h100 vllm"; name them with name=path/.test(String(e.stderr)),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
