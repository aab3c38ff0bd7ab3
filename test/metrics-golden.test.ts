import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetricsCollector } from '../src/metrics/collector.js';
import { FILES, RecordsWriter, writeRunArtifacts } from '../src/metrics/exporters.js';
import { formatRunTable } from '../src/metrics/table.js';
import { GOLDEN_META, GOLDEN_RECORDS, MONO_TO_EPOCH_NS, START_EPOCH_MS } from './metrics-golden.js';

/**
 * The exports of one fixed run, byte for byte: profile_export_mmload.json and .csv (AIPerf's
 * schema), records.jsonl, the HDR interval log, run_config.json, dataset_manifest.json and the
 * console table. A refactor of the metrics layer must leave every byte as it is; a change that
 * means to alter an export regenerates the files with MMLOAD_UPDATE_GOLDEN=1 and says why.
 */
const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'golden', 'metrics-run');
const TABLE = 'console-table.txt';

async function exportRun(dir: string): Promise<void> {
  const collector = new MetricsCollector();
  const writer = new RecordsWriter(join(dir, FILES.records), MONO_TO_EPOCH_NS);
  for (const rec of GOLDEN_RECORDS) {
    collector.add(rec);
    writer.write(rec);
  }
  await writer.close();
  const summary = collector.summarize(GOLDEN_META);
  await writeRunArtifacts(dir, {
    summary,
    histograms: collector.histograms(),
    startEpochMs: START_EPOCH_MS,
    config: GOLDEN_META.config,
    datasetManifest: { path: 'data/golden.jsonl', sha256: 'abc123', rows: 48 },
  });
  await writeFile(join(dir, TABLE), formatRunTable(summary));
}

test('golden run: every export is byte for byte the committed one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-golden-'));
  try {
    await exportRun(dir);
    const names = (await readdir(dir)).sort();
    if (process.env.MMLOAD_UPDATE_GOLDEN === '1') {
      await mkdir(GOLDEN, { recursive: true });
      for (const n of names) await writeFile(join(GOLDEN, n), await readFile(join(dir, n)));
    }
    const committed = (await readdir(GOLDEN)).filter((n) => n !== 'biome.json' && n !== 'README.md').sort();
    assert.deepEqual(names, committed);
    for (const n of names) {
      const got = await readFile(join(dir, n));
      const want = await readFile(join(GOLDEN, n));
      // Strings first, for a readable diff; then the bytes themselves.
      assert.equal(got.toString('utf8'), want.toString('utf8'), n);
      assert.ok(got.equals(want), n);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('golden run: the inputs cover what the exports must handle', () => {
  const measured = GOLDEN_RECORDS.filter((r) => !r.warmup);
  const kinds = new Set(measured.flatMap((r) => (r.error ? [r.error.kind] : [])));
  assert.deepEqual([...kinds].sort(), [
    'cancelled',
    'connection',
    'empty',
    'http',
    'malformed',
    'timeout',
    'truncated',
  ]);
  assert.ok(
    GOLDEN_RECORDS.some((r) => r.warmup && r.error) && GOLDEN_RECORDS.some((r) => r.warmup && !r.error),
  );
  assert.ok(measured.some((r) => !r.error && r.outputTokensSource === 'usage'));
  assert.ok(measured.some((r) => !r.error && r.outputTokens === undefined && r.chunkNs.length > 0));
  assert.ok(measured.some((r) => r.reasoningTokens !== undefined));
  assert.ok(measured.some((r) => !r.error && r.intendedNs !== undefined));
  assert.ok(measured.some((r) => r.error && r.intendedNs !== undefined));
  assert.ok(measured.some((r) => !r.error && r.outputTokens === 1));
  // Chunks that shared a socket read: a gap of exactly 0.
  assert.ok(measured.some((r) => r.chunkNs.some((t, i) => i > 0 && t === r.chunkNs[i - 1])));
});
