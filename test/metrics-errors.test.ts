import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { locateAiperf } from '../src/aiperf/locate.js';
import { MetricsCollector } from '../src/metrics/collector.js';
import { crosscheck, formatCrosscheck } from '../src/metrics/crosscheck.js';
import { errorLabel, errorText, formatErrors, MESSAGE_MAX_CHARS, topErrors } from '../src/metrics/errors.js';
import { toAiperfJson } from '../src/metrics/exporters.js';
import { parseSummaryJson } from '../src/metrics/readers.js';
import type { RequestError, RequestRecord } from '../src/metrics/record.js';
import type { ErrorDetailsCount } from '../src/metrics/summary.js';
import { formatRunTable } from '../src/metrics/table.js';

const MS = 1e6;
// What llama-server answers to an image part without an mmproj (HTTP 500, the body as mmload keeps it).
const LLAMA_BODY =
  '{"error":{"code":500,"message":"image input is not supported - hint: if this is unexpected, you may need to provide the mmproj","type":"server_error"}}';
const LLAMA_TEXT =
  'image input is not supported - hint: if this is unexpected, you may need to provide the mmproj';
const VLLM_BODY =
  '{"object":"error","message":"The model `qwen` does not exist.","type":"NotFoundError","param":null,"code":404}';

function okRec(index: number): RequestRecord {
  const start = (1000 + index * 10) * MS;
  const chunkNs = [start + 20 * MS, start + 25 * MS];
  return {
    index,
    sessionId: 's',
    turn: index,
    line: index + 1,
    warmup: false,
    startNs: start,
    firstChunkNs: chunkNs[0],
    lastChunkNs: chunkNs[1],
    endNs: chunkNs[1]!,
    chunkNs,
    outputTokens: 2,
    outputTokensSource: 'usage',
    requestBytes: 10,
    status: 200,
  };
}

function failed(index: number, error: RequestError): RequestRecord {
  return {
    ...okRec(index),
    chunkNs: [],
    firstChunkNs: undefined,
    lastChunkNs: undefined,
    status: error.status,
    error,
  };
}

const http = (status: number, body: string): RequestError => ({
  kind: 'http',
  status,
  message: `HTTP ${status}: ${body}`,
});

test('errorText: the server message out of JSON bodies (llama.cpp, vLLM, FastAPI, cut short), HTML titles, plain text', () => {
  assert.equal(errorText(`HTTP 500: ${LLAMA_BODY}`), LLAMA_TEXT);
  assert.equal(errorText(`HTTP 404: ${VLLM_BODY}`), 'The model `qwen` does not exist.');
  assert.equal(errorText('HTTP 422: {"detail":"Field required"}'), 'Field required');
  assert.equal(errorText('HTTP 400: {"error":"bad image"}'), 'bad image');
  // The driver keeps the first 500 bytes of a body: the message is still found in the cut JSON.
  assert.equal(errorText(`HTTP 500: ${LLAMA_BODY.slice(0, 140)}`.replace(/"}}$/, '')), LLAMA_TEXT);
  assert.equal(
    errorText(
      'HTTP 502: <html><head><title>502 Bad Gateway</title></head><body><h1>502</h1>nginx</body></html>',
    ),
    '502 Bad Gateway',
  );
  assert.equal(errorText('other side closed'), 'other side closed');
  assert.equal(errorText('HTTP 503: '), '(no message)');
  assert.equal(errorText('HTTP 500: line one\n   line two\t'), 'line one line two');
  // A JSON body without a message field is shown as it is.
  assert.equal(errorText('HTTP 500: {"status":"down"}'), '{"status":"down"}');
  const long = errorText(`HTTP 500: ${'x'.repeat(1000)}`);
  assert.equal(long.length, MESSAGE_MAX_CHARS);
  assert.ok(long.endsWith('...'));
});

test('errorLabel: HTTP status when there is one (with AIPerf reason phrase), else the type', () => {
  assert.equal(errorLabel({ code: 500, type: 'http' }), 'HTTP 500');
  assert.equal(errorLabel({ code: 500, type: 'Internal Server Error' }), 'HTTP 500 Internal Server Error');
  assert.equal(errorLabel({ code: null, type: 'timeout' }), 'timeout');
  assert.equal(errorLabel({ code: null, type: '' }), 'error');
});

test('topErrors: most frequent first, ties in first-seen order, the rest counted', () => {
  const d = (message: string, count: number): ErrorDetailsCount => ({
    code: 500,
    type: 'http',
    message,
    count,
  });
  const details = [d('a', 1), d('b', 3), d('c', 1), d('d', 3), d('e', 2), d('f', 1)];
  const top = topErrors(details, 3);
  assert.deepEqual(
    top.lines.map((l) => [l.text, l.count]),
    [
      ['b', 3],
      ['d', 3],
      ['e', 2],
    ],
  );
  assert.equal(top.moreDistinct, 3);
  assert.equal(top.moreRequests, 3);
  assert.deepEqual(formatErrors(details.slice(0, 2), 1), [
    'HTTP 500 x3: b',
    'and 1 more distinct message (1 request)',
  ]);
  assert.deepEqual(formatErrors(undefined, 5), []);
  // The input (the summary's error_summary) keeps its own order.
  assert.equal(details[0]!.message, 'a');
});

test("collector: one error_summary entry per distinct (code, type, message), grouped as AIPerf's ErrorTracker does", () => {
  const errors: RequestError[] = [
    http(500, LLAMA_BODY),
    { kind: 'timeout', message: 'no complete response within 600000 ms' },
    http(500, LLAMA_BODY),
    http(500, 'Internal Server Error'),
    http(404, VLLM_BODY),
    http(500, LLAMA_BODY),
    { kind: 'connection', message: 'other side closed' },
    http(500, 'Internal Server Error'),
    { kind: 'connection', message: 'connect ECONNREFUSED 127.0.0.1:1' },
    http(500, LLAMA_BODY),
  ];
  const c = new MetricsCollector();
  c.add(okRec(0));
  for (const [i, e] of errors.entries()) c.add(failed(i + 1, e));
  // A warm-up failure is not counted.
  c.add({ ...failed(20, http(500, 'warm-up only')), warmup: true });
  const s = c.summarize({ label: 'errors' });
  assert.deepEqual(
    s.errorDetails!.map((d) => [d.code, d.type, d.message, d.count]),
    [
      [500, 'http', `HTTP 500: ${LLAMA_BODY}`, 4],
      [null, 'timeout', 'no complete response within 600000 ms', 1],
      [500, 'http', 'HTTP 500: Internal Server Error', 2],
      [404, 'http', `HTTP 404: ${VLLM_BODY}`, 1],
      [null, 'connection', 'other side closed', 1],
      [null, 'connection', 'connect ECONNREFUSED 127.0.0.1:1', 1],
    ],
  );
  assert.deepEqual(s.errorsByKind, { http: 7, timeout: 1, connection: 2 });

  // AIPerf's own ErrorTracker over the same (code, type, message) sequence gives the same groups.
  const aiperf = locateAiperf();
  const python = join(dirname(aiperf.path), 'python');
  const script = `
import json, sys
from aiperf.common.enums import CreditPhase
from aiperf.common.models import ErrorDetails
from aiperf.records.error_tracker import ErrorTracker
t = ErrorTracker()
for code, typ, msg in json.loads(sys.argv[1]):
    t.increment_error_count_for_phase(CreditPhase.PROFILING, ErrorDetails(code=code, type=typ, message=msg))
print(json.dumps([e.model_dump(mode="json", exclude_unset=True, exclude_none=True)
                  for e in t.get_error_summary_for_phase(CreditPhase.PROFILING)]))
`;
  const seq = errors.map((e) => [e.status ?? null, e.kind, e.message]);
  const theirs = JSON.parse(
    execFileSync(python, ['-c', script, JSON.stringify(seq)], { encoding: 'utf8', timeout: 120_000 }),
  );
  const ours = toAiperfJson(s).error_summary;
  assert.deepEqual(ours, theirs);
});

test('console table: the distinct messages with counts under the request counts, capped', () => {
  const c = new MetricsCollector();
  c.add(okRec(0));
  const errors = [
    ...Array.from({ length: 4 }, () => http(500, LLAMA_BODY)),
    http(404, VLLM_BODY),
    ...Array.from({ length: 6 }, (_, i) => http(400, `{"message":"bad request ${i}"}`)),
  ];
  for (const [i, e] of errors.entries()) c.add(failed(i + 1, e));
  const table = formatRunTable(c.summarize({ label: 't' }));
  const lines = table.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Errors:'));
  assert.ok(at > 0, table);
  assert.equal(lines[at - 1], 'Requests:                1 ok, 11 failed (http 11)');
  assert.deepEqual(lines.slice(at, at + 6), [
    `Errors:                  HTTP 500 x4: ${LLAMA_TEXT}`,
    '                         HTTP 404 x1: The model `qwen` does not exist.',
    '                         HTTP 400 x1: bad request 0',
    '                         HTTP 400 x1: bad request 1',
    '                         HTTP 400 x1: bad request 2',
    '                         and 3 more distinct messages (3 requests)',
  ]);
  // No failures: no Errors line.
  const clean = new MetricsCollector();
  clean.add(okRec(0));
  assert.ok(!formatRunTable(clean.summarize({ label: 'c' })).includes('Errors:'));
});

test("crosscheck: both tools' failed requests with their messages; AIPerf's messages read as it writes them", () => {
  const c = new MetricsCollector();
  c.add(okRec(0));
  for (let i = 1; i <= 4; i++) c.add(failed(i, http(500, LLAMA_BODY)));
  const mm = parseSummaryJson(
    JSON.stringify(toAiperfJson(c.summarize({ label: 'mm' }))),
    'mm.json',
    'mmload',
  );
  // AIPerf's layout for the same failures: code = status, type = reason phrase, message = body.
  const aiDoc = {
    request_count: { unit: 'requests', avg: 1 },
    error_request_count: { unit: 'requests', avg: 4 },
    error_summary: [
      { error_details: { code: 500, type: 'Internal Server Error', message: LLAMA_BODY }, count: 3 },
      {
        error_details: { code: null, type: 'ClientConnectionResetError', message: 'Connection reset' },
        count: 1,
      },
    ],
  };
  const ai = parseSummaryJson(JSON.stringify(aiDoc), 'ai.json', 'aiperf');
  assert.equal(ai.errorDetails![0]!.message, LLAMA_BODY);
  const result = crosscheck(mm, ai, 5);
  assert.equal(result.errors!.mmload.count, 4);
  assert.equal(result.errors!.aiperf.count, 4);
  const text = formatCrosscheck(result);
  assert.ok(
    text.includes(
      [
        'Failed requests:',
        '  mmload: 4 failed',
        `    HTTP 500 x4: ${LLAMA_TEXT}`,
        '  aiperf: 4 failed',
        `    HTTP 500 Internal Server Error x3: ${LLAMA_TEXT}`,
        '    ClientConnectionResetError x1: Connection reset',
      ].join('\n'),
    ),
    text,
  );
  // Nobody failed: no section.
  const clean = { ...mm, errorCount: 0, errorDetails: [] };
  assert.equal(crosscheck(clean, { ...clean, source: 'aiperf' }, 5).errors, undefined);
  assert.ok(
    !formatCrosscheck(crosscheck(clean, { ...clean, source: 'aiperf' }, 5)).includes('Failed requests'),
  );
});
