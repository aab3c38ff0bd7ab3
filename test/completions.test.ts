// The second endpoint, /v1/completions (AIPerf's --endpoint-type completions): the driver's body
// and stream classifier, the mock's route, and crosscheck with the real AIPerf on the same
// text-only workload. Not skipped when AIPerf is missing: a missing tool is a failure.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { runLoad } from '../src/driver/run.js';
import type { Crosscheck } from '../src/metrics/crosscheck.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { startMock } from '../src/mock/server.js';
import { runCli } from './cli-helpers.js';
import { runOptions, smallDataset } from './driver-helpers.js';
import { startFaultServer } from './fault-server.js';
import { ensureAiperf } from './tool-helpers.js';

async function textDataset(dir: string, sessions: number, turns: number): Promise<string> {
  const path = join(dir, 'text.jsonl');
  const lines: string[] = [];
  for (let t = 0; t < turns; t++)
    for (let u = 0; u < sessions; u++)
      lines.push(JSON.stringify({ session_id: `user_${u}`, text: `the be to of and a in that ${u} ${t}` }));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

test('--endpoint-type completions: a prompt body to /v1/completions, tokens read from choices[].text', async () => {
  const { dir } = await smallDataset(1, 1);
  const path = await textDataset(dir, 3, 2);
  const mock = await startMock({ ttftMs: 5, itlMs: 1 });
  const srv = await startFaultServer({ behaviour: 'ok' });
  try {
    const out = await runLoad(
      runOptions(path, join(dir, 'run'), { url: mock.url, endpointType: 'completions', concurrency: 2 }),
    );
    assert.equal(out.exitCode, 0);
    assert.equal(out.summary.requestCount, 6);
    assert.equal(out.summary.metrics.output_sequence_length?.avg, 8, 'max_tokens 8, ignore_eos');
    assert.equal(out.summary.outputTokenSource, 'usage');
    const recs = (await readFile(join(out.artifactDir, 'records.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { mmload: RequestRecord }).mmload);
    for (const r of recs) assert.equal(r.chunkNs.length, 8, 'every token chunk counted');
    assert.equal(mock.records().length, 6);
    // The body as AIPerf builds it: prompt, then the same fields as chat.
    await runLoad(
      runOptions(path, join(dir, 'body'), {
        url: srv.url,
        endpointType: 'completions',
        sessions: 1,
        preconnect: false,
      }),
    );
    const body = JSON.parse(srv.requests[0]!.body);
    assert.equal(body.prompt, 'the be to of and a in that 0 0');
    assert.equal(body.messages, undefined);
    assert.equal(body.stream, true);
    assert.equal(body.max_tokens, 8);
  } finally {
    await mock.close();
    await srv.close();
  }
});

test('--endpoint-type completions refuses a row with images, naming the line', async () => {
  const { dir, path } = await smallDataset(1, 1);
  const mock = await startMock({});
  try {
    const r = await runCli([
      'run',
      path,
      '--url',
      mock.url,
      '--endpoint-type',
      'completions',
      '--artifact-dir',
      join(dir, 'x'),
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /:1 field "images": the completions endpoint sends text only/);
  } finally {
    await mock.close();
  }
});

before(() => ensureAiperf(), { timeout: 900_000 });

test('crosscheck --endpoint-type completions: the real AIPerf and mmload count the same requests and tokens', {
  timeout: 600_000,
}, async () => {
  const { dir } = await smallDataset(1, 1);
  const path = await textDataset(dir, 4, 3);
  const out = join(dir, 'xc');
  const r = await runCli(
    [
      'crosscheck',
      path,
      '--endpoint-type',
      'completions',
      '--concurrency',
      '4',
      '--max-tokens',
      '24',
      '--extra-inputs',
      'ignore_eos:true',
      '--mock-ttft-ms',
      '100',
      '--artifact-dir',
      out,
    ],
    { timeoutMs: 540_000 },
  );
  assert.ok(existsSync(join(out, 'crosscheck.json')), r.stderr);
  const report = JSON.parse(await readFile(join(out, 'crosscheck.json'), 'utf8')) as Crosscheck;
  const row = (title: string) => report.rows.find((x) => x.check.title === title)!;
  assert.equal(row('requests').mmload, 12);
  assert.equal(row('requests').aiperf, 12);
  assert.equal(row('output tokens').mmload, 12 * 24);
  assert.equal(row('output tokens').aiperf, 12 * 24);
  assert.match(r.stdout, /mmload and AIPerf (agree within|DIFFER beyond)/);
});
