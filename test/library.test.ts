// The package as a user imports it: by its name, from the built dist/ (npm test builds first).
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as mmload from 'mmload';
import { generateDataset, RECIPE_DEFAULTS, resolveRunOptions, runLoad, startMock, stat } from 'mmload';

test("the README's library example: generate, start the mock, run, read TTFT p99", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-lib-'));
  const dataset = join(dir, 'small.jsonl');
  await generateDataset({
    ...RECIPE_DEFAULTS,
    users: 2,
    turns: 2,
    window: 2,
    words: 50,
    width: 64,
    height: 32,
    output: dataset,
  });
  const mock = await startMock({ ttftMs: 20, itlMs: 2 });
  try {
    const outcome = await runLoad(
      resolveRunOptions({
        dataset,
        url: mock.url,
        concurrency: 2,
        maxTokens: 8,
        artifactDir: join(dir, 'out'),
      }),
    );
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.summary.requestCount, 4);
    const p99 = stat(outcome.summary, 'time_to_first_token', 'p99');
    assert.ok(p99 !== undefined && p99 >= 20, `TTFT p99 ${p99} ms, the mock's TTFT is 20 ms`);
  } finally {
    await mock.close();
  }
});

test('the public API: the documented functions, no internals', () => {
  for (const name of [
    'generateDataset',
    'readDataset',
    'inspectDataset',
    'resolveRunOptions',
    'runLoad',
    'runBenchmark',
    'startMock',
    'readResult',
    'compareSummaries',
    'mergeShards',
    'renderReport',
    'loadReportRun',
    'resolvePlanOptions',
    'runTrials',
    'runSweep',
    'searchMaxGoodput',
    'runPlanBenchmark',
    'readSweep',
    'compareSweeps',
  ]) {
    assert.equal(typeof (mmload as Record<string, unknown>)[name], 'function', name);
  }
  for (const internal of ['SessionRowSource', 'sendChatRequest', 'SseParser', 'MetricsCollector', 'parseRow'])
    assert.equal((mmload as Record<string, unknown>)[internal], undefined, `${internal} is internal`);
});
