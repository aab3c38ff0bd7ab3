import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readResult } from '../src/metrics/readers.js';

test('readResult reads an AIPerf export by directory with the directory name as label', async () => {
  const s = await readResult('fixtures/aiperf/recipe/h100/dynamo-fd');
  assert.equal(s.source, 'aiperf');
  assert.equal(s.label, 'dynamo-fd');
  assert.equal(s.metrics.request_throughput!.avg, 0.811);
  assert.equal(s.metrics.time_to_first_token!.p50, 3567.13);
});

test('readResult reads a real AIPerf 0.13.0 export', async () => {
  const s = await readResult('fixtures/aiperf/real-small');
  assert.equal(s.source, 'aiperf');
  assert.equal(s.toolVersion, '0.13.0');
  assert.equal(s.requestCount, 6);
  assert.equal(s.errorCount, 0);
  assert.equal(s.metrics.time_to_first_token!.unit, 'ms');
  assert.equal(s.metrics.time_to_first_token!.count, 6);
  assert.ok(Math.abs(s.metrics.request_throughput!.avg! - 31.290630394651355) < 1e-12);
  assert.ok(Math.abs(s.durationSec! - 0.18856576) < 1e-12);
  assert.equal(s.config?.models !== undefined, true);
});

test('readResult takes name=path labels and a file path', async () => {
  const s = await readResult('fd=fixtures/aiperf/recipe/h100/dynamo-fd/profile_export_aiperf.json');
  assert.equal(s.label, 'fd');
});

test('readResult errors name the file and the field', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-readers-'));
  try {
    const f = join(dir, 'profile_export_aiperf.json');
    await writeFile(f, JSON.stringify({ time_to_first_token: { unit: 'ms', avg: 'fast' } }));
    await assert.rejects(
      readResult(dir),
      (e: Error) => e.message.includes(f) && e.message.includes('time_to_first_token.avg'),
    );
    await writeFile(f, '{not json');
    await assert.rejects(readResult(f), (e: Error) => e.message.startsWith(`${f}: not valid JSON`));
    await writeFile(f, JSON.stringify({ schema_version: '1.0' }));
    await assert.rejects(readResult(f), /no metrics found/);
    await assert.rejects(readResult(join(dir, 'missing')), /no such file/);
    await assert.rejects(readResult(tmpdir()), /neither profile_export_mmload\.json/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("readResult reads a trials directory (AIPerf 0.13's aggregate layout): means as the values, the spread for Welch", async () => {
  const { compareSummaries } = await import('../src/metrics/compare.js');
  const { mkdir } = await import('node:fs/promises');
  const { welch } = await import('../src/metrics/significance.js');
  const root = await mkdtemp(join(tmpdir(), 'mmload-agg-'));
  try {
    // Two trials directories as AIPerf (and mmload run --trials) write them.
    const write = async (name: string, ttft: number[], rps: number[]) => {
      const base = join(root, name);
      await mkdir(join(base, 'aggregate'), { recursive: true });
      const agg = (v: number[], unit: string) => {
        const n = v.length;
        const mean = v.reduce((a, b) => a + b, 0) / n;
        const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
        return {
          mean,
          std,
          min: Math.min(...v),
          max: Math.max(...v),
          cv: std / mean,
          se: std / Math.sqrt(n),
          ci_low: 0,
          ci_high: 0,
          t_critical: 4.3,
          unit,
        };
      };
      const doc = {
        schema_version: '1.0',
        aiperf_version: '0.13.0',
        metadata: {
          aggregation_type: 'confidence',
          num_profile_runs: 3,
          num_successful_runs: 3,
          failed_runs: [],
          confidence_level: 0.95,
        },
        metrics: {
          time_to_first_token_avg: agg(ttft, 'ms'),
          time_to_first_token_p99: { ...agg(ttft, 'ms'), cv: null },
          request_throughput_avg: agg(rps, 'requests/sec'),
          request_count_avg: agg([12, 12, 12], 'requests'),
        },
      };
      await writeFile(join(base, 'aggregate', 'profile_export_aiperf_aggregate.json'), JSON.stringify(doc));
      for (let i = 1; i <= 3; i++) {
        const run = join(base, 'profile_runs', `run_000${i}`);
        await mkdir(run, { recursive: true });
        await writeFile(
          join(run, 'profile_export_aiperf.json'),
          JSON.stringify({
            request_count: { unit: 'requests', avg: 12 },
            input_config: { slos: { time_to_first_token: 50 } },
          }),
        );
      }
      return base;
    };
    const a = await readResult(await write('before', [30, 32, 31], [10, 10.2, 9.9]));
    const b = await readResult(await write('after', [25, 26, 24.5], [10.1, 9.8, 10.3]));
    assert.equal(a.label, 'before');
    assert.equal(a.source, 'aiperf');
    assert.equal(a.metrics.time_to_first_token!.avg, 31);
    assert.equal(a.requestCount, 12);
    assert.equal(a.trials!.runs, 3);
    assert.equal(a.trials!.metrics.time_to_first_token!.avg!.n, 3);
    assert.equal(a.trials!.dirs.length, 3);
    assert.equal(a.config?.slos !== undefined, true, "the first trial's configuration (its objectives)");
    // The aggregate file itself reads the same, labelled by its trials directory.
    assert.equal(
      (await readResult(join(root, 'before', 'aggregate', 'profile_export_aiperf_aggregate.json'))).label,
      'before',
    );
    const c = compareSummaries([a, b]);
    const ttft = c.rows[1]!.cells.ttft_avg!;
    assert.equal(ttft.delta?.method, 'welch');
    const want = welch(
      a.trials!.metrics.time_to_first_token!.avg!,
      b.trials!.metrics.time_to_first_token!.avg!,
    )!;
    assert.deepEqual(ttft.delta, want);
    assert.equal(ttft.delta?.significant, true);
    // RPS over trials has an interval too (run-level figures need trials, and have them here).
    assert.equal(c.rows[1]!.cells.rps!.delta?.significant, false);
    assert.equal(c.rows[1]!.trials, 3);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
