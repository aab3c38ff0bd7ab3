import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MetricsCollector } from '../src/metrics/collector.js';
import { writeRunArtifacts } from '../src/metrics/exporters.js';
import type { RequestRecord } from '../src/metrics/record.js';
import { loadReportRun, REPORT_ERROR_MESSAGES } from '../src/report/from-results.js';
import { renderReport } from '../src/report/html.js';

const MS = 1e6;

function rec(index: number, message?: string): RequestRecord {
  const start = (1000 + index * 10) * MS;
  const chunkNs = message ? [] : [start + 20 * MS, start + 30 * MS];
  return {
    index,
    sessionId: 's',
    turn: index,
    line: index + 1,
    warmup: false,
    startNs: start,
    firstChunkNs: chunkNs[0],
    lastChunkNs: chunkNs[1],
    endNs: start + 31 * MS,
    chunkNs,
    outputTokens: message ? undefined : 2,
    outputTokensSource: message ? undefined : 'usage',
    requestBytes: 10,
    status: message ? 500 : 200,
    error: message ? { kind: 'http', status: 500, message: `HTTP 500: ${message}` } : undefined,
  };
}

test('report.html lists each result’s distinct server messages with counts, capped, escaped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mmload-report-errors-'));
  try {
    const c = new MetricsCollector();
    c.add(rec(0));
    const llama =
      '{"error":{"code":500,"message":"image input is not supported - hint: if this is unexpected, you may need to provide the mmproj","type":"server_error"}}';
    for (let i = 1; i <= 3; i++) c.add(rec(i, llama));
    c.add(rec(4, 'oops: <b>bold & "quoted"</b>'));
    // More distinct messages than the report lists.
    for (let i = 0; i < REPORT_ERROR_MESSAGES + 2; i++) c.add(rec(10 + i, `worker ${i} crashed`));
    await writeRunArtifacts(dir, { summary: c.summarize({ label: 'faulty' }) });

    const run = await loadReportRun(dir);
    const e = run.errorMessages!;
    assert.equal(e.lines.length, REPORT_ERROR_MESSAGES);
    assert.deepEqual(e.lines[0], {
      label: 'HTTP 500',
      count: 3,
      text: 'image input is not supported - hint: if this is unexpected, you may need to provide the mmproj',
    });
    assert.equal(e.moreDistinct, 4);
    assert.equal(e.moreRequests, 4);

    const html = renderReport([run], { generatedAt: new Date(0) });
    const table = /<table class="error-messages">.*?<\/table>/s.exec(html)?.[0] ?? '';
    assert.match(
      table,
      /<td>faulty<\/td><td>HTTP 500<\/td><td>3<\/td><td class="message">image input is not supported - hint: if this is unexpected, you may need to provide the mmproj<\/td>/,
    );
    // The server's text is data, never markup.
    assert.ok(table.includes('oops: &#60;b&#62;bold &#38; &#34;quoted&#34;&#60;/b&#62;'), table);
    assert.ok(!table.includes('<b>'));
    assert.match(table, /and 4 more distinct messages \(4 requests\)/);
    // The counts by kind stay as they were.
    assert.match(
      html,
      /<table class="errors"><tr><th>Result<\/th><th>http<\/th><\/tr><tr><td>faulty<\/td><td>26<\/td>/,
    );

    // A run without failures has no message table.
    const clean = new MetricsCollector();
    clean.add(rec(0));
    await writeRunArtifacts(dir, { summary: clean.summarize({ label: 'clean' }) });
    const cleanRun = await loadReportRun(dir);
    assert.equal(cleanRun.errorMessages, undefined);
    assert.ok(!renderReport([cleanRun]).includes('error-messages'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
