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
